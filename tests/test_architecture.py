"""The import graph stays one-way: data → analysis → presentation → faces (CONTRIBUTING.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gis"

# rank of each module; a module may import only modules of a lower or equal rank
RANK = {
    "_errors": 0, "settings": 0, "_io": 0, "_geodesic": 0, "_cells": 0,
    "crs": 1, "datum": 1, "layers": 1, "readers": 1, "_validate": 1, "pointfile": 1,
    "structure": 2, "gazetteer": 2, "_gazetteer_sources": 2,
    "geocode": 3, "_geocode_match": 3, "_geocode_table": 3, "_geocode_report": 3, "build": 3,
    "network": 4, "routing": 5, "proximity": 5, "buffer": 5, "coverage": 6, "partitioned": 6, "review": 6, "siting": 7,
    "_assets": 7, "_html": 7, "_mapstyle": 7, "export": 7, "_qml": 7, "_workbook": 7, "manifest": 7, "printmap": 7, "webmap": 8,
    "maps_default": 9, "review_maps": 9,
    "cli": 10, "__main__": 10,
}

# Lazy re-exports of names that moved up a layer, kept for callers not moved yet: (module, module it re-exports
# from).  gis.network hands out travel_times & co. of gis.routing for gis/proximity.py; drop the pair (and
# network.__getattr__) once proximity imports them from gis.routing.
REEXPORTS = {("network", "routing")}


def _imports(path: Path) -> set[str]:
    """First-level gis modules imported by one file."""
    found: set[str] = set()
    in_build = path.parent.name == "build"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.startswith("gis."):
                found.add(node.module.split(".")[1])
            elif node.level == 1 and not in_build:
                found.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
            elif node.level == 2 and in_build and node.module:
                found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("gis."))
    return found


def _module_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return "build" if rel.parts[0] == "build" else rel.stem


@pytest.mark.parametrize("path", sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_only_go_downwards(path):
    module = _module_of(path)
    assert module in RANK, f"{module}: new module; give it a rank in tests/test_architecture.py"
    upward = sorted(m for m in _imports(path)
                    if m in RANK and RANK[m] > RANK[module] and (module, m) not in REEXPORTS)
    assert not upward, f"gis/{path.relative_to(PACKAGE)} imports higher layers {upward}"


def test_the_check_sees_an_upward_import(tmp_path):
    bad = tmp_path / "crs.py"
    bad.write_text("from .webmap import make_map\n", encoding="utf-8")
    assert "webmap" in _imports(bad)
