"""The geodesic correction against pyproj.Geod.inv: within 1 mm over the range gis._geodesic states.

The range: every pair within the municipality (its bounding box, pairs up to 280 km), and every pair up to
``MAX_D_M`` (400 km) long with both ends within ``MAX_U_M`` (300 km) of the central meridian and
``MAX_V_M`` (500 km) of the data's reference latitude.  Random pairs of every length, not only short ones.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest

import gis
from gis._geodesic import MAX_D_M, MAX_U_M, geodesic_distance
from gis.crs import city_bounds

MM = 1e-3


def _geod(crs: pyproj.CRS) -> pyproj.Geod:
    return crs.get_geod()  # the CRS's own ellipsoid (CGCS2000)


def _pairs(n: int, seed: int, lon: tuple[float, float], lat: tuple[float, float]):
    rng = np.random.default_rng(seed)
    return (rng.uniform(*lon, n), rng.uniform(*lat, n), rng.uniform(*lon, n), rng.uniform(*lat, n))


def _measure(crs: pyproj.CRS, lon1, lat1, lon2, lat2):
    fwd = pyproj.Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)
    x1, y1 = fwd.transform(lon1, lat1)
    x2, y2 = fwd.transform(lon2, lat2)
    s = geodesic_distance(np.asarray(x1), np.asarray(y1), np.asarray(x2), np.asarray(y2), crs)
    g = _geod(crs).inv(lon1, lat1, lon2, lat2)[2]
    return s, g, np.hypot(np.subtract(x2, x1), np.subtract(y2, y1)), np.asarray(x1), np.asarray(x2)


def test_every_pair_within_the_municipality_within_a_millimetre():
    crs = pyproj.CRS(gis.analysis_crs())
    minx, miny, maxx, maxy = city_bounds()
    s, g, plane, _, _ = _measure(crs, *_pairs(100_000, 5, (minx - 0.1, maxx + 0.1), (miny - 0.1, maxy + 0.1)))
    assert g.max() > 250_000  # the premise: pairs across the whole municipality, not only short ones
    assert np.abs(s - g).max() < 1 * MM
    assert np.abs(plane - g).max() > 20.0  # the correction matters: the plane is off by metres


@pytest.mark.parametrize("lat", [(21.0, 25.0), (25.0, 29.0)])
def test_pairs_up_to_400_km_within_300_km_of_the_meridian_within_a_millimetre(lat):
    crs = pyproj.CRS(gis.analysis_crs())  # central meridian 108°E: 105°E..111°E is within 300 km at these latitudes
    lon1, lat1, lon2, lat2 = _pairs(200_000, 6, (105.1, 110.9), lat)
    s, g, plane, x1, x2 = _measure(crs, lon1, lat1, lon2, lat2)
    inside = (plane <= MAX_D_M) & (np.abs(x1 - 500_000) <= MAX_U_M) & (np.abs(x2 - 500_000) <= MAX_U_M)
    assert inside.sum() > 100_000 and plane[inside].max() > 390_000
    assert np.abs(s[inside] - g[inside]).max() < 1 * MM
    # outside the domain: Geod.inv itself
    assert np.abs(s[~inside] - g[~inside]).max() < 1e-6


def test_nearest_and_k_nearest_report_distances_within_a_millimetre():
    # few targets: every origin's nearest lies tens of kilometres away, across the municipality
    rng = np.random.default_rng(8)
    minx, miny, maxx, maxy = city_bounds()
    lon, lat = rng.uniform(minx, maxx, 20_000), rng.uniform(miny, maxy, 20_000)
    tlon, tlat = rng.uniform(minx, maxx, 12), rng.uniform(miny, maxy, 12)
    crs = pyproj.CRS(gis.analysis_crs())
    o = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=crs.geodetic_crs)
    t = gpd.GeoDataFrame(geometry=gpd.points_from_xy(tlon, tlat), crs=crs.geodetic_crs)
    g = _geod(crs).inv(np.repeat(lon, 12), np.repeat(lat, 12), np.tile(tlon, 20_000), np.tile(tlat, 20_000))[2]
    g = g.reshape(20_000, 12)
    r = gis.nearest(o, t)
    assert (r["target_index"].to_numpy() == g.argmin(axis=1)).all()
    assert g.min(axis=1).max() > 40_000
    assert np.abs(r["dist_m"].to_numpy() - g.min(axis=1)).max() < 1 * MM
    r5 = gis.nearest(o, t, k=5)
    rows = r5.index.get_level_values("origin_index").to_numpy()
    cols = r5["target_index"].to_numpy().astype(int)
    assert (r5.groupby(level="origin_index").size() == 5).all()
    assert np.abs(r5["dist_m"].to_numpy() - g[rows, cols]).max() < 1 * MM
    assert (np.sort(g, axis=1)[:, :5].ravel() - r5["dist_m"].to_numpy()).__abs__().max() < 1 * MM


def test_compiled_segment_length_gives_the_same_bits_as_the_numpy_series():
    """The kernels' compiled loops correct one pair at a time: the same arithmetic, the same bits."""
    from gis._geodesic import point_terms, segment_lengths, tm_scale
    from gis._geodesic_loops import segment_length, series_constants

    crs = pyproj.CRS(gis.analysis_crs())
    lon1, lat1, lon2, lat2 = _pairs(20_000, 7, (108.5, 110.5), (23.5, 26.2))
    fwd = pyproj.Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)
    x1, y1 = fwd.transform(lon1, lat1)
    x2, y2 = fwd.transform(lon2, lat2)
    tm = tm_scale(crs, np.r_[x1, x2], np.r_[y1, y2])
    X1, Y1, g1 = point_terms(tm, x1, y1)
    X2, Y2, g2 = point_terms(tm, x2, y2)
    d = np.hypot(x2 - x1, y2 - y1)
    want = segment_lengths(d, X1, Y1, g1, X2, Y2, g2, tm)
    cst = series_constants(tm)
    got = np.array([segment_length(d[i], X1[i], Y1[i], g1[i], X2[i], Y2[i], g2[i], cst) for i in range(len(d))])
    assert np.array_equal(got.view(np.int64), want.view(np.int64))
    assert np.abs(got - d).max() > 1.0  # the correction is at work (pairs up to ~300 km)
