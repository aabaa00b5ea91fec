"""Hostile input, round 3 (issue 18): impossible stated areas, the antimeridian, output names, temporary paths in
messages, and a kill between publishing the outputs and recording them.

- a stated area that is negative, zero, not finite or larger than the whole municipality is refused naming the
  spreadsheet row and the column (1e12 亩 gave a negative footprint and the verdict ``inside``);
- layers crossing ±180° or outside the analysis CRS's range are refused before proximity, naming the layer;
- a missing ``-o`` on every writing verb, a 300-character output name and a reserved GeoPackage layer name are
  one-line errors (exit 2), not internal errors;
- messages name the user's path, never ``.lzgis-tmp-…`` (two runs to one output, a dangling symlink, /proc);
- a real ``kill -9`` of ``lzgis`` inside the publishing window (held there by the private test hook
  ``LZGIS_TEST_PAUSE``) leaves a folder that the next run makes consistent: every file on disk has its manifest
  entry and no entry lacks its files.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point

from gis._errors import InputError
from gis._io import TEMP_PREFIX

from cli_testing import invoke  # tests/cli_testing.py

LZGIS = [sys.executable, "-m", "gis.cli"]


def one_error(result, *fragments: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("lzgis: error:")]
    assert len(errors) == 1 and "internal error" not in result.stderr, result.stderr
    assert TEMP_PREFIX not in errors[0], errors[0]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


# ---------------------------------------------------------------- 4. impossible stated areas

PROJECTS = "项目,用地面积(亩),precision_m,经度,纬度\n示例物流园,300,50,109.6604,24.4058\n示例冷库,{},50,109.5910,24.4013\n"


@pytest.mark.parametrize("value, fragments", [
    ("1e12", ["row 3 (spreadsheet numbering", "'用地面积(亩)'", "1e+12 mu is larger than the whole municipality",
              "--area-unit"]),
    ("-5", ["row 3 (spreadsheet numbering", "'用地面积(亩)'", "not positive (-5)"]),
    ("0", ["row 3 (spreadsheet numbering", "'用地面积(亩)'", "not positive (0)"]),
    ("inf", ["row 3 (spreadsheet numbering", "'用地面积(亩)'", "not a finite number ('inf')"]),
    ("NaN", ["row 3 (spreadsheet numbering", "'用地面积(亩)'", "not a finite number ('NaN')"]),
])
def test_cli_review_refuses_impossible_stated_areas_naming_row_and_field(tmp_path, value, fragments):
    table = tmp_path / "方案.csv"
    table.write_text(PROJECTS.format(value), encoding="utf-8")
    res = invoke("review", str(table), "--zones", "zones_example", "--zone-field", "类型", "-o",
                 str(tmp_path / "out" / "r.csv"))
    one_error(res, *fragments)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_review_refuses_an_area_larger_than_the_municipality_and_keeps_a_real_one():
    from gis.review import MAX_STATED_AREA_M2, footprints

    pts = gpd.GeoDataFrame({"area_km2": [18_000.0, 19_000.0]}, geometry=[Point(109.4, 24.3), Point(109.5, 24.3)],
                           crs="EPSG:4326", index=["a", "b"])
    with pytest.raises(InputError, match=r"area_km2.*row 'b'.*19000 km2 is larger than the whole municipality "
                                         r"of Liuzhou \(18,677 km2\)"):
        footprints(pts)
    ok = footprints(pts.iloc[:1])
    assert ok["footprint_ha"].iloc[0] == pytest.approx(1.8e6, rel=1e-3) and ok["footprint_ha"].iloc[0] > 0
    assert MAX_STATED_AREA_M2 == 18_677e6
    inf = gpd.GeoDataFrame({"area_ha": [np.inf]}, geometry=[Point(109.4, 24.3)], crs="EPSG:4326")
    with pytest.raises(InputError, match=r"area_ha.*not a finite number \('inf'\)"):
        footprints(inf)


# ---------------------------------------------------------------- 10. the antimeridian

def test_within_refuses_a_layer_across_the_antimeridian_naming_it():
    import gis

    origins = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[Point(179.9, 10.0), Point(-179.9, 10.0)],
                               crs="EPSG:4326")
    with pytest.raises(InputError, match=r"origins: .*analysis CRS EPSG:4545: across the ±180° meridian"):
        gis.within(origins, origins, 50_000)
    line = gpd.GeoDataFrame(geometry=[LineString([(179.5, 0.0), (-179.5, 0.0)])], crs="EPSG:4326")
    with pytest.raises(InputError, match=r"targets: .*180°"):
        gis.within(gis.load_layer("townships"), line, 50_000)
    # all of China is accepted: Urumqi (87.6°E) and Harbin (126.6°E) from Liuzhou
    china = gpd.GeoDataFrame(geometry=[Point(87.6, 43.8), Point(126.6, 45.8), Point(109.4, 24.3)], crs="EPSG:4326")
    assert len(gis.within(china, china, 10.0)) == 3


def test_cli_within_refuses_a_file_across_the_antimeridian(tmp_path):
    table = tmp_path / "pts.csv"
    table.write_text("name,lon,lat\na,179.9,10\nb,-179.9,10\n", encoding="utf-8")
    res = invoke("within", str(table), "townships", "--distance-m", "5000", "-o", str(tmp_path / "w.csv"))
    line = one_error(res, "pts.csv (origins)", "180°", "Keep only the features of the region")
    assert "gis.settings" not in line


def test_buffers_refuse_a_layer_across_the_antimeridian_and_keep_china():
    import gis
    from gis.buffer import scaled_buffer

    across = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[Point(179.9, 10.0), Point(-179.9, 10.0)],
                              crs="EPSG:4326")
    with pytest.raises(InputError, match=r"gdf: rows 0, 1 lie more than 45° .*across the ±180° meridian"):
        gis.buffer_rings(across, [1000])
    with pytest.raises(InputError, match=r"geoms: .*180°"):
        scaled_buffer(gis.to_analysis_crs(across).geometry, 1000)
    # Urumqi's disk is still a disk of 1 km: ellipsoidal area pi km² within 0.5 %
    rings = gis.buffer_rings(gpd.GeoDataFrame(geometry=[Point(87.6, 43.8)], crs="EPSG:4326"), [1000])
    assert abs(float(rings["area_ha"].iloc[0]) - 314.16) / 314.16 < 0.005


def test_cli_buffer_refuses_a_file_across_the_antimeridian(tmp_path):
    table = tmp_path / "pts.csv"
    table.write_text("name,lon,lat\na,179.9,10\nb,-179.9,10\n", encoding="utf-8")
    res = invoke("buffer", str(table), "--distances", "1000", "-o", str(tmp_path / "b.gpkg"))
    one_error(res, "180°", "Keep only the features of the region")
    assert not (tmp_path / "b.gpkg").exists()


# ---------------------------------------------------------------- 12. output names

WRITING_VERBS = [
    ["export", "airports"], ["structure", "城市空间结构"], ["geocode", "x.csv"], ["map", "airports"],
    ["buffer", "airports", "--distances", "1000"], ["nearest", "airports", "townships"],
    ["within", "airports", "townships", "--distance-m", "1000"], ["matrix", "airports", "townships"],
    ["review", "x.csv", "--zones", "zones_example"], ["site", "--grid", "柳城县", "--near", "logistics:15000"],
]


@pytest.mark.parametrize("args", WRITING_VERBS, ids=lambda a: a[0])
def test_a_missing_output_is_a_one_line_error_on_every_writing_verb(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = invoke(*args)
    one_error(res, "Missing option '-o' / '--output'", f"lzgis {args[0]} -h")
    assert list(tmp_path.iterdir()) == []


def test_a_300_character_output_name_is_a_one_line_error(tmp_path):
    res = invoke("export", "airports", "-o", str(tmp_path / ("a" * 300 + ".csv")))
    one_error(res, "-o: the file name", "304 bytes long", "give a shorter name")
    res = invoke("export", "airports", "-o", str(tmp_path / ("柳" * 70 + ".gpkg")))
    one_error(res, "215 bytes long")
    res = invoke("export", "airports", "-o", str(tmp_path / ("d" * 300) / "a.csv"))
    one_error(res, "-o: the folder name", "300 bytes long")
    assert list(tmp_path.iterdir()) == []
    ok = invoke("export", "airports", "-o", str(tmp_path / ("柳" * 60 + ".csv")))  # 184 bytes: fits
    assert ok.exit_code == 0, ok.output


@pytest.mark.parametrize("name", ["gpkg_contents", "GPKG_x", "rtree_a_geom", "sqlite_master"])
def test_reserved_geopackage_layer_names_are_refused_before_reading(tmp_path, name):
    res = invoke("export", "airports", "-o", str(tmp_path / "a.gpkg"), "--layer-name", name)
    line = one_error(res, f"layer name {name!r} is reserved by GeoPackage", "--layer-name")
    assert "layer=" not in line and "loading" not in res.stderr
    res = invoke("export", "airports", "-o", str(tmp_path / f"{name}.gpkg"))
    one_error(res, "reserved by GeoPackage", "choose another file name")
    assert not any(tmp_path.iterdir())
    assert invoke("export", "airports", "-o", str(tmp_path / "a.gpkg"), "--layer-name", "机场").exit_code == 0


def test_a_bad_sheet_name_speaks_the_cli_option(tmp_path):
    res = invoke("export", "airports", "-o", str(tmp_path / "a.xlsx"), "--layer-name", "a[b]")
    line = one_error(res, "Pass another --layer-name")
    assert "layer=" not in line


# ---------------------------------------------------------------- 13. the user's path, not a temporary one

def test_a_dangling_symlink_as_output_is_named_by_the_users_path(tmp_path):
    link = tmp_path / "same.csv"
    link.symlink_to(tmp_path / "missing" / "x.csv")
    res = invoke("export", "airports", "-o", str(link))
    one_error(res, f"{link} already exists (a symbolic link to", "which is missing", "--overwrite")
    assert invoke("export", "airports", "-o", str(link), "--overwrite").exit_code == 0
    assert not link.is_symlink() and link.is_file() and "name" in link.read_text(encoding="utf-8-sig")


def test_a_run_losing_the_race_to_one_output_names_that_output(tmp_path):
    from gis._io import Staging, publish

    target = tmp_path / "same.csv"
    staging = Staging()
    staging.path(target).write_text("mine", encoding="utf-8")
    target.write_text("theirs", encoding="utf-8")  # another run published first
    with pytest.raises(FileExistsError) as info:
        staging.commit(overwrite=False)
    assert info.value.strerror.startswith(f"{target} already exists") and TEMP_PREFIX not in str(info.value)
    staging.discard()
    assert target.read_text(encoding="utf-8") == "theirs" and os.listdir(tmp_path) == ["same.csv"]
    (tmp_path / "new.csv").write_text("new", encoding="utf-8")
    with pytest.raises(FileExistsError) as info:
        publish([(tmp_path / "new.csv", target)], overwrite=False)
    assert info.value.strerror.startswith(f"{target} already exists")


def test_two_processes_to_one_output_name_it(tmp_path):
    out = tmp_path / "same.csv"
    procs = [subprocess.Popen([*LZGIS, "-q", "export", "townships", "-o", str(out)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    assert sorted(rc for rc, _ in results).count(0) == 1, results
    for rc, err in results:
        if rc:
            assert rc == 2 and TEMP_PREFIX not in err and f"{out} already exists" in err or \
                f"{out.name} already exists" in err, err


def test_an_output_under_proc_names_the_folder_not_the_probe(tmp_path):
    res = invoke("export", "airports", "-o", "/proc/t.csv")
    one_error(res, "cannot write into /proc", "(-o)")


# ---------------------------------------------------------------- 14. kill -9 between publishing and recording

def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and p.name != "manifest.json" and TEMP_PREFIX not in p.as_posix()}


def assert_consistent(folder: Path) -> list[dict]:
    """No pending entry; every file on disk is named by an entry; the last entry of each file has its hash."""
    runs = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["runs"]
    assert all("status" not in r for r in runs), [r.get("status") for r in runs]
    last: dict[str, str] = {}
    for run in runs:
        for out in run["outputs"]:
            last[out["path"]] = out["sha256"]
            for part, digest in out.get("parts", {}).items():
                last[(Path(out["path"]).parent / part).as_posix()] = digest
    assert _files(folder) == set(last), (_files(folder), set(last))
    for rel, digest in last.items():
        assert hashlib.sha256((folder / rel).read_bytes()).hexdigest() == digest, rel
    assert not list(folder.glob(f"{TEMP_PREFIX}*"))
    return runs


def kill_inside(stage: str, args: list[str], tmp_path: Path) -> None:
    """Run ``lzgis args`` held at ``stage`` by the private test hook, and SIGKILL it there."""
    flag = tmp_path / f"at-{stage}"
    env = {**os.environ, "LZGIS_TEST_PAUSE": f"{stage}:{flag}"}
    proc = subprocess.Popen([*LZGIS, "-q", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        for _ in range(1200):
            if flag.exists() or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert proc.poll() is None and flag.exists(), proc.stderr.read() if proc.poll() is not None else "no flag"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def test_kill_after_publishing_before_the_record_is_completed(tmp_path):
    out = tmp_path / "out"
    kill_inside("published", ["export", "airports", "-o", str(out / "a.shp")], tmp_path)
    runs = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["runs"]
    assert [r.get("status") for r in runs] == ["pending"]  # the window was really hit
    assert {"a.shp", "a.dbf", "a.shx", "a.prj"} <= _files(out)
    rerun = subprocess.run([*LZGIS, "-q", "export", "townships", "-o", str(out / "b.csv")], capture_output=True,
                           text=True)
    assert rerun.returncode == 0, rerun.stderr
    runs = assert_consistent(out)
    assert [r["outputs"][0]["path"] for r in runs] == ["a.shp", "b.csv"]
    assert "killed after publishing" in " ".join(runs[0]["notes"])


def test_kill_halfway_through_publishing_an_overwrite_restores_the_previous_files(tmp_path):
    out = tmp_path / "out"
    first = subprocess.run([*LZGIS, "-q", "export", "airports", "-o", str(out / "a.shp")], capture_output=True,
                           text=True)
    assert first.returncode == 0, first.stderr
    before = {name: (out / name).read_bytes() for name in _files(out)}
    kill_inside("partial", ["export", "county_seats", "-o", str(out / "a.shp"), "--overwrite"], tmp_path)
    assert {name: (out / name).read_bytes() for name in _files(out)} != before  # half of the new set is in place
    rerun = subprocess.run([*LZGIS, "-q", "export", "airports", "-o", str(out / "b.geojson")], capture_output=True,
                           text=True)
    assert rerun.returncode == 0, rerun.stderr
    runs = assert_consistent(out)
    assert [r["outputs"][0]["path"] for r in runs] == ["a.shp", "b.geojson"]  # the killed run left no entry
    assert {name: (out / name).read_bytes() for name in before} == before


def test_kill_after_the_pending_record_before_publishing(tmp_path):
    out = tmp_path / "out"
    kill_inside("pending", ["export", "airports", "-o", str(out / "a.csv")], tmp_path)
    assert not (out / "a.csv").exists()
    rerun = subprocess.run([*LZGIS, "-q", "export", "airports", "-o", str(out / "a.csv")], capture_output=True,
                           text=True)  # the same output: the dead run's entry must not block or duplicate it
    assert rerun.returncode == 0, rerun.stderr
    assert len(assert_consistent(out)) == 1


# ---------------------------------------------------------------- more hostile cases (found in this round)

@pytest.mark.parametrize("output", [".", "", "{tmp}"])
def test_a_folder_as_the_output_file_is_a_one_line_error(tmp_path, monkeypatch, output):
    monkeypatch.chdir(tmp_path)
    res = invoke("export", "airports", "-o", output.format(tmp=tmp_path))
    one_error(res, "is a folder; name the file to write", "lzgis export -h")
    assert list(tmp_path.iterdir()) == []


def test_library_words_become_option_names_in_review_and_site(tmp_path):
    table = tmp_path / "p.csv"
    table.write_text("项目,面积,经度,纬度\nA,3,109.6,24.4\n", encoding="utf-8")
    res = invoke("review", str(table), "--zones", "zones_example", "--area-field", "面积", "-o", str(tmp_path / "r.csv"))
    line = one_error(res, "the unit of column '面积' is not in its name; pass --area-unit (mu, ha, km2 or m2)")
    assert "area_unit=" not in line
    res = invoke("site", "--grid", "柳城县", "--spacing-m", "0.001", "--near", "logistics:15000", "-o",
                 str(tmp_path / "s.csv"))
    line = one_error(res, "--spacing-m 0.001 gives")
    assert "spacing_m=" not in line
