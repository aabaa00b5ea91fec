"""`lzgis nearest/within` at scale: names from the usual columns, origins' own columns kept, located targets only,
every row accounted for against brute-force geodesics; `lzgis --help` without geopandas; map reads a file once."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest

import gis
from gis.export import export
from gis.readers import read_vector

from cli_testing import invoke  # tests/cli_testing.py

GEOD = pyproj.Geod(ellps="GRS80")


def random_points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(109.0, 109.8, n), rng.uniform(24.0, 24.8, n)


def brute_force(olon, olat, tlon, tlat) -> np.ndarray:
    """Geodesic distance of every (origin, target) pair with pyproj.Geod: (n, m)."""
    n, m = len(olon), len(tlon)
    d = GEOD.inv(np.repeat(olon, m), np.repeat(olat, m), np.tile(tlon, n), np.tile(tlat, n))[2]
    return d.reshape(n, m)


@pytest.fixture
def project_files(tmp_path):
    """1,500 projects (项目名称, 县区, 投资) as a GeoPackage; 40 targets (名称, precision_m, geocode_level) as CSV."""
    olon, olat = random_points(1500, 1)
    origins = gpd.GeoDataFrame({"项目名称": [f"项目{i}" for i in range(1500)],
                                "县区": np.where(np.arange(1500) % 2, "鹿寨县", "柳江区"),
                                "投资_yi": np.arange(1500) / 10.0},
                               geometry=gpd.points_from_xy(olon, olat), crs="EPSG:4326")
    export(origins, tmp_path / "项目.gpkg")
    tlon, tlat = random_points(40, 2)
    precision = np.where(np.arange(40) % 4 == 0, 20000.0, 500.0)
    precision[5] = np.nan  # unknown: not known to be located well enough
    level = np.where(precision == 20000.0, "county", "township")
    targets = pd.DataFrame({"名称": [f"站{j}" for j in range(40)], "lon": tlon, "lat": tlat,
                            "precision_m": precision, "geocode_level": level})
    targets.to_csv(tmp_path / "站.csv", index=False)
    return tmp_path, (olon, olat), (tlon, tlat), precision


def test_nearest_names_columns_and_located_targets_match_brute_force(project_files):
    folder, (olon, olat), (tlon, tlat), precision = project_files
    out = folder / "最近.gpkg"
    result = invoke("-q", "nearest", str(folder / "项目.gpkg"), str(folder / "站.csv"),
                    "--max-target-precision-m", "5000", "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    table = read_vector(out)
    assert len(table) == 1500  # every origin accounted for
    d = brute_force(olon, olat, tlon, tlat)
    located = precision <= 5000
    d[:, ~located] = np.inf
    want = np.argmin(d, axis=1)
    assert table["origin_name"].tolist() == [f"项目{i}" for i in range(1500)]
    assert (table["target_index"].to_numpy() == want).all()  # the row of the targets file, not a position
    assert table["target_name"].tolist() == [f"站{j}" for j in want]
    assert np.allclose(table["dist_m"], d.min(axis=1), rtol=1e-6)
    # the origins' own columns are kept in a layer output, and their geometry
    assert table["县区"].tolist() == np.where(np.arange(1500) % 2, "鹿寨县", "柳江区").tolist()
    assert np.allclose(table["投资_yi"], np.arange(1500) / 10.0)
    assert np.allclose(table.geometry.x, olon) and np.allclose(table.geometry.y, olat)
    assert json.loads(result.stdout)["rows"] == 1500


def test_within_pairs_match_brute_force_and_county_targets_warn(project_files):
    folder, (olon, olat), (tlon, tlat), precision = project_files
    out = folder / "范围.csv"
    result = invoke("-q", "within", str(folder / "项目.gpkg"), str(folder / "站.csv"), "--distance-m", "8000",
                    "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr  # a quarter of the targets by county: not most
    pairs = pd.read_csv(out)
    d = brute_force(olon, olat, tlon, tlat)
    oi, ti = np.nonzero(d <= 8000)
    assert len(pairs) == len(oi)
    assert set(zip(pairs["origin_name"], pairs["target_name"])) == {(f"项目{i}", f"站{j}") for i, j in zip(oi, ti)}
    assert np.allclose(np.sort(pairs["dist_m"]), np.sort(d[oi, ti]), rtol=1e-6)
    assert "县区" not in pairs.columns  # a table stays the pair table

    coarse = folder / "县.csv"
    pd.DataFrame({"name": ["甲", "乙", "丙"], "lon": [109.4, 109.5, 109.6], "lat": [24.3, 24.4, 24.5],
                  "precision_m": [30000, 30000, 800], "geocode_level": ["county", "city", "village"]}
                 ).to_csv(coarse, index=False)
    result = invoke("-q", "within", str(folder / "项目.gpkg"), str(coarse), "--distance-m", "5000",
                    "-o", str(folder / "w2.csv"))
    assert result.exit_code == 0, result.output
    assert "2 of 3 targets" in result.stderr and "county or city" in result.stderr
    assert "--max-target-precision-m" in result.stderr


def test_max_target_precision_needs_the_column_and_can_leave_no_target(tmp_path):
    origins = tmp_path / "o.csv"
    origins.write_text("名称,经度,纬度\n雒容镇,109.6153,24.4131\n", encoding="utf-8")
    bare = tmp_path / "t.csv"
    bare.write_text("name,lon,lat\n柳州站,109.3968,24.3122\n", encoding="utf-8")
    result = invoke("nearest", str(origins), str(bare), "--max-target-precision-m", "5000", "-o",
                    str(tmp_path / "n.csv"))
    assert result.exit_code == 2 and "no precision_m column" in result.stderr
    coarse = tmp_path / "c.csv"
    coarse.write_text("name,lon,lat,precision_m\n柳州站,109.3968,24.3122,20000\n", encoding="utf-8")
    result = invoke("-q", "nearest", str(origins), str(coarse), "--max-target-precision-m", "5000", "-o",
                    str(tmp_path / "n.csv"))
    assert result.exit_code == 0, result.output
    assert "no target" in result.stderr
    table = pd.read_csv(tmp_path / "n.csv", keep_default_na=False)
    assert table["origin_name"].tolist() == ["雒容镇"] and table["target_name"].tolist() == [""]


def test_k_nearest_lists_every_origin_and_rank(project_files):
    folder, (olon, olat), (tlon, tlat), _ = project_files
    out = folder / "k.csv"
    result = invoke("-q", "nearest", str(folder / "项目.gpkg"), str(folder / "站.csv"), "-k", "3", "-o", str(out))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    d = brute_force(olon, olat, tlon, tlat)
    want = np.argsort(d, axis=1)[:, :3]
    assert len(table) == 4500 and table["rank"].tolist() == [1, 2, 3] * 1500
    assert (table["target_index"].to_numpy().reshape(1500, 3) == want).all()
    assert table["origin_name"].tolist() == [f"项目{i}" for i in range(1500) for _ in range(3)]


def test_labels_fall_back_to_the_index_for_blank_names(tmp_path):
    from gis.cli._inputs import _label_column, _labels

    frame = pd.DataFrame({"工程名称": ["甲", None, " "], "x": [1, 2, 3]}, index=[10, 11, 12])
    assert _label_column(frame) == "工程名称"
    assert _labels(frame).tolist() == ["甲", "11", "12"]
    assert _label_column(pd.DataFrame({"Name": ["a"]})) == "Name"  # case and width do not matter
    assert _labels(pd.DataFrame({"x": [1]}, index=["a"])).tolist() == ["a"]


def test_help_and_usage_errors_import_no_geopandas():
    code = ("import sys\nfrom gis.cli import main\n"
            "codes = [main(['--help']), main(['nearest', '--help']), main(['nearest', 'a']),"
            " main(['within', 'a', 'b', '-o', 'x.csv', '--distance-m', '-5'])]\n"
            "print(codes, 'geopandas' in sys.modules, 'pandas' in sys.modules, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[0, 0, 2, 2] False False False"


def test_function_named_like_module_stays_the_function():
    import importlib

    assert callable(gis.export) and gis.export.__module__ == "gis.export"
    module = importlib.import_module("gis.structure")
    assert gis.structure is module.structure and callable(gis.geocode)


def plain(values: list) -> list:
    """Numbers as floats (a column's dtype depends on the other rows), missing as None."""
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else
            float(v) if isinstance(v, (int, float, np.number)) else v for v in values]


def test_geocode_table_rows_that_repeat_are_geocoded_alike(tmp_path):
    rows = [("鹿寨物流园", "鹿寨镇", ""), ("柳城糖厂", "", "柳城县"), ("某项目", "不存在的地方", "")]
    frame = pd.DataFrame([rows[i % 3] for i in range(30)], columns=["项目名称", "建设地点", "县区"])
    _, report = gis.geocode_table(frame)
    assert report["row"].tolist() == list(range(2, 32))  # spreadsheet rows: header = row 1
    for i, row in enumerate(rows):  # each distinct row alone gives what it gives in the table
        _, alone = gis.geocode_table(pd.DataFrame([row], columns=["项目名称", "建设地点", "县区"]))
        want = plain(alone.drop(columns="row").iloc[0].tolist())
        assert all(plain(r) == want for r in report.iloc[i::3].drop(columns="row").values.tolist())
        assert report["status"].iloc[i] == alone["status"].iloc[0]


def test_map_reads_an_added_csv_once(tmp_path, monkeypatch):
    from gis import readers

    table = tmp_path / "我的点.csv"
    table.write_text("名称,经度,纬度\n柳州站,109.43,24.33\n", encoding="utf-8")
    calls = []
    original = readers.read_vector

    def counting(path, **kwargs):
        calls.append(str(path))
        return original(path, **kwargs)

    monkeypatch.setattr(readers, "read_vector", counting)
    result = invoke("-q", "map", "--add", str(table), "-o", str(tmp_path / "m.html"))
    assert result.exit_code == 0, result.output
    assert calls == [str(table)]
    assert "柳州站" in (tmp_path / "m.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("text", [
    "", "\n", "a,b\n1,2\n", "a,b\r\n1,2\r\n", "a,b\r1,2\r", "a,b\n1,2", "a,b\n\n1,2\n\n\n", "a,b\n1,\n,2\n",
    "a,b\n1,2,", "名称,经度\n柳州站,109.4\r\n\r\n鹿寨站,109.7", "a\tb\n1\t2\n",
])
def test_csv_without_quotes_splits_into_the_cells_the_full_parser_finds(text, tmp_path):
    from gis.readers import _csv_cells, _quoted_csv_rows

    sep = "\t" if "\t" in text else ","
    rows = _quoted_csv_rows(text, sep, tmp_path / "t.csv")
    kept = [(i + 1, r) for i, r in enumerate(rows) if r != [("", False)]]
    assert _csv_cells(text, sep, tmp_path / "t.csv") == ([r for _, r in kept], [i for i, _ in kept])


@pytest.mark.parametrize("values", [
    ["1", "2", "30"], ["1", "2.5", "-3e4", ".5", "+7.", "inf"], ["1", "007"], ["0", "0.5", "-0.25"], ["-01"],
    ["1", "x"], ["１２", "3"], ["2026-12-06T08:00:00", "2026-12-06T08:00:00.5"], ["2026-12-06", "1"],
    ["12 ", "1"], ["1e", "2"], ["True", "False"], ["1\r", "2"], ["nan", "1"],
])
def test_column_types_inferred_by_one_scan_as_cell_by_cell(values):
    import re

    from gis import readers

    got = readers._infer_column(pd.Series(values, dtype=object))
    # the same decisions cell by cell, with the original patterns
    number = all(readers._NUMBER.match(v) and not readers._LEADING_ZERO.match(v) for v in values)
    integer = number and all(readers._INTEGER.match(v) for v in values)
    iso = all(re.match(readers._ISO_DATETIME, v) for v in values)
    if integer:
        assert str(got.dtype) == "int64"
    elif number:
        assert str(got.dtype) == "float64"
    elif values in (["True", "False"],):
        assert str(got.dtype) == "bool"
    elif iso:
        assert "datetime" in str(got.dtype)
    else:
        assert got.tolist() == values
