"""Spatial structures: shipped definitions, geometry, counting, and the validator's errors."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

import gis
from gis import StructureError
from gis.structure import COLUMNS, list_structures, structure, structure_townships, validate_structure_file

from seedtext import F002, F004, SEEDS, needs_seeds

S004 = SEEDS / F004
S002 = SEEDS / F002

EXPECTED_ROLES = {
    ("一核两翼三组团多支点", "004"): {"圈": 1, "核": 1, "翼": 2, "组团": 3, "支点": 22},
    ("一核两翼三组团多支点", "002"): {"核": 1, "翼": 2, "组团": 3, "支点": 36},
    ("一主三新", None): {"主": 1, "新": 3},
    ("一心两副三轴四区", None): {"心": 1, "副": 2, "轴": 3, "区": 4},
    ("一核三区多组团", None): {"核": 1, "区": 3, "组团": 3},
    ("主体功能区", None): {"城市主城区": 1, "重点开发区": 1, "农产品主产区": 1, "生态功能区": 1},
    ("县域产业区域分工", None): {"核": 1, "三角": 1, "带": 1},
    ("一核二园三基地", None): {"核": 1, "园": 2, "基地": 3},
    ("国家物流枢纽两大片区", None): {"片区": 2},
    ("南向北联东融西合", None): {"轴": 4},
    ("四大整车基地", None): {"基地": 4},
    ("一城两翼两轴", None): {"城": 1, "翼": 2, "轴": 2},
}
LIUZHOU = ["450202", "450203", "450204", "450205", "450206",  # the five districts first
           "450222", "450223", "450224", "450225", "450226"]


@pytest.fixture(scope="module")
def counties() -> gpd.GeoDataFrame:
    return gis.load_layer("counties").set_index("adcode")


@pytest.fixture(scope="module")
def towns() -> gpd.GeoDataFrame:
    return gis.load_layer("townships")


def _area_km2(geoms) -> float:
    return float(gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs("EPSG:4545").area.sum()) / 1e6


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --------------------------------------------------------------------------- shipped structures

def test_every_shipped_structure_is_listed_and_loads_with_the_counts_of_the_text():
    table = list_structures()
    listed = {(n, v if isinstance(v, str) else None) for n, v in zip(table["name"], table["variant"])}
    assert listed == set(EXPECTED_ROLES)
    for (name, variant), roles in EXPECTED_ROLES.items():
        gdf = structure(name, variant=variant)
        assert gdf.crs.to_epsg() == 4326
        assert list(gdf.columns) == COLUMNS
        assert gdf["role"].value_counts().to_dict() == roles, name
        assert gdf["element_id"].is_unique
        assert gdf.geometry.is_valid.all() and not gdf.geometry.is_empty.any()
        assert (gdf["member_count"] >= 1).all()
        assert gdf["quote"].str.len().gt(0).all() and gdf["section"].str.len().gt(0).all()
        assert set(gdf["geometry_basis"]) <= {"admin_boundary", "township_seat", "schematic", "plan_feature"}


def test_default_variant_is_the_urbanisation_plan_and_gis_structure_stays_callable():
    first = gis.structure("一核两翼三组团多支点")
    again = gis.structure("一核两翼三组团多支点")  # after the submodule import rebinds gis.structure
    assert first["variant"].unique().tolist() == ["004"]
    assert again.equals(first)
    again.loc[0, "name"] = "changed"  # a copy: the cached result is not mutated
    assert gis.structure("一核两翼三组团多支点").loc[0, "name"] == "柳州都市圈"


@needs_seeds
def test_every_quote_is_verbatim_in_its_source_file():
    texts = {p.name: _bare(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")}
    for (name, variant) in EXPECTED_ROLES:
        gdf = structure(name, variant=variant)
        for row in gdf.itertuples():
            assert _bare(row.quote) in texts[row.source_file], (name, row.element_id)


@needs_seeds
def test_004_key_towns_are_the_22_of_chapter_6_in_order():
    text = _bare(S004.read_text(encoding="utf-8"))
    listed = re.search(r"统筹推动([^，。]+?)等重点小城镇建设", text).group(1).split("、")
    gdf = structure("一核两翼三组团多支点", variant="004")
    nodes = gdf[gdf["role"] == "支点"]
    assert len(listed) == 22
    assert nodes["name"].tolist() == listed
    assert (nodes.geom_type == "Point").all()


@needs_seeds
def test_002_key_towns_are_the_36_of_box_5_each_in_the_county_the_text_gives(towns, counties):
    text = S002.read_text(encoding="utf-8")
    box = text.split("专栏5：重点镇乡名录")[1].split("第四节")[0]
    expected = {}
    for county, names in re.findall(r"(\S+?[区县])：(\S+)", box):
        for town in names.split("、"):
            expected[town] = county
    assert len(expected) == 36
    nodes = structure("一核两翼三组团多支点", variant="002").query("role == '支点'")
    assert set(nodes["name"]) == set(expected)
    by_code = towns.set_index("code")
    for row in nodes.itertuples():
        code = re.search(r"\((\d{12})\)", row.members).group(1)
        assert by_code.at[code, "name"] == row.name
        assert counties.at[by_code.at[code, "county_adcode"], "name"] == expected[row.name]
        assert row.geometry.equals(by_code.at[code, "geometry"])


def test_dissolved_polygons_have_the_area_of_their_member_counties(counties):
    neighbours = gis.load_layer("neighbours").set_index("adcode")
    admin = gpd.GeoDataFrame(
        {"geometry": list(counties.geometry) + list(neighbours.geometry)},
        index=list(counties.index) + list(neighbours.index), crs="EPSG:4326")
    for (name, variant) in EXPECTED_ROLES:
        gdf = structure(name, variant=variant)
        for row in gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])].itertuples():
            codes = re.findall(r"\((\d{6})\)", row.members)
            assert len(codes) == row.member_count
            union = _area_km2([shapely.union_all(admin.loc[codes].geometry.to_numpy())])
            assert _area_km2([row.geometry]) == pytest.approx(union, rel=1e-6), (name, row.element_id)
    # the core of 004 against the counties layer's own area_km2 of the five districts
    core = structure("一核两翼三组团多支点").set_index("element_id").geometry["he"]
    five = counties.loc[["450202", "450203", "450204", "450205", "450206"], "area_km2"].sum()
    assert _area_km2([core]) == pytest.approx(five, rel=2e-3)


@pytest.mark.parametrize("name", ["主体功能区", "县域产业区域分工"])
def test_county_divisions_partition_the_city(name, counties):
    gdf = structure(name)
    codes = [c for members in gdf["members"] for c in re.findall(r"\((\d{6})\)", members)]
    assert sorted(codes) == LIUZHOU  # every county once
    city = gis.load_layer("city")
    assert _area_km2(gdf.geometry) == pytest.approx(_area_km2(city.geometry), rel=2e-3)
    overlap = _area_km2([shapely.intersection(a, b) for i, a in enumerate(gdf.geometry)
                         for b in gdf.geometry.iloc[i + 1:]])
    assert overlap < 0.01


def test_axes_run_through_their_places_in_the_order_of_the_text(towns):
    axes = structure("一心两副三轴四区").set_index("element_id")
    north = axes.geometry["zhou_north"]
    seat = towns.set_index("name").geometry
    expected = [seat[t] for t in ("城中街道", "融水镇", "长安镇", "古宜镇")]
    assert [shapely.Point(c) for c in north.coords] == expected
    lats = [c[1] for c in north.coords]
    assert lats == sorted(lats)  # 柳州 → 融水 → 融安 → 三江 runs north
    neighbours = gis.load_layer("neighbours").set_index("name").geometry
    laibin = shapely.Point(axes.geometry["zhou_laibin"].coords[-1])
    assert neighbours["兴宾区"].contains(laibin)
    west = [shapely.Point(c) for c in axes.geometry["zhou_hechi"].coords]
    assert neighbours["宜州区"].contains(west[1]) and neighbours["金城江区"].contains(west[2])
    assert west[0].x > west[1].x > west[2].x  # 柳州 → 宜州 → 金城江 runs west
    assert set(axes.loc[axes["role"] == "轴", "geometry_basis"]) == {"schematic"}


# --------------------------------------------------------------------------- new districts, counted once

def test_a_town_run_by_a_new_district_counts_once_in_the_new_district(towns):
    gdf = structure("一主三新").set_index("element_id")
    assigned = structure_townships("一主三新").set_index("name")
    for town, element in [("雒容镇", "xin_liudong"), ("洛埠镇", "xin_liudong"),
                          ("沙塘镇", "xin_yanghe"), ("石碑坪镇", "xin_yanghe"), ("阳和街道", "xin_yanghe")]:
        assert assigned.at[town, "element_id"] == element
    liudong = gdf.geometry["xin_liudong"]
    assert liudong.geom_type == "MultiPoint" and gdf.at["xin_liudong", "geometry_basis"] == "township_seat"
    # 阳和工业新区 lies at 阳和 (阳和街道, 鱼峰区): the text's 三新 include it
    assert gdf.at["xin_yanghe", "members"].count("阳和街道") == 1 and gdf.at["xin_yanghe", "township_count"] == 3
    # independent count: townships of the four old districts minus the four run by new districts and 阳和街道
    old = towns["county_adcode"].isin(["450202", "450203", "450204", "450205"])
    assert gdf.at["zhu", "township_count"] == old.sum() - towns["managing_district"].notna().sum() - 1
    assert gdf.at["xin_liujiang", "township_count"] == (towns["county_adcode"] == "450206").sum()
    # every township of the central city counts in exactly one element
    central = assigned[assigned["county_adcode"].isin(LIUZHOU[:5])]
    assert central["element_id"].notna().all()
    assert gdf["township_count"].sum() == len(central)


def test_004_core_holds_the_new_district_towns_and_every_liuzhou_town_counts_once(towns):
    gdf = structure("一核两翼三组团多支点").set_index("element_id")
    assigned = structure_townships("一核两翼三组团多支点").set_index("code")
    assert assigned.at["450203101000", "element_id"] == "he"  # 雒容镇
    assert gdf["township_count"].sum() == len(towns) == 118
    assert gdf.at["quan", "township_count"] == 0  # the 核/翼/组团 cover the whole city
    assert gdf.at["he", "township_count"] == towns["county_adcode"].isin(LIUZHOU[:5]).sum()
    logistics = structure("一核三区多组团").set_index("element_id")
    assert logistics.loc[["qu_liudong", "qu_beibu"], "township_count"].tolist() == [2, 2]
    assert logistics["township_count"].sum() == 118


# --------------------------------------------------------------------------- errors

def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "test_structure.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


GOOD_HEAD = """\
name: 测试
title: 测试
source_file: 004_9db75a2811220992.txt
section: 第二篇
description: a test
elements:
"""


def test_unknown_structure_names_the_known_ones():
    with pytest.raises(StructureError, match="一主三新") as info:
        structure("一核两翼")
    assert "一核两翼三组团多支点" in str(info.value)
    with pytest.raises(StructureError, match="'004'"):
        structure("一核两翼三组团多支点", variant="003")


def test_unmatched_member_names_file_element_and_suggestion(tmp_path):
    path = _write(tmp_path, GOOD_HEAD + """\
      - {id: a, name: 雒荣镇, role: 支点, geometry: point, members: [{place: 雒荣镇}], section: s, quote: q}
    """)
    with pytest.raises(StructureError) as info:
        validate_structure_file(path)
    message = str(info.value)
    assert str(path) in message and "element 'a' (雒荣镇)" in message
    assert "matches nothing" in message and "雒容镇" in message


def test_all_problems_of_a_file_are_reported_together(tmp_path):
    path = _write(tmp_path, GOOD_HEAD.replace("title: 测试\n", "") + """\
      - {id: a, name: 柳城县, role: 翼, geometry: polygon, members: [{adcode: "450222"}], section: s, quote: q}
      - {id: a, name: 鹿寨县, role: 翼, geometry: blob, members: [{adcode: "450223"}], section: s, quote: q}
      - {id: c, name: 融水, role: 组团, geometry: polygon, members: [{place: 融水}], section: s}
      - {id: d, name: 线, role: 轴, geometry: line, members: [{adcode: "999999"}], section: s, quote: q}
    """)
    with pytest.raises(StructureError) as info:
        validate_structure_file(path)
    message = str(info.value)
    assert str(path) in message
    assert "structure: missing key(s) title" in message
    assert "element 'a': id used 2 times" in message
    assert "element 'a' (鹿寨县): unknown geometry 'blob'" in message
    assert "element 'c' (融水): missing key(s) quote" in message
    assert "is ambiguous" in message and "railway_stations" in message  # 融水 the county and the station
    assert "element 'd' (线): member adcode: 999999 matches nothing" in message
    assert "a line needs at least two ordered members" in message
    assert "7 problem(s)" in message


def test_malformed_yaml_and_a_county_drawn_as_a_point(tmp_path):
    broken = _write(tmp_path, "name: [unclosed\n")
    with pytest.raises(StructureError, match="is not valid YAML") as info:
        validate_structure_file(broken)
    assert str(broken) in str(info.value)
    wrong = _write(tmp_path, GOOD_HEAD + """\
      - {id: w, name: 柳城县, role: 翼, geometry: point, members: [{adcode: "450222"}], section: s, quote: q}
    """)
    with pytest.raises(StructureError, match="element 'w' .*use geometry: polygon"):
        validate_structure_file(wrong)


def test_a_town_claimed_by_two_territories_is_refused(tmp_path):
    path = _write(tmp_path, GOOD_HEAD + """\
      - {id: a, name: 柳东新区, role: 新, geometry: point, territory: true, members: [{managed_by: 柳东新区}],
         section: s, quote: q}
      - {id: b, name: 雒容, role: 区, geometry: point, territory: true, members: [{township: "450203101000"}],
         section: s, quote: q}
    """)
    with pytest.raises(StructureError, match="element 'b': township 雒容镇 is already counted in 'a'"):
        validate_structure_file(path)


def test_a_valid_file_resolves_townships_by_code_and_by_name_within_a_county(tmp_path):
    path = _write(tmp_path, GOOD_HEAD + """\
      - {id: t, name: 两镇, role: 支点, geometry: point,
         members: [{township: "450203101000"}, {township: 凤山镇, county: 柳城}], section: s, quote: q}
    """)
    data = validate_structure_file(path)
    assert [len(p) for p in data["elements"][0]["_positions"]] == [1, 1]


# --------------------------------------------------------------------------- structures of plan features

@needs_seeds
def test_railway_port_members_are_the_facilities_the_text_names():
    text = _bare(S002.read_text(encoding="utf-8"))
    core = re.search(r"“一核”为(.+?)，", text).group(1)
    parks = re.findall(r"(?:“二园”分别为：|；)([^；：，]+?园)，核心策略", text)
    bases = re.findall(r"(?:“三基地”分别为：|；)([^；：，]+?基地)，核心策略", text)
    assert core == "柳州西鹅铁路物流中心" and len(parks) == 2 and len(bases) == 3
    gdf = structure("一核二园三基地")
    assert gdf.loc[gdf["role"] == "核", "name"].tolist() == [core]
    assert gdf.loc[gdf["role"] == "园", "name"].tolist() == parks
    assert gdf.loc[gdf["role"] == "基地", "name"].tolist() == bases
    # each element stands where the logistics layer places its facility, with that feature's precision
    log = gis.load_layer("logistics").set_index("id")
    for row in gdf.itertuples():
        fid = re.search(r"\((LOG-[A-Z]-\d{3})\)", row.members).group(1)
        assert row.geometry.equals(log.loc[fid].geometry) and row.precision_m == log.loc[fid, "precision_m"]
        assert row.geometry_basis == "plan_feature"


def test_axes_of_the_four_directions_are_the_channel_lines():
    gdf = structure("南向北联东融西合").set_index("element_id")
    cor = gis.load_layer("corridors").set_index("id")
    for element, prefix in (("nanxiang", "南向"), ("beilian", "北联"), ("dongrong", "东融"), ("xihe", "西合")):
        ids = re.findall(r"CH-3-2-\d+[ab]?", gdf.at[element, "members"])
        # every located channel listed under that heading of 专栏3-2 is a member, and nothing else
        expect = sorted(i for i, n in cor["name"].items() if str(i).startswith("CH-3-2-") and f"·{prefix}通道·" in n)
        assert sorted(ids) == expect, element
        length = sum(cor.loc[i].geometry.length for i in ids)
        assert gdf.at[element, "geometry"].length == pytest.approx(length)


def test_vehicle_bases_and_hub_areas():
    bases = structure("四大整车基地")
    assert bases["name"].tolist() == ["一汽解放柳州项目", "广汽新能源整车项目", "上汽通用五菱宝骏基地", "东风柳州柳东新基地"]
    areas = structure("国家物流枢纽两大片区").set_index("element_id")
    assert areas.at["xie", "member_count"] == 5 and areas.at["guantang", "member_count"] == 4
    assert "LOG-T-030" in areas.at["guantang", "members"]


def test_a_feature_member_needs_a_plan_layer_and_an_existing_id(tmp_path):
    path = _write(tmp_path, GOOD_HEAD + """\
      - {id: a, name: x, role: 核, geometry: point, geometry_basis: plan_feature,
         members: [{feature: LOG-T-999, layer: logistics}], section: s, quote: q}
      - {id: b, name: y, role: 核, geometry: point, geometry_basis: plan_feature,
         members: [{feature: LOG-T-001}], section: s, quote: q}
      - {id: c, name: z, role: 核, geometry: point, members: [{feature: LOG-T-001, layer: logistics}], section: s, quote: q}
    """)
    with pytest.raises(StructureError) as info:
        validate_structure_file(path)
    message = str(info.value)
    assert "LOG-T-999" in message and "matches nothing in the ids of plan layer logistics" in message
    assert "a feature member needs layer" in message
    assert "element 'c' (z): the members are plan features; set geometry_basis: plan_feature" in message
