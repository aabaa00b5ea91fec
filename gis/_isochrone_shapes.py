"""The shapes of isochrones: tapered corridor pieces (convex hulls of two disks) and their union, exact or on a grid.

An isochrone is the union of a few hundred heavily overlapping pieces; GEOS's exact union of them
(:func:`union_exact`) spends most of its time on boundaries that end up inside.  :func:`union_grid` fills the
pieces' exact scan-line spans into a grid of cells (numpy only, no per-piece polygon), and turns the filled cells
back into a polygon whose edges are cell edges: the union at the cell size, its area within a few tenths of a
percent of the exact union's at the default cell size (bench/network.md states the measured difference; tests/test_isochrone_shapes.py
asserts it).
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
    xs = np.concatenate([c0[:, :1] + r0[:, None] * np.cos(a0), c1[:, :1] + r1[:, None] * np.cos(a1)], axis=1)
    ys = np.concatenate([c0[:, 1:] + r0[:, None] * np.sin(a0), c1[:, 1:] + r1[:, None] * np.sin(a1)], axis=1)
    nested = (d + np.minimum(r0, r1) <= np.maximum(r0, r1))[:, None]
    big0 = (r0 >= r1)[:, None]
    cb, rb = np.where(big0, c0, c1), np.where(big0[:, 0], r0, r1)[:, None]
    full = theta[:, None] + np.linspace(0.0, 2 * np.pi, 2 * k + 2, endpoint=False)[None, :]
    xs = np.where(nested, cb[:, :1] + rb * np.cos(full), xs)
    ys = np.where(nested, cb[:, 1:] + rb * np.sin(full), ys)
    ring = np.stack([xs, ys], axis=-1)
    return np.concatenate([ring, ring[:, :1]], axis=1)


def union_exact(rings: list[np.ndarray]) -> shapely.Geometry:
    """GEOS's union of the pieces (arrays of closed rings, any count of vertices each)."""
    return shapely.union_all(np.concatenate([shapely.polygons(r) for r in rings if len(r)]))


def _spans(rings: list[np.ndarray], x0: float, y0: float, cell: float) -> tuple[np.ndarray, ...]:
    """Row, first and past-the-last column of the cells whose centres each convex ring covers, one per ring and row."""
    starts, ends, owner = [], [], []
    for g, r in enumerate(rings):
        if len(r):
            starts.append(r[:, :-1].reshape(-1, 2))
            ends.append(r[:, 1:].reshape(-1, 2))
            owner.append(np.repeat(np.arange(len(r)) + sum(len(q) for q in rings[:g]), r.shape[1] - 1))
    a, b, pid = np.concatenate(starts), np.concatenate(ends), np.concatenate(owner)
    # cell centres sit at x0 + (j + 1/2) cell, y0 + (i + 1/2) cell
    ya, yb = (a[:, 1] - y0) / cell - 0.5, (b[:, 1] - y0) / cell - 0.5
    first = np.ceil(np.minimum(ya, yb)).astype(np.int64)
    n = np.maximum(np.ceil(np.maximum(ya, yb)).astype(np.int64) - first, 0)  # rows i with lo <= i < hi
    e = np.repeat(np.arange(len(a)), n)
    row = np.repeat(first, n) + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    t = (row - ya[e]) / (yb[e] - ya[e])
    xc = (a[e, 0] + t * (b[e, 0] - a[e, 0]) - x0) / cell - 0.5
    # a convex ring crosses each of its rows exactly twice (half-open rule), once going up and once going down:
    # each crossing goes to its ring's slot for that row
    ring = pid[e]
    lo_row = np.full(pid.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(lo_row, pid, np.where(n > 0, first, lo_row[0]))
    hi_row = np.zeros_like(lo_row)
    np.maximum.at(hi_row, pid, first + n)
    height = np.maximum(hi_row - lo_row, 0)
    base = np.cumsum(height) - height
    slot = base[ring] + row - lo_row[ring]
    up = (yb > ya)[e]
    side = np.full((2, int(height.sum())), np.nan)
    side[up.astype(np.intp), slot] = xc
    rows = np.repeat(lo_row, height) + np.arange(int(height.sum())) - np.repeat(base, height)
    c0 = np.ceil(np.fmin(side[0], side[1])).astype(np.int64)
    c1 = np.floor(np.fmax(side[0], side[1])).astype(np.int64) + 1
    keep = c1 > c0
    return rows[keep], c0[keep], c1[keep]


def union_grid(rings: list[np.ndarray], *, cell: float) -> shapely.Geometry:
    """The union of convex pieces on a grid of ``cell`` metres: every cell whose centre a piece covers, as one polygon.

    The grid is aligned on multiples of the cell size, so a piece added never removes a cell.
    """
    xy = np.concatenate([r.reshape(-1, 2) for r in rings if len(r)])
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    x0, y0 = np.floor(lo / cell) * cell - cell
    ncol, nrow = (np.ceil((hi - np.array([x0, y0])) / cell).astype(np.int64) + 2)
    rows, c0, c1 = _spans(rings, float(x0), float(y0), cell)
    size = nrow * (ncol + 1)
    diff = np.bincount(rows * (ncol + 1) + c0, minlength=size) - np.bincount(rows * (ncol + 1) + c1, minlength=size)
    mask = np.cumsum(diff.reshape(nrow, ncol + 1), axis=1)[:, :ncol] > 0
    return _cells_polygon(mask, float(x0), float(y0), cell)


def _runs(d: np.ndarray) -> np.ndarray:
    """Edges ``d`` (-1, 0, +1 by row and column) merged along columns into runs: (n, 2, 2) of (column, row) ends."""
    i, j = np.nonzero(d)
    sign = d[i, j]
    new = np.r_[True, (i[1:] != i[:-1]) | (j[1:] != j[:-1] + 1) | (sign[1:] != sign[:-1])]
    first = np.flatnonzero(new)
    last = np.r_[first[1:], len(i)] - 1
    return np.stack([np.c_[j[first], i[first]], np.c_[j[last] + 1, i[first]]], axis=1)


def _cells_polygon(mask: np.ndarray, x0: float, y0: float, cell: float) -> shapely.Geometry:
    """The filled cells of ``mask`` (row i at y0 + i cell) as a polygon: the cell edges between filled and empty.

    Collinear edges are merged into runs (broken where the filled side changes, so that two cells meeting at a
    corner keep their node), which GEOS assembles into rings.
    """
    m = np.pad(mask, 1).astype(np.int8)
    horiz = _runs(m[1:, :] - m[:-1, :]) - np.array([1, 0])  # at y = i, x from j - 1 (unpadded)
    vert = _runs((m[:, 1:] - m[:, :-1]).T)[:, :, ::-1] - np.array([0, 1])  # at x = j, y from i - 1
    segs = np.concatenate([horiz, vert]).astype(float) * cell + np.array([x0, y0])
    return shapely.build_area(shapely.multilinestrings(shapely.linestrings(segs)))
