"""The import graph stays one-way: data → analysis → presentation → faces (CONTRIBUTING.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gis"

# rank of each module; a module may import only modules of a lower or equal rank
RANK = {
    "_errors": 0, "settings": 0, "city": 0, "_io": 0, "_progress": 0, "_geodesic": 0, "_cells": 0, "_jit": 0, "_geodesic_loops": 0, "_grid": 0,
    "crs": 1, "datum": 1, "layers": 1, "units": 1, "readers": 1, "_columns": 1, "_validate": 1, "pointfile": 1, "prepare": 1,
    # parts of a module split by responsibility share its rank: _tables of readers, _proximity_kernels of
    # proximity, _isochrone_shapes of routing, _review_overlay of review, _print_furniture of printmap; _layerspec sits below webmap, beside the other page helpers
    "_tables": 1, "_proximity_kernels": 5, "_nearestk_kernels": 5, "_nearestk_loops": 5, "_nearest1_loops": 5, "_within_kernels": 5, "_within_loops": 5, "_isochrone_shapes": 5, "_review_overlay": 6, "_print_furniture": 7, "_print_fonts": 7, "_layerspec": 7, "_legend": 7,
    "structure": 2, "gazetteer": 2, "_gazetteer_sources": 2,
    "geocode": 3, "_geocode_match": 3, "_geocode_typo": 3, "_geocode_table": 3, "_geocode_report": 3, "layer_pipeline": 3,
    "network": 4, "routing": 5, "proximity": 5, "buffer": 5, "coverage": 6, "partitioned": 6, "review": 6, "drive": 6,
    "siting": 6,
    "_assets": 7, "_html": 7, "_mapstyle": 7, "export": 7, "_qml": 7, "_shapefile_text": 7, "_xlsx": 7, "_workbook": 7, "manifest": 7, "printmap": 7, "webmap": 8,
    "maps_default": 9, "review_maps": 9,
    "cli": 10, "__main__": 10,
}
#: packages inside gis whose modules all take the package's rank
SUBPACKAGES = ("layer_pipeline", "cli")
#: the floors of the house (CONTRIBUTING.md) and their ranks
FLOORS = {"data": range(0, 4), "analysis": range(4, 7), "presentation": range(7, 10), "faces": range(10, 11)}
CONTRIBUTING = PACKAGE.parent / "CONTRIBUTING.md"



def _imports(path: Path) -> set[str]:
    """First-level gis modules imported by one file.

    In a sub-package (``gis/layer_pipeline/``, ``gis/cli/``) ``.x`` is a module of the same sub-package (counted as
    the sub-package) and ``..x`` a first-level gis module.
    """
    found: set[str] = set()
    sub = path.parent.name if path.parent.name in SUBPACKAGES else None
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names = [node.module.split(".")[0]] if node.module else [a.name for a in node.names]
            if node.level == 0 and node.module and node.module.startswith("gis."):
                found.add(node.module.split(".")[1])
            elif node.level == 1:
                found.update([sub] if sub else names)
            elif node.level == 2 and sub:
                found.update(names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("gis."))
    return found


def _module_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if rel.parts[0] in SUBPACKAGES else rel.stem


@pytest.mark.parametrize("path", sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_only_go_downwards(path):
    module = _module_of(path)
    assert module in RANK, f"{module}: new module; give it a rank in tests/test_architecture.py"
    upward = sorted(m for m in _imports(path)
                    if m in RANK and RANK[m] > RANK[module])
    assert not upward, f"gis/{path.relative_to(PACKAGE)} imports higher layers {upward}"


def test_the_check_sees_an_upward_import(tmp_path):
    bad = tmp_path / "crs.py"
    bad.write_text("from .webmap import make_map\n", encoding="utf-8")
    assert "webmap" in _imports(bad)


def test_the_check_resolves_relative_imports_of_a_sub_package(tmp_path):
    folder = tmp_path / "cli"
    folder.mkdir()
    verb = folder / "maps.py"
    verb.write_text("from .main import cli\nfrom ..webmap import make_map\nfrom .. import __version__\n"
                    "from ._output import _write\n", encoding="utf-8")
    assert _imports(verb) == {"cli", "webmap", "__version__"}
    inner = PACKAGE / "cli" / "maps.py"
    assert _module_of(inner) == "cli" and {"cli", "webmap", "layers"} <= _imports(inner)


#: inside gis/cli: the shared modules, ranked; every other module is a verb module, which imports only these
CLI_SHARED = {"main": 0, "_help": 0, "_stdout": 1, "options": 2, "_output": 2, "_inputs": 2, "_pairs": 3}


@pytest.mark.parametrize("path", sorted(p for p in (PACKAGE / "cli").glob("*.py")
                                        if p.name not in ("__init__.py", "__main__.py")), ids=lambda p: p.name)
def test_cli_verb_modules_import_only_the_shared_ones(path):
    siblings = {node.module.split(".")[0] for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module}
    rank = CLI_SHARED.get(path.stem, len(CLI_SHARED))
    wrong = sorted(s for s in siblings if CLI_SHARED.get(s, len(CLI_SHARED)) >= rank)
    assert not wrong, f"gis/cli/{path.name} imports {wrong}: verbs import only {sorted(CLI_SHARED)}, never each other"


def _house_table() -> list[tuple[str, int, list[str]]]:
    """The rows (floor, rank, modules) of the table under ``## The house`` in CONTRIBUTING.md."""
    section = CONTRIBUTING.read_text(encoding="utf-8").split("## The house", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and cells[1].isdigit():
            rows.append((cells[0], int(cells[1]), re.findall(r"`([^`]+)`", cells[2])))
    return rows


def test_contributing_lists_every_module_once_on_its_rank_and_floor():
    rows = _house_table()
    assert rows, "CONTRIBUTING.md: no module table under ## The house"
    listed = [m for _, _, modules in rows for m in modules]
    assert sorted(set(m for m in listed if listed.count(m) > 1)) == [], "listed more than once"
    where = {m: (floor, rank) for floor, rank, modules in rows for m in modules}
    for path in PACKAGE.rglob("*.py"):
        if path.name == "__init__.py":
            continue
        rel = path.relative_to(PACKAGE)
        name = f"{rel.parts[0]}/{path.stem}" if rel.parts[0] in SUBPACKAGES else path.stem
        assert name in where, f"gis/{rel}: add `{name}` to the table of CONTRIBUTING.md (## The house)"
        floor, rank = where.pop(name)
        assert rank == RANK[_module_of(path)], f"CONTRIBUTING.md: `{name}` is listed at rank {rank}, " \
                                               f"tests/test_architecture.py gives {RANK[_module_of(path)]}"
        assert rank in FLOORS[floor], f"CONTRIBUTING.md: rank {rank} is not on the {floor} floor"
    assert where == {}, f"CONTRIBUTING.md lists modules that do not exist: {sorted(where)}"
