"""The shapes of isochrones: tapered corridor pieces (convex hulls of two disks) and their union, exact or on a grid.

An isochrone is the union of a few hundred heavily overlapping pieces; GEOS's exact union of them
(:func:`union_exact`) spends most of its time on boundaries that end up inside.  :func:`union_grids` counts the
pieces on a grid of cells for many isochrones at once (numpy only, no per-piece polygon): each piece marks where
its edges cross each row of cell centres (+1 on its left side, -1 past its right), a running sum along the rows
counts the pieces over each cell, in batches of about a million cells; the edges between filled and empty cells
are chained into rings (shells and holes of the 4-connected filled cells): the union at the cell size, its area
within a few tenths of a percent of the exact union's at the default cell size (bench/network.md states the
measured difference; tests/test_isochrone_shapes.py asserts it).
"""

from __future__ import annotations

import sys

import numpy as np
import shapely

#: cells across the radius of the origin's own disk (the largest time at access speed): the grid's cell size is
#: that radius / CELLS, independent of the network, so that a line added never removes a cell
CELLS = 50


def capsule_rings(c0: np.ndarray, r0: np.ndarray, c1: np.ndarray, r1: np.ndarray, *, k: int) -> np.ndarray:
    """Closed rings (n, 2k+3, 2) of the convex hulls of pairs of disks ``(c0, r0)``, ``(c1, r1)``, counter-clockwise.

    Each hull is the back arc of disk 0, the front arc of disk 1 (``k`` segments each) and the two outer
    tangents; where one disk holds the other, the bigger disk.
    """
    ring = np.empty((len(r0), 2 * k + 3, 2))
    _capsule_xy(c0, r0, c1, r1, k, ring[:, :, 0], ring[:, :, 1])
    return ring


def _capsule_xy(c0: np.ndarray, r0: np.ndarray, c1: np.ndarray, r1: np.ndarray, k: int, x: np.ndarray,
                y: np.ndarray) -> None:
    """The vertices of :func:`capsule_rings` into ``x`` and ``y`` (n, 2k+3): each arc's points turned from its first
    by rotations (two sines and cosines a hull instead of one a point)."""
    dx, dy = c1[:, 0] - c0[:, 0], c1[:, 1] - c0[:, 1]
    d = np.hypot(dx, dy)
    pos = d > 0
    safe = np.where(pos, d, 1.0)
    ux, uy = np.where(pos, dx / safe, 1.0), np.where(pos, dy / safe, 0.0)  # the direction from c0 to c1
    ca = np.clip((r0 - r1) / safe, -1.0, 1.0)
    alpha = np.arccos(ca)
    sa = np.sin(alpha)
    # back arc of disk 0: from theta + alpha, k steps of (2 pi - 2 alpha) / k; front arc of disk 1: from
    # theta - alpha, k steps of 2 alpha / k
    arcs = ((c0, r0, 0, ux * ca - uy * sa, uy * ca + ux * sa, (2 * np.pi - 2 * alpha) / k),
            (c1, r1, k + 1, ux * ca + uy * sa, uy * ca - ux * sa, 2 * alpha / k))
    for c, r, col, cs, sn, step in arcs:
        cb, sb = np.cos(step), np.sin(step)
        for j in range(col, col + k + 1):
            x[:, j] = c[:, 0] + r * cs
            y[:, j] = c[:, 1] + r * sn
            cs, sn = cs * cb - sn * sb, sn * cb + cs * sb
    nested = np.flatnonzero(d + np.minimum(r0, r1) <= np.maximum(r0, r1))
    if len(nested):  # only those: the bigger disk
        big0 = (r0[nested] >= r1[nested])[:, None]
        cb = np.where(big0, c0[nested], c1[nested])
        rb = np.where(big0[:, 0], r0[nested], r1[nested])[:, None]
        phi = np.linspace(0.0, 2 * np.pi, 2 * k + 2, endpoint=False)[None, :]
        cf, sf = np.cos(phi), np.sin(phi)
        unx, uny = ux[nested, None], uy[nested, None]
        x[nested, :-1] = cb[:, :1] + rb * (unx * cf - uny * sf)
        y[nested, :-1] = cb[:, 1:] + rb * (uny * cf + unx * sf)
    x[:, -1] = x[:, 0]
    y[:, -1] = y[:, 0]


def disk_rings(c: np.ndarray, r: np.ndarray, *, quad_segs: int) -> np.ndarray:
    """Closed rings (n, 4 quad_segs + 1, 2) of disks ``(c, r)``: the vertices GEOS gives a buffered point."""
    a = -2 * np.pi * np.arange(4 * quad_segs + 1) / (4 * quad_segs)
    ring = np.stack([c[:, :1] + r[:, None] * np.cos(a), c[:, 1:] + r[:, None] * np.sin(a)], axis=-1)
    ring[:, -1] = ring[:, 0]
    return ring


def union_exact(rings: list[np.ndarray]) -> shapely.Geometry:
    """GEOS's union of the pieces (arrays of closed rings, any count of vertices each)."""
    return shapely.union_all(np.concatenate([shapely.polygons(r) for r in rings if len(r)]))


def union_grid(rings: list[np.ndarray], *, cell: float) -> shapely.Geometry:
    """The union of convex pieces on a grid of ``cell`` metres: every cell whose centre a piece covers, as one polygon.

    The grid is aligned on multiples of the cell size, so a piece added never removes a cell.
    """
    rings = [r for r in rings if len(r)]
    return union_grids(rings, [np.zeros(len(r), np.int64) for r in rings], np.array([float(cell)]))[0]


def union_grids(rings: list[np.ndarray], groups: list[np.ndarray], cell: np.ndarray, *,
                capsules: tuple | None = None) -> np.ndarray:
    """The union of the convex rings of each group on its grid: every cell whose centre a ring covers.

    ``rings`` are arrays (n, m, 2) of closed convex rings (any m per array, either orientation), ``groups`` the
    group of each ring (``groups[f]`` of length ``len(rings[f])``), ``cell`` the cell size of each group's grid;
    ``capsules`` ``(c0, r0, c1, r1, group, k)`` adds the rings :func:`capsule_rings` gives (without building them).
    Grids are aligned on multiples of their cell size, so that a ring added never removes a cell.  Returns one
    polygon (or multipolygon, or empty polygon) per group, edges along the cells.

    Every ring marks, on each row of cells whose centre line it crosses, the first covered cell (+1) and the one
    past the last (-1) where its edges cross that line (half-open: a convex ring crosses each of its rows exactly
    twice, once on either side); the running sum along the rows counts the rings covering each cell.  The
    groups' grids are stacked in batches of about :data:`_BATCH` cells (groups of similar widths together), each
    block with an empty row and column around it.
    """
    cell = np.asarray(cell, dtype=float)
    n_groups = len(cell)
    out = np.full(n_groups, shapely.Polygon(), dtype=object)
    blocks = [(r, np.asarray(q, dtype=np.int64), r.shape[1]) for r, q in zip(rings, groups, strict=True) if len(r)]
    if capsules is not None and len(capsules[0]):
        blocks.append((capsules[:4], np.asarray(capsules[4], dtype=np.int64), 2 * capsules[5] + 3))
    if not blocks:
        return out
    # in cell units, cell (i, j) centred at (j, i), less a whole number of cells per group (a point of one of its
    # rings): small numbers, the same cells
    off = np.zeros((n_groups, 2))
    for r, q, _ in blocks:
        off[q] = np.floor((r[0] if isinstance(r, tuple) else r[:, 0, :]) / cell[q][:, None])
    ext, scaled = [], []
    for r, q, _ in blocks:
        o = 0.5 + off[q]
        if isinstance(r, tuple):  # the disks' extents (the hulls' vertices lie on their circles)
            c0, r0, c1, r1 = r
            k = cell[q]
            sc = (c0 / k[:, None] - o, r0 / k, c1 / k[:, None] - o, r1 / k)
            lo = np.minimum(sc[0] - sc[1][:, None], sc[2] - sc[3][:, None]) - _MARGIN
            hi = np.maximum(sc[0] + sc[1][:, None], sc[2] + sc[3][:, None]) + _MARGIN
        else:
            sc = r / cell[q][:, None, None] - o[:, None, :]
            lo, hi = sc.min(axis=1), sc.max(axis=1)
        scaled.append(sc)
        ext.append(np.c_[lo, hi])
    ext = np.concatenate(ext)
    g = np.concatenate([q for _, q, _ in blocks])
    # each group's cells: rows ceil(min y) <= i < ceil(max y) of its rings, columns with a margin (a crossing
    # interpolated along an edge may round past the vertices' extent)
    lo, hi = np.ceil(ext[:, 1]).astype(np.int64), np.ceil(ext[:, 3]).astype(np.int64)
    left = np.ceil(ext[:, 0] - _MARGIN).astype(np.int64)
    right = np.floor(ext[:, 2] + _MARGIN).astype(np.int64) + 1
    used = hi > lo
    big = np.iinfo(np.int64).max
    rmin, rmax = np.full(n_groups, big), np.full(n_groups, -big)
    cmin, cmax = rmin.copy(), rmax.copy()
    np.minimum.at(rmin, g[used], lo[used])
    np.maximum.at(rmax, g[used], hi[used])
    np.minimum.at(cmin, g[used], left[used])
    np.maximum.at(cmax, g[used], right[used])
    some = np.flatnonzero(rmax > rmin)
    height, width = np.zeros(n_groups, np.int64), np.zeros(n_groups, np.int64)
    height[some], width[some] = rmax[some] - rmin[some], cmax[some] - cmin[some]
    # batches of groups of similar widths, each about _BATCH cells; each block's rings by batch
    some = some[np.argsort(width[some], kind="stable")]
    cells = (height[some] + 1) * (width[some] + 2)
    batch = np.zeros(n_groups, np.int64)
    batch[some] = (np.cumsum(cells) - cells) // _BATCH
    n_batches = int(batch.max()) + 1
    order, cuts = [], []
    for _, q, _ in blocks:
        bq = batch[q]
        order.append(np.argsort(bq.astype(np.int16) if n_batches < 2 ** 15 else bq, kind="stable"))
        cuts.append(np.searchsorted(bq[order[-1]], np.arange(n_batches + 1)))
    for b in range(n_batches):
        gs = some[batch[some] == b]
        top = np.zeros(n_groups, np.int64)
        h = height[gs]
        top[gs] = 1 + np.cumsum(h + 1) - (h + 1)
        n_rows, w = int(top[gs[-1]] + h[-1] + 1), -(-(int(width[gs].max()) + 2) // 8) * 8  # whole words
        size = n_rows * w
        marks = []
        for (r, q, m), sc, od, cu in zip(blocks, scaled, order, cuts, strict=True):
            idx = od[cu[b]:cu[b + 1]]
            if len(idx) == 0:
                continue
            # the rings' vertices, vertex-major (vertex j of ring i at [j, i])
            if isinstance(r, tuple):
                x, y = np.empty((m, len(idx))), np.empty((m, len(idx)))
                _capsule_xy(sc[0][idx], sc[1][idx], sc[2][idx], sc[3][idx], capsules[5], x.T, y.T)
            else:
                x, y = np.ascontiguousarray(sc[idx, :, 0].T), np.ascontiguousarray(sc[idx, :, 1].T)
            marks.append(_ring_marks(x, y, q[idx], top, rmin, cmin, w, size))
        count = np.bincount(np.concatenate(marks), minlength=2 * size)
        count = count[:size] - count[size:]
        np.cumsum(count, out=count)
        # stacked grid line (X, Y) -> the group's coordinates
        out[gs] = _cells_polygons((count > 0).reshape(n_rows, w), top[gs], h, (cmin[gs] - 1 + off[gs, 0]) * cell[gs],
                                  (rmin[gs] - top[gs] + off[gs, 1]) * cell[gs], cell[gs])
    return out


def _ring_marks(x: np.ndarray, y: np.ndarray, q: np.ndarray, top: np.ndarray, rmin: np.ndarray, cmin: np.ndarray,
                w: int, size: int) -> np.ndarray:
    """The marks of closed convex rings (vertex j of ring i at ``x[j, i]``, ``y[j, i]``, cell units) of groups ``q``
    in a stacked mask of ``size`` cells, ``w`` columns wide (group block from row ``top``, grid row ``rmin``,
    column ``cmin``): flat indices of the +1 marks, and of the -1 marks plus ``size``.

    Each edge (vertex j to j + 1) crosses rows first to first + n - 1 (``ceil(min y) <= i < ceil(max y)``); a
    counter-clockwise ring's edges going down are its left side (the first covered cell), going up its right side
    (the past-the-last).  A mark is the crossing plus its row's flat start, one row up per step, in one float
    (exact to a few units in the last place of twice the mask's size); the first cell is ceil(x - eps), the
    past-the-last ceil(x + eps): the first never passes the past-the-last whatever the rounding (a cell within eps
    of a ring's edge counts as covered).
    """
    eps = max(_EPS, size * 2.0 ** -43)
    ccw = (x[:-1] * y[1:] - x[1:] * y[:-1]).sum(axis=0) > 0
    xa, ya, xb, yb = x[:-1], y[:-1], x[1:], y[1:]
    first = np.minimum(ya, yb)
    np.ceil(first, out=first)
    n = np.maximum(ya, yb)
    np.ceil(n, out=n)
    n -= first
    with np.errstate(divide="ignore", invalid="ignore"):  # edges along a row: no crossing (n = 0), no marks
        slope = (xb - xa) / (yb - ya)
    x0 = first - ya
    x0 *= slope
    x0 += xa
    x0 += first * w + ((top[q] - rmin[q]) * w - cmin[q] + 1)
    x0 += np.where((yb < ya) == ccw, -eps, size + eps)
    slope += w
    return _marks(n.astype(np.int64).ravel(), x0.ravel(), slope.ravel())


#: cells per batch of :func:`union_grids` (its counts and masks stay in the processor's caches and the memory
#: already mapped)
_BATCH = 1 << 20

#: cells within this fraction of a cell of a ring's edge count as covered (more on grids of over 2e7 cells; see
#: :func:`union_grids`); the grids' extents take a wider margin
_EPS, _MARGIN = 1e-6, 0.01


def _marks(n: np.ndarray, x0: np.ndarray, step: np.ndarray) -> np.ndarray:
    """``ceil(x0 + k step)`` for k = 0 .. n - 1 of each element, as integers, element after element."""
    total = int(n.sum())
    it = np.int32 if total < 2 ** 31 else np.int64
    k = np.arange(total, dtype=it) - np.repeat((np.cumsum(n) - n).astype(it), n)
    x = np.repeat(x0, n)
    x += k * np.repeat(step, n)
    return np.ceil(x, out=x).astype(np.int64)


def _set_bytes(words: np.ndarray) -> np.ndarray:
    """Positions of the non-zero bytes of an array of little-endian 64-bit words (few are set: boundaries)."""
    at = np.flatnonzero(words)
    r, c = np.nonzero(words[at].view(np.uint8).reshape(-1, 8))
    return at[r] * 8 + c


def _flatnonzero(a: np.ndarray) -> np.ndarray:
    """``np.flatnonzero`` of a contiguous 1-d array of bytes, eight at a time (few are set: boundaries)."""
    n8 = len(a) // 8 * 8
    b = a[:n8].view(np.uint8)
    words = np.flatnonzero(b.view(np.uint64))
    r, c = np.nonzero(b.reshape(-1, 8)[words])
    out = words[r] * 8 + c
    return np.r_[out, n8 + np.flatnonzero(a[n8:])] if n8 < len(a) else out


def _runs(d: np.ndarray) -> tuple[np.ndarray, ...]:
    """Edges ``d`` (-1, 0, +1 by row and column) merged along columns into runs: row, first column, past-the-last
    column and sign of each run."""
    i, j = np.nonzero(d)
    sign = d[i, j]
    new = np.r_[True, (i[1:] != i[:-1]) | (j[1:] != j[:-1] + 1) | (sign[1:] != sign[:-1])]
    first = np.flatnonzero(new)
    last = np.r_[first[1:], len(i)] - 1
    return i[first], j[first], j[last] + 1, sign[first]


def _cycles(nxt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cycles of the permutation ``nxt``: every element in cycle order, cycle after cycle, and the number of
    each cycle (0, 1, ... in that order) for every element."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import depth_first_order

    n = len(nxt)
    # each cycle's smallest element (pointer jumping: the smallest over 2, 4, 8 ... elements ahead)
    head, p = np.arange(n), nxt
    while True:
        new = np.minimum(head, head[p])
        if (new == head).all():
            break
        head, p = new, p[p]
    heads = np.flatnonzero(head == np.arange(n))
    # a depth-first walk from a root joined to each cycle's smallest element walks each cycle in order
    graph = csr_matrix((np.ones(n + len(heads), np.int8), np.r_[nxt, heads], np.r_[np.arange(n + 1), n + len(heads)]),
                       shape=(n + 1, n + 1))
    seq = depth_first_order(graph, n, directed=True, return_predecessors=False)[1:]
    of = np.empty(n, np.int64)
    of[seq] = np.cumsum(head[seq] == seq) - 1
    return seq, of


#: the cell on the left of a boundary edge going in direction d (+x, +y, -x, -y) just before its end vertex
#: (X, Y), and the cell diagonally across that vertex, as (row, column) offsets from (Y, X)
_LEFT = np.array([[0, -1], [-1, -1], [-1, 0], [0, 0]])
_ACROSS = np.array([[-1, 0], [0, 0], [0, -1], [-1, -1]])


def _cells_polygons(mask: np.ndarray, top: np.ndarray, height: np.ndarray, xo: np.ndarray, yo: np.ndarray,
                    cell: np.ndarray) -> np.ndarray:
    """The filled cells of each block of rows of ``mask`` as a polygon: the cell edges between filled and empty.

    Block ``g`` is rows ``top[g]`` to ``top[g] + height[g] - 1``, with an empty row and column around it; its
    grid line (X, Y) is at ``(xo[g] + X cell[g], yo[g] + Y cell[g])``.  The edges are merged into straight runs and
    chained into rings with the filled cells on their left (shells counter-clockwise, holes clockwise).  Where
    two filled cells meet only at a corner, the rings pass through it keeping them apart unless they are
    connected elsewhere (then the corner separates a hole): the polygons are those of the 4-connected filled
    cells, valid as OGC polygons.
    """
    n_groups = len(top)
    out = np.full(n_groups, shapely.Polygon(), dtype=object)
    if mask.shape[1] % 8:  # rows of whole words (more empty columns)
        mask = np.pad(mask, ((0, 0), (0, -mask.shape[1] % 8)))
    n_rows, w = mask.shape
    flat = np.ascontiguousarray(mask, dtype=bool).reshape(-1)
    # the cells that differ from the one below (horizontal edges) and from the next (vertical edges), eight at a
    # time (the bytes of a little-endian word: the next cell is the next byte up)
    words = flat.view(np.uint64)
    nxt = words >> np.uint64(8)
    nxt[:-1] |= words[1:] << np.uint64(56)
    if sys.byteorder == "little":
        q, p = _set_bytes(words[w // 8:] ^ words[:-(w // 8)]), _set_bytes(words ^ nxt)
    else:
        q, p = _flatnonzero(flat[w:] ^ flat[:-w]), _flatnonzero(flat[1:] ^ flat[:-1])
    # horizontal edges at y = i + 1 (between rows i and i + 1): +1 filled above (a bottom edge, going +x), -1
    # filled below (going -x); unit edges in row-major order, merged into runs
    hi_, hj = np.divmod(q, w)
    hs = np.where(flat[q + w], 1, -1)
    new = np.r_[True, (q[1:] != q[:-1] + 1) | (hs[1:] != hs[:-1])]
    run_of_unit = np.cumsum(new) - 1
    f = np.flatnonzero(new)
    j0, j1, s = hj[f], hj[np.r_[f[1:], len(q)] - 1] + 1, hs[f]
    hx0, hx1 = np.where(s > 0, j0, j1), np.where(s > 0, j1, j0)
    hy = hi_[f] + 1
    # vertical edges at x = j + 1 (between columns j and j + 1): +1 filled on the right (a left edge, going -y),
    # -1 filled on the left (going +y); merged along the columns
    vi, vj = np.divmod(p, w)
    vs = np.where(flat[p + 1], 1, -1)
    by_col = np.argsort(vj.astype(np.int16) if w < 2 ** 15 else vj, kind="stable")  # rows stay in order
    vi, vj, vs = vi[by_col], vj[by_col], vs[by_col]
    new = np.r_[True, (vj[1:] != vj[:-1]) | (vi[1:] != vi[:-1] + 1) | (vs[1:] != vs[:-1])]
    f = np.flatnonzero(new)
    i0, i1, s2 = vi[f], vi[np.r_[f[1:], len(vi)] - 1] + 1, vs[f]
    vy0, vy1 = np.where(s2 < 0, i0, i1), np.where(s2 < 0, i1, i0)
    vx = vj[f] + 1
    xs, ys = np.r_[hx0, vx], np.r_[hy, vy0]
    xe, ye = np.r_[hx1, vx], np.r_[hy, vy1]
    d = np.r_[np.where(s > 0, 0, 2), np.where(s2 < 0, 1, 3)]
    n = len(d)
    if n == 0:
        return out
    # the edges leaving each edge's end vertex: one, or two where two filled cells meet at that corner
    key = (ys * w + xs) * 4 + d
    order = np.argsort(key)
    skey = key[order]
    end = (ye * w + xe) * 4
    pos = np.searchsorted(skey, end)
    pos1 = np.minimum(pos + 1, n - 1)
    out1 = np.where(skey[np.minimum(pos, n - 1)] // 4 == end // 4, order[np.minimum(pos, n - 1)], -1)
    out2 = np.where((skey[pos1] // 4 == end // 4) & (pos1 > pos), order[pos1], -1)
    if (out1 < 0).any():  # cannot happen on a mask with an empty border; GEOS as a fallback
        return _fallback(mask, top, height, xo, yo, cell, out)
    saddle = out2 >= 0
    # at a corner, turning left keeps the cell on the left apart from the one across, turning right joins them
    is_right1 = d[out1] == (d + 3) % 4
    right = np.where(is_right1, out1, np.where(saddle, out2, -1))
    left = np.where(~is_right1, out1, np.where(saddle, out2, -1))
    nxt = np.where(saddle | (right < 0), left, right)
    seq, ring_of = _cycles(nxt)
    if saddle.any():
        # kept apart everywhere, each ring bounds one 4-connected set of filled cells (and one 8-connected set of
        # empty ones): the two cells at a corner are connected elsewhere exactly when their two edges into it lie
        # on one ring; there the rings join them, the corner separating a hole.  Joining at a corner reached at
        # positions p1 < p2 of a ring's walk cuts the walk p1 + 1 .. p2 out as a ring of its own; the cuts of one
        # ring nest (they all pass through its filled side), so each edge goes to the innermost cut holding it
        sd = np.flatnonzero(saddle)
        sd = sd[np.argsort(end[sd], kind="stable")]
        e1, e2 = sd[0::2], sd[1::2]
        join = ring_of[e1] == ring_of[e2]
        if join.any():
            pos = np.empty(n, np.int64)
            pos[seq] = np.arange(n)
            p1, p2 = pos[e1[join]], pos[e2[join]]
            a, b = np.minimum(p1, p2) + 1, np.maximum(p1, p2) + 1
            cycle = ring_of[seq]
            n0 = int(cycle[-1]) + 1
            for t in np.argsort(a - b, kind="stable"):  # the longest cuts first, the ones they hold after
                cycle[a[t]:b[t]] = n0 + t
            order = np.argsort(cycle, kind="stable")
            seq, cycle = seq[order], cycle[order]
            ring_of[seq] = np.cumsum(np.r_[True, cycle[1:] != cycle[:-1]]) - 1
    n_rings = int(ring_of[seq[-1]]) + 1
    area2 = np.bincount(ring_of, weights=xs * ye - xe * ys, minlength=n_rings)
    hole = area2 < 0
    # each hole to its shell: the filled cell above a hole's topmost edge belongs to the hole's component; the
    # nearest edge above it in its column lies on a ring of that component whose top is higher: follow those
    # links up to the component's shell
    parent = np.arange(n_rings)
    nh = len(hx0)
    if hole.any():
        top_edge = np.full(n_rings, n)
        np.minimum.at(top_edge, ring_of[:nh], np.arange(nh))  # horizontal edges come in row-major order
        hr = np.flatnonzero(hole)
        te = top_edge[hr]
        by_col = np.argsort(hj.astype(np.int16) if w < 2 ** 15 else hj, kind="stable")
        ckey = hj[by_col] * n_rows + hi_[by_col]
        at = np.searchsorted(ckey, np.minimum(hx0[te], hx1[te]) * n_rows + hy[te] - 1) - 1
        parent[hr] = ring_of[run_of_unit[by_col[at]]]
        while True:
            up = parent[parent]
            if (up == parent).all():
                break
            parent = up
    comp = parent
    head_of = seq[np.r_[0, np.flatnonzero(np.diff(ring_of[seq])) + 1]]  # first edge of each ring
    group = np.searchsorted(top, ys[head_of], side="right") - 1
    r_seq = ring_of[seq]
    gx, gy, gc = xo[group][r_seq], yo[group][r_seq], cell[group][r_seq]
    coords = np.c_[gx + xs[seq] * gc, gy + ys[seq] * gc]
    rings = shapely.linearrings(coords, indices=r_seq)
    by = np.lexsort((hole, comp))  # per component: its shell, then its holes
    first_of = np.r_[True, comp[by][1:] != comp[by][:-1]]
    poly_of = np.cumsum(first_of) - 1
    polys = shapely.polygons(rings[by], indices=poly_of)
    poly_group = group[by][first_of]
    counts = np.bincount(poly_group, minlength=n_groups)
    one = counts[poly_group] == 1
    out[poly_group[one]] = polys[one]
    many = ~one
    if many.any():
        gm = poly_group[many]
        ids, dense = np.unique(gm, return_inverse=True)
        out[ids] = shapely.multipolygons(polys[many], indices=dense)
    return out


def _fallback(mask: np.ndarray, top: np.ndarray, height: np.ndarray, xo: np.ndarray, yo: np.ndarray,
              cell: np.ndarray, out: np.ndarray, only: np.ndarray | None = None) -> np.ndarray:
    """GEOS's build_area of the cell edges of the blocks ``only`` (all by default) of :func:`_cells_polygons`."""
    for g in range(len(top)) if only is None else only:
        block = mask[top[g] - 1:top[g] + height[g] + 1]
        m = block.astype(np.int8)
        i, j0, j1, _ = _runs(m[1:] - m[:-1])
        h = np.stack([np.c_[j0, i + 1], np.c_[j1, i + 1]], axis=1)
        j, i0, i1, _ = _runs((m[:, 1:] - m[:, :-1]).T)
        v = np.stack([np.c_[j + 1, i0], np.c_[j + 1, i1]], axis=1)
        segs = np.concatenate([h, v]).astype(float) * cell[g] + np.array([xo[g], yo[g] + (top[g] - 1) * cell[g]])
        out[g] = shapely.build_area(shapely.multilinestrings(shapely.linestrings(segs))) if len(segs) else \
            shapely.Polygon()
    return out
