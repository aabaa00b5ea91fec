"""The k nearest targets (k > 1) of :mod:`gis.proximity`: a grid pre-pass, then k + 1 plane candidates proven.

Part of the proximity kernels (:mod:`gis._proximity_kernels` holds what they share and the proofs' bound).
"""

from __future__ import annotations

import numpy as np
import pyproj
import shapely
from scipy.spatial import cKDTree

from ._geodesic import MAX_D_M
from ._geodesic_loops import series_constants
from ._nearestk_loops import rank_rings
from ._progress import track
from ._proximity_kernels import (_GRID_BLOCK, _RING_MAX, _RING_MIN_ORIGINS, TIE_TOLERANCE_M, _grid_prepass, _in_blocks,
                                 _lazy_tree, _pair_distance, _Pairs, _rank_candidates, _ring_sample, _target_rings,
                                 _workers)


#: Origins per chunk of :func:`_nearestk_points`: its (origins, candidates) work arrays stay in cache
#: (on large inputs, touching fresh memory costs more than the arithmetic).
_NEARESTK_CHUNK = 1 << 15


def _nearestk_points(
    oxy: np.ndarray, txy: np.ndarray, k: int, crs: pyproj.CRS, k_hi: float, limit: float | None,
    k_lo: float | None = None, origin_bounds: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """k nearest between point layers: a grid pre-pass (:func:`gis._proximity_kernels._grid_prepass`) or the rings
    of the targets' grid (:func:`_nearestk_rings`) settle most origins, the rest
    go chunk by chunk of origins through a k + 1 tree query (:func:`_nearestk_chunk`)."""
    n = len(oxy)
    tree = _lazy_tree(txy)
    pairs = _Pairs(oxy, txy, crs)
    pos = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k))
    tie = np.empty((n, k), dtype=bool)
    rest = None
    if origin_bounds is not None and k_lo is not None and limit is None and pairs.tt is not None:
        # the grid over the origins where many share a cell (its centre's contenders serve them all), else
        # the rings of the targets' grid
        rest = _grid_prepass(oxy, txy, tree, k, k_lo, k_hi, origin_bounds, pairs, pos, dist, tie)
        if rest is None:
            rest = _nearestk_rings(oxy, txy, k, k_lo, k_hi, pairs, pos, dist, tie)
    if rest is None or rest.size:
        _nearestk_tree(oxy, txy, tree(), k, crs, pairs, k_hi, limit, k_lo, pos, dist, tie, rest)
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
    d_all, j_all = tree.query(oxy, k=min(k + 1, len(txy)), workers=_workers(), distance_upper_bound=ub)
    for a in track(range(0, n, _NEARESTK_CHUNK), "计算 最近目标", unit="块"):
        b = min(n, a + _NEARESTK_CHUNK)
        _nearestk_chunk(oxy[a:b], txy, tree, k, crs, pairs.sub(a, b), k_hi, limit, pos[a:b], dist[a:b], tie[a:b],
                        first=(d_all[a:b], j_all[a:b]), k_lo=k_lo)
    if rows is not None:
        out_pos[rows], out_dist[rows], out_tie[rows] = pos, dist, tie


def _nearestk_rings(
    oxy: np.ndarray, txy: np.ndarray, k: int, k_lo: float, k_hi: float, pairs: _Pairs, pos: np.ndarray,
    dist: np.ndarray, tie: np.ndarray,
) -> np.ndarray | None:
    """Settle the k nearest of most origins from their k + 1 plane-nearest targets; return the positions left
    over (sorted), or ``None`` (no ring search: few origins, or the rings settle too few of a sample).

    The k + 1 plane-nearest come from rings of a grid over the targets
    (:func:`gis._nearestk_loops.rank_rings`, compiled, on threads); where each plane distance exceeds
    the one before it by more than the scale factor's spread allows, the plane order of the first k
    is their geodesic order, with no tie (the test of :func:`_nearestk_chunk`).
    """
    n, m = len(oxy), len(txy)
    if n < _RING_MIN_ORIGINS or m < 2:
        return None
    grid, tx, ty = _target_rings(txy)
    ratio = k_hi / k_lo * (1.0 + 1e-9)
    slack = TIE_TOLERANCE_M * k_hi * (1.0 + 1e-9)
    cst = series_constants(pairs.tm)

    def settle(x: np.ndarray, y: np.ndarray, terms: tuple[np.ndarray, ...], a: int, b: int,
               out: tuple[np.ndarray, ...]) -> np.ndarray:
        """Settle the origins ``a:b`` (compiled, without the GIL); return the rows left over."""
        left = np.empty(b - a, dtype=np.int64)
        got = rank_rings(a, b, k, x, y, tx, ty, grid.members, grid.start, grid.minx, grid.miny, grid.h, grid.nx,
                         grid.ny, _RING_MAX, ratio, slack, MAX_D_M, *terms, *pairs.tt, cst, *out, left)
        return left[:got]

    s = _ring_sample(n)
    scratch = (np.empty((len(s), k), dtype=np.int64), np.empty((len(s), k)), np.empty((len(s), k), dtype=bool))
    if 2 * settle(pairs.ox[s], pairs.oy[s], tuple(v[s] for v in pairs.ot), 0, len(s), scratch).size > len(s):
        return None  # the rings settle too few: the tree for all
    return _in_blocks(lambda a, b: settle(pairs.ox, pairs.oy, pairs.ot, a, b, (pos, dist, tie)), n, _GRID_BLOCK)


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
            d, j = tree.query(oxy[todo], k=q, workers=_workers() if todo.size > 8192 else 1, distance_upper_bound=ub)
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
