"""Travel network: times against hand computation with pyproj.Geod, isochrone extents, bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from shapely.geometry import LineString, Point

import gis
from gis._errors import InputError
from gis.network import DEFAULT_SPEEDS_KMH as DEFAULT_SPEEDS
from gis.routing import nearest_by_time, travel_times

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


# --- access to several nodes, transfers, and adding a line never hurts -------------------------------------------

# A road A-B (expressway, 90 km/h = 1500 m/min) and a railway S-T (120 km/h = 2000 m/min) whose station S stands
# 0.9 km north of A without sharing a vertex: the situation of 鹿寨站 next to the road node of 鹿寨县城.
A, B, S, T = (109.0, 24.30), (109.3, 24.30), (109.0, 24.308), (109.0, 24.7)
O = (109.0, 24.312)  # a town nearer to the station (0.44 km) than to the road (1.33 km)
ACCESS = 500.0  # 30 km/h in m/min


@pytest.fixture(scope="module")
def road_and_rail():
    return gpd.GeoDataFrame({"mode": ["expressway", "railway"]},
                            geometry=[LineString([A, B]), LineString([S, T])], crs="EPSG:4326")


def points(*xy):
    return gpd.GeoDataFrame(geometry=[Point(p) for p in xy], crs=4326)


def test_town_nearest_to_a_station_still_reaches_the_road(road_and_rail):
    net = gis.travel_network(road_and_rail, transfer_m=0)
    assert len(net.transfers) == 0
    tt = travel_times(net, points(O), points(B, T)).iloc[0].tolist()
    by_road = leg(O, A) / ACCESS + leg(A, B) / 1500
    by_rail = leg(O, S) / ACCESS + leg(S, T) / 2000
    # the old rule (nearest node only: S) left B to a 30 km/h drive the whole way
    assert leg(O, B) / ACCESS > by_road + 15
    assert tt == pytest.approx([by_road, by_rail], rel=1e-6)
    # beyond the access radius the nearest node of each line still counts: same answer with no radius at all
    assert travel_times(net, points(O), points(B, T), access_radius_m=0).iloc[0].tolist() == pytest.approx(tt)


def test_every_node_within_the_access_radius_is_an_entry():
    # an expressway that loops north and comes back 3 km east of where it started, then runs east to E
    n1, far1, far2, n2, e = (109.0, 24.3), (109.0, 24.6), (109.03, 24.6), (109.03, 24.3), (109.5, 24.3)
    loop = gpd.GeoDataFrame({"mode": ["expressway"]}, geometry=[LineString([n1, far1, far2, n2, e])], crs=4326)
    net = gis.travel_network(loop)
    o = (109.0, 24.301)  # nearest node n1; n2 is 3 km away
    via_n2 = leg(o, n2) / ACCESS + leg(n2, e) / 1500
    via_n1 = leg(o, n1) / ACCESS + (leg(n1, far1) + leg(far1, far2) + leg(far2, n2) + leg(n2, e)) / 1500
    assert via_n2 < via_n1 < leg(o, e) / ACCESS
    assert travel_times(net, points(o), points(e)).iloc[0, 0] == pytest.approx(via_n2, rel=1e-6)
    # with a radius that holds n1 only, n1 (the nearest node of the line) is the one entry
    assert travel_times(net, points(o), points(e), access_radius_m=500).iloc[0, 0] == pytest.approx(via_n1, rel=1e-6)


def node_at(net, lonlat):
    x, y = pyproj.Transformer.from_crs(4326, net.crs, always_xy=True).transform(*lonlat)
    return int(np.argmin(np.hypot(net.nodes_xy[:, 0] - x, net.nodes_xy[:, 1] - y)))


def test_transfer_edges_join_a_station_to_the_road(road_and_rail):
    net = gis.travel_network(road_and_rail, transfer_m=1000, transfer_min=5, transfer_speed_kmh=30)
    assert sorted(net.transfers[["u", "v"]].to_numpy().ravel().tolist()) == sorted([node_at(net, A), node_at(net, S)])
    assert net.transfers["minutes"].iloc[0] == pytest.approx(5 + leg(A, S) / ACCESS, rel=1e-6)
    # a traveller arriving by train at S continues by road: T -> B through the transfer
    tt = travel_times(net, points(T), points(B), access_radius_m=0).iloc[0, 0]
    assert tt == pytest.approx(leg(T, S) / 2000 + 5 + leg(S, A) / ACCESS + leg(A, B) / 1500, rel=1e-6)
    # without it the train is left at S for a 30 km/h drive to B (S is the rail line's node nearest to B)
    no_transfer = travel_times(gis.travel_network(road_and_rail, transfer_m=0), points(T), points(B),
                               access_radius_m=0).iloc[0, 0]
    assert no_transfer == pytest.approx(leg(T, S) / 2000 + leg(S, B) / ACCESS, rel=1e-6)
    assert no_transfer > tt
    # two expressways ending 500 m apart meet at shared vertices or not at all: no transfer
    same_mode = gpd.GeoDataFrame({"mode": ["expressway", "expressway"]},
                                 geometry=[LineString([A, B]), LineString([(109.0, 24.2955), (108.8, 24.2)])], crs=4326)
    assert len(gis.travel_network(same_mode).transfers) == 0
    with pytest.raises(InputError, match="transfer_m"):
        gis.travel_network(road_and_rail, transfer_m=-1)


def random_lines(rng, n):
    # vertices drawn from a 6 x 6 grid of 5 km (with fixed jitter) so that lines share vertices or pass close by
    grid = [(109.1 + 0.05 * i + 0.004 * ((i * 7 + j * 3) % 5 - 2), 24.2 + 0.045 * j + 0.004 * ((i * 3 + j * 5) % 5 - 2))
            for i in range(6) for j in range(6)]
    geoms = [LineString([grid[k] for k in rng.choice(len(grid), size=rng.integers(2, 5), replace=False)])
             for _ in range(n)]
    return gpd.GeoDataFrame({"mode": rng.choice(["expressway", "railway", "waterway", "highway"], size=n)},
                            geometry=geoms, crs=4326)


def test_adding_a_line_never_lengthens_a_trip_nor_shrinks_an_isochrone():
    rng = np.random.default_rng(20240611)
    for trial in range(30):
        base = random_lines(rng, int(rng.integers(1, 5)))
        more = pd.concat([base, random_lines(rng, 1)], ignore_index=True)
        o = points(*zip(rng.uniform(109.08, 109.4, 4), rng.uniform(24.18, 24.45, 4)))
        t = points(*zip(rng.uniform(109.08, 109.4, 5), rng.uniform(24.18, 24.45, 5)))
        before, after = gis.travel_network(base), gis.travel_network(more)
        tt0, tt1 = travel_times(before, o, t).to_numpy(), travel_times(after, o, t).to_numpy()
        # geodesic lengths depend on a reference latitude taken from all the nodes: 1e-7 relative noise
        assert (tt1 <= tt0 * (1 + 1e-7)).all(), (trial, (tt1 - tt0).max())
        iso0 = gis.isochrones(before, o.iloc[:2], [20]).to_crs(4545)
        iso1 = gis.isochrones(after, o.iloc[:2], [20]).to_crs(4545)
        for g0, g1 in zip(iso0.geometry, iso1.geometry):
            assert g1.buffer(1.0).contains(g0), trial


@pytest.fixture(scope="module")
def corridor_modes():
    corridors = gis.load_layer("corridors")
    return corridors[corridors["mode"].isin(DEFAULT_SPEEDS)]


def test_real_corridors_adding_the_suburban_railway_helps_every_town(corridor_modes):
    towns = gis.load_layer("townships").set_index("name")
    roads = corridor_modes[corridor_modes["mode"].isin(["expressway", "highway"])]
    rail = corridor_modes[corridor_modes["geometry_basis"] == "railway_stations"]
    assert "柳州至鹿寨城郊铁路" in set(rail["name"])
    nets = [gis.travel_network(roads), gis.travel_network(pd.concat([roads, rail])),
            gis.travel_network(corridor_modes)]
    tt = [travel_times(net, towns, towns).to_numpy() for net in nets]
    assert (tt[1] <= tt[0] * (1 + 1e-7)).all() and (tt[2] <= tt[1] * (1 + 1e-7)).all()
    # 鹿寨镇 is nearer to 鹿寨站 (rail) than to the road node of the county seat; the railway must not cut it off
    wings = towns.loc[["大埔镇", "鹿寨镇"]]
    iso = [gis.isochrones(net, wings, [30]).set_index("origin_index").to_crs(4545) for net in nets[:2]]
    for seat in wings.index:
        assert iso[1].geometry[seat].buffer(1.0).contains(iso[0].geometry[seat]), seat
    assert iso[1].loc["鹿寨镇", "area_km2"] > iso[0].loc["鹿寨镇", "area_km2"]
    luzhai = list(towns.index).index("鹿寨镇")
    assert tt[1][luzhai].sum() < tt[0][luzhai].sum()


def test_a_town_too_far_for_any_access_leg_travels_directly(road_and_rail):
    # every leg to the network is longer than the direct trip: no leg at all, the direct trip at access speed
    net = gis.travel_network(road_and_rail)
    o, t = (109.6, 24.9), (109.61, 24.9)
    assert travel_times(net, points(o), points(t)).iloc[0, 0] == pytest.approx(leg(o, t) / ACCESS, rel=1e-6)
    iso = gis.isochrones(net, points(o), [1])
    assert not iso["schematic"].iloc[0] and iso["area_km2"].iloc[0] == pytest.approx(np.pi * 0.5 ** 2, rel=0.01)
