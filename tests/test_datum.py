"""GCJ-02 / BD-09 transforms, measured with pyproj.Geod over the municipality."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon

from gis import DatumError
from gis.crs import city_bounds
from gis.datum import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    convert,
    convert_gdf,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def points() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4502)
    minx, miny, maxx, maxy = city_bounds()
    return rng.uniform(minx, maxx, 10_000), rng.uniform(miny, maxy, 10_000)


def _dist_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def test_gcj_round_trip_under_1cm(points):
    lon, lat = points
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert _dist_m(lon, lat, *back).max() < 0.01


def test_naive_one_step_inverse_is_metres_off(points):
    lon, lat = points
    glon, glat = wgs84_to_gcj02(lon, lat)
    flon, flat = wgs84_to_gcj02(glon, glat)
    naive = (glon - (flon - glon), glat - (flat - glat))
    err = _dist_m(lon, lat, *naive)
    assert err.max() >= 1.0  # SOURCES.md measured up to 2.35 m
    assert err.max() < 5.0
    assert _dist_m(lon, lat, *gcj02_to_wgs84(glon, glat)).max() < err.max() / 100


def test_bd09_round_trips(points):
    lon, lat = points
    assert _dist_m(lon, lat, *bd09_to_wgs84(*wgs84_to_bd09(lon, lat))).max() < 0.01
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert _dist_m(glon, glat, *bd09_to_gcj02(*gcj02_to_bd09(glon, glat))).max() < 0.01


def test_gcj_offset_at_liuzhou_matches_sources():
    # city centre (柳州站 area); SOURCES.md: ≈ +467 m east, −297 m north, ≈ 550 m
    lon, lat = 109.41, 24.32
    glon, glat = wgs84_to_gcj02(lon, lat)
    az, _, d = GEOD.inv(lon, lat, float(glon), float(glat))
    east, north = d * np.sin(np.radians(az)), d * np.cos(np.radians(az))
    assert east == pytest.approx(467, abs=5)
    assert north == pytest.approx(-297, abs=5)
    assert d == pytest.approx(553, abs=8)


def test_convert_named_datums_and_cgcs2000_identity():
    lon, lat = convert([109.4], [24.3], src="cgcs2000", dst="wgs84")
    assert lon[0] == 109.4 and lat[0] == 24.3
    with pytest.raises(DatumError, match="unknown datum"):
        convert([109.4], [24.3], src="wgs72", dst="wgs84")


def test_convert_gdf_every_geometry_type():
    geoms = [
        Point(109.41, 24.32),
        LineString([(109.40, 24.30), (109.45, 24.35)]),
        Polygon([(109.4, 24.3), (109.5, 24.3), (109.5, 24.4), (109.4, 24.3)]),
        MultiPolygon([Polygon([(109.4, 24.3), (109.5, 24.3), (109.5, 24.4)]),
                      Polygon([(109.6, 24.3), (109.7, 24.3), (109.7, 24.4)])]),
        GeometryCollection([Point(109.41, 24.32), LineString([(109.40, 24.30), (109.45, 24.35)])]),
    ]
    gdf = gpd.GeoDataFrame({"k": range(len(geoms))}, geometry=geoms, crs="EPSG:4326")
    before = gdf.copy()
    out = convert_gdf(gdf, src="gcj02")
    assert gdf.geom_equals(before.geometry).all()  # input not mutated
    assert list(out.geom_type) == list(gdf.geom_type)
    for g_in, g_out in zip(gdf.geometry, out.geometry):
        cin = shapely.get_coordinates(g_in)
        cout = shapely.get_coordinates(g_out)
        assert cin.shape == cout.shape
        exp = np.column_stack(gcj02_to_wgs84(cin[:, 0], cin[:, 1]))
        assert np.allclose(cout, exp, atol=1e-12)
        d = _dist_m(cin[:, 0], cin[:, 1], cout[:, 0], cout[:, 1])
        assert ((d > 500) & (d < 600)).all()


def test_convert_gdf_refuses_projected():
    gdf = gpd.GeoDataFrame(geometry=[Point(642130, 2689231)], crs="EPSG:4545")
    with pytest.raises(DatumError, match="to_crs\\('EPSG:4326'\\)"):
        convert_gdf(gdf, src="gcj02")
