"""Reading user files: encodings decided strictly and reported, coordinates found, nothing guessed silently."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
from shapely.geometry import Point

from gis._errors import CRSError, InputError
from gis.datum import convert
from gis.readers import read_shapefile, read_table, read_vector, table_to_points

CSV = "项目名称,经度,纬度,区号,投资_亿元\n柳州站,109.4250,24.3267,0772,1.5\n鹿寨站,109.7514,24.4729,0772,\n"


def test_utf8_csv_with_bom_reads_without_warning(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(CSV.encode("utf-8-sig"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gdf = read_vector(path)
    assert gdf.columns.tolist() == ["项目名称", "区号", "投资_亿元", "geometry"]  # BOM not in the first name
    assert gdf.attrs["source"]["encoding"] == "UTF-8"
    assert gdf["区号"].tolist() == ["0772", "0772"]
    assert gdf["投资_亿元"].iloc[0] == 1.5 and np.isnan(gdf["投资_亿元"].iloc[1])
    assert (gdf.geometry.iloc[1].x, gdf.geometry.iloc[1].y) == (109.7514, 24.4729)
    assert gdf.crs.to_epsg() == 4326


def test_gbk_csv_is_decoded_and_reported(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(CSV.encode("gbk"))
    with pytest.warns(UserWarning, match="not UTF-8 \\(line 1\\); decoded as GBK"):
        gdf = read_vector(path)
    assert gdf["项目名称"].tolist() == ["柳州站", "鹿寨站"]
    assert gdf.attrs["source"]["encoding"] == "GBK"


def test_csv_in_neither_encoding_names_the_lines(tmp_path):
    path = tmp_path / "a.csv"
    # line 2 is GBK (invalid UTF-8), line 3 holds bytes invalid in both
    path.write_bytes("名称,lon,lat\n".encode() + "柳州,109.4,24.3\n".encode("gbk") + b"\xff\xfe,109.5,24.4\n")
    with pytest.raises(InputError, match=r"neither UTF-8 \(fails on line 2\) nor GBK \(fails on line 3\)"):
        read_table(path)


def test_forced_encoding_mismatch_is_refused(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(CSV.encode("gbk"))
    with pytest.raises(InputError, match="is not UTF-8 \\(line 1\\)"):
        read_table(path, encoding="utf-8")


def test_numbers_only_when_nothing_is_lost(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("code,n,x,flag,t\n0772,1,1.25,True,2021-07-30T09:30:00\n450200,2,-3e2,False,\n", encoding="utf-8")
    t = read_table(path)
    assert t["code"].tolist() == ["0772", "450200"]  # one leading zero keeps the column text
    assert t["n"].dtype == "int64" and t["n"].tolist() == [1, 2]
    assert t["x"].tolist() == [1.25, -300.0]
    assert t["flag"].tolist() == [True, False]
    assert str(t["t"].iloc[0]) == "2021-07-30 09:30:00" and t["t"].isna().iloc[1]


def test_quoted_cells_stay_text_and_may_hold_separators(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('"名称","代码","n"\n"柳州, 广西","450200",1\n"他说""好""","",2\n"x",,\n', encoding="utf-8")
    t = read_table(path)
    assert t["名称"].tolist() == ["柳州, 广西", '他说"好"', "x"]
    assert t["代码"].tolist() == ["450200", "", None]  # quoted empty is empty text, a bare empty cell is missing
    assert t["n"].tolist()[:2] == [1, 2] and np.isnan(t["n"].iloc[2])


def test_ragged_rows_and_stray_quotes_are_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 3 \(spreadsheet numbering: header = row 1\) does not have the 2 cells"):
        read_table(path)
    path.write_text('a,b\n1,x"y\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 2 has a stray quote"):
        read_table(path)


def test_coordinate_columns_are_found_or_named(tmp_path):
    t = read_table_from(tmp_path, "name,LNG,Lat\nA,109.4,24.3\n")
    assert table_to_points(t).geometry.iloc[0].wkt == "POINT (109.4 24.3)"
    t = read_table_from(tmp_path, "name,东,北\nA,109.4,24.3\n")
    with pytest.raises(InputError, match="found no coordinate columns.*columns are name, 东, 北"):
        table_to_points(t, source="t.csv")
    assert table_to_points(t, lon="东", lat="北").geometry.iloc[0].y == 24.3
    with pytest.raises(InputError, match="no column '经度'.*columns are name, 东, 北"):
        table_to_points(t, lon="经度", lat="北")


def read_table_from(tmp_path, text):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    return read_table(path)


def test_non_numeric_coordinates_name_the_rows(tmp_path):
    t = read_table_from(tmp_path, "name,lon,lat\nA,109.4,24.3\nB,东经109度,24.3\n")
    with pytest.raises(InputError, match=r"column 'lon' holds 1 value\(s\) that are not finite numbers \(row 3: "
                                         r"'东经109度'\) \(spreadsheet numbering"):
        table_to_points(t)


def test_missing_coordinates_give_missing_geometry(tmp_path):
    t = read_table_from(tmp_path, "name,lon,lat\nA,109.4,24.3\nB,,\n")
    with pytest.warns(UserWarning, match=r"row 3 \(spreadsheet numbering: header = row 1\) has a blank 'lon' or 'lat'"):
        gdf = table_to_points(t)
    assert gdf.geometry.iloc[1] is None and len(gdf) == 2


def test_blank_longitude_cells_are_named_by_spreadsheet_row_or_refused(tmp_path):
    # a blank line (spreadsheet row 3) is skipped but still counted
    path = tmp_path / "点.csv"
    path.write_text("名称,经度,纬度\n柳州站,109.43,24.33\n\n鹿寨站,,24.47\n融安站,109.40,\n", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"rows 4, 5 \(spreadsheet numbering: header = row 1\) have a blank '经度'"):
        gdf = read_vector(path)
    assert len(gdf) == 3 and gdf.geometry.isna().tolist() == [False, True, True]  # nothing dropped
    with pytest.raises(InputError, match=r"点.csv: rows 4, 5 \(spreadsheet numbering: header = row 1\) have a "
                                         r"blank '经度' or '纬度' cell.*Fill in the coordinates"):
        read_vector(path, missing_coordinates="error")


def test_spreadsheet_rows_of_an_excel_sheet_count_blank_rows(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["名称", "经度", "纬度"], ["柳州站", 109.43, 24.33], [None, None, None], ["鹿寨站", None, 24.47]):
        sheet.append(row)
    book.save(tmp_path / "点.xlsx")
    with pytest.raises(InputError, match=r"row 4 \(spreadsheet numbering: header = row 1\) has a blank '经度'"):
        read_vector(tmp_path / "点.xlsx", missing_coordinates="error")


@pytest.mark.parametrize("codec, label", [("utf-16", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32")])
def test_utf16_and_utf32_with_a_byte_order_mark_are_read(tmp_path, codec, label):
    path = tmp_path / "a.csv"
    text = CSV if codec != "utf-16-be" else "\ufeff" + CSV
    path.write_bytes(text.encode(codec))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gdf = read_vector(path)
    assert gdf.attrs["source"]["encoding"] == label
    assert gdf["项目名称"].tolist() == ["柳州站", "鹿寨站"] and gdf["区号"].tolist() == ["0772", "0772"]
    assert (gdf.geometry.iloc[0].x, gdf.geometry.iloc[0].y) == (109.4250, 24.3267)


def test_excel_unicode_text_is_tab_separated_utf16(tmp_path):
    path = tmp_path / "导出.txt"  # what Excel writes for "Unicode text (*.txt)"
    path.write_bytes("名称\t经度\t纬度\r\n柳州站\t109.43\t24.33\r\n".encode("utf-16"))
    gdf = read_vector(path)
    assert gdf["名称"].tolist() == ["柳州站"] and gdf.geometry.iloc[0].x == 109.43


def test_explicit_input_encoding_reads_what_detection_refuses(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(CSV.encode("utf-16-le"))  # no BOM: neither UTF-8 nor GBK
    with pytest.raises(InputError, match=r"neither UTF-8.*--input-encoding"):
        read_table(path)
    t = read_table(path, encoding="utf-16-le")
    assert t["项目名称"].tolist() == ["柳州站", "鹿寨站"] and t.attrs["source"]["encoding"] == "UTF-16-LE"
    with pytest.raises(InputError, match="unknown encoding 'utf-99'"):
        read_table(path, encoding="utf-99")


def test_projected_coordinates_zone_prefixed_are_identified_others_refused(tmp_path):
    # 36 + 642130 / 2689231 is (109.4E, 24.3N) in EPSG:4524 (zone 36, CM 108E)
    t = read_table_from(tmp_path, "name,x,y\nA,36642130,2689231\n")
    with pytest.warns(UserWarning, match="EPSG:4524"):
        gdf = table_to_points(t)
    lon, lat = pyproj.Transformer.from_crs(gdf.crs, 4326, always_xy=True).transform(36642130, 2689231)
    assert (round(lon, 3), round(lat, 3)) == (109.4, 24.3)
    t = read_table_from(tmp_path, "name,x,y\nA,642130,2689231\n")
    with pytest.raises(CRSError, match="Refusing to guess"):
        table_to_points(t)
    assert table_to_points(t, crs="EPSG:4545").crs.to_epsg() == 4545


def test_gcj02_coordinates_are_converted_to_wgs84(tmp_path):
    lon, lat = convert([109.4250], [24.3267], src="wgs84", dst="gcj02")
    t = read_table_from(tmp_path, f"name,lon,lat\nA,{float(lon[0])!r},{float(lat[0])!r}\n")
    p = table_to_points(t, datum="gcj02").geometry.iloc[0]
    geod = pyproj.Geod(ellps="WGS84")
    assert geod.inv(p.x, p.y, 109.4250, 24.3267)[2] < 0.01  # back on WGS-84 within a centimetre
    raw = table_to_points(t).geometry.iloc[0]
    assert 400 < geod.inv(raw.x, raw.y, 109.4250, 24.3267)[2] < 700  # the GCJ-02 offset at Liuzhou


def test_wkt_column(tmp_path):
    t = read_table_from(tmp_path, 'name,wkt\nA,"LINESTRING (109.4 24.3, 109.5 24.4)"\nB,\n')
    with pytest.warns(UserWarning, match=r"row 3 \(spreadsheet numbering: header = row 1\) has a blank 'wkt'"):
        gdf = table_to_points(t)
    assert gdf.geometry.iloc[0].geom_type == "LineString" and gdf.geometry.iloc[1] is None
    bad = read_table_from(tmp_path, "name,wkt\nA,not wkt\n")
    with pytest.raises(InputError, match=r"not WKT in row 2 \(spreadsheet numbering"):
        table_to_points(bad)


def test_geopackage_layers(tmp_path):
    path = tmp_path / "两层.gpkg"
    a = gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[Point(109.4, 24.3)], crs="EPSG:4326")
    pyogrio.write_dataframe(a, path, layer="站点")
    assert read_vector(path)["名称"].tolist() == ["甲"]
    pyogrio.write_dataframe(a.assign(名称=["乙"]), path, layer="园区")
    with pytest.raises(InputError, match="holds 2 layers \\(站点, 园区\\)"):
        read_vector(path)
    assert read_vector(path, layer="园区")["名称"].tolist() == ["乙"]
    with pytest.raises(InputError, match="has no layer '学校'; its layers are 站点, 园区"):
        read_vector(path, layer="学校")


def test_missing_files_and_unreadable_formats(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_vector(tmp_path / "nope.gpkg")
    with pytest.raises(InputError, match="is a folder"):
        read_vector(tmp_path)
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match="save it as .xlsx"):
        read_vector(tmp_path / "old.xls")
    (tmp_path / "junk.gpkg").write_text("not a geopackage", encoding="utf-8")
    with pytest.raises(InputError, match="GDAL cannot open it"):
        read_vector(tmp_path / "junk.gpkg")


def test_excel_sheets(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["只是说明"])
    ws = book.create_sheet("点位")
    ws.append(["名称", "经度", "纬度", "代码"])
    ws.append(["柳州站", 109.425, 24.3267, "0772"])
    book.save(tmp_path / "a.xlsx")
    gdf = read_vector(tmp_path / "a.xlsx", layer="点位")
    assert gdf["代码"].tolist() == ["0772"] and gdf.geometry.iloc[0].x == 109.425
    with pytest.raises(InputError, match="has no sheet '表1'; its sheets are 说明, 点位"):
        read_table(tmp_path / "a.xlsx", sheet="表1")
    ws.append(["鹿寨站", None, 24.47, 450223])
    book.save(tmp_path / "a.xlsx")
    text = read_table(tmp_path / "a.xlsx", sheet="点位", as_text=True)
    assert text.to_dict("list") == {"名称": ["柳州站", "鹿寨站"], "经度": ["109.425", None],
                                    "纬度": ["24.3267", "24.47"], "代码": ["0772", "450223"]}


def test_as_text_keeps_what_was_written(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes('名称,经度,代码,备注\n柳州站,109.410,0772,""\n鹿寨站,,450223,\n'.encode("utf-16"))
    typed, text = read_table(path), read_table(path, as_text=True)
    assert typed["经度"].tolist()[0] == 109.41 and typed["代码"].tolist() == ["0772", "450223"]
    assert text.to_dict("list") == {"名称": ["柳州站", "鹿寨站"], "经度": ["109.410", None],
                                    "代码": ["0772", "450223"], "备注": ["", None]}
    assert text.attrs["source"]["encoding"] == "UTF-16"


def test_foreign_shapefile_with_gbk_cpg_variants(tmp_path):
    # A Shapefile as Chinese desktop GIS writes it: GBK text and a .cpg saying "936"
    gdf = gpd.GeoDataFrame({"名称": ["柳江区"], "人口": [60]}, geometry=[Point(109.33, 24.25)], crs="EPSG:4326")
    path = tmp_path / "区.shp"
    pyogrio.write_dataframe(gdf, path, encoding="GBK")
    (tmp_path / "区.cpg").write_text("936", encoding="ascii")
    back = read_shapefile(path)
    assert back["名称"].tolist() == ["柳江区"] and back.attrs["source"]["encoding"] == "GBK"
    (tmp_path / "区.cpg").write_text("EBCDIC-XYZ", encoding="ascii")
    with pytest.raises(InputError, match="names the encoding 'EBCDIC-XYZ', which is unknown"):
        read_shapefile(path)


def test_parquet_tables_and_geoparquet_are_read_by_every_verb(tmp_path):
    # a plain Parquet table with coordinate columns and a GeoParquet file: the same points, read the same way
    import geopandas as gpd
    import pandas as pd
    from click.testing import CliRunner
    from shapely.geometry import Point

    from gis.cli import cli
    from gis.readers import read_vector

    table = pd.DataFrame({"名称": ["甲", "乙"], "经度": [109.41, 109.2], "纬度": [24.33, 24.66]})
    table.to_parquet(tmp_path / "t.parquet")
    gpd.GeoDataFrame(table[["名称"]], geometry=[Point(109.41, 24.33), Point(109.2, 24.66)],
                     crs="EPSG:4326").to_parquet(tmp_path / "g.parquet")
    plain, geo = read_vector(tmp_path / "t.parquet"), read_vector(tmp_path / "g.parquet")
    assert plain.crs.to_epsg() == geo.crs.to_epsg() == 4326
    assert list(plain.geometry.x) == list(geo.geometry.x) == [109.41, 109.2]
    assert plain.attrs["source"]["format"] == "Parquet" and geo.attrs["source"]["format"] == "GeoParquet"
    for name in ("t", "g"):
        out = tmp_path / f"n_{name}.csv"
        result = CliRunner().invoke(cli, ["-q", "nearest", str(tmp_path / f"{name}.parquet"), "logistics", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert list(pd.read_csv(out, encoding="utf-8-sig")["origin_name"]) == ["甲", "乙"]


# ---------------------------------------------------------------- the pyarrow fast path reads as the pandas path

_TRICKY_CSV = [
    "名称,区号,人口,lon\n柳州站,0772,415,109.4\n鹿寨站,0772,12,109.7\n",
    '名称,区号,人口\r\n"柳州站","0772",415\r\n"=1+1","",\r\n',
    '名称,值\n"a,b",1\n"c\nd",2.5\n',  # separators and line breaks inside quotes: found as _parse_csv finds them
    'a,b\n"x""y",1\n"",\n,3\n',
    "a,b,c\n1,True,2024-01-02T03:04:05\n2,False,2024-01-02T03:04:06.5\n",
    "a,b\n+5,1e5\n-3,inf\n",  # "+5" is no int64 for arrow: the column goes the pandas way
    "a,b\n１２,3\n4,\n",  # full-width digits
    "a,b\n12345678901234567890,1\n2,2\n",  # does not fit int64
    'a,b\n"2024-01-02T03:04:05",x\n"2024-01-02T03:04:06",\n',
    "a,b\n0,.5\n-0,5.\n",
    "a\n\n",
    "a,b\n,\n,\n",
    "a,b\nTrue,1\n,2\n",
]


@pytest.mark.parametrize("text", _TRICKY_CSV)
@pytest.mark.parametrize("as_text", [False, True])
def test_the_pyarrow_reader_gives_the_pandas_readers_table(text, as_text, tmp_path):
    from gis._tables import _parse_csv, _parse_csv_fast

    path = tmp_path / "t.csv"
    fast = _parse_csv_fast(text.encode("utf-8"), text, sep=",", path=path, as_text=as_text)
    slow = _parse_csv(text, sep=",", path=path, as_text=as_text)
    if fast is None:  # only blank lines send a table that reads to the pandas path here
        assert "\n\n" in text
        return
    pd.testing.assert_frame_equal(fast, slow)
    assert fast.attrs == slow.attrs


@pytest.mark.parametrize("text, message", [
    ("a,b\n1,2,3\n4,5\n", r"row 2 \(spreadsheet"),
    ('a,b\n1,x"y\n', "line 2 has a stray quote"),
    ('a,b\n1,"x" y\n', "line 2 has a stray quote"),
    ("a,a\n1,2\n", "repeats the column name"),
])
def test_the_pyarrow_reader_leaves_the_messages_to_the_pandas_path(text, message, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_table(path)


def test_without_pyarrow_tables_read_the_same(tmp_path, monkeypatch):
    import gis._tables as tables

    path = tmp_path / "t.csv"
    path.write_text('名称,区号,人口,值\r\n"柳州站","0772",415,1.5\r\n"",,3,\r\n', encoding="utf-8-sig")
    fast = read_table(path)
    monkeypatch.setattr(tables, "_ARROW", False)
    slow = read_table(path)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["名称"].tolist() == ["柳州站", ""] and fast["区号"].tolist() == ["0772", None]
    assert fast["人口"].dtype == "int64" and np.isnan(fast["值"].iloc[1])
