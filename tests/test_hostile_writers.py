"""Hostile text through the writers (issue 18): spreadsheet formulas, NUL and edge spaces, mathtext on print pages.

- every cell of every sheet of an Excel output, column names included, is text, never a formula; formula-like
  text keeps its characters and carries Excel's quote prefix (the ``'`` Excel shows);
- CSV outputs prefix formula-like text with ``'`` also when white space, invisible characters or full-width
  signs come first (one decision, :func:`gis._cells.formula_like`, shared with Excel); numbers stay numbers;
- GeoPackage / GeoJSON / Shapefile refuse text with a NUL (GDAL cuts it off there), naming row and field, and a
  Shapefile export warns when DBF would drop leading or trailing spaces;
- a print map shows ``$…$`` in its title and names literally.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

import gis
from gis._cells import formula_like
from gis._errors import InputError
from gis.readers import read_vector

from cli_testing import invoke  # tests/cli_testing.py

openpyxl = pytest.importorskip("openpyxl")

CMD = "=cmd|' /C calc'!A0"
HYPERLINK = '=HYPERLINK("http://x","点我")'
#: Leading characters a spreadsheet skips before a formula, and full-width signs it reads as ASCII.
LEADS = [" =1+1", "  =cmd|' /C calc'!A0", "\u3000=1+1", "\u00a0=1+1", "\u200b=1+1", "\ufeff=1+1",
         "\t=1+1", "\r=1+1", "＝1+1", "＋86 772", "－5", "＠SUM(A1)", "\u3000＝1+1", " \u200b ＝1"]


def _all_cells(path):
    book = openpyxl.load_workbook(path)
    return book, [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row]


def _assert_no_formula(path) -> openpyxl.Workbook:
    book, cells = _all_cells(path)
    formulas = [(c.parent.title, c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert not formulas, formulas
    for cell in cells:  # formula-like text carries Excel's quote prefix; other text does not
        if isinstance(cell.value, str):
            assert cell.quotePrefix == formula_like(cell.value), (cell.parent.title, cell.coordinate, cell.value)
    return book


def _header(ws) -> list:
    return [c.value for c in ws[1]]


# ---------------------------------------------------------------- 1. Excel headers and sheets

def test_excel_column_names_are_text_never_formulas(tmp_path):
    table = pd.DataFrame({"名称": ["柳州站"], CMD: [HYPERLINK], "=1+1": [3], " ＝2": ["x"], "lon": [109.4],
                          "lat": [24.3]})
    out = gis.export(table, tmp_path / "t.xlsx", layer="=SUM(A1)")
    book = _assert_no_formula(out)
    ws = book["=SUM(A1)"]
    assert _header(ws) == ["名称", CMD, "=1+1", " ＝2", "经度", "纬度"]  # the text is kept exactly
    assert ws["B1"].data_type == "s" and ws["B1"].quotePrefix and ws["B2"].value == HYPERLINK
    assert ws["C2"].value == 3 and ws["C2"].data_type == "n" and not ws["A1"].quotePrefix


def test_cli_export_and_geocode_to_excel_keep_hostile_headers_as_text(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(f'名称,"{CMD}",lon,lat\n柳州站,"=1+1",109.4,24.3\n', encoding="utf-8")
    res = invoke("export", str(src), "-o", str(tmp_path / "x.xlsx"))
    assert res.exit_code == 0, res.output
    book = _assert_no_formula(tmp_path / "x.xlsx")
    assert _header(book.active)[:2] == ["名称", CMD] and book.active["B2"].value == "=1+1"
    table = tmp_path / "项目.csv"
    table.write_text(f"项目名称,建设地点,=1+2\n鹿寨物流园,鹿寨镇,{CMD}\n", encoding="utf-8")
    res = invoke("geocode", str(table), "-o", str(tmp_path / "g.xlsx"))
    assert res.exit_code == 0, res.output
    book = _assert_no_formula(tmp_path / "g.xlsx")
    header = _header(book.active)
    assert "=1+2" in header and book.active.cell(2, header.index("=1+2") + 1).value == CMD


def test_review_workbook_zone_classes_and_options_never_become_formulas(tmp_path):
    zones = gis.load_layer("zones_example").copy()
    classes = sorted(zones["类型"].unique())
    zones["类型"] = zones["类型"].map({classes[0]: CMD, **{c: c for c in classes[1:]}})
    zones_path = tmp_path / "zones.gpkg"
    zones.to_file(zones_path, driver="GPKG")
    table = tmp_path / "方案.csv"
    table.write_text("项目,方案,用地面积(亩),precision_m,经度,纬度\n"
                     "=1+1,@SUM(A1),300,50,109.6604,24.4058\n"
                     "=1+1,＋方案B,300,50,109.5910,24.4013\n", encoding="utf-8")
    out = tmp_path / "r.xlsx"
    res = invoke("review", str(table), "--zones", str(zones_path), "--zone-field", "类型", "--option-field", "方案",
                 "--no-map", "-o", str(out))
    assert res.exit_code == 0, res.output
    book = _assert_no_formula(out)
    assert "方案比选" in book.sheetnames
    header = _header(book["汇总"])
    assert f"{CMD} 面积（公顷）" in header and f"{CMD} 结论" in header
    assert book["汇总"].cell(1, header.index(f"{CMD} 面积（公顷）") + 1).quotePrefix
    values = {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row}
    assert {"=1+1", "@SUM(A1)", "＋方案B"} <= values  # the text as the user wrote it


def test_sheet_names_excel_refuses_are_named(tmp_path):
    table = pd.DataFrame({"a": [1]})
    with pytest.raises(InputError, match=r"\"'=1\" does not qualify. Pass another layer="):
        gis.export(table, tmp_path / "t.xlsx", layer="'=1")
    assert not (tmp_path / "t.xlsx").exists()


# ---------------------------------------------------------------- 2. CSV: leading white space, full-width signs

@pytest.mark.parametrize("text", LEADS)
def test_csv_neutralises_formulas_behind_white_space_and_full_width_signs(tmp_path, text):
    table = pd.DataFrame({"名称": [text], text: ["x"], "amount": [-5.5], "n": [-3]})
    out = gis.export(table, tmp_path / "t.csv")
    lines = out.read_bytes().decode("utf-8-sig").split("\r\n")
    quoted = '"\'' + text.replace('"', '""') + '"'
    assert lines[0] == f'"名称",{quoted},"amount","n"'  # the column name too
    assert lines[1] == f'{quoted},"x",-5.5,-3'  # negative numbers stay bare numbers
    raw = gis.export(table, tmp_path / "raw.csv", csv_formulas="keep").read_bytes().decode("utf-8-sig")
    assert raw.split("\r\n")[1] == '"' + text.replace('"', '""') + '","x",-5.5,-3'
    xlsx = gis.export(table, tmp_path / "t.xlsx")
    cell = openpyxl.load_workbook(xlsx).active["A2"]
    assert cell.value == text.replace("\r", "\n") or cell.value == text  # openpyxl may normalise a lone CR
    assert cell.data_type == "s" and cell.quotePrefix


def test_csv_leaves_ordinary_text_alone(tmp_path):
    table = pd.DataFrame({"名称": ["柳州 = 龙城", " 柳州", "a-b", "\u3000柳州", "５"]})
    text = gis.export(table, tmp_path / "t.csv").read_bytes().decode("utf-8-sig")
    assert text == '"名称"\r\n"柳州 = 龙城"\r\n" 柳州"\r\n"a-b"\r\n"\u3000柳州"\r\n"５"\r\n'


def test_cli_csv_formulas_keep_still_writes_raw_text(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text('名称,lon,lat\n" =1+1",109.4,24.3\n"＝1",109.4,24.3\n', encoding="utf-8")
    res = invoke("export", str(src), "-o", str(tmp_path / "safe.csv"))
    assert res.exit_code == 0, res.output
    safe = (tmp_path / "safe.csv").read_text(encoding="utf-8-sig")
    assert "\"' =1+1\"" in safe and "\"'＝1\"" in safe
    res = invoke("export", str(src), "-o", str(tmp_path / "raw.csv"), "--csv-formulas", "keep")
    assert res.exit_code == 0, res.output
    raw = (tmp_path / "raw.csv").read_text(encoding="utf-8-sig")
    assert '" =1+1"' in raw and '"＝1"' in raw and "'" not in raw


# ---------------------------------------------------------------- 3. NUL and edge spaces

def _layer(values: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"名称": values, "code": ["a"] * len(values)},
                            geometry=[Point(109.4 + i * 0.01, 24.3) for i in range(len(values))], crs="EPSG:4326")


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp"])
def test_nul_in_text_is_refused_with_row_and_field(tmp_path, suffix):
    layer = _layer(["柳州站", "柳州\x00站"])
    with pytest.raises(InputError, match=r"NUL.*row 1 field '名称'.*Remove the NUL"):
        gis.export(layer, tmp_path / f"a{suffix}")
    assert not list(tmp_path.iterdir())
    gis.export(_layer(["柳州站", "柳州 站"]), tmp_path / f"a{suffix}")  # without the NUL it writes


def test_nul_in_a_field_name_is_refused(tmp_path):
    layer = _layer(["柳州站"]).rename(columns={"code": "co\x00de"})
    with pytest.raises(InputError, match=r"field name 'co\\x00de'"):
        gis.export(layer, tmp_path / "a.gpkg")


def test_shapefile_warns_about_spaces_it_drops_and_geopackage_keeps_them(tmp_path):
    layer = _layer([" 柳州站", "鹿寨站  ", "  ", "融安站"])
    with pytest.warns(UserWarning, match=r"3 text value\(s\) start or end with spaces in field\(s\) '名称' \(3\)"):
        gis.export(layer, tmp_path / "a.shp")
    back = read_vector(tmp_path / "a.shp")
    assert back["名称"].tolist()[:2] == ["柳州站", "鹿寨站"]  # what the warning announced
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gis.export(layer, tmp_path / "a.gpkg")
        gis.export(_layer(["柳州站"]), tmp_path / "b.shp")  # nothing to say
    assert read_vector(tmp_path / "a.gpkg")["名称"].tolist() == [" 柳州站", "鹿寨站  ", "  ", "融安站"]


# ---------------------------------------------------------------- 4. print maps: no mathtext

@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed")
def test_print_map_shows_dollar_text_literally(tmp_path):
    from gis import webmap

    points = gpd.GeoDataFrame({"名称": ["投资 $5亿", "b"]},
                              geometry=[Point(109.41, 24.31), Point(109.45, 24.35)], crs="EPSG:4326")
    structure = gpd.GeoDataFrame({"role": ["核"], "name": [r"$\undefinedcmd{x}$"]},
                                 geometry=[Point(109.42, 24.33).buffer(0.01)], crs="EPSG:4326")
    fmap = webmap.make_map([(points, {"title": "规划 $A$ 与 $B$"})], title="投资 $5亿 至 $8亿",
                           note=r"说明 $\frac{1}{2}$", structure=structure, base=[])
    out = gis.save_map(fmap, tmp_path / "m.pdf")
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, encoding="utf-8",
                          check=True).stdout
    assert "投资 $5亿 至 $8亿" in text and r"$\undefinedcmd{x}$(核)" in text, text  # title, a feature's label
    assert "规划 $A$ 与 $B$" in text and r"说明 $\frac{1}{2}$" in text  # legend entry and note
