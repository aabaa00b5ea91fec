"""Re-extraction checks of ``projects_parks.csv`` (004 附件3 of the 2022 投资促进工作方案, 000, 001),
``projects_county_economy_villages.csv`` (002 县域经济 第一章) and ``projects_existing_infrastructure.csv`` /
``corridors_existing_infrastructure.yaml`` (002 物流规划 第一章/第四章): every item read again from the seed is a row.
"""

from __future__ import annotations

import csv
import re

import pytest
import yaml

from seedtext import F000, F001, F002, F004, POINT_HEADER, SOURCES, needs_seeds, seed_lines, source_rows, squash

FILES = ["projects_parks.csv", "projects_county_economy_villages.csv", "projects_existing_infrastructure.csv"]


@pytest.mark.parametrize("name", FILES)
def test_tables_follow_the_point_contract(name: str) -> None:
    with open(SOURCES / name, encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == POINT_HEADER
    rows = source_rows(name)
    assert len({r["id"] for r in rows}) == len(rows)
    vocab = yaml.safe_load((SOURCES / "status_words.yaml").read_text(encoding="utf-8"))["classes"]
    words = {w for ws in vocab.values() for w in ws}
    for r in rows:
        assert r["status_zh"] == "" or r["status_zh"] in words, (r["id"], r["status_zh"])
        assert not re.search(r"[a-z]{2,}", r["description"]), r["id"]


@needs_seeds
@pytest.mark.parametrize("name", FILES)
def test_every_row_points_at_a_line_that_holds_its_name(name: str) -> None:
    for r in source_rows(name):
        line = squash(seed_lines(r["source_file"])[int(r["source_line"]) - 1])
        assert squash(r["name"]) in line or squash(r["name"]).removesuffix("工程") in line \
            or squash(r["name"].replace("经济开发区", "")) in line or "经开区" in line, (r["id"], r["name"])


@needs_seeds
def test_annex_3_parks_of_every_district_aresource_rows() -> None:
    lines = seed_lines(F004)
    start = next(i for i, l in enumerate(lines) if l.startswith("## 县区、开发区重点产业园区和产业方向"))
    rows = source_rows("projects_parks.csv")
    expected = []
    for line in lines[start + 1:start + 14]:
        cells = line.split("\t")
        if len(cells) == 4 and cells[0].isdigit():
            district, parks = cells[1].strip(), [p for p in cells[2].split("、") if p.strip()]
            expected += [(district, p.strip()) for p in parks]
    assert len(expected) == 22  # 城中区 lists none; 融安、融水、三江 share one
    got = {(r["section"].rsplit("·", 1)[-1], r["name"]) for r in rows}
    assert set(expected) <= got, sorted(set(expected) - got)
    # 000 / 001: the development areas they name
    names = {r["name"] for r in rows}
    assert "柳州国家高新区" in names and "河西柳州高新区" in names
    assert "河西柳州高新区" in seed_lines(F001)[20] and "经开区" in seed_lines(F000)[314] and "柳江新城管委会" in seed_lines(F000)[323]


@needs_seeds
def test_villages_of_chapter_1_aresource_rows() -> None:
    text = squash("".join(seed_lines(F002)[965:980]))
    found = re.findall(r"(?<=[镇乡区县])([\u4e00-\u9fff]{2,3}?[村屯])(?=\d|获|列入|荣获|荣登|、|等)", text)
    found += re.findall(r"(程阳八寨)列入", text)
    names = {r["name"] for r in source_rows("projects_county_economy_villages.csv")}
    assert set(found) == names, (sorted(found), sorted(names))


@needs_seeds
def test_existing_water_works_the_logistics_plan_relies_on_aresource_rows() -> None:
    text = squash("".join(seed_lines(F002)[103:114]) + seed_lines(F002)[397])
    names = {r["name"] for r in source_rows("projects_existing_infrastructure.csv")}
    corridors = {c["name"] for c in yaml.safe_load((SOURCES / "corridors_existing_infrastructure.yaml").read_text(encoding="utf-8"))}
    dams = set(re.findall(r"(落久水利枢纽|大藤峡水利枢纽|红花水电站|长洲船闸)", text))
    assert dams == {"落久水利枢纽", "大藤峡水利枢纽", "红花水电站", "长洲船闸"} and dams <= names
    assert "新圩至红花枢纽段II级航道工程" in corridors
    keys = {"id", "name", "mode", "places", "status_zh", "length_km", "investment_yi", "description", "source_file",
            "section", "source_line", "quote"}
    for c in yaml.safe_load((SOURCES / "corridors_existing_infrastructure.yaml").read_text(encoding="utf-8")):
        assert set(c) <= keys and squash(c["quote"]) in squash(seed_lines(c["source_file"])[c["source_line"] - 1])
    for other in ("柳州站站房扩建工程", "动车存车场", "城市全闭环快速环线"):
        assert other in names and squash(other) in text


@needs_seeds
def test_county_cold_chain_centres_of_chapter_5_aresource_rows() -> None:
    line = squash(seed_lines(F002)[578])
    counties = re.search(r"加快建设((?:[^、，。]+、)*[^、，。]+?)等县级产地冷链集配中心", line).group(1).split("、")
    assert counties == ["融安", "融水", "三江"]
    rows = source_rows("logistics_county_coldchain.csv")
    assert [r["name"] for r in rows] == [f"{c}县级产地冷链集配中心" for c in counties]
    assert all(r["source_line"] == "579" and r["county"].startswith(c) for r, c in zip(rows, counties))
