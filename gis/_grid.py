"""Points bucketed in a grid of square cells (a CSR of cells), for the kernels' compiled loops.

:func:`bucket` lays cells of side ``h`` over the points' bounding box, row-major from its lower-left
corner, and lists each cell's points: those of cell ``c`` are ``members[start[c]:start[c + 1]]``, in
ascending order.  The loops (:mod:`gis._within_loops`, :mod:`gis._nearest1_loops`) scan the cells around
an origin; the cells of one row are contiguous in ``members``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._jit import jit


class Grid(NamedTuple):
    """The cells of :func:`bucket`, in the order the compiled loops take them."""

    start: np.ndarray  # (nx * ny + 1,) int64
    members: np.ndarray  # (n,) int64: point positions, cell by cell
    minx: float
    miny: float
    h: float
    nx: int
    ny: int


def bucket(x: np.ndarray, y: np.ndarray, h: float) -> Grid:
    """The points ``(x, y)`` (at least one, finite) in square cells of side ``h`` (> 0) over their bounding box."""
    minx, maxx = float(x.min()), float(x.max())
    miny, maxy = float(y.min()), float(y.max())
    nx, ny = int((maxx - minx) / h) + 1, int((maxy - miny) / h) + 1
    ix = np.minimum(((x - minx) * (1.0 / h)).astype(np.int64), nx - 1)
    cell = np.minimum(((y - miny) * (1.0 / h)).astype(np.int64), ny - 1)
    cell *= nx
    cell += ix
    start = np.zeros(nx * ny + 1, dtype=np.int64)
    np.cumsum(np.bincount(cell, minlength=nx * ny), out=start[1:])
    return Grid(start, _by_cell(cell, start), minx, miny, h, nx, ny)


def bucket_spread(x: np.ndarray, y: np.ndarray, per_cell: float, *, at_least: float = 0.0) -> Grid:
    """:func:`bucket` with cells of about ``per_cell`` points each where the points spread evenly over their box
    (a thin box: ``n / per_cell`` cells along its length), and no smaller than ``at_least`` across."""
    n = len(x)
    width, height = float(x.max() - x.min()), float(y.max() - y.min())
    return bucket(x, y, max(at_least, math.sqrt(width * height * per_cell / n), max(width, height) * per_cell / n, 1e-6))


@jit
def _by_cell(cell: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The positions ordered by cell, in ascending order within a cell (a counting sort: one pass)."""
    fill = start[:-1].copy()
    members = np.empty(len(cell), dtype=np.int64)
    for p in range(len(cell)):
        c = cell[p]
        members[fill[c]] = p
        fill[c] += 1
    return members


@jit
def span(lo: float, hi: float, origin: float, inv_h: float, n: int) -> tuple[int, int]:
    """The cells ``c0..c1`` (of ``n`` along one axis from ``origin``, ``1 / inv_h`` wide) that ``[lo, hi]`` meets,
    clipped to the grid (``c1 < c0``: none)."""
    c0 = int(math.floor((lo - origin) * inv_h))
    c1 = int(math.floor((hi - origin) * inv_h))
    return max(c0, 0), min(c1, n - 1)
