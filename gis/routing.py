"""Travel times on a :class:`~gis.network.TravelNetwork`: origin-destination matrices, isochrones, the quickest target.

Shortest paths use :func:`scipy.sparse.csgraph.dijkstra` on a graph that stays
fixed (built by :func:`gis.network.travel_network`): a matrix is searched from
its smaller side, and :func:`nearest_by_time` makes one multi-source search.

Origins and targets join the network by *access legs* travelled at
``access_speed_kmh`` (default 30 km/h: local roads) along the geodesic.  On
roads (lines whose speeds come from a road class, an OSM ``highway`` value or a
numeric speed) a point is *snapped*: projected onto the nearest road edge,
whatever its distance, it joins that edge there and goes on to either end
node in that fraction of the edge's minutes; an origin and a target snapped
onto one same edge may also travel along it between them.  Plan corridors
(``mode`` lines: an expressway boarded at its interchanges, a railway at its
stations) are joined at their nodes only: every such node within
``access_radius_m`` and the nearest node of every such line, so a railway
station that happens to be nearer than the road network never cuts a town off
from the roads.  A trip may also be made entirely at access speed when that is
quicker.  With the corridors' rules, adding a corridor line never lengthens a
travel time nor shrinks an isochrone; a road added nearer to a point than the
road it was snapped onto moves its snap there.

Every isochrone that uses a ``schematic`` line (corridors drawn as straight
links between the places a plan names) is flagged ``schematic``: its shape is
indicative.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from . import _validate
from ._errors import InputError
from ._isochrone_shapes import CELLS, capsule_rings, disk_rings, union_exact, union_grids
from ._geodesic import geodesic_area, geodesic_distance, inverse_scale, tm_scale
from .network import _EPS_MIN, _PLANE_SLACK, TravelNetwork, _Access, _access, _m_per_min

__all__ = ["travel_times", "isochrones", "nearest_by_time"]


def _with_access(net: TravelNetwork, legs_from: tuple, legs_to: tuple, n_from: int, n_to: int) -> csr_matrix:
    """The network plus virtual nodes: ``n_from`` sources (after the network's nodes) with edges out to their
    access nodes, then ``n_to`` sinks with edges in from theirs.  Directed, so no path passes through them."""
    n = net.n_nodes
    g = net.graph.tocoo()
    fp, fn, fm = legs_from
    tp, tn, tm = legs_to
    rows = np.r_[g.row, n + fp, tn]
    cols = np.r_[g.col, fn, n + n_from + tp]
    w = np.r_[g.data, np.maximum(fm, _EPS_MIN), np.maximum(tm, _EPS_MIN)]
    size = n + n_from + n_to
    return csr_matrix((w, (rows, cols)), shape=(size, size))


def _direct_m(o: _validate.Layer, t: _validate.Layer, crs: pyproj.CRS) -> np.ndarray:
    oi = np.repeat(np.arange(len(o)), len(t))
    ti = np.tile(np.arange(len(t)), len(o))
    return geodesic_distance(o.xy[oi, 0], o.xy[oi, 1], t.xy[ti, 0], t.xy[ti, 1], crs).reshape(len(o), len(t))


_NO_LEGS = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
#: isochrones(method="auto"): the exact union when a call has at most this many pieces in all (GEOS takes
#: ~0.15 ms a piece: 1,896 pieces, the default maps' three origins at 30 + 60 min, 0.35 s; the 118 seats'
#: 44,835 pieces 6 s exact, 0.5 s on the grid)
AUTO_EXACT_PIECES = 5_000


def _search(net: TravelNetwork, legs: tuple, n_src: int, limit: float, *, min_only: bool = False):
    """Dijkstra from ``n_src`` virtual sources joined by ``legs`` on the fixed network.

    Returns minutes to every network node, ``(n_src, n)``; with ``min_only`` one multi-source search:
    ``(minutes (n,), source of each node (n,), -1 where unreached, predecessor of each node (n,))``.
    """
    n = net.n_nodes
    graph = _with_access(net, legs, _NO_LEGS, n_src, 0)
    idx = n + np.arange(n_src)
    if min_only:
        d, pred, src = dijkstra(graph, directed=True, indices=idx, limit=limit, min_only=True,
                                return_predecessors=True)
        src = np.where(src[:n] >= n, src[:n] - n, -1)
        return d[:n], src, pred[:n]
    out = np.empty((n_src, n))
    block = max(1, 8_000_000 // max(graph.shape[0], 1))
    for s in range(0, n_src, block):
        out[s:s + block] = dijkstra(graph, directed=True, indices=idx[s:s + block], limit=limit)[:, :n]
    return out


def _edge_metres(net: TravelNetwork) -> csr_matrix:
    """Metres of the edge the graph keeps between each two nodes (the quickest of parallel lines and transfers,
    chosen as :func:`gis.network.travel_network` chooses them): road metres of a line, geodesic of a transfer."""
    e, t = net.edges, net.transfers
    u, v = np.r_[e["u"].to_numpy(), t["u"].to_numpy()], np.r_[e["v"].to_numpy(), t["v"].to_numpy()]
    w = np.r_[e["minutes"].to_numpy(), t["minutes"].to_numpy()]
    m = np.r_[e["road_m"].to_numpy(), t["length_m"].to_numpy()]
    a, b = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((w, b, a))
    first = np.r_[True, (a[order][1:] != a[order][:-1]) | (b[order][1:] != b[order][:-1])] if len(order) else \
        np.zeros(0, dtype=bool)
    sel = order[first]
    n = net.n_nodes
    return csr_matrix((np.r_[m[sel], m[sel]], (np.r_[a[sel], b[sel]], np.r_[b[sel], a[sel]])), shape=(n, n))


def _tree_metres(net: TravelNetwork, d: np.ndarray, pred: np.ndarray, access: _Access) -> np.ndarray:
    """Route metres from the search's source to every node along the tree of quickest paths (NaN unreached).

    ``pred`` are the predecessors of a search from virtual sources (indices >= ``n``) joined by ``access``:
    the first leg of a path is one of its legs, with its metres.
    """
    n = net.n_nodes
    reached = np.isfinite(d)
    parent = np.where(reached & (pred >= 0) & (pred < n), pred, -1)
    step = np.zeros(n)
    first_leg = np.flatnonzero(reached & (pred >= n))
    lp, ln, _ = access.legs
    at = np.searchsorted(lp * n + ln, (pred[first_leg] - n) * n + first_leg)  # legs are sorted by point, node
    step[first_leg] = access.metres[at]
    inner = parent >= 0
    if inner.any():
        step[inner] = np.asarray(_edge_metres(net)[parent[inner], np.flatnonzero(inner)]).ravel()
    acc = step.copy()
    while (parent >= 0).any():  # pointer jumping: log2(depth) vectorised rounds
        has = parent >= 0
        acc_new, parent_new = acc.copy(), parent.copy()
        acc_new[has] += acc[parent[has]]
        parent_new[has] = parent[parent[has]]
        acc, parent = acc_new, parent_new
    return np.where(reached, acc, np.nan)


def _legs_min(values: np.ndarray, legs: tuple, n_points: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Per point, the minimum over its legs of ``values[..., node] + minutes``, and the leg it came from.

    ``values`` is ``(k, n)`` or ``(n,)``; returns ``(k, n_points)`` (inf for a point without legs) and the
    chosen leg positions (-1 without legs; None for a ``(k, n)`` ``values``: not needed there).
    """
    p, nd, m = legs
    two_d = values.ndim == 2
    vals = values if two_d else values[None, :]
    arg = None if two_d else np.full((1, n_points), -1, dtype=np.int64)
    if len(p) == 0:
        out = np.full((vals.shape[0], n_points), np.inf)
        return (out, arg) if two_d else (out[0], arg[0])
    starts = np.r_[0, np.flatnonzero(np.diff(p)) + 1]
    pts = p[starts]
    runs = np.diff(np.r_[starts, len(p)])
    if runs.min() == runs.max() and runs[0] <= 4:  # as many legs for every point (roads: the snap's two)
        k = int(runs[0])
        best = vals[:, nd[0::k]] + m[0::k]
        which = None if two_d else np.zeros(best.shape, dtype=np.int64)
        for j in range(1, k):
            cand = vals[:, nd[j::k]] + m[j::k]
            if which is not None:  # the first leg reaching the minimum, as below
                which[cand < best] = j
            np.minimum(best, cand, out=best)
        if len(pts) == n_points:
            out = best
        else:
            out = np.full((vals.shape[0], n_points), np.inf)
            out[:, pts] = best
        if arg is not None:
            arg[:, pts] = starts + which
        return (out, arg) if two_d else (out[0], arg[0])
    out = np.full((vals.shape[0], n_points), np.inf)
    block = max(1, 8_000_000 // len(p))
    for s in range(0, vals.shape[0], block):
        cand = vals[s:s + block][:, nd] + m[None, :]
        best = np.minimum.reduceat(cand, starts, axis=1)
        out[s:s + block, pts] = best
        if not two_d:  # which leg: the first reaching the minimum within the point's run
            hit = np.where(cand == np.repeat(best, runs, axis=1), np.arange(len(p))[None, :], len(p))
            arg[s:s + block, pts] = np.minimum.reduceat(hit, starts, axis=1)
    return (out, arg) if two_d else (out[0], arg[0])


def _plane_far_m(xy: np.ndarray, other: np.ndarray) -> np.ndarray:
    """An upper bound of each point's geodesic distance to the farthest of ``other``: the farthest corner of
    their bounding box, in plane metres, times the analysis CRS's scale slack."""
    lo, hi = other.min(axis=0), other.max(axis=0)
    dx = np.maximum(np.abs(xy[:, 0] - lo[0]), np.abs(xy[:, 0] - hi[0]))
    dy = np.maximum(np.abs(xy[:, 1] - lo[1]), np.abs(xy[:, 1] - hi[1]))
    return np.hypot(dx, dy) * _PLANE_SLACK


def _same_edge(net: TravelNetwork, a: _Access, b: _Access) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Trips between points snapped onto one same edge, along it: ``(point of a, point of b, minutes, metres)``.

    Such a trip does not pass an end node of the edge, so the legs to the nodes do not see it.
    """
    ia = np.flatnonzero(a.edge >= 0)
    ia = ia[np.argsort(a.edge[ia], kind="stable")]
    ea = a.edge[ia]
    ib = np.flatnonzero(b.edge >= 0)
    lo, hi = np.searchsorted(ea, b.edge[ib], "left"), np.searchsorted(ea, b.edge[ib], "right")
    cnt = hi - lo
    pb = np.repeat(ib, cnt)
    pa = ia[np.repeat(lo, cnt) + np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)]
    e = a.edge[pa]
    df = np.abs(a.frac[pa] - b.frac[pb])
    minutes = a.snap_min[pa] + df * net.edges["minutes"].to_numpy()[e] + b.snap_min[pb]
    metres = a.snap_m[pa] + df * net.edges["road_m"].to_numpy()[e] + b.snap_m[pb]
    return pa, pb, minutes, metres


def _uncertainty_min(po: np.ndarray, pt: np.ndarray, speed_kmh: float) -> np.ndarray:
    return (po + pt) / _m_per_min(speed_kmh)


def travel_times(
    network: TravelNetwork,
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    access_speed_kmh: float = 30.0,
    access_radius_m: float = 5000.0,
    long: bool = False,
) -> pd.DataFrame:
    """Origin-destination travel times in minutes (rows ``origins.index``, columns ``targets.index``).

    A trip is an access leg from the origin to a node, the quickest path on
    the network, and an access leg to the target; or, when quicker, the whole
    way at access speed.  The network is undirected, so the search runs from
    the smaller side: one Dijkstra per target when there are fewer targets,
    on the network plus one virtual node per searched point (the graph does
    not grow with the other side).

    Parameters
    ----------
    network : TravelNetwork
        From :func:`travel_network`.
    origins, targets : GeoDataFrame
        Points, any CRS.
    access_speed_kmh : float, default 30
        Speed off the network, along the geodesic (km/h).
    access_radius_m : float, default 5000
        For lines joined at their nodes (plan corridors): every such node within
        this distance (plane metres of the analysis CRS) is an access node;
        beyond it, only the nearest node of each line.  Roads are joined at the
        point's snap onto the nearest road edge, at any distance
        (:func:`gis.drive.drive` flags points beyond ``max_access_m``).
    long : bool, default False
        Return one row per pair instead of a matrix: ``origin_index``,
        ``target_index``, ``minutes``, ``origin_precision_m``,
        ``target_precision_m`` and ``uncertainty_min``: the two positions'
        uncertainty (``precision_m``, NaN if unknown) as minutes at access speed.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point
    >>> from gis.network import travel_network
    >>> road = gpd.GeoDataFrame({"speed": [60.0]},
    ...     geometry=[LineString([(109.2, 24.3), (109.4, 24.3)])], crs="EPSG:4326")
    >>> net = travel_network(road, speed_kmh_by="speed")
    >>> a = gpd.GeoDataFrame(geometry=[Point(109.2, 24.3)], crs="EPSG:4326")
    >>> b = gpd.GeoDataFrame({"precision_m": [500.0]}, geometry=[Point(109.4, 24.3)], crs="EPSG:4326")
    >>> round(float(travel_times(net, a, b).iloc[0, 0]), 1)  # 20.3 km at 60 km/h
    20.3
    >>> travel_times(net, a, b, long=True)["uncertainty_min"].tolist()  # 500 m at 30 km/h; a's is unknown
    [nan]
    """
    speed = _validate.distance(access_speed_kmh, name="access_speed_kmh", allow_zero=False)
    radius = _validate.distance(access_radius_m, name="access_radius_m")
    o = _validate.layer(origins, name="origins")
    t = _validate.layer(targets, name="targets")
    if len(o) and len(t) and (o.xy is None or t.xy is None):
        name = "origins" if o.xy is None else "targets"
        raise InputError(f"{name}: must be points for travel times (use centroids: gdf.centroid).")
    out = np.zeros((len(o), len(t)))
    if len(o) and len(t):
        mpm = _m_per_min(speed)
        small_is_t = len(t) <= len(o)
        small, big = (t, o) if small_is_t else (o, t)
        # a leg as long as the longest direct trip from (to) that point cannot be part of a quicker trip
        reach_s, reach_b = _plane_far_m(small.xy, big.xy), _plane_far_m(big.xy, small.xy)
        acc_s = _access(network, small, access_speed_kmh=speed, access_radius_m=radius, reach_m=reach_s)
        acc_b = _access(network, big, access_speed_kmh=speed, access_radius_m=radius, reach_m=reach_b)
        d_nodes = _search(network, acc_s.legs, len(small), float(reach_s.max()) / mpm)
        res, _ = _legs_min(d_nodes, acc_b.legs, len(big))  # (n_small, n_big)
        ps, pb, along, _ = _same_edge(network, acc_s, acc_b)
        res[ps, pb] = np.minimum(res[ps, pb], along)
        # the whole way at access speed, where it can be quicker (the plane metres bound the geodesic ones)
        plane2 = small.xy[:, None, 0] - big.xy[None, :, 0]
        plane2 *= plane2
        dy = small.xy[:, None, 1] - big.xy[None, :, 1]
        dy *= dy
        plane2 += dy
        bound = res * (mpm * _PLANE_SLACK)
        bound *= bound
        ci, cj = np.nonzero(plane2 < bound)
        if len(ci):
            d = geodesic_distance(small.xy[ci, 0], small.xy[ci, 1], big.xy[cj, 0], big.xy[cj, 1], network.crs)
            res[ci, cj] = np.minimum(res[ci, cj], d / mpm)
        out = res.T if small_is_t else res
    if not long:
        return pd.DataFrame(out, index=o.index, columns=t.index)
    oi, ti = np.repeat(np.arange(len(o)), len(t)), np.tile(np.arange(len(t)), len(o))
    po, pt = o.precision_m[oi], t.precision_m[ti]
    return pd.DataFrame({"origin_index": o.index.take(oi), "target_index": t.index.take(ti), "minutes": out.ravel(),
                         "origin_precision_m": po, "target_precision_m": pt,
                         "uncertainty_min": _uncertainty_min(po, pt, speed)})


def isochrones(
    network: TravelNetwork,
    origins: gpd.GeoDataFrame,
    minutes: float | Sequence[float] = (30,),
    *,
    access_speed_kmh: float = 30.0,
    access_radius_m: float = 5000.0,
    quad_segs: int = 8,
    covers: gpd.GeoDataFrame | None = None,
    method: str = "auto",
) -> gpd.GeoDataFrame:
    """Areas reachable within given travel times, e.g. the 半小时经济圈 of 柳城 and 鹿寨.

    The polygon is the reached parts of the network plus an access band: each
    reached piece of an edge contributes the area reachable from it at
    ``access_speed_kmh`` with the time left (a tapering corridor, the convex
    hull of a disk at its start and its far end), and the origin a disk of the
    whole time at access speed.  Origins join the network as in
    :func:`travel_times`.

    Parameters
    ----------
    network : TravelNetwork
        From :func:`travel_network`.
    origins : GeoDataFrame
        Points, any CRS.
    minutes : float or sequence of float, default (30,)
        Strictly increasing travel times.
    access_speed_kmh : float, default 30
        Speed off the network (to the first node, and beyond the reached parts).
    access_radius_m : float, default 5000
        For lines joined at their nodes (plan corridors): every such node within
        this distance of an origin is an access node; beyond it, only the nearest
        node of each line.  Roads are joined at the origin's snap onto the
        nearest road edge, as in :func:`travel_times`.
    quad_segs : int, default 8
        Segments per quarter circle of the disks; each arc of a corridor gets as many.
    covers : GeoDataFrame, optional
        Points to count inside each polygon (e.g. the township seats): adds
        ``n_covered`` and ``covered`` (their ``name``, else index labels, joined by "、").
    method : {"auto", "grid", "exact"}, default "auto"
        How the pieces are joined: ``"exact"`` is GEOS's union of them (seconds for a hundred towns);
        ``"grid"`` fills them into square cells of 1/50 of the origin's own disk radius at the largest time (300 m
        for 30 minutes at 30 km/h), one grid for all the times of an origin, and keeps every cell whose centre a
        piece covers: edges along the cells, area within 1 % of the exact union's (bench/network.md).
        ``"auto"``: the exact union when the call has at most 5,000 pieces in all (a few origins, e.g. the
        default maps' three: under half a second, edges as smooth as the pieces), else the grid for each origin
        with more than 64 pieces and the exact union for the others.

    Returns
    -------
    GeoDataFrame
        In the origins' CRS, one row per origin and time: ``origin_index``,
        ``minutes``, ``area_km2`` (ellipsoidal), ``schematic``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point
    >>> from gis.network import travel_network
    >>> road = gpd.GeoDataFrame({"speed": [60.0]},
    ...     geometry=[LineString([(109.0, 24.3), (109.3, 24.3), (109.6, 24.3)])], crs="EPSG:4326")
    >>> net = travel_network(road, speed_kmh_by="speed")
    >>> town = gpd.GeoDataFrame(geometry=[Point(109.3, 24.3)], crs="EPSG:4326")
    >>> iso = isochrones(net, town, [10], access_speed_kmh=0.001)  # 10 min at 60 km/h each way
    >>> b = iso.to_crs(4545).total_bounds
    >>> round(float(b[2] - b[0]) / 1000, 1)  # 10 km each way along the road
    20.0
    """
    times = _validate.distances(minutes, name="minutes")
    speed = _validate.distance(access_speed_kmh, name="access_speed_kmh", allow_zero=False)
    radius = _validate.distance(access_radius_m, name="access_radius_m")
    if not isinstance(quad_segs, (int, np.integer)) or quad_segs < 1:
        raise InputError(f"quad_segs: must be a positive whole number, got {quad_segs!r}.")
    if method not in ("auto", "grid", "exact"):
        raise InputError(f"method: must be 'auto', 'grid' or 'exact', got {method!r}.")
    src = _validate.as_frame(origins, layer="origins")
    o = _validate.layer(src, name="origins", allow_empty_layer=True)
    out_crs = src.crs if src.crs is not None else network.crs
    if len(o) == 0:
        empty = gpd.GeoDataFrame({"origin_index": [], "minutes": [], "area_km2": [], "schematic": []},
                                 geometry=[], crs=out_crs)
        return empty if covers is None else empty.assign(n_covered=[], covered=[])
    if o.xy is None:
        raise InputError("origins: must be points for isochrones (use centroids: gdf.centroid).")
    access = _m_per_min(speed)
    reach = np.full(len(o), max(times) * access)
    acc = _access(network, o, access_speed_kmh=speed, access_radius_m=radius, reach_m=reach)
    dist = _search(network, acc.legs, len(o), max(times))
    e = network.edges
    u, v = e["u"].to_numpy(), e["v"].to_numpy()
    road, ev, schem = e["road_m"].to_numpy(), _m_per_min(e["speed_kmh"].to_numpy()), e["schematic"].to_numpy()
    t_e = road / ev
    nxy = network.nodes_xy
    tm = tm_scale(network.crs, nxy[:, 0], nxy[:, 1])
    n_o, n_b = len(o), len(times)
    # one group per origin and time (origin-major, times increasing); geodesic metres -> plane metres by 1 / k
    k_o = np.ones(n_o) if tm is None else 1.0 / inverse_scale(tm, o.xy[:, 0])
    disk_r = np.maximum(np.asarray(times)[None, :] * access, 1.0) * k_o[:, None]  # the origins' own disks
    inner = disk_r * np.cos(np.pi / (4 * quad_segs))  # their inscribed circles
    c0s, r0s, c1s, r1s, gs, flags = [], [], [], [], [], np.zeros(n_o * n_b, bool)

    def taper(start: np.ndarray, toward: np.ndarray, left: np.ndarray, edge: np.ndarray, share: np.ndarray):
        """A tapering corridor piece along ``edge`` from ``start`` (``left`` minutes there) towards ``toward``,
        over at most ``share`` of the edge: its end and the plane radii of its two disks."""
        frac = np.minimum(left * ev[edge] / road[edge], share)
        end = start + (toward - start) * np.divide(frac, share, out=np.zeros(len(edge)), where=share > 0)[:, None]
        r0 = np.maximum(left * access, 1.0)
        r1 = np.maximum((left - frac * t_e[edge]) * access, 1.0)
        if tm is not None:  # geodesic metres -> plane metres
            r0 = r0 / inverse_scale(tm, start[:, 0])
            r1 = r1 / inverse_scale(tm, end[:, 0])
        return end, r0, r1

    for bi, budget in enumerate(times):
        la, lb = budget - dist[:, u], budget - dist[:, v]
        for a, b, left, other in ((u, v, la, lb), (v, u, lb, la)):
            # the piece from the end with less time left is inside the piece from the other end when that end was
            # reached along this edge (other <= left - t_e): drawn once
            oi, ei = np.nonzero((left > 0) & ~((other > 0) & (left <= other - t_e + 1e-9) & (left < other)))
            flags[oi[schem[ei]] * n_b + bi] = True
            start = nxy[a[ei]]
            end, r0, r1 = taper(start, nxy[b[ei]], left[oi, ei], ei, np.ones(len(ei)))
            # a piece inside the origin's disk adds nothing (both its disks inside the disk's inscribed circle)
            lim = inner[oi, bi]
            keep = (np.hypot(*(start - o.xy[oi]).T) + r0 > lim) | (np.hypot(*(end - o.xy[oi]).T) + r1 > lim)
            c0s.append(start[keep]), r0s.append(r0[keep]), c1s.append(end[keep]), r1s.append(r1[keep])
            gs.append(oi[keep] * n_b + bi)
        # along the edge an origin is snapped onto, both ways, from the snap towards either end node with the
        # minutes left there (the same tapering corridors as the reached edges'), for all origins at once
        oi = np.flatnonzero((acc.edge >= 0) & (budget > acc.snap_min))
        es, fr, lft = acc.edge[oi], acc.frac[oi], budget - acc.snap_min[oi]
        flags[oi[schem[es]] * n_b + bi] = True
        q = nxy[u[es]] + (nxy[v[es]] - nxy[u[es]]) * fr[:, None]
        for ends, share in ((nxy[u[es]], fr), (nxy[v[es]], 1.0 - fr)):
            end, r0, r1 = taper(q, ends, lft, es, share)
            c0s.append(q), r0s.append(r0), c1s.append(end), r1s.append(r1)
            gs.append(oi * n_b + bi)
    c0, r0, c1, r1, g = (np.concatenate(x) for x in (c0s, r0s, c1s, r1s, gs))
    order = np.argsort(g, kind="stable")
    c0, r0, c1, r1, g = c0[order], r0[order], c1[order], r1[order], g[order]
    disks = disk_rings(np.repeat(o.xy, n_b, axis=0), disk_r.ravel(), quad_segs=quad_segs)
    # the grid for an origin with many pieces (counted at its largest time), else GEOS's exact union
    n_pieces = 1 + np.bincount(g, minlength=n_o * n_b).reshape(n_o, n_b)[:, -1]
    few = method == "auto" and int(n_pieces.sum()) <= AUTO_EXACT_PIECES
    on_grid = np.full(n_o, method == "grid") | ((method == "auto") & (not few) & (n_pieces > 64))
    geoms = np.empty(n_o * n_b, dtype=object)
    gg = np.repeat(on_grid, n_b)
    pick = gg[g]
    if gg.any():  # one grid for the times of an origin, cells of 1/CELLS of its disk at the largest time
        geoms[gg] = union_grids([disks[gg]], [np.arange(int(gg.sum()))], np.repeat(disk_r[:, -1] / CELLS, n_b)[gg],
                                capsules=(c0[pick], r0[pick], c1[pick], r1[pick], np.cumsum(gg)[g[pick]] - 1,
                                          quad_segs))
    if not gg.all():
        ex = ~pick
        caps = capsule_rings(c0[ex], r0[ex], c1[ex], r1[ex], k=quad_segs)
        bounds = np.searchsorted(g[ex], np.arange(n_o * n_b + 1))
        for j in np.flatnonzero(~gg):
            geoms[j] = union_exact([disks[j:j + 1], caps[bounds[j]:bounds[j + 1]]])
    out = gpd.GeoDataFrame({
        "origin_index": np.repeat(src.index.to_numpy(), n_b),
        "minutes": np.tile(np.asarray(times, dtype=float), n_o),
        "area_km2": geodesic_area(geoms, network.crs) / 1e6,
        "schematic": flags,
    }, geometry=geoms, crs=network.crs)
    if covers is not None:
        pts = _validate.layer(covers, name="covers")
        if len(pts) and pts.xy is None:
            raise InputError("covers: must be points (e.g. the township seats).")
        labels = (covers["name"].astype(str).to_numpy() if "name" in covers.columns
                  else np.asarray(covers.index.astype(str)))
        tree = shapely.STRtree(geoms)
        hit_p, hit_g = tree.query(shapely.points(pts.xy), predicate="intersects") if len(pts) else \
            (np.zeros(0, int), np.zeros(0, int))
        order = np.lexsort((hit_p, hit_g))
        hit_p, hit_g = hit_p[order], hit_g[order]
        out["n_covered"] = np.bincount(hit_g, minlength=len(out))
        out["covered"] = ["、".join(labels[hit_p[hit_g == g]]) for g in range(len(out))]
    return out if out.crs == out_crs else out.to_crs(out_crs)


def _nearest_direct(o: _validate.Layer, t: _validate.Layer, crs: pyproj.CRS) -> tuple[np.ndarray, np.ndarray]:
    """Geodesically nearest target of every origin (ties: the first target): ``(position, metres)``."""
    tree = cKDTree(t.xy)
    plane, _ = tree.query(o.xy, k=1)
    # the plane distance is within the analysis CRS's scale error of the geodesic one: every candidate
    # within that slack is checked geodesically
    cand = tree.query_ball_point(o.xy, r=plane * (1 + 2e-3) + 1e-6)
    counts = np.fromiter((len(c) for c in cand), dtype=np.int64, count=len(o))
    oi = np.repeat(np.arange(len(o)), counts)
    ti = np.fromiter((k for c in cand for k in sorted(c)), dtype=np.int64, count=int(counts.sum()))
    d = geodesic_distance(o.xy[oi, 0], o.xy[oi, 1], t.xy[ti, 0], t.xy[ti, 1], crs)
    order = np.lexsort((ti, d, oi))
    first = np.r_[True, oi[order][1:] != oi[order][:-1]]
    pick = order[first]
    return ti[pick], d[pick]


def nearest_by_time(
    network: TravelNetwork,
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    access_speed_kmh: float = 30.0,
    access_radius_m: float = 5000.0,
) -> pd.DataFrame:
    """The quickest-to-reach target of every origin, aligned to origins.

    Trips as in :func:`travel_times`, found with ONE multi-source search from
    all targets (the network is undirected), so the cost hardly grows with the
    number of origins or targets.  When two targets are equally quick, which one
    is named is not specified.

    Returns
    -------
    DataFrame
        ``target_index``, ``minutes``, ``road_km`` (length of that quickest trip: access legs along the
        geodesic, road metres of the lines (detour factor included), transfers), ``direct`` (True when the
        quickest trip is the whole way at access speed), ``origin_precision_m``,
        ``target_precision_m`` and ``uncertainty_min``: both positions'
        uncertainty as minutes at access speed (NaN where unknown); a
        difference between two targets smaller than it may not be real.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point
    >>> from gis.network import travel_network
    >>> road = gpd.GeoDataFrame({"speed": [60.0]},
    ...     geometry=[LineString([(109.2, 24.3), (109.4, 24.3)])], crs="EPSG:4326")
    >>> net = travel_network(road, speed_kmh_by="speed")
    >>> o = gpd.GeoDataFrame(geometry=[Point(109.2, 24.3)], crs="EPSG:4326")
    >>> t = gpd.GeoDataFrame({"name": ["road end", "off road"]},
    ...     geometry=[Point(109.4, 24.3), Point(109.2, 24.42)], crs="EPSG:4326").set_index("name")
    >>> r = nearest_by_time(net, o, t)
    >>> r["target_index"].iloc[0], round(float(r["minutes"].iloc[0]), 1)  # 20.3 km by road beats 13.3 km off it
    ('road end', 20.3)
    """
    speed = _validate.distance(access_speed_kmh, name="access_speed_kmh", allow_zero=False)
    radius = _validate.distance(access_radius_m, name="access_radius_m")
    o = _validate.layer(origins, name="origins")
    t = _validate.layer(targets, name="targets")
    if len(o) == 0 or len(t) == 0:
        return pd.DataFrame({"target_index": [None] * len(o), "minutes": np.nan, "road_km": np.nan,
                             "direct": False,
                             "origin_precision_m": o.precision_m, "target_precision_m": np.nan,
                             "uncertainty_min": np.nan}, index=o.index)
    if o.xy is None or t.xy is None:
        name = "origins" if o.xy is None else "targets"
        raise InputError(f"{name}: must be points for travel times (use centroids: gdf.centroid).")
    mpm = _m_per_min(speed)
    j_direct, d_direct = _nearest_direct(o, t, network.crs)
    direct = d_direct / mpm
    # no trip can beat an origin's direct trip to its nearest target: legs beyond it are useless
    acc_t = _access(network, t, access_speed_kmh=speed, access_radius_m=radius,
                    reach_m=np.full(len(t), d_direct.max()))
    acc_o = _access(network, o, access_speed_kmh=speed, access_radius_m=radius, reach_m=d_direct)
    legs_o = acc_o.legs
    d_nodes, src, pred = _search(network, acc_t.legs, len(t), float(direct.max()), min_only=True)
    via, leg = _legs_min(d_nodes, legs_o, len(o))
    j_via = np.full(len(o), -1)
    has = leg >= 0
    j_via[has] = src[legs_o[1][leg[has]]]
    via_m = np.full(len(o), np.nan)
    if has.any():
        node_m = _tree_metres(network, d_nodes, pred, acc_t)
        via_m[has] = node_m[legs_o[1][leg[has]]] + acc_o.metres[leg[has]]
    # trips along one same edge, origin and target snapped onto it
    po, pt_, along, along_m = _same_edge(network, acc_o, acc_t)
    order = np.lexsort((pt_, along, po))
    first = order[np.r_[True, po[order][1:] != po[order][:-1]]] if len(order) else order
    better = first[(along[first] < via[po[first]]) | (j_via[po[first]] < 0)]
    via[po[better]], j_via[po[better]], via_m[po[better]] = along[better], pt_[better], along_m[better]
    use_net = (via < direct) & (j_via >= 0)
    j = np.where(use_net, j_via, j_direct)
    minutes = np.where(use_net, via, direct)
    route_m = np.where(use_net, via_m, d_direct.astype(float))
    pt = t.precision_m[j]
    return pd.DataFrame({"target_index": t.index.take(j), "minutes": minutes, "road_km": route_m / 1000.0,
                         "direct": ~use_net,
                         "origin_precision_m": o.precision_m, "target_precision_m": pt,
                         "uncertainty_min": _uncertainty_min(o.precision_m, pt, speed)}, index=o.index)
