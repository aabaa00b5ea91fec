"""Strip outputs, execution counts and run metadata from the notebooks before committing them.

Usage::

    python notebooks/strip_outputs.py            # every notebooks/*.ipynb
    python notebooks/strip_outputs.py a.ipynb …  # the given files
    python notebooks/strip_outputs.py --check    # exit 1 and name the files that still hold outputs

``tests/test_notebooks.py`` fails on a notebook committed with outputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from gis._io import write_text

HERE = Path(__file__).resolve().parent
#: Cell metadata written by Jupyter when a cell runs; meaningless in a committed notebook.
RUN_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")


def is_stripped(nb: nbformat.NotebookNode) -> bool:
    """True when no code cell holds outputs, an execution count or run metadata."""
    return all(
        not cell.get("outputs") and cell.get("execution_count") is None
        and not any(k in cell.get("metadata", {}) for k in RUN_METADATA)
        for cell in nb.cells if cell.cell_type == "code"
    )


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return ``nb`` with outputs, execution counts and run metadata removed (in place)."""
    for cell in nb.cells:
        for key in RUN_METADATA:
            cell.get("metadata", {}).pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    return nb


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"] or sorted(HERE.glob("*.ipynb"))
    dirty = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if is_stripped(nb):
            continue
        dirty.append(path)
        if not check:
            write_text(path, nbformat.writes(strip(nb)) + "\n")
    for path in dirty:
        print(f"{path}: {'has outputs' if check else 'stripped'}")
    return 1 if check and dirty else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
