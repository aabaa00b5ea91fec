"""The compiled search of the nearest targets in the plane, by rings of cells of a grid over the targets.

:func:`nearest_in_rings` finds a point's q plane-nearest targets in a grid over the targets
(:func:`gis._grid.bucket`, about two targets per cell): no tree to build, no GIL.  :func:`two_nearest`
does with it what ``cKDTree.query(k=2)`` does for :func:`gis._proximity_kernels._nearest1_points` (the
plane-nearest target and the distance to the second, which proves the first); the k nearest use it in
:func:`gis._nearestk_loops.rank_rings`.  An origin whose answer is not settled within ``max_ring`` rings
(far from every target, or among clustered targets) is left to the tree.
"""

from __future__ import annotations

import math

import numpy as np

from ._grid import span
from ._jit import jit, jit_inline


@jit_inline
def _scan(c0: int, c1: int, row: int, nx: int, start: np.ndarray, tx: np.ndarray, ty: np.ndarray, xi: float,
          yi: float, best: np.ndarray, at: np.ndarray) -> None:
    """Offer the targets of cells ``c0..c1`` of ``row`` to the ``len(best)`` best so far (squared distances
    ``best``, ascending, grid positions ``at``; an equal distance keeps the one offered first)."""
    q = len(best) - 1
    base = row * nx
    for p in range(start[base + c0], start[base + c1 + 1]):
        dx = tx[p] - xi
        dy = ty[p] - yi
        d2 = dx * dx + dy * dy
        if d2 < best[q]:
            offer(d2, p, best, at)


@jit_inline
def offer(d2: float, p: int, best: np.ndarray, at: np.ndarray) -> None:
    """Put ``(d2, p)`` among the best so far (``best`` ascending, ``at`` beside it), dropping the last;
    the caller has checked ``d2 < best[-1]``. An equal distance stays behind the one offered first."""
    r = len(best) - 1
    while r > 0 and best[r - 1] > d2:
        best[r] = best[r - 1]
        at[r] = at[r - 1]
        r -= 1
    best[r] = d2
    at[r] = p


@jit_inline
def nearest_in_rings(xi: float, yi: float, tx: np.ndarray, ty: np.ndarray, start: np.ndarray, minx: float, miny: float,
                     h: float, nx: int, ny: int, max_ring: int, best: np.ndarray, at: np.ndarray) -> bool:
    """The ``len(best)`` plane-nearest targets of ``(xi, yi)`` (squared distances ``best``, ascending, inf where
    there are fewer targets; grid positions ``at``), or ``False`` if ``max_ring`` rings do not settle them.

    Rings of cells around the point's cell (clamped to the grid) are scanned until every cell beyond them
    lies farther than the last of the best: the distance from the point to the sides of the scanned block
    (a side at the grid's edge has nothing beyond it), less a micrometre (a point's cell is worked out
    with rounding).
    """
    for r in range(len(best)):
        best[r] = math.inf
        at[r] = -1
    last = len(best) - 1
    inv_h = 1.0 / h
    cx = min(max(int(math.floor((xi - minx) * inv_h)), 0), nx - 1)
    cy = min(max(int(math.floor((yi - miny) * inv_h)), 0), ny - 1)
    for r in range(max_ring + 1):
        lo_r = cy - r
        hi_r = cy + r
        lo_c = max(cx - r, 0)
        hi_c = min(cx + r, nx - 1)
        if lo_r >= 0:  # bottom row of the ring
            _scan(lo_c, hi_c, lo_r, nx, start, tx, ty, xi, yi, best, at)
        if r > 0 and hi_r <= ny - 1:  # top row
            _scan(lo_c, hi_c, hi_r, nx, start, tx, ty, xi, yi, best, at)
        for row in range(max(lo_r + 1, 0), min(hi_r - 1, ny - 1) + 1):  # the sides, between
            if cx - r >= 0:
                _scan(cx - r, cx - r, row, nx, start, tx, ty, xi, yi, best, at)
            if r > 0 and cx + r <= nx - 1:
                _scan(cx + r, cx + r, row, nx, start, tx, ty, xi, yi, best, at)
        bound = math.inf
        if cx - r > 0:
            bound = min(bound, max(xi - (minx + (cx - r) * h), 0.0))
        if cx + r < nx - 1:
            bound = min(bound, max(minx + (cx + r + 1) * h - xi, 0.0))
        if cy - r > 0:
            bound = min(bound, max(yi - (miny + (cy - r) * h), 0.0))
        if cy + r < ny - 1:
            bound = min(bound, max(miny + (cy + r + 1) * h - yi, 0.0))
        if bound == math.inf:
            return True
        bound -= 1e-6
        if bound > 0.0 and bound * bound > best[last]:
            return True
    return False


@jit
def two_nearest(a: int, b: int, ox: np.ndarray, oy: np.ndarray, tx: np.ndarray, ty: np.ndarray, members: np.ndarray,
                start: np.ndarray, minx: float, miny: float, h: float, nx: int, ny: int, max_ring: int,
                d1: np.ndarray, j1: np.ndarray, d2: np.ndarray, left: np.ndarray) -> int:
    """The plane-nearest target of origins ``a:b`` and the plane distance to the second; the number left.

    Writes ``j1[i]`` (target position, ``members`` of the grid position), ``d1[i]`` and ``d2[i]`` (inf if
    there is one target) for each origin :func:`nearest_in_rings` settles; the others go to ``left``
    (positions, in order). ``tx``, ``ty``: the targets in the grid's order.
    """
    best = np.empty(2)
    at = np.empty(2, dtype=np.int64)
    n_left = 0
    for i in range(a, b):
        if not nearest_in_rings(ox[i], oy[i], tx, ty, start, minx, miny, h, nx, ny, max_ring, best, at):
            left[n_left] = i
            n_left += 1
            continue
        j1[i] = members[at[0]]
        d1[i] = math.sqrt(best[0])
        d2[i] = math.sqrt(best[1])
    return n_left


@jit
def targets_within(ox: np.ndarray, oy: np.ndarray, reach: np.ndarray, tx: np.ndarray, ty: np.ndarray,
                   members: np.ndarray, start: np.ndarray, minx: float, miny: float, h: float, nx: int,
                   ny: int) -> tuple[np.ndarray, np.ndarray]:
    """Every target within ``reach[i]`` plane metres of origin ``i`` (a few origins): ``(row, target)``, by origin.

    What ``cKDTree.query_ball_point`` gives the rare origins whose two nearest are within the scale
    factor's spread of each other (targets in the grid's order, ``members`` their positions).
    """
    rows = []
    found = []
    inv_h = 1.0 / h
    for i in range(len(ox)):
        xi = ox[i]
        yi = oy[i]
        r = reach[i]
        r2 = r * r
        c0, c1 = span(xi - r, xi + r, minx, inv_h, nx)
        r0, r1 = span(yi - r, yi + r, miny, inv_h, ny)
        if c1 < c0:
            continue
        for row in range(r0, r1 + 1):
            base = row * nx
            for p in range(start[base + c0], start[base + c1 + 1]):
                dx = tx[p] - xi
                dy = ty[p] - yi
                if dx * dx + dy * dy <= r2:
                    rows.append(i)
                    found.append(members[p])
    return np.array(rows, dtype=np.int64), np.array(found, dtype=np.int64)
