"""The shipped road/rail graphs, a user's road file (OSM XML written here), bad road files, and the fast
travel-time paths pinned against the straightforward per-origin search."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point

import gis
from gis import _validate
from gis._errors import CRSError, InputError
from gis.network import _access, _access_legs, speed_model
from gis.routing import _direct_m, _with_access, nearest_by_time, travel_times

GEOD = pyproj.Geod(ellps="GRS80")


def leg(p, q):
    return GEOD.inv(p[0], p[1], q[0], q[1])[2]


# --- the shipped layers ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def roads():
    return gis.load_layer("roads")


def test_roads_layer_is_a_clean_graph_with_node_ids(roads):
    assert len(roads) > 500 and (roads["u"] != roads["v"]).all()
    xy = shapely.get_coordinates(roads.geometry.values).reshape(-1, 2, 2)
    ends = pd.DataFrame({"id": np.c_[roads["u"], roads["v"]].ravel(), "x": xy[:, :, 0].ravel(), "y": xy[:, :, 1].ravel()})
    assert (ends.drop_duplicates().groupby("id").size() == 1).all()  # one position per node id
    assert not ends.drop_duplicates()[["x", "y"]].duplicated().any()
    _, _, d = GEOD.inv(xy[:, 0, 0], xy[:, 0, 1], xy[:, 1, 0], xy[:, 1, 1])
    assert np.allclose(d, roads["chord_m"], atol=0.2)
    assert set(roads["road_class"]) == {r["class"] for r in speed_model()["road_classes"]}
    assert roads["in_municipality"].sum() > 300 and (roads["geometry_basis"] == "osm_graph_chord").all()
    assert "OpenStreetMap" in roads.attrs["layer"]["attribution"]


def test_stations_are_nodes_of_the_rail_graph():
    rail = gis.load_layer("railways")
    stations = gis.load_layer("railway_stations")
    named = set(rail["station_u"]) | set(rail["station_v"])
    assert {"鹿寨", "柳州", "融安", "融水"} <= named
    luzhai = stations[stations["name"] == "鹿寨"].geometry.iloc[0]
    verts = shapely.get_coordinates(rail.geometry.values)
    assert np.hypot(verts[:, 0] - luzhai.x, verts[:, 1] - luzhai.y).min() < 1e-6  # the station is a vertex
    # the layer drives as it is: mode railway at the model's speed, chords lengthened by the chord detour factor
    net = gis.travel_network(rail)
    model = speed_model()
    e = net.edges.iloc[0]
    row = rail.loc[e["source_index"]]
    expect = leg(row.geometry.coords[0], row.geometry.coords[-1]) * model["chord_detour_factor"] \
        / (model["modes"]["railway"] / 0.06)
    assert net.joined and e["minutes"] == pytest.approx(expect, rel=1e-6)


def test_default_speed_model_on_the_roads(roads):
    net = gis.travel_network(roads)
    assert net.speeds_from == "road_class (road_classes)" and net.joined and not net.schematic
    model = {r["class"]: r for r in speed_model()["road_classes"]}
    e = net.edges.iloc[0]
    row = roads.loc[e["source_index"]]
    a, b = row.geometry.coords[0], row.geometry.coords[-1]
    expect = leg(a, b) * model[row["road_class"]]["detour_factor"] / (model[row["road_class"]]["speed_kmh"] / 0.06)
    assert e["minutes"] == pytest.approx(expect, rel=1e-6)
    # one connected road network: one access unit
    assert len(net.line_starts) - 1 == 1
    # no detour factor where the geometry is not a chord
    plain = gis.travel_network(roads.drop(columns="geometry_basis"))
    assert (plain.edges["road_m"] == plain.edges["length_m"]).all()


# --- a user's OpenStreetMap extract ------------------------------------------------------------------------------

OSM_NODES = {1: (109.40, 24.30), 2: (109.45, 24.30), 3: (109.50, 24.30), 4: (109.50, 24.35), 5: (109.40, 24.35)}


def write_osm(path, ways):
    nodes = "".join(f'<node id="{i}" lat="{la}" lon="{lo}" version="1"/>' for i, (lo, la) in OSM_NODES.items())
    body = "".join(
        f'<way id="{w}" version="1">' + "".join(f'<nd ref="{n}"/>' for n in refs)
        + "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()) + "</way>"
        for w, refs, tags in ways)
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?><osm version="0.6">{nodes}{body}</osm>', encoding="utf-8")
    return path


def test_osm_extract_drives_with_highway_speeds(tmp_path):
    f = write_osm(tmp_path / "mini.osm", [
        (10, [1, 2, 3], {"highway": "primary", "name": "柳江路"}),
        (11, [3, 4], {"highway": "residential"}),
        (12, [1, 5], {"highway": "footway"}),
        (13, [5, 4], {"highway": "footway"}),
    ])
    net = gis.travel_network(f)
    osm = speed_model()["osm_highway"]
    assert net.speeds_from == "highway (osm_highway)"
    assert net.notes == ["2 lines left out (highway not a road for driving: footway 2)"]
    o = gpd.GeoDataFrame(geometry=[Point(OSM_NODES[1])], crs=4326)
    t = gpd.GeoDataFrame(geometry=[Point(OSM_NODES[4])], crs=4326)
    expect = (leg(OSM_NODES[1], OSM_NODES[2]) + leg(OSM_NODES[2], OSM_NODES[3])) / (osm["primary"] / 0.06) \
        + leg(OSM_NODES[3], OSM_NODES[4]) / (osm["residential"] / 0.06)
    assert travel_times(net, o, t, access_speed_kmh=5).iloc[0, 0] == pytest.approx(expect, rel=1e-6)
    # the same trip with the user's own speeds
    net2 = gis.travel_network(f, default_speeds={"primary": 30, "residential": 30, "footway": 5})
    assert net2.notes == [] and len(net2.edges) == 5


def test_osm_extract_without_roads_is_refused(tmp_path):
    f = write_osm(tmp_path / "paths.osm", [(12, [1, 5], {"highway": "footway"})])
    with pytest.raises(InputError, match=r"paths\.osm: none of its 1 lines is a road for driving"):
        gis.travel_network(f)
    g = write_osm(tmp_path / "rivers.osm", [(20, [1, 2], {"waterway": "river"})])
    with pytest.raises(InputError, match=r"rivers\.osm: holds no lines"):
        gis.travel_network(g)


# --- bad road files ----------------------------------------------------------------------------------------------

def test_bad_road_files_name_the_file_the_field_and_the_fix(tmp_path):
    lines = gpd.GeoDataFrame({"名称": ["a", "b"], "speed": [60.0, 40.0]},
                             geometry=[LineString([(109.4, 24.3), (109.5, 24.3)]),
                                       LineString([(109.5, 24.3), (109.5, 24.4)])], crs=4326)
    pts = tmp_path / "points.geojson"
    gpd.GeoDataFrame(geometry=[Point(109.4, 24.3)], crs=4326).to_file(pts)
    with pytest.raises(InputError, match=r"points\.geojson: holds no lines .*Pass the road layer"):
        gis.travel_network(pts)
    nospeed = tmp_path / "nospeed.gpkg"
    lines.drop(columns="speed").to_file(nospeed)
    with pytest.raises(InputError, match=r"nospeed\.gpkg: no speed information: none of the columns speed_kmh, "
                                         r"road_class, highway.*its columns: 名称.*speed_kmh_by="):
        gis.travel_network(nospeed)
    with pytest.raises(InputError, match=r"has no column 'v'"):
        gis.travel_network(lines, speed_kmh_by="v")
    shp = tmp_path / "nocrs.shp"
    lines.to_file(shp, encoding="utf-8")
    shp.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match=r"nocrs\.shp: has no CRS .*set_crs"):
        gis.travel_network(shp, speed_kmh_by="speed")
    broken = lines.copy()
    broken.loc[1, "geometry"] = LineString([(109.5, np.nan), (109.5, 24.4)])
    with pytest.raises(InputError, match=r"lines: rows \[1\] \(1 in all\) have broken line geometries"):
        gis.travel_network(broken, speed_kmh_by="speed")
    with pytest.raises(InputError, match="detour_factor must be 1 or more"):
        gis.travel_network(lines, speed_kmh_by="speed", detour_factor=0.5)


# --- the fast paths against the straightforward search ------------------------------------------------------------

def reference_times(net, origins, targets, *, speed=30.0, radius=5000.0):
    """One Dijkstra per origin on the network plus a virtual node for every origin and target; an origin and a
    target snapped onto one same edge may also travel along it (a trip through no node)."""
    o = _validate.layer(origins, name="origins")
    t = _validate.layer(targets, name="targets")
    direct_m = _direct_m(o, t, net.crs)
    legs_o = _access_legs(net, o, access_speed_kmh=speed, access_radius_m=radius, reach_m=direct_m.max(axis=1))
    legs_t = _access_legs(net, t, access_speed_kmh=speed, access_radius_m=radius, reach_m=direct_m.max(axis=0))
    graph = _with_access(net, legs_o, legs_t, len(o), len(t))
    n = net.n_nodes
    dist = dijkstra(graph, directed=True, indices=n + np.arange(len(o)))
    out = np.minimum(dist[:, n + len(o):], direct_m / (speed * 1000 / 60))
    a_o = _access(net, o, access_speed_kmh=speed, access_radius_m=radius, reach_m=direct_m.max(axis=1))
    a_t = _access(net, t, access_speed_kmh=speed, access_radius_m=radius, reach_m=direct_m.max(axis=0))
    minutes = net.edges["minutes"].to_numpy()
    for i in range(len(o)):
        for j in range(len(t)):
            if a_o.edge[i] >= 0 and a_o.edge[i] == a_t.edge[j]:
                along = a_o.snap_min[i] + abs(a_o.frac[i] - a_t.frac[j]) * minutes[a_o.edge[i]] + a_t.snap_min[j]
                out[i, j] = min(out[i, j], along)
    return out


def random_points(rng, n, box=(109.2, 24.1, 109.7, 24.6)):
    return gpd.GeoDataFrame({"precision_m": rng.uniform(0, 2000, n)},
                            geometry=[Point(x, y) for x, y in zip(rng.uniform(box[0], box[2], n),
                                                                   rng.uniform(box[1], box[3], n))], crs=4326)


@pytest.mark.parametrize("n_o,n_t", [(40, 7), (6, 30)])
def test_matrix_from_the_smaller_side_equals_the_per_origin_search(roads, n_o, n_t):
    rng = np.random.default_rng(n_o * 100 + n_t)
    net = gis.travel_network(roads)
    o, t = random_points(rng, n_o), random_points(rng, n_t)
    fast = travel_times(net, o, t).to_numpy()
    assert np.allclose(fast, reference_times(net, o, t), rtol=1e-9, atol=1e-9)
    near = nearest_by_time(net, o, t)
    assert np.allclose(near["minutes"], fast.min(axis=1), rtol=1e-9)
    chosen = fast[np.arange(n_o), t.index.get_indexer(near["target_index"])]
    assert np.allclose(chosen, fast.min(axis=1), rtol=1e-9)  # the named target is (one of) the quickest
    assert np.allclose(near["uncertainty_min"], (o["precision_m"].to_numpy()
                                                 + t["precision_m"].to_numpy()[t.index.get_indexer(near["target_index"])]) / 500)
    long = travel_times(net, o, t, long=True)
    assert len(long) == n_o * n_t and np.allclose(long["minutes"], fast.ravel())
    assert np.allclose(long["uncertainty_min"], (long["origin_precision_m"] + long["target_precision_m"]) / 500)


def test_nearest_by_time_on_a_direct_trip():
    # no network near: the nearest target by geodesic distance, at access speed, flagged direct
    road = gpd.GeoDataFrame({"speed_kmh": [60.0]}, geometry=[LineString([(110.5, 25.9), (110.6, 25.9)])], crs=4326)
    net = gis.travel_network(road)
    o = gpd.GeoDataFrame(geometry=[Point(109.40, 24.30)], crs=4326)
    t = gpd.GeoDataFrame({"name": ["far", "near"]}, geometry=[Point(109.5, 24.3), Point(109.41, 24.31)],
                         crs=4326).set_index("name")
    r = nearest_by_time(net, o, t)
    assert r["target_index"].iloc[0] == "near" and bool(r["direct"].iloc[0])
    assert r["minutes"].iloc[0] == pytest.approx(leg((109.40, 24.30), (109.41, 24.31)) / 500, rel=1e-6)


def test_isochrone_covers_counts_points_inside(roads):
    net = gis.travel_network(roads)
    towns = gis.load_layer("townships")
    seats = towns[towns["name"].isin(["大埔镇", "鹿寨镇"])]
    iso = gis.isochrones(net, seats, [30, 60], covers=towns)
    for _, row in iso.iterrows():
        inside = towns[towns.intersects(row.geometry)]
        assert row["n_covered"] == len(inside) and set(row["covered"].split("、")) == set(inside["name"])
    # 60 minutes reach at least what 30 do
    by = iso.set_index(["origin_index", "minutes"])
    for i in seats.index:
        assert by.loc[(i, 60), "n_covered"] >= by.loc[(i, 30), "n_covered"]
        assert by.loc[(i, 60), "geometry"].buffer(1e-6).contains(by.loc[(i, 30), "geometry"])
