"""Issue 17, done when: a planner's own workbook goes through the whole chain on the command line, in Chinese.

The workbook is written here as planners hold it (项目名称, 建设地点, 总投资(万元), 用地面积(亩), 建设状态; 16 rows
with two township typos, a 合计 row, a project in 湖南省怀化市 and one without a place) and goes
``lzgis geocode`` → ``lzgis nearest … 物流`` (the shipped layer by its Chinese title) → ``lzgis map --add … -o x.pdf``
→ ``lzgis review … --zones layers/examples/zones_example.geojson --zone-field 类型 -o 审查.xlsx`` → ``lzgis drive``.
Every step exits 0 and keeps every row; the unplaced rows keep their note (备注); the typos are corrected, the
合计 row is skipped and reported, and every located project is named on the printed map.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from gis import load_layer
from gis.cli import cli

ZONES = Path(__file__).resolve().parents[1] / "layers" / "examples" / "zones_example.geojson"
ROWS = [  # 项目名称, 建设地点, 总投资(万元), 用地面积(亩), 建设状态
    ("进德镇农产品加工园", "柳江区 进得镇", 12000, 150, "在建"),  # typo: 进德镇
    ("黄冕镇林产品加工项目", "鹿寨县黄免镇", 8000, 90, "新建"),  # typo: 黄冕镇
    ("雒容镇物流中心", "柳东新区雒容镇", 5000, 60, "新建"),
    ("和睦镇污水处理厂", "融水县和睦镇", 2500, 20, "在建"),
    ("怀化飞地园区合作项目", "湖南省怀化市", 6000, None, "前期"),  # out of the province
    ("待定选址项目", "", 1500, 10, "前期"),  # no place
    ("拉堡镇安置小区", "柳江区拉堡镇", 9000, 75, "在建"),
    ("沙塘镇农业示范园", "柳北区沙塘镇", 4000, 200, "新建"),
    ("大埔镇工业集中区配套", "柳城县大埔镇", 7000, 120, "前期"),
    ("洛埠镇仓储基地", "柳东新区洛埠镇", 6500, 80, "新建"),
    ("三江县古宜镇旅游集散中心", "三江侗族自治县古宜镇", 3000, 40, "在建"),
    ("融安县长安镇果蔬冷链", "融安县长安镇", 2800, 35, "新建"),
    ("鹿寨县中渡镇古镇保护", "鹿寨县中渡镇", 1800, 25, "前期"),
    ("柳城县东泉镇糖厂技改", "柳城县东泉镇", 4200, 55, "在建"),
    ("融水县安陲乡生态茶园", "融水苗族自治县安陲乡", 1200, 300, "新建"),
]
TOTAL = ("合计", "", sum(r[2] for r in ROWS), sum(r[3] or 0 for r in ROWS), "")
HEADER = ["项目名称", "建设地点", "总投资(万元)", "用地面积(亩)", "建设状态"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def lzgis(*args: str):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, f"lzgis {' '.join(map(str, args))}: exit {result.exit_code}\n{result.output}"
    return result


def write_workbook(folder: Path) -> Path:
    import pandas as pd

    path = folder / "重点项目.xlsx"
    pd.DataFrame([*ROWS, TOTAL], columns=HEADER).to_excel(path, index=False)
    return path


def sheet_rows(path: Path, sheet: int | str = 0) -> tuple[list[str], list[tuple]]:
    wb = load_workbook(path)
    ws = wb.worksheets[sheet] if isinstance(sheet, int) else wb[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return [str(h) for h in rows[0]], rows[1:]


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """The chain run once: each step's result, the folder."""
    folder = tmp_path_factory.mktemp("own_table")
    table = write_workbook(folder)
    located = folder / "项目定位.gpkg"
    steps = {"geocode": lzgis("geocode", table, "-o", located)}
    steps["nearest"] = lzgis("nearest", located, "物流", "-o", folder / "最近物流.xlsx")
    steps["map"] = lzgis("map", "--add", located, "-o", folder / "项目分布.pdf")
    steps["review"] = lzgis("review", located, "--zones", ZONES, "--zone-field", "类型", "-o", folder / "审查.xlsx")
    return folder, steps


def test_every_row_is_geocoded_and_kept(chain):
    folder, _ = chain
    gdf = gpd.read_file(folder / "项目定位.gpkg")
    assert len(gdf) == len(ROWS) and "合计" not in set(gdf["项目名称"])  # the 合计 row is not a project
    placed = gdf[~gdf.geometry.isna() & ~gdf.geometry.is_empty]
    # the ordinary township rows are placed in Liuzhou, the empty place and 怀化 are not placed there
    names = set(placed["项目名称"])
    assert {"雒容镇物流中心", "拉堡镇安置小区", "沙塘镇农业示范园", "柳城县东泉镇糖厂技改"} <= names
    assert "待定选址项目" not in names
    lon, lat = placed.geometry.x, placed.geometry.y
    inside = placed[placed["项目名称"] != "怀化飞地园区合作项目"]
    assert ((inside.geometry.x > 108.5) & (inside.geometry.x < 110.2) & (inside.geometry.y > 24.0)
            & (inside.geometry.y < 26.1)).all(), list(zip(lon, lat))


def test_nearest_by_chinese_title_keeps_every_row(chain):
    folder, steps = chain
    assert "loading layer logistics (物流枢纽与园区" in steps["nearest"].stderr
    header, rows = sheet_rows(folder / "最近物流.xlsx")
    assert all(CJK.search(h) for h in header), header
    assert len(rows) == len(ROWS)
    note = header.index("备注")
    by_name = {r[header.index("起点名称")]: r for r in rows}  # origins named by their 项目名称
    assert by_name["待定选址项目"][note]  # 未定位 or the geocoder's reason
    assert not by_name["雒容镇物流中心"][note]
    distance = next(i for i, h in enumerate(header) if h.startswith("距离"))
    assert by_name["待定选址项目"][distance] is None
    assert 0 <= by_name["雒容镇物流中心"][distance] < 30_000  # 雒容 has logistics nodes placed at its seat


def test_map_pdf_says_how_many_are_not_drawn(chain):
    folder, steps = chain
    pdf = folder / "项目分布.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    gdf = gpd.read_file(folder / "项目定位.gpkg")
    unplaced = int((gdf.geometry.isna() | gdf.geometry.is_empty).sum())
    assert unplaced >= 1  # 待定选址项目 (no place)
    assert f"{unplaced} 个要素未定位，未绘出" in steps["map"].stderr or "未定位" in steps["map"].stderr
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, encoding="utf-8",
                              check=True).stdout
        assert f"{unplaced}个要素未定位，未绘出" in "".join(text.split())


def test_review_workbook_keeps_every_row_in_chinese(chain):
    folder, steps = chain
    wb = load_workbook(folder / "审查.xlsx")
    assert wb.sheetnames[:2] == ["汇总", "明细"]
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert all(CJK.search(str(h)) for h in header), header
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == len(ROWS)  # every project row, unplaced ones too
    col = {h: i for i, h in enumerate(header)}
    gdf = gpd.read_file(folder / "项目定位.gpkg")
    unplaced = set(gdf.loc[gdf.geometry.isna() | gdf.geometry.is_empty, "项目名称"])
    name_col = col.get("名称（name）", col.get("名称", col.get("项目")))
    seen = set()
    for row in rows:
        name = row[name_col].value
        note = row[col["备注"]].value
        areas = [row[i].value for h, i in col.items() if "面积" in str(h) and "用地面积" not in str(h)]
        if name in unplaced:
            seen.add(name)
            assert note, name  # 未定位 or the geocoder's reason
            assert all(v is None for v in areas), (name, areas)
        else:
            assert not note, (name, note)
        for cell in row:  # no unrounded float shown: every float cell has a number format
            if isinstance(cell.value, float):
                assert cell.number_format != "General", (header[cell.column - 1], cell.value)
    assert seen == unplaced
    assert re.search(r"\d+ row\(s\) have no position", steps["review"].stderr)
    # 明细 lists the unplaced rows too, with their note
    detail_header, detail = sheet_rows(folder / "审查.xlsx", "明细")
    notes = [r[detail_header.index("备注")] for r in detail]
    assert sum(1 for n in notes if n) == len(unplaced)


def test_drive_from_the_geocoded_table(chain):
    folder, _ = chain
    lzgis("drive", folder / "项目定位.gpkg", "物流", "-o", folder / "行车时间.xlsx")
    header, rows = sheet_rows(folder / "行车时间.xlsx")
    assert len(rows) == len(ROWS)
    assert all(CJK.search(h) for h in header), header


@pytest.mark.parametrize("project, town", [("进德镇农产品加工园", "进德镇"), ("黄冕镇林产品加工项目", "黄冕镇")])
def test_typo_rows_are_placed_at_their_township(chain, project, town):
    folder, _ = chain
    gdf = gpd.read_file(folder / "项目定位.gpkg")
    point = gdf.loc[gdf["项目名称"] == project].geometry.item()
    towns = load_layer("townships")
    target = towns.loc[towns["name"] == town].geometry.item()
    assert point is not None and point.distance(target) < 1e-5
    assert "corrected" in str(gdf.loc[gdf["项目名称"] == project, "flags"].item())


def test_total_row_is_skipped_and_reported(chain):
    import pandas as pd

    folder, _ = chain
    report = pd.read_csv(folder / "项目定位.report.csv", encoding="utf-8-sig").set_index("名称")
    assert len(report) == len(ROWS) + 1
    assert report.loc["合计", "原因"].startswith("合计行，不是项目")


def test_every_located_name_is_printed_on_the_map(chain):
    folder, _ = chain
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) is not installed")
    text = "".join(subprocess.run(["pdftotext", str(folder / "项目分布.pdf"), "-"], capture_output=True, text=True,
                                  encoding="utf-8", check=True).stdout.split())
    gdf = gpd.read_file(folder / "项目定位.gpkg")
    outside = gdf["outside_liuzhou"].fillna(False).astype(bool)  # 湖南省怀化市: placed, but off the city's map
    located = gdf.loc[~(gdf.geometry.isna() | gdf.geometry.is_empty) & ~outside, "项目名称"]
    assert len(located) == len(ROWS) - 2
    missing = [n for n in located if n not in text]
    assert not missing, missing


def test_rows_are_numbers_not_text(chain):
    # the review's stated areas come from 用地面积(亩): the disks' areas are those of the table (150 亩 = 10 ha)
    folder, _ = chain
    header, rows = sheet_rows(folder / "审查.xlsx")
    fp = header.index("用地面积（亩）")
    name = next(i for i, h in enumerate(header) if h.startswith("名称") or h == "项目")
    by_name = {r[name]: r for r in rows}
    assert np.isclose(by_name["沙塘镇农业示范园"][fp], 200.0, rtol=1e-6)
