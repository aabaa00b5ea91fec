"""Corridor lines on the real network: existing lines follow the graph, new lines pass their intermediate places,
the new source rows quote their lines."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
import yaml

import gis
from gis.layer_pipeline.__main__ import default_shared_dir
from gis.layer_pipeline.routing import Graph, _route, is_existing, rules
from gis.layers import layers_dir

SEEDS = default_shared_dir() / "seeds"


@pytest.fixture(scope="module")
def corridors():
    return gis.load_layer("corridors")


def test_existing_rail_and_road_lines_in_liuzhou_follow_the_graph(corridors):
    data = rules(layers_dir())
    lines = corridors[corridors["in_municipality"].astype(bool)]
    exist = lines[[bool(is_existing(r, data)) and data["graph_of_mode"].get(r["mode"]) is not None
                   for _, r in lines.iterrows()]]
    assert len(exist) >= 12
    assert set(exist["geometry_basis"]) <= {"rail_graph", "road_graph"}
    assert {"焦柳铁路（怀化至柳州市区段）", "黔桂铁路", "湘桂铁路", "三柳高速", "柳南高速公路",
            "G72桂林至柳州段高速公路改扩建工程"} <= set(exist["name"])
    # inside the municipality every vertex of a routed line is a node of the shipped graph of its kind
    city = shapely.union_all(gis.load_layer("city").geometry.values)
    for kind, layer in (("rail_graph", "railways"), ("road_graph", "roads")):
        nodes = shapely.get_coordinates(gis.load_layer(layer).geometry.values)
        tree = shapely.STRtree(shapely.points(nodes))
        for geom in exist.loc[exist["geometry_basis"] == kind, "geometry"]:
            xy = shapely.get_coordinates(geom)
            inside = shapely.contains_xy(city, xy[:, 0], xy[:, 1])
            _, d = tree.query_nearest(shapely.points(xy[inside]), return_distance=True)
            assert d.max() < 2e-6  # rounding of the shipped coordinates (1e-6 degree)


def test_max_place_distance_is_the_distance_to_the_named_places(corridors):
    # recomputed from the located places' own layer: the county seats (三江, 柳州's 城中区 is the city place)
    row = corridors[corridors["name"] == "三柳高速"].iloc[0]
    assert row["geometry_basis"] == "road_graph" and row["graph_share"] == 1.0
    seats = gis.load_layer("county_seats").set_index("name").to_crs(4545)
    line = gpd.GeoSeries([row.geometry], crs=4326).to_crs(4545).iloc[0]
    assert line.distance(seats.geometry["三江侗族自治县"]) <= row["max_place_dist_m"] + 0.5
    assert row["max_place_dist_m"] < 5000


def test_new_lines_pass_every_intermediate_place_of_their_text(corridors):
    for name in ("柳州至三江城际铁路", "三南高速"):
        rows = corridors[corridors["name"] == name]
        assert len(rows)
        for _, r in rows.iterrows():
            assert r["via_places"] and "004_9db75a2811220992.txt line 227" in r["via_source"]
            assert {"融水", "融安"} <= set(r["located_places"].split(" → "))
            # the line passes each of its places: a schematic line through them, a routed one near them
            assert r["max_place_dist_m"] <= (0.5 if r["geometry_basis"] == "schematic" else 20_000)
    new = corridors[(corridors["name"] == "柳州至三江城际铁路")]
    assert (new["geometry_basis"] == "schematic").all()


def test_route_helper_on_a_small_graph():
    # a square a-b-c-d (10 km sides) without the side d-a, and the diagonal a-c
    a, b, c, d = (109.0, 24.0), (109.1, 24.0), (109.1, 24.1), (109.0, 24.1)
    edges = gpd.GeoDataFrame({"u": ["a", "b", "c", "a"], "v": ["b", "c", "d", "c"]},
                             geometry=[shapely.LineString(p) for p in ((a, b), (b, c), (c, d), (a, c))], crs=4326)
    g = Graph(edges)
    to_m = gis.crs.transformer(4326, 4545)
    pa, pc, pd_ = (np.array(to_m.transform(*p)) for p in (a, c, d))
    # from 100 m off a to d: along the diagonal and c-d (shorter than round by b), every vertex a graph node
    coords, share = _route(np.array([pa + [100.0, 0.0], pd_]), g, np.array([5000.0, 5000.0]))
    assert share == 1.0 and np.allclose(coords, [pa, pc, pd_], atol=1e-6)
    # an end place 30 km off the graph: the path to its nearest connected node, then a straight leg to it
    far = pd_ + [0.0, 30_000.0]
    coords, share = _route(np.array([pa, far]), g, np.array([5000.0, 5000.0]))
    assert np.allclose(coords, [pa, pc, pd_, far], atol=1e-6)
    legs = np.hypot(*np.diff(coords, axis=0).T)
    assert share == pytest.approx(legs[:2].sum() / legs.sum())


def seed_line(name: str, n: int) -> str:
    return (SEEDS / name).read_text(encoding="utf-8").splitlines()[n - 1]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="needs ../shared/seeds")
def test_network_source_rows_quote_their_lines():
    items = yaml.safe_load((layers_dir() / "sources" / "corridors_network.yaml").read_text(encoding="utf-8"))
    assert {e["name"] for e in items} >= {"焦柳铁路（怀化至柳州市区段）", "黔桂铁路", "湘桂铁路"}
    for e in items:
        line = seed_line(e["source_file"], e["source_line"])
        assert e["quote"] in line, e["id"]
        for place in e["places"]:
            # a place is the text's word, or the description says it is common knowledge
            assert place in line or re.sub("站$", "", place) in e["description"], (e["id"], place)
        if e["status_zh"]:
            assert e["status_zh"] in line


def test_liujiang_channels_named_without_end_points_follow_the_river(corridors):
    rows = corridors[corridors["name"].isin(["柳江航道通航能力提升", "柳江黄金水道"])]
    assert len(rows) == 2 and (rows["geometry_basis"] == "river_centreline").all()
    rivers = gis.to_analysis_crs(gis.load_layer("rivers"))
    river = rivers[rivers["name"].isin(["柳江", "融江"])].union_all()
    city = gis.to_analysis_crs(gis.load_layer("city")).union_all()
    towns = gis.to_analysis_crs(gis.load_layer("townships")).set_index("name")
    for geom in gis.to_analysis_crs(rows).geometry:
        assert river.buffer(1.0).contains(geom) and city.buffer(1.0).contains(geom)
        # it begins where the 柳江 begins (凤山, 柳城县) and runs through the city for about 100 km
        ends = [shapely.Point(geom.coords[0]), shapely.Point(geom.coords[-1])]
        assert min(e.distance(towns.geometry["凤山镇"]) for e in ends) < 3000
        assert 80_000 < geom.length < 150_000
