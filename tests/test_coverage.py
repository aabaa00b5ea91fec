"""Coverage and ring occupancy against brute force and areas computed another way (pyproj.Geod)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point, box

import gis
from gis._errors import InputError

GEOD = pyproj.Geod(ellps="GRS80")


def sbox(*bounds):
    """A lon/lat box with vertices every 0.005 deg, so its straight plane edges follow the meridians/parallels."""
    return shapely.segmentize(box(*bounds), 0.005)


def geod_area(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


@pytest.fixture(scope="module")
def zones():
    # two "counties" side by side in lon/lat and a third zone sharing a label with the first
    return gpd.GeoDataFrame(
        {"county": ["西县", "东县", "西县"]},
        geometry=[sbox(109.0, 24.0, 109.3, 24.5), sbox(109.3, 24.0, 109.6, 24.5), sbox(109.0, 24.5, 109.3, 24.6)],
        crs="EPSG:4326",
    )


def test_point_counts_match_brute_force(zones):
    rng = np.random.default_rng(4)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(rng.uniform(108.9, 109.7, 500), rng.uniform(23.9, 24.7, 500)),
                           crs=4326)
    c = gis.coverage_by(pts, zones, by="county")
    x, y = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    west = ((x >= 109.0) & (x <= 109.3) & (y >= 24.0) & (y <= 24.6)).sum()
    east = ((x >= 109.3) & (x <= 109.6) & (y >= 24.0) & (y <= 24.5)).sum()
    assert c.loc["西县", "n_features"] == west and c.loc["东县", "n_features"] == east
    assert c.loc["东县", "share_features"] == pytest.approx(east / 500)


def test_within_distance_of_a_line_matches_gis_within():
    rng = np.random.default_rng(8)
    towns = gpd.GeoDataFrame(geometry=gpd.points_from_xy(rng.uniform(109.0, 109.8, 400), rng.uniform(24.0, 24.6, 400)),
                             crs=4326)
    road = gpd.GeoDataFrame({"name": ["G72", "G72"]},
                            geometry=[LineString([(109.0, 24.3), (109.4, 24.35)]),
                                      LineString([(109.4, 24.35), (109.8, 24.2)])], crs=4326)
    c = gis.coverage_by(towns, road, by="name", distance_m=5000)
    pairs = gis.within(towns, road, 5000)
    # buffers are polygons of 64 segments per circle: allow towns within 1 m of 5 km to differ
    n_exact = pairs["origin_index"].nunique()
    borderline = (np.abs(gis.nearest(towns, road)["dist_m"] - 5000) < 1.0).sum()
    assert abs(c.loc["G72", "n_features"] - n_exact) <= borderline
    assert c.loc["G72", "n_features"] > 50


def test_polygon_areas_and_shares_match_geod(zones):
    parks = gpd.GeoDataFrame(geometry=[sbox(109.25, 24.1, 109.35, 24.2), sbox(109.1, 24.55, 109.2, 24.65)], crs=4326)
    c = gis.coverage_by(parks, zones, by="county")
    west_part = geod_area(sbox(109.25, 24.1, 109.3, 24.2)) + geod_area(sbox(109.1, 24.55, 109.2, 24.6))
    east_part = geod_area(sbox(109.3, 24.1, 109.35, 24.2))
    # plane chords between vertices 0.005 deg apart still cut corners: slivers of ~1e-5 relative
    assert c.loc["西县", "area_ha"] == pytest.approx(west_part / 1e4, rel=5e-5)
    assert c.loc["东县", "area_ha"] == pytest.approx(east_part / 1e4, rel=5e-5)
    assert c.loc["东县", "zone_area_ha"] == pytest.approx(geod_area(zones.geometry.iloc[1]) / 1e4, rel=5e-5)
    total = sum(geod_area(g) for g in parks.geometry)
    assert c.loc["西县", "share_area"] == pytest.approx(west_part / total, rel=1e-4)


def test_line_lengths_match_geod(zones):
    line = gpd.GeoDataFrame(geometry=[LineString([(109.1, 24.3), (109.5, 24.3)])], crs=4326)
    c = gis.coverage_by(line, zones, by="county")
    assert c.loc["东县", "length_km"] == pytest.approx(GEOD.inv(109.3, 24.3, 109.5, 24.3)[2] / 1e3, rel=1e-4)
    assert c["share_length"].sum() == pytest.approx(1.0, rel=1e-6)


def test_ring_occupancy_against_analytical_circles():
    hub = gpd.GeoDataFrame(geometry=[Point(109.4, 24.3)], crs=4326)
    rings = gis.buffer_rings(hub, [1000, 2000, 3000], quad_segs=128)
    park = gis.buffer_rings(hub, [2500], quad_segs=128)[["geometry"]]
    far = gpd.GeoDataFrame(geometry=[box(109.6, 24.5, 109.61, 24.51)], crs=4326)
    occ = gis.ring_occupancy(pd_concat([park, far]), rings)
    assert occ.columns.tolist() == ["0-1000 m", "1000-2000 m", "2000-3000 m", "outside_ha", "total_ha"]
    pi_ha = np.pi * 100  # one km² = 100 ha
    assert occ.iloc[0, :3].tolist() == pytest.approx([pi_ha, 3 * pi_ha, 2.25 * pi_ha], rel=2e-4)
    assert occ.iloc[0]["outside_ha"] == pytest.approx(0.0, abs=0.01)
    assert occ.iloc[1]["outside_ha"] == pytest.approx(occ.iloc[1]["total_ha"])
    assert occ.iloc[1]["total_ha"] == pytest.approx(geod_area(far.geometry.iloc[0]) / 1e4, rel=5e-5)


def pd_concat(frames):
    import pandas as pd

    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)


def test_bad_input(zones):
    pts = gpd.GeoDataFrame(geometry=[Point(109.1, 24.1)], crs=4326)
    with pytest.raises(InputError, match="zones: has no column 'element'"):
        gis.coverage_by(pts, zones, by="element")
    line = gpd.GeoDataFrame(geometry=[LineString([(109.0, 24.3), (109.4, 24.35)])], crs=4326)
    with pytest.raises(InputError, match="zones: has points or lines but no distance_m"):
        gis.coverage_by(pts, line)
    with pytest.raises(InputError, match="rings: has no column 'ring_inner_m'"):
        gis.ring_occupancy(zones, zones)
    with pytest.raises(InputError, match="features: the layer is empty"):
        gis.coverage_by(pts.iloc[:0], zones)


def test_township_seats_per_county_on_the_shipped_layers():
    counties = gis.load_layer("counties")
    towns = gis.load_layer("townships")
    c = gis.coverage_by(towns, counties, by="name")
    # independent: each township's own county attribute (seats on a county border could differ)
    assert c["n_features"].to_dict() == towns["county"].value_counts().to_dict()
    poly = gis.coverage_by(counties, counties, by="name")
    geod = np.array([geod_area(g) for g in counties.geometry]) / 1e4
    assert np.allclose(poly["zone_area_ha"].to_numpy(), geod, rtol=1e-4)
