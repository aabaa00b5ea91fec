"""Proximity: nearest features, features within a distance, origin-destination matrices.

Both layers may come in any CRS: each is checked and reprojected to the
analysis CRS (:func:`gis.crs.to_analysis_crs`; geographic data explicitly,
data without a CRS only if it can be identified, otherwise refused), so two
layers in different CRSs are fine.  Candidates are found on plane coordinates
(scipy cKDTree for points, shapely STRtree otherwise) and every reported
``dist_m`` is the geodesic distance on the CGCS2000 ellipsoid, corrected from
the plane distance by the projection's scale factor (:mod:`gis._geodesic`,
within 0.2 ppm of :meth:`pyproj.Geod.inv`).

The nearest feature reported is the *geodesically* nearest one.  The plane
distance ``d`` and the geodesic ``s`` of any pair satisfy
``d / k_hi <= s <= d / k_lo``, where ``k_lo``/``k_hi`` bound the scale factor
over the data (less than 700 ppm apart at Liuzhou).  So a candidate whose plane
distance exceeds ``(s_best + tol) * k_hi`` cannot win, and origins whose
runner-up is not that far are resolved with a wider search.

For lines and polygons the distance is that between the closest points in the
plane (``shapely.shortest_line``), corrected along that segment; the
geodesically closest points can differ from those, which changes the distance
by a second-order amount (< 1e-6 relative at these scales).

Conventions of every result:

* ``dist_m``: geodesic distance in metres; ``target_index``: the index label of
  the target in ``targets``.
* ties (two targets within ``TIE_TOLERANCE_M`` of the same distance) go to the
  target that comes first in ``targets``; ``tie`` is True where that happened.
* ``origin_precision_m`` / ``target_precision_m`` carry the layers'
  ``precision_m`` columns (NaN if absent); ``uncertainty_m`` is their sum (the
  worst case: both positions off towards each other) and ``within_uncertainty``
  flags distances smaller than it, i.e. pairs that may in truth coincide.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from . import _validate
from ._errors import InputError
from ._geodesic import geodesic_distance, scale_bounds
from .crs import analysis_crs

if TYPE_CHECKING:  # pragma: no cover
    from .network import TravelNetwork

#: Two distances closer than this (metres) are a tie.
TIE_TOLERANCE_M = 1e-3
#: Largest origin x target matrix od_matrix builds (cells).
MAX_OD_CELLS = 50_000_000

_NEAREST_COLUMNS = ["target_index", "dist_m", "tie", "origin_precision_m", "target_precision_m",
                    "uncertainty_m", "within_uncertainty"]


# --------------------------------------------------------------------------- helpers


def _prepare_pair(origins: Any, targets: Any) -> tuple[_validate.Layer, _validate.Layer, pyproj.CRS]:
    o = _validate.layer(origins, name="origins")
    t = _validate.layer(targets, name="targets")
    return o, t, analysis_crs()


def _pair_distance(og: np.ndarray, tg: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    """Geodesic distance between paired geometries (closest points in the plane)."""
    if len(og) == 0:
        return np.zeros(0)
    line = shapely.shortest_line(og, tg)
    xy = shapely.get_coordinates(line).reshape(-1, 2, 2)
    return geodesic_distance(xy[:, 0, 0], xy[:, 0, 1], xy[:, 1, 0], xy[:, 1, 1], crs)


def _bounds_for(o: _validate.Layer, t: _validate.Layer, crs: pyproj.CRS) -> tuple[float, float]:
    b = np.vstack([o.bounds(), t.bounds()])
    return scale_bounds(crs, np.r_[b[:, 0], b[:, 2]], np.r_[b[:, 1], b[:, 3]])


def _uncertainty_columns(out: pd.DataFrame, po: np.ndarray, pt: np.ndarray) -> pd.DataFrame:
    out["origin_precision_m"] = po
    out["target_precision_m"] = pt
    unc = po + pt
    out["uncertainty_m"] = unc
    out["within_uncertainty"] = out["dist_m"].to_numpy() < unc  # False where unknown (NaN)
    return out


def _take_index(index: pd.Index, pos: np.ndarray) -> pd.Index | np.ndarray:
    """Index labels at positions, with missing values where ``pos`` is -1."""
    if len(index) == 0:
        return pd.Index([None] * len(pos), dtype=object)
    if (pos >= 0).all():
        return index.take(pos)
    values = np.array(index.take(np.where(pos >= 0, pos, 0)).astype(object), dtype=object)
    values[pos < 0] = None
    return pd.Index(values, dtype=object)


# --------------------------------------------------------------------------- nearest


def nearest(
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    k: int = 1,
    max_distance_m: float | None = None,
) -> pd.DataFrame:
    """The geodesically nearest target(s) of every origin.

    Parameters
    ----------
    origins, targets : GeoDataFrame
        Any geometry types, any CRS (reprojected to the analysis CRS).  An
        optional ``precision_m`` column is carried into the result.
    k : int, default 1
        How many nearest targets.  If ``k`` exceeds the number of targets, all
        of them are returned, with a warning.
    max_distance_m : float, optional
        Ignore targets farther than this (geodesic metres).

    Returns
    -------
    pandas.DataFrame
        ``k == 1``: aligned to ``origins.index``, one row per origin, with
        ``target_index``, ``dist_m``, ``tie`` and the uncertainty columns
        (module docstring); origins without a target within
        ``max_distance_m`` (or when ``targets`` is empty) get ``None``/NaN.
        ``k > 1``: one row per origin and rank, indexed by
        (``origin_index``, ``rank``), rank 1 nearest; origins with fewer
        targets in reach have fewer rows.

    Raises
    ------
    InputError
        Invalid geometries, a bad ``k`` or ``max_distance_m`` (named).
    CRSError
        A layer without an identifiable CRS, or coordinates that contradict it.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> towns = gpd.GeoDataFrame({"name": ["柳城", "鹿寨"]},
    ...     geometry=[Point(109.245, 24.651), Point(109.751, 24.473)], crs="EPSG:4326")
    >>> hubs = gpd.GeoDataFrame({"name": ["柳州站"], "precision_m": [50.0]},
    ...     geometry=[Point(109.405, 24.307)], crs="EPSG:4326").set_index("name")
    >>> r = nearest(towns, hubs)
    >>> list(r["target_index"]), [round(d) for d in r["dist_m"]]
    (['柳州站', '柳州站'], [41412, 39624])
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k: must be a positive integer (how many nearest targets), got {k!r}.")
    limit = None if max_distance_m is None else _validate.distance(max_distance_m, name="max_distance_m")
    o, t, crs = _prepare_pair(origins, targets)
    po, pt_all = o.precision_m, t.precision_m
    n, m = len(o), len(t)
    if k > m and n > 0:
        warnings.warn(
            f"nearest: k={k} but targets has only {m} features; returning {m} per origin.",
            UserWarning, stacklevel=2,
        )
    k_eff = min(k, m)
    if n == 0 or m == 0:
        pos = np.full(n, -1)
        dist = np.full(n, np.nan)
        tie = np.zeros(n, dtype=bool)
        origin_pos = np.arange(n)
        rank = np.ones(n, dtype=int)
    else:
        oxy, txy = o.xy, t.xy
        k_lo, k_hi = _bounds_for(o, t, crs)
        if oxy is not None and txy is not None:
            if k_eff == 1:
                pos, dist, tie = _nearest1_points(oxy, txy, crs, k_lo, k_hi, limit)
                origin_pos, rank = np.arange(n), np.ones(n, dtype=int)
            else:
                origin_pos, rank, pos, dist, tie = _nearestk_points(oxy, txy, k_eff, crs, k_hi, limit)
        else:
            origin_pos, rank, pos, dist, tie = _nearestk_general(o.geoms(), t.geoms(), k_eff, crs, k_lo, k_hi, limit)
    pt = np.where(pos >= 0, pt_all[np.maximum(pos, 0)] if m else np.nan, np.nan)
    if k == 1:
        out = pd.DataFrame({"target_index": _take_index(t.index, pos), "dist_m": dist, "tie": tie}, index=o.index)
        return _uncertainty_columns(out, po, pt)[_NEAREST_COLUMNS]
    keep = pos >= 0
    origin_pos, rank, pos, dist, tie, pt = (a[keep] for a in (origin_pos, rank, pos, dist, tie, pt))
    idx = pd.MultiIndex.from_arrays([o.index.take(origin_pos), rank], names=["origin_index", "rank"])
    out = pd.DataFrame({"target_index": t.index.take(pos), "dist_m": dist, "tie": tie}, index=idx)
    return _uncertainty_columns(out, po[origin_pos], pt)[_NEAREST_COLUMNS]


def _nearest1_points(
    oxy: np.ndarray, txy: np.ndarray, crs: pyproj.CRS, k_lo: float, k_hi: float, limit: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """k = 1 between point layers: one cKDTree query, a cheap proof of the winner, rare wider searches.

    The proof that no other target beats the plane-nearest one needs the plane
    distance of the runner-up, ``d2 > (s1 + tol) * k_hi``.  It is obtained
    without a second tree query: first by the triangle inequality (the
    runner-up is at least ``nn(j) - d1`` away, ``nn(j)`` the distance from the
    winner ``j`` to its nearest fellow target), then, for origins where that
    does not suffice, exactly: the runner-up of a point is always a Delaunay
    neighbour of its nearest site.
    """
    from scipy.spatial import Delaunay, QhullError

    n = len(oxy)
    uniq, first_pos, inverse, counts = np.unique(txy, axis=0, return_index=True, return_inverse=True,
                                                 return_counts=True)
    inverse = inverse.ravel()
    tree = cKDTree(uniq)
    ub = np.inf if limit is None else (limit + TIE_TOLERANCE_M) * k_hi
    d1, j = tree.query(oxy, k=1, workers=-1, distance_upper_bound=ub)
    found = np.isfinite(d1)
    pos = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    tie = np.zeros(n, dtype=bool)
    if not found.any():
        return pos, dist, tie
    all_found = bool(found.all())
    jf = j if all_found else j[found]
    of = oxy if all_found else oxy[found]
    d1f = d1 if all_found else d1[found]
    ux, uy = uniq[jf, 0], uniq[jf, 1]
    s1 = geodesic_distance(of[:, 0], of[:, 1], ux, uy, crs)
    need = (s1 + TIE_TOLERANCE_M) * k_hi  # a rival must lie closer than this in the plane
    if len(uniq) == 1:
        ambiguous = np.zeros(len(jf), dtype=bool)
    else:
        nn_u = tree.query(uniq, k=2)[0][:, 1]
        ambiguous = nn_u[jf] - d1f <= need
        sub = np.flatnonzero(ambiguous)
        if sub.size:
            try:
                indptr, nbrs = Delaunay(uniq).vertex_neighbor_vertices
            except (QhullError, ValueError):  # fewer than 3 sites, or all collinear
                d2 = tree.query(of[sub], k=2)[0][:, 1]
            else:
                js = jf[sub]
                start, deg = indptr[js], indptr[js + 1] - indptr[js]
                owner = np.repeat(np.arange(sub.size), deg)
                offs = np.arange(owner.size) - np.repeat(np.cumsum(deg) - deg, deg)
                nb = nbrs[np.repeat(start, deg) + offs]
                osub = of[sub]
                dd = np.hypot(uniq[nb, 0] - osub[owner, 0], uniq[nb, 1] - osub[owner, 1])
                d2 = np.minimum.reduceat(dd, np.cumsum(deg) - deg)  # every site has >= 1 neighbour
            ambiguous[sub] = d2 <= need[sub]
    best_u = jf.copy()
    s_best = s1.copy()
    tie_f = counts[jf] > 1
    amb = np.flatnonzero(ambiguous)  # rare: origins in the ~ppm-wide band between two targets
    if amb.size:
        lists = tree.query_ball_point(of[amb], need[amb])
        lens = np.fromiter((len(c) for c in lists), dtype=np.int64, count=amb.size)
        cand = np.fromiter((c for cs in lists for c in cs), dtype=np.int64, count=int(lens.sum()))
        row = np.repeat(np.arange(amb.size), lens)
        s = geodesic_distance(of[amb][row, 0], of[amb][row, 1], uniq[cand, 0], uniq[cand, 1], crs)
        r_o, r_rank, r_u, r_s, r_tie = _rank_candidates(row, cand, s, 2, order_key=first_pos[cand])
        win = r_rank == 1
        best_u[amb[r_o[win]]] = r_u[win]
        s_best[amb[r_o[win]]] = r_s[win]
        tie_f[amb[r_o[win]]] = r_tie[win] | (counts[r_u[win]] > 1)
    ok = np.ones(len(jf), dtype=bool) if limit is None else s_best <= limit
    target_pos = first_pos[best_u]
    if all_found:
        pos[ok] = target_pos[ok]
        dist[ok] = s_best[ok]
        tie[ok] = tie_f[ok]
    else:
        fidx = np.flatnonzero(found)[ok]
        pos[fidx], dist[fidx], tie[fidx] = target_pos[ok], s_best[ok], tie_f[ok]
    return pos, dist, tie


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


def _nearestk_points(
    oxy: np.ndarray, txy: np.ndarray, k: int, crs: pyproj.CRS, k_hi: float, limit: float | None
) -> tuple[np.ndarray, ...]:
    """k nearest between point layers: query k + 1 plane candidates, widen where the proof fails.

    Works on (origins, candidates) matrices: each row is re-ranked by geodesic
    distance (ties by target position), and is final when its last plane
    candidate is too far to beat the k-th geodesic one.
    """
    n, m = len(oxy), len(txy)
    tree = cKDTree(txy)
    ub = np.inf if limit is None else (limit + TIE_TOLERANCE_M) * k_hi
    pos = np.full((n, k), -1, dtype=np.int64)
    dist = np.full((n, k), np.nan)
    tie = np.zeros((n, k), dtype=bool)
    todo = np.arange(n)
    q = min(k + 1, m)
    while todo.size:
        d, j = tree.query(oxy[todo], k=q, workers=-1, distance_upper_bound=ub)
        d, j = d.reshape(len(todo), q), j.reshape(len(todo), q)
        valid = np.isfinite(d)
        jj = np.where(valid, j, 0)
        s = geodesic_distance(oxy[todo, 0][:, None], oxy[todo, 1][:, None], txy[jj, 0], txy[jj, 1], crs)
        s[~valid] = np.inf
        if limit is not None:
            s[s > limit] = np.inf
        order = np.lexsort((jj, np.floor(s / TIE_TOLERANCE_M)), axis=1)
        s = np.take_along_axis(s, order, axis=1)
        jj = np.take_along_axis(jj, order, axis=1)
        kth = s[:, k - 1] if k <= q else np.full(len(todo), np.inf)
        last_d = d[:, -1]
        # proven: every target in reach seen, or the last plane candidate cannot beat the k-th
        proven = ~np.isfinite(last_d) | (q >= m) | (last_d > (kth + TIE_TOLERANCE_M) * k_hi)
        rows = todo[proven]
        sk = s[proven][:, :k]
        fin = np.isfinite(sk)
        with np.errstate(invalid="ignore"):  # inf - inf where fewer targets are in reach
            close = np.abs(np.diff(s[proven], axis=1)) <= TIE_TOLERANCE_M
        tie_k = np.zeros(sk.shape, dtype=bool)
        tie_k[:, : close.shape[1]] |= close[:, :k]
        tie_k[:, 1:] |= close[:, : k - 1]
        pos[rows, : sk.shape[1]] = np.where(fin, jj[proven][:, :k], -1)
        dist[rows, : sk.shape[1]] = np.where(fin, sk, np.nan)
        tie[rows, : sk.shape[1]] = tie_k & fin
        todo = todo[~proven]
        q = min(2 * q, m)
    origin_pos = np.repeat(np.arange(n), k)
    rank = np.tile(np.arange(1, k + 1), n)
    return origin_pos, rank, pos.ravel(), dist.ravel(), tie.ravel()


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


def within(
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    distance_m: float,
) -> pd.DataFrame:
    """Every (origin, target) pair closer than ``distance_m`` geodesic metres.

    Parameters
    ----------
    origins, targets : GeoDataFrame
        Any geometry types, any CRS.  An empty layer gives an empty result.
    distance_m : float
        The radius in metres (>= 0).  Lines and polygons count as within when
        their closest points are.

    Returns
    -------
    pandas.DataFrame
        One row per pair, sorted by origin (in ``origins`` order) then
        distance: ``origin_index``, ``target_index``, ``dist_m`` and the
        uncertainty columns.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, LineString
    >>> towns = gpd.GeoDataFrame({"name": ["A", "B"]},
    ...     geometry=[Point(109.40, 24.30), Point(109.40, 24.50)], crs="EPSG:4326")
    >>> road = gpd.GeoDataFrame(geometry=[LineString([(109.35, 24.32), (109.45, 24.32)])], crs="EPSG:4326")
    >>> w = within(towns, road, 5000)
    >>> list(w["origin_index"]), [round(d) for d in w["dist_m"]]
    ([0], [2216])
    """
    radius = _validate.distance(distance_m, name="distance_m")
    o, t, crs = _prepare_pair(origins, targets)
    po, pt = o.precision_m, t.precision_m
    if len(o) == 0 or len(t) == 0:
        opos = tpos = np.zeros(0, dtype=np.int64)
        s = np.zeros(0)
    else:
        k_lo, k_hi = _bounds_for(o, t, crs)
        reach = (radius + TIE_TOLERANCE_M) * k_hi
        oxy, txy = o.xy, t.xy
        if oxy is not None and txy is not None:
            pairs = cKDTree(oxy).sparse_distance_matrix(cKDTree(txy), reach, output_type="ndarray")
            opos, tpos = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64)
            s = geodesic_distance(oxy[opos, 0], oxy[opos, 1], txy[tpos, 0], txy[tpos, 1], crs)
        else:
            og, tg = o.geoms(), t.geoms()
            opos, tpos = shapely.STRtree(tg).query(og, predicate="dwithin", distance=reach)
            s = _pair_distance(og[opos], tg[tpos], crs)
        keep = s <= radius
        opos, tpos, s = opos[keep], tpos[keep], s[keep]
        order = np.lexsort((tpos, s, opos))
        opos, tpos, s = opos[order], tpos[order], s[order]
    out = pd.DataFrame({
        "origin_index": o.index.take(opos),
        "target_index": t.index.take(tpos),
        "dist_m": s,
    })
    return _uncertainty_columns(out, po[opos], pt[tpos])


# --------------------------------------------------------------------------- od matrix


def od_matrix(
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    network: TravelNetwork | None = None,
) -> pd.DataFrame:
    """Origin-destination matrix: geodesic metres, or travel minutes on a network.

    Parameters
    ----------
    origins, targets : GeoDataFrame
        Any geometry types (points for a network), any CRS.
    network : TravelNetwork, optional
        From :func:`gis.travel_network`; then the cells are travel times in
        minutes (``inf`` where unreachable), see :func:`gis.network.travel_times`.

    Returns
    -------
    pandas.DataFrame
        Rows ``origins.index``, columns ``targets.index``.  At most
        ``MAX_OD_CELLS`` cells; for more, use :func:`within` with a radius.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> a = gpd.GeoDataFrame(geometry=[Point(109.40, 24.30), Point(109.50, 24.30)], crs="EPSG:4326")
    >>> od_matrix(a, a).round(0).astype(int).values.tolist()
    [[0, 10151], [10151, 0]]
    """
    if network is not None:
        from .network import travel_times

        return travel_times(network, origins, targets)
    o, t, crs = _prepare_pair(origins, targets)
    n, m = len(o), len(t)
    if n * m > MAX_OD_CELLS:
        raise InputError(
            f"od_matrix: origins ({n}) x targets ({m}) = {n * m} cells exceeds {MAX_OD_CELLS}. "
            "Use gis.within(origins, targets, distance_m) for the pairs within a radius, or "
            "gis.nearest(..., k=...) for the closest ones."
        )
    oi = np.repeat(np.arange(n), m)
    ti = np.tile(np.arange(m), n)
    oxy, txy = o.xy, t.xy
    if n * m == 0:
        s = np.zeros(0)
    elif oxy is not None and txy is not None:
        s = geodesic_distance(oxy[oi, 0], oxy[oi, 1], txy[ti, 0], txy[ti, 1], crs)
    else:
        s = _pair_distance(o.geoms()[oi], t.geoms()[ti], crs)
    return pd.DataFrame(s.reshape(n, m), index=o.index, columns=t.index)
