"""The city is data: layers/city.yaml holds every Liuzhou value the runtime code needs (gis.city).

The scan below reads the code of the runtime modules (string constants outside docstrings, numeric literals) and
fails on a new 柳州 / Liuzhou / 4502xx literal or on the municipality's bounds or map centre written into code.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import gis
import gis.city
import gis.crs
from gis import city

PACKAGE = Path(__file__).resolve().parents[1] / "gis"

#: Not scanned: the build pipeline of the shipped layers, which reads Liuzhou's own sources (../shared) and writes
#: layers/; another city builds its layers with its own pipeline and ships them with its city.yaml.
NOT_RUNTIME = ("layer_pipeline",)

#: The documented exceptions (CONTRIBUTING.md, "The city is data"): machine names kept for compatibility.
EXCEPTIONS = {
    # the project's name (pip install 'liuzhou-gis[maps]', 制图:liuzhou-gis, the manifest's tool)
    "liuzhou-gis",
    # the flag and column of geocoded rows outside the city; its Chinese title is the profile's texts.outside
    "outside_liuzhou",
    # the column of the shipped railway_stations layer that says whether a station lies in the municipality
    "in_liuzhou",
}

_CITY = re.compile(r"柳州|liuzhou|4502\d\d", re.IGNORECASE)


def _numbers_of_profile() -> set[float]:
    p = city.profile()
    return {round(v, 2) for v in (*p.bounds, *p.centre)}


def _docstring_nodes(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                found.add(id(body[0].value))
    # attribute docstrings (a string statement after an assignment) are documentation too
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            found.add(id(node.value))
    return found


def city_literals(source: str, numbers: set[float]) -> list[tuple[int, str]]:
    """(line, literal) of every Liuzhou literal in the code of ``source`` (docstrings and comments excluded)."""
    tree = ast.parse(source)
    docs = _docstring_nodes(tree)
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in docs:
            continue
        value = node.value
        if isinstance(value, str):
            text = value
            for allowed in EXCEPTIONS:
                text = re.sub(re.escape(allowed), "", text, flags=re.IGNORECASE)
            if _CITY.search(text):
                hits.append((node.lineno, value))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, int) and 450200 <= value <= 450299:
                hits.append((node.lineno, repr(value)))
            elif isinstance(value, float) and round(value, 2) == value and value in numbers:
                hits.append((node.lineno, repr(value)))
    return hits


def _runtime_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py")
                  if not any(part in NOT_RUNTIME for part in p.relative_to(PACKAGE).parts))


@pytest.mark.parametrize("path", [p for p in _runtime_modules() if p.name != "city.py"],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_runtime_code_holds_no_liuzhou_literal(path):
    hits = city_literals(path.read_text(encoding="utf-8"), _numbers_of_profile())
    assert not hits, (f"gis/{path.relative_to(PACKAGE)}: Liuzhou written into code at "
                      + "; ".join(f"line {line}: {value[:60]!r}" for line, value in hits)
                      + ". Read it from the city profile (gis.city.profile(), layers/city.yaml).")


def test_the_scan_sees_literals_and_skips_docstrings_and_exceptions():
    numbers = _numbers_of_profile()
    source = ('"""柳州市 in a docstring."""\n'
              'def f():\n    """Liuzhou example."""\n    return "柳州市空间规划图"\n'
              'x = {"outside_liuzhou": 1, "tool": "liuzhou-gis"}\n'
              'y = "outside Liuzhou"\n'
              'BOUNDS = (108.58, 23.90, 110.19, 26.05)\n'
              'code = 450200\n'
              'scale = 25.4\n')
    hits = city_literals(source, numbers)
    assert sorted(line for line, _ in hits) == [4, 6, 7, 7, 7, 7, 8]


def test_the_shipped_profile():
    p = city.profile()
    assert (p.name, p.short_name, p.name_en, p.adcode) == ("柳州市", "柳州", "Liuzhou", "450200")
    assert p.bounds == (108.58, 23.90, 110.19, 26.05) and p.area_km2 == 18_677
    assert gis.crs.LIUZHOU_BOUNDS == gis.crs.city_bounds() == p.bounds  # the former constant, kept
    minx, miny, maxx, maxy = p.bounds
    assert minx < p.centre[0] < maxx and miny < p.centre[1] < maxy
    assert p.analysis_crs == "EPSG:4545" and p.map_title == "柳州市空间规划图"
    assert "审图号" in p.texts["boundary_caveat"] and p.outside_text == "柳州市域外"
    assert p.airport_name == "柳州白莲机场" and p.river_names["Liu"] == "柳江"
    # the texts reach what people read: map styles and column titles
    from gis._columns import column_note, value_title
    from gis._mapstyle import map_styles

    assert map_styles()["texts"]["boundary_caveat"] == p.texts["boundary_caveat"]
    assert "柳州市域外" in column_note("outside_liuzhou") and "{outside}" not in column_note("outside_liuzhou")
    assert value_title("flags", "outside_liuzhou;bad_coordinates") == "柳州市域外；坐标无法读取"


def test_analysis_crs_defaults_from_the_profile_and_stays_overridable(tmp_path, monkeypatch):
    assert gis.settings.analysis_crs == "EPSG:4545"
    monkeypatch.setattr(gis.settings, "analysis_crs", "EPSG:4546")
    assert gis.crs.analysis_crs().to_epsg() == 4546
    monkeypatch.undo()
    # another layers folder: its profile's CRS, unless one is set
    text = (PACKAGE.parent / "layers" / "city.yaml").read_text(encoding="utf-8")
    (tmp_path / "city.yaml").write_text(text.replace("analysis_crs: EPSG:4545", "analysis_crs: EPSG:4547"),
                                        encoding="utf-8")
    vars(gis.settings).pop("analysis_crs", None)
    monkeypatch.setattr(gis.settings, "layers_dir", tmp_path)
    assert gis.settings.analysis_crs == "EPSG:4547" and gis.crs.analysis_crs().to_epsg() == 4547
    gis.settings.analysis_crs = "EPSG:4545"
    assert gis.crs.analysis_crs().to_epsg() == 4545
    del gis.settings.analysis_crs
    assert gis.settings.analysis_crs == "EPSG:4547"


def test_a_layers_folder_without_a_profile_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(gis.settings, "layers_dir", tmp_path)
    with pytest.raises(gis.LayerError, match=r"city\.yaml"):
        city.profile()
    (tmp_path / "city.yaml").write_text("name: 示例市\n", encoding="utf-8")
    with pytest.raises(gis.LayerError, match="lacks short_name"):
        city.profile(tmp_path)
