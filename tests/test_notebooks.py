"""The planner notebooks run top to bottom offline, give real answers, and are committed without outputs.

Each notebook is executed with nbclient in ``notebooks/`` (as a user would open it), on a kernel that runs
this very Python (a temporary kernelspec pointing at ``sys.executable``, so a stray user-level ``python3``
kernel of another environment is never used).  Maps and exports go to a temporary folder through
``LZGIS_NOTEBOOK_OUT``.  Every notebook ends with a cell of checks against brute force / hand-checked
facts and a ``RESULTS`` dict; the test re-checks a few of those values independently.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NAMES = [
    "01_structure_and_layers",
    "02_buffers_and_coverage",
    "03_proximity_and_half_hour_circle",
    "04_bring_your_own_projects",
    "05_siting_and_compliance_review",
]
KERNEL = "liuzhou-gis-notebook-test"
CELL_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory) -> Path:
    kernels = tmp_path_factory.mktemp("kernels")
    spec = kernels / KERNEL
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "liuzhou-gis (test)", "language": "python",
    }), encoding="utf-8")
    return kernels


def run_notebook(name: str, kernel_dir: Path, out_dir: Path, monkeypatch) -> tuple[nbformat.NotebookNode, dict]:
    """Execute a notebook in notebooks/ and return it with the RESULTS dict of its last cell."""
    monkeypatch.setenv("LZGIS_NOTEBOOK_OUT", str(out_dir))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import json as _json\nprint('RESULTS=' + _json.dumps(RESULTS, ensure_ascii=False, default=str))"))
    km = KernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dir)]))
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    line = next(ln for ln in text.splitlines() if ln.startswith("RESULTS="))
    return nb, json.loads(line[len("RESULTS="):])


def outputs_of(nb: nbformat.NotebookNode, mime: str) -> list:
    return [o["data"][mime] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if mime in o.get("data", {})]


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, name
    stale = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not stale, f"{name}: cells {stale} hold outputs; run python notebooks/strip_outputs.py"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    text = "\n".join(c.source for c in nb.cells)
    assert "maps/" not in text, f"{name} must not write into maps/"


def test_sample_table_has_the_problem_rows():
    with open(NOTEBOOKS / "data" / "projects_sample.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:5] == ["序号", "项目名称", "建设地点", "投资(亿元)", "建设性质"]
    assert 15 <= len(rows) <= 25
    assert [r["坐标系"] for r in rows if r["经度"]] == ["GCJ-02"]
    assert any(r["建设地点"] == "江口村" for r in rows) and any(r["建设地点"] == "九元山" for r in rows)
    # the one made-up row says so in its name and its source; every other row cites its plan
    made_up = [r for r in rows if r["项目名称"].startswith("示例")]
    assert len(made_up) == 1 and made_up[0]["出处"].startswith("示例 ") and made_up[0]["建设地点"] == "江口村"
    assert all(r["出处"].startswith(("002 ", "004 ")) for r in rows if r not in made_up), "every row cites its plan"


@pytest.mark.slow
def test_01_structure_and_layers(kernel_dir, tmp_path, monkeypatch):
    nb, r = run_notebook("01_structure_and_layers", kernel_dir, tmp_path, monkeypatch)
    assert r["territory_townships"] == 118
    # 城中 77.81 + 鱼峰 848.95 + 柳南 529.46 + 柳北 301.22 + 柳江 1775.71 km² (areas of the counties layer)
    assert abs(r["core_area_km2"] - 3533.15) < 5
    assert r["nodes_004"] == 22 and r["nodes_002"] > r["nodes_004"]
    assert 0 < r["projects_precise"] < r["projects"]
    assert (tmp_path / "01_structure.html").stat().st_size == r["map_bytes"] > 100_000
    assert outputs_of(nb, "image/png"), "the figure is drawn"
    assert any("folium" in h or "iframe" in h for h in outputs_of(nb, "text/html")), "the map is displayed inline"


@pytest.mark.slow
def test_02_buffers_and_coverage(kernel_dir, tmp_path, monkeypatch):
    nb, r = run_notebook("02_buffers_and_coverage", kernel_dir, tmp_path, monkeypatch)
    assert 0 < r["hubs"] < r["nodes"]
    assert 0 < r["townships_within_10km"] <= r["townships_within_30km"] < 118
    assert 0.2 < r["share_city_within_30km"] < 0.9
    assert 0 < r["projects_surely_within_10km"] <= r["projects_within_10km_any"]
    assert (tmp_path / "02_rings.html").exists()


@pytest.mark.slow
def test_03_proximity_and_half_hour_circle(kernel_dir, tmp_path, monkeypatch):
    nb, r = run_notebook("03_proximity_and_half_hour_circle", kernel_dir, tmp_path, monkeypatch)
    assert 0 < r["townships_surely_over_20km"] <= r["townships_over_20km"] < 118
    # the far north-west (三江, 融水) is farthest from every node: hand-checked on the map
    import gis

    towns = gis.load_layer("townships").set_index("name")
    assert towns.loc[r["farthest_township"], "county"] in {"三江侗族自治县", "融水苗族自治县"}
    assert r["farthest_km"] > 50
    roads, rail = r["half_hour_townships_roads"], r["half_hour_townships_with_rail"]
    assert set(roads) == set(rail) == {"大埔镇", "鹿寨镇"}
    assert all(1 <= roads[s] <= rail[s] for s in roads), (roads, rail)
    # the suburban railway serves 鹿寨, not 柳城; adding it never shrinks a circle (it did when a town joined the
    # network at its single nearest node: 鹿寨镇 is nearer to 鹿寨站 than to the roads)
    area_roads, area_rail = r["half_hour_area_km2_roads"], r["half_hour_area_km2_with_rail"]
    assert area_rail["大埔镇"] == area_roads["大埔镇"] and rail["大埔镇"] == roads["大埔镇"]
    assert area_rail["鹿寨镇"] > area_roads["鹿寨镇"] and rail["鹿寨镇"] > 2 * roads["鹿寨镇"]
    assert (tmp_path / "03_proximity.html").exists()


@pytest.mark.slow
def test_04_bring_your_own_projects(kernel_dir, tmp_path, monkeypatch):
    nb, r = run_notebook("04_bring_your_own_projects", kernel_dir, tmp_path, monkeypatch)
    with open(NOTEBOOKS / "data" / "projects_sample.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert r["rows"] == len(rows)
    assert r["before"] == {"matched": len(rows) - 2, "ambiguous": 1, "unmatched": 1}
    assert r["after"] == {"matched": len(rows) - 1, "unmatched": 1}
    assert r["investment_yi"] == pytest.approx(sum(float(x["投资(亿元)"]) for x in rows if x["投资(亿元)"]))
    for produced in ("04_my_projects.html", "04_my_projects.gpkg", "04_geocode_report.csv", "04_my_projects.pdf",
                     "04_review.xlsx"):
        assert (tmp_path / produced).exists(), produced
    report = (tmp_path / "04_geocode_report.csv").read_text(encoding="utf-8-sig")
    # the written report speaks Chinese: codes are shown as people read them (gis._columns)
    from gis._columns import value_title
    assert "九元山风电项目" in report and value_title("status", "unmatched") in report
    # the plan's wharf is placed by its name (鹿寨); the made-up 示例 row needed the override
    assert "柳州外贸码头（鹿寨江口口岸作业区）" in report and value_title("decided_by", "place+name") in report
    # the printed page names the located projects; the review workbook speaks Chinese and keeps every row
    import subprocess

    import openpyxl
    page = subprocess.run(["pdftotext", str(tmp_path / "04_my_projects.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout.replace("\n", "")
    assert "项目表定位结果" in page and "柳州外贸码头" in page
    sheet = openpyxl.load_workbook(tmp_path / "04_review.xlsx").worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert "定位精度（米）" in headers or "备注" in headers, headers
    assert sheet.max_row - 1 >= r["after"]["matched"]


@pytest.mark.slow
def test_explore_works_with_the_notebooks_extra():
    # GeoDataFrame.explore needs folium, matplotlib and mapclassify: all in the notebooks extra
    m = __import__("gis").load_layer("townships").explore(column="county")
    assert type(m).__name__ == "Map" and "118" not in m.get_name()


@pytest.mark.slow
def test_05_siting_and_compliance_review(kernel_dir, tmp_path, monkeypatch):
    nb, r = run_notebook("05_siting_and_compliance_review", kernel_dir, tmp_path, monkeypatch)
    assert r["options"] == 4 and r["rows"] == 4 * 3
    assert r["zone_classes"] == ["城镇开发边界", "永久基本农田", "生态保护红线"]
    # 方案A's 永久基本农田 hectares agree with pyproj.Geod on the intersection with the union of the two boxes
    assert r["farm_ha_A"] == pytest.approx(r["farm_ha_A_geod"], rel=1e-3) and r["farm_ha_A"] > 50
    assert r["rank"]["方案A"] == 3 and sorted(r["rank"].values()) == [1, 2, 3]  # A occupies 永久基本农田
    assert 0 < r["all_pass"] < r["candidates"]
    for produced in ("05_review.html", "05_sites.html", "05_review.xlsx"):
        assert (tmp_path / produced).exists(), produced
    page = (tmp_path / "05_review.html").read_text(encoding="utf-8")
    assert "示例" in page and "非真实三区三线" in page


def _planner_table(kind: str, folder: Path) -> Path:
    """The sample as a planner might hold it: GBK CSV without the 坐标系 column, or Excel.

    (UTF-16 tables go through the same ``read_table`` as GBK ones: tests/test_readers.py.)
    """
    import pandas as pd

    table = pd.read_csv(NOTEBOOKS / "data" / "projects_sample.csv", encoding="utf-8", dtype=str)
    if kind == "gbk-no-datum":
        path = folder / "我的项目.csv"
        table.drop(columns=["坐标系"]).to_csv(path, index=False, encoding="gbk")
    elif kind == "wan-with-total":  # 总投资(万元) and a 合计 row: the notebook must read 万元, not 亿元
        wan = pd.to_numeric(table["投资(亿元)"]) * 10000
        table = table.drop(columns=["投资(亿元)"]).assign(**{"总投资(万元)": wan.map(lambda v: "" if pd.isna(v) else f"{v:g}")})
        total = {c: "" for c in table.columns} | {"项目名称": "合计", "总投资(万元)": f"{wan.sum():g}"}
        table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
        path = folder / "重点项目.xlsx"
        table.to_excel(path, index=False)
    else:
        path = folder / "我的项目.xlsx"
        table.to_excel(path, index=False)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gbk-no-datum", "xlsx", "wan-with-total"])
def test_04_runs_on_a_planners_own_table(kind, kernel_dir, tmp_path, monkeypatch):
    table = _planner_table(kind, tmp_path)
    monkeypatch.setenv("LZGIS_TABLE", str(table))
    out = tmp_path / "out"
    nb, r = run_notebook("04_bring_your_own_projects", kernel_dir, out, monkeypatch)
    with open(NOTEBOOKS / "data" / "projects_sample.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    invest_yi = sum(float(x["投资(亿元)"]) for x in rows if x["投资(亿元)"])
    if kind == "wan-with-total":  # the total row is skipped, and 万元 is read as 万元 (not 亿元 × 10000)
        assert r["rows"] == len(rows) + 1 and r["skipped"] == 1 and r["after"]["skipped"] == 1
        assert r["investment_yi"] == pytest.approx(invest_yi, abs=0.01)
        return
    assert r["investment_yi"] == pytest.approx(invest_yi)
    assert r["table"] == table.name and r["rows"] == len(rows) and r["first_row"] == 2
    assert r["encoding"] == {"gbk-no-datum": "GBK", "xlsx": "excel"}[kind]
    # without a 坐标系 column the copied GCJ-02 row is taken as WGS-84 (one row: too few to judge the table)
    assert r["gcj02_rows"] == (0 if kind == "gbk-no-datum" else 1)
    assert r["before"] == r["after"] == {"matched": len(rows) - 2, "ambiguous": 1, "unmatched": 1}  # no overrides
    assert (out / "04_geocode_report.csv").exists()
