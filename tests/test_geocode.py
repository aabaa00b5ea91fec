"""The offline geocoder: real addresses of the seeds, variants, OCR slips, ambiguity, tables, overrides."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest

from gis import datum
from gis._errors import InputError
from gis.gazetteer import LEVEL_RANK, default_gazetteer
from gis._geocode_match import _geocode_row
from gis.geocode import STATUSES, check_coordinates, coordinate_precision_m, geocode, geocode_table, read_table
from gis.layers import layers_dir, load_layer

DATA = Path(__file__).parent / "data"
GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def towns():
    return load_layer("townships").set_index("name")


def _at(r, towns, name):
    p = towns.loc[name].geometry
    return abs(r.lon - p.x) < 1e-9 and abs(r.lat - p.y) < 1e-9


def test_port_area_is_placed_at_its_town_seat(towns):
    r = geocode("鹿寨港江口作业区")
    assert (r.status, r.place, r.geocode_level) == ("matched", "江口作业区", "township")
    # placed at the township: the port lies somewhere in it, so its precision is the township's estimated extent
    assert _at(r, towns, "江口乡") and r.precision_m == towns.loc["江口乡", "extent_m"]
    assert r.county == "鹿寨县"


def test_address_through_the_new_district(towns):
    r = geocode("柳州市柳东新区雒容镇某路")
    assert r.status == "matched" and r.place == "雒容镇" and _at(r, towns, "雒容镇")
    assert r.matched == ("柳州市柳东新区→柳东新区", "雒容镇")


def test_county_and_township(towns):
    r = geocode("融水县和睦镇")
    assert (r.place, r.county, r.geocode_level) == ("和睦镇", "融水苗族自治县", "township")
    assert _at(r, towns, "和睦镇")


@pytest.mark.parametrize("text, place", [("雉容镇", "雒容镇"), ("柳城沙浦金属精加工产业园", "沙埔镇")])
def test_ocr_slips_are_read_and_said(text, place):
    r = geocode(text)
    assert r.status == "matched" and r.place == place
    assert any("ocr:" in m for m in r.matched)


@pytest.mark.parametrize("text, place, level", [
    ("鹿寨", "鹿寨县", "county"), ("融水", "融水苗族自治县", "county"), ("三江县", "三江侗族自治县", "county"),
    ("柳州高新区", "柳东新区", "county"), ("阳和工业新区", "阳和工业新区", "township"),
    ("北部新区", "北部生态新区", "county"), ("阳和工业新区（北部生态新区）", "阳和工业新区（北部生态新区）", "county"),
    ("白莲机场", "柳州白莲机场", "landmark"), ("铁路洛埠站", "洛埠站", "landmark"),
])
def test_variants(text, place, level):
    r = geocode(text)
    assert (r.status, r.place, r.geocode_level) == ("matched", place, level)


def test_new_district_point_is_the_centroid_of_its_member_towns(towns):
    members = towns[towns["managing_district"] == "柳东新区"]
    assert sorted(members.index) == ["洛埠镇", "雒容镇"]
    r = geocode("柳东新区")
    assert r.lon == pytest.approx(members.geometry.x.mean(), abs=1e-9)
    assert r.lat == pytest.approx(members.geometry.y.mean(), abs=1e-9)
    # precision covers both member seats (plus their own precision)
    for p in members.geometry:
        assert GEOD.inv(r.lon, r.lat, p.x, p.y)[2] <= r.precision_m


def test_county_point_lies_in_the_county_within_its_precision():
    counties = load_layer("counties").set_index("name")
    r = geocode("鹿寨县")
    poly = counties.loc["鹿寨县"].geometry
    from shapely.geometry import Point

    assert poly.contains(Point(r.lon, r.lat))
    far = max(GEOD.inv(r.lon, r.lat, x, y)[2] for x, y in np.asarray(poly.convex_hull.exterior.coords))
    assert far == pytest.approx(r.precision_m, rel=0.01)


def test_village_name_in_three_counties_is_ambiguous_not_guessed():
    reg = pd.read_csv(layers_dir() / "gazetteer" / "village_register.csv", comment="#", dtype=str)
    counties = sorted(reg.loc[reg["short_name"] == "江口村", "county"])
    assert counties == ["三江侗族自治县", "融安县", "鹿寨县"]
    r = geocode("江口村")
    assert r.status == "ambiguous" and r.lon is None
    assert len(r.candidates) == 3 and all(any(c in cand for cand in r.candidates) for c in counties)


def test_county_in_text_or_argument_resolves_the_ambiguity(towns):
    r = geocode("融安县江口村")
    assert r.status == "matched" and r.county == "融安县"
    assert _at(r, towns, "长安镇") and r.geocode_level == "township"  # no village point: its township
    r2 = geocode("江口村", county="鹿寨县")
    village = load_layer("villages").set_index("name").loc["江口村委会"].geometry
    assert r2.geocode_level == "village" and (r2.lon, r2.lat) == pytest.approx((village.x, village.y))


def test_contradicting_county_is_reported_not_guessed():
    r = geocode("鹿寨县雒容镇")
    assert r.status == "ambiguous" and "鱼峰区" in r.reason


def test_several_places_at_one_level():
    assert geocode("柳州至桂林").status == "ambiguous"
    r = geocode("鹿寨县导江乡、四排镇、平山镇和拉沟乡")
    assert r.status == "matched" and r.place == "鹿寨县" and r.geocode_level == "county"


def test_short_form_before_a_mountain_is_not_a_township():
    r = geocode("三江县白云山风电项目")
    assert r.place == "三江侗族自治县" and "白云乡" not in r.place


@pytest.mark.parametrize("text", ["火星基地", "", "某某路与某某路交汇处"])
def test_unknown_names(text):
    r = geocode(text)
    assert r.status == "unmatched" and r.lon is None and r.reason


def test_texts_read_together_find_what_each_read_alone_finds():
    """``find_many`` (texts joined, one pass of the automaton) against the reference reading of each text."""
    gaz = default_gazetteer()
    plans = pd.concat([pd.read_csv(f, dtype=str) for f in sorted((layers_dir() / "sources").glob("*.csv"))])
    texts = [*dict.fromkeys(plans["place"].dropna()), *dict.fromkeys(plans["name"].dropna())]
    texts += ["", " ", "某路1号地块", "Liuzhou Railway Station柳州站", "LIUZHOU站、liuzhou", "ＬＩＵＺＨＯＵ", "沿柳江两岸",
              "e\u0301柳州市", "一汽解放柳州基地", "鹿寨、三江", "柳州\x01市", "柳州\U0001F600站", "柳州站" * 3]
    gaz._forget_texts()
    found = gaz.find_many([*texts, texts[0]])
    assert len(texts) > 300
    assert [t for t, m in zip(texts, found) if m != gaz._find_reference(t)] == []
    assert found[-1] == found[0] and gaz.find(texts[0]) == found[0]
    assert [m.surface for m in found[texts.index("柳州站" * 3)]] == ["柳州站"] * 3


def test_check_coordinates():
    assert check_coordinates(109.4, 24.3) == (109.4, 24.3, [])
    assert check_coordinates(24.3, 109.4) == (109.4, 24.3, ["swapped_corrected"])
    assert check_coordinates(116.4, 39.9)[2] == ["out_of_area"]
    assert check_coordinates(39.9, 116.4)[2] == ["out_of_area"]


@pytest.fixture(scope="module")
def utf8():
    return geocode_table(DATA / "projects_utf8.csv")


def test_table_accounts_for_every_row(utf8):
    gdf, report = utf8
    src = pd.read_csv(DATA / "projects_utf8.csv", encoding="utf-8")
    assert len(src) >= 20 and len(report) == len(src) == len(gdf)
    assert list(report["row"]) == [i + 2 for i in src.index]  # spreadsheet rows and set(report["status"]) <= set(STATUSES)
    assert report.attrs["encoding"] == "UTF-8"
    # exactly the rows with a point are matched
    assert (gdf.geometry.notna() == (report["status"] == "matched").to_numpy()).all()
    by_name = report.set_index("name")
    assert by_name.loc["江口村光伏项目", "status"] == "ambiguous"
    assert by_name.loc["某某未知园", "status"] == "unmatched"
    assert by_name.loc["融安江口村道路", "status"] == "matched"  # 县区 column resolves it
    assert by_name.loc["螺蛳粉产业园", "geocode_level"] == "county"  # only a county given
    assert "投资(亿元)" in gdf.columns  # the table's own columns are kept


def test_table_coordinates_swapped_and_out_of_area(utf8):
    _, report = utf8
    r = report.set_index("name")
    assert r.loc["坐标项目甲", "method"] == "coordinates" and r.loc["坐标项目甲", "flags"] == ""
    assert r.loc["坐标项目乙(经纬颠倒)", "flags"] == "swapped_corrected"
    assert (r.loc["坐标项目乙(经纬颠倒)", "lon"], r.loc["坐标项目乙(经纬颠倒)", "lat"]) == (109.39, 24.33)
    assert r.loc["坐标项目丙(区外)", "flags"] == "out_of_area"


def _cell_radius_m(lon: float, lat: float, decimals: int) -> float:
    """Centre-to-corner distance of the rounding cell, on the ellipsoid (independent of the module's formula)."""
    h = 0.5 * 10.0 ** -decimals
    return GEOD.inv(lon, lat, lon + h, lat + h)[2]


def test_coordinates_get_the_precision_their_decimals_allow(utf8):
    _, report = utf8
    r = report.set_index("name")
    # 109.41, 24.31: two decimals, a 0.01° cell, about 750 m from centre to corner
    assert r.loc["坐标项目甲", "precision_m"] == pytest.approx(_cell_radius_m(109.41, 24.31, 2), rel=0.01)
    # swapped in the table: the precision is computed on the corrected latitude, the same cell size
    assert r.loc["坐标项目乙(经纬颠倒)", "precision_m"] == pytest.approx(_cell_radius_m(109.39, 24.33, 2), rel=0.01)
    assert coordinate_precision_m("109.4123", "24.3123") == 30.0  # 4 decimals: ~8 m, the floor wins
    assert coordinate_precision_m("109.413", "24.3") == pytest.approx(_cell_radius_m(109.4, 24.3, 1), rel=0.01)
    assert coordinate_precision_m(109.412, 24.312) == pytest.approx(_cell_radius_m(109.412, 24.312, 3), rel=0.01)


def test_gbk_and_excel_give_the_same_report(utf8):
    _, ref = utf8
    gbk_bytes = (DATA / "projects_gbk.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gbk_bytes.decode("utf-8")
    for path, enc in ((DATA / "projects_gbk.csv", "GBK"), (DATA / "projects.xlsx", "excel")):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _, rep = geocode_table(path)
        assert [str(w.message) for w in caught] == (["projects_gbk.csv: is not UTF-8 (line 1); decoded as GBK."]
                                                    if enc == "GBK" else [])
        assert rep.attrs["encoding"] == enc
        pd.testing.assert_series_equal(rep["status"], ref["status"])
        pd.testing.assert_series_equal(rep["name"], ref["name"])
        assert np.allclose(rep["lon"].astype(float), ref["lon"].astype(float), equal_nan=True)


def test_utf8_bom_is_detected(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes("项目名称,建设地点\n甲,融水县和睦镇\n".encode("utf-8-sig"))
    df, enc = read_table(p)
    assert enc == "UTF-8" and list(df.columns) == ["项目名称", "建设地点"]


def test_table_values_stay_text_and_named_encodings_are_used(tmp_path):
    # Big5 is never detected: encoding= names it; written decimals decide the precision
    p = tmp_path / "big5.csv"
    p.write_bytes("項目名稱,經度,緯度,區號\n甲,109.410,24.310,0772\n".encode("big5"))
    with pytest.raises(InputError, match="neither UTF-8"):
        geocode_table(p)
    gdf, rep = geocode_table(p, encoding="big5", name_col="項目名稱", lon_col="經度", lat_col="緯度")
    assert rep.attrs["encoding"] == "BIG5" and gdf.loc[0, "區號"] == "0772" and gdf.loc[0, "經度"] == "109.410"
    assert rep.loc[0, "precision_m"] == coordinate_precision_m("109.410", "24.310")
    assert rep.loc[0, "precision_m"] == pytest.approx(_cell_radius_m(109.41, 24.31, 3), rel=0.01)
    # UTF-16 with a byte-order mark (Excel's "Unicode text") is detected
    p16 = tmp_path / "u16.txt"
    p16.write_bytes("项目名称\t建设地点\n甲\t融水县和睦镇\n".encode("utf-16"))
    _, rep16 = geocode_table(p16)
    assert rep16.attrs["encoding"] == "UTF-16" and rep16.loc[0, "place"] == "融水县和睦镇"


@pytest.mark.parametrize("src", ["gcj02", "bd09"])
def test_declared_datum_is_converted_to_wgs84(src):
    wlon, wlat = 109.41, 24.31
    lon, lat = datum.convert([wlon], [wlat], src="wgs84", dst=src)
    df = pd.DataFrame({"名称": ["甲"], "经度": [lon[0]], "纬度": [lat[0]]})
    gdf, rep = geocode_table(df, datum=src)
    assert rep.loc[0, "lon"] == pytest.approx(wlon, abs=1e-8) and rep.loc[0, "lat"] == pytest.approx(wlat, abs=1e-8)
    shift = GEOD.inv(lon[0], lat[0], wlon, wlat)[2]
    assert 400 < shift < 1500  # the shift really was applied (GCJ ≈ 550 m, BD-09 ≈ 1 km here)


def test_missing_column_error_names_the_columns():
    with pytest.raises(InputError, match="columns found: 编号, 备注"):
        geocode_table(pd.DataFrame({"编号": [1], "备注": ["x"]}))
    with pytest.raises(InputError, match="no column '地点名'"):
        geocode_table(pd.DataFrame({"项目名称": ["x"]}), place_col="地点名")


def test_overrides_win_as_documented(utf8):
    _, before = utf8
    gdf, rep = geocode_table(DATA / "projects_utf8.csv", overrides=DATA / "overrides.csv")
    row = rep.set_index("name").loc["某某未知园"]
    assert before.set_index("name").loc["某某未知园", "status"] == "unmatched"
    assert row["status"] == "matched" and row["method"] == "override"
    elon, elat = datum.gcj02_to_wgs84(109.5, 24.35)  # the override is declared gcj02
    assert (row["lon"], row["lat"]) == pytest.approx((float(elon), float(elat)))
    # no declared precision: one decimal in 109.5 → a 0.1° cell (about 7.6 km to its corner)
    assert row["precision_m"] == pytest.approx(_cell_radius_m(109.5, 24.35, 1), rel=0.01)
    declared = geocode_table(DATA / "projects_utf8.csv", overrides=[
        {"name": "某某未知园", "lon": 109.5, "lat": 24.35, "precision_m": 200}])[1].set_index("name")
    assert declared.loc["某某未知园", "precision_m"] == 200
    _, rep2 = geocode_table(DATA / "projects_utf8.csv", overrides=DATA / "overrides.yaml")
    r2 = rep2.set_index("name")
    assert r2.loc["跨县项目", "method"] == "override" and r2.loc["跨县项目", "geocode_level"] == "township"
    yz = load_layer("townships").set_index("name").loc["雒容镇"].geometry
    assert (r2.loc["跨县项目", "lon"], r2.loc["跨县项目", "lat"]) == pytest.approx((yz.x, yz.y))
    assert r2.loc["江口村光伏项目", "geocode_level"] == "village"
    # rows the overrides do not name are unchanged
    same = ~rep2["name"].isin(["跨县项目", "江口村光伏项目"])
    pd.testing.assert_series_equal(rep2.loc[same, "status"], before.loc[same, "status"])


def test_bad_override_is_reported():
    with pytest.raises(InputError, match="火星"):
        geocode_table(DATA / "projects_utf8.csv", overrides=[{"name": "甲", "anchor": "火星"}])


def test_gazetteer_is_offline_and_complete():
    gaz = default_gazetteer()
    assert gaz.missing_layers == ()
    kinds = pd.Series([p.kind for p in gaz.places]).value_counts()
    assert kinds["township"] == 118 and kinds["county"] == 10 and kinds["station"] >= 24


# --------------------------------------------------------------------------- county seats
@pytest.mark.parametrize("text, county, town", [
    ("鹿寨", "鹿寨县", "鹿寨镇"), ("三江县", "三江侗族自治县", "古宜镇"), ("柳城", "柳城县", "大埔镇"),
    ("融安县", "融安县", "长安镇"), ("融水", "融水苗族自治县", "融水镇"),
])
def test_county_level_names_are_placed_at_the_county_seat(text, county, town, towns):
    r = geocode(text)
    seat = load_layer("county_seats").set_index("name").loc[county].geometry
    assert (r.status, r.place, r.geocode_level) == ("matched", county, "county")
    assert (r.lon, r.lat) == pytest.approx((seat.x, seat.y), abs=1e-9)
    t = towns.loc[town].geometry
    assert GEOD.inv(r.lon, r.lat, t.x, t.y)[2] < 3000  # at the county town, not in the middle of the county
    # precision still says how far a county-level feature may be: the farthest point of the county
    poly = load_layer("counties").set_index("name").loc[county].geometry
    far = max(GEOD.inv(r.lon, r.lat, x, y)[2] for x, y in np.asarray(poly.convex_hull.exterior.coords))
    assert r.precision_m == pytest.approx(far, rel=0.01)


def test_new_districts_and_places_outside_keep_their_points():
    # no documented seat: 柳东新区 stays at its member towns' centroid, 桂林 at its polygon point
    assert geocode("柳东新区").basis.startswith("centroid of member township seats")
    assert "representative point" in geocode("桂林").basis


# --------------------------------------------------------------------------- the name as context
def _rows(rows, **kw):
    return geocode_table(pd.DataFrame(rows, columns=["项目名称", "建设地点", "县区"]), **kw)[1].set_index("name")


def test_name_breaks_a_tie_between_candidates_of_the_place():
    villages = load_layer("villages")
    luzhai = villages[(villages["name"] == "江口村委会") & (villages["county"] == "鹿寨县")].geometry.iloc[0]
    rep = _rows([["鹿寨江口光伏项目", "江口村", ""],      # a county in the name
                 ["江口乡江口村道路硬化", "江口村", ""],    # a town in the name: its county
                 ["柳州外贸码头（鹿寨江口口岸作业区）", "江口村", ""],  # a port of the gazetteer: its county
                 ["江口村光伏项目", "江口村", ""],          # nothing in the name
                 ["鹿寨三江江口村联网工程", "江口村", ""]])  # two counties in the name: still a tie
    for name in ("鹿寨江口光伏项目", "江口乡江口村道路硬化", "柳州外贸码头（鹿寨江口口岸作业区）"):
        r = rep.loc[name]
        assert (r["status"], r["decided_by"], r["geocode_level"]) == ("matched", "place+name", "village")
        assert (r["lon"], r["lat"]) == pytest.approx((luzhai.x, luzhai.y))
        assert "name:鹿寨县" in r["matched"] and "鹿寨县" in r["reason"]
    assert rep.loc["江口村光伏项目", "status"] == "ambiguous" and rep.loc["江口村光伏项目", "decided_by"] == ""
    assert rep.loc["鹿寨三江江口村联网工程", "status"] == "ambiguous"


def test_name_decides_when_the_place_is_empty_or_unknown(towns):
    rep = _rows([["鹿寨县中渡古镇旅游", "", ""], ["和睦镇农产品加工园", "火星基地", ""],
                 ["某某未知园", "", ""], ["螺蛳粉产业园", "", "柳南区"]])
    for name, town in (("鹿寨县中渡古镇旅游", "中渡镇"), ("和睦镇农产品加工园", "和睦镇")):
        r = rep.loc[name]
        assert (r["status"], r["decided_by"]) == ("matched", "name")
        assert _at(r, towns, town)
        assert all(m.startswith("name:") for m in r["matched"].split("; "))
    assert "place column is empty" in rep.loc["鹿寨县中渡古镇旅游", "reason"]
    assert "'火星基地' is unmatched" in rep.loc["和睦镇农产品加工园", "reason"]
    assert rep.loc["某某未知园", "status"] == "unmatched"
    assert (rep.loc["螺蛳粉产业园", "decided_by"], rep.loc["螺蛳粉产业园", "geocode_level"]) == ("county", "county")


def test_place_column_is_primary():
    rep = _rows([["中渡镇污水处理厂", "鹿寨县", ""], ["三江江口村道路", "江口村", "融安县"]])
    r = rep.loc["中渡镇污水处理厂"]
    assert (r["decided_by"], r["geocode_level"]) == ("place", "county") and "name:" not in r["matched"]
    r = rep.loc["三江江口村道路"]  # the 县区 column, not the name's 三江, resolves the place
    assert r["decided_by"] == "place" and "name:" not in r["matched"]
    assert (r["lon"], r["lat"]) == (geocode("江口村", county="融安县").lon, geocode("江口村", county="融安县").lat)


def test_place_outside_liuzhou_in_a_company_name_is_not_the_site():
    r = _rows([["深圳信炜科技项目", "", "柳州高新区"]]).loc["深圳信炜科技项目"]
    assert (r["status"], r["decided_by"]) == ("matched", "county")
    assert (r["lon"], r["lat"]) == pytest.approx((geocode("柳东新区").lon, geocode("柳东新区").lat))
    assert "深圳市" in r["reason"]


def test_report_says_which_column_decided(utf8):
    gdf, report = utf8
    r = report.set_index("name")
    assert set(report["decided_by"]) <= {"override", "coordinates", "anchor", "place", "place+name", "name", "county", ""}
    assert r.loc["坐标项目甲", "decided_by"] == "coordinates" and r.loc["中渡古镇旅游", "decided_by"] == "place"
    assert ((report["decided_by"] == "") == (report["status"] != "matched")).all()
    assert list(gdf["geocode_decided_by"]) == list(report["decided_by"])


# --------------------------------------------------------------------------- finest consistent level
def _register():
    return pd.read_csv(layers_dir() / "gazetteer" / "village_register.csv", comment="#", dtype=str)


@pytest.mark.parametrize("text", ["三江县良口乡和里村", "良口乡和里村", "三江侗族自治县良口乡和里村委会"])
def test_county_township_village_keeps_the_village(text, towns):
    reg = _register().set_index("short_name")
    assert (reg.loc["和里村", "township"], reg.loc["和里村", "has_point"]) == ("良口乡", "False")
    r = geocode(text)
    # 和里村 has no point of its own: its township's seat, at township level, not the county (72 km)
    assert (r.status, r.place, r.geocode_level) == ("matched", "和里村", "township")
    assert _at(r, towns, "良口乡") and r.precision_m == towns.loc["良口乡", "extent_m"]
    assert r.matched[-1].startswith("和里村")


def test_village_with_a_point_is_kept_under_its_township_and_county():
    villages = load_layer("villages")
    v = villages[(villages["name"] == "平岩村委会") & (villages["township"] == "林溪镇")]
    assert len(v) == 1
    r = geocode("三江县林溪镇平岩村")
    assert (r.place, r.geocode_level) == ("平岩村", "village")
    assert (r.lon, r.lat) == pytest.approx((v.geometry.x.iloc[0], v.geometry.y.iloc[0]))
    assert r.matched == ("三江县→三江侗族自治县", "林溪镇", "平岩村")
    # a village name shared by three counties is resolved by the township named before it
    luzhai = villages[(villages["name"] == "江口村委会") & (villages["county"] == "鹿寨县")].geometry.iloc[0]
    r = geocode("江口乡江口村")
    assert (r.status, r.geocode_level) == ("matched", "village") and (r.lon, r.lat) == pytest.approx((luzhai.x, luzhai.y))


def test_landmark_under_its_township_and_a_station_under_its_town(towns):
    r = geocode("鹿寨县江口乡江口作业区")
    assert r.place == "江口作业区" and _at(r, towns, "江口乡")
    r = geocode("洛埠镇洛埠站")  # the station has no township recorded: its town does not contradict it
    assert (r.place, r.geocode_level) == ("洛埠站", "landmark") and "does not record its township" in r.reason


def test_inconsistent_township_and_village_fall_back_to_the_county_and_say_so():
    reg = _register().set_index("short_name")
    assert reg.loc["和里村", "township"] != "古宜镇"
    seat = load_layer("county_seats").set_index("name").loc["三江侗族自治县"].geometry
    r = geocode("三江县古宜镇和里村")
    assert (r.status, r.place, r.geocode_level) == ("matched", "三江侗族自治县", "county")
    assert (r.lon, r.lat) == pytest.approx((seat.x, seat.y))
    assert "not one inside the other" in r.reason and "良口乡" in r.reason  # where 和里村 really is
    assert r.matched[-1] == "古宜镇+和里村→三江侗族自治县"
    assert geocode("鹿寨县雒容镇江口村").status == "ambiguous"  # different counties: no common area


# --------------------------------------------------------------------------- new districts
def _far_vertex_m(lon, lat, geom):
    return max(GEOD.inv(lon, lat, x, y)[2] for x, y in np.asarray(geom.convex_hull.exterior.coords))


def test_new_district_precision_covers_its_members_and_its_counties(towns):
    gaz = default_gazetteer()
    counties = load_layer("counties").set_index("name")
    for name, county in (("柳东新区", "鱼峰区"), ("北部生态新区", "柳北区")):
        r = geocode(name)
        inside = [p for p in gaz.places if p.has_point and p.district == name and p.kind in ("township", "village")]
        assert len(inside) >= 4
        for p in inside:
            assert GEOD.inv(r.lon, r.lat, p.lon, p.lat)[2] + p.precision_m <= r.precision_m
        # the district's boundary is unknown; it lies in its members' county: the farthest point of that county
        assert r.precision_m == pytest.approx(_far_vertex_m(r.lon, r.lat, counties.loc[county].geometry), rel=0.01)
    assert geocode("柳东新区").precision_m > 30000  # was 6428: 官塘 (in 柳东新区, no point) ~11 km away was not covered


def test_guantang_port_is_the_osm_landmark_inside_the_district():
    # OpenStreetMap knows the port (osm_id 952705380); before it, the port sat at the new district's point
    r, d = geocode("柳州港官塘作业区"), geocode("柳东新区")
    assert (r.geocode_level, r.osm_id, r.precision_m) == ("landmark", "952705380", 1000)
    assert GEOD.inv(r.lon, r.lat, d.lon, d.lat)[2] < d.precision_m  # inside the district's radius
    assert "OpenStreetMap" in r.basis


def test_yanghe_is_at_yanghe_not_in_the_northern_district(towns):
    r = geocode("阳和工业新区")
    assert (r.place, r.geocode_level, r.county) == ("阳和工业新区", "township", "鱼峰区") and _at(r, towns, "阳和街道")
    north = geocode("北部生态新区")
    assert GEOD.inv(r.lon, r.lat, north.lon, north.lat)[2] > 15000
    # the managing body spans both: its precision covers 阳和街道 and 北部生态新区's member towns with their precision
    both = geocode("阳和工业新区（北部生态新区）管委会")
    assert both.place == "阳和工业新区（北部生态新区）" and both.geocode_level == "county"
    for t in ("阳和街道", "沙塘镇", "石碑坪镇"):
        p = towns.loc[t].geometry
        assert GEOD.inv(both.lon, both.lat, p.x, p.y)[2] + towns.loc[t, "precision_m"] <= both.precision_m
    assert "managing body" in both.basis
    # consistent with both areas, not with 柳东新区
    assert geocode("沙塘镇", county="阳和工业新区（北部生态新区）").place == "沙塘镇"
    assert geocode("阳和工业新区", county="阳和工业新区（北部生态新区）").place == "阳和工业新区"
    assert geocode("雒容镇", county="阳和工业新区（北部生态新区）").status == "ambiguous"


# --------------------------------------------------------------------------- matched agrees with the point
def test_text_naming_only_the_city_is_placed_at_the_county_given_without_claiming_the_city():
    r = geocode("柳州市某路", county="柳东新区")
    assert (r.place, r.matched) == ("柳东新区", ()) and "names only 柳州市" in r.reason
    rep = _rows([["东风柳州柳东新基地", "", "柳州高新区"],
                 ["柳南汽车汽配物流产业园", "潭中西路北侧，西与柳州市西山公墓接壤", "柳南区"]])
    r = rep.loc["东风柳州柳东新基地"]  # the name names the OSM plant (in 柳东): the landmark, not the district's point
    assert (r["decided_by"], r["geocode_level"], r["osm_id"]) == ("name", "landmark", "677335834")
    r = rep.loc["柳南汽车汽配物流产业园"]
    assert (r["matched"], r["decided_by"]) == ("name:柳南→柳南区", "county")


def _entry_level(entry: str, r, gaz) -> tuple[int, bool]:
    """Rank of the finest place an entry of ``matched`` may name, and whether one of them is at the point."""
    target = entry.removeprefix("name:").split(" [")[0].split("→")[-1]
    cands = [p for p in gaz.places if p.name == target and p.has_point]
    assert cands, entry
    at = [p for p in cands if (p.lon, p.lat) == (r.lon, r.lat)]
    return min(LEVEL_RANK[p.geocode_level] for p in (at or cands)), bool(at)


def test_finest_matched_name_has_the_returned_level_over_all_plan_rows():
    gaz = default_gazetteer()
    n = 0
    for path in sorted((layers_dir() / "sources").glob("*.csv")):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "name" not in df.columns or "place" not in df.columns:
            continue
        for _, row in df.iterrows():
            r = _geocode_row(row["name"], row["place"], row["anchor"], row["county"] or None, gaz)
            if r.status != "matched":
                continue
            n += 1
            where = f"{path.name} {row['id']} {r.matched}"
            if not r.matched:  # placed at the 县区 column alone
                assert r.decided_by == "county" and r.place == geocode(row["county"]).place, where
                continue
            levels = [_entry_level(e, r, gaz) for e in r.matched]
            assert min(rank for rank, _ in levels) == LEVEL_RANK[r.geocode_level], where
            assert any(at for _, at in levels), where
    assert n > 200
