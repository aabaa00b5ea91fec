"""The `lzgis` command line: every verb, one-line errors with exit status 2, manifests, no partial files."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from click.testing import CliRunner

import gis
from gis.cli import cli
from gis.export import export
from gis.layers import layers_dir, layer_info
from gis.readers import read_vector

from cli_testing import invoke  # tests/cli_testing.py

LZGIS = Path(sys.executable).with_name("lzgis")
GEOD = pyproj.Geod(ellps="GRS80")  # CGCS2000 ellipsoid; differs from WGS-84's by 0.1 mm in the semi-minor axis

# Real stops: 柳州站, 柳州白莲机场 and 鹿寨站 (rounded), and two origins between them
TARGETS = pd.DataFrame({"name": ["柳州站", "白莲机场", "鹿寨站"], "lon": [109.3968, 109.3917, 109.7397],
                        "lat": [24.3122, 24.2078, 24.4728]})
ORIGINS = pd.DataFrame({"名称": ["雒容镇", "洛埠镇"], "经度": [109.6153, 109.6636], "纬度": [24.4131, 24.5192]})




def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_inputs(tmp_path: Path) -> tuple[Path, Path]:
    origins, targets = tmp_path / "origins.csv", tmp_path / "targets.csv"
    ORIGINS.to_csv(origins, index=False, encoding="utf-8")
    TARGETS.to_csv(targets, index=False, encoding="utf-8")
    return origins, targets


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("lzgis: error:")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert result.stdout == ""


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("verb", ["layers", "structures", "structure", "export", "maps", "map", "geocode",
                                  "buffer", "nearest", "within", "matrix", "run"])
def test_every_verb_has_help(verb):
    result = invoke(verb, "--help")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: cli {verb}") or result.output.startswith(f"Usage: lzgis {verb}")
    assert len(result.output.splitlines()) > 3


def test_top_level_help_lists_every_verb():
    result = invoke("--help")
    for verb in ("layers", "structures", "export", "maps", "geocode", "buffer", "nearest", "within", "matrix", "run"):
        assert f"  {verb} " in result.output


def test_layers_lists_counts_matching_the_files():
    result = invoke("layers", "--json")
    assert result.exit_code == 0
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    towns = gis.load_layer("townships")
    assert rows["townships"]["features"] == len(towns)
    levels = dict(part.split(":") for part in rows["townships"]["geocode_levels"].split(", "))
    assert {k: int(v) for k, v in levels.items()} == towns["geocode_level"].value_counts().to_dict()


def test_structures_lists_the_shipped_structures():
    result = invoke("structures", "--json")
    names = {r["name"] for r in json.loads(result.stdout)}
    assert "一主三新" in names


def test_export_round_trip_and_manifest(tmp_path):
    out = tmp_path / "乡镇.shp"
    result = invoke("export", "townships", "-o", str(out), "--encoding", "gbk", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 118 and summary["outputs"] == [str(out)]
    back = read_vector(out)
    towns = gis.load_layer("townships")
    assert back["name"].tolist() == towns["name"].tolist()
    assert np.allclose(back.geometry.x, towns.geometry.x, atol=1e-9)
    assert (tmp_path / "乡镇.cpg").read_text(encoding="ascii") == "GBK"
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    run = manifest["runs"][-1]
    assert run["verb"] == "export" and run["parameters"]["encoding"] == "gbk"
    layer_file = layers_dir() / layer_info("townships")["file"]
    assert run["inputs"][0]["sha256"] == sha256(layer_file) and run["inputs"][0]["crs"] == "EPSG:4326"
    output = run["outputs"][0]
    assert output["path"] == "乡镇.shp" and output["sha256"] == sha256(out)
    assert output["parts"]["乡镇.dbf"] == sha256(tmp_path / "乡镇.dbf")
    assert {"geopandas", "shapely", "pyproj", "pyogrio", "GDAL", "liuzhou-gis"} <= set(run["versions"])
    assert run["finished_utc"].endswith("Z")


def test_refuses_to_overwrite_then_overwrites_and_keeps_the_record(tmp_path):
    out = tmp_path / "t.gpkg"
    assert invoke("export", "townships", "-o", str(out)).exit_code == 0
    before = sha256(out)
    result = invoke("export", "counties", "-o", str(out))
    assert_one_line_error(result, "already exists", "--overwrite")
    assert sha256(out) == before
    assert invoke("export", "counties", "-o", str(out), "--overwrite").exit_code == 0
    assert len(read_vector(out)) == 10
    runs = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["runs"]
    assert [r["inputs"][0]["name"] for r in runs] == ["townships", "counties"]  # earlier run kept


def test_missing_file_unknown_layer_wrong_column(tmp_path):
    out = tmp_path / "out"
    assert_one_line_error(invoke("export", str(tmp_path / "无.gpkg"), "-o", str(out / "a.gpkg")), "无.gpkg: file not found")
    assert_one_line_error(invoke("nearest", "township", "railway_stations", "-o", str(out / "a.csv")),
                          "unknown layer 'township'", "townships")
    assert_one_line_error(invoke("buffer", "railway_stations", "--distances", "1000", "--dissolve", "group",
                                 "--by", "区县", "-o", str(out / "b.gpkg")), "'区县'")
    table = tmp_path / "p.csv"
    table.write_text("项目名称,建设地点\n鹿寨物流园,鹿寨镇\n", encoding="utf-8")
    assert_one_line_error(invoke("geocode", str(table), "--name-col", "名字", "-o", str(out / "g.gpkg")),
                          "no column '名字'")
    assert not out.exists()  # nothing written, not even the folder's manifest


def test_unreadable_encoding_is_a_clean_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"name,lon,lat\n\xff\xfe\xfd,109.4,24.3\n")
    result = invoke("nearest", str(bad), "railway_stations", "-o", str(tmp_path / "n.csv"))
    assert_one_line_error(result, "neither UTF-8", "nor GBK")
    assert files(tmp_path) == ["bad.csv"]


def test_gbk_shapefile_without_cpg_is_read_and_the_decision_recorded(tmp_path):
    gdf = gpd.GeoDataFrame(ORIGINS.drop(columns=["经度", "纬度"]),
                           geometry=gpd.points_from_xy(ORIGINS["经度"], ORIGINS["纬度"]), crs="EPSG:4326")
    export(gdf, tmp_path / "镇.shp", encoding="gbk")
    (tmp_path / "镇.cpg").unlink()
    result = invoke("export", str(tmp_path / "镇.shp"), "-o", str(tmp_path / "镇.geojson"))
    assert result.exit_code == 0
    assert "lzgis: warning: 镇.shp: has no .cpg; its text decoded as GBK" in result.stderr
    assert read_vector(tmp_path / "镇.geojson")["名称"].tolist() == ["雒容镇", "洛埠镇"]
    run = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["runs"][0]
    assert run["inputs"][0]["encoding"] == "GBK"
    assert any("decoded as GBK" in note for note in run["notes"])


def test_nearest_matches_brute_force_geodesics(tmp_path):
    origins, targets = write_inputs(tmp_path)
    out = tmp_path / "nearest.csv"
    result = invoke("nearest", str(origins), str(targets), "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    table = read_vector(out)
    for _, row in ORIGINS.iterrows():
        d = GEOD.inv([row["经度"]] * 3, [row["纬度"]] * 3, TARGETS["lon"], TARGETS["lat"])[2]
        got = table[table["origin_name"] == row["名称"]].iloc[0]
        assert got["target_name"] == TARGETS["name"][int(np.argmin(d))]
        assert got["dist_m"] == pytest.approx(d.min(), rel=1e-5)
    assert json.loads(result.stdout)["reached"] == 2


def test_within_and_matrix_match_brute_force(tmp_path):
    origins, targets = write_inputs(tmp_path)
    d = np.array([GEOD.inv([lo] * 3, [la] * 3, TARGETS["lon"], TARGETS["lat"])[2]
                  for lo, la in zip(ORIGINS["经度"], ORIGINS["纬度"])])
    radius = float(np.sort(d.ravel())[2] + 1.0)  # exactly three pairs within
    assert invoke("within", str(origins), str(targets), "--distance-m", str(radius),
                  "-o", str(tmp_path / "w.xlsx")).exit_code == 0
    pairs = read_vector(tmp_path / "w.xlsx")
    want = {(ORIGINS["名称"][i], TARGETS["name"][j]) for i, j in zip(*np.nonzero(d <= radius))}
    assert set(zip(pairs["origin_name"], pairs["target_name"])) == want and len(pairs) == 3
    assert invoke("matrix", str(origins), str(targets), "-o", str(tmp_path / "m.csv")).exit_code == 0
    from gis.readers import read_table

    matrix = read_table(tmp_path / "m.csv")
    assert matrix["origin"].tolist() == ["雒容镇", "洛埠镇"]
    assert np.allclose(matrix[[f"{n}_dist_m" for n in TARGETS["name"]]].to_numpy(), d, rtol=1e-5)
    assert_one_line_error(invoke("matrix", str(origins), str(targets), "-o", str(tmp_path / "m.gpkg")), "*.csv")


def test_buffer_rings_areas(tmp_path):
    _, targets = write_inputs(tmp_path)
    out = tmp_path / "rings.gpkg"
    assert invoke("buffer", str(targets), "--distances", "1000,2000", "-o", str(out)).exit_code == 0
    rings = read_vector(out)
    assert len(rings) == 6
    # pi * 1 km^2 and pi * (2^2 - 1^2) km^2, within the polygonal approximation of the circle
    assert rings["area_km2"].iloc[:2].tolist() == pytest.approx([np.pi, 3 * np.pi], rel=2e-3)


def test_geocode_writes_layer_report_and_manifest(tmp_path):
    table = tmp_path / "项目.csv"
    table.write_bytes("项目名称,建设地点\n鹿寨物流园,鹿寨镇\n不存在项目,火星\n".encode("gbk"))
    out = tmp_path / "out" / "项目.gpkg"
    result = invoke("geocode", str(table), "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 2 and summary["status"] == {"matched": 1, "unmatched": 1}
    gdf = read_vector(out)
    towns = gis.load_layer("townships").set_index("name")
    assert gdf.geometry.iloc[0].equals(towns.geometry["鹿寨镇"]) and gdf.geometry.iloc[1] is None
    assert files(out.parent) == ["manifest.json", "项目.gpkg", "项目.report.csv"]
    run = json.loads((out.parent / "manifest.json").read_text(encoding="utf-8"))["runs"][0]
    assert run["inputs"][0]["sha256"] == sha256(table)


def test_structure_export(tmp_path):
    out = tmp_path / "s.geojson"
    assert invoke("structure", "一主三新", "-o", str(out)).exit_code == 0
    assert read_vector(out)["role"].tolist() == gis.structure("一主三新")["role"].tolist()
    assert_one_line_error(invoke("structure", "一主四新", "-o", str(tmp_path / "x.geojson")), "unknown structure")


def test_map_with_a_user_file(tmp_path):
    origins, _ = write_inputs(tmp_path)
    out = tmp_path / "m.html"
    assert invoke("-q", "map", "--add", str(origins), "-o", str(out)).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html") and "雒容镇" in page
    assert_one_line_error(invoke("map", "--add", str(tmp_path / "no.csv"), "-o", str(tmp_path / "m2.html")),
                          "no.csv: file not found")


@pytest.mark.slow
def test_run_builds_maps_and_the_analysis_table(tmp_path, monkeypatch):
    import gis.network

    builds = []
    real = gis.network.travel_network

    def counted(*args, **kwargs):  # the real build, counted
        builds.append(len(args[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(gis.network, "travel_network", counted)
    out = tmp_path / "maps"
    result = invoke("-q", "run", "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    # the road network is built once per run: the maps' service areas, the table and the drive times share it
    assert builds == [len(gis.load_layer("roads"))]
    monkeypatch.setattr(gis.network, "travel_network", real)
    names = files(out)
    assert "analysis_townships_nearest_logistics.csv" in names and "manifest.json" in names
    assert sum(n.endswith(".html") for n in names) == json.loads(result.stdout)["maps"] >= 1
    table = read_vector(out / "analysis_townships_nearest_logistics.csv")
    assert len(table) == 118
    # brute force for every township over the shipped logistics nodes located to 22 km or better (the default)
    hubs = pd.concat([gis.load_layer(n) for n, e in gis.layers.catalog().items() if e["group"] == "物流"])
    hubs = hubs[hubs["precision_m"] <= 22000]
    assert 0 < len(hubs) and json.loads(result.stdout)["targets"] == len(hubs)
    assert (hubs.geom_type == "Point").all()
    towns = gis.load_layer("townships")
    for i in range(len(towns)):
        x, y = towns.geometry.iloc[i].x, towns.geometry.iloc[i].y
        d = GEOD.inv([x] * len(hubs), [y] * len(hubs), hubs.geometry.x.to_numpy(), hubs.geometry.y.to_numpy())[2]
        assert table["dist_m"].iloc[i] == pytest.approx(d.min(), rel=1e-5)
    # the service areas on the roads, and every township's drive time to its quickest county seat
    areas = pd.read_csv(out / "analysis_service_areas.csv", encoding="utf-8-sig")
    assert areas["name"].tolist() == [f"{o} {m} 分钟" for o in ("中心城区", "柳城", "鹿寨") for m in (30, 60)]
    polys = gpd.read_file(out / "service_areas.geojson")
    assert (polys.geom_type.isin(["Polygon", "MultiPolygon"])).all() and len(polys) == 6
    seats = gis.load_layer("county_seats")
    for _, a in polys.iterrows():
        inside = towns[towns.intersects(a.geometry)]
        assert a["n_covered"] == len(inside)
        origin = {"中心城区": "城中区", "柳城": "柳城县", "鹿寨": "鹿寨县"}[a["origin"]]
        assert a.geometry.contains(seats[seats["name"] == origin].geometry.iloc[0])
    drive = pd.read_csv(out / "analysis_drive_times.csv", encoding="utf-8-sig")
    net = gis.travel_network(gis.load_layer("roads"))
    matrix = gis.travel_times(net, towns, seats)
    assert len(drive) == 118
    assert np.allclose(drive["county_seat_minutes"], matrix.min(axis=1).round(1), atol=0.051)
    assert_one_line_error(invoke("run", "-o", str(out)), "already exists")


def test_installed_script_exit_status_and_json(tmp_path):
    assert LZGIS.exists(), "the lzgis console script is not installed in this environment"
    missing = subprocess.run([str(LZGIS), "export", "无此文件.gpkg", "-o", "out.gpkg"], cwd=tmp_path,
                             capture_output=True, text=True, encoding="utf-8")
    assert missing.returncode == 2
    assert len(missing.stderr.strip().splitlines()) == 1
    assert missing.stderr.startswith("lzgis: error: 无此文件.gpkg: file not found")
    assert missing.stdout == "" and files(tmp_path) == []
    ok = subprocess.run([str(LZGIS), "-q", "export", "counties", "-o", "区县.geojson", "--json"], cwd=tmp_path,
                        capture_output=True, text=True, encoding="utf-8")
    assert ok.returncode == 0, ok.stderr
    summary = json.loads(ok.stdout)
    assert summary["rows"] == 10 and summary["manifest"] == "manifest.json"
    assert (tmp_path / "区县.geojson").read_text(encoding="utf-8").count('"type": "Feature"') == 10
    usage = subprocess.run([str(LZGIS), "nearest", "townships"], capture_output=True, text=True, encoding="utf-8")
    assert usage.returncode == 2 and "Missing argument 'TARGETS'" in usage.stderr


@pytest.mark.parametrize("args, fragments", [
    (["nearest", "townships", "railway_stations", "-k", "0"], ["'-k'", "0 is not in the range x>=1", "lzgis nearest -h"]),
    (["within", "townships", "railway_stations", "--distance-m", "-5"], ["'--distance-m'", "-5"]),
    (["within", "townships", "railway_stations", "--distance-m", "nan"], ["--distance-m", "finite"]),
    (["nearest", "townships", "railway_stations", "--max-distance-m", "inf"], ["--max-distance-m", "finite"]),
    (["buffer", "townships", "--distances", "1000,-5"], ["--distances", "-5"]),
    (["buffer", "townships", "--distances", "3000,1000"], ["--distances", "increasing"]),
    (["nearest", "townships", "railway_stations", "--input-encoding", "utf-99"], ["unknown encoding 'utf-99'"]),
])
def test_bad_option_values_are_one_line_errors_before_any_input_is_read(tmp_path, args, fragments):
    result = invoke(*args, "-o", str(tmp_path / "r.csv"))
    assert_one_line_error(result, *fragments)
    assert result.stderr.count("\n") == 1 and "Usage:" not in result.stderr  # nothing loaded, no usage text
    assert files(tmp_path) == []


def _writing_verbs(tmp_path: Path) -> dict[str, tuple[list[str], Path]]:
    origins, targets = write_inputs(tmp_path)
    table = tmp_path / "项目.csv"
    table.write_text("项目名称,建设地点\n鹿寨物流园,鹿寨镇\n", encoding="utf-8")
    out = tmp_path / "out"
    return {
        "structure": (["structure", "一主三新", "-o", str(out / "s.geojson")], out / "s.geojson"),
        "export": (["export", str(origins), "-o", str(out / "e.gpkg")], out / "e.gpkg"),
        "maps": (["maps", "-o", str(out)], out / "01_counties.html"),
        "map": (["map", "--add", str(origins), "-o", str(out / "m.html")], out / "m.html"),
        "geocode": (["geocode", str(table), "-o", str(out / "g.gpkg")], out / "g.report.csv"),
        "buffer": (["buffer", str(origins), "--distances", "1000", "-o", str(out / "b.gpkg")], out / "b.gpkg"),
        "nearest": (["nearest", str(origins), str(targets), "-o", str(out / "n.csv")], out / "n.csv"),
        "within": (["within", str(origins), str(targets), "--distance-m", "9000", "-o", str(out / "w.csv")],
                   out / "w.csv"),
        "matrix": (["matrix", str(origins), str(targets), "-o", str(out / "x.csv")], out / "x.csv"),
        "run": (["run", "-o", str(out)], out / "analysis_townships_nearest_logistics.csv"),
    }


@pytest.mark.parametrize("verb", ["structure", "export", "maps", "map", "geocode", "buffer", "nearest", "within",
                                  "matrix", "run"])
def test_existing_output_fails_fast_before_reading_any_input(tmp_path, verb):
    args, existing = _writing_verbs(tmp_path)[verb]
    if verb == "maps":
        from gis.maps_default import default_map_specs

        existing = existing.with_name(default_map_specs()[0]["file"])
    existing.parent.mkdir(parents=True, exist_ok=True)
    existing.write_text("mine", encoding="utf-8")
    result = invoke(*args)
    assert_one_line_error(result, f"{existing} already exists", "--overwrite")
    # the error is the only thing on stderr: no 'reading …', 'loading …', 'building …', 'geocoding …' step ran
    assert result.stderr.splitlines() == [line for line in result.stderr.splitlines() if "error" in line]
    assert existing.read_text(encoding="utf-8") == "mine" and files(existing.parent) == [existing.name]


def test_utf16_tables_are_read_and_other_encodings_given_with_input_encoding(tmp_path):
    origins, targets = write_inputs(tmp_path)
    utf16 = tmp_path / "镇.csv"  # Excel's "Unicode text": UTF-16 with a byte-order mark, tab separated
    utf16.with_suffix(".txt").write_bytes(ORIGINS.to_csv(index=False, sep="\t").encode("utf-16"))
    result = invoke("-q", "nearest", str(utf16.with_suffix(".txt")), str(targets), "-o", str(tmp_path / "a.csv"))
    assert result.exit_code == 0, result.output
    assert read_vector(tmp_path / "a.csv")["origin_name"].tolist() == ["雒容镇", "洛埠镇"]

    utf16.write_bytes(ORIGINS.to_csv(index=False).encode("utf-16-le"))  # no BOM: not detectable
    result = invoke("nearest", str(utf16), str(targets), "-o", str(tmp_path / "b.csv"))
    assert_one_line_error(result, "neither UTF-8", "--input-encoding")
    assert "(--encoding)" not in result.stderr
    targets.write_bytes(TARGETS.to_csv(index=False).encode("utf-16-le"))  # --input-encoding applies to both
    result = invoke("-q", "nearest", str(utf16), str(targets), "--input-encoding", "utf-16-le",
                    "-o", str(tmp_path / "b.csv"))
    assert result.exit_code == 0, result.output
    run = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["runs"][-1]
    assert run["inputs"][0]["encoding"] == "UTF-16-LE" and run["parameters"]["input_encoding"] == "utf-16-le"

    for verb in ("export", "buffer", "within", "matrix", "map", "geocode"):
        assert "--input-encoding" in invoke(verb, "--help").output

    table = tmp_path / "项目.csv"
    table.write_bytes("项目名称,建设地点\n鹿寨物流园,鹿寨镇\n".encode("utf-16"))
    result = invoke("-q", "geocode", str(table), "-o", str(tmp_path / "g" / "g.gpkg"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == {"matched": 1}
    big5 = tmp_path / "big5.csv"
    big5.write_bytes("name,lon,lat\n鹿寨站,109.7397,24.4728\n".encode("big5"))
    result = invoke("-q", "map", "--add", str(big5), "--input-encoding", "big5", "-o", str(tmp_path / "m.html"))
    assert result.exit_code == 0, result.output
    assert "鹿寨站" in (tmp_path / "m.html").read_text(encoding="utf-8")


def test_blank_longitude_cell_is_named_by_spreadsheet_row(tmp_path):
    _, targets = write_inputs(tmp_path)
    origins = tmp_path / "镇.csv"
    origins.write_text("名称,经度,纬度\n雒容镇,109.6153,24.4131\n洛埠镇,,24.5192\n", encoding="utf-8")
    result = invoke("nearest", str(origins), str(targets), "-o", str(tmp_path / "n.csv"))
    assert_one_line_error(result, "镇.csv: row 3 (spreadsheet numbering: header = row 1) has a blank '经度'",
                          "Fill in the coordinates")
    assert not (tmp_path / "n.csv").exists()
    result = invoke("-q", "export", str(origins), "-o", str(tmp_path / "e.gpkg"))  # export keeps the row
    assert result.exit_code == 0
    assert "row 3 (spreadsheet numbering: header = row 1) has a blank '经度'" in result.stderr
    assert read_vector(tmp_path / "e.gpkg").geometry.isna().tolist() == [False, True]


def test_nearest_reports_ties_and_unknown_uncertainty(tmp_path):
    origins, _ = write_inputs(tmp_path)
    targets = tmp_path / "t.csv"  # two projects placed at the same county seat, one without precision_m
    targets.write_text("name,lon,lat,precision_m\n甲,109.7397,24.4728,\n乙,109.7397,24.4728,\n丙,109.3968,24.3122,50\n",
                       encoding="utf-8")
    result = invoke("-q", "nearest", str(origins), str(targets), "-o", str(tmp_path / "n.csv"))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "n.csv", keep_default_na=False)
    assert table["target_name"].tolist() == ["甲", "甲"] and table["n_tied"].tolist() == [2, 2]
    assert table["within_uncertainty"].tolist() == ["", ""]  # unknown, not False


# ---------------------------------------------------------------- Chinese help, layers by Chinese title


@pytest.mark.parametrize("verb", sorted(cli.commands))
def test_every_verb_help_starts_with_a_chinese_summary_and_ends_with_an_example(verb):
    import re

    res = CliRunner().invoke(cli, [verb, "--help"], prog_name="lzgis", catch_exceptions=False)
    assert res.exit_code == 0, res.output
    lines = [line.strip() for line in res.output.splitlines() if line.strip()]
    assert lines[0].startswith(f"Usage: lzgis {verb}")
    assert re.match(r"[\u4e00-\u9fff]", lines[1]), f"lzgis {verb} --help: the summary is not Chinese: {lines[1]!r}"
    examples = lines[lines.index("示例："):]
    assert any(line.startswith(f"lzgis {verb}") for line in examples[1:]), res.output


def test_top_level_help_lists_every_verb_with_its_chinese_summary():
    from gis.cli._help import help_texts

    res = invoke("--help")
    assert res.exit_code == 0
    verbs = help_texts()["verbs"]
    for verb in cli.commands:
        line = next(line for line in res.output.splitlines() if line.strip().startswith(verb + " "))
        assert verbs[verb]["summary"][:8] in line, line
    assert "示例：" in res.output and "柳州市空间规划工具箱" in res.output


def test_shipped_layers_by_chinese_title(tmp_path):
    from gis.layers import resolve_layer_name

    assert resolve_layer_name("物流") == "logistics"
    assert resolve_layer_name("物流枢纽与园区") == "logistics"
    assert resolve_layer_name("乡镇（街道）驻地") == "townships"  # full-width brackets as half-width
    assert resolve_layer_name("铁路") == "railways"  # the title without its bracketed remark
    assert resolve_layer_name("区县界") == "counties"  # a whole title wins over 区县界(简化)
    assert resolve_layer_name("乡镇") == "townships"  # 乡镇(街道)驻地 without its remark
    with pytest.raises(gis.LayerError, match=r"ambiguous.*counties \(区县界\).*counties_web.*county_seats"):
        resolve_layer_name("区县")
    with pytest.raises(gis.LayerError, match="unknown layer '火星'.*logistics \\(物流枢纽与园区\\)"):
        resolve_layer_name("火星")
    assert len(gis.load_layer("物流")) == len(gis.load_layer("logistics"))
    origins, _ = write_inputs(tmp_path)
    res = invoke("nearest", str(origins), "物流", "-o", str(tmp_path / "n.csv"))
    assert res.exit_code == 0, res.output
    assert "loading layer logistics (物流枢纽与园区" in res.stderr
    direct = invoke("nearest", str(origins), "logistics", "-o", str(tmp_path / "d.csv"))
    assert direct.exit_code == 0
    assert pd.read_csv(tmp_path / "n.csv").equals(pd.read_csv(tmp_path / "d.csv"))
    assert_one_line_error(invoke("nearest", str(origins), "区县", "-o", str(tmp_path / "x.csv")),
                          "ambiguous", "counties", "county_seats")
