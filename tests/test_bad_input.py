"""Every bad cell is reported per row; limits hold; CSV cells never run as formulas; CLI words (issue 13.4-13.7)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
from shapely.geometry import Point, Polygon

import gis
from gis import datum
from gis._errors import InputError
from gis.geocode import geocode_table, read_overrides
from gis.readers import read_table, read_vector

from cli_testing import invoke  # tests/cli_testing.py

GEOD = pyproj.Geod(ellps="GRS80")


def error_line(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = [line for line in result.stderr.splitlines() if line.startswith("lzgis: error:")]
    assert len(lines) == 1 and "internal error" not in result.stderr, result.stderr
    return lines[0]


# ---------------------------------------------------------------- 13.4 bad cells, per row

def test_unreadable_coordinate_cells_are_flagged_per_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("项目名称,建设地点,经度,纬度\n"
                    "甲,雒容镇,109.6153,24.4131\n"       # row 2: good
                    "乙,雒容镇,东经109度,24.4131\n"       # row 3: text
                    "丙,雒容镇,NaN,24.4131\n"             # row 4: NaN
                    "丁,雒容镇,inf,24.4131\n"             # row 5: inf
                    "戊,雒容镇,,24.4131\n"                # row 6: one of the pair empty
                    "己,雒容镇,１０９．６１５３,２４．４１３１\n"  # row 7: full-width digits: read (NFKC)
                    "庚,雒容镇,,\n", encoding="utf-8")      # row 8: no coordinates at all: placed by text, no flag
    with pytest.warns(UserWarning, match=r"4 row\(s\) have coordinate cells that cannot be read \(rows 3, 4, 5, 6"):
        gdf, report = geocode_table(path)
    assert report["row"].tolist() == [2, 3, 4, 5, 6, 7, 8]
    flagged = report.set_index("row")["flags"].str.contains("bad_coordinates")
    assert flagged.to_dict() == {2: False, 3: True, 4: True, 5: True, 6: True, 7: False, 8: False}
    reasons = report.set_index("row")["reason"]
    assert "经度 '东经109度' is not a finite number" in reasons[3]
    assert "经度 is empty" in reasons[6] and "placed by its text instead" in reasons[6]
    assert report.set_index("row").loc[7, "method"] == "coordinates"
    full = gdf.geometry.iloc[5]
    assert (full.x, full.y) == (109.6153, 24.4131)
    assert (report["status"] == "matched").all()  # every row is placed (by text where its cells are unusable)


def test_formula_cells_without_saved_values_are_named(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["名称", "lon", "lat"])
    ws.append(["柳州站", 109.3968, 24.3122])
    ws.append(["鹿寨站", "=109+0.7397", 24.4728])  # openpyxl saves the formula without a value, as scripts do
    path = tmp_path / "t.xlsx"
    book.save(path)
    with pytest.warns(UserWarning, match=r"1 formula cell\(s\) have no saved value \(row 3 column 'lon': =109\+0.7397"):
        table = read_table(path)
    assert table.attrs["formula_cells"] == [(3, "lon", "=109+0.7397")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(InputError, match=r"row 3 .*formula cells without a saved value: row 3 'lon' =109\+0.7397"):
            read_vector(path, missing_coordinates="error")
        _, report = geocode_table(path)
    row3 = report.set_index("row").loc[3]
    assert "bad_coordinates" in row3["flags"] and "lon =109+0.7397" in row3["reason"]


def test_override_positions_outside_the_valid_range_are_refused():
    with pytest.raises(InputError, match=r"entry 1 \(某站\): lon 200, lat 24.3 are not a valid position"):
        read_overrides([{"name": "某站", "lon": 200, "lat": 24.3}])
    with pytest.raises(InputError, match=r"entry 1 \(某站\): lon 24.3, lat 109.4 are not a valid position.*"
                                         r"\(lat and lon swapped\?\)"):
        read_overrides([{"name": "某站", "lon": 24.3, "lat": 109.4}])
    far = read_overrides([{"name": "北京", "lon": 116.4, "lat": 39.9}])  # valid, kept, and said to lie outside
    assert far["北京"]["reason"].endswith("outside the municipality of Liuzhou: check it")
    ok = read_overrides([{"name": "某站", "lon": "１０９．４", "lat": "２４．３"}])  # full-width: NFKC
    assert (ok["某站"]["lon"], ok["某站"]["lat"]) == (109.4, 24.3)


TOWNS = ["雒容镇", "洛埠镇", "拉堡镇", "里雍镇", "百朋镇", "成团镇", "进德镇", "东泉镇", "四排镇", "寨隆镇",
         "黄冕镇", "中渡镇"]


def _town_table(tmp_path: Path, *, shift_to_gcj: bool) -> tuple[Path, pd.DataFrame]:
    towns = gis.load_layer("townships").drop_duplicates("name").set_index("name").loc[TOWNS]
    lon, lat = towns.geometry.x.to_numpy(), towns.geometry.y.to_numpy()
    if shift_to_gcj:
        lon, lat = datum.convert(lon, lat, src="wgs84", dst="gcj02")
    table = pd.DataFrame({"项目名称": [f"{t}项目" for t in TOWNS], "建设地点": [f"{c}{t}" for c, t in
                                                                            zip(towns["county"], TOWNS)],
                          "经度": np.round(lon, 6), "纬度": np.round(lat, 6)})
    path = tmp_path / ("gcj.csv" if shift_to_gcj else "wgs.csv")
    table.to_csv(path, index=False, encoding="utf-8")
    return path, towns


def test_a_gcj02_table_declared_wgs84_is_flagged(tmp_path):
    path, towns = _town_table(tmp_path, shift_to_gcj=True)
    offsets = [GEOD.inv(p.x, p.y, *datum.convert([p.x], [p.y], src="wgs84", dst="gcj02"))[2][0]
               for p in towns.geometry]
    assert 450 < np.mean(offsets) < 650  # the GCJ-02 shift here, computed independently of the check
    with pytest.warns(UserWarning, match=r"look like GCJ-02 \(Amap/Tencent\) coordinates declared WGS-84"):
        _, report = geocode_table(path)
    assert report["flags"].str.contains("gcj02_suspected").all(), report[["row", "flags"]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # declared right: no flag, no warning
        _, fixed = geocode_table(path, datum="gcj02")
        clean, _ = _town_table(tmp_path, shift_to_gcj=False)
        _, honest = geocode_table(clean)
    assert not fixed["flags"].str.contains("gcj02").any() and not honest["flags"].str.contains("gcj02").any()


def test_swapped_lat_lon_is_refused_for_analyses_with_the_geocoders_hint(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("名称,lon,lat\n雒容镇,109.6153,24.4131\n洛埠镇,24.5192,109.6636\n", encoding="utf-8")
    line = error_line(invoke("nearest", str(path), "railway_stations", "-o", str(tmp_path / "n.csv")))
    assert "row 3 (spreadsheet numbering" in line and "look swapped" in line and "lzgis geocode" in line
    assert "projected" not in line


def test_swapped_points_in_a_geojson_are_named_as_swapped(tmp_path):
    path = tmp_path / "swapped.geojson"
    gpd.GeoDataFrame({"名称": ["柳州站"]}, geometry=[Point(24.3122, 109.3968)], crs="EPSG:4326").to_file(path)
    line = error_line(invoke("nearest", str(path), "railway_stations", "-o", str(tmp_path / "n.csv")))
    assert "lat and lon look swapped" in line and "projected" not in line and str(path) in line


def test_infinite_coordinates_are_named_by_row(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("名称,lon,lat\n雒容镇,109.6153,24.4131\n洛埠镇,inf,24.5192\n", encoding="utf-8")
    line = error_line(invoke("buffer", str(path), "--distances", "1000", "-o", str(tmp_path / "b.gpkg")))
    assert "row 3: inf" in line


# ---------------------------------------------------------------- 13.5 CSV cells never run as formulas

def test_csv_output_neutralises_formula_text_but_not_numbers(tmp_path):
    table = pd.DataFrame({"名称": ["=HYPERLINK(\"http://x\",\"点我\")", "+86 772", "@SUM(A1)", "\tx", "\rx", "柳州"],
                          "code": ["-12", "a", "b", "c", "d", "e"], "amount": [-5.5, 3.0, -1.0, 0.0, 1.0, 2.0],
                          "lon": [109.4] * 6, "lat": [24.3] * 6})
    out = gis.export(table, tmp_path / "t.csv")
    text = out.read_bytes().decode("utf-8-sig")
    assert '"\'=HYPERLINK(""http://x"",""点我"")"' in text and '"\'+86 772"' in text and '"\'@SUM(A1)"' in text
    assert '"\'\tx"' in text and '"\'\rx"' in text and '"柳州"' in text and '"\'-12"' in text
    assert ",-5.5,109.4,24.3\r\n" in text and ",-1.0,109.4,24.3\r\n" in text  # numbers are numbers
    raw = gis.export(table, tmp_path / "raw.csv", csv_formulas="keep").read_text(encoding="utf-8-sig")
    assert '"=HYPERLINK(' in raw and '"-12"' in raw
    result = invoke("export", str(out), "-o", str(tmp_path / "cli.csv"))
    assert result.exit_code == 0, result.output
    result = invoke("export", str(tmp_path / "raw.csv"), "-o", str(tmp_path / "cli_raw.csv"), "--csv-formulas", "keep")
    assert result.exit_code == 0, result.output
    assert '"=HYPERLINK(' in (tmp_path / "cli_raw.csv").read_text(encoding="utf-8-sig")
    openpyxl = pytest.importorskip("openpyxl")
    xlsx = gis.export(table, tmp_path / "t.xlsx")
    cell = openpyxl.load_workbook(xlsx).active["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")  # Excel keeps the text as text


# ---------------------------------------------------------------- 13.6 limits that hold

def test_buffers_are_honest_up_to_the_limit_and_refused_beyond():
    lon, lat = 109.405, 24.307
    hub = gpd.GeoDataFrame(geometry=[Point(lon, lat)], crs="EPSG:4326")
    limit = gis.settings.max_buffer_m
    ring = gis.buffer_rings(hub, [limit], quad_segs=128)
    boundary = np.asarray(ring.geometry.iloc[0].exterior.coords)
    radii = GEOD.inv(np.full(len(boundary), lon), np.full(len(boundary), lat), boundary[:, 0], boundary[:, 1])[2]
    assert np.max(np.abs(radii - limit)) / limit < 1e-3  # within 0.1 % of the geodesic distance
    az = np.linspace(0, 360, 2048, endpoint=False)
    glon, glat, _ = GEOD.fwd(np.full(az.size, lon), np.full(az.size, lat), az, np.full(az.size, limit))
    true_area = abs(GEOD.polygon_area_perimeter(glon, glat)[0])
    assert abs(ring["area_km2"].iloc[0] * 1e6 / true_area - 1) < 5e-4
    with pytest.raises(InputError, match=r"250000 m \(250 km\)"):
        gis.buffer_rings(hub, [5000, limit + 1])


def test_cli_refuses_a_buffer_the_crs_cannot_hold(tmp_path):
    line = error_line(invoke("buffer", "airports", "--distances", "1e9", "-o", str(tmp_path / "b.gpkg")))
    assert line.startswith("lzgis: error: --distances: 1e+09 m is beyond") and "250 km" in line
    assert not (tmp_path / "b.gpkg").exists()


def test_duplicate_index_values_are_refused():
    towns = gis.load_layer("townships").head(3)
    hubs = gis.load_layer("logistics").head(4)
    dup = towns.set_axis([0, 1, 1])
    with pytest.raises(InputError, match=r"origins: the index repeats the value\(s\) 1"):
        gis.nearest(dup, hubs)
    with pytest.raises(InputError, match=r"the index repeats"):
        gis.buffer_rings(dup, [1000])
    assert len(gis.nearest(dup.reset_index(drop=True), hubs)) == 3


def test_map_add_reports_features_without_geometry(tmp_path):
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"名称": "柳州站"}, "geometry": {"type": "Point", "coordinates": [109.3968, 24.3122]}},
        {"type": "Feature", "properties": {"名称": "无位置"}, "geometry": None}]}
    path = tmp_path / "mine.geojson"
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    result = invoke("map", "--add", str(path), "-o", str(tmp_path / "m.html"))
    assert result.exit_code == 0, result.output
    assert "mine.geojson: feature 2 (in file order, from 1) has no geometry" in result.stderr
    line = error_line(invoke("buffer", str(path), "--distances", "1000", "-o", str(tmp_path / "b.gpkg")))
    assert "feature 2 (in file order, from 1) has no geometry" in line


# ---------------------------------------------------------------- 13.7 the words of the command line

def test_a_file_without_crs_names_input_crs(tmp_path):
    path = tmp_path / "nocrs.gpkg"
    frame = gpd.GeoDataFrame({"名称": ["a", "b"]}, geometry=[Point(109.4, 24.3), Point(109.6, 24.4)])
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        pyogrio.write_dataframe(frame, path)
    assert read_vector(path).crs is None
    line = error_line(invoke("buffer", str(path), "--distances", "1000", "-o", str(tmp_path / "b.gpkg")))
    assert "--input-crs" in line and "set_crs" not in line and "gdf" not in line and str(path) in line
    ok = invoke("buffer", str(path), "--distances", "1000", "--input-crs", "EPSG:4326", "-o", str(tmp_path / "b.gpkg"))
    assert ok.exit_code == 0, ok.output
    declared = tmp_path / "declared.gpkg"
    pyogrio.write_dataframe(frame.set_crs("EPSG:4326"), declared)
    line = error_line(invoke("buffer", str(declared), "--distances", "1000", "--input-crs", "EPSG:4545",
                             "-o", str(tmp_path / "c.gpkg")))  # relabelled (warned), then refused: degrees
    assert "look like degrees" in line and "declare it with --input-crs EPSG:4326" in line and "gdf" not in line
    line = error_line(invoke("buffer", str(path), "--distances", "1000", "--input-crs", "nonsense",
                             "-o", str(tmp_path / "d.gpkg")))
    assert "--input-crs" in line and "not a CRS" in line


def test_invalid_polygons_name_make_valid(tmp_path):
    bowtie = Polygon([(109.40, 24.30), (109.42, 24.32), (109.42, 24.30), (109.40, 24.32)])
    path = tmp_path / "bad.gpkg"
    gpd.GeoDataFrame({"名称": ["ok", "bowtie"]}, geometry=[Point(109.4, 24.3).buffer(0.01), bowtie],
                     crs="EPSG:4326").to_file(path)
    line = error_line(invoke("buffer", str(path), "--distances", "1000", "-o", str(tmp_path / "b.gpkg")))
    assert "feature 2 (in file order" in line and "--make-valid" in line and "gdf" not in line
    ok = invoke("buffer", str(path), "--distances", "1000", "--make-valid", "-o", str(tmp_path / "b.gpkg"))
    assert ok.exit_code == 0, ok.output
    assert "repaired 1 invalid geometry with --make-valid" in ok.stderr


def test_geocode_messages_name_cli_options(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("甲,乙\n1,2\n", encoding="utf-8")
    line = error_line(invoke("geocode", str(path), "-o", str(tmp_path / "g.gpkg")))
    assert "--name-col" in line and "name_col=" not in line
