"""The kernels of :mod:`gis.proximity`: candidates on plane coordinates, proven geodesic answers.

Each kernel takes plane coordinates (or shapely geometries) in the analysis CRS and
returns target positions, geodesic distances and tie flags as NumPy arrays; the
GeoDataFrame-facing functions (:func:`gis.proximity.nearest`, :func:`~gis.proximity.within`,
:func:`~gis.proximity.od_matrix`) check the layers and frame the results.

The proofs rest on one bound: plane length ``d`` and geodesic ``s`` of any pair satisfy
``d / k_hi <= s <= d / k_lo`` (``k_lo``/``k_hi`` bound the projection's scale factor over
the data), so a candidate too far in the plane can neither win nor tie
(:func:`_nearest1_grid` spells it out).  Distances within ``TIE_TOLERANCE_M`` are a tie,
won by the target that comes first.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from ._geodesic import (MAX_D_M, TMScale, geodesic_distance, geodesic_from_plane, point_terms, sampled_tm_scale,
                        segment_lengths)
from ._progress import track


#: Two distances closer than this (metres) are a tie.
TIE_TOLERANCE_M = 1e-3


def _pair_distance(og: np.ndarray, tg: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    """Geodesic distance between paired geometries (closest points in the plane)."""
    if len(og) == 0:
        return np.zeros(0)
    line = shapely.shortest_line(og, tg)
    xy = shapely.get_coordinates(line).reshape(-1, 2, 2)
    return geodesic_distance(xy[:, 0, 0], xy[:, 0, 1], xy[:, 1, 0], xy[:, 1, 1], crs)



class _Pairs:
    """Geodesic lengths between origins and targets given by position, the series' point terms computed once.

    :func:`gis._geodesic.segment_lengths` with each end's ``(X, Y, 1/k)`` from arrays over the layers (one
    gather per pair instead of the scale at both ends of every pair); :func:`geodesic_distance` where
    the CRS is not Transverse Mercator or a point or pair lies outside the series' domain.
    """

    def __init__(self, oxy: np.ndarray, txy: np.ndarray, crs: pyproj.CRS, tm: TMScale | None = None,
                 _terms: tuple | None = None) -> None:
        self.oxy, self.txy, self.crs = oxy, txy, crs
        self.tx, self.ty = np.ascontiguousarray(txy[:, 0]), np.ascontiguousarray(txy[:, 1])
        self.ox, self.oy = np.ascontiguousarray(oxy[:, 0]), np.ascontiguousarray(oxy[:, 1])
        if _terms is not None:
            self.tm, self.ot, self.tt = _terms
            return
        self.tm = sampled_tm_scale(crs, self.ox, self.oy) if tm is None else tm
        self.ot = None if self.tm is None else point_terms(self.tm, self.ox, self.oy)
        self.tt = None if self.ot is None else point_terms(self.tm, self.tx, self.ty)

    def sub(self, a: int, b: int) -> _Pairs:
        """The same for the origins ``a:b``."""
        ot = None if self.ot is None else tuple(v[a:b] for v in self.ot)
        out = _Pairs.__new__(_Pairs)
        out.oxy, out.txy, out.crs = self.oxy[a:b], self.txy, self.crs
        out.ox, out.oy, out.tx, out.ty = self.ox[a:b], self.oy[a:b], self.tx, self.ty
        out.tm, out.ot, out.tt = self.tm, ot, self.tt if ot is not None else None
        return out

    def lengths(self, oi: Any, tj: np.ndarray, d: np.ndarray | None = None, *,
                out: np.ndarray | None = None) -> np.ndarray:
        """Geodesic lengths of the pairs ``(oi, tj)`` (index arrays, broadcast; ``oi`` may be a slice).

        ``d``: their plane lengths if known; ``out``: where to write them.
        """
        if d is None:
            dx = self.tx[tj] - self.ox[oi]
            dy = self.ty[tj] - self.oy[oi]
            dx *= dx
            dy *= dy
            dx += dy
            d = np.sqrt(dx, out=dx)
        if self.tt is None or (d.size and float(d.max()) > MAX_D_M):
            x1, y1 = self.ox[oi], self.oy[oi]
            s = geodesic_distance(x1, y1, self.tx[tj], self.ty[tj], self.crs) * np.ones(d.shape)
            if out is not None:
                out[...] = s
            return s if out is None else out
        if d.size == 0:
            return np.zeros(d.shape) if out is None else out
        return segment_lengths(d, *(v[oi] for v in self.ot), *(v[tj] for v in self.tt), self.tm, out=out)


# --------------------------------------------------------------------------- nearest


def _nearest1_points(
    oxy: np.ndarray,
    txy: np.ndarray,
    crs: pyproj.CRS,
    k_lo: float,
    k_hi: float,
    limit: float | None,
    origin_bounds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """k = 1 between point layers: a grid pre-pass settles most origins, a cKDTree the rest.

    Targets at the same place are merged first (a tie between them).  Returns
    target positions (-1 where none within ``limit``), geodesic distances and
    tie flags.
    """
    n = len(oxy)
    uniq, first_pos, counts = _unique_points(txy)
    duplicates = counts is not None
    tree = cKDTree(uniq)
    pairs = _Pairs(oxy, uniq, crs)
    best = np.empty(n, dtype=np.int64)  # position in uniq
    s_best = np.empty(n)
    tie = np.zeros(n, dtype=bool)
    rest = _nearest1_grid(oxy, uniq, first_pos, tree, crs, k_lo, k_hi, origin_bounds, best, s_best, tie,
                          pairs=pairs)
    if rest.size:
        _nearest1_tree(oxy if rest.size == n else oxy[rest], rest, uniq, first_pos, tree, crs, k_hi,
                       best, s_best, tie, pairs=pairs)
    if duplicates:
        tie |= counts[best] > 1
        pos = first_pos[best]
    else:
        pos = best
    if limit is not None:
        far = s_best > limit
        pos[far] = -1
        s_best[far] = np.nan
        tie[far] = False
    return pos, s_best, tie


def _unique_points(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Distinct points of ``xy`` in order of first appearance: ``(uniq, first_pos, counts)``.

    A hash of each point's 16 bytes (pandas' hash table on a complex view), no sort:
    ``uniq = xy[first_pos]``, ``counts`` how many points of ``xy`` each one stands for.
    Without duplicates ``uniq`` is ``xy`` itself, ``first_pos`` ``arange`` and ``counts``
    ``None``.  Coordinates compare by value (``0.0 == -0.0``); NaN never reaches here
    (the layers' checks set such rows aside).
    """
    m = len(xy)
    if m < 2:
        return xy, np.arange(m), None
    pts = np.ascontiguousarray(xy, dtype=np.float64).view(np.complex128).ravel()
    codes, _ = pd.factorize(pts, sort=False, use_na_sentinel=False)
    n_uniq = int(codes.max()) + 1
    if n_uniq == m:  # all distinct: keep the targets' own order, positions need no translation
        return xy, np.arange(m), None
    # codes number the points by first appearance: a point opens a new code where it exceeds all before it
    seen = np.maximum.accumulate(codes)
    first = np.empty(m, dtype=bool)
    first[0] = True
    np.greater(codes[1:], seen[:-1], out=first[1:])
    first_pos = np.flatnonzero(first)
    return xy[first_pos], first_pos, np.bincount(codes, minlength=n_uniq)


#: Grid pre-pass of nearest: cells per (unique) target, and at least this many origins per cell.
_CELLS_PER_TARGET = 128
_ORIGINS_PER_CELL = 8
#: Most contenders per cell the pre-pass ranks itself (more: left to the tree).
_GRID_CONTENDERS = 3
#: Fewest cells per target worth a pre-pass: with fewer, cells are wider than the targets' spacing, most have
#: more than ``_GRID_CONTENDERS`` contenders (1e5 origins on 1e4 targets: 98 % left to the tree), and the
#: pre-pass only adds to the tree's work.
_GRID_MIN_CELLS_PER_TARGET = 6


def _nearest1_grid(
    oxy: np.ndarray,
    uniq: np.ndarray,
    first_pos: np.ndarray,
    tree: cKDTree,
    crs: pyproj.CRS,
    k_lo: float,
    k_hi: float,
    bounds: np.ndarray,
    best: np.ndarray,
    s_best: np.ndarray,
    tie: np.ndarray,
    pairs: _Pairs | None = None,
) -> np.ndarray:
    """Settle the nearest target of most origins from a grid over them; return the positions left over.

    The proof.  Let a grid cell have centre ``c`` and half-diagonal ``rho``, and
    let its centre's plane-nearest targets be ``t1, t2, ...`` at ``dc1 <= dc2 <= ...``
    (one ``cKDTree`` query for all centres).  For an origin ``o`` in the cell the
    triangle inequality gives ``|o - t1| <= dc1 + rho`` and ``|o - t| >= |c - t| - rho``
    for every target ``t``.  Plane length ``d`` and geodesic ``s`` satisfy
    ``d / k_hi <= s <= d / k_lo``, so the geodesic winner has
    ``s_win <= s(o, t1) <= (dc1 + rho) / k_lo``, and a target ``t`` can neither win
    nor tie (``s(o, t) <= s_win + TIE_TOLERANCE_M``) unless
    ``|c - t| <= reach = ((dc1 + rho) / k_lo + TIE_TOLERANCE_M) * k_hi + rho``.
    Targets come sorted by distance from ``c``, so if ``dc(r+1) > reach`` the answer
    for every origin of the cell is among ``t1 .. tr``, decided by their geodesic
    distances (order and ties as in :func:`_rank_candidates`); ``r = 1`` needs no
    distance but the winner's.  Cells with more than ``_GRID_CONTENDERS``
    contenders (near Voronoi vertices) are left to :func:`_nearest1_tree`.
    """
    n, m = len(oxy), len(uniq)
    pairs = _Pairs(oxy, uniq, crs) if pairs is None else pairs
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    width, height = maxx - minx, maxy - miny
    n_cells = min(_CELLS_PER_TARGET * m, n // _ORIGINS_PER_CELL)
    if m < 2 or n_cells < max(256, _GRID_MIN_CELLS_PER_TARGET * m) or not max(width, height) > 0:
        return np.arange(n)
    # cell side; the second term keeps nx * ny <= 3 * n_cells + 1 for long thin extents
    h = max(math.sqrt(width * height / n_cells), max(width, height) / n_cells)
    nx, ny = int(width / h) + 1, int(height / h) + 1
    centres = np.empty((ny, nx, 2))
    centres[:, :, 0] = minx + (np.arange(nx) + 0.5) * h
    centres[:, :, 1] = (miny + (np.arange(ny) + 0.5) * h)[:, None]
    q = min(_GRID_CONTENDERS + 1, m)
    dc, jc = tree.query(centres.reshape(-1, 2), k=q, workers=-1)
    rho = h * math.sqrt(0.5) * (1.0 + 1e-9) + 1e-6  # margin for rounding of the cell of an origin
    reach = ((dc[:, 0] + rho) / k_lo + TIE_TOLERANCE_M) * k_hi + rho
    contenders = (dc <= reach[:, None]).sum(axis=1)
    if q < m:
        contenders[contenders == q] = 0  # a further target may contend: unresolved

    x, y = np.ascontiguousarray(oxy[:, 0]), np.ascontiguousarray(oxy[:, 1])
    ix = ((x - minx) * (1.0 / h)).astype(np.intp)
    np.clip(ix, 0, nx - 1, out=ix)
    cell = ((y - miny) * (1.0 / h)).astype(np.intp)
    np.clip(cell, 0, ny - 1, out=cell)
    cell *= nx
    cell += ix
    kind = contenders[cell]
    win = jc[:, 0][cell]
    ux, uy = np.ascontiguousarray(uniq[:, 0]), np.ascontiguousarray(uniq[:, 1])
    several = np.flatnonzero(kind >= 2)
    ranked = np.zeros(0, dtype=np.intp)
    if several.size:
        # Plane distances to the contenders pick the plane-nearest; another contender only
        # matters if it lies within (s_plane_nearest + TIE_TOLERANCE_M) * k_hi of the origin.
        xs, ys, n_sub, c_sub = x[several], y[several], kind[several], cell[several]
        width = int(n_sub.max())
        cand = np.empty((len(several), width), dtype=jc.dtype)
        for r in range(width):  # column by column: 1-d gathers are much faster than one 2-d one
            cand[:, r] = np.ascontiguousarray(jc[:, r])[c_sub]
        d2 = np.full(cand.shape, np.inf)
        for r in range(width):
            has = np.flatnonzero(n_sub > r) if r >= 2 else slice(None)
            cj = cand[has, r]
            dx = ux[cj] - xs[has]
            dy = uy[cj] - ys[has]
            d2[has, r] = dx * dx + dy * dy
        col = np.argmin(d2, axis=1)
        rows = np.arange(len(several))
        d_near = np.sqrt(d2[rows, col])
        need = (d_near / k_lo + TIE_TOLERANCE_M) * k_hi
        close = np.count_nonzero(d2 <= (need * need)[:, None], axis=1) > 1
        win[several] = cand[rows, col]
        amb = np.flatnonzero(close)  # rare: within a few ppm of equidistant
        if amb.size:
            ranked = several[amb]
            r_cand = cand[amb]
            r_s = np.full(r_cand.shape, np.inf)
            fin = np.isfinite(d2[amb])
            r_o = np.broadcast_to(ranked[:, None], r_cand.shape)[fin]
            r_s[fin] = pairs.lengths(r_o, r_cand[fin])
            o2, _, t2, s2, tie2 = _rank_candidates(np.broadcast_to(np.arange(amb.size)[:, None], r_cand.shape)[fin],
                                                   r_cand[fin], r_s[fin], 1, order_key=first_pos[r_cand[fin]])
            win[ranked[o2]] = t2
    best[:] = win
    s_best[:] = pairs.lengths(slice(None), win)
    if ranked.size:
        s_best[ranked[o2]] = s2
        tie[ranked[o2]] = tie2
    return np.flatnonzero(kind == 0)


def _nearest1_tree(
    of: np.ndarray,
    rows: np.ndarray,
    uniq: np.ndarray,
    first_pos: np.ndarray,
    tree: cKDTree,
    crs: pyproj.CRS,
    k_hi: float,
    best: np.ndarray,
    s_best: np.ndarray,
    tie: np.ndarray,
    pairs: _Pairs | None = None,
) -> None:
    """Nearest target of the origins ``of`` (at ``rows`` of the result) by a k = 2 tree query.

    The plane-nearest ``t1`` at geodesic ``s1`` is the answer unless a target lies
    within ``(s1 + TIE_TOLERANCE_M) * k_hi`` in the plane (no other can be
    geodesically nearer or tied, see :func:`_nearest1_grid`).  The second
    plane-nearest tells; the rare origins where it is that close get every
    target within that radius ranked by geodesic distance.
    """
    q = min(2, len(uniq))
    d, j = tree.query(of, k=q, workers=-1)
    if q == 1:
        j1, d1, d2 = j, d, np.full(len(of), np.inf)
    else:
        j1, d1, d2 = j[:, 0], d[:, 0], d[:, 1]
    pairs = _Pairs(of, uniq, crs) if pairs is None else pairs
    s1 = pairs.lengths(slice(None) if len(rows) == len(pairs.ox) else rows, j1, np.ascontiguousarray(d1))
    need = (s1 + TIE_TOLERANCE_M) * k_hi  # a rival must lie closer than this in the plane
    amb = np.flatnonzero(d2 <= need)  # rare: origins in the ~ppm-wide band between two targets
    tie_f = np.zeros(len(of), dtype=bool)
    if amb.size:
        lists = tree.query_ball_point(of[amb], need[amb])
        lens = np.fromiter((len(c) for c in lists), dtype=np.int64, count=amb.size)
        cand = np.fromiter((c for cs in lists for c in cs), dtype=np.int64, count=int(lens.sum()))
        row = np.repeat(np.arange(amb.size), lens)
        s = pairs.lengths((amb if len(rows) == len(pairs.ox) else rows[amb])[row], cand)
        r_o, r_rank, r_u, r_s, r_tie = _rank_candidates(row, cand, s, 2, order_key=first_pos[cand])
        win = r_rank == 1
        j1[amb[r_o[win]]] = r_u[win]
        s1[amb[r_o[win]]] = r_s[win]
        tie_f[amb[r_o[win]]] = r_tie[win]
    best[rows] = j1
    s_best[rows] = s1
    tie[rows] = tie_f


def _rank_candidates(
    opos: np.ndarray, tpos: np.ndarray, s: np.ndarray, k: int, *, order_key: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sort candidates by (origin, distance, target position); keep the first k per origin.

    Distances within ``TIE_TOLERANCE_M`` of each other count as equal, so the
    target that comes first (``order_key``, default ``tpos``) wins a tie.
    """
    key = tpos if order_key is None else order_key
    s_class = np.floor(s / TIE_TOLERANCE_M)
    order = np.lexsort((key, s_class, opos))
    opos, tpos, s = opos[order], tpos[order], s[order]
    starts = np.r_[0, np.flatnonzero(opos[1:] != opos[:-1]) + 1]
    rank = np.arange(len(opos)) - np.repeat(starts, np.diff(np.r_[starts, len(opos)])) + 1
    # a tie: the next or previous candidate of the same origin is within tolerance
    same_next = np.r_[(opos[1:] == opos[:-1]) & (np.abs(s[1:] - s[:-1]) <= TIE_TOLERANCE_M), False]
    tie = same_next | np.r_[False, same_next[:-1]]
    keep = rank <= k
    return opos[keep], rank[keep], tpos[keep], s[keep], tie[keep]


#: Origins per chunk of :func:`_nearestk_points`: its (origins, candidates) work arrays stay in cache
#: (on large inputs, touching fresh memory costs more than the arithmetic).
_NEARESTK_CHUNK = 1 << 15


def _nearestk_points(
    oxy: np.ndarray, txy: np.ndarray, k: int, crs: pyproj.CRS, k_hi: float, limit: float | None,
    k_lo: float | None = None, origin_bounds: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """k nearest between point layers: a grid pre-pass (:func:`_nearestk_grid`) settles most origins, the rest
    go chunk by chunk of origins through a k + 1 tree query (:func:`_nearestk_chunk`)."""
    n = len(oxy)
    tree = cKDTree(txy)
    pairs = _Pairs(oxy, txy, crs)
    pos = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k))
    tie = np.empty((n, k), dtype=bool)
    rest = None
    if origin_bounds is not None and k_lo is not None and limit is None and pairs.tt is not None:
        rest = _nearestk_grid(oxy, txy, tree, k, k_lo, k_hi, origin_bounds, pairs, pos, dist, tie)
    if rest is None or rest.size:
        _nearestk_tree(oxy, txy, tree, k, crs, pairs, k_hi, limit, k_lo, pos, dist, tie, rest)
    # in the dtypes a MultiIndex keeps its codes in (no conversion of millions of codes later)
    origin_pos = np.empty((n, k), dtype=_code_dtype(n))
    origin_pos[:] = np.arange(n, dtype=origin_pos.dtype)[:, None]
    rank = np.empty((n, k), dtype=_code_dtype(k + 1))
    rank[:] = np.arange(1, k + 1, dtype=rank.dtype)
    return origin_pos.ravel(), rank.ravel(), pos.ravel(), dist.ravel(), tie.ravel()


def _nearestk_tree(
    oxy: np.ndarray, txy: np.ndarray, tree: cKDTree, k: int, crs: pyproj.CRS, pairs: _Pairs, k_hi: float,
    limit: float | None, k_lo: float | None, pos: np.ndarray, dist: np.ndarray, tie: np.ndarray,
    rows: np.ndarray | None,
) -> None:
    """k nearest of the origins at ``rows`` (``None``: all) by a k + 1 tree query, chunk by chunk."""
    if rows is not None:
        sub = _Pairs.__new__(_Pairs)
        sub.oxy, sub.txy, sub.crs = oxy[rows], pairs.txy, pairs.crs
        sub.ox, sub.oy, sub.tx, sub.ty = pairs.ox[rows], pairs.oy[rows], pairs.tx, pairs.ty
        sub.tm, sub.tt = pairs.tm, pairs.tt
        sub.ot = None if pairs.ot is None else tuple(v[rows] for v in pairs.ot)
        if sub.ot is None:
            sub.tt = None
        pairs, oxy = sub, sub.oxy
        out_pos, out_dist, out_tie = pos, dist, tie
        pos, dist, tie = (np.empty((len(rows), k), dtype=a.dtype) for a in (out_pos, out_dist, out_tie))
    n = len(oxy)
    # the first k + 1 plane candidates of every origin in one threaded query, as the kernel would
    ub = np.inf if limit is None else (limit + TIE_TOLERANCE_M) * k_hi
    d_all, j_all = tree.query(oxy, k=min(k + 1, len(txy)), workers=-1, distance_upper_bound=ub)
    for a in track(range(0, n, _NEARESTK_CHUNK), "计算 最近目标", unit="块"):
        b = min(n, a + _NEARESTK_CHUNK)
        _nearestk_chunk(oxy[a:b], txy, tree, k, crs, pairs.sub(a, b), k_hi, limit, pos[a:b], dist[a:b], tie[a:b],
                        first=(d_all[a:b], j_all[a:b]), k_lo=k_lo)
    if rows is not None:
        out_pos[rows], out_dist[rows], out_tie[rows] = pos, dist, tie


#: Grid pre-pass of the k nearest: at least this many origins per cell; more candidates than k per cell centre.
_ORIGINS_PER_CELL_K = 4
_GRID_EXTRA_K = 4
#: Most origins per block of the grid pre-pass.  Blocks run on threads; fewer, larger NumPy calls hand
#: the GIL over less often (on a loaded machine each hand-over can wait for the scheduler).
_GRID_BLOCK_K = 1 << 16


def _nearestk_grid(
    oxy: np.ndarray, txy: np.ndarray, tree: cKDTree, k: int, k_lo: float, k_hi: float, bounds: np.ndarray,
    pairs: _Pairs, pos: np.ndarray, dist: np.ndarray, tie: np.ndarray,
) -> np.ndarray | None:
    """Settle the k nearest of most origins from a grid over them; return the positions left over (sorted).

    ``None``: no pre-pass (too few origins per target).  The proof is that of :func:`_nearest1_grid` with
    the k-th target: for an origin ``o`` in a cell of centre ``c`` and half-diagonal ``rho`` whose centre
    has its plane-nearest targets at ``dc1 <= dc2 <= ...``, the k-th geodesic distance is at most
    ``s_k <= (dck + rho) / k_lo`` (k targets lie within ``dck + rho`` in the plane), and a target ``t``
    can be among the k nearest or tie with the k-th only if ``|o - t| <= (s_k + TIE_TOLERANCE_M) * k_hi``,
    so only if ``|c - t| <= reach = ((dck + rho) / k_lo + TIE_TOLERANCE_M) * k_hi + rho``.  If the
    centre's ``q``-th target lies beyond ``reach``, every origin of the cell has its answer among the
    cell's contenders (``dc <= reach``; cells where the ``q``-th is still within reach are left over).
    Each origin sorts its contenders by plane distance; where every distance exceeds the one before it
    by more than the scale factor's spread allows (the test of :func:`_nearestk_chunk`, the (k + 1)-th
    contender or, if there are only k, any other target counting as beyond), the plane order of the
    first k is their geodesic order, with no tie; the other origins are left over.
    """
    n, m = len(oxy), len(txy)
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    width, height = maxx - minx, maxy - miny
    n_cells = min(_CELLS_PER_TARGET * m, n // _ORIGINS_PER_CELL_K)
    # contenders beyond the k-th: about Poisson with mean 5 sqrt(k / cells per target) (targets spread evenly
    # over the cells: those in a ring of width 2 rho around the k-th); enough for ~97 % of the cells
    lam = 5.0 * math.sqrt(k * m / max(n_cells, 1))
    q = k + max(_GRID_EXTRA_K, math.ceil(lam + 2.0 * math.sqrt(lam) + 1.0))
    if q >= m or q > 64 or n_cells < max(256, _GRID_MIN_CELLS_PER_TARGET * m) or not max(width, height) > 0:
        return None
    h = max(math.sqrt(width * height / n_cells), max(width, height) / n_cells)
    nx, ny = int(width / h) + 1, int(height / h) + 1
    centres = np.empty((ny, nx, 2))
    centres[:, :, 0] = minx + (np.arange(nx) + 0.5) * h
    centres[:, :, 1] = (miny + (np.arange(ny) + 0.5) * h)[:, None]
    dc, jc = tree.query(centres.reshape(-1, 2), k=q, workers=-1)
    rho = h * math.sqrt(0.5) * (1.0 + 1e-9) + 1e-6  # margin for rounding of the cell of an origin
    reach = ((dc[:, k - 1] + rho) / k_lo + TIE_TOLERANCE_M) * k_hi + rho
    contenders = (dc <= reach[:, None]).sum(axis=1)
    contenders[contenders == q] = 0  # a further target may contend: unresolved
    # each cell's contenders in one row (a row gather per origin), in the narrowest integer type
    jct = np.ascontiguousarray(jc[:, : q - 1], dtype=np.int32 if m < 2**31 else np.int64)

    x, y = pairs.ox, pairs.oy
    ix = ((x - minx) * (1.0 / h)).astype(np.intp)
    np.clip(ix, 0, nx - 1, out=ix)
    cell = ((y - miny) * (1.0 / h)).astype(np.intp)
    np.clip(cell, 0, ny - 1, out=cell)
    cell *= nx
    cell += ix
    kind = contenders[cell]
    tx, ty = pairs.tx, pairs.ty
    ratio = k_hi / k_lo * (1.0 + 1e-9)
    slack = TIE_TOLERANCE_M * k_hi * (1.0 + 1e-9)
    w_all = np.maximum(kind, k)  # rows of unresolved cells are worked as if they had k contenders, then left
    low = np.int64((1 << max(1, (q - 2).bit_length())) - 1)

    def block(a: int) -> np.ndarray:
        """Rank the contenders of the origins ``a:a + size``; write them; return the rows left over."""
        b = min(n, a + size)
        w = w_all[a:b]
        wmax = int(w.max())
        cand = np.take(jct, cell[a:b], axis=0)
        xs, ys = x[a:b], y[a:b]
        # squared plane distances packed with the contender's column in the low bits: one integer sort per row
        key = np.empty((b - a, wmax), dtype=np.int64)
        for r in range(wmax):
            cj = cand[:, r]
            dx = tx[cj] - xs
            dy = ty[cj] - ys
            dx *= dx
            dy *= dy
            dx += dy
            if r >= k:
                dx[w <= r] = np.inf
            kr = dx.view(np.int64)
            kr &= ~low
            kr |= r
            key[:, r] = kr
        key.sort(axis=1)
        top = key[:, : k + 1]
        col = top & low
        top &= ~low
        ds = np.sqrt(top.view(np.float64))  # inf where a row has only k contenders
        clear = kind[a:b] > 0
        for r in range(k):  # column by column: 1-d passes
            clear &= ds[:, r + 1] > ds[:, r] * ratio + slack
        col[:, :k] += (np.arange(b - a) * cand.shape[1])[:, None]
        j = np.take(cand, col[:, :k])
        pos[a:b] = j
        pairs.lengths((slice(a, b), None), j, ds[:, :k], out=dist[a:b])  # rows left over are overwritten later
        tie[a:b] = False
        return np.flatnonzero(~clear) + a

    threads = min(_WITHIN_THREADS, _cores())
    blocks = -(-max(threads, -(-n // _GRID_BLOCK_K)) // threads) * threads  # a multiple of the threads
    size = -(-n // blocks)
    starts = range(0, n, size)
    threads = min(len(starts), threads)
    if threads <= 1:
        left = [block(a) for a in starts]
    else:  # NumPy's gathers, sorts and arithmetic release the GIL; blocks write disjoint rows
        with ThreadPoolExecutor(max_workers=threads) as pool:
            left = list(pool.map(block, starts))
    return np.concatenate(left)  # in order: blocks come in order


def _code_dtype(n: int) -> type:
    """The integer dtype pandas keeps the codes of a level with ``n`` labels in."""
    return np.int8 if n < 2**7 else np.int16 if n < 2**15 else np.int32 if n < 2**31 else np.int64


def _nearestk_chunk(
    oxy: np.ndarray, txy: np.ndarray, tree: cKDTree, k: int, crs: pyproj.CRS, tm: _Pairs | None, k_hi: float,
    limit: float | None, pos: np.ndarray, dist: np.ndarray, tie: np.ndarray,
    first: tuple[np.ndarray, np.ndarray], k_lo: float | None = None,
) -> None:
    """k nearest of some origins: query k + 1 plane candidates, widen where the proof fails.

    Works on (origins, candidates) matrices: each row is re-ranked by geodesic
    distance (ties by target position), and is final when its last plane
    candidate is too far to beat the k-th geodesic one.  Writes every row of
    ``pos`` (-1 where no target), ``dist`` (NaN there) and ``tie``.  ``first``: the
    (distances, targets) of the first k + 1 plane candidates of these origins.

    Most rows need no re-ranking (``k_lo`` given, Transverse Mercator, no ``limit``): where
    every plane distance exceeds the one before it by more than the scale factor's spread
    allows (``d[r+1] > d[r] * k_hi / k_lo + TIE_TOLERANCE_M * k_hi``), the geodesic distances
    rise by more than ``TIE_TOLERANCE_M`` from rank to rank (``s[r+1] >= d[r+1] / k_hi >
    d[r] / k_lo + TIE_TOLERANCE_M >= s[r] + TIE_TOLERANCE_M``): the plane order is the
    geodesic order, there is no tie, and the (k + 1)-th proves the k-th.  Only their first k
    distances are corrected; the other rows (a few in a thousand) go through the rounds below.
    """
    n, m = len(oxy), len(txy)
    q = min(k + 1, m)
    d0, j0 = first
    pairs = tm if isinstance(tm, _Pairs) else _Pairs(oxy, txy, crs)
    if (k_lo is not None and pairs.tt is not None and limit is None and q == k + 1 and n
            and bool(np.isfinite(d0[:, -1]).all())):
        margin = 1.0 + 1e-9
        clear = np.ones(n, dtype=bool)
        for r in range(k):  # column by column: 1-d passes
            clear &= d0[:, r + 1] > d0[:, r] * (k_hi / k_lo * margin) + TIE_TOLERANCE_M * k_hi * margin
        s = pairs.lengths((slice(None), None), j0[:, :k], d0[:, :k])
        pos[:] = j0[:, :k]
        dist[:] = s
        tie[:] = False
        todo = np.flatnonzero(~clear)
        if todo.size:
            _nearestk_rounds(oxy, txy, tree, k, crs, pairs, k_hi, limit, pos, dist, tie, todo,
                             (d0[todo], j0[todo]))
        return
    pos[:] = -1
    dist[:] = np.nan
    tie[:] = False
    _nearestk_rounds(oxy, txy, tree, k, crs, pairs, k_hi, limit, pos, dist, tie, None, first)


def _nearestk_rounds(
    oxy: np.ndarray, txy: np.ndarray, tree: cKDTree, k: int, crs: pyproj.CRS, tm: _Pairs | None, k_hi: float,
    limit: float | None, pos: np.ndarray, dist: np.ndarray, tie: np.ndarray, rows: np.ndarray | None,
    first: tuple[np.ndarray, np.ndarray],
) -> None:
    """The rounds of :func:`_nearestk_chunk` for the origins at ``rows`` (``None``: all), ``first`` their candidates.

    Each round re-ranks the candidates by geodesic distance and proves the k-th; the rows it
    cannot prove are queried again with twice as many candidates.
    """
    n, m = len(oxy), len(txy)
    pairs = tm if isinstance(tm, _Pairs) else _Pairs(oxy, txy, crs)
    ub = np.inf if limit is None else (limit + TIE_TOLERANCE_M) * k_hi
    todo = np.arange(n) if rows is None else rows
    q = min(k + 1, m)
    first_round = rows is None  # a round covering every origin: slices instead of index arrays
    given = True
    while todo.size:
        if given:
            d, j = first
            given = False
        else:
            # the few origins a round leaves unproven: one thread (starting threads costs more)
            d, j = tree.query(oxy[todo], k=q, workers=-1 if todo.size > 8192 else 1, distance_upper_bound=ub)
        d, j = d.reshape(len(todo), q), j.reshape(len(todo), q)
        valid = np.isfinite(d)
        all_valid = bool(valid.all())
        jj = j if all_valid else np.where(valid, j, 0)
        s = pairs.lengths((slice(None), None) if first_round else todo[:, None], jj,
                          d if all_valid else np.where(valid, d, 0.0))
        if not all_valid:
            s[~valid] = np.inf
        if limit is not None:
            s[s > limit] = np.inf
        # re-rank by (distance class, target position); the plane order is almost always right already
        cls = np.floor(s / TIE_TOLERANCE_M)
        c0, c1 = cls[:, :-1], cls[:, 1:]
        unsorted = np.flatnonzero(((c1 < c0) | ((c1 == c0) & (jj[:, 1:] < jj[:, :-1]))).any(axis=1))
        if unsorted.size:
            order = np.lexsort((jj[unsorted], cls[unsorted]), axis=1)
            s[unsorted] = np.take_along_axis(s[unsorted], order, axis=1)
            jj = jj.copy() if jj is j else jj
            jj[unsorted] = np.take_along_axis(jj[unsorted], order, axis=1)
        kth = s[:, k - 1] if k <= q else np.full(len(todo), np.inf)
        last_d = d[:, -1]
        # proven: every target in reach seen, or the last plane candidate cannot beat the k-th
        proven = ~np.isfinite(last_d) | (q >= m) | (last_d > (kth + TIE_TOLERANCE_M) * k_hi)
        # every row is written; the unproven ones are overwritten by the next, wider round
        sk = s[:, :k]
        with np.errstate(invalid="ignore"):  # inf - inf where fewer targets are in reach
            gap = s[:, 1 : k + 1] - s[:, : min(k, q - 1)]  # rank r + 1 minus rank r
            np.abs(gap, out=gap)
            close = gap <= TIE_TOLERANCE_M
        tie_k = np.zeros(sk.shape, dtype=bool)
        tie_k[:, : close.shape[1]] |= close[:, :k]
        tie_k[:, 1:] |= close[:, : k - 1]
        rows = slice(None) if first_round else todo
        w = sk.shape[1]
        if limit is None and all_valid:
            pos[rows, :w], dist[rows, :w], tie[rows, :w] = jj[:, :k], sk, tie_k
        else:
            fin = np.isfinite(sk)
            pos[rows, :w] = np.where(fin, jj[:, :k], -1)
            dist[rows, :w] = np.where(fin, sk, np.nan)
            tie[rows, :w] = tie_k & fin
        todo = todo[~proven]
        q = min(2 * q, m)
        first_round = False


def _nearestk_general(
    og: np.ndarray, tg: np.ndarray, k: int, crs: pyproj.CRS, k_lo: float, k_hi: float, limit: float | None
) -> tuple[np.ndarray, ...]:
    """k nearest for any geometries with an STRtree: search radius grown until the k-th is proven."""
    n, m = len(og), len(tg)
    tree = shapely.STRtree(tg)
    near = tree.query_nearest(og, return_distance=True, all_matches=False)
    d1 = np.full(n, np.inf)
    d1[near[0][0]] = near[1]
    radius = d1 * k_hi / k_lo + TIE_TOLERANCE_M * k_hi
    if k > 1:
        radius = np.maximum(2.0 * radius, 1.0)
    if limit is not None:
        radius = np.minimum(radius, (limit + TIE_TOLERANCE_M) * k_hi)
    todo = np.arange(n)
    parts = []
    while todo.size:
        oi, ti = tree.query(og[todo], predicate="dwithin", distance=radius[todo])
        s = _pair_distance(og[todo][oi], tg[ti], crs)
        if limit is not None:
            s = np.where(s > limit, np.inf, s)
        counts = np.bincount(oi, minlength=todo.size)
        kth = np.full(todo.size, np.inf)
        if oi.size:
            o2, r2, _, s2, _ = _rank_candidates(oi, ti, s, k)
            at_k = (r2 == k) & np.isfinite(s2)
            kth[o2[at_k]] = s2[at_k]
        capped = np.zeros(todo.size, dtype=bool) if limit is None else \
            radius[todo] >= (limit + TIE_TOLERANCE_M) * k_hi
        proven = (counts >= m) | capped | (np.isfinite(kth) & ((kth + TIE_TOLERANCE_M) * k_hi <= radius[todo]))
        keep = proven[oi]
        parts.append((todo[oi[keep]], ti[keep], s[keep]))
        grow = ~proven
        new_r = np.where(np.isfinite(kth), (kth + TIE_TOLERANCE_M) * k_hi * 1.000001, 2.0 * radius[todo])
        if limit is not None:
            new_r = np.minimum(new_r, (limit + TIE_TOLERANCE_M) * k_hi)
        radius[todo[grow]] = new_r[grow]
        todo = todo[grow]
    opos = np.concatenate([p[0] for p in parts])
    tpos = np.concatenate([p[1] for p in parts])
    s = np.concatenate([p[2] for p in parts])
    fin = np.isfinite(s)
    opos, rank, tpos, s, tie = _rank_candidates(opos[fin], tpos[fin], s[fin], k)
    if k == 1:  # one row per origin, aligned
        pos = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.nan)
        tie1 = np.zeros(n, dtype=bool)
        pos[opos], dist[opos], tie1[opos] = tpos, s, tie
        return np.arange(n), np.ones(n, dtype=int), pos, dist, tie1
    return opos, rank, tpos, s, tie


# --------------------------------------------------------------------------- within


#: Pairs per chunk of origins in :func:`_within_points` (about; fewer chunks cost scipy's dual-tree walk less) ...
_WITHIN_CHUNK_PAIRS = 1 << 18
#: ... and per block of its element-wise work (the geodesic correction), whose arrays stay in cache.
_WITHIN_BLOCK = 1 << 16
#: Most origins per chunk (where each has few pairs): larger trees of origins walk no faster.
_WITHIN_CHUNK_ORIGINS = 1 << 14
#: Most threads :func:`_within_points` runs chunks on (the cores it may use, if fewer).
_WITHIN_THREADS = 8


def _within_points(oxy: np.ndarray, txy: np.ndarray, radius: float, reach: float, crs: pyproj.CRS, *,
                   k_lo: float, sort: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of points within ``radius`` geodesic metres, in origin order, written once.

    Origins are taken in chunks of consecutive positions, several chunks at once on
    threads (``cKDTree`` and NumPy's sorts, takes and arithmetic release the GIL).  Each
    chunk is one ``cKDTree.sparse_distance_matrix`` against the targets' tree; its pairs
    are corrected to geodesic lengths, filtered and (with ``sort``) ordered by (origin,
    distance, target) while they are in cache (:func:`_chunk_order`), then written
    straight into the result arrays at the place the chunks before it leave
    (:class:`_PairSink`: the chunks claim their rows in origin order, then write at the
    same time).  The pairs of all origins are never sorted together, and no pair is
    copied twice.  The result arrays are reserved for the number of pairs estimated
    from a sample of origins (pages never written cost no memory) and grown if that
    falls short.  A plane length ``d`` has geodesic length at most ``d / k_lo``: chunks
    whose longest pair is under ``radius * k_lo`` need no comparison with the radius.
    """
    n = len(oxy)
    ttree = cKDTree(txy)
    tm = sampled_tm_scale(crs, oxy[:, 0], oxy[:, 1])
    step = max(1, n // 4096)  # a sample of origins for the number of pairs to expect
    counts = ttree.query_ball_point(oxy[::step], reach, return_length=True)
    per_origin = float(counts.mean()) if len(counts) else 0.0
    chunk = int(min(n, _WITHIN_CHUNK_ORIGINS, max(64, _WITHIN_CHUNK_PAIRS / max(per_origin, 1.0))))
    sink = _PairSink(int(per_origin * n * 1.05) + 4096)
    inside = radius * k_lo  # every plane length up to this is within the radius geodesically
    ox, tx = np.ascontiguousarray(oxy[:, 0]), np.ascontiguousarray(txy[:, 0])  # gathers from contiguous memory

    def pairs_of(a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        pairs = cKDTree(oxy[a:b], balanced_tree=False).sparse_distance_matrix(ttree, reach, output_type="ndarray")
        if len(pairs) == 0:
            return None
        i, j, d = pairs["i"], pairs["j"], pairs["v"]
        s = None if tm is None else _corrected(d, i, j, ox[a:b], tx, tm)
        if s is None:  # not Transverse Mercator, or pairs beyond the series' domain
            s = geodesic_distance(oxy[a + i, 0], oxy[a + i, 1], txy[j, 0], txy[j, 1], crs)
        if d.max() > inside:
            keep = s <= radius
            if not keep.all():
                i, j, s = i[keep], j[keep], s[keep]
        return (i, j, s) if len(s) else None

    def run(number: int, a: int) -> None:
        b = min(n, a + chunk)
        got = order = None
        try:
            got = pairs_of(a, b)
            if got is not None and sort:
                order = _chunk_order(got[0], got[2], b - a)
        finally:  # every chunk claims its rows (none if it failed), or the chunks after it would wait forever
            out_i, out_j, out_s, part = sink.claim(number, 0 if got is None else len(got[2]))
        try:
            if got is not None:
                i, j, s = got
                if order is None:
                    out_i[part], out_j[part], out_s[part] = i, j, s
                    out_i[part] += a
                else:
                    _write_ordered(order, i, j, s, a, out_i[part], out_j[part], out_s[part])
        finally:
            sink.release()

    starts = range(0, n, chunk)
    threads = min(len(starts), _WITHIN_THREADS, _cores())
    if threads <= 1:
        for number, a in enumerate(track(starts, "计算 范围内目标", unit="块")):
            run(number, a)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            futures = [pool.submit(run, number, a) for number, a in enumerate(starts)]
            try:
                for future in track(futures, "计算 范围内目标", unit="块"):
                    future.result()
            except BaseException:
                sink.abort()  # chunks waiting for their turn give up; those not started are cancelled
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    return sink.result()


def _corrected(d: np.ndarray, i: np.ndarray, j: np.ndarray, ox: np.ndarray, tx: np.ndarray,
               tm: Any) -> np.ndarray | None:
    """Geodesic lengths of the plane lengths ``d`` from origin ``ox[i]`` to target ``tx[j]`` (eastings).

    Block by block of ``_WITHIN_BLOCK`` pairs, so the series' work arrays stay in cache
    however large the chunk; ``None`` as :func:`~gis._geodesic.geodesic_from_plane`.
    """
    k = len(d)
    if k <= _WITHIN_BLOCK:
        return geodesic_from_plane(d, ox[i], tx[j], tm, overwrite=True)
    s = np.empty(k)
    for p in range(0, k, _WITHIN_BLOCK):
        q = min(k, p + _WITHIN_BLOCK)
        part = geodesic_from_plane(d[p:q], ox[i[p:q]], tx[j[p:q]], tm, overwrite=True)
        if part is None:
            return None
        s[p:q] = part
    return s


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class _Aborted(Exception):
    """A chunk of :func:`_within_points` gave up: another one failed."""


class _PairSink:
    """The result arrays of :func:`_within_points`, written by chunks of origins from several threads.

    A chunk first claims its rows (:meth:`claim`): chunks claim in origin order, each
    right after the one before it, so the rows follow the origins whatever order the
    threads finish in.  The writes themselves happen at the same time (:meth:`release`
    when done).  A claim beyond the reservation waits for the writes before it and
    grows the arrays by half again.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.arrays = (np.empty(capacity, dtype=np.int64), np.empty(capacity, dtype=np.int64), np.empty(capacity))
        self.filled = 0
        self._turn = 0  # the chunk whose turn it is to claim
        self._writing = 0  # chunks that claimed and still write
        self._aborted = False
        self._cond = threading.Condition()

    def claim(self, number: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, slice]:
        """Rows ``filled .. filled + k`` for chunk ``number``, once every chunk before it has claimed."""
        with self._cond:
            self._cond.wait_for(lambda: self._turn == number or self._aborted)
            if self._aborted:
                raise _Aborted
            start = self.filled
            if start + k > self.capacity:  # the sample underestimated: grow by half again
                self._cond.wait_for(lambda: self._writing == 0)
                self.capacity = max(start + k, self.capacity + self.capacity // 2)
                self.arrays = tuple(np.concatenate([v[:start], np.empty(self.capacity - start, dtype=v.dtype)])
                                    for v in self.arrays)
            self.filled = start + k
            self._writing += 1
            self._turn += 1
            self._cond.notify_all()
            return (*self.arrays, slice(start, start + k))

    def release(self) -> None:
        """A claimed chunk has written its rows."""
        with self._cond:
            self._writing -= 1
            self._cond.notify_all()

    def abort(self) -> None:
        """Chunks waiting for their turn give up (:class:`_Aborted`)."""
        with self._cond:
            self._aborted = True
            self._cond.notify_all()

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows written; copied if far fewer than reserved (do not hold the reservation)."""
        filled = self.filled
        if filled < self.capacity // 2:
            return tuple(v[:filled].copy() for v in self.arrays)  # type: ignore[return-value]
        return tuple(v[:filled] for v in self.arrays)  # type: ignore[return-value]


#: Fewest bits of the distance in :func:`_chunk_order`'s packed key (fewer: :func:`_pair_order` instead).
_KEY_DISTANCE_BITS = 24


def _chunk_order(opos: np.ndarray, s: np.ndarray, n_origins: int) -> tuple[np.ndarray | None, int, int, float]:
    """The pairs of a chunk sorted by (origin, distance) in one sort of packed 64-bit keys.

    Each key holds, from the top, the origin (``opos`` in ``0 .. n_origins - 1``), the
    distance in units of ``2**-sb`` of the chunk's longest one, rounded down (``sb``: the
    bits left), and the pair's position, so a plain sort (several times faster than an
    argsort) orders the pairs and the low bits give the permutation.  Returns ``(keys,
    shift, bits, eps)``: ``keys >> shift`` is the origin, ``keys & (2**bits - 1)`` the
    pair's position, and only neighbours of one origin less than ``eps`` metres apart can
    be out of the order of :func:`_pair_order` (:func:`_write_ordered` settles them).
    ``keys`` is ``None`` where too few bits are left for the distance: then
    :func:`_pair_order` orders the chunk.

    Why ``eps``: two pairs of one origin in the keys' order have ``s_next > s - delta``
    (a smaller distance never has a larger rounded one; equal rounded distances lie within
    ``delta``, the unit or the float precision of ``s * scale``).  So where neighbours
    are more than ``eps = 2 delta + 4 ulp`` apart, every pair before them lies more than
    ``4 ulp`` below every pair after them (``ulp``: the spacing of :func:`_pair_order`'s
    keys ``opos * r + s``), whose keys are then strictly ordered too.
    """
    k = len(s)
    ib = max(1, (k - 1).bit_length())
    ob = max(0, (n_origins - 1).bit_length())
    sb = 64 - ob - ib
    smax = float(s.max())
    if sb < _KEY_DISTANCE_BITS:
        return None, 0, 0, 0.0
    scale = 2.0**sb * (1.0 - 2.0**-50) / smax if smax > 0 else 0.0  # s * scale < 2**sb
    keys = np.multiply(s, scale).astype(np.uint64)
    keys <<= np.uint64(ib)
    origin = opos.view(np.uint64) if opos.dtype == np.int64 else opos.astype(np.uint64)
    keys |= origin << np.uint64(sb + ib)
    keys |= np.arange(k, dtype=np.uint64)
    keys.sort()
    # _pair_order's key: opos * r + s, r a power of two above every s; its precision near the largest key
    r = 2.0 ** math.ceil(math.log2(smax + 2.0))
    delta = max(smax / 2.0**sb, smax * 2.0**-51) * (1.0 + 1e-9)
    eps = 2.0 * delta + 4.0 * float(np.spacing((n_origins + 1) * r)) + 1e-12
    return keys, sb + ib, ib, eps


def _write_ordered(order: tuple[np.ndarray | None, int, int, float], i: np.ndarray, j: np.ndarray, s: np.ndarray,
                   a: int, out_i: np.ndarray, out_j: np.ndarray, out_s: np.ndarray) -> None:
    """Write a chunk's pairs (origins ``a + i``) in the order of :func:`_pair_order`, from :func:`_chunk_order`.

    The packed keys order the pairs by origin, then distance rounded to their precision,
    then position.  Where two neighbours of one origin lie less than ``eps`` apart (pairs
    rounded together, or tied), :func:`_pair_order`'s order (its key, then target) is
    applied to the run of such neighbours; elsewhere the distances differ by more than
    the rounding of either key, so both orders agree.
    """
    keys, shift, ib, eps = order
    if keys is None:
        idx = _pair_order(i, j, s)
        np.take(i, idx, out=out_i, mode="clip")  # "clip": no buffered copy
        out_i += a
    else:
        np.right_shift(keys, np.uint64(shift), out=out_i.view(np.uint64))
        out_i += a
        idx = (keys & np.uint64((1 << ib) - 1)).view(np.int64)
    np.take(s, idx, out=out_s, mode="clip")
    if keys is not None and len(s) > 1:
        gap = np.diff(out_s)
        np.abs(gap, out=gap)
        close = gap <= eps
        if close.any():
            close &= out_i[1:] == out_i[:-1]
            at = np.flatnonzero(close)
            if at.size:
                _settle_close(at, idx, j, s, a, out_i, out_s)
    np.take(j, idx, out=out_j, mode="clip")


def _settle_close(at: np.ndarray, idx: np.ndarray, j: np.ndarray, s: np.ndarray, a: int, out_i: np.ndarray,
                  out_s: np.ndarray) -> None:
    """Reorder the runs of close neighbours by :func:`_pair_order`'s key, then target.

    ``at``: the rows whose next row is close; ``idx`` (the chunk's pair at each row) and
    ``out_s`` are updated in place (``out_i`` is the same along a run).
    """
    member = np.zeros(len(idx), dtype=bool)
    member[at] = True
    member[at + 1] = True
    pos = np.flatnonzero(member)
    opens = np.ones(len(pos), dtype=bool)  # a run opens where the pair before is not close to it
    linked = np.zeros(len(idx), dtype=bool)
    linked[at + 1] = True
    opens[linked[pos]] = False
    run = np.cumsum(opens)
    r = 2.0 ** math.ceil(math.log2(float(s.max()) + 2.0))
    key = (out_i[pos] - a).astype(float)
    key *= r
    key += out_s[pos]
    sub = np.lexsort((j[idx[pos]], key, run))
    idx[pos] = idx[pos][sub]
    out_s[pos] = s[idx[pos]]


def _pair_order(opos: np.ndarray, tpos: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Order of pairs by origin, then distance, then target: one float sort instead of a 3-key lexsort.

    The key ``opos * R + s`` (``R`` a power of two above every ``s``, so the
    product is exact) orders by origin, and within an origin by distance
    (rounding to the key's precision is monotone, so it can only merge distances
    less than ~1e-6 m apart, never swap them); equal keys are then ordered by
    target.
    """
    if len(s) == 0:
        return np.zeros(0, dtype=np.intp)
    r = 2.0 ** math.ceil(math.log2(float(s.max()) + 2.0))
    key = opos.astype(float)
    key *= r
    key += s
    order = np.argsort(key)
    ks = key[order]
    if (ks[1:] == ks[:-1]).any():  # coincident targets, or distances within the key's precision
        order = np.lexsort((tpos, key))
    return order
