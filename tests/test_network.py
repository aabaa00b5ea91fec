"""Travel network: times against hand computation with pyproj.Geod, isochrone extents, bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from shapely.geometry import LineString, Point

import gis
from gis._errors import InputError
from gis.network import nearest_by_time, travel_times

GEOD = pyproj.Geod(ellps="GRS80")


@pytest.fixture(scope="module")
def lines():
    # an expressway A-B-C, a railway B-D through its stations (schematic), a waterway C-D
    a, b, c, d = (109.0, 24.3), (109.3, 24.3), (109.6, 24.3), (109.3, 24.7)
    return gpd.GeoDataFrame(
        {"mode": ["expressway", "railway", "waterway"],
         "geometry_basis": ["survey", "schematic", "river_centreline"]},
        geometry=[LineString([a, b, c]), LineString([b, d]), LineString([c, d])],
        crs="EPSG:4326",
    )


def leg(p, q):
    return GEOD.inv(p[0], p[1], q[0], q[1])[2]


def test_travel_times_match_hand_computation(lines):
    net = gis.travel_network(lines)
    assert net.schematic and net.n_nodes == 4
    o = gpd.GeoDataFrame(geometry=[Point(109.0, 24.3)], crs=4326)
    t = gpd.GeoDataFrame(geometry=[Point(109.3, 24.7), Point(109.6, 24.3)], crs=4326)
    tt = travel_times(net, o, t)
    via_rail = leg((109.0, 24.3), (109.3, 24.3)) / 1500 + leg((109.3, 24.3), (109.3, 24.7)) / 2000
    expressway = (leg((109.0, 24.3), (109.3, 24.3)) + leg((109.3, 24.3), (109.6, 24.3))) / 1500
    assert tt.iloc[0].tolist() == pytest.approx([via_rail, expressway], rel=1e-6)


def test_access_legs_and_direct_trips(lines):
    net = gis.travel_network(lines)
    near = gpd.GeoDataFrame(geometry=[Point(109.0, 24.31)], crs=4326)  # ~1.1 km off node A
    t = gpd.GeoDataFrame(geometry=[Point(109.6, 24.3), Point(109.0, 24.32)], crs=4326)
    tt = travel_times(net, near, t, access_speed_kmh=30)
    access = leg((109.0, 24.31), (109.0, 24.3)) / 500
    on_net = (leg((109.0, 24.3), (109.3, 24.3)) + leg((109.3, 24.3), (109.6, 24.3))) / 1500
    assert tt.iloc[0, 0] == pytest.approx(access + on_net, rel=1e-6)
    assert tt.iloc[0, 1] == pytest.approx(leg((109.0, 24.31), (109.0, 24.32)) / 500, rel=1e-6)  # direct


def test_nearest_by_time_differs_from_nearest_by_distance(lines):
    net = gis.travel_network(lines)
    o = gpd.GeoDataFrame(geometry=[Point(109.0, 24.3)], crs=4326)
    t = gpd.GeoDataFrame({"name": ["rail end", "close off-network"]},
                         geometry=[Point(109.3, 24.7), Point(109.15, 24.5)], crs=4326).set_index("name")
    assert gis.nearest(o, t)["target_index"].iloc[0] == "close off-network"
    assert nearest_by_time(net, o, t, access_speed_kmh=5)["target_index"].iloc[0] == "rail end"


def test_isochrone_reaches_as_far_as_the_time_allows(lines):
    net = gis.travel_network(lines)
    o = gpd.GeoDataFrame({"name": ["柳城"]}, geometry=[Point(109.0, 24.3)], crs=4326).set_index("name")
    iso = gis.isochrones(net, o, [10, 30], access_speed_kmh=1)
    assert iso["minutes"].tolist() == [10, 30] and iso["origin_index"].tolist() == ["柳城", "柳城"]
    assert iso.crs == o.crs
    # 10 minutes at 90 km/h = 15 km east along the expressway; no time is left at the tip
    east = iso.geometry.iloc[0].bounds[2]
    assert leg((109.0, 24.3), (east, 24.3)) == pytest.approx(15000, abs=5)
    assert not iso["schematic"].iloc[0]  # railway not reached in 10 min
    assert iso["schematic"].iloc[1]  # B reached at ~20.3 min, rail used after
    assert iso["area_km2"].iloc[1] > iso["area_km2"].iloc[0] > 0


def test_numeric_speed_column_and_bad_input(lines):
    speeds = lines.assign(v=[60.0, 100.0, 10.0])
    net = gis.travel_network(speeds, speed_kmh_by="v")
    assert net.edges["speed_kmh"].tolist()[:2] == [60.0, 60.0]
    with pytest.raises(InputError, match="lines: column 'mode' has values with no speed: \\['ferry'\\]"):
        gis.travel_network(lines.assign(mode=["ferry", "railway", "waterway"]))
    with pytest.raises(InputError, match="lines: has no column 'speed'"):
        gis.travel_network(lines, speed_kmh_by="speed")
    with pytest.raises(InputError, match="lines: speeds must be positive"):
        gis.travel_network(lines.assign(v=[60.0, -1.0, 10.0]), speed_kmh_by="v")
    with pytest.raises(InputError, match="LineString"):
        gis.travel_network(gpd.GeoDataFrame({"mode": ["road"]}, geometry=[Point(109, 24)], crs=4326))
    with pytest.raises(InputError, match="minutes: .*strictly increasing"):
        gis.isochrones(gis.travel_network(lines), lines.iloc[:0].set_geometry(gpd.GeoSeries([], crs=4326)), [30, 10])
