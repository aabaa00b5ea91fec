"""Round trips of every export format: write, read back, same names, values and geometry."""

from __future__ import annotations

import importlib
import json
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from gis._errors import CRSError, InputError
from gis.export import export, output_paths, short_field_names
from gis.readers import read_shapefile, read_table, read_vector

# Real places (township seats of 柳州, rounded lon/lat) and values with the usual traps:
# Chinese names over 10 bytes, an area code with a leading zero, a missing value, a GBK-only word.
NAMES = ["柳州站", "鹿寨县城", "融水苗族自治县", None]
POINTS = [Point(109.4250, 24.3267), Point(109.7514, 24.4729), Point(109.2567, 25.0658), Point(109.3950, 24.3310)]


def sample_points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "名称": NAMES,
            "所在乡镇街道名称": ["柳南区", "鹿寨镇", "融水镇", "城中区"],  # 8 chars: over 10 bytes in UTF-8 and GBK
            "所在乡镇街道代码": ["450204", "450223", "450225", "450202"],  # collides with the name above when cut
            "区号": ["0772", "0772", "0772", "0772"],
            "dist_m": [0.0, 31234.56789, np.nan, 1.5e-3],
            "人口_万人": [12, 30, 52, 7],
            "在建": [True, False, True, False],
        },
        geometry=POINTS,
        crs="EPSG:4326",
    )


def sample_polygons() -> gpd.GeoDataFrame:
    square = Polygon([(642000, 2689000), (643000, 2689000), (643000, 2690000), (642000, 2690000)])
    holed = Polygon(square.exterior.coords, [[(642200, 2689200), (642200, 2689400), (642400, 2689400), (642400, 2689200)]])
    multi = MultiPolygon([square, Polygon([(650000, 2700000), (651000, 2700000), (650500, 2701000)])])
    return gpd.GeoDataFrame(
        {"用地名称": ["柳东新区起步区", "官塘片区", "雒容工业园"], "area_ha": [100.0, 96.0, 200.0]},
        geometry=[square, holed, multi],
        crs="EPSG:4545",
    )


def sample_lines() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"线路": ["柳州—鹿寨", "柳江"], "length_km": [40.1, 12.0]},
        geometry=[LineString([(109.425, 24.327), (109.60, 24.40), (109.751, 24.473)]),
                  LineString([(109.30, 24.20), (109.40, 24.30)])],
        crs="EPSG:4326",
    )


def assert_same_values(got: pd.Series, want: pd.Series) -> None:
    assert len(got) == len(want)
    for g, w in zip(got.tolist(), want.tolist()):
        if w is None or (isinstance(w, float) and np.isnan(w)):
            assert g is None or (isinstance(g, float) and np.isnan(g)), (g, w)
        elif isinstance(w, float):
            assert g == pytest.approx(w, rel=1e-10, abs=1e-12)
        else:
            assert g == w and type(g) is type(w) or (isinstance(w, (bool, np.bool_)) and bool(g) == bool(w)), (g, w)


def assert_same_layer(got: gpd.GeoDataFrame, want: gpd.GeoDataFrame, *, tolerance: float) -> None:
    attributes = [c for c in want.columns if c != want.geometry.name]
    assert [c for c in got.columns if c != got.geometry.name] == attributes
    for column in attributes:
        assert_same_values(got[column], want[column])
    assert got.crs.equals(want.crs) or got.crs.to_epsg() == want.crs.to_epsg()
    for g, w in zip(got.geometry, want.geometry):
        # topological equality within rounding (Shapefile/GeoJSON may rewind rings)
        assert g.geom_type.replace("Multi", "") == w.geom_type.replace("Multi", "")
        assert g.hausdorff_distance(w) <= tolerance, (g.wkt, w.wkt)
        assert abs(g.area - w.area) <= tolerance * w.length + 1e-12 * w.area


@pytest.mark.parametrize("factory", [sample_points, sample_polygons, sample_lines])
def test_geopackage_round_trip_keeps_chinese_layer_and_field_names(tmp_path, factory):
    gdf = factory()
    out = export(gdf, tmp_path / "规划.gpkg", layer="柳州规划")
    # the data layer, then QGIS's style table (gis._qml), which GDAL lists as a table like any other
    assert [row[0] for row in pyogrio.list_layers(out)] == ["柳州规划", "layer_styles"]
    back = read_vector(out)
    assert_same_layer(back, gdf, tolerance=0)
    assert back.crs.to_epsg() == gdf.crs.to_epsg()


@pytest.mark.parametrize("factory", [sample_points, sample_polygons, sample_lines])
def test_geojson_is_rfc7946_utf8_and_round_trips(tmp_path, factory):
    gdf = factory()
    out = export(gdf, tmp_path / "规划.geojson")
    raw = out.read_bytes()
    text = raw.decode("utf-8")  # strict: raises if not UTF-8
    assert "\\u" not in text
    assert gdf.iloc[0, 0] in text  # the first Chinese name, unescaped
    doc = json.loads(text)
    assert "crs" not in doc  # RFC 7946 drops the crs member: lon/lat WGS-84 only
    first = doc["features"][0]["geometry"]
    if first["type"] == "Polygon":  # RFC 7946: exterior rings counter-clockwise
        assert shapely.LinearRing(first["coordinates"][0]).is_ccw
    back = read_vector(out)
    assert back.crs.to_epsg() == 4326
    # 7 decimals of a degree are about 1 cm
    assert_same_layer(back, gdf.to_crs("EPSG:4326"), tolerance=2e-7)


def test_geojson_reprojects_to_lonlat(tmp_path):
    gdf = sample_polygons()
    doc = json.loads(export(gdf, tmp_path / "a.geojson").read_text(encoding="utf-8"))
    x, y = doc["features"][0]["geometry"]["coordinates"][0][0]
    # EPSG:4545 easting 642000 lies near 109.40E, 24.30N (checked against pyproj below)
    import pyproj

    lon, lat = pyproj.Transformer.from_crs(4545, 4326, always_xy=True).transform(642000, 2689000)
    assert (round(x, 6), round(y, 6)) == (round(lon, 6), round(lat, 6))
    assert 109.3 < x < 109.5 and 24.2 < y < 24.4


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
@pytest.mark.parametrize("factory", [sample_points, sample_polygons, sample_lines])
def test_shapefile_round_trip_with_cpg_and_full_names(tmp_path, factory, encoding):
    gdf = factory()
    out = export(gdf, tmp_path / "规划.shp", encoding=encoding)
    # every part export may write, except the sidecar of texts cut to 254 bytes (none here)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in output_paths(out) if not p.name.endswith(".fulltext.csv"))
    assert (tmp_path / "规划.cpg").read_text(encoding="ascii") == {"utf-8": "UTF-8", "gbk": "GBK"}[encoding]
    codec = {"utf-8": "utf-8", "gbk": "gbk"}[encoding]
    # every DBF field name fits 10 bytes in the chosen encoding
    dbf_names = pyogrio.read_info(out, encoding="ISO-8859-1")["fields"]
    assert all(len(n.encode("latin-1")) <= 10 for n in dbf_names)
    decoded = [n.encode("latin-1").decode(codec) for n in dbf_names]
    sidecar = pd.read_csv(tmp_path / "规划.fields.csv", encoding="utf-8-sig", dtype=str)
    assert sidecar["short"].tolist() == decoded
    assert sidecar["full"].tolist() == [c for c in gdf.columns if c != "geometry"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a .cpg is present: no encoding warning
        back = read_vector(out)
    assert back.attrs["source"]["encoding"] == encoding.upper()
    assert_same_layer(back, gdf, tolerance=1e-6)


def test_gbk_shapefile_is_really_gbk_and_names_are_cut_by_bytes(tmp_path):
    gdf = sample_points()
    out = export(gdf, tmp_path / "站.shp", encoding="gbk")
    dbf = (tmp_path / "站.dbf").read_bytes()
    assert "融水苗族自治县".encode("gbk") in dbf
    assert "融水苗族自治县".encode("utf-8") not in dbf
    names = pd.read_csv(tmp_path / "站.fields.csv", encoding="utf-8-sig", dtype=str)
    mapping = dict(zip(names["full"], names["short"]))
    # GBK: 2 bytes per character, so 5 characters fit; the second long name collides and gets a suffix
    assert mapping["所在乡镇街道名称"] == "所在乡镇街"
    assert mapping["所在乡镇街道代码"] == "所在乡镇_1"
    assert mapping["名称"] == "名称"
    assert out == tmp_path / "站.shp"


def test_short_field_names_are_unique_case_insensitively_and_deterministic():
    names = ["Population", "population_2020", "POPULATION_2035", "名称", "所在乡镇街道名称"]
    first = short_field_names(names, encoding="utf-8")
    assert first == short_field_names(names, encoding="utf-8")
    shorts = list(first.values())
    assert len({s.casefold() for s in shorts}) == len(shorts)
    assert all(len(s.encode("utf-8")) <= 10 for s in shorts)
    assert first["Population"] == "Population"  # fits, kept as is
    assert first["所在乡镇街道名称"] == "所在乡"  # 3 chars = 9 bytes in UTF-8


def test_shapefile_without_cpg_decodes_gbk_and_says_so(tmp_path):
    gdf = sample_points()
    out = export(gdf, tmp_path / "站.shp", encoding="gbk")
    (tmp_path / "站.cpg").unlink()
    with pytest.warns(UserWarning, match="no .cpg; its text decoded as GBK after not UTF-8"):
        back = read_shapefile(out)
    assert back.attrs["source"]["encoding"] == "GBK"
    assert_same_layer(back, gdf, tolerance=1e-6)


def test_shapefile_without_cpg_decodes_utf8_first(tmp_path):
    gdf = sample_points()
    out = export(gdf, tmp_path / "站.shp", encoding="utf-8")
    (tmp_path / "站.cpg").unlink()
    with pytest.warns(UserWarning, match="decoded as UTF-8"):
        back = read_vector(out)
    assert back["名称"].tolist()[:3] == NAMES[:3]


def test_shapefile_in_neither_encoding_is_refused(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["ok"]}, geometry=[Point(109.4, 24.3)], crs="EPSG:4326")
    out = export(gdf, tmp_path / "x.shp")
    (tmp_path / "x.cpg").unlink()
    dbf = tmp_path / "x.dbf"
    data = dbf.read_bytes()
    # \x80 alone is invalid in UTF-8, and \xff\xff is invalid in GBK
    dbf.write_bytes(data.replace(b"ok", b"\xff\xff"))
    with pytest.raises(InputError, match=r"not UTF-8 \(row 0 field 'name'\), not GBK \(row 0 field 'name'\)"):
        read_shapefile(out)


def test_wrong_cpg_is_reported_not_mojibake(tmp_path):
    gdf = sample_points()
    out = export(gdf, tmp_path / "站.shp", encoding="gbk")
    (tmp_path / "站.cpg").write_text("UTF-8", encoding="ascii")
    with pytest.raises(InputError, match="its .cpg names the wrong encoding"):
        read_shapefile(out)
    back = read_shapefile(out, encoding="gbk")
    assert back["名称"].iloc[2] == "融水苗族自治县"


def test_gbk_refuses_values_without_gbk_code_naming_row_and_field(tmp_path):
    gdf = sample_points()
    gdf.loc[1, "名称"] = "鹿寨😀"
    gdf.loc[3, "区号"] = "₩"  # has no GBK code either
    with pytest.raises(InputError, match=r"row 1 field '名称'.*row 3 field '区号'"):
        export(gdf, tmp_path / "站.shp", encoding="gbk")
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    export(gdf, tmp_path / "站.shp", encoding="utf-8")  # UTF-8 holds it
    assert read_vector(tmp_path / "站.shp")["名称"].iloc[1] == "鹿寨😀"


def test_overlong_text_is_cut_for_shapefile_and_kept_whole_beside_it(tmp_path):
    gdf = gpd.GeoDataFrame({"说明": ["柳" * 100]}, geometry=[Point(109.4, 24.3)], crs="EPSG:4326")
    with pytest.warns(UserWarning, match=r"1 text value\(s\) are longer than the Shapefile's 254 bytes in UTF-8"):
        export(gdf, tmp_path / "a.shp")  # 300 bytes in UTF-8
    assert gpd.read_file(tmp_path / "a.shp").iloc[0, 0] == "柳" * 84  # cut between characters: 252 bytes
    assert (tmp_path / "a.fulltext.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "fid,field,text", "0,说明," + "柳" * 100]
    assert read_vector(tmp_path / "a.shp")["说明"].iloc[0] == "柳" * 100
    export(gdf, tmp_path / "b.shp", encoding="gbk")  # 200 bytes in GBK fit
    assert not (tmp_path / "b.fulltext.csv").exists()
    assert read_vector(tmp_path / "b.shp")["说明"].iloc[0] == "柳" * 100


def test_shapefile_refuses_mixed_geometry_kinds(tmp_path):
    gdf = pd.concat([sample_points(), sample_lines().to_crs(4326)], ignore_index=True)
    with pytest.raises(InputError, match="one geometry kind"):
        export(gdf, tmp_path / "mix.shp")
    assert list(tmp_path.iterdir()) == []


def test_datetimes_round_trip(tmp_path):
    gdf = sample_points().iloc[:2].copy()
    gdf["批复时间"] = pd.to_datetime(["2021-07-30 09:30:00", "2024-01-02 00:00:00"])
    for name in ("a.gpkg", "a.shp", "a.csv", "a.xlsx"):
        back = read_vector(tmp_path / name) if export(gdf, tmp_path / name) else None
        assert back["批复时间"].tolist() == gdf["批复时间"].tolist(), name


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_csv_points_round_trip_as_lonlat(tmp_path, encoding):
    gdf = sample_points()
    out = export(gdf, tmp_path / "站.csv", encoding=encoding)
    raw = out.read_bytes()
    if encoding == "utf-8":
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM so that Excel opens it right
    else:
        raw.decode("gbk")
    header = raw.decode("utf-8-sig" if encoding == "utf-8" else "gbk").splitlines()[0]
    assert header.endswith(',"lon","lat"')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = read_vector(out)
    assert back["区号"].tolist() == ["0772"] * 4  # leading zero kept
    assert back["所在乡镇街道代码"].tolist() == ["450204", "450223", "450225", "450202"]  # text, not numbers
    assert_same_layer(back, gdf, tolerance=0)


def test_csv_and_excel_polygons_round_trip_as_wkt(tmp_path):
    gdf = sample_polygons()
    for name in ("地块.csv", "地块.xlsx"):
        out = export(gdf, tmp_path / name)
        table = read_table(out)
        assert "wkt" in table.columns
        back = read_vector(out)
        assert back.crs.to_epsg() == 4326
        assert_same_layer(back, gdf.to_crs(4326), tolerance=1e-12)


def test_excel_keeps_types_and_text_that_looks_like_a_formula(tmp_path):
    gdf = sample_points()
    gdf["备注"] = ["=1+1", "普通", None, "+86 772"]
    out = export(gdf, tmp_path / "站.xlsx", layer="站点")
    import openpyxl

    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["站点", "字段说明"]
    cell = book["站点"]["H2"]
    assert book["站点"]["H1"].value == "备注" and cell.value == "=1+1" and cell.data_type == "s"
    back = read_vector(out)
    assert back["备注"].tolist() == ["=1+1", "普通", None, "+86 772"]
    assert back["区号"].tolist() == ["0772"] * 4
    assert back["人口_万人"].dtype == "int64"
    assert_same_layer(back.drop(columns="备注"), gdf.drop(columns="备注"), tolerance=0)


def test_plain_table_to_csv_and_excel(tmp_path):
    table = pd.DataFrame({"乡镇": ["雒容镇", "洛埠镇"], "dist_m": [1234.5, 2345.25], "n": [1, 2]})
    for name in ("t.csv", "t.xlsx"):
        back = read_table(export(table, tmp_path / name))
        pd.testing.assert_frame_equal(back, table, check_dtype=False)
        assert back["n"].dtype == "int64"


def test_refuses_to_overwrite_and_overwrites_on_request(tmp_path):
    gdf = sample_points()
    out = export(gdf, tmp_path / "a.gpkg")
    before = out.read_bytes()
    with pytest.raises(InputError, match="already exists.*overwrite"):
        export(gdf.iloc[:1], out)
    assert out.read_bytes() == before
    export(gdf.iloc[:1], out, overwrite=True)
    assert len(read_vector(out)) == 1
    # a Shapefile counts as existing when any part exists
    (tmp_path / "b.dbf").write_bytes(b"")
    with pytest.raises(InputError, match="b.dbf already exists"):
        export(gdf, tmp_path / "b.shp")
    export(gdf, tmp_path / "b.shp", overwrite=True)
    assert len(read_vector(tmp_path / "b.shp")) == 4


def test_format_and_suffix_checks(tmp_path):
    gdf = sample_points()
    assert export(gdf, tmp_path / "noext").name == "noext.gpkg"
    assert export(gdf, tmp_path / "x", format="shp").name == "x.shp"
    with pytest.raises(InputError, match="does not match format"):
        export(gdf, tmp_path / "a.csv", format="gpkg")
    with pytest.raises(InputError, match="cannot tell the format"):
        export(gdf, tmp_path / "a.kmz")
    with pytest.raises(InputError, match="encoding 'latin-1' is not supported"):
        export(gdf, tmp_path / "a.shp", encoding="latin-1")
    with pytest.raises(CRSError, match="no CRS"):
        export(gdf.set_crs(None, allow_override=True), tmp_path / "c.gpkg")
    with pytest.raises(InputError, match="needs a GeoDataFrame"):
        export(pd.DataFrame({"a": [1]}), tmp_path / "d.gpkg")
    assert not (tmp_path / "a.shp").exists() and not (tmp_path / "c.gpkg").exists()


def test_input_is_not_mutated(tmp_path):
    gdf = sample_polygons()
    gdf["t"] = pd.to_datetime(["2020-01-01"] * 3)
    copy = gdf.copy()
    for name in ("a.shp", "a.geojson", "a.csv"):
        export(gdf, tmp_path / name)
    pd.testing.assert_frame_equal(pd.DataFrame(gdf.drop(columns="geometry")), pd.DataFrame(copy.drop(columns="geometry")))
    assert gdf.geometry.equals(copy.geometry) and gdf.crs == copy.crs


def test_points_with_their_own_lon_lat_columns(tmp_path):
    gdf = sample_points().iloc[:2].copy()
    gdf["lon"], gdf["lat"] = gdf.geometry.x, gdf.geometry.y
    out = export(gdf, tmp_path / "a.csv")
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.count('"lon"') == 1 and header.endswith('"lon","lat"')
    back = read_vector(out)
    assert back.geometry.x.tolist() == gdf.geometry.x.tolist()
    gdf.loc[0, "lon"] = 100.0  # a column that contradicts the geometry is refused, not silently dropped
    with pytest.raises(InputError, match="lon, lat, which would hold the geometry but differ from it"):
        export(gdf, tmp_path / "b.csv")


def test_empty_text_survives_csv_and_shapefile(tmp_path):
    gdf = sample_points().iloc[:3].copy()
    gdf["备注"] = ["", "有", ""]  # empty text, no missing values
    gdf["说明"] = ["", None, "x"]  # both: a Shapefile cannot tell them apart
    back = read_vector(export(gdf, tmp_path / "a.csv"))
    assert back["备注"].tolist() == ["", "有", ""] and back["说明"].tolist() == ["", None, "x"]
    with pytest.warns(UserWarning, match="'说明' holds both empty text and missing values"):
        out = export(gdf, tmp_path / "a.shp", encoding="gbk")
    back = read_vector(out)
    assert back["备注"].tolist() == ["", "有", ""]
    assert back["说明"].isna().tolist() == [True, True, False]


def test_nullable_columns_from_analyses_write_empty_cells(tmp_path):
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    import gis

    towns = gpd.GeoDataFrame({"name": ["甲", "乙"], "precision_m": [100.0, None]},
                             geometry=[Point(109.40, 24.30), Point(109.50, 24.40)], crs="EPSG:4326")
    hubs = gpd.GeoDataFrame({"name": ["站"], "precision_m": [50.0]}, geometry=[Point(109.41, 24.31)], crs="EPSG:4326")
    result = gis.nearest(towns, hubs)
    assert result["within_uncertainty"].isna().tolist() == [False, True]
    for suffix in ("xlsx", "csv"):
        out = gis.export(result, tmp_path / f"r.{suffix}")
        back = pd.read_excel(out) if suffix == "xlsx" else pd.read_csv(out, encoding="utf-8-sig")
        column = "在不确定范围内" if suffix == "xlsx" else "within_uncertainty"  # Excel shows the Chinese title
        assert back[column].isna().tolist() == [False, True]
        assert bool(back[column].iloc[0]) == bool(result["within_uncertainty"].iloc[0])


def test_csv_written_by_column_matches_the_cell_by_cell_writer():
    """The column-wise CSV writer (numbers by numpy, one formula check per first character) gives the cells
    _csv_cell gives one by one, for tricky texts and numbers."""
    import datetime as dt

    from gis._cells import formula_like, formula_mask
    from gis.export import _csv_cell, _csv_column

    texts = ["=1+1", " =A1", "\u3000＝1", "\ufeff@SUM(A1)", "－5", "柳州", "a=b", "", "\t1", "=\u0338x", "¨=",
             'say "hi"', "+86 772", "-", "@", "\u200b=1", None]
    floats = [1.25, -300.0, 1e16, 0.1, float("nan"), -0.0, 123456789012345.0, 1e-7, float("inf")]
    frame = pd.DataFrame({"t": pd.Series(texts, dtype=object)})
    for neutralise in (True, False):
        assert _csv_column(frame["t"], neutralise=neutralise) == [_csv_cell(v, neutralise=neutralise) for v in texts]
        assert _csv_column(pd.Series(texts, dtype="str"), neutralise=neutralise) == \
            [_csv_cell(v, neutralise=neutralise) for v in texts]
    assert formula_mask([t for t in texts if t is not None]) == [formula_like(t) for t in texts if t is not None]
    assert _csv_column(pd.Series(floats), neutralise=True) == [_csv_cell(v) for v in floats]
    ints = pd.Series([1, -2, 2**62])
    assert _csv_column(ints, neutralise=True) == ["1", "-2", str(2**62)]
    assert _csv_column(pd.Series([True, False]), neutralise=True) == ["True", "False"]
    stamps = pd.Series(pd.to_datetime(["2021-07-30T09:30:00", None]))
    assert _csv_column(stamps, neutralise=True) == [_csv_cell(v) for v in stamps.tolist()]
    assert _csv_cell(dt.date(2021, 7, 30)) == '"2021-07-30"'


# ---------------------------------------------------------------- CSV by arrow's kernels, byte for byte

@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
@pytest.mark.parametrize("formulas", ["neutralise", "keep"])
def test_csv_written_by_arrow_is_the_csv_written_cell_by_cell(tmp_path, monkeypatch, encoding, formulas):
    export_module = importlib.import_module("gis.export")

    table = pd.DataFrame({
        "=名称": ["=1+1", ' "引号" ', "\u3000＝SUM(A1)", "-5", None, "", "柳州\n站", "\t@x", "＋86", "a=b"],
        "人口": np.arange(10, dtype="int64") - 3,
        "值": [0.1, np.nan, 1e16, -0.0, np.inf, 2.5, 1e-5, 3.0, 100000.0, float("nan")],
        "是": [True, False] * 5,
        "时间": pd.to_datetime(["2024-01-02T03:04:05"] * 10),
        "混合": [1, "x", None, 2.5, "=y", 3, "z", None, "w", "-"],
        "单": np.array(["短"] * 10, dtype=object),
    })
    monkeypatch.setattr(export_module, "_ARROW", True)
    fast = export(table, tmp_path / "fast.csv", encoding=encoding, csv_formulas=formulas).read_bytes()
    monkeypatch.setattr(export_module, "_ARROW", False)
    slow = export(table, tmp_path / "slow.csv", encoding=encoding, csv_formulas=formulas).read_bytes()
    assert fast == slow
    assert (b"\"'=1+1\"" in fast) == (formulas == "neutralise") and fast.count(b"\r\n") >= 11
    assert export(table.iloc[:0], tmp_path / "empty.csv", encoding=encoding).read_bytes().count(b"\r\n") == 1
