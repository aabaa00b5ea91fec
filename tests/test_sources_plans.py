"""Checks of the hand-transcribed county-economy (002) and urbanisation (004) tables in ``layers/sources``.

The lists of the plans are re-extracted from the seed texts with small regexes and compared with the
transcribed rows, so a dropped or invented entity fails.  Every row must point at a seed line that holds
(part of) its name, and the numbers and status words must be usable by the plans builder.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import os
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "layers" / "sources"
SHARED = Path(os.environ.get("LZGIS_SHARED") or REPO.parent / "shared")
SEEDS = SHARED / "seeds"
TOWNSHIPS_JSON = SHARED / "data" / "townships" / "quhua_townships_4502.json"

F002 = "002_cea03bdf2b5fe175.txt"
F003 = "003_090e2c36f150c397.txt"
F000 = "000_2e2a98b042eb9d21.txt"
F004 = "004_9db75a2811220992.txt"

POINT_HEADER = ["id", "name", "category", "type", "county", "place", "anchor", "status_zh", "role", "area_mu",
                "area_km2", "investment_yi", "period", "description", "source_file", "section", "source_line"]
TAG_HEADER = ["township", "county", "tag", "detail", "source_file", "section", "source_line"]
POINT_FILES = ["characteristic_towns_urbanisation.csv", "projects_county_economy.csv", "projects_urbanisation.csv",
               "projects_hitech.csv"]
TAG_FILES = ["township_tags_urbanisation.csv", "township_tags_county_economy.csv"]
CORRIDOR_FILES = ["corridors_county_economy.yaml", "corridors_urbanisation.yaml"]

# The plan each seed section belongs to: (first line, last line) of the plan inside its seed file, and the
# section prefix the rows use.  Bounds hand-checked: 002 holds the county plan from its notice (line 938) to
# the end of its 第十二章 (line 1675); 004 holds the urbanisation plan from its notice (45) to 第二十二章 (1033).
PLAN_BOUNDS = {F002: (938, 1675, "县域经济·"), F004: (45, 1033, "新型城镇化·"),
               F000: (1, 502, "柳江高新区方案·"), F003: (1, 103, "柳州高新区报道·")}

# Status words of the texts as transcribed in ``status_zh`` (the builder maps them to its status classes).
STATUS_VOCAB = {
    "existing": {"建成", "已建成", "建成投入使用", "投入使用", "竣工投产", "落地运营", "揭牌", "启用", "获评", "成功创建",
                 "被认定", "入驻"},
    "under_construction": {"在建", "续建", "开工建设", "加快建设", "加快推进", "加快", "推进", "重点推进", "加快完善",
                           "重点建设", "全力推进", "加强", "完善", "构建", "配合", "扩建", "改造", "提标扩建"},
    "planned": {"新建", "拟建", "规划", "规划建设", "规划推进", "规划研究", "研究推动", "研究建设", "谋划", "谋划启动",
                "适时规划启动", "尽快启动", "积极筹建", "积极推进", "推动", "建设", "打造", "创建", "争取", "获批建设",
                "落户", "引进", "争创", "支持", "配合建设", "提升", "布局", "积极布局", "重点打造"},
    "reserve": {"预备", "储备"},
}
ALL_STATUS = set().union(*STATUS_VOCAB.values())
CORRIDOR_MODES = {"expressway", "highway", "railway", "high_speed_railway", "waterway", "airport", "pipeline", "axis"}
CORRIDOR_KEYS = {"id", "name", "mode", "places", "status_zh", "length_km", "investment_yi", "description",
                 "source_file", "section", "source_line", "quote"}

needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed texts not found at {SEEDS}")


# ----------------------------------------------------------------------------------------------- helpers
def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


_seed_cache: dict[str, list[str]] = {}


def seed_lines(name: str) -> list[str]:
    if name not in _seed_cache:
        _seed_cache[name] = (SEEDS / name).read_text(encoding="utf-8").split("\n")
    return _seed_cache[name]


@functools.lru_cache(maxsize=None)
def window(name: str, line_no: int, *, after: int = 2, before: int = 0) -> str:
    """Line ``line_no`` (1-based) with ``before`` preceding and ``after`` following non-empty lines, squashed.

    The seeds are OCR'd page text: a name may wrap onto the next non-empty line.
    """
    lines = seed_lines(name)
    idx = line_no - 1
    head: list[str] = []
    i = idx - 1
    while i >= 0 and len(head) < before:
        if lines[i].strip():
            head.insert(0, lines[i])
        i -= 1
    tail: list[str] = []
    i = idx + 1
    while i < len(lines) and len(tail) < after:
        if lines[i].strip():
            tail.append(lines[i])
        i += 1
    return _squash("".join([*head, lines[idx], *tail]))


def starts_on_line(part: str, seed: str, line_no: int) -> bool:
    """Whether ``part`` occurs starting on line ``line_no`` (it may wrap onto the next non-empty line)."""
    own = len(_squash(seed_lines(seed)[line_no - 1]))
    text = window(seed, line_no, after=1)
    return any(m.start() < own for m in re.finditer(re.escape(_squash(part)), text))


def held_on_line(name: str, seed: str, line_no: int) -> int:
    """Length of the longest part of ``name`` that starts on line ``line_no``."""
    best = 0
    for i in range(len(name)):
        j = i + best + 1
        while j <= len(name) and name[i:j] in window(seed, line_no, after=1):
            if starts_on_line(name[i:j], seed, line_no):
                best = j - i
            j += 1
    return best


def read_csv(name: str) -> list[dict[str, str]]:
    with open(SOURCES / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def csv_header(name: str) -> list[str]:
    with open(SOURCES / name, encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


def read_yaml(name: str) -> list[dict]:
    with open(SOURCES / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def bare(township: str) -> str:
    """Township name without its 镇/乡 suffix or the list's （乡） mark."""
    t = township.replace("（乡）", "")
    return re.sub(r"(镇|乡)$", "", t) if len(t) > 2 else t


def current_townships() -> dict[str, list[str]]:
    """Short name -> counties holding a current township unit of that name (national place-name list)."""
    data = json.loads(TOWNSHIPS_JSON.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for county in data.values():
        for full in county["townships"]:
            short = re.sub(r"(仫佬族乡|瑶族乡|苗族乡|侗族乡|街道|镇|乡)$", "", full)
            out.setdefault(short, []).append(county["county"])
            out.setdefault(full, []).append(county["county"])
    return out


def block_after(name: str, heading: str, stop: str) -> tuple[int, list[tuple[int, str]]]:
    """Line number of the first line matching ``heading`` and the non-empty lines up to ``stop``."""
    lines = seed_lines(name)
    start = next(i for i, s in enumerate(lines) if re.search(heading, s))
    out = []
    for i in range(start + 1, len(lines)):
        if re.search(stop, lines[i]):
            break
        if lines[i].strip():
            out.append((i + 1, lines[i].strip()))
    return start + 1, out


# ------------------------------------------------------------------------------------- township tags
@pytest.mark.parametrize("name", TAG_FILES)
def test_tag_tables_follow_the_contract(name: str) -> None:
    assert csv_header(name) == TAG_HEADER
    rows = read_csv(name)
    assert rows
    keys = [(r["township"], r["tag"]) for r in rows]
    assert len(keys) == len(set(keys)), "a township carries the same tag twice"
    for r in rows:
        assert r["township"] and r["tag"] and r["source_file"] and r["section"]
        assert int(r["source_line"]) > 0


@needs_seeds
@pytest.mark.parametrize("name", TAG_FILES)
def test_tag_rows_point_at_their_line(name: str) -> None:
    for r in read_csv(name):
        first, last, prefix = PLAN_BOUNDS[r["source_file"]]
        n = int(r["source_line"])
        assert first <= n <= last, r
        assert r["section"].startswith(prefix), r
        assert starts_on_line(bare(r["township"]), r["source_file"], n), r


@needs_seeds
def test_every_tagged_township_is_one_current_unit() -> None:
    towns = current_townships()
    for name in TAG_FILES:
        for r in read_csv(name):
            counties = towns.get(r["township"]) or towns.get(bare(r["township"]))
            assert counties and len(counties) == 1, f"{r['township']} is not one current township unit: {counties}"
            if r["county"]:
                short = re.sub(r"(苗族自治县|侗族自治县|县|区)$", "", r["county"])
                assert counties[0].startswith(short), r


@needs_seeds
def test_zhuanlan_2_4_town_types_are_complete() -> None:
    rows = read_csv("township_tags_urbanisation.csv")
    lines = seed_lines(F004)
    for tag in ["产业重镇", "商贸强镇", "农业大镇", "旅游名镇"]:
        head = next(i for i, s in enumerate(lines) if re.match(rf"^#+\s*[一二三四]、{tag}\s*$", s))
        n, text = next((i + 1, s) for i, s in enumerate(lines[head + 1:], head + 1) if s.strip())
        listed = {t.replace("（乡）", "乡") for t in text.strip().rstrip("。").split("、")}
        ours = {r["township"] for r in rows if r["tag"] == tag}
        assert ours == listed, (tag, ours ^ listed)
        assert {int(r["source_line"]) for r in rows if r["tag"] == tag} == {n}
    # hand-counted sizes of the four lists (产业重镇 lists 沙塘 twice)
    assert [sum(r["tag"] == t for r in rows) for t in ["产业重镇", "商贸强镇", "农业大镇", "旅游名镇"]] == [17, 6, 18, 19]


@needs_seeds
def test_the_22_key_small_towns_are_complete() -> None:
    text = "\n".join(seed_lines(F004))
    m = re.search(r"统筹推动([^，。\n]+?)等重点小城镇建设", text)
    listed = m.group(1).split("、")
    assert len(listed) == 22
    ours = [r["township"] for r in read_csv("township_tags_urbanisation.csv") if r["tag"] == "重点小城镇"]
    assert sorted(ours) == sorted(listed)


@needs_seeds
def test_zhuanlan_5_key_towns_are_complete() -> None:
    _, block = block_after(F002, r"专栏5：重点镇乡名录", r"^#+ ")
    listed = set()
    for _, s in block:
        county, towns = s.split("：")
        listed |= {(county, t.strip()) for t in towns.split("、")}
    ours = {(r["county"], r["township"]) for r in read_csv("township_tags_county_economy.csv") if r["tag"] == "重点镇乡"}
    assert ours == listed
    assert len(listed) == 36  # 3+3+2+4+4+5+4+6+5, hand-counted


# ------------------------------------------------------------------------------- characteristic towns
@needs_seeds
def test_zhuanlan_2_5_characteristic_towns_are_complete() -> None:
    rows = read_csv("characteristic_towns_urbanisation.csv")
    _, block = block_after(F004, r"专栏2-5 特色小镇策划名录", r"^图2")
    listed: dict[str, str] = {}
    kind = None
    buffer = ""
    for _, s in [*block, (0, "#### 结束")]:
        m = re.match(r"^#+\s*[一二三]、(\S+小镇)", s)
        if m or s.startswith("#"):
            if kind:
                for t in buffer.rstrip("。").split("、"):
                    listed[t] = kind
            kind, buffer = (m.group(1) if m else None), ""
        else:
            buffer += s
    assert len(listed) == 19
    assert {r["name"]: r["type"] for r in rows} == listed
    assert {r["category"] for r in rows} == {"特色小镇"}


# ------------------------------------------------------------------------------------- point tables
def _point_files() -> list[str]:
    return [f for f in POINT_FILES if (SOURCES / f).exists()]


@pytest.mark.parametrize("name", POINT_FILES)
def test_point_tables_follow_the_contract(name: str) -> None:
    assert (SOURCES / name).exists(), name
    assert csv_header(name) == POINT_HEADER
    rows = read_csv(name)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "ids are not unique"
    for r in rows:
        assert r["id"] and r["name"] and r["category"], r
        for col in ["area_mu", "area_km2", "investment_yi"]:
            if r[col]:
                v = float(r[col])
                assert math.isfinite(v) and v > 0, (col, r)
        if r["period"]:
            a, b = (int(x) for x in r["period"].split("-"))
            assert 2000 <= a <= b <= 2035, r
        if r["status_zh"]:
            assert r["status_zh"] in ALL_STATUS, r["status_zh"]


@needs_seeds
@pytest.mark.parametrize("name", POINT_FILES)
def test_point_rows_point_at_their_line(name: str) -> None:
    whole = {f: _squash("".join(seed_lines(f))) for f in PLAN_BOUNDS}
    towns = current_townships()
    for r in read_csv(name):
        first, last, prefix = PLAN_BOUNDS[r["source_file"]]
        n = int(r["source_line"])
        assert first <= n <= last, r
        assert r["section"].startswith(prefix), r
        name_ = _squash(r["name"])
        need = min(len(name_), max(4, math.ceil(0.5 * len(name_))))
        assert held_on_line(name_, r["source_file"], n) >= need, f"{r['id']} {r['name']}: line {n} does not hold it"
        if r["status_zh"]:
            assert r["status_zh"] in window(r["source_file"], n, before=3), r
        if r["anchor"]:
            assert r["anchor"] in whole[r["source_file"]] or r["anchor"] in towns, r


# ------------------------------------------------------------------------------------------ corridors
# Places a corridor lists that its line does not spell out: the text names the corridor by the usual
# one-character abbreviations of the cities (三柳 = 三江—柳州, 柳南 = 柳州—南宁, 南柳桂 = 南宁—柳州—桂林 …).
ABBREVIATED_PLACES = {
    "三柳文旅发展轴": {"三江", "柳州"},
    "三柳高速": {"三江", "柳州"},
    "三南高速": {"三江", "南宁"},
    "柳南铁路": {"柳州", "南宁"},
    "柳南高速公路": {"柳州", "南宁"},
    "南柳桂经济走廊": {"南宁", "柳州", "桂林"},
}

# Axes hand-checked against the texts: name -> ordered places.
EXPECTED_AXES = {
    "corridors_urbanisation.yaml": {
        "三柳文旅发展轴": ["三江", "柳州"],
        "鹿寨—雒容经济带": ["鹿寨", "雒容"],
        "导江—江口沿江经济带": ["导江", "江口"],
        "鹿寨高铁北站—柳东新区经济带": ["鹿寨高铁北站", "柳东新区"],
        "柳州中心城区—融水—融安—三江城镇发展轴": ["柳州中心城区", "融水", "融安", "三江"],
        "柳州中心城区—来宾中心城区城镇发展轴": ["柳州中心城区", "来宾中心城区"],
        "柳州—宜州—金城江城镇发展轴": ["柳州", "宜州", "金城江"],
        "“柳州—三江—桂林—阳朔—鹿寨—柳州”环高速公路旅游经济带": ["柳州", "三江", "桂林", "阳朔", "鹿寨", "柳州"],
    },
    "corridors_county_economy.yaml": {
        "环广西国家旅游风景道河池—柳州—桂林—贺州—来宾环线": ["河池", "柳州", "桂林", "贺州", "来宾"],
    },
}


@pytest.mark.parametrize("name", CORRIDOR_FILES)
def test_corridor_files_follow_the_contract(name: str) -> None:
    items = read_yaml(name)
    assert isinstance(items, list) and items
    ids = [e["id"] for e in items]
    assert len(ids) == len(set(ids))
    for e in items:
        assert set(e) <= CORRIDOR_KEYS, set(e) - CORRIDOR_KEYS
        for key in ["id", "name", "mode", "places", "source_file", "section", "source_line", "quote"]:
            assert key in e, (key, e.get("id"))
        assert e["mode"] in CORRIDOR_MODES, e
        assert isinstance(e["places"], list) and all(isinstance(p, str) and p for p in e["places"]), e
        assert isinstance(e["source_line"], int) and e["source_line"] > 0
        if e.get("status_zh"):
            assert e["status_zh"] in ALL_STATUS, e["status_zh"]
        for key in ["length_km", "investment_yi"]:
            if e.get(key) is not None:
                assert float(e[key]) > 0


@needs_seeds
@pytest.mark.parametrize("name", CORRIDOR_FILES)
def test_corridor_quotes_and_places_are_on_their_line(name: str) -> None:
    for e in read_yaml(name):
        first, last, prefix = PLAN_BOUNDS[e["source_file"]]
        n = e["source_line"]
        assert first <= n <= last and e["section"].startswith(prefix), e["id"]
        assert starts_on_line(e["quote"], e["source_file"], n), f"{e['id']}: quote not on line {n}"
        text = window(e["source_file"], n, after=1)
        for place in e["places"]:
            assert place in text or place in ABBREVIATED_PLACES.get(e["name"], set()), (e["id"], place)
        if e.get("status_zh"):
            assert e["status_zh"] in window(e["source_file"], n, before=3), (e["id"], e["status_zh"])


@pytest.mark.parametrize("name", CORRIDOR_FILES)
def test_development_axes(name: str) -> None:
    axes = {e["name"]: e["places"] for e in read_yaml(name) if e["mode"] == "axis"}
    for axis, places in EXPECTED_AXES[name].items():
        assert axes.get(axis) == places, axis


def _items(seed: str, line_no: int, *, upto: str | None = None) -> list[str]:
    """The 、/，/以及-separated items of a 专栏 line (wrapped lines joined), with their lead verbs dropped."""
    lines = seed_lines(seed)
    nxt = next((s for s in lines[line_no:] if s.strip()), "")
    text = _squash(lines[line_no - 1] + ("" if nxt.lstrip().startswith("#") else nxt))
    text = re.sub(r"\*\*[^*]+\*\*", "", text)
    if upto:
        text = text[: text.index(upto)]
    out = []
    for part in re.split(r"[、，。；]|以及|(?<=工程)和", text):
        part = re.sub(r"^(重点推进|规划推进)", "", part)
        part = re.sub(r"等.*$", "", part)
        if len(part) >= 2:
            out.append(part)
    return out


@needs_seeds
@pytest.mark.parametrize(
    ("yaml_name", "seed", "heading", "upto"),
    [
        ("corridors_urbanisation.yaml", F004, r"^#+\s*一、铁路建设重点工程", None),
        ("corridors_urbanisation.yaml", F004, r"^#+\s*二、公路建设重点工程", None),
        ("corridors_urbanisation.yaml", F004, r"^#+\s*三、航空建设重点工程", None),
        ("corridors_urbanisation.yaml", F004, r"^#+\s*四、航运建设重点工程", None),
        ("corridors_urbanisation.yaml", F004, r"^#+\s*一、公共交通重点工程", None),
        # the page breaks after "…综合客运枢纽以及柳东新区片、北部生态新区片、白露片、香": the rest is lost
        ("corridors_urbanisation.yaml", F004, r"^#+\s*二、市政道路重点工程", "以及柳东新区片"),
        ("corridors_county_economy.yaml", F002, r"^\*\*交通基础设施", None),
    ],
)
def test_transport_zhuanlan_items_are_all_transcribed(yaml_name: str, seed: str, heading: str, upto: str | None) -> None:
    lines = seed_lines(seed)
    idx = next(i for i, s in enumerate(lines) if re.search(heading, s))
    if heading.startswith(r"^\*\*"):
        line_no = idx + 1
    else:
        line_no = next(i + 1 for i in range(idx + 1, len(lines)) if lines[i].strip())
    quotes = [_squash(e["quote"]) for e in read_yaml(yaml_name)]
    project_file = "projects_urbanisation.csv" if seed == F004 else "projects_county_economy.csv"
    names = [_squash(r["name"]) for r in read_csv(project_file)]
    items = _items(seed, line_no, upto=upto)
    assert len(items) >= 3
    for item in items:
        assert any(item in q for q in quotes) or any(item in n or n in item for n in names), item
