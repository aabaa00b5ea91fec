"""What people read speaks Chinese (issue 17 item 5): workbook titles, number formats, the 字段说明 sheet, the
geocoding report; read back by gis and by LibreOffice as an official's spreadsheet shows it."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

import gis
from gis._columns import column_format, column_title, reading_columns, value_title
from gis.readers import read_table, read_vector

from cli_testing import invoke  # tests/cli_testing.py

openpyxl = pytest.importorskip("openpyxl")

#: Headers that may stay ASCII in a sheet people read: identifiers that are codes.
CODE_HEADERS = {"OSM编号"}


def _sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"项目": ["示例物流园", "示例冷库", "示例仓储"], "用地面积(亩)": [320.0, 45.5, 150.0],
         "precision_m": [50.0, 50.0, 50.0]},
        geometry=[Point(109.6604, 24.4058), Point(109.6012, 24.4600), Point(109.5910, 24.4013)], crs="EPSG:4326")


def _header(ws) -> list:
    return [c.value for c in ws[1]]


def _column(ws, title: str) -> list:
    i = _header(ws).index(title) + 1
    return [ws.cell(r, i) for r in range(2, ws.max_row + 1)]


def _assert_reading_sheet(ws) -> None:
    """Chinese headers, the header frozen, the data range filtered."""
    header = _header(ws)
    ascii_only = [h for h in header if str(h).isascii() and h not in CODE_HEADERS]
    assert not ascii_only, ascii_only
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == ws.dimensions and ws.auto_filter.ref.startswith("A1:")


def _fields(book) -> dict[tuple[str, str], str]:
    rows = list(book["字段说明"].iter_rows(values_only=True))
    assert rows[0][:5] == ("工作表", "字段", "机器名", "单位", "说明")
    return {(r[0], r[1]): r[2] for r in rows[1:]}


# ---------------------------------------------------------------- the data file


def test_titles_formats_and_codes_come_from_the_data_file():
    assert column_title("area_ha") == "面积（公顷）" and column_format("area_ha") == "0.00"
    assert column_title("area_mu") == "面积（亩）" and column_format("area_mu") == "0.0"
    assert column_title("share_pct") == "占比（%）" and column_format("share_pct") == "0.0"
    assert column_title("precision_m") == "定位精度（米）" and column_format("precision_m") == "0"
    assert column_format("lon") == "0.000000" and column_title("lat") == "纬度"
    assert column_title("生态保护红线_area_ha") == "生态保护红线 面积（公顷）"
    assert column_format("生态保护红线_area_ha") == "0.00"
    assert column_title("drive_minutes") == "drive（分钟）" and column_format("to_seat_minutes") == "0"
    assert column_title("项目名称") is None and column_format("备注") is None
    assert value_title("status", "matched") == "已定位" and value_title("method", "gazetteer") == "地名库"
    assert value_title("geocode_level", "township") == "乡镇" and value_title("status", "skipped") == "跳过"
    from gis.review import _VERDICTS_ZH

    assert _VERDICTS_ZH == {"inside": "占用", "may_touch": "可能涉及", "clear": "不涉及"}  # one source: the file
    # two columns never show the same title
    assert reading_columns(["geocode_status", "status"]) == {"geocode_status": "定位状态",
                                                            "status": "定位状态（status）"}


# ---------------------------------------------------------------- gis.export and gis.review


def test_exported_review_shows_titles_and_formats_and_reads_back(tmp_path):
    result = gis.review(_sites(), gis.load_layer("zones_example"), zone_field="类型")
    out = gis.export(result, tmp_path / "审查结果.xlsx")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["审查结果", "字段说明"]
    ws = book["审查结果"]
    _assert_reading_sheet(ws)
    header = _header(ws)
    assert {"面积（公顷）", "面积（亩）", "占比（%）", "定位精度（米）", "分区类别", "结论", "用地依据"} <= set(header)
    area = _column(ws, "面积（公顷）")
    assert [c.value for c in area] == pytest.approx(result["area_ha"].tolist())  # full precision kept
    assert {c.number_format for c in area} == {"0.00"}
    assert {c.number_format for c in _column(ws, "面积（亩）")} == {"0.0"}
    assert {c.number_format for c in _column(ws, "占比（%）") if c.value is not None} == {"0.0"}
    assert {c.number_format for c in _column(ws, "定位精度（米）")} == {"0"}
    fields = _fields(book)
    assert fields[("审查结果", "面积（公顷）")] == "area_ha" and fields[("审查结果", "结论（代码）")] == "verdict"
    # widths fitted to the content, a CJK character counting double
    width = ws.column_dimensions[openpyxl.utils.get_column_letter(header.index("分区类别") + 1)].width
    longest = max(len(str(v)) for v in result["zone_class"])
    assert width >= 2 * longest
    # gis reads its own workbook back with the machine names, values unchanged
    back = read_vector(out)
    assert {"area_ha", "area_mu", "share_pct", "verdict", "verdict_zh", "zone_class"} <= set(back.columns)
    assert back["area_ha"].tolist() == pytest.approx(result["area_ha"].tolist())
    assert back["verdict"].tolist() == result["verdict"].tolist()  # exported data keeps its codes
    table = read_table(out)
    assert "footprint_ha" in table.columns and "用地面积（公顷）" not in table.columns


def test_machine_headers_on_request(tmp_path):
    table = pd.DataFrame({"名称": ["甲"], "area_ha": [1.23456]})
    book = openpyxl.load_workbook(gis.export(table, tmp_path / "m.xlsx", headers="machine"))
    assert book.sheetnames == ["m"] and _header(book["m"]) == ["名称", "area_ha"]
    assert book["m"]["B2"].number_format == "0.00" and book["m"].freeze_panes == "A2"
    zh = gis.export(table, tmp_path / "zh.csv", headers="zh").read_text(encoding="utf-8-sig")
    assert zh.splitlines()[0] == '"名称","面积（公顷）"' and "1.23456" in zh  # CSV: titles on request, values exact
    with pytest.raises(gis.InputError, match="headers must be"):
        gis.export(table, tmp_path / "x.xlsx", headers="english")


# ---------------------------------------------------------------- lzgis review and lzgis geocode


@pytest.fixture
def review_book(tmp_path):
    table = tmp_path / "方案.csv"
    table.write_text("项目,方案,用地面积(亩),precision_m,经度,纬度\n"
                     "示例物流园,方案A,320,50,109.6604,24.4058\n"
                     "示例物流园,方案B,300,50,109.5910,24.4013\n"
                     "示例冷库,方案A,45.5,50,109.6012,24.4600\n", encoding="utf-8")
    out = tmp_path / "审查.xlsx"
    res = invoke("review", str(table), "--zones", "zones_example", "--zone-field", "类型", "--option-field", "方案",
                 "--no-map", "-o", str(out))
    assert res.exit_code == 0, res.output + res.stderr
    return out


def test_cli_review_workbook_reads_in_chinese(review_book):
    book = openpyxl.load_workbook(review_book)
    assert book.sheetnames == ["汇总", "明细", "方案比选", "说明", "字段说明"]
    for name in ("汇总", "明细", "方案比选"):
        _assert_reading_sheet(book[name])
    ws = book["汇总"]
    header = _header(ws)
    classes = gis.load_layer("zones_example")["类型"].unique()
    for cls in classes:
        assert f"{cls} 面积（公顷）" in header and f"{cls} 结论" in header and f"{cls} 占比（%）" in header
        assert {c.number_format for c in _column(ws, f"{cls} 面积（公顷）") if c.value is not None} == {"0.00"}
        assert {c.number_format for c in _column(ws, f"{cls} 面积（亩）") if c.value is not None} == {"0.0"}
    verdicts = {c.value for c in _column(ws, "结论")}
    assert verdicts and verdicts <= {"占用", "可能涉及", "不涉及"}
    assert {c.value for c in _column(ws, "是否估算")} == {"是"}  # points with a stated area: estimates
    fields = _fields(book)
    cls = classes[0]
    assert fields[("汇总", f"{cls} 面积（公顷）")] == f"{cls}_area_ha" and fields[("汇总", "结论")] == "verdict_zh"
    assert fields[("明细", "面积（公顷）")] == "area_ha"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_shows_rounded_values_and_chinese_headers(review_book, tmp_path):
    book = openpyxl.load_workbook(review_book)
    ws = book["汇总"]
    area_titles = [h for h in _header(ws) if h.endswith(" 面积（公顷）")]
    raw = [c.value for t in area_titles for c in _column(ws, t) if isinstance(c.value, float) and c.value > 0]
    assert raw, "the example options occupy some zone"
    converted = tmp_path / "lo"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(converted),
                    str(review_book)], check=True, capture_output=True, timeout=300)
    rows = list(csv.reader(io.StringIO((converted / "审查.csv").read_text(encoding="utf-8"))))
    assert rows[0] == _header(ws)  # the first sheet, 汇总, with its Chinese headers
    shown = {cell for row in rows[1:] for cell in row}
    for value in raw:
        assert f"{value:.2f}" in shown, (value, rows)
        assert repr(value) not in shown
    precision = _header(ws).index("定位精度（米）")
    assert {row[precision] for row in rows[1:]} == {"50"}


def test_cli_geocode_workbook_and_report_in_chinese(tmp_path):
    table = tmp_path / "项目.csv"
    table.write_text("项目名称,建设地点\n鹿寨物流园,鹿寨镇\n不存在项目,火星\n柳江仓库,新兴村\n", encoding="utf-8")
    out = tmp_path / "x.xlsx"
    res = invoke("geocode", str(table), "-o", str(out))
    assert res.exit_code == 0, res.output + res.stderr
    book = openpyxl.load_workbook(out)
    ws = book.worksheets[0]
    _assert_reading_sheet(ws)
    header = _header(ws)
    assert header[:2] == ["项目名称", "建设地点"]
    assert {"经度", "纬度", "定位状态", "定位级别", "定位精度（米）", "定位方式", "依据"} <= set(header)
    assert {c.number_format for c in _column(ws, "经度") if c.value is not None} == {"0.000000"}
    back = read_vector(out)  # the layer reads back with its machine names and codes
    assert back["geocode_status"].tolist()[:2] == ["matched", "unmatched"]
    # the report people read: Chinese titles and codes, the Chinese reason first, the English kept
    report = pd.read_csv(tmp_path / "x.report.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert report.columns.tolist() == ["行号", "名称", "地点", "定位状态", "定位方式", "依据", "定位级别",
                                       "定位精度（米）", "经度", "纬度", "匹配", "候选", "标记", "原因", "原因（英文）",
                                       "OSM编号"]
    assert report["定位状态"].tolist()[:2] == ["已定位", "未定位"]
    assert report["定位方式"].iloc[0] == "地名库" and report["定位级别"].iloc[0] == "乡镇"
    assert report["依据"].iloc[0] == "地点"
    assert "鹿寨镇" in report["原因"].iloc[0] and "火星" in report["原因"].iloc[1]
    assert all(not r.isascii() for r in report["原因"])
    assert report["原因（英文）"].iloc[1].isascii() or "火星" in report["原因（英文）"].iloc[1]
    # the Python API keeps the machine names and codes
    _, api = gis.geocode_table(table)
    assert api.columns[:4].tolist() == ["row", "name", "place", "status"] and api["status"].iloc[0] == "matched"
    assert api["reason_zh"].tolist() == report["原因"].tolist()


def test_geocode_report_as_workbook(tmp_path):
    table = pd.DataFrame({"项目名称": ["鹿寨物流园", "某项目"], "建设地点": ["鹿寨镇", "新兴村"]})
    _, report = gis.geocode_table(table)
    out = gis.export(report, tmp_path / "报告.xlsx")
    book = openpyxl.load_workbook(out)
    ws = book["报告"]
    _assert_reading_sheet(ws)
    assert _header(ws)[:4] == ["行号", "名称", "地点", "定位状态"]
    assert {c.value for c in _column(ws, "定位状态")} <= {"已定位", "有歧义", "未定位"}
    assert _fields(book)[("报告", "原因（英文）")] == "reason"
