"""The shapes of isochrones: tapered corridor pieces (convex hulls of two disks) and their union, exact or on a grid.

An isochrone is the union of a few hundred heavily overlapping pieces; GEOS's exact union of them
(:func:`union_exact`) spends most of its time on boundaries that end up inside.  :func:`union_grids` fills the
pieces' exact scan-line spans into a grid of cells for many isochrones at once (numpy only, no per-piece polygon),
and chains the edges between filled and empty cells into rings (shells and holes of the 4-connected filled
cells): the union at the cell size, its area within a few tenths of a percent of the exact union's at the default
cell size (bench/network.md states the measured difference; tests/test_isochrone_shapes.py asserts it).
"""

from __future__ import annotations

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
    d = np.hypot(c1[:, 0] - c0[:, 0], c1[:, 1] - c0[:, 1])
    theta = np.arctan2(c1[:, 1] - c0[:, 1], c1[:, 0] - c0[:, 0])
    alpha = np.arccos(np.clip((r0 - r1) / np.where(d > 0, d, 1.0), -1.0, 1.0))[:, None]
    s = np.linspace(0.0, 1.0, k + 1)[None, :]
    a0 = theta[:, None] + alpha + s * (2 * np.pi - 2 * alpha)  # back arc of disk 0
    a1 = theta[:, None] - alpha + s * (2 * alpha)  # front arc of disk 1
    ring = np.empty((len(d), 2 * k + 3, 2))
    ring[:, :k + 1, 0] = c0[:, :1] + r0[:, None] * np.cos(a0)
    ring[:, k + 1:-1, 0] = c1[:, :1] + r1[:, None] * np.cos(a1)
    ring[:, :k + 1, 1] = c0[:, 1:] + r0[:, None] * np.sin(a0)
    ring[:, k + 1:-1, 1] = c1[:, 1:] + r1[:, None] * np.sin(a1)
    nested = np.flatnonzero(d + np.minimum(r0, r1) <= np.maximum(r0, r1))
    if len(nested):  # only those: the bigger disk
        big0 = (r0[nested] >= r1[nested])[:, None]
        cb = np.where(big0, c0[nested], c1[nested])
        rb = np.where(big0[:, 0], r0[nested], r1[nested])[:, None]
        full = theta[nested, None] + np.linspace(0.0, 2 * np.pi, 2 * k + 2, endpoint=False)[None, :]
        ring[nested, :-1, 0] = cb[:, :1] + rb * np.cos(full)
        ring[nested, :-1, 1] = cb[:, 1:] + rb * np.sin(full)
    ring[:, -1] = ring[:, 0]
    return ring


def disk_rings(c: np.ndarray, r: np.ndarray, *, quad_segs: int) -> np.ndarray:
    """Closed rings (n, 4 quad_segs + 1, 2) of disks ``(c, r)``: the vertices GEOS gives a buffered point."""
    a = -2 * np.pi * np.arange(4 * quad_segs + 1) / (4 * quad_segs)
    ring = np.stack([c[:, :1] + r[:, None] * np.cos(a), c[:, 1:] + r[:, None] * np.sin(a)], axis=-1)
    ring[:, -1] = ring[:, 0]
    return ring


def union_exact(rings: list[np.ndarray]) -> shapely.Geometry:
    """GEOS's union of the pieces (arrays of closed rings, any count of vertices each)."""
    return shapely.union_all(np.concatenate([shapely.polygons(r) for r in rings if len(r)]))


def _spans(rings: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    """The cells whose centres each convex ring covers, row by row.

    ``rings`` are arrays (n, m, 2) of closed convex rings in cell units, cell ``(i, j)`` centred at ``(j, i)``;
    rings are numbered across the arrays in order.  Returns ``(lo_row, height, c0, c1)``: each ring's first row
    and count of rows, and for each of these rows (ring by ring) the first and past-the-last column covered
    (``c1 == c0`` where a row holds no cell centre).
    """
    a = np.concatenate([r[:, :-1].reshape(-1, 2) for r in rings])
    b = np.concatenate([r[:, 1:].reshape(-1, 2) for r in rings])
    pid = np.concatenate([np.repeat(np.arange(len(r)), r.shape[1] - 1) + sum(len(q) for q in rings[:f])
                          for f, r in enumerate(rings)])
    lo_row = np.concatenate([np.ceil(r[:, :, 1].min(axis=1)) for r in rings]).astype(np.int64)
    height = np.maximum(np.concatenate([np.ceil(r[:, :, 1].max(axis=1)) for r in rings]).astype(np.int64) - lo_row, 0)
    # rows i with ceil(min y) <= i < ceil(max y) of an edge cross it (half-open: a convex ring crosses each of its
    # rows exactly twice, once going up and once going down); each crossing goes to its side of its ring's row
    first = np.ceil(np.minimum(a[:, 1], b[:, 1]))
    n = np.maximum(np.ceil(np.maximum(a[:, 1], b[:, 1])) - first, 0).astype(np.int64)
    crossing = n > 0
    a, b, first, n, pid = a[crossing], b[crossing], first[crossing], n[crossing], pid[crossing]
    slope = (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
    x_first = a[:, 0] + (first - a[:, 1]) * slope
    total = int(height.sum())
    base = np.cumsum(height) - height
    slot0 = base[pid] + first.astype(np.int64) - lo_row[pid] + np.where(b[:, 1] > a[:, 1], total, 0)
    # int32 indices where they fit (half the memory traffic of the repeats)
    it = np.int32 if 2 * total < 2 ** 31 else np.int64
    n = n.astype(it)
    k = np.arange(int(n.sum()), dtype=it) - np.repeat((np.cumsum(n) - n).astype(it), n)
    side = np.full(2 * total, np.nan)
    side[np.repeat(slot0.astype(it), n) + k] = np.repeat(x_first, n) + k * np.repeat(slope, n)
    lo, hi = np.fmin(side[:total], side[total:]), np.fmax(side[:total], side[total:])
    if np.isnan(lo).any():  # cannot happen (each row is crossed twice); no cell rather than a wrong one
        lo, hi = np.nan_to_num(lo, nan=0.0), np.nan_to_num(hi, nan=-1.0)
    c0 = np.ceil(lo).astype(np.int64)
    return lo_row, height, c0, np.maximum(np.floor(hi).astype(np.int64) + 1, c0)


def union_grid(rings: list[np.ndarray], *, cell: float) -> shapely.Geometry:
    """The union of convex pieces on a grid of ``cell`` metres: every cell whose centre a piece covers, as one polygon.

    The grid is aligned on multiples of the cell size, so a piece added never removes a cell.
    """
    rings = [r for r in rings if len(r)]
    return union_grids(rings, [np.zeros(len(r), np.int64) for r in rings], np.array([float(cell)]))[0]


def union_grids(rings: list[np.ndarray], groups: list[np.ndarray], cell: np.ndarray) -> np.ndarray:
    """The union of the convex rings of each group on its grid: every cell whose centre a ring covers.

    ``rings`` are arrays (n, m, 2) of closed convex rings (any m per array), ``groups`` the group of each ring
    (``groups[f]`` of length ``len(rings[f])``), ``cell`` the cell size of each group's grid.  Grids are aligned
    on multiples of their cell size, so that a ring added never removes a cell.  Returns one polygon (or
    multipolygon, or empty polygon) per group, edges along the cells.
    """
    n_groups = len(cell)
    scaled = [r / cell[g][:, None, None] - 0.5 for r, g in zip(rings, groups, strict=True)]
    lo_row, rows, c0, c1 = _spans(scaled)
    g = np.concatenate(groups)
    # each group's block of rows in one stacked mask, one empty row and column around every block; the extents
    # from the rings' vertices (the cells they cover lie within)
    hi_row = lo_row + rows
    left = np.ceil(np.concatenate([r[:, :, 0].min(axis=1) for r in scaled])).astype(np.int64)
    right = np.floor(np.concatenate([r[:, :, 0].max(axis=1) for r in scaled])).astype(np.int64) + 1
    used = rows > 0
    rmin, rmax = np.full(n_groups, np.iinfo(np.int64).max), np.full(n_groups, np.iinfo(np.int64).min)
    cmin, cmax = rmin.copy(), rmax.copy()
    np.minimum.at(rmin, g[used], lo_row[used])
    np.maximum.at(rmax, g[used], hi_row[used])
    np.minimum.at(cmin, g[used], left[used])
    np.maximum.at(cmax, g[used], right[used])
    height = np.where(rmax > rmin, rmax - rmin, 0)
    width = int(np.max(np.where(rmax > rmin, cmax - cmin, 0), initial=0)) + 2
    top = 1 + np.cumsum(height + 1) - (height + 1)
    n_rows = int(top[-1] + height[-1] + 1) if n_groups else 1
    w1 = width + 1
    base = np.cumsum(rows) - rows
    flat = np.repeat((top[g] - rmin[g] + lo_row - base) * w1 + 1 - cmin[g], rows) + np.arange(len(c0)) * w1
    size = n_rows * w1
    diff = np.bincount(flat + c0, minlength=size) - np.bincount(flat + c1, minlength=size)
    mask = np.cumsum(diff.reshape(n_rows, w1)[:, :width], axis=1) > 0
    # stacked grid line (X, Y) -> the group's coordinates
    xo = (cmin - 1) * cell
    yo = (rmin - top) * cell
    return _cells_polygons(mask, top, height, xo, yo, cell)


def _runs(d: np.ndarray) -> tuple[np.ndarray, ...]:
    """Edges ``d`` (-1, 0, +1 by row and column) merged along columns into runs: row, first column, past-the-last
    column and sign of each run."""
    i, j = np.nonzero(d)
    sign = d[i, j]
    new = np.r_[True, (i[1:] != i[:-1]) | (j[1:] != j[:-1] + 1) | (sign[1:] != sign[:-1])]
    first = np.flatnonzero(new)
    last = np.r_[first[1:], len(i)] - 1
    return i[first], j[first], j[last] + 1, sign[first]


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
    from scipy import ndimage

    n_groups = len(top)
    out = np.full(n_groups, shapely.Polygon(), dtype=object)
    m = mask.view(np.int8)
    w1 = mask.shape[1] + 1
    # horizontal runs at y = i + 1: +1 filled above (a bottom edge, going +x), -1 filled below (going -x)
    i, j0, j1, s = _runs(m[1:] - m[:-1])
    hx0, hx1 = np.where(s > 0, j0, j1), np.where(s > 0, j1, j0)
    hy = i + 1
    # vertical runs at x = j + 1: +1 filled on the right (a left edge, going -y), -1 filled on the left (going +y)
    j, i0, i1, s2 = _runs((m[:, 1:] - m[:, :-1]).T)
    vy0, vy1 = np.where(s2 < 0, i0, i1), np.where(s2 < 0, i1, i0)
    vx = j + 1
    xs = np.r_[hx0, vx]
    ys = np.r_[hy, vy0]
    xe = np.r_[hx1, vx]
    ye = np.r_[hy, vy1]
    d = np.r_[np.where(s > 0, 0, 2), np.where(s2 < 0, 1, 3)]
    n = len(d)
    if n == 0:
        return out
    key = (ys * w1 + xs) * 4 + d
    order = np.argsort(key)
    skey = key[order]
    end = (ye * w1 + xe) * 4

    def find(k: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(skey, k), n - 1)
        return np.where(skey[pos] == k, order[pos], -1)

    right, left = find(end + (d + 3) % 4), find(end + (d + 1) % 4)
    labels, _ = ndimage.label(mask)
    saddle = (right >= 0) & (left >= 0)
    own = labels[ye + _LEFT[d, 0], xe + _LEFT[d, 1]]
    across = labels[ye + _ACROSS[d, 0], xe + _ACROSS[d, 1]]
    nxt = np.where((right >= 0) & (~saddle | (own == across)), right, left)
    if (nxt < 0).any():  # cannot happen on a mask with an empty border; GEOS as a fallback
        return _fallback(mask, top, height, xo, yo, cell, out)
    # rings: the cycles of nxt, each numbered by its smallest edge, edges ranked from there
    head, p = np.arange(n), nxt
    while True:  # pointer jumping: the smallest over 2, 4, 8 ... edges ahead, until the whole cycle
        new = np.minimum(head, head[p])
        if (new == head).all():
            break
        head, p = new, p[p]
    prev = np.empty(n, np.int64)
    prev[nxt] = np.arange(n)
    is_head = head == np.arange(n)
    rank = np.where(is_head, 0, 1)
    p = np.where(is_head, np.arange(n), prev)
    while not is_head[p].all():
        rank = rank + rank[p]
        p = p[p]
    seq = np.lexsort((rank, head))
    heads = np.flatnonzero(is_head)
    ring_of = np.searchsorted(heads, head)
    # each ring's filled component and orientation (shoelace)
    area2 = np.bincount(ring_of, weights=xs * ye - xe * ys, minlength=len(heads))
    comp = own[heads]
    group = np.searchsorted(top, ys[heads], side="right") - 1
    gx, gy, gc = xo[group][ring_of[seq]], yo[group][ring_of[seq]], cell[group][ring_of[seq]]
    coords = np.c_[gx + xs[seq] * gc, gy + ys[seq] * gc]
    rings = shapely.linearrings(coords, indices=ring_of[seq])
    by = np.lexsort((area2 < 0, comp))  # per component: its shell, then its holes
    poly_of = np.cumsum(np.r_[True, comp[by][1:] != comp[by][:-1]]) - 1
    polys = shapely.polygons(rings[by], indices=poly_of)
    poly_group = group[by][np.r_[True, comp[by][1:] != comp[by][:-1]]]
    counts = np.bincount(poly_group, minlength=n_groups)
    one = counts[poly_group] == 1
    out[poly_group[one]] = polys[one]
    many = ~one
    if many.any():
        gm = poly_group[many]
        ids, dense = np.unique(gm, return_inverse=True)
        out[ids] = shapely.multipolygons(polys[many], indices=dense)
    # where two filled cells meet at a corner, check the rings are valid polygons (GEOS's build_area if not)
    pinched = np.unique(np.searchsorted(top, ye[saddle], side="right") - 1)
    bad = pinched[~shapely.is_valid(out[pinched])]
    if len(bad):
        out = _fallback(mask, top, height, xo, yo, cell, out, only=bad)
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
