"""Drive times by road: gis.drive and lzgis drive; the one --roads resolver of drive / review / site; speeds."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point

import gis
from gis._columns import column_title
from gis._errors import InputError
from gis.network import travel_network
from gis.readers import read_table, read_vector
from gis.routing import travel_times

from cli_testing import invoke, one_error  # tests/cli_testing.py

GEOD = pyproj.Geod(ellps="GRS80")
ACCESS_M_PER_MIN = 30 * 1000 / 60
HUAIHUA = (109.98, 27.55)  # 怀化市: another province, ~110 km beyond the shipped roads


@pytest.fixture(scope="module")
def net():
    return travel_network(gis.load_layer("roads"))


@pytest.fixture(scope="module")
def towns():
    return gis.load_layer("townships")


@pytest.mark.parametrize("target_layer", ["county_seats", "logistics"])
def test_quickest_target_of_every_township_equals_travel_times(net, towns, target_layer):
    targets = gis.load_layer(target_layer)
    r = gis.drive(towns, targets, roads=net)
    assert (r["flags"] == "").all() and r["minutes"].notna().all()  # every township of the city gets a time
    tt = travel_times(net, towns, targets)  # independently: the full matrix, its row minimum
    np.testing.assert_allclose(r["minutes"].to_numpy(dtype=float), tt.min(axis=1).to_numpy(), rtol=1e-9, atol=1e-9)
    # the named target is one whose time is that minimum
    names = targets["name"].to_numpy()
    for i, (name, m) in enumerate(zip(r["target"], r["minutes"])):
        assert tt.iloc[i, list(names).index(name)] == pytest.approx(m, abs=1e-9)
    # road_km: never shorter than the straight line, and a direct trip is exactly the straight line
    j = [list(names).index(n) for n in r["target"]]
    straight = GEOD.inv(towns.geometry.x.to_numpy(), towns.geometry.y.to_numpy(),
                        targets.geometry.x.to_numpy()[j], targets.geometry.y.to_numpy()[j])[2] / 1000
    assert (r["road_km"].to_numpy(dtype=float) >= straight * 0.999 - 1e-6).all()
    d = r["direct"].to_numpy(dtype=bool)
    np.testing.assert_allclose(r["road_km"].to_numpy(dtype=float)[d], straight[d], rtol=1e-6, atol=1e-6)
    assert (~d).sum() > 10 and (r["road_km"][~d] > straight[~d]).all()
    # uncertainty: both positions' precision_m as minutes at the access speed
    expect = (towns["precision_m"].to_numpy(dtype=float) + targets["precision_m"].to_numpy(dtype=float)[j]) \
        / ACCESS_M_PER_MIN
    np.testing.assert_allclose(r["uncertainty_min"].to_numpy(dtype=float), expect, rtol=1e-9)


def test_road_km_of_a_trip_along_one_road_is_the_road():
    road = gpd.GeoDataFrame({"speed_kmh": [60.0]}, geometry=[LineString([(109.2, 24.3), (109.3, 24.3), (109.5, 24.3)])],
                            crs="EPSG:4326")
    o = gpd.GeoDataFrame({"name": ["甲"]}, geometry=[Point(109.2, 24.3)], crs="EPSG:4326")
    t = gpd.GeoDataFrame({"name": ["乙"]}, geometry=[Point(109.5, 24.3)], crs="EPSG:4326")
    r = gis.drive(o, t, roads=road)
    km = (GEOD.inv(109.2, 24.3, 109.3, 24.3)[2] + GEOD.inv(109.3, 24.3, 109.5, 24.3)[2]) / 1000
    assert r["road_km"].iloc[0] == pytest.approx(km, rel=1e-6)
    assert r["minutes"].iloc[0] == pytest.approx(km, rel=1e-6)  # 60 km/h: a kilometre a minute
    assert not r["direct"].iloc[0] and r["target"].iloc[0] == "乙"


def test_origin_in_another_province_and_an_unplaced_row_get_a_word_not_a_number(net):
    seats = gis.load_layer("county_seats")
    o = gpd.GeoDataFrame({"name": ["柳州站", "怀化", "无坐标"]},
                         geometry=[Point(109.3968, 24.3122), Point(*HUAIHUA), None], crs="EPSG:4326")
    r = gis.drive(o, seats, roads=net)
    assert len(r) == 3 and list(r["name"]) == ["柳州站", "怀化", "无坐标"]
    assert list(r["flags"]) == ["", "outside_network", "unplaced"]
    assert np.isfinite(r["minutes"].iloc[0]) and r["minutes"].iloc[1:].isna().all()
    assert r["road_km"].iloc[1:].isna().all() and r["target"].iloc[1:].isna().all()
    assert "路网范围之外" in r["备注"].iloc[1] and "未定位" in r["备注"].iloc[2]
    # a geocoded table's unmatched row keeps the geocoder's reason (gis.prepare, the one way in)
    g = o.assign(geocode_status=["matched", "matched", "unmatched"], reason=["", "", "地名库中没有"])
    assert gis.drive(g, seats, roads=net)["备注"].iloc[2] == "未定位：地名库中没有，未计算行车时间"
    # the origins' own flags (a geocoded table's corrected, outside_liuzhou …) stay, the drive's come after them
    f = g.assign(flags=["corrected", "outside_liuzhou", ""])
    assert list(gis.drive(f, seats, roads=net)["flags"]) == ["corrected", "outside_liuzhou;outside_network", "unplaced"]
    # the same in the matrix and the service areas
    m = gis.drive(o, seats, roads=net, matrix=True)
    assert len(m) == 3 * len(seats)
    assert m.groupby("origin", sort=False)["minutes"].count().tolist() == [len(seats), 0, 0]
    assert set(m.loc[m["origin"] == "怀化", "flags"]) == {"outside_network"}
    s = gis.drive(o, roads=net, minutes=[30])
    assert list(s["flags"]) == ["", "outside_network", "unplaced"] and s["area_km2"].iloc[1:].isna().all()


def test_an_origin_far_from_every_road_is_off_network():
    road = gpd.GeoDataFrame({"speed_kmh": [60.0, 60.0]},
                            geometry=[LineString([(109.0, 24.0), (109.6, 24.0)]), LineString([(109.0, 24.6), (109.6, 24.6)])],
                            crs="EPSG:4326")
    o = gpd.GeoDataFrame(geometry=[Point(109.3, 24.3), Point(109.3, 24.05)], crs="EPSG:4326")  # 33 km / 5.5 km away
    r = gis.drive(o, o.iloc[[1]], roads=road)
    assert list(r["flags"]) == ["off_network", ""]
    assert np.isnan(r["minutes"].iloc[0]) and "超过允许的接入距离 25 公里" in r["备注"].iloc[0]


def test_matrix_equals_travel_times(net, towns):
    seats = gis.load_layer("county_seats")
    o = towns.iloc[::10]
    m = gis.drive(o, seats, roads=net, matrix=True)
    tt = travel_times(net, o, seats)
    assert list(m["origin"]) == [n for n in o["name"] for _ in range(len(seats))]
    np.testing.assert_allclose(m["minutes"].to_numpy(dtype=float), tt.to_numpy().ravel(), rtol=1e-8, atol=1e-6)  # search direction: 1e-7 min
    assert (m["road_km"] > 0).sum() >= len(m) - len(o)  # zero only for a township at a county seat


def test_service_areas_grow_with_the_time(net):
    seats = gis.load_layer("county_seats").iloc[:3]
    s = gis.drive(seats, roads=net, minutes=[30, 60])
    assert len(s) == 6 and (s["area_km2"] > 0).all() and list(s["minutes"]) == [30, 60] * 3
    for i in range(3):
        a30, a60 = s.geometry.iloc[2 * i], s.geometry.iloc[2 * i + 1]
        assert shapely.difference(a30, a60).area < 1e-6 * a30.area  # 60 min ⊇ 30 min
        assert s["area_km2"].iloc[2 * i + 1] > s["area_km2"].iloc[2 * i]


# ---------------------------------------------------------------- lzgis drive


def _origins_csv(tmp_path):
    p = tmp_path / "项目定位.csv"
    pd.DataFrame({"项目名称": ["柳州站旁", "怀化项目", "未定位项目", "鹿寨站旁"],
                  "经度": [109.3968, HUAIHUA[0], None, 109.7397],
                  "纬度": [24.3122, HUAIHUA[1], None, 24.4728]}).to_csv(p, index=False, encoding="utf-8")
    return p


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".gpkg"])
def test_cli_drive_to_a_table_or_a_layer(tmp_path, suffix):
    out = tmp_path / f"行车时间{suffix}"
    res = invoke("drive", str(_origins_csv(tmp_path)), "county_seats", "-o", str(out))
    assert res.exit_code == 0, res.output
    assert "outside_network 1" in res.stderr and "unplaced 1" in res.stderr
    t = read_vector(out) if suffix == ".gpkg" else (read_table(out) if suffix == ".xlsx"  # titles mapped back
                                                   else pd.read_csv(out, encoding="utf-8-sig"))
    if suffix == ".xlsx":  # people read Chinese titles
        assert [c.value for c in openpyxl.load_workbook(out).worksheets[0][1]][1:5] == \
            ["目标", "目标索引", "行车时间（分钟）", "行驶里程（公里）"]
    assert list(t["项目名称"]) == ["柳州站旁", "怀化项目", "未定位项目", "鹿寨站旁"]
    assert t["minutes"].notna().tolist() == [True, False, False, True]
    assert list(t["target"].fillna("")) == ["城中区", "", "", "鹿寨县"] or t["target"].iloc[0] in ("柳南区", "城中区")
    assert t["flags"].fillna("").tolist() == ["", "outside_network", "unplaced", ""]
    assert "未定位" in t["备注"].iloc[2]
    seats = gis.load_layer("county_seats")
    o = gpd.GeoDataFrame(geometry=[Point(109.3968, 24.3122), Point(109.7397, 24.4728)], crs="EPSG:4326")
    expect = gis.drive(o, seats)["minutes"].round(1).to_numpy()
    np.testing.assert_allclose(t["minutes"].to_numpy(dtype=float)[[0, 3]], expect)
    run = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["runs"][-1]
    assert run["verb"] == "drive" and {i["role"] for i in run["inputs"]} >= {"origins", "targets", "roads"}


def test_cli_drive_matrix(tmp_path):
    out = tmp_path / "矩阵.csv"
    res = invoke("drive", "county_seats", "logistics", "--matrix", "-o", str(out))
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out, encoding="utf-8-sig")
    assert len(t) == 10 * len(gis.load_layer("logistics")) and t["minutes"].notna().all()


def test_cli_service_areas(tmp_path):
    out = tmp_path / "服务区.gpkg"
    res = invoke("drive", "county_seats", "--minutes", "30,60", "-o", str(out))
    assert res.exit_code == 0, res.output
    s = read_vector(out)
    assert len(s) == 20 and (s["area_km2"] > 0).all() and set(s.geom_type) <= {"Polygon", "MultiPolygon"}
    for origin, g in s.groupby("origin"):
        a30, a60 = g.set_index("minutes").geometry.loc[30.0], g.set_index("minutes").geometry.loc[60.0]
        assert shapely.difference(a30, a60).area < 1e-6 * a30.area, origin
    res = invoke("drive", "county_seats", "--minutes", "30,60", "-o", str(tmp_path / "服务区.csv"))
    one_error(res, "service areas are polygons", ".gpkg")


def _user_roads_geojson(tmp_path):
    p = tmp_path / "我的路网.geojson"
    gpd.GeoDataFrame({"等级": ["国道", "县道"]},
                     geometry=[LineString([(109.40, 24.30), (109.50, 24.30)]), LineString([(109.50, 24.30), (109.50, 24.40)])],
                     crs="EPSG:4326").to_file(p, driver="GeoJSON")
    return p


def _points_csv(tmp_path, name, rows):
    p = tmp_path / name
    pd.DataFrame(rows, columns=["name", "lon", "lat"]).to_csv(p, index=False, encoding="utf-8")
    return p


def test_cli_drive_on_a_user_geojson_and_an_osm_extract(tmp_path):
    from test_network_roads import write_osm

    o = _points_csv(tmp_path, "o.csv", [("甲", 109.40, 24.30)])
    t = _points_csv(tmp_path, "t.csv", [("乙", 109.50, 24.40)])
    words = gis.network.speed_model()["road_class_words"]
    km1, km2 = GEOD.inv(109.4, 24.3, 109.5, 24.3)[2] / 1000, GEOD.inv(109.5, 24.3, 109.5, 24.4)[2] / 1000
    res = invoke("drive", str(o), str(t), "--roads", str(_user_roads_geojson(tmp_path)), "-o", str(tmp_path / "a.csv"))
    assert res.exit_code == 0, res.output
    a = pd.read_csv(tmp_path / "a.csv", encoding="utf-8-sig")
    assert a["minutes"].iloc[0] == pytest.approx(round(km1 / words["国道"] * 60 + km2 / words["县道"] * 60, 1), abs=0.051)
    assert a["road_km"].iloc[0] == pytest.approx(km1 + km2, abs=0.051)
    # a speed model of the user's own: every class 1-200 km/h
    speeds = tmp_path / "speeds.csv"
    speeds.write_text("等级,speed_kmh\n国道,80\n县道,40\n", encoding="utf-8")
    res = invoke("drive", str(o), str(t), "--roads", str(tmp_path / "我的路网.geojson"), "--speeds", str(speeds),
                 "-o", str(tmp_path / "b.csv"))
    assert res.exit_code == 0, res.output
    b = pd.read_csv(tmp_path / "b.csv", encoding="utf-8-sig")
    assert b["minutes"].iloc[0] == pytest.approx(round(km1 / 80 * 60 + km2 / 40 * 60, 1), abs=0.051)
    # an OpenStreetMap XML extract (nodes 1-2-3 east along 24.30, then 3-4 north to 24.35)
    osm = write_osm(tmp_path / "area.osm", [(10, [1, 2, 3], {"highway": "primary"}),
                                            (11, [3, 4], {"highway": "residential"})])
    t2 = _points_csv(tmp_path, "t2.csv", [("乙", 109.50, 24.35)])
    res = invoke("drive", str(o), str(t2), "--roads", str(osm), "-o", str(tmp_path / "c.csv"))
    assert res.exit_code == 0, res.output
    c = pd.read_csv(tmp_path / "c.csv", encoding="utf-8-sig")
    osm_net = travel_network(osm)  # read as travel_network reads it: the highway speeds
    assert osm_net.speeds_from == "highway (osm_highway)"
    expect = travel_times(osm_net, read_vector(o), read_vector(t2)).iloc[0, 0]
    assert c["minutes"].iloc[0] == pytest.approx(round(expect, 1)) and c["road_km"].iloc[0] > 0


def test_cli_bad_roads_is_one_line_before_any_work(tmp_path):
    for verb_args in (["drive", "townships", "county_seats"],
                      ["site", "--grid", "柳城县", "--near", "county_seats:30min"]):
        out = tmp_path / "x.csv"
        res = invoke(*verb_args, "--roads", str(tmp_path / "nope.osm"), "-o", str(out))
        one_error(res, "--roads", "nope.osm", "file not found", ".osm")
        assert not out.exists()
    table = tmp_path / "方案.csv"
    table.write_text("项目,方案,经度,纬度\n甲,A,109.60,24.40\n甲,B,109.70,24.45\n", encoding="utf-8")
    res = invoke("review", str(table), "--zones", "zones_example", "--option-field", "方案", "--roads", "no_such_layer",
                 "-o", str(tmp_path / "r.xlsx"))
    one_error(res, "--roads no_such_layer", "not a shipped layer nor a file")
    assert not (tmp_path / "r.xlsx").exists()


def test_cli_review_and_site_accept_a_road_file(tmp_path):
    roads = tmp_path / "roads.geojson"
    seats = gis.load_layer("county_seats").set_index("name")
    lz = seats.geometry.loc["鹿寨县"]
    gpd.GeoDataFrame({"highway": ["primary"]}, geometry=[LineString([(109.69, 24.43), (lz.x, lz.y)])],
                     crs="EPSG:4326").to_file(roads, driver="GeoJSON")
    table = tmp_path / "方案.csv"
    table.write_text("项目,方案,经度,纬度\n甲,A,109.69,24.43\n甲,B,109.70,24.44\n", encoding="utf-8")
    res = invoke("review", str(table), "--zones", "zones_example", "--option-field", "方案", "--roads", str(roads),
                 "--no-map", "-o", str(tmp_path / "r.xlsx"))
    assert res.exit_code == 0, res.output
    comp = pd.read_excel(tmp_path / "r.xlsx", sheet_name="方案比选")
    assert comp[column_title("drive_min")].notna().all() and set(comp[column_title("seat_name")]) == {"鹿寨县"}
    osm = tmp_path / "area.osm"
    from test_network_roads import write_osm

    write_osm(osm, [(10, [1, 2, 3], {"highway": "primary"}), (11, [3, 4], {"highway": "residential"})])
    cands = _points_csv(tmp_path, "c.csv", [("近", 109.41, 24.30), ("远", 109.50, 24.36)])
    target = _points_csv(tmp_path, "t.csv", [("终点", 109.50, 24.35)])
    res = invoke("site", str(cands), "--near", f"{target}:20min", "--roads", str(osm), "--no-map",
                 "-o", str(tmp_path / "s.csv"))
    assert res.exit_code == 0, res.output
    s = pd.read_csv(tmp_path / "s.csv", encoding="utf-8-sig").set_index("name")
    assert s["t_min"].notna().all() and s.loc["近", "t_min"] > s.loc["远", "t_min"]


# ---------------------------------------------------------------- speeds outside 1-200 km/h


@pytest.mark.parametrize("bad", [1e9, 0.0, -30.0, np.nan, 0.5])
def test_speed_column_outside_1_to_200_is_refused_naming_the_row(bad):
    roads = gpd.GeoDataFrame({"speed_kmh": [60.0, bad]}, index=[7, 8],
                             geometry=[LineString([(109.4, 24.3), (109.5, 24.3)]), LineString([(109.5, 24.3), (109.5, 24.4)])],
                             crs="EPSG:4326")
    with pytest.raises(InputError, match=r"1–200 km/h; rows \[8\]" if np.isfinite(bad) else r"rows \[8\] .*no value"):
        travel_network(roads)


@pytest.mark.parametrize("bad", [1e9, 0, -5, float("nan"), "fast"])
def test_speed_model_outside_1_to_200_is_refused_naming_the_class(tmp_path, bad):
    roads = gpd.GeoDataFrame({"等级": ["国道", "县道"]},
                             geometry=[LineString([(109.4, 24.3), (109.5, 24.3)]), LineString([(109.5, 24.3), (109.5, 24.4)])],
                             crs="EPSG:4326")
    with pytest.raises(InputError, match=r"class '县道'.*1–200 km/h"):
        travel_network(roads, default_speeds={"国道": 60, "县道": bad})
    speeds = tmp_path / "speeds.yaml"
    speeds.write_text(f"国道: 60\n县道: {bad}\n", encoding="utf-8")
    roads.to_file(tmp_path / "r.geojson", driver="GeoJSON")
    o = _points_csv(tmp_path, "o.csv", [("甲", 109.40, 24.30)])
    res = invoke("drive", str(o), str(o), "--roads", str(tmp_path / "r.geojson"), "--speeds", str(speeds),
                 "-o", str(tmp_path / "x.csv"))
    one_error(res, "县道", "1–200 km/h")
