"""The tools planners use open our files as they should (issue 20): CRS on the way out, QGIS styles,
no layer refused as Shapefile, fiona as an engine, ``python -m gis``."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
from shapely.geometry import LineString, Point, Polygon

import gis
from gis._errors import CRSError
from gis._io import LOCK_NAME, folder_lock, lock_file
from gis.export import export
from gis.readers import read_table, read_vector

SYSTEM_PYTHON = "/usr/bin/python3"


def _towns() -> gpd.GeoDataFrame:
    return gis.load_layer("townships")


# ---------------------------------------------------------------- 1. CRS on the way out

@pytest.mark.parametrize("code", [4490, 4545, 4546, 4524, 4525])
def test_geopackage_in_the_asked_crs(tmp_path, code):
    towns = _towns()
    out = export(towns, tmp_path / "t.gpkg", crs=f"EPSG:{code}")
    assert pyogrio.read_info(out, layer="t")["crs"] == f"EPSG:{code}"
    back = read_vector(out)
    expected = towns.to_crs(code)
    assert np.allclose(back.geometry.x, expected.geometry.x, atol=1e-6)
    assert np.allclose(back.geometry.y, expected.geometry.y, atol=1e-6)
    assert towns.crs.to_epsg() == 4326  # the caller's data is not changed


def test_shapefile_in_gauss_kruger_has_an_esri_prj_and_cpg(tmp_path):
    towns = _towns()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the long texts of the layer, tested below
        out = export(towns, tmp_path / "t.shp", crs="EPSG:4545")
    prj = (tmp_path / "t.prj").read_text(encoding="ascii")
    assert prj.startswith('PROJCS["CGCS2000_3_Degree_GK_CM_108E"') and "D_China_2000" in prj
    assert "Gauss_Kruger" in prj and 'PARAMETER["Central_Meridian",108.0]' in prj
    assert (tmp_path / "t.cpg").read_text(encoding="ascii") == "UTF-8"
    assert pyogrio.read_info(out)["crs"] == "EPSG:4545"  # GDAL identifies the .prj as EPSG:4545
    x, y = pyproj.Transformer.from_crs(4326, 4545, always_xy=True).transform(towns.geometry.x, towns.geometry.y)
    back = gpd.read_file(out)
    assert np.allclose(back.geometry.x, x, atol=1e-3) and np.allclose(back.geometry.y, y, atol=1e-3)
    assert 300_000 < back.geometry.x.min() and back.geometry.x.max() < 1_000_000  # no zone prefix (36…) in 4545


def test_csv_points_in_a_projected_crs_are_x_y_metres(tmp_path):
    g = gpd.GeoDataFrame({"名称": ["柳州站"]}, geometry=[Point(109.3968, 24.3122)], crs="EPSG:4326")
    out = export(g, tmp_path / "a.csv", crs="EPSG:4545")
    table = read_table(out)
    assert table.columns.tolist() == ["名称", "x", "y"]
    x, y = pyproj.Transformer.from_crs(4326, 4545, always_xy=True).transform(109.3968, 24.3122)
    assert table["x"].iloc[0] == pytest.approx(x, abs=1e-6) and table["y"].iloc[0] == pytest.approx(y, abs=1e-6)
    back = read_vector(out, crs="EPSG:4545")  # x/y are found by name; the CRS is the caller's to give
    assert back.to_crs(4326).geometry.x.iloc[0] == pytest.approx(109.3968, abs=1e-8)
    geo = read_table(export(g, tmp_path / "b.csv", crs="EPSG:4490"))
    assert geo.columns.tolist() == ["名称", "lon", "lat"] and geo["lon"].iloc[0] == pytest.approx(109.3968)


def test_lines_in_a_projected_csv_are_wkt_in_metres(tmp_path):
    g = gpd.GeoDataFrame({"名称": ["线"]}, geometry=[LineString([(109.3, 24.3), (109.4, 24.4)])], crs=4326)
    table = read_table(export(g, tmp_path / "l.csv", crs=4546))
    assert table["wkt"].iloc[0].startswith("LINESTRING (") and "36" not in table["wkt"].iloc[0][:13]
    assert float(table["wkt"].iloc[0].split("(")[1].split()[0]) > 100_000  # metres, not degrees


@pytest.mark.parametrize("bad", ["柳州", "EPSG:999999", "", "+proj=nonsense"])
def test_a_non_crs_is_refused_with_the_codes_to_use(tmp_path, bad):
    with pytest.raises(CRSError, match="is not a coordinate reference system.*EPSG:4545"):
        export(_towns(), tmp_path / "t.gpkg", crs=bad)
    assert list(tmp_path.iterdir()) == []


def test_geojson_stays_wgs84(tmp_path):
    with pytest.raises(CRSError, match="RFC 7946"):
        export(_towns(), tmp_path / "t.geojson", crs="EPSG:4545")
    assert export(_towns(), tmp_path / "t.geojson", crs="EPSG:4326").exists()


# ---------------------------------------------------------------- 2. QGIS opens it styled

def test_geopackage_carries_layer_styles_and_data_columns(tmp_path):
    out = export(gis.load_layer("projects"), tmp_path / "p.gpkg", layer="项目")
    db = sqlite3.connect(out)
    columns = [row[1] for row in db.execute("PRAGMA table_info(layer_styles)")]
    assert columns == ["id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
                       "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time"]
    rows = db.execute("SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles").fetchall()
    assert len(rows) == 1 and rows[0][:3] == ("项目", "geom", 1)
    qml = rows[0][3]
    assert 'type="categorizedSymbol" attr="status"' in qml and 'label="规划(新建、推进等)"' in qml
    assert '<alias field="county" index=' in qml and 'name="区县"' in qml
    titles = dict(db.execute("SELECT column_name, title FROM gpkg_data_columns WHERE table_name = '项目'"))
    assert titles["name"] == "名称" and titles["county"] == "区县"
    extensions = db.execute("SELECT table_name, extension_name FROM gpkg_extensions "
                            "WHERE extension_name = 'gpkg_schema'").fetchall()
    assert sorted(extensions) == [("gpkg_data_column_constraints", "gpkg_schema"),
                                  ("gpkg_data_columns", "gpkg_schema")]
    assert db.execute("PRAGMA user_version").fetchone()[0] == 10200  # GeoPackage 1.2
    db.close()
    assert read_vector(out).shape[0] == len(gis.load_layer("projects"))  # the style table is not data
    out14 = export(gis.load_layer("projects"), tmp_path / "p14.gpkg", gpkg_version="1.4")
    assert sqlite3.connect(out14).execute("PRAGMA user_version").fetchone()[0] == 10400
    plain = export(gis.load_layer("projects"), tmp_path / "plain.gpkg", styled=False)
    assert [row[0] for row in pyogrio.list_layers(plain)] == ["plain"]


def _qgis_available() -> str | None:
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} missing"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True,
                           env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    if probe.returncode:
        return "python3-qgis is not installed (scripts/setup.sh --test installs it): " + probe.stderr[-200:]
    return None


QGIS_SCRIPT = r"""
import json, sys
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
out = {}
for path, layer in json.loads(sys.argv[1]):
    lyr = QgsVectorLayer(f"{path}|layername={layer}", "x", "ogr")
    message, ok = lyr.loadDefaultStyle()
    renderer = lyr.renderer()
    info = {"valid": lyr.isValid(), "loaded": ok, "renderer": renderer.type(), "crs": lyr.crs().authid(),
            "aliases": {f.name(): lyr.attributeAlias(i) for i, f in enumerate(lyr.fields())}}
    if renderer.type() == "categorizedSymbol":
        info["field"] = renderer.classAttribute()
        info["categories"] = [[c.value(), c.label(), c.symbol().color().name()] for c in renderer.categories()]
    if renderer.type() == "RuleRenderer":
        info["rules"] = [r.label() for r in renderer.rootRule().children()]
    out[layer] = info
print(json.dumps(out, ensure_ascii=False), flush=True)
import errno
import os
os._exit(0)  # QGIS 3.22 may crash while tearing down its application object; the answer is out
"""


def test_qgis_opens_the_geopackage_styled_with_chinese_aliases(tmp_path):
    reason = _qgis_available()
    if reason:
        pytest.skip(reason)
    import json

    files = [
        (str(export(gis.load_layer("projects"), tmp_path / "projects.gpkg")), "projects"),
        (str(export(gis.load_layer("townships_plan"), tmp_path / "tp.gpkg", crs="EPSG:4545")), "tp"),
        (str(export(gis.load_layer("rivers"), tmp_path / "rivers.gpkg", crs="EPSG:4490")), "rivers"),
    ]
    done = subprocess.run([SYSTEM_PYTHON, "-c", QGIS_SCRIPT, json.dumps(files)], capture_output=True, text=True,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    projects = result["projects"]
    assert projects["valid"] and projects["loaded"] and projects["renderer"] == "categorizedSymbol"
    assert projects["field"] == "status" and projects["crs"] == "EPSG:4326"
    assert projects["categories"][:2] == [["existing", "建成", "#1a9850"],
                                          ["under_construction", "在建(在建、续建)", "#fdae61"]]
    assert projects["categories"][-1][:2] == ["", "未注明状态"]
    assert projects["aliases"]["name"] == "名称" and projects["aliases"]["county"] == "区县"
    towns = result["tp"]
    assert towns["loaded"] and towns["renderer"] == "RuleRenderer" and towns["crs"] == "EPSG:4545"
    assert towns["rules"][0] == "产业重镇(含经济强镇)" and towns["rules"][-1] == "其他定位"
    assert result["rivers"]["renderer"] == "singleSymbol" and result["rivers"]["crs"] == "EPSG:4490"


# ---------------------------------------------------------------- 3. no layer refused as Shapefile

@pytest.mark.slow
def test_every_shipped_layer_exports_to_shapefile_and_reads_back_whole(tmp_path):
    cut_layers = []
    for name in gis.list_layers()["name"]:
        layer = gis.load_layer(name)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = export(layer, tmp_path / f"{name}.shp")
        back = read_vector(out)
        assert len(back) == len(layer), name
        sidecar = tmp_path / f"{name}.fulltext.csv"
        cut = [str(w.message) for w in caught if "longer than the Shapefile" in str(w.message)]
        assert bool(cut) == sidecar.exists(), name
        if not sidecar.exists():
            continue
        cut_layers.append(name)
        full = pd.read_csv(sidecar, encoding="utf-8-sig", dtype={"field": str, "text": str})
        assert sidecar.read_bytes().startswith(b"\xef\xbb\xbf")
        assert f"{len(full)} text value(s)" in cut[0]
        raw = gpd.read_file(out, encoding="utf-8")  # what a plain GIS sees: the cut texts
        shorts = pd.read_csv(tmp_path / f"{name}.fields.csv", encoding="utf-8-sig", dtype=str)
        short_of = dict(zip(shorts["full"], shorts["short"]))
        for fid, field, text in full.itertuples(index=False):
            assert text == layer[field].iloc[fid], (name, field, fid)  # the sidecar holds the whole text
            assert back[field].iloc[fid] == text  # and read_vector puts it back
            shown = raw[short_of[field]].iloc[fid]
            assert len(shown.encode("utf-8")) <= 254 and text.startswith(shown) and len(shown) < len(text)
    assert len(cut_layers) >= 8, cut_layers  # every plan layer has texts over 254 bytes


def test_gbk_cut_is_at_a_character_boundary(tmp_path):
    text = "柳" * 200  # 400 bytes in GBK, 600 in UTF-8
    g = gpd.GeoDataFrame({"说明": [text, "短"]}, geometry=[Point(109.4, 24.3)] * 2, crs=4326)
    with pytest.warns(UserWarning, match=r"1 text value\(s\).*'说明' \(1\)"):
        out = export(g, tmp_path / "g.shp", encoding="gbk")
    raw = gpd.read_file(out, encoding="gbk")
    assert raw.iloc[0, 0] == "柳" * 127  # 254 bytes: 127 characters of 2 bytes
    assert read_vector(out)["说明"].tolist() == [text, "短"]
    # overwriting with short texts removes the old sidecar: the parts on disk always belong together
    export(g.assign(说明=["短", "短"]), out, encoding="gbk", overwrite=True)
    assert not (tmp_path / "g.fulltext.csv").exists() and read_vector(out)["说明"].tolist() == ["短", "短"]


def test_cli_export_overwrite_removes_the_old_fulltext_sidecar(tmp_path):
    """``lzgis export ... --overwrite`` publishes through the run's staging: a ``.fulltext.csv`` (and a spatial
    index) left by an earlier export that the new one does not write is removed with the replaced parts."""
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "gis", "-q", *args], capture_output=True, text=True)

    assert run("export", "townships", "--format", "shp", "-o", str(tmp_path / "t")).returncode == 0
    assert (tmp_path / "t.fulltext.csv").exists()  # the townships hold texts over 254 bytes
    (tmp_path / "t.qix").write_bytes(b"old index")
    short = gpd.GeoDataFrame({"说明": ["短", "短"]}, geometry=[Point(109.4, 24.3)] * 2, crs=4326)
    export(short, tmp_path / "short.gpkg")
    done = run("export", str(tmp_path / "short.gpkg"), "--format", "shp", "-o", str(tmp_path / "t"), "--overwrite")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "t.fulltext.csv").exists() and not (tmp_path / "t.qix").exists()
    assert read_vector(tmp_path / "t.shp")["说明"].tolist() == ["短", "短"]


# ---------------------------------------------------------------- 4. any OS

def test_the_folder_lock_file_lives_in_the_folder_while_held(tmp_path):
    import fcntl

    lock = tmp_path / LOCK_NAME
    with folder_lock(tmp_path):
        assert [p.name for p in tmp_path.iterdir()] == [LOCK_NAME]  # beside the outputs, hidden
        fd = os.open(lock, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held while inside
        finally:
            os.close(fd)
        with folder_lock(tmp_path / "."):  # re-entrant in one thread, by the folder's identity
            pass
        assert lock.exists()
    assert list(tmp_path.iterdir()) == []  # and removed when let go
    assert lock_file(tmp_path) == lock_file(tmp_path / ".") and tmp_path not in lock_file(tmp_path).parents


def test_two_computers_writing_into_one_folder_wait_for_each_other(tmp_path):
    # each "computer" has its own temporary folder (TMPDIR): the lock must be found through the shared folder
    shared = tmp_path / "共享"
    code = ("import os, sys, time; from gis._io import folder_lock\n"
            "with folder_lock(sys.argv[1]):\n"
            "    open(sys.argv[2], 'w').write('locked')\n"
            "    while not os.path.exists(sys.argv[3]): time.sleep(0.01)\n")
    flag, release = tmp_path / "flag", tmp_path / "release"
    env_a = {**os.environ, "TMPDIR": str(tmp_path / "tmp_a")}
    (tmp_path / "tmp_a").mkdir()
    holder = subprocess.Popen([sys.executable, "-c", code, str(shared), str(flag), str(release)], env=env_a)
    try:
        for _ in range(3000):
            if flag.exists():
                break
            time.sleep(0.01)
        assert flag.exists() and (shared / LOCK_NAME).exists()
        (tmp_path / "tmp_b").mkdir()
        other = ("import sys; from gis._io import folder_lock; from gis._errors import WriteError\n"
                 "try:\n    with folder_lock(sys.argv[1], timeout_s=0.5): print('got it')\n"
                 "except WriteError as exc: print('busy', exc.errno)\n")
        env_b = {**os.environ, "TMPDIR": str(tmp_path / "tmp_b")}
        out = subprocess.run([sys.executable, "-c", other, str(shared)], env=env_b, capture_output=True, text=True,
                             check=True).stdout.split()
        assert out == ["busy", str(errno.EBUSY)]
        release.touch()
        assert holder.wait(timeout=60) == 0
        out = subprocess.run([sys.executable, "-c", other, str(shared)], env=env_b, capture_output=True, text=True,
                             check=True).stdout.strip()
        assert out == "got it"
    finally:
        release.touch()
        holder.wait()
    assert sorted(p.name for p in shared.iterdir()) == []  # no lock file left after either run


def test_a_lock_file_left_by_a_killed_run_is_reused_and_removed(tmp_path):
    code = ("import sys, time; from gis._io import folder_lock\n"
            "with folder_lock(sys.argv[1]):\n    print('in', flush=True); time.sleep(120)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "in"
    finally:
        holder.kill()  # kill -9: the hidden file stays, the flock goes with the process
        holder.wait()
        holder.stdout.close()
    assert [p.name for p in tmp_path.iterdir()] == [LOCK_NAME]
    with folder_lock(tmp_path, timeout_s=5):
        pass
    assert list(tmp_path.iterdir()) == []


def test_start_times_come_from_psutil():
    import psutil

    from gis._io import _start_time

    assert _start_time(os.getpid()) == str(round(psutil.Process().create_time() * 100))
    assert _start_time(2 ** 22 + 12345) is None


# ---------------------------------------------------------------- 5. fiona as an engine

@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp"])
def test_fiona_round_trip(tmp_path, suffix):
    pytest.importorskip("fiona")
    g = gpd.GeoDataFrame(
        {"名称": ["柳州站", "鹿寨县城"], "人口_万人": [12, 30], "面积": [1.5, 2.25]},
        geometry=[Polygon([(109.4, 24.3), (109.5, 24.3), (109.5, 24.4)]),
                  Polygon([(109.7, 24.4), (109.8, 24.4), (109.8, 24.5)])],
        crs="EPSG:4326",
    )
    out = export(g, tmp_path / f"a{suffix}", engine="fiona", crs="EPSG:4326")
    for engine in ("fiona", "pyogrio"):
        back = read_vector(out, engine=engine)
        assert back["名称"].tolist() == ["柳州站", "鹿寨县城"], engine
        assert back["人口_万人"].tolist() == [12, 30] and back["面积"].tolist() == [1.5, 2.25]
        assert back.geometry.normalize().geom_equals_exact(g.geometry.normalize(), tolerance=1e-7).all()
        assert back.crs.to_epsg() == 4326
    if suffix == ".gpkg":
        assert sqlite3.connect(out).execute("SELECT useAsDefault FROM layer_styles").fetchone() == (1,)


# ---------------------------------------------------------------- 6. python -m gis

def test_python_m_gis_is_lzgis():
    done = subprocess.run([sys.executable, "-m", "gis", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("lzgis, version "), done
    listed = subprocess.run([sys.executable, "-m", "gis", "--help"], capture_output=True, text=True)
    assert listed.returncode == 0 and "export" in listed.stdout


def test_cli_crs_option_on_export(tmp_path):
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "gis", "-q", *args], capture_output=True, text=True)

    assert run("export", "townships", "--crs", "EPSG:4490", "-o", str(tmp_path / "t.gpkg")).returncode == 0
    assert pyogrio.read_info(tmp_path / "t.gpkg", layer="t")["crs"] == "EPSG:4490"
    assert run("export", "townships", "--crs", "EPSG:4545", "-o", str(tmp_path / "t.shp")).returncode == 0
    assert (tmp_path / "t.prj").read_text(encoding="ascii").startswith('PROJCS["CGCS2000_3_Degree_GK_CM_108E"')
    import json

    runs = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["runs"]
    assert [r["outputs"][0]["crs"] for r in runs] == ["EPSG:4490", "EPSG:4545"]
    assert "t.fulltext.csv" in runs[1]["outputs"][0]["parts"]  # published and recorded with the other parts
    bad = run("export", "townships", "--crs", "柳州", "-o", str(tmp_path / "x.gpkg"))
    assert bad.returncode == 2 and "not a coordinate reference system" in bad.stderr
    assert not (tmp_path / "x.gpkg").exists()
