"""The compiled loops of the k nearest: the grid pre-pass (:func:`rank_contenders`, for
:func:`gis._proximity_kernels._grid_prepass`) and the rings of the targets' grid (:func:`rank_rings`).

Per origin: the k + 1 nearest in the plane kept in order, the proof that their plane order is the
geodesic one, and the k geodesic lengths (:func:`_settle`, :mod:`gis._geodesic_loops`).
"""

from __future__ import annotations

import math

import numpy as np

from ._geodesic_loops import segment_length
from ._jit import jit
from ._nearest1_loops import nearest_in_rings, offer


@jit
def _settle(i: int, k: int, bd: np.ndarray, bj: np.ndarray, ratio: float, slack: float, max_d: float, oX: np.ndarray,
            oY: np.ndarray, og: np.ndarray, tX: np.ndarray, tY: np.ndarray, tg: np.ndarray, cst: np.ndarray,
            pos: np.ndarray, dist: np.ndarray, tie: np.ndarray) -> bool:
    """Write origin ``i``'s k nearest from its k + 1 plane-nearest (squared distances ``bd``, ascending,
    targets ``bj``) if their plane order is proven geodesic: each distance exceeds the one before it by
    more than the scale factor's spread allows (``d[r + 1] > d[r] * ratio + slack``; a missing
    (k + 1)-th is infinitely far) and the k-th lies within ``max_d``. ``False``: not proven, nothing
    written."""
    prev = math.sqrt(bd[0])
    for r in range(k):
        nxt = math.sqrt(bd[r + 1])
        if not nxt > prev * ratio + slack:
            return False
        prev = nxt
    if math.sqrt(bd[k - 1]) > max_d:
        return False
    for r in range(k):
        j = bj[r]
        pos[i, r] = j
        dist[i, r] = segment_length(math.sqrt(bd[r]), oX[i], oY[i], og[i], tX[j], tY[j], tg[j], cst)
        tie[i, r] = False
    return True


@jit
def rank_rings(a: int, b: int, k: int, x: np.ndarray, y: np.ndarray, tx: np.ndarray, ty: np.ndarray,
               members: np.ndarray, start: np.ndarray, minx: float, miny: float, h: float, nx: int, ny: int,
               max_ring: int, ratio: float, slack: float, max_d: float, oX: np.ndarray, oY: np.ndarray,
               og: np.ndarray, tX: np.ndarray, tY: np.ndarray, tg: np.ndarray, cst: np.ndarray, pos: np.ndarray,
               dist: np.ndarray, tie: np.ndarray, left: np.ndarray) -> int:
    """Settle the origins ``a:b`` whose k + 1 plane-nearest targets (rings of the targets' grid,
    :func:`gis._nearest1_loops.nearest_in_rings`; ``tx``, ``ty`` in the grid's order) prove their k
    nearest (:func:`_settle`); return how many are left (in ``left``, their rows untouched)."""
    bd = np.empty(k + 1)
    at = np.empty(k + 1, dtype=np.int64)
    bj = np.empty(k + 1, dtype=np.int64)
    n_left = 0
    for i in range(a, b):
        if nearest_in_rings(x[i], y[i], tx, ty, start, minx, miny, h, nx, ny, max_ring, bd, at):
            for r in range(k + 1):
                bj[r] = members[at[r]] if at[r] >= 0 else -1
            if _settle(i, k, bd, bj, ratio, slack, max_d, oX, oY, og, tX, tY, tg, cst, pos, dist, tie):
                continue
        left[n_left] = i
        n_left += 1
    return n_left


@jit
def rank_contenders(a: int, b: int, k: int, cell: np.ndarray, contenders: np.ndarray, jct: np.ndarray,
                    x: np.ndarray, y: np.ndarray, tx: np.ndarray, ty: np.ndarray, ratio: float, slack: float, max_d: float,
                    oX: np.ndarray, oY: np.ndarray, og: np.ndarray, tX: np.ndarray, tY: np.ndarray, tg: np.ndarray,
                    cst: np.ndarray, pos: np.ndarray, dist: np.ndarray, tie: np.ndarray, left: np.ndarray) -> int:
    """Settle the origins ``a:b`` whose cell's contenders prove their k nearest; return how many are left.

    For origin ``i`` in cell ``c``: ``contenders[c]`` (0: the cell is unresolved) of the targets
    ``jct[c]`` may be among its k nearest.  Their k + 1 nearest in the plane (ties: the first
    contender) settle the origin where :func:`_settle` proves them (``max_d``: the series' reach,
    :data:`gis._geodesic.MAX_D_M`); the others are written to ``left`` (positions, in order), their
    rows untouched.
    """
    bd = np.empty(k + 1)
    bj = np.empty(k + 1, dtype=np.int64)
    n_left = 0
    for i in range(a, b):
        c = cell[i]
        w = contenders[c]
        if w == 0:
            left[n_left] = i
            n_left += 1
            continue
        xi = x[i]
        yi = y[i]
        for r in range(k + 1):
            bd[r] = math.inf
            bj[r] = -1
        for r in range(w):
            j = jct[c, r]
            dx = tx[j] - xi
            dy = ty[j] - yi
            d2 = dx * dx + dy * dy
            if d2 < bd[k]:
                offer(d2, j, bd, bj)
        if not _settle(i, k, bd, bj, ratio, slack, max_d, oX, oY, og, tX, tY, tg, cst, pos, dist, tie):
            left[n_left] = i
            n_left += 1
    return n_left
