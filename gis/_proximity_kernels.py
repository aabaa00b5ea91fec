"""The kernels of :mod:`gis.proximity`: candidates on plane coordinates, proven geodesic answers.

This module holds what they share (pair lengths, the merge of coincident targets, ranking, threads) and the
nearest target (k = 1); the k nearest are in :mod:`gis._nearestk_kernels`, the pairs within a distance in
:mod:`gis._within_kernels`.

Each kernel takes plane coordinates (or shapely geometries) in the analysis CRS and
returns target positions, geodesic distances and tie flags as NumPy arrays; the
GeoDataFrame-facing functions (:func:`gis.proximity.nearest`, :func:`~gis.proximity.within`,
:func:`~gis.proximity.od_matrix`) check the layers and frame the results.

The proofs rest on one bound: plane length ``d`` and geodesic ``s`` of any pair satisfy
``d / k_hi <= s <= d / k_lo`` (``k_lo``/``k_hi`` bound the projection's scale factor over
the data), so a candidate too far in the plane can neither win nor tie
(:func:`_nearest1_points` and :func:`_grid_prepass` spell it out).  Distances within ``TIE_TOLERANCE_M`` are a tie,
won by the target that comes first.
"""

from __future__ import annotations

import functools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from . import settings
from ._errors import InputError
from ._geodesic import MAX_D_M, TMScale, geodesic_distance, point_terms, sampled_tm_scale, segment_lengths
from ._geodesic_loops import series_constants
from ._grid import Grid, bucket_spread
from ._nearest1_loops import targets_within, two_nearest
from ._nearestk_loops import rank_contenders


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
    """k = 1 between point layers: the two plane-nearest targets of each origin prove the geodesic nearest.

    Targets at the same place are merged first (a tie between them).  Where many origins share a cell
    of a grid over them, the cell centre's contenders settle most of them (:func:`_grid_prepass`, k = 1).
    For the others the plane-nearest ``t1`` at geodesic ``s1`` is the answer unless another target lies
    within ``(s1 + TIE_TOLERANCE_M) * k_hi`` in the plane: a target farther than that is geodesically
    farther than ``s1 + TIE_TOLERANCE_M`` (``s >= d / k_hi``), so it can neither win nor tie.  The second
    plane-nearest tells (:func:`_two_nearest`); the rare origins where it is that close (within a few
    ppm of equidistant) get every target within that radius ranked by geodesic distance
    (:func:`_rank_candidates`).  Returns target positions (-1 where none within ``limit``),
    geodesic distances and tie flags.
    """
    n = len(oxy)
    uniq, first_pos, counts = _unique_points(txy)
    tree = _lazy_tree(uniq)
    pairs = _Pairs(oxy, uniq, crs)
    j1 = np.empty(n, dtype=np.int64)  # position in uniq
    s1 = np.empty(n)
    tie = np.zeros(n, dtype=bool)
    rest = None
    if pairs.tt is not None and len(uniq) >= 2:
        rest = _grid_prepass(oxy, uniq, tree, 1, k_lo, k_hi, origin_bounds, pairs, j1.reshape(n, 1), s1.reshape(n, 1),
                             tie.reshape(n, 1))
    rows = np.arange(n) if rest is None else rest
    if rows.size:
        _nearest1_rest(oxy if rows.size == n else oxy[rows], rows, uniq, first_pos, tree, k_hi, pairs, j1, s1, tie)
    if counts is not None:  # duplicates
        tie |= counts[j1] > 1
        pos = first_pos[j1]
    else:
        pos = j1
    if limit is not None:
        far = s1 > limit
        pos[far] = -1
        s1[far] = np.nan
        tie[far] = False
    return pos, s1, tie


def _nearest1_rest(of: np.ndarray, rows: np.ndarray, uniq: np.ndarray, first_pos: np.ndarray,
                   tree: Callable[[], cKDTree], k_hi: float, pairs: _Pairs, j1: np.ndarray, s1: np.ndarray,
                   tie: np.ndarray) -> None:
    """The nearest of the origins ``of`` (at ``rows`` of the result; all of them or those the grid left) from their
    two plane-nearest targets (module docstring of :func:`_nearest1_points`): written to ``j1``, ``s1``, ``tie``."""
    every = rows.size == len(pairs.ox)
    j, d1, d2, ring = _two_nearest(of, uniq, tree)
    s = pairs.lengths(slice(None) if every else rows, j, d1)
    need = (s + TIE_TOLERANCE_M) * k_hi  # a rival must lie closer than this in the plane
    amb = np.flatnonzero(d2 <= need)
    t = np.zeros(len(of), dtype=bool)
    if amb.size:
        if ring is not None:  # every target within reach, from the grid's cells
            row, cand = targets_within(np.ascontiguousarray(of[amb, 0]), np.ascontiguousarray(of[amb, 1]), need[amb],
                                       *ring)
        else:
            lists = tree().query_ball_point(of[amb], need[amb])
            lens = np.fromiter((len(c) for c in lists), dtype=np.int64, count=amb.size)
            cand = np.fromiter((c for cs in lists for c in cs), dtype=np.int64, count=int(lens.sum()))
            row = np.repeat(np.arange(amb.size), lens)
        sc = pairs.lengths((amb if every else rows[amb])[row], cand)
        r_o, r_rank, r_u, r_s, r_tie = _rank_candidates(row, cand, sc, 2, order_key=first_pos[cand])
        win = r_rank == 1
        j[amb[r_o[win]]] = r_u[win]
        s[amb[r_o[win]]] = r_s[win]
        t[amb[r_o[win]]] = r_tie[win]
    if every:
        j1[:], s1[:], tie[:] = j, s, t
    else:
        j1[rows], s1[rows], tie[rows] = j, s, t


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


#: Grid pre-pass (:func:`_grid_prepass`): at most this many cells per
#: target ...
_CELLS_PER_TARGET = 128
#: ... and at least this many: with fewer, cells are wider than the targets' spacing, most have too many
#: contenders, and the pre-pass only adds to the tree's work.
_GRID_MIN_CELLS_PER_TARGET = 6


#: Grid pre-pass (:func:`_grid_prepass`): at least this many origins per cell (16: fewest centre queries for
#: a pass that still settles most origins; measured 1e5 and 1e6 origins on 1e3 targets, k = 5); more
#: candidates than k per cell centre.
_ORIGINS_PER_CELL = 16
_GRID_EXTRA = 4
#: Contenders asked of each cell centre beyond the expected number: this many standard deviations (3: the
#: origins of unresolved cells fall from 7 % to 3 % at 1e5 origins on 1e3 targets, for a centre query on
#: a few thousand cells).
_GRID_SPARE_SD = 3.0
#: Most origins per block of the grid pre-pass.  Blocks run on threads; the compiled loop
#: (:func:`gis._nearestk_loops.rank_contenders`) holds no GIL.
_GRID_BLOCK = 1 << 16


def _grid_prepass(
    oxy: np.ndarray, txy: np.ndarray, tree: Callable[[], cKDTree], k: int, k_lo: float, k_hi: float, bounds: np.ndarray,
    pairs: _Pairs, pos: np.ndarray, dist: np.ndarray, tie: np.ndarray,
) -> np.ndarray | None:
    """Settle the k nearest (k >= 1) of most origins from a grid over them; return the positions left over (sorted).

    Used by nearest (k = 1, on the distinct targets) and the k nearest.  Writes ``pos``, ``dist``,
    ``tie`` (``(n, k)``) of the origins it settles.

    ``None``: no pre-pass (too few origins per target).  The proof.  Let a grid cell have centre ``c``
    and half-diagonal ``rho``, and let its centre's plane-nearest targets lie at ``dc1 <= dc2 <= ...``
    (one ``cKDTree`` query for all centres).  For an origin ``o`` in the cell the triangle inequality
    gives ``|o - t| <= |c - t| + rho`` and ``|o - t| >= |c - t| - rho`` for every target ``t``; plane
    length ``d`` and geodesic ``s`` satisfy ``d / k_hi <= s <= d / k_lo``.  So k targets lie within
    ``dck + rho`` of ``o`` in the plane, the k-th geodesic distance is at most
    ``s_k <= (dck + rho) / k_lo``, and a target can be among the k nearest or tie with the k-th only
    if ``|o - t| <= (s_k + TIE_TOLERANCE_M) * k_hi``, so only if
    ``|c - t| <= reach = ((dck + rho) / k_lo + TIE_TOLERANCE_M) * k_hi + rho``.  If the centre's
    ``q``-th target lies beyond ``reach``, every origin of the cell has its answer among the cell's
    contenders (``dc <= reach``; cells where the ``q``-th is still within reach are left over).
    Each origin keeps its k + 1 plane-nearest contenders in order (compiled:
    :func:`gis._nearestk_loops.rank_contenders`); where every distance exceeds the one before it by more
    than the scale factor's spread allows (the test of :func:`gis._nearestk_kernels._nearestk_chunk`, the (k + 1)-th contender
    or, if there are only k, any other target counting as beyond), the plane order of the first k is
    their geodesic order, with no tie; the other origins are left over.
    """
    n, m = len(oxy), len(txy)
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    width, height = maxx - minx, maxy - miny
    n_cells = min(_CELLS_PER_TARGET * m, n // _ORIGINS_PER_CELL)
    # contenders beyond the k-th: about Poisson with mean 5 sqrt(k / cells per target) (targets spread evenly
    # over the cells: those in a ring of width 2 rho around the k-th); enough for ~99 % of the cells
    lam = 5.0 * math.sqrt(k * m / max(n_cells, 1))
    q = k + max(_GRID_EXTRA, math.ceil(lam + _GRID_SPARE_SD * math.sqrt(lam) + 1.0))
    if q >= m or q > 64 or n_cells < max(256, _GRID_MIN_CELLS_PER_TARGET * m) or not max(width, height) > 0:
        return None
    h = max(math.sqrt(width * height / n_cells), max(width, height) / n_cells)
    nx, ny = int(width / h) + 1, int(height / h) + 1
    centres = np.empty((ny, nx, 2))
    centres[:, :, 0] = minx + (np.arange(nx) + 0.5) * h
    centres[:, :, 1] = (miny + (np.arange(ny) + 0.5) * h)[:, None]
    dc, jc = tree().query(centres.reshape(-1, 2), k=q, workers=_workers())
    rho = h * math.sqrt(0.5) * (1.0 + 1e-9) + 1e-6  # margin for rounding of the cell of an origin
    reach = ((dc[:, k - 1] + rho) / k_lo + TIE_TOLERANCE_M) * k_hi + rho
    contenders = (dc <= reach[:, None]).sum(axis=1)
    contenders[contenders == q] = 0  # a further target may contend: unresolved
    # each cell's contenders in one row (a row gather per origin), in the narrowest integer type
    jct = np.ascontiguousarray(jc[:, : q - 1], dtype=np.int32 if m < 2**31 else np.int64)

    cell = _cell_of(pairs.ox, pairs.oy, minx, miny, h, nx, ny)
    ratio = k_hi / k_lo * (1.0 + 1e-9)
    slack = TIE_TOLERANCE_M * k_hi * (1.0 + 1e-9)
    cst = series_constants(pairs.tm)
    contenders = contenders.astype(np.int64)

    def block(a: int, b: int) -> np.ndarray:
        """Settle the origins ``a:b`` (compiled, without the GIL); return the rows left over."""
        left = np.empty(b - a, dtype=np.int64)
        got = rank_contenders(a, b, k, cell, contenders, jct, pairs.ox, pairs.oy, pairs.tx, pairs.ty, ratio, slack,
                              MAX_D_M, *pairs.ot, *pairs.tt, cst, pos, dist, tie, left)
        return left[:got]

    return _in_blocks(block, n, _GRID_BLOCK)


#: Fewest origins worth a grid over the targets for their two plane-nearest (fewer: the tree) ...
_RING_MIN_ORIGINS = 256
#: ... its targets per cell, and the most rings of cells scanned around an origin before it is left to the tree.
_RING_TARGETS_PER_CELL = 2.0
_RING_MAX = 6
#: Origins per block of the ring search (blocks run on threads; the compiled loop holds no GIL) ...
_RING_BLOCK = 1 << 15
#: ... and in the sample that decides between the rings and the tree.
_RING_SAMPLE = 1024


def _lazy_tree(xy: np.ndarray) -> Callable[[], cKDTree]:
    """The points' ``cKDTree``, built when first asked for (the grid's passes may settle every origin)."""
    return functools.cache(functools.partial(cKDTree, xy))


def _target_rings(txy: np.ndarray) -> tuple[Grid, np.ndarray, np.ndarray]:
    """The targets bucketed for the ring search (about ``_RING_TARGETS_PER_CELL`` per cell) and their
    coordinates in the grid's order."""
    grid = bucket_spread(txy[:, 0], txy[:, 1], _RING_TARGETS_PER_CELL)
    return grid, txy[grid.members, 0], txy[grid.members, 1]


def _ring_sample(n: int) -> np.ndarray:
    """Positions of the origins (every ``n // _RING_SAMPLE``-th) whose ring search decides rings or tree."""
    return np.arange(0, n, max(1, n // _RING_SAMPLE))[:_RING_SAMPLE]


def _two_nearest(of: np.ndarray, uniq: np.ndarray, tree: Callable[[], cKDTree]) -> tuple[Any, ...]:
    """``(j1, d1, d2, ring)``: the plane-nearest of the distinct points ``uniq`` to each origin, its plane
    distance and that of the second nearest (inf with one target), as ``cKDTree.query(k=2)`` gives them
    (ties between the two in either order); ``ring``: the grid's arguments of
    :func:`gis._nearest1_loops.targets_within`, or ``None`` where the tree did the work.

    Rings of cells of a grid over the targets (:func:`gis._nearest1_loops.two_nearest`, compiled, on
    threads); origins the rings do not settle within ``_RING_MAX`` (far away, or among clustered
    targets) go to ``tree()``, and all of them do when the rings settle fewer than half of a sample of
    origins, or there are few origins.
    """
    n, m = len(of), len(uniq)
    if m < 2 or n < _RING_MIN_ORIGINS:
        d, j = tree().query(of, k=2 if m >= 2 else 1, workers=_workers())
        if m < 2:
            return j, d, np.full(n, np.inf), None
        return j[:, 0], d[:, 0], d[:, 1], None
    grid, tx, ty = _target_rings(uniq)
    ring = (tx, ty, grid.members, grid.start, grid.minx, grid.miny, grid.h, grid.nx, grid.ny)
    ox, oy = np.ascontiguousarray(of[:, 0]), np.ascontiguousarray(of[:, 1])
    j1 = np.empty(n, dtype=np.int64)
    d1, d2 = np.empty(n), np.empty(n)

    def settle(x: np.ndarray, y: np.ndarray, a: int, b: int) -> np.ndarray:
        left = np.empty(b - a, dtype=np.int64)
        got = two_nearest(a, b, x, y, tx, ty, grid.members, grid.start, grid.minx, grid.miny, grid.h, grid.nx,
                          grid.ny, _RING_MAX, d1, j1, d2, left)
        return left[:got]

    sample = _ring_sample(n)
    if 2 * settle(ox[sample], oy[sample], 0, len(sample)).size > len(sample):  # the rings settle too few: the tree
        d, j = tree().query(of, k=2, workers=_workers())
        return j[:, 0], d[:, 0], d[:, 1], ring
    left = _in_blocks(lambda a, b: settle(ox, oy, a, b), n, _RING_BLOCK)
    if left.size:
        d, j = tree().query(of[left], k=2, workers=_workers())
        j1[left], d1[left], d2[left] = j[:, 0], d[:, 0], d[:, 1]
    return j1, d1, d2, ring


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


#: Most threads a kernel runs its own chunks on (the cores it may use, if fewer).
_MAX_THREADS = 8


def _workers() -> int:
    """``gis.settings.workers``, checked: the ``workers`` of a ``cKDTree`` query (-1: every core)."""
    w = settings.workers
    if isinstance(w, bool) or not isinstance(w, int) or not (w == -1 or w >= 1):
        raise InputError(f"gis.settings.workers is {w!r}: it must be -1 (every core this process may use) or a "
                         "whole number of threads, at least 1; e.g. gis.settings.workers = 1 inside dask workers")
    return w


def _threads() -> int:
    """Threads a kernel runs its chunks on: ``gis.settings.workers`` (-1: the cores this process may run on)."""
    w = _workers()
    if w == -1:
        try:
            w = len(os.sched_getaffinity(0))
        except AttributeError:  # pragma: no cover - not Linux
            w = os.cpu_count() or 1
    return max(1, min(w, _MAX_THREADS))


def _cell_of(x: np.ndarray, y: np.ndarray, minx: float, miny: float, h: float, nx: int, ny: int) -> np.ndarray:
    """The cell of each point in a grid of ``nx`` × ``ny`` cells of side ``h`` from ``(minx, miny)``, row-major; clipped."""
    ix = ((x - minx) * (1.0 / h)).astype(np.intp)
    np.clip(ix, 0, nx - 1, out=ix)
    cell = ((y - miny) * (1.0 / h)).astype(np.intp)
    np.clip(cell, 0, ny - 1, out=cell)
    cell *= nx
    cell += ix
    return cell


#: Fewest rows :func:`_in_blocks` runs on threads (fewer: one block in the calling thread; starting two
#: threads costs about a millisecond, what the compiled loops take for ~10,000 origins).
_THREADS_FROM = 16_384


def _in_blocks(block: Callable[[int, int], np.ndarray], n: int, most: int) -> np.ndarray:
    """``block(a, b)`` over blocks of at most ``most`` of ``n`` rows (a multiple of :func:`_threads` blocks), on threads.

    Each block writes its own rows and returns the rows it leaves over; they come back concatenated in order.
    NumPy's gathers, sorts and arithmetic release the GIL.
    """
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    if n < _THREADS_FROM:  # one block: starting threads would cost more than they save
        return np.asarray(block(0, n))
    threads = _threads()
    blocks = -(-max(threads, -(-n // most)) // threads) * threads
    size = -(-n // blocks)
    starts = range(0, n, size)
    threads = min(len(starts), threads)
    ends = [min(n, a + size) for a in starts]
    if threads <= 1:
        left = [block(a, b) for a, b in zip(starts, ends)]
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            left = list(pool.map(block, starts, ends))
    return np.concatenate(left)
