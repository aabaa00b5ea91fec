"""Re-extraction checks of the 004 lists transcribed in ``facilities_urbanisation.csv`` and
``projects_urbanisation_districts.csv``: every item of each list, read again from the seed text with a small regex,
must be a row, and every row must point at a seed line that holds it.  A list cannot lose a row silently.
"""

from __future__ import annotations

import csv
import re

import pytest
import yaml

from seedtext import F004, POINT_HEADER, SOURCES, needs_seeds, seed_lines, source_rows, squash

FILES = ["facilities_urbanisation.csv", "projects_urbanisation_districts.csv"]


def _joined(first: int, last: int) -> str:
    """Lines first..last (1-based) squashed into one string (the seed breaks paragraphs at page ends)."""
    return squash("".join(seed_lines(F004)[first - 1:last]))


@pytest.mark.parametrize("name", FILES)
def test_tables_follow_the_point_contract(name: str) -> None:
    with open(SOURCES / name, encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == POINT_HEADER
    rows = source_rows(name)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) and all(ids)
    vocab = yaml.safe_load((SOURCES / "status_words.yaml").read_text(encoding="utf-8"))["classes"]
    words = {w for ws in vocab.values() for w in ws}
    for r in rows:
        assert r["name"] and r["category"] and r["source_file"] == F004, r["id"]
        assert r["section"].startswith("新型城镇化·"), r["id"]
        assert r["status_zh"] == "" or r["status_zh"] in words, (r["id"], r["status_zh"])
        assert not re.search(r"[a-z]{2,}", r["description"]), r["id"]  # Chinese descriptions only


def _printed(name: str) -> list[str]:
    """The spellings under which a row's name may stand in the text."""
    forms = {name, name.replace("柳州市", "市", 1), name.replace("广西科技大学", "", 1)}
    forms |= {re.sub(r"（[^）]*）$", "", f) for f in list(forms)}
    forms |= {f[:-2] for f in list(forms) if f.endswith(("片区", "改造"))}
    return [f for f in forms if len(f) >= 2]


@needs_seeds
@pytest.mark.parametrize("name", FILES)
def test_every_row_points_at_a_line_that_holds_it(name: str) -> None:
    lines = seed_lines(F004)
    for r in source_rows(name):
        n = int(r["source_line"])
        text = squash("".join(lines[n - 1:n + 2]))
        own = any(squash(f) in text for f in _printed(r["name"]))
        # a row named from a shared phrase (中欧、滨江、南部、雒容东部等片区) quotes the phrase in its description
        phrase = r["description"].split("：", 1)[-1].split("；")[0]
        assert own or squash(phrase) in text or squash(r["name"].replace("片区", "")) in text, (r["id"], r["name"], n)


def _names(*files: str) -> list[str]:
    return [r["name"] for f in files for r in source_rows(f)]


def _is_row(item: str, names: list[str]) -> bool:
    item = squash(item)
    return any(item in squash(n) or any(squash(f) == item for f in _printed(n)) for n in names)


@needs_seeds
def test_zhuanlan_3_2_platforms_are_allsource_rows() -> None:
    names = _names(FILES[0])
    block = _joined(450, 467)
    items = []
    for part in ("一、产业研究院", "二、产业学院", "三、职教集团", "四、实训基地"):
        body = block.split(part)[1].split("####")[0]
        items += [x for x in re.split(r"[、/。]", body.replace("#", "")) if x]
    assert len(items) == 25  # 9 institutes, 8 colleges (4 of 广西科技大学 joined by "/"), 3 groups, 5 bases
    missing = [i for i in items if not _is_row(i, names)]
    assert not missing, missing


@needs_seeds
def test_zhuanlan_4_4_schools_are_allsource_rows() -> None:
    names = _names(FILES[0])
    block = _joined(620, 630)
    items = []
    for m in re.finditer(r"(?:新建|实施|推进|加快推进)((?:[^、：。]+、)*[^、：。]+?)(?:等一批|项目|$)", block):
        items += re.split(r"[、，]", m.group(1))
    items = [re.sub(r"^改扩建", "", i) for i in items]
    items = [re.sub(r"(迁建|改扩建|扩建|升格为本科层次职业大学)$", "", i) for i in items]
    items = [i for i in items if i and not i.startswith(("柳州职业技术学院和", "终身"))]
    # the five levels of 专栏4-4 part 一 (学前 2, 义务 8, 高中 8, 职业 5, 高等 2; the two 升格 colleges below)
    assert len(items) == 25, items
    missing = [i for i in items if not _is_row(i, names)]
    assert not missing, missing
    for upgraded in ("柳州职业技术学院", "柳州铁道职业技术学院"):
        assert upgraded in names


@needs_seeds
def test_zhuanlan_3_3_and_chapter_9_colleges_and_hospitals_are_allsource_rows() -> None:
    names = _names(FILES[0])
    text = _joined(476, 492)
    colleges = set()
    for clause in re.split(r"[，。；：]", text):
        for c in re.findall(r"([\u4e00-\u9fff（）]+?(?:职业技术学院|职业学院|研究生院|研究生分院|技师学院))", clause):
            c = re.sub(r"^(?:.*(?:推动|加快新建|举办|引进|支持))?和?", "", c)
            if c and not c.startswith("等") and c != "研究生分院":
                colleges.add(c)
    # 第九章 also writes 柳州铁道职业学院 for 柳州铁道职业技术学院 (the name of 专栏3-3 and 专栏4-4)
    colleges = {"柳州铁道职业技术学院" if c == "柳州铁道职业学院" else c for c in colleges}
    assert {"广西柳州人工智能职业学院", "广西大学现代农牧研究生院", "北京理工大学研究生分院"} <= colleges
    missing = [c for c in colleges if not _is_row(c, names) and c != "广西机电技师学院"]
    assert not missing, missing
    hospitals = re.search(r"推进([^，。推]+?)等大型公立医院建设", _joined(496, 496)).group(1).split("、")
    hospitals += re.findall(r"推动(柳州妇幼保健院（柳东分院）)", _joined(496, 496))
    assert len(hospitals) == 5
    box = _joined(661, 665)
    hospitals += re.search(r"重点实施(.+?)等项目", box).group(1).split("、")
    hospitals += re.search(r"重点建设(市公共卫生.+?)等项目", box).group(1).split("、")
    hospitals = [re.sub(r"(迁建|整体搬迁|工程)$", "", h) for h in hospitals]
    missing = [h for h in hospitals if not _is_row(h, names)]
    assert not missing, missing


@needs_seeds
def test_zhuanlan_4_6_elderly_care_projects_are_allsource_rows() -> None:
    names = _names(FILES[0])
    items = re.search(r"重点建设(.+?)等一批医养结合项目", _joined(689, 689)).group(1).split("、")
    assert len(items) == 7
    missing = [i for i in items if not _is_row(i, names)]
    assert not missing, missing


@needs_seeds
def test_chapter_4_areas_and_village_renewal_are_allsource_rows() -> None:
    names = _names(*FILES, "projects_urbanisation.csv")
    text = _joined(263, 291)
    generic = {"存量片区", "老旧片区", "核心片区", "周边片区", "辖区老旧片区"}
    areas = set()
    for clause in re.split(r"[，。；]", text):
        for seg in clause.split("片区")[:-1]:
            for a in re.split(r"[、和]", seg.lstrip("、").removesuffix("等")):
                a = re.sub(r"^.*(?:加大|推动|强化|优化|重点补齐|结合部|加强对|提升城区)", "", a)
                # 建设成为柳州西南片区示范新城区 (柳江区) is the district's aim, not an area of it
                if a and a + "片区" not in generic and not a.endswith(("及周边", "成为柳州西南")) and not a.startswith("等"):
                    areas.add(a)
    assert {"莲花立交桥东北", "西鹅", "河北半岛", "白露", "中欧", "滨江", "南部", "雒容东部", "北部", "沙塘", "石碑坪", "江湾",
            "葛婆庙", "进德"} <= areas
    missing = [a for a in areas if not any(squash(a) in squash(n) for n in names)]
    assert not missing, missing
    villages = re.findall(r"推进([^，。]+?)城中村改造", text)[0].split("、") + re.findall(r"加强([^，。]+?)城中村改造", text)[0].split("、")
    assert villages == ["鸡喇村", "驾鹤村", "鹧鸪江村", "香兰"]
    assert all(any(v in n and "城中村改造" in n for n in names) for v in villages)
    for school in re.search(r"启动([^，。]+?)等义务教育项目", text).group(1).split("、"):
        assert school in names


@needs_seeds
def test_named_roads_bridges_and_river_works_aresource_rows() -> None:
    names = _names(*FILES)
    liujiang = _joined(291, 291)
    sides = re.search(r"和((?:[^、，。]+、)*[^、，。]+?)两侧等土地熟化", liujiang).group(1).split("、")
    assert sides == ["柳江大道", "兴柳路"] and all(f"{x}两侧" in names for x in sides)
    assert re.search(r"全面实施(\S+?项目)", liujiang).group(1) in names
    rongan = re.search(r"推进完善(.+?)路网建设", _joined(321, 321)).group(1)
    assert [a + "片区" for a in rongan.split("片区、")[:1]] + rongan.split("、")[1:] == ["新火车站片区", "长安三桥东岸片区"]
    assert {"新火车站片区", "长安三桥东岸片区"} <= set(names)
    bridges = re.search(r"重点推进(.+?)等工程建设", _joined(949, 949)).group(1).split("、")
    items = yaml.safe_load((SOURCES / "corridors_urbanisation_bridges.yaml").read_text(encoding="utf-8"))
    assert bridges == [c["name"] for c in items] == ["老堡大桥", "大埔融江复线桥", "柳城县城二桥"]
    assert all(squash(c["quote"]) in _joined(c["source_line"], c["source_line"]) for c in items)
