"""The compiled loop of the pairs within a distance (:func:`gis._within_kernels._within_points`).

Targets are bucketed in a grid (:func:`target_grid`, a CSR of cells); each origin scans the cells its
reach can touch, row by row (each row's columns cut to the circle), keeps the targets within reach in
the plane, corrects their lengths to geodesic ones (:func:`gis._geodesic_loops.segment_length`, the same
bits as the NumPy series), keeps those within the radius and orders them by (distance, target).
"""

from __future__ import annotations

import math

import numpy as np

from ._geodesic_loops import segment_length
from ._grid import Grid, bucket_spread, span
from ._jit import jit


def target_grid(tx: np.ndarray, ty: np.ndarray, reach: float) -> Grid:
    """The targets bucketed for :func:`pairs_within` (:func:`gis._grid.bucket_spread`).

    Cells are a third of the reach across (an origin scans about 7 × 7 cells, cut to its circle), but
    no more than about four per target (a small reach over a wide layer).
    """
    return bucket_spread(tx, ty, 0.25, at_least=reach / 3.0)


@jit
def _insertion_sort(j: np.ndarray, s: np.ndarray, lo: int, hi: int) -> None:
    """Sort ``j[lo:hi]``, ``s[lo:hi]`` in place by (``s``, ``j``): for short or nearly sorted ranges."""
    for p in range(lo + 1, hi):
        sv = s[p]
        jv = j[p]
        q = p
        while q > lo and (s[q - 1] > sv or (s[q - 1] == sv and j[q - 1] > jv)):
            s[q] = s[q - 1]
            j[q] = j[q - 1]
            q -= 1
        s[q] = sv
        j[q] = jv


@jit
def _order_pairs(j: np.ndarray, s: np.ndarray, lo: int, hi: int, inv_r2: float, count: np.ndarray, bucket: np.ndarray,
                 sj: np.ndarray, ss: np.ndarray) -> None:
    """Sort one origin's pairs ``j[lo:hi]``, ``s[lo:hi]`` (every ``s`` at most ``r``, ``inv_r2 = 1 / r**2``) by
    (``s``, ``j``) in place.

    Short ranges by insertion; longer ones first by bucket (a counting sort on ``(s / r)**2``, as many
    buckets as pairs: targets spread evenly over the disc fill them about evenly), which leaves them
    nearly sorted for the insertion pass. ``count``, ``bucket``, ``sj``, ``ss``: scratch of at least
    ``hi - lo + 1`` elements.
    """
    c = hi - lo
    if c <= 16:
        _insertion_sort(j, s, lo, hi)
        return
    scale = inv_r2 * c
    for b in range(c + 1):
        count[b] = 0
    for p in range(c):
        sv = s[lo + p]
        b = int(sv * sv * scale)
        if b > c - 1:
            b = c - 1
        bucket[p] = b
        count[b + 1] += 1
    for b in range(c):
        count[b + 1] += count[b]
    for p in range(c):
        b = bucket[p]
        q = count[b]
        count[b] = q + 1
        ss[q] = s[lo + p]
        sj[q] = j[lo + p]
    for p in range(c):
        s[lo + p] = ss[p]
        j[lo + p] = sj[p]
    _insertion_sort(j, s, lo, hi)


@jit
def pairs_within(a: int, b: int, ox: np.ndarray, oy: np.ndarray, oX: np.ndarray, og: np.ndarray, tx: np.ndarray,
                 ty: np.ndarray, tX: np.ndarray, tg: np.ndarray, start: np.ndarray, members: np.ndarray, minx: float,
                 miny: float, h: float, nx: int, ny: int, reach: float, radius: float, inside: float, cst: np.ndarray,
                 sort: bool, oi: np.ndarray, tj: np.ndarray, sd: np.ndarray) -> int:
    """The pairs of origins ``a:b`` with targets within ``radius`` geodesic metres, written to ``oi`` (origin
    minus ``a``), ``tj`` (target), ``sd`` (geodesic metres); their number, or -1 if they do not fit.

    Candidates: targets within ``reach`` plane metres (the grid of :func:`target_grid`; ``tx``, ``ty``,
    ``tX``, ``tg`` in the grid's order, ``members`` their positions). Lengths: ``segment_length``
    with the points' reference terms (``oX``, ``og``, ``tX``, ``tg``:
    :func:`gis._geodesic.reference_terms`, northing offset 0), as the NumPy path corrects them; a pair
    whose plane length is over ``inside`` is kept only if its geodesic length is at most ``radius``.
    Rows in origin order; with ``sort`` each origin's by (distance, target).
    """
    cap = len(sd)
    n = 0
    scratch = 64
    count = np.empty(scratch + 1, dtype=np.int64)
    bucket = np.empty(scratch, dtype=np.int64)
    sj = np.empty(scratch, dtype=np.int64)
    ss = np.empty(scratch)
    r2 = reach * reach
    inv_h = 1.0 / h
    inv_r2 = 1.0 / (radius * radius) if radius > 0 else 0.0
    for i in range(a, b):
        xi = ox[i]
        yi = oy[i]
        Xi = oX[i]
        gi = og[i]
        r0, r1 = span(yi - reach, yi + reach, miny, inv_h, ny)
        first = n
        for row in range(r0, r1 + 1):
            lo_y = miny + row * h
            hi_y = lo_y + h
            gap = 0.0
            if yi < lo_y:
                gap = lo_y - yi
            elif yi > hi_y:
                gap = yi - hi_y
            if gap > reach:
                continue
            w = math.sqrt(r2 - gap * gap)
            c0, c1 = span(xi - w, xi + w, minx, inv_h, nx)
            if c1 < c0:
                continue
            base = row * nx
            for p in range(start[base + c0], start[base + c1 + 1]):
                dx = tx[p] - xi
                dy = ty[p] - yi
                d2 = dx * dx + dy * dy
                if d2 > r2:
                    continue
                d = math.sqrt(d2)
                s = segment_length(d, Xi, 0.0, gi, tX[p], 0.0, tg[p], cst)
                if d > inside and s > radius:
                    continue
                if n == cap:
                    return -1
                oi[n] = i - a
                tj[n] = members[p]
                sd[n] = s
                n += 1
        c = n - first
        if sort and c > 1:
            if c > scratch:
                scratch = max(c, 2 * scratch)
                count = np.empty(scratch + 1, dtype=np.int64)
                bucket = np.empty(scratch, dtype=np.int64)
                sj = np.empty(scratch, dtype=np.int64)
                ss = np.empty(scratch)
            _order_pairs(tj, sd, first, n, inv_r2, count, bucket, sj, ss)
    return n
