"""The overlay of :func:`gis.review`: footprints against one class of zones, vectorised over rows.

Part of :mod:`gis.review` split off by responsibility (it shares its rank): the overlap of each footprint
with the union of the zones it meets (:func:`_overlaps`), the gap to the nearest zone (:func:`_nearest_gap`)
and the verdicts under the position's uncertainty (:func:`_verdicts`).  Plane geometry in the analysis CRS
only; the ellipsoidal areas and the table are :mod:`gis.review`'s.
"""

from __future__ import annotations

import numpy as np
import shapely

#: Zones of at most this many vertices are united before the footprint is cut out of them (see _overlaps).
_SMALL_ZONE = 64


def _overlaps(fgeom: np.ndarray, zc: np.ndarray, fi: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each footprint's overlap with the union of the zones it meets (pairs ``fi``, ``zi``), and their number.

    A footprint meeting one zone: their intersection.  Meeting several: the union of its pieces
    (intersections with each zone, "clip first"), or, when every zone of the group is small (at most
    ``_SMALL_ZONE`` vertices), the intersection of the footprint with the union of those zones ("union
    first": one intersection instead of one per zone; the same ground, to rounding).  Clipping first keeps a
    large zone's union from processing all its vertices: an intersection only looks at the edges near the
    footprint.  Footprints meeting no zone get ``None``.
    """
    n = len(fgeom)
    piece = np.full(n, None, dtype=object)
    n_met = np.bincount(fi, minlength=n)
    order = np.argsort(fi, kind="stable")
    fi, zi = fi[order], zi[order]
    single = n_met[fi] == 1
    piece[fi[single]] = shapely.intersection(fgeom[fi[single]], zc[zi[single]])
    multi, mz = fi[~single], zi[~single]
    if not len(multi):
        return piece, n_met
    # one union per footprint, vectorised: a (footprints x most zones) grid padded with None
    starts = np.flatnonzero(np.r_[True, multi[1:] != multi[:-1]])
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(multi)]))
    slot = np.arange(len(multi)) - starts[group]
    small = np.logical_and.reduceat(shapely.get_num_coordinates(zc[mz]) <= _SMALL_ZONE, starts)
    grid = np.full((len(starts), int(slot.max()) + 1), None, dtype=object)
    first = small[group]  # the pairs of the groups united first
    grid[group[first], slot[first]] = zc[mz[first]]
    grid[group[~first], slot[~first]] = shapely.intersection(fgeom[multi[~first]], zc[mz[~first]])
    united = _union_rows(grid)
    owner = multi[starts]
    united[small] = shapely.intersection(fgeom[owner[small]], united[small])
    piece[owner] = united
    return piece, n_met


def _union_rows(grid: np.ndarray) -> np.ndarray:
    """The union of each row of a grid of polygons padded with ``None``, by halving: pairwise unions of columns.

    The same polygons as ``shapely.union_all(grid, axis=1)`` in less time: most rows hold two to four
    pieces, and a binary union of two small pieces is cheaper than the cascaded union of a collection.
    """
    while grid.shape[1] > 1:
        if grid.shape[1] % 2:
            grid = np.column_stack([grid, np.full(len(grid), None, dtype=object)])
        left, right = grid[:, 0::2], grid[:, 1::2]
        both = ~shapely.is_missing(left) & ~shapely.is_missing(right)
        grid = np.where(shapely.is_missing(left), right, left)
        grid[both] = shapely.union(left[both], right[both])
    return grid[:, 0]


def _nearest_gap(tree: shapely.STRtree, zc: np.ndarray, probe: np.ndarray, *, reach: np.ndarray) -> np.ndarray:
    """The exact plane distance of every probe to its nearest zone of the tree, searched within a bound first.

    Each probe is searched within its verdict's reach (``reach``: precision + radius, plane metres) plus a
    margin of a third of the median zone size: the zones whose bounding box comes that near (one box query
    of the tree), the exact distance to each (:func:`shapely.distance`) and the least.  A least distance
    within the bound is the nearest of all zones (a nearer zone would be a candidate too); only the probes
    with none within it are searched again without a bound (:meth:`shapely.STRtree.query_nearest`, which
    walks the tree one probe at a time and takes several times longer).  The reach taken is capped at a zone
    size, so that a large precision does not make every zone of a wide area a candidate.
    """
    out = np.full(len(probe), np.inf)
    if not len(zc) or not len(probe):
        return out
    bounds = shapely.bounds(zc)
    size = float(np.median(np.hypot(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])))
    bound = np.minimum(np.where(np.isfinite(reach), reach, 0.0), size) + size / 3.0 + 1.0
    b = shapely.bounds(probe)
    near = shapely.box(b[:, 0] - bound, b[:, 1] - bound, b[:, 2] + bound, b[:, 3] + bound)
    pi, zi = tree.query(near)
    if len(pi):
        np.minimum.at(out, pi, shapely.distance(probe[pi], zc[zi]))
    out[out > bound] = np.inf  # a zone beyond the bound may have a nearer one outside the boxes searched
    rest = np.flatnonzero(~np.isfinite(out))
    if len(rest):
        found, gap = tree.query_nearest(probe[rest], return_distance=True, all_matches=False)
        out[rest[found[0]]] = gap
    return out


def _verdicts(fgeom: np.ndarray, centre: np.ndarray, basis: np.ndarray, area: np.ndarray, dist_plane: np.ndarray,
              p_plane: np.ndarray, r_plane: np.ndarray, tree: shapely.STRtree, zc: np.ndarray) -> np.ndarray:
    """``inside`` / ``may_touch`` / ``clear`` for one zone class (the rules: :mod:`gis.review`)."""
    n = len(fgeom)
    verdict = np.full(n, "clear", dtype=object)
    polygon = basis == "polygon"
    # polygons: exact position (p = 0) or certain overlap after shrinking the zones by p
    overlap = polygon & (area > 0)
    verdict[overlap & (p_plane == 0)] = "inside"
    reach = polygon & (area <= 0) & (dist_plane < p_plane)
    verdict[reach] = "may_touch"
    sel = np.flatnonzero(overlap & (p_plane > 0))
    if len(sel):  # the zones each footprint meets, united and shrunk by its p, all rows at once
        qi, qz = tree.query(fgeom[sel], predicate="intersects")
        core = shapely.buffer(_union_groups(zc, qi, qz, len(sel)), -p_plane[sel])
        hit = shapely.area(shapely.intersection(fgeom[sel], core)) > 0
        verdict[sel] = np.where(hit, "inside", "may_touch")
    # points and disks: exact test on the centre, which lies somewhere within p of the given point
    round_ = ~polygon
    reach = round_ & (dist_plane < r_plane + p_plane)
    exact = round_ & (p_plane == 0)
    verdict[exact & (r_plane > 0) & (area > 0)] = "inside"
    verdict[exact & (r_plane == 0) & (dist_plane == 0)] = "inside"
    sel = np.flatnonzero(reach & ~exact)
    if len(sel):  # the zones within r + p of each centre, united and grown by r, all rows at once
        qi, qz = tree.query(centre[sel], predicate="dwithin", distance=r_plane[sel] + p_plane[sel])
        grown = _union_groups(zc, qi, qz, len(sel))
        disk = r_plane[sel] > 0
        grown[disk] = shapely.buffer(grown[disk], r_plane[sel][disk], quad_segs=16)
        certain = shapely.contains(grown, shapely.buffer(centre[sel], p_plane[sel], quad_segs=16))
        verdict[sel] = np.where(certain, "inside", "may_touch")
    return verdict


def _union_groups(zc: np.ndarray, qi: np.ndarray, qz: np.ndarray, n: int) -> np.ndarray:
    """The union of the zones ``zc[qz]`` of each of ``n`` rows (pairs ``qi``, ``qz`` sorted by row, as a tree query
    returns them); an empty geometry for a row without zones."""
    order = np.argsort(qi, kind="stable")
    qi, qz = qi[order], qz[order]
    counts = np.bincount(qi, minlength=n)
    grid = np.full((n, max(int(counts.max()), 1)), None, dtype=object)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    grid[qi, np.arange(len(qi)) - starts[qi]] = zc[qz]
    return shapely.union_all(grid, axis=1)
