"""The compiled loop of the k nearest's grid pre-pass (:func:`gis._nearestk_kernels._nearestk_grid`).

One pass per origin over its cell's contenders: the k + 1 nearest in the plane kept in order, the proof
that their plane order is the geodesic one, and the k geodesic lengths (:mod:`gis._geodesic_loops`).
"""

from __future__ import annotations

import math

import numpy as np

from ._geodesic_loops import segment_length
from ._jit import jit


@jit
def rank_contenders(a: int, b: int, k: int, cell: np.ndarray, contenders: np.ndarray, jct: np.ndarray,
                    x: np.ndarray, y: np.ndarray, tx: np.ndarray, ty: np.ndarray, ratio: float, slack: float, max_d: float,
                    oX: np.ndarray, oY: np.ndarray, og: np.ndarray, tX: np.ndarray, tY: np.ndarray, tg: np.ndarray,
                    cst: np.ndarray, pos: np.ndarray, dist: np.ndarray, tie: np.ndarray, left: np.ndarray) -> int:
    """Settle the origins ``a:b`` whose cell's contenders prove their k nearest; return how many are left.

    For origin ``i`` in cell ``c``: ``contenders[c]`` (0: the cell is unresolved) of the targets
    ``jct[c]`` may be among its k nearest.  The k + 1 nearest of them in the plane (ties: the first
    contender) are proven to be in geodesic order, with no tie, where each plane distance exceeds the
    one before it by more than the scale factor's spread allows (``d[r + 1] > d[r] * ratio + slack``;
    with only k contenders the (k + 1)-th counts as infinitely far) and the k-th lies within ``max_d``
    (the series' reach, :data:`gis._geodesic.MAX_D_M`).  Those origins get their k
    targets, geodesic lengths and ``tie = False`` in ``pos``, ``dist``, ``tie``; the others are
    written to ``left`` (positions, in order), their rows untouched.
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
                p = k
                while p > 0 and bd[p - 1] > d2:
                    bd[p] = bd[p - 1]
                    bj[p] = bj[p - 1]
                    p -= 1
                bd[p] = d2
                bj[p] = j
        clear = True
        prev = math.sqrt(bd[0])
        for r in range(k):
            nxt = math.sqrt(bd[r + 1])
            if not nxt > prev * ratio + slack:
                clear = False
                break
            prev = nxt
        if not clear or math.sqrt(bd[k - 1]) > max_d:
            left[n_left] = i
            n_left += 1
            continue
        for r in range(k):
            j = bj[r]
            pos[i, r] = j
            dist[i, r] = segment_length(math.sqrt(bd[r]), oX[i], oY[i], og[i], tX[j], tY[j], tg[j], cst)
            tie[i, r] = False
    return n_left
