"""The pairs within a distance of :mod:`gis.proximity` (points): chunks of origins on threads, ordered once.

Part of the proximity kernels (:mod:`gis._proximity_kernels` holds what they share and the proofs' bound).
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Optional

import numpy as np
import pyproj
from scipy.spatial import cKDTree

from ._geodesic import (MAX_D_M, TMScale, geodesic_distance, outside_domain, reference_terms, sampled_tm_scale,
                        segment_lengths)
from ._geodesic_loops import series_constants
from ._progress import track
from ._proximity_kernels import _threads
from ._within_loops import pairs_within, target_grid


#: A chunk's pairs: origins (counted from the chunk's first), targets, geodesic lengths; ``None``: none.
_Found = Optional[tuple[np.ndarray, np.ndarray, np.ndarray]]

#: Pairs per chunk of origins in :func:`_within_points` (about; fewer chunks cost scipy's dual-tree walk less) ...
_WITHIN_CHUNK_PAIRS = 1 << 18
#: ... and per block of its element-wise work (the geodesic correction), whose arrays stay in cache.
_WITHIN_BLOCK = 1 << 16
#: Most origins per chunk (where each has few pairs): larger trees of origins walk no faster.
_WITHIN_CHUNK_ORIGINS = 1 << 14


def _within_points(oxy: np.ndarray, txy: np.ndarray, radius: float, reach: float, crs: pyproj.CRS, *,
                   k_lo: float, sort: bool, nan_column: bool = False,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Pairs of points within ``radius`` geodesic metres, in origin order, written once.

    Origins are taken in chunks of consecutive positions, several chunks at once on
    threads.  Where the CRS is Transverse Mercator and every point lies within the series'
    domain (Liuzhou's layers in the analysis CRS), a chunk is one compiled loop
    (:func:`gis._within_loops.pairs_within`, no GIL): each origin scans a grid of the
    targets within ``reach``, corrects each candidate's plane length to its geodesic one
    and orders its pairs by (distance, target), into buffers each thread reuses.
    Otherwise a chunk is one ``cKDTree.sparse_distance_matrix`` against the targets'
    tree, its pairs corrected (:func:`geodesic_distance`), filtered and (with ``sort``)
    ordered by (origin, distance, target) while they are in cache (:func:`_chunk_order`).
    Either way the chunk's pairs are then written straight into the result arrays at the
    place the chunks before it leave (:class:`_PairSink`: the chunks claim their rows in
    origin order, then write at the same time).  The pairs of all origins are never
    sorted together.  The result arrays are reserved for the number of pairs estimated
    from a sample of origins (pages never written cost no memory) and grown if that
    falls short.  A plane length ``d`` has geodesic length at most ``d / k_lo``: pairs
    under ``radius * k_lo`` need no comparison with the radius.

    Returns the origins' and targets' positions and the distances, and with ``nan_column`` a
    fourth array of as many NaN (the result's unknown uncertainty), filled by the chunks as they
    write their rows (else ``None``): filling fresh pages costs as much as writing the pairs.
    """
    n = len(oxy)
    tm = sampled_tm_scale(crs, oxy[:, 0], oxy[:, 1])
    sample = slice(None, None, max(1, n // 1024))  # a sample of origins for the number of pairs to expect
    inside = radius * k_lo  # every plane length up to this is within the radius geodesically
    # each point's terms of the series (offset from the meridian, 1/k) once, gathered per pair
    oterms = None if tm is None else reference_terms(tm, oxy[:, 0])
    tterms = None if tm is None else reference_terms(tm, txy[:, 0])
    # every point within the series' domain and every pair short enough: no block needs checking
    check = tm is None or reach > MAX_D_M or outside_domain(tm, oterms[0]) or outside_domain(tm, tterms[0])

    if check:
        ttree = cKDTree(txy)
        counts = ttree.query_ball_point(oxy[sample], reach, return_length=True)
        per_origin = float(counts.mean()) if len(counts) else 0.0
        pairs_of = _tree_pairs(oxy, txy, ttree, radius, reach, inside, crs, tm, oterms, tterms)
    else:  # the compiled loop: pairs found, corrected and ordered per origin in one pass
        start, members, *cells = target_grid(txy[:, 0], txy[:, 1], reach)
        # the targets' coordinates and terms in the grid's order: each cell's a contiguous run
        tcols = [np.ascontiguousarray(v[members]) for v in (txy[:, 0], txy[:, 1], *tterms)]
        cst = series_constants(tm)
        ox, oy = np.ascontiguousarray(oxy[:, 0]), np.ascontiguousarray(oxy[:, 1])
        local = threading.local()  # each thread's buffers, reused chunk after chunk (their pages stay mapped)

        def found(x: np.ndarray, y: np.ndarray, terms: tuple[np.ndarray, ...], a: int, b: int, need: int,
                  order: bool) -> int:
            """The pairs of origins ``a:b`` in this thread's buffers (grown as needed); their number."""
            buf = getattr(local, "buf", None)
            while True:
                if buf is None or len(buf[2]) < need:
                    buf = local.buf = (np.empty(need, dtype=np.int64), np.empty(need, dtype=np.int64), np.empty(need))
                got = pairs_within(a, b, x, y, *terms, *tcols, start, members, *cells, reach, radius, inside, cst,
                                   order, *buf)
                if got >= 0:
                    return got
                need, buf = 2 * len(buf[2]), None  # more pairs than the sample promised: again, with room

        picked = (ox[sample], oy[sample], *(v[sample] for v in oterms))
        per_origin = found(*picked[:2], picked[2:], 0, len(picked[0]), 1 << 16, False) / max(len(picked[0]), 1)

        def pairs_of(a: int, b: int) -> _Found:
            got = found(ox, oy, oterms, a, b, int(per_origin * (b - a) * 1.25) + 1024, sort)
            buf = local.buf
            return (buf[0][:got], buf[1][:got], buf[2][:got]) if got else None

    chunk = int(min(n, _WITHIN_CHUNK_ORIGINS, max(64, _WITHIN_CHUNK_PAIRS / max(per_origin, 1.0))))
    sink = _PairSink(int(per_origin * n * 1.05) + 4096, nan_column=nan_column)

    def run(number: int, a: int) -> None:
        b = min(n, a + chunk)
        got = order = None
        try:
            got = pairs_of(a, b)
            if got is not None and sort and check:
                order = _chunk_order(got[0], got[2], b - a)
        finally:  # every chunk claims its rows (none if it failed), or the chunks after it would wait forever
            out_i, out_j, out_s, out_nan, part = sink.claim(number, 0 if got is None else len(got[2]))
        try:
            if got is not None:
                if out_nan is not None:
                    out_nan[part] = np.nan
                i, j, s = got
                if order is None:
                    out_i[part], out_j[part], out_s[part] = i, j, s
                    out_i[part] += a
                else:
                    _write_ordered(order, i, j, s, a, out_i[part], out_j[part], out_s[part])
        finally:
            sink.release()

    starts = range(0, n, chunk)
    threads = min(len(starts), _threads())
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


def _tree_pairs(oxy: np.ndarray, txy: np.ndarray, ttree: cKDTree, radius: float, reach: float, inside: float,
                crs: pyproj.CRS, tm: TMScale | None, oterms: tuple[np.ndarray, np.ndarray] | None,
                tterms: tuple[np.ndarray, np.ndarray] | None) -> Callable[[int, int], _Found]:
    """``pairs_of(a, b)`` of :func:`_within_points` by scipy's dual-tree walk (any CRS, any point): unordered."""

    def pairs_of(a: int, b: int) -> _Found:
        pairs = cKDTree(oxy[a:b], balanced_tree=False).sparse_distance_matrix(ttree, reach, output_type="ndarray")
        if len(pairs) == 0:
            return None
        i, j, d = pairs["i"], pairs["j"], pairs["v"]
        s = None if tm is None else _corrected(d, i, j, (oterms[0][a:b], oterms[1][a:b]), tterms, tm)
        if s is None:  # not Transverse Mercator, or pairs beyond the series' domain
            s = geodesic_distance(oxy[a + i, 0], oxy[a + i, 1], txy[j, 0], txy[j, 1], crs)
        if d.max() > inside:
            keep = s <= radius
            if not keep.all():
                i, j, s = i[keep], j[keep], s[keep]
        return (i, j, s) if len(s) else None

    return pairs_of


def _corrected(d: np.ndarray, i: np.ndarray, j: np.ndarray, oterms: tuple[np.ndarray, np.ndarray],
               tterms: tuple[np.ndarray, np.ndarray], tm: TMScale) -> np.ndarray | None:
    """Geodesic lengths of the plane lengths ``d`` from origin ``i`` to target ``j`` (at the reference latitude).

    ``oterms`` / ``tterms``: the points' ``(X, 1/k)`` (:func:`~gis._geodesic.reference_terms`), gathered
    per pair, block by block of ``_WITHIN_BLOCK`` pairs, so the series' work arrays stay in cache
    however large the chunk.  The lengths of :func:`~gis._geodesic.geodesic_from_plane` bit for bit;
    ``None`` where it gives ``None`` (a pair too long, or a point beyond the series' domain).
    """
    k = len(d)
    s = np.empty(k)
    y0 = np.zeros(1)
    for p in range(0, k, _WITHIN_BLOCK):
        q = min(k, p + _WITHIN_BLOCK)
        dd, ib, jb = d[p:q], i[p:q], j[p:q]
        X1, X2 = oterms[0][ib], tterms[0][jb]
        if dd.max() > MAX_D_M or outside_domain(tm, X1) or outside_domain(tm, X2):
            return None
        segment_lengths(dd, X1, y0, oterms[1][ib], X2, y0, tterms[1][jb], tm, out=s[p:q])
    return s


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

    def __init__(self, capacity: int, *, nan_column: bool = False) -> None:
        self.capacity = capacity
        self.arrays: tuple[np.ndarray, ...] = (np.empty(capacity, dtype=np.int64), np.empty(capacity, dtype=np.int64),
                                               np.empty(capacity), *((np.empty(capacity),) if nan_column else ()))
        self.filled = 0
        self._turn = 0  # the chunk whose turn it is to claim
        self._writing = 0  # chunks that claimed and still write
        self._aborted = False
        self._cond = threading.Condition()

    def claim(self, number: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, slice]:
        """Rows ``filled .. filled + k`` for chunk ``number``, once every chunk before it has claimed.

        The arrays: origins, targets, distances and the NaN column (``None`` without one).
        """
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
            i, j, s, *nan = self.arrays
            return i, j, s, (nan[0] if nan else None), slice(start, start + k)

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

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """The rows written (and the NaN column, or ``None``); copied if far fewer than reserved (do not hold the
        reservation)."""
        filled = self.filled
        if filled < self.capacity // 2:
            out = [v[:filled].copy() for v in self.arrays]
        else:
            out = [v[:filled] for v in self.arrays]
        return out[0], out[1], out[2], (out[3] if len(out) > 3 else None)


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
