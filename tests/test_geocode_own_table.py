"""A planner's own workbook (issue 17 item 1): typos of township names, an unknown 片区, a 合计 row, units in headers.

The workbook is written here the way planners hold it (项目名称, 建设地点, 总投资(万元), 用地面积(亩), 建设状态) and
geocoded by ``gis.geocode_table`` and by ``lzgis geocode``; the points are checked against the townships layer.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyproj
import pytest
from click.testing import CliRunner

from gis import load_layer
from gis._columns import column_title, value_title
from gis.cli import cli
from gis.gazetteer import default_gazetteer
from gis.geocode import TABLE_STATUSES, geocode, geocode_table
from gis.review import area_unit_of
from gis.units import header_unit

GEOD = pyproj.Geod(ellps="WGS84")

ROWS = [  # 项目名称, 建设地点, 总投资(万元), 用地面积(亩), 建设状态
    ("进德镇农产品加工园", "柳江区 进得镇", "12000", "150", "在建"),
    ("黄冕镇林产品加工项目", "鹿寨县黄免镇", "8000", "90", "新建"),
    ("官塘片区标准厂房", "柳东新区官塘片区", "30000", "300", "在建"),
    ("雒容镇物流中心", "柳东新区雒容镇", "5000", "60", "新建"),
    ("和睦镇污水处理厂", "融水县和睦镇", "2500", "20", "在建"),
    ("怀化飞地园区合作项目", "湖南省怀化市", "6000", "", "前期"),
    ("待定选址项目", "", "1500", "10", "前期"),
    ("拉堡镇安置小区", "柳江区拉堡镇", "9000", "75", "在建"),
    ("沙塘镇农业示范园", "柳北区沙塘镇", "4000", "200", "新建"),
    ("大埔镇工业集中区配套", "柳城县大埔镇", "7000", "120", "前期"),
]
TOTAL = ("合计", "", str(sum(int(r[2]) for r in ROWS)), str(sum(int(r[3] or 0) for r in ROWS)), "")


def write_workbook(folder: Path, *, total: tuple = TOTAL) -> Path:
    frame = pd.DataFrame([*ROWS, total], columns=["项目名称", "建设地点", "总投资(万元)", "用地面积(亩)", "建设状态"])
    path = folder / "重点项目.xlsx"
    frame.to_excel(path, index=False)
    return path


@pytest.fixture(scope="module")
def geocoded(tmp_path_factory):
    path = write_workbook(tmp_path_factory.mktemp("own"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf, report = geocode_table(path)
    return path, gdf, report.set_index("name")


def township_point(name: str):
    towns = load_layer("townships")
    return towns.loc[towns["name"] == name].geometry.item()


def metres(point, other) -> float:
    return GEOD.inv(point.x, point.y, other.x, other.y)[2]


@pytest.mark.parametrize("project, typo, right", [("进德镇农产品加工园", "进得镇", "进德镇"),
                                                  ("黄冕镇林产品加工项目", "黄免镇", "黄冕镇")])
def test_township_typo_is_corrected_within_its_county(geocoded, project, typo, right):
    _, gdf, report = geocoded
    rec = report.loc[project]
    assert rec["status"] == "matched" and rec["geocode_level"] == "township"
    assert rec["flags"].split(";") == ["corrected"]
    assert f"{typo} → {right}" in rec["reason"] and rec["reason_zh"].startswith(f"更正错字：{typo} → {right}")
    feature = gdf.loc[gdf["项目名称"] == project].iloc[0]
    assert metres(feature.geometry, township_point(right)) < 1.0
    # the precision is the corrected township's, not the county's 43-47 km
    right_place = next(p for p in default_gazetteer().lookup(right) if p.kind == "township")
    assert rec["precision_m"] == right_place.precision_m < 20_000


def test_unknown_area_stays_at_the_district_and_says_so(geocoded):
    # 官塘 in the gazetteer is a port (官塘作业区, a landmark) and a village of 柳江区 百朋镇: neither is 官塘片区
    _, gdf, report = geocoded
    rec = report.loc["官塘片区标准厂房"]
    assert rec["status"] == "matched" and rec["geocode_level"] == "county"
    assert "unrecognised:官塘片区" in rec["flags"].split(";") and "corrected" not in rec["flags"]
    assert "未识别：官塘片区" in rec["reason"] and "只定位到柳东新区" in rec["reason"]
    assert gdf.loc[gdf["项目名称"] == "官塘片区标准厂房", "flags"].item() == rec["flags"]


def test_exact_names_are_never_corrected(geocoded):
    _, _, report = geocoded
    for project, town in [("雒容镇物流中心", "雒容镇"), ("和睦镇污水处理厂", "和睦镇"), ("拉堡镇安置小区", "拉堡镇"),
                          ("沙塘镇农业示范园", "沙塘镇"), ("大埔镇工业集中区配套", "大埔镇")]:
        rec = report.loc[project]
        assert rec["status"] == "matched" and rec["flags"] == "", project
        assert rec["matched"].endswith(town)
    # every township of the layer, written with its county, is read as itself and flagged nothing
    towns = load_layer("townships")
    for _, t in towns.iterrows():
        r = geocode(f"{t['county']}{t['name']}")
        assert r.place == t["name"] and r.flags == (), t["name"]


def test_slips_are_not_corrected_across_counties_or_when_two_fit():
    # 进德镇 lies in 柳江区: 柳城县进得镇 is not corrected to it
    r = geocode("柳城县进得镇")
    assert r.place == "柳城县" and "corrected" not in r.flags and "unrecognised:进得镇" in r.flags
    # no county named: a hint, no correction
    r = geocode("进得镇")
    assert r.status == "unmatched" and r.flags == ("unrecognised:进得镇",) and "进德镇" in r.note
    # a town no edit away from any of the county's: unread, no candidates, the county's point
    r = geocode("融安县火星镇")
    assert r.place == "融安县" and r.flags == ("unrecognised:火星镇",) and r.candidates == ()
    assert "地名库中没有" in r.note


def test_ambiguous_slip_lists_both_candidates():
    gaz = default_gazetteer()
    # find a county with two townships one substitution apart from a made-up name (X镇 vs Y镇 sharing a stem)
    towns = [p for p in gaz.places if p.kind == "township" and p.name.endswith("镇") and len(p.name) == 3]
    pairs = [(a, b) for a in towns for b in towns if a.county == b.county and a.name < b.name and a.name[1] == b.name[1]]
    if not pairs:
        pytest.skip("no two townships of one county share their second character")
    a, b = pairs[0]
    text = f"{a.county}Ж{a.name[1:]}"  # one substitution from both
    r = geocode(text)
    assert "corrected" not in r.flags and f"unrecognised:Ж{a.name[1:]}" in r.flags
    assert {a.label(), b.label()} <= set(r.candidates)


def test_total_row_is_skipped_and_not_a_feature(geocoded):
    _, gdf, report = geocoded
    assert len(report) == len(ROWS) + 1 and list(report["row"]) == list(range(2, len(ROWS) + 3))
    rec = report.loc["合计"]
    assert rec["status"] == "skipped" and rec["flags"] == "total_row" and rec["reason_zh"].startswith("合计行，不是项目")
    assert set(report["status"]) <= set(TABLE_STATUSES)
    assert len(gdf) == len(ROWS) and "合计" not in set(gdf["项目名称"])


def test_a_row_of_sums_without_a_name_is_skipped(tmp_path):
    unnamed = ("", "", TOTAL[2], TOTAL[3], "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf, report = geocode_table(write_workbook(tmp_path, total=unnamed))
    last = report.iloc[-1]
    assert last["status"] == "skipped" and "总投资(万元)、用地面积(亩)等于上方10行之和" in last["reason_zh"]
    assert len(gdf) == len(ROWS)


def test_outside_and_empty_rows(geocoded):
    _, gdf, report = geocoded
    out = report.loc["怀化飞地园区合作项目"]
    assert out["status"] == "matched" and "outside_liuzhou" in out["flags"].split(";")
    assert bool(gdf.loc[gdf["项目名称"] == "怀化飞地园区合作项目", "outside_liuzhou"].item())
    assert not gdf.loc[gdf["项目名称"] == "雒容镇物流中心", "outside_liuzhou"].item()
    assert report.loc["待定选址项目", "status"] in ("unmatched", "matched")  # the name names no place: unmatched
    assert report.loc["待定选址项目", "status"] == "unmatched"


def test_unit_columns_are_added_not_overwritten(geocoded):
    _, gdf, _ = geocoded
    row = gdf.loc[gdf["项目名称"] == "进德镇农产品加工园"].iloc[0]
    assert row["总投资(万元)"] == "12000"  # the user's column as written
    assert row["investment_wan"] == 12000.0
    assert row["area_mu"] == pytest.approx(150.0) and row["area_ha"] == pytest.approx(10.0)
    frame = pd.DataFrame({"项目名称": ["甲"], "建设地点": ["柳江区拉堡镇"], "投资(亿元)": ["2.5"],
                          "面积(公顷)": ["3"], "area_ha": ["keep"]})
    gdf2, _ = geocode_table(frame)
    assert gdf2["investment_wan"].item() == 25000.0 and gdf2["area_ha"].item() == "keep"
    assert gdf2["area_mu"].item() == pytest.approx(45.0)


def test_header_units_agree_with_review():
    for header, unit in [("用地面积(亩)", "mu"), ("面积(公顷)", "ha"), ("占地(平方米)", "m2"), ("面积(km²)", "km2"),
                         ("面积（平方公里）", "km2")]:
        assert header_unit(header).unit == area_unit_of(header) == unit
    assert header_unit("总投资（亿元）").factor == 10000 and header_unit("投资(元)").factor == pytest.approx(1e-4)


def test_cli_writes_flags_and_counts_skipped(tmp_path):
    path = write_workbook(tmp_path)
    out = tmp_path / "项目定位.gpkg"
    result = CliRunner().invoke(cli, ["geocode", str(path), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "skipped 1" in result.output and "corrected one-character slips (flag corrected, 更正错字): 2" in result.output
    back = gpd.read_file(out)
    assert len(back) == len(ROWS) and "合计" not in set(back["项目名称"])
    flags = dict(zip(back["项目名称"], back["flags"].fillna("")))
    assert flags["进德镇农产品加工园"] == "corrected" and "unrecognised:官塘片区" in flags["官塘片区标准厂房"]
    assert back["outside_liuzhou"].astype(bool).sum() == 1
    # the written report reads in Chinese (layers/columns.yaml): 定位状态 跳过, 原因 合计行，不是项目 / 更正错字 …
    report = pd.read_csv(tmp_path / "项目定位.report.csv", encoding="utf-8-sig").set_index(column_title("name"))
    status, why = column_title("status"), column_title("reason_zh")
    assert len(report) == len(ROWS) + 1 and (report[status] == value_title("status", "skipped")).sum() == 1
    assert report.loc["合计", why].startswith("合计行，不是项目")
    assert report.loc["进德镇农产品加工园", why].startswith("更正错字：进得镇 → 进德镇")
    assert report.loc["官塘片区标准厂房", why].startswith("未识别：官塘片区")
    for suffix in (".geojson", ".csv"):
        other = tmp_path / f"项目定位{suffix}"
        res = CliRunner().invoke(cli, ["geocode", str(path), "-o", str(other), "--overwrite"], catch_exceptions=False)
        assert res.exit_code == 0, res.output
        text = other.read_text(encoding="utf-8-sig")
        assert "unrecognised:官塘片区" in text and "outside_liuzhou" in text
    assert json.loads((tmp_path / "项目定位.geojson").read_text(encoding="utf-8"))["features"][0]["properties"]["flags"] == "corrected"


def test_totals_of_a_long_table_read_past_the_first_cells():
    """The totals check reads each distinct cell once, in growing chunks: a text cell far down still makes a column
    not numeric, and the sums of 200 rows above are still found (no name column: the text column is the label)."""
    from gis._geocode_table import total_rows

    n = 200
    invest = [str(10 + i) for i in range(n)]
    area = [f"{1.5 + i:.1f}" for i in range(n)]
    note = [str(i) for i in range(n - 1)] + ["待定"]  # numbers but the last: not a numeric column
    label = [f"项目{i}" for i in range(n)]
    sums = [str(sum(10 + i for i in range(n))), f"{sum(1.5 + i for i in range(n)):.1f}", "", ""]
    t = pd.DataFrame({"序号": note + [""], "投资": invest + [sums[0]], "面积": area + [sums[1]], "说明": label + ["合计"]})
    assert total_rows(t, name_col=None) == {n: f"合计行，不是项目（说明为“合计”）"}
    t["说明"] = label + [""]
    assert total_rows(t, name_col=None) == {n: f"合计行，不是项目（投资、面积等于上方{n}行之和）"}
    t.loc[n, "面积"] = "1"
    assert total_rows(t, name_col=None) == {}
