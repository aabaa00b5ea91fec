"""Checks of the hand-transcribed logistics plan tables (``layers/sources/*_logistics_plan.*``).

The lists of 柳州市物流业发展“十四五”规划 (seed 002) are re-extracted from the seed text with small regexes — the
annex 「“十四五”柳州市重点物流项目表」 table by table, the 专栏3-x, 4-x and 5-x item lists — and compared with the
transcribed rows, so a dropped, renamed or invented entity fails.  Every row must point at a seed line holding its
name (or, for corridors, its quote); numbers and status words must be usable by the plans builder.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "layers" / "sources"
SHARED = Path(os.environ.get("LZGIS_SHARED") or REPO.parent / "shared")
SEED = SHARED / "seeds" / "002_cea03bdf2b5fe175.txt"
TOWNSHIPS_JSON = SHARED / "data" / "townships" / "quhua_townships_4502.json"
LOGISTICS_CSV = SOURCES / "logistics_logistics_plan.csv"
CORRIDORS_YAML = SOURCES / "corridors_logistics_plan.yaml"

HEADER = ["id", "name", "category", "type", "county", "place", "anchor", "status_zh", "role", "area_mu", "area_km2",
          "investment_yi", "period", "description", "source_file", "section", "source_line"]
CORRIDOR_KEYS = {"id", "name", "mode", "places", "status_zh", "length_km", "investment_yi", "description",
                 "source_file", "section", "source_line", "quote"}
CORRIDOR_MODES = {"expressway", "highway", "railway", "high_speed_railway", "waterway", "airport", "pipeline", "axis"}
ANNEX = "物流规划·附件“十四五”柳州市重点物流项目表·"

# Hand-counted rows of the nine county tables of the annex (seed lines 643-732).
ANNEX_COUNTS = {"柳南区": 11, "柳北区": 6, "柳江区": 9, "柳东新区": 8, "柳城县": 4, "鹿寨县": 5, "融安县": 4,
                "融水苗族自治县": 2, "三江侗族自治县": 4}

# The status words of the logistics plan as transcribed, by the class the builder should give them.
STATUS_VOCAB = {
    "existing": {"已建成", "建成", "投入使用", "顺利开港", "扩大规模", "常态化运行"},
    "under_construction": {"在建", "续建", "正在建设", "开工建设", "加快推进", "加快", "重点推进", "推进建设",
                           "加快完成", "继续推动", "继续推进", "改造提升"},
    "planned": {"新建", "规划", "启动建设", "重点建设", "建设", "大力推动", "适时启动", "打造", "推出", "探索开通",
                "前期研究", "前期工作"},
    "reserve": {"预备", "储备"},
}
ALL_STATUS = set().union(*STATUS_VOCAB.values())
OCR_SLIPS = {"雒容": "雉容"}  # right -> as printed

pytestmark = pytest.mark.skipif(not SEED.is_file(), reason=f"seed text not found at {SEED}")


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s)


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return SEED.read_text(encoding="utf-8").split("\n")


@pytest.fixture(scope="module")
def plan_text(lines: list[str]) -> str:
    """The logistics plan: from its title (line 78) to the end of its annex (line 732)."""
    start = next(i for i, t in enumerate(lines) if t.startswith("## 柳州市物流业发展“十四五”规划"))
    end = next(i for i, t in enumerate(lines) if i > start and t.startswith("# 柳州市人民政府办公室关于印发"))
    return _norm("\n".join(lines[start:end]))


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with LOGISTICS_CSV.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == HEADER
        return list(reader)


@pytest.fixture(scope="module")
def corridors() -> list[dict]:
    data = yaml.safe_load(CORRIDORS_YAML.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


def _annex_from_seed(lines: list[str]) -> list[tuple[str, str, str, str, int]]:
    """(county, name, 类型, 建设性质, line) of every project row of the annex, parsed from the seed."""
    out, county, inside = [], None, False
    for n, text in enumerate(lines, 1):
        if text.startswith("“十四五”柳州市重点物流项目表"):
            inside = True
            continue
        if inside and text.startswith("# "):
            break
        if not inside:
            continue
        m = re.match(r"^“十四五”(\S+?)重点物流项目表", text.strip())
        if m:
            county = m.group(1)
            continue
        m = re.match(r"^(\d+)\t([^\t]+)\t(\S+型|国家物流枢纽)[\t ]+(\S+)\t", text)
        if m:
            out.append((county, _norm(m.group(2)), m.group(3), m.group(4), n))
    return out


def _sections(row: dict) -> list[str]:
    return row["section"].split("；")


# ---------------------------------------------------------------- the annex table

def test_annex_has_the_hand_counted_rows(lines):
    parsed = _annex_from_seed(lines)
    counts: dict[str, int] = {}
    for county, *_ in parsed:
        counts[county] = counts.get(county, 0) + 1
    assert counts == ANNEX_COUNTS
    assert len(parsed) == 53


def test_every_annex_row_is_transcribed_once_with_type_and_status(lines, rows):
    parsed = _annex_from_seed(lines)
    in_csv = {}
    for r in rows:
        anx = [s for s in _sections(r) if s.startswith(ANNEX)]
        if r["id"].startswith("LOG-T-"):
            assert len(anx) == 1, r["id"]
            key = (anx[0][len(ANNEX):], _norm(r["name"]))
            assert key not in in_csv, f"annex row transcribed twice: {key}"
            in_csv[key] = r
    assert set(in_csv) == {(c, n) for c, n, *_ in parsed}
    for county, name, typ, status, line in parsed:
        r = in_csv[(county, name)]
        assert (r["county"], r["type"], r["status_zh"], int(r["source_line"])) == (county, typ, status, line), name


def test_annex_numbers_are_the_printed_ones(lines, rows):
    annex = [r for r in rows if r["id"].startswith("LOG-T-")]
    for r in annex:
        text = _norm(lines[int(r["source_line"]) - 1])
        for col, unit in (("area_mu", "亩"), ("area_km2", "平方公里"), ("investment_yi", "亿元")):
            if r[col]:
                # the number is printed on the row's line and followed by its unit within a few characters
                assert re.search(re.escape(r[col]) + r"(\.0+)?\D{0,3}" + unit, text) or (
                    col == "area_mu" and re.search(r"\t" + re.escape(r[col]) + r"\t", lines[int(r["source_line"]) - 1])
                ), (r["id"], col, r[col])
    # hand-checked values
    by_name = {r["name"]: r for r in annex}
    assert by_name["柳州西鹅铁路物流中心"]["area_mu"] == "4300"
    assert by_name["广西鹿寨桂中现代林业科技产业园"]["area_mu"] == "23000"
    assert by_name["官塘多式联运物流基地"]["area_km2"] == "4.2"
    assert by_name["柳东汽车零部件供应链产业（广西）服务基地"]["area_mu"] == "669"  # the 占地面积 column: 489 + 180
    assert by_name["柳州毅德城"]["investment_yi"] == "68"
    assert by_name["苏宁易购桂北电商产业园项目（一期）"]["investment_yi"] == "1.16"
    assert sum(float(r["investment_yi"]) for r in annex if r["investment_yi"]) == pytest.approx(198.46)  # 29.3 柳南 + 106 柳江 + 32.16 柳东 + 21 鹿寨 + 10 融安
    assert sum(1 for r in annex if r["investment_yi"]) == 14


# ---------------------------------------------------------------- every logistics row

def test_rows_cite_a_seed_line_holding_their_name(lines, rows):
    for r in rows:
        assert r["source_file"] == SEED.name, r["id"]
        assert r["section"] and all(s.startswith("物流规划·") for s in _sections(r)), r["id"]
        n = int(r["source_line"])
        assert 78 <= n <= 732, r["id"]
        assert _norm(r["name"]) in _norm(lines[n - 1]), (r["id"], r["name"], n)


def test_ids_unique_and_well_formed(rows, corridors):
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"LOG-[TSL]-\d{3}", i) for i in ids)
    cids = [c["id"] for c in corridors]
    assert len(cids) == len(set(cids))
    # cross references in descriptions point at existing rows or corridors
    known = set(ids) | set(cids)
    for text in [r["description"] for r in rows] + [c["description"] for c in corridors]:
        for ref in re.findall(r"\b(?:LOG-[TSL]-\d{3}|(?:CH|RD|AX|RAIL|EXP|HWY|WAT|AIR|PIPE)-[0-9X][-0-9a-e]*[0-9a-e])", text):
            assert ref in known, ref


def test_numbers_parse_and_status_words_are_known(rows, corridors):
    for r in rows:
        for col in ("area_mu", "area_km2", "investment_yi"):
            if r[col]:
                assert float(r[col]) > 0, (r["id"], col)
        assert r["period"] == "" or re.fullmatch(r"\d{4}-\d{4}", r["period"])
        for word in filter(None, r["status_zh"].split("；")):
            assert word in ALL_STATUS, (r["id"], word)
    for c in corridors:
        assert c["status_zh"] == "" or c["status_zh"] in ALL_STATUS, (c["id"], c["status_zh"])
        for col in ("length_km", "investment_yi"):
            assert c[col] is None or float(c[col]) > 0


def test_anchors_are_named_in_the_text_or_the_gazetteer(rows, plan_text):
    townships = set()
    if TOWNSHIPS_JSON.is_file():
        for unit in json.loads(TOWNSHIPS_JSON.read_text(encoding="utf-8")).values():
            townships |= set(unit["townships"]) | {unit["county"]}
    villages = {"西鹅村", "鹧鸪江村", "红卫村"}  # checked in the Vonng village lists: 柳南区, 柳北区, 融安县
    for r in rows:
        a = r["anchor"]
        if a:
            assert _norm(a) in plan_text or a in townships or a in villages or a == "柳州白莲机场", (r["id"], a)


def test_roles_of_the_two_structures(rows):
    def having(part: str) -> set[str]:
        return {r["name"] for r in rows if part in r["role"].split("；")}

    # 第五章第二节: “一核”柳州西鹅铁路物流中心, “二园” 宁铁 and 空港, “三基地” 高铁, 官塘, 雒容
    assert having("柳州铁路港·一核") == {"柳州西鹅铁路物流中心"}
    assert having("柳州铁路港·二园") == {"宁铁柳州汽车工业物流园", "柳州市空港物流产业园"}
    assert having("柳州铁路港·三基地") == {"高铁物流基地", "官塘多式联运物流基地", "雒容铁路物流基地"}
    # 第三章第一节: the seven areas of 一核三区多组团
    areas = [r for r in rows if r["category"] == "物流功能区"]
    assert [r["role"].split("·")[1] for r in areas] == ["一核", "三区", "三区", "三区", "多组团", "多组团", "多组团"]
    assert having("一核三区多组团·一核") == {"中心城区", "柳州西鹅铁路物流中心", "高铁物流基地"}


def _box_lines(lines: list[str], box: str, k: int) -> list[str]:
    """The first ``k`` non-empty lines after the heading of 专栏<box>."""
    head = next(i for i, t in enumerate(lines) if re.match(r"^#+ 专栏" + re.escape(box) + r" ", t))
    return [t for t in lines[head + 1:head + 12] if t.strip()][:k]


@pytest.mark.parametrize("box, nlines, expected", [("5-1", 3, 12), ("5-2", 1, 7), ("5-3", 1, 7), ("5-4", 1, 6),
                                                   ("5-5", 1, 6), ("5-6", 1, 7)])
def test_every_item_of_the_5_x_boxes_is_a_row(lines, rows, box, nlines, expected):
    items = [_norm(x) for t in _box_lines(lines, box, nlines) for x in re.split(r"[、：]", t) if _norm(x)]
    assert len(items) == expected
    in_box = [r for r in rows if f"物流规划·专栏{box}" in _sections(r)]
    assert len(in_box) == expected, [r["name"] for r in in_box]
    for item in items:
        assert any(item in _norm(r["name"]) or item in _norm(r["description"]) for r in in_box), (box, item)


# ---------------------------------------------------------------- corridors

def test_corridor_entries_follow_the_contract(lines, corridors, plan_text):
    for c in corridors:
        assert set(c) == CORRIDOR_KEYS, c["id"]
        assert c["mode"] in CORRIDOR_MODES, c["id"]
        assert c["source_file"] == SEED.name
        assert all(s.startswith("物流规划·") for s in c["section"].split("；")), c["id"]
        assert 78 <= c["source_line"] <= 732
        assert _norm(c["quote"]) in _norm(lines[c["source_line"] - 1]), c["id"]
        assert isinstance(c["places"], list)
        for p in c["places"]:
            printed = p
            for right, slip in OCR_SLIPS.items():
                printed = printed.replace(right, slip) if right in p and _norm(p) not in plan_text else printed
            assert _norm(printed) in plan_text, (c["id"], p)


def test_every_project_of_4_2_is_a_corridor_with_its_status(lines, corridors):
    start = next(i for i, t in enumerate(lines) if t.startswith("#### 专栏4-2"))
    text = "".join(lines[start + 1:start + 16]).replace("#####普通国省干线公路：", "")
    text = _norm(text)
    projects: dict[str, str] = {}
    for m in re.finditer(r"(续建|新建)([^；。]+)", text.split("#####高速公路：")[1]):
        for name in m.group(2).split("、"):
            projects[name.replace("#####普通国省干线公路：", "")] = m.group(1)
    got = {c["name"]: c for c in corridors if "物流规划·专栏4-2" in c["section"].split("；")}
    assert set(got) == set(projects)
    assert len(projects) == 34
    assert all(got[n]["status_zh"] == s for n, s in projects.items())
    assert sum(c["mode"] == "expressway" for c in got.values()) == 13  # 6 续建 + 7 新建 under 高速公路
    assert got["S51柳州经合山至南宁高速公路"]["places"] == ["柳州", "合山", "南宁"]
    assert got["柳州高速过境线公路（罗城经柳城至鹿寨段）"]["places"] == ["罗城", "柳城", "鹿寨"]


def test_every_project_of_4_1_4_3_4_4_4_5_is_a_corridor(lines, corridors):
    def quotes(box: str) -> list[str]:
        return sorted(_norm(c["quote"]) for c in corridors if f"物流规划·专栏{box}" in c["section"].split("；"))

    water = [_norm(x) for x in _box_lines(lines, "4-3", 1)[0].rstrip("。").split("、")]
    assert len(water) == 10 and sorted(water) == quotes("4-3")
    air = [_norm(x) for x in re.split(r"、|和", _box_lines(lines, "4-4", 1)[0])]
    assert len(air) == 4 and sorted(air) == quotes("4-4")
    pipes = [_norm(t) for t in _box_lines(lines, "4-5", 2)]
    assert len(pipes) == 2 and sorted(pipes) == quotes("4-5")
    rail = re.findall(r"(?:\d\.|\(\d\))\s*(\S+)", "\n".join(_box_lines(lines, "4-1", 7)))
    assert len(rail) == 9 and len(quotes("4-1")) == 9
    for item in rail:  # each numbered item is the quote of exactly one corridor
        assert sum(item in q for q in quotes("4-1")) == 1, item


@pytest.mark.parametrize("box, title", [("3-1", "柳州市国际物流通道"), ("3-2", "桂中北区域物流网络")])
def test_every_channel_of_3_1_and_3_2_is_a_corridor(lines, corridors, box, title):
    head = next(i for i, t in enumerate(lines) if t.startswith(f"### 专栏{box}"))
    numbers = set()
    for t in lines[head + 1:head + 31]:
        if t.startswith("### 专栏") or t.startswith("图"):
            break
        numbers |= set(re.findall(r"^通道(\d)：", t))
    assert numbers == {str(i) for i in range(1, 10)}
    got = {re.search(r"通道(\d)", c["name"]).group(1) for c in corridors if c["name"].startswith(title + "·")}
    assert got == numbers


def test_every_road_of_3_3_is_a_corridor(lines, corridors):
    head = next(i for i, t in enumerate(lines) if t.startswith("### 专栏3-3"))
    roads = [_norm(x).rstrip("。") for x in lines[head + 2].split("、")]
    assert len(roads) == 8
    assert sorted(roads) == sorted(c["name"] for c in corridors if c["section"] == "物流规划·专栏3-3")
