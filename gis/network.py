"""Travel time on a line network: the corridor layer or a user's own road file.

:func:`travel_network` turns lines into a graph: nodes at vertices, lines that
share a vertex are connected there.  Each edge gets its geodesic length and a
speed, from a numeric column or from a mode column through ``default_speeds``.
Lines that come close without sharing a vertex (a railway station next to the
road network, an expressway passing a town's road node) are joined by
*transfer* edges: every two nodes within ``transfer_m`` of each other, unless
both carry one and the same mode only (lines of one mode are expected to meet
at shared vertices), at ``transfer_speed_kmh`` plus a ``transfer_min`` penalty.
Shortest paths use :func:`scipy.sparse.csgraph.dijkstra`.

Origins and targets join the network by *access legs* travelled at
``access_speed_kmh`` (default 30 km/h: local roads) along the geodesic: to
every node within ``access_radius_m`` and to the nearest node of every line,
so a railway station that happens to be nearer than the road network never
cuts a town off from the roads.  A trip may also be made entirely at access
speed when that is quicker.  A railway drawn through its stations
(``geometry_basis`` = ``railway_stations``) can thus be boarded only at
stations.  With these rules, adding a line to a network never lengthens a
travel time nor shrinks an isochrone.

Networks with any ``geometry_basis == "schematic"`` line (corridors drawn
as straight links between the places a plan names) are flagged
``schematic``, and so is every isochrone that uses such a line: their shape
and travel times are indicative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
from ._geodesic import geodesic_area, geodesic_distance, inverse_scale, tm_scale

#: Speeds (km/h) by ``mode`` when no speed column is given.  Typical operating speeds, not design speeds.
DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "expressway": 90.0,
    "highway": 80.0,
    "national_road": 60.0,
    "provincial_road": 50.0,
    "road": 40.0,
    "urban_road": 30.0,
    "railway": 120.0,
    "high_speed_railway": 200.0,
    "metro": 35.0,
    "waterway": 15.0,
}

#: csgraph drops explicit zeros as absent edges: zero-time legs get this many minutes instead.
_EPS_MIN = 1e-9
#: Planar distances are prefilters only; the analysis CRS's scale error is far below this.
_PLANE_SLACK = 1.05
#: Cells of the (points x line vertices) distance block computed at once when finding each line's nearest node.
_BLOCK_CELLS = 2_000_000


@dataclass
class TravelNetwork:
    """A graph in the analysis CRS: node coordinates, edges and a sparse matrix of minutes.

    ``edges`` holds the line segments (``u``, ``v``, ``length_m``, ``speed_kmh``,
    ``minutes``, ``schematic``, ``source_index``), ``transfers`` the transfer
    edges (``u``, ``v``, ``length_m``, ``minutes``); ``graph`` is the symmetric
    matrix of the quickest edge between each two nodes.  ``line_nodes`` and
    ``line_starts`` list the nodes of each line (row position in the input),
    grouped by line: the nodes of line ``i`` are
    ``line_nodes[line_starts[i]:line_starts[i + 1]]``.
    """

    nodes_xy: np.ndarray
    edges: pd.DataFrame
    graph: csr_matrix = field(repr=False)
    schematic: bool
    crs: pyproj.CRS
    transfers: pd.DataFrame = field(repr=False)
    line_nodes: np.ndarray = field(repr=False)
    line_starts: np.ndarray = field(repr=False)

    @property
    def n_nodes(self) -> int:
        return len(self.nodes_xy)


def _speeds(gdf: gpd.GeoDataFrame, speed_kmh_by: str, default_speeds: Mapping[str, float]) -> np.ndarray:
    col = _validate.column(gdf, speed_kmh_by, layer="lines", purpose="speeds in km/h, or modes to look up")
    if pd.api.types.is_numeric_dtype(col):
        speed = col.to_numpy(dtype=float)
    else:
        unknown = sorted(set(col.dropna().astype(str)) - set(default_speeds))
        if unknown or col.isna().any():
            raise InputError(
                f"lines: column {speed_kmh_by!r} has values with no speed: {unknown or ['<missing>']}. "
                f"Known: {sorted(default_speeds)}. Pass default_speeds={{...}} with a km/h value for each."
            )
        speed = col.astype(str).map(default_speeds).to_numpy(dtype=float)
    bad = ~np.isfinite(speed) | (speed <= 0)
    if bad.any():
        raise InputError(
            f"lines: speeds must be positive km/h; rows {list(gdf.index[bad][:5])} have {list(speed[bad][:5])}."
        )
    return speed


def travel_network(
    lines: gpd.GeoDataFrame,
    *,
    speed_kmh_by: str = "mode",
    default_speeds: Mapping[str, float] | None = None,
    snap_m: float = 1.0,
    transfer_m: float = 1000.0,
    transfer_speed_kmh: float = 30.0,
    transfer_min: float = 5.0,
) -> TravelNetwork:
    """Build a travel-time graph from lines.

    Parameters
    ----------
    lines : GeoDataFrame
        LineStrings / MultiLineStrings, any CRS: the corridor layer
        (``layers/plans/corridors.geojson``) or a user's road file.
    speed_kmh_by : str, default "mode"
        A numeric column (km/h) or a text column looked up in ``default_speeds``.
        Its values are the lines' *modes* for transfers.
    default_speeds : mapping, optional
        km/h per mode; default :data:`DEFAULT_SPEEDS_KMH`.
    snap_m : float, default 1.0
        Vertices closer than about this are the same node.
    transfer_m : float, default 1000
        Nodes closer than this (plane metres of the analysis CRS) are joined by
        a transfer edge unless both carry one and the same mode only, e.g. a
        station 900 m from the road network's node in town.  0 turns transfers
        off.  On a dense road file of one mode per street class, keep it small:
        the number of transfer edges grows with its square.
    transfer_speed_kmh : float, default 30
        Speed of the transfer leg (km/h, along the geodesic).
    transfer_min : float, default 5
        Minutes added to every transfer (changing vehicle, waiting).

    Returns
    -------
    TravelNetwork

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> road = gpd.GeoDataFrame({"mode": ["expressway"]},
    ...     geometry=[LineString([(109.2, 24.3), (109.4, 24.3)])], crs="EPSG:4326")
    >>> net = travel_network(road)
    >>> net.n_nodes, round(float(net.edges["minutes"].iloc[0]), 2)  # 20.3 km at 90 km/h
    (2, 13.54)
    """
    gdf = _validate.prepare(lines, layer="lines")
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if (shapely.get_dimensions(geoms) != 1).any():
        raise InputError("lines: every geometry must be a LineString or MultiLineString; drop points and polygons.")
    speeds = _speeds(gdf, speed_kmh_by, DEFAULT_SPEEDS_KMH if default_speeds is None else default_speeds)
    snap = _validate.distance(snap_m, name="snap_m", allow_zero=False)
    reach = _validate.distance(transfer_m, name="transfer_m")
    t_speed = _validate.distance(transfer_speed_kmh, name="transfer_speed_kmh", allow_zero=False)
    t_min = _validate.distance(transfer_min, name="transfer_min")
    schem = (gdf["geometry_basis"].astype(str).to_numpy() == "schematic") if "geometry_basis" in gdf.columns \
        else np.zeros(len(gdf), dtype=bool)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    keys = np.round(coords / snap).astype(np.int64)
    _, first, node = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    node = node.ravel()
    nodes_xy = coords[first]
    n = len(nodes_xy)
    same = part[1:] == part[:-1]
    u, v = node[:-1][same], node[1:][same]
    feat = owner[part[:-1][same]]
    keep = u != v
    u, v, feat = u[keep], v[keep], feat[keep]
    length = geodesic_distance(nodes_xy[u, 0], nodes_xy[u, 1], nodes_xy[v, 0], nodes_xy[v, 1], gdf.crs)
    minutes = length / (speeds[feat] * 1000.0 / 60.0)
    edges = pd.DataFrame({"u": u, "v": v, "length_m": length, "speed_kmh": speeds[feat], "minutes": minutes,
                          "schematic": schem[feat], "source_index": gdf.index.take(feat)})
    # nodes of each line, grouped by line
    line_of_vertex = owner[part]
    pairs = np.unique(np.column_stack([line_of_vertex, node]), axis=0)
    line_nodes = pairs[:, 1]
    line_starts = np.searchsorted(pairs[:, 0], np.arange(len(gdf) + 1))
    mode = pd.factorize(gdf[speed_kmh_by].astype(str))[0]
    transfers = _transfers(nodes_xy, line_nodes, mode[pairs[:, 0]], gdf.crs,
                           reach_m=reach, speed_kmh=t_speed, penalty_min=t_min)
    # undirected, keeping the quickest of parallel edges (lines and transfers)
    tu, tv, tw = transfers["u"].to_numpy(), transfers["v"].to_numpy(), transfers["minutes"].to_numpy()
    a, b = np.minimum(np.r_[u, tu], np.r_[v, tv]), np.maximum(np.r_[u, tu], np.r_[v, tv])
    w_all = np.r_[minutes, tw]
    order = np.lexsort((w_all, b, a))
    first_pair = np.r_[True, (a[order][1:] != a[order][:-1]) | (b[order][1:] != b[order][:-1])]
    sel = order[first_pair]
    w = np.maximum(w_all[sel], _EPS_MIN)
    graph = csr_matrix((np.r_[w, w], (np.r_[a[sel], b[sel]], np.r_[b[sel], a[sel]])), shape=(n, n))
    return TravelNetwork(nodes_xy, edges, graph, bool(schem.any()), gdf.crs, transfers, line_nodes, line_starts)


def _transfers(nodes_xy: np.ndarray, node_of: np.ndarray, mode_of: np.ndarray, crs: pyproj.CRS, *,
               reach_m: float, speed_kmh: float, penalty_min: float) -> pd.DataFrame:
    """Transfer edges between nodes within ``reach_m``, except two nodes that both carry one same mode only.

    The rule only ever adds edges when lines are added (a node's modes only grow), so more lines never
    lengthen a trip.
    """
    empty = pd.DataFrame({"u": np.zeros(0, np.int64), "v": np.zeros(0, np.int64), "length_m": [], "minutes": []})
    if reach_m == 0 or len(nodes_xy) < 2:
        return empty
    ij = cKDTree(nodes_xy).query_pairs(reach_m, output_type="ndarray")
    if len(ij) == 0:
        return empty
    node_mode = np.unique(np.column_stack([node_of, mode_of]), axis=0)
    n_modes = np.bincount(node_mode[:, 0], minlength=len(nodes_xy))
    only_mode = np.full(len(nodes_xy), -1)
    only_mode[node_mode[:, 0]] = node_mode[:, 1]  # meaningful where n_modes == 1
    i, j = ij[:, 0], ij[:, 1]
    one_mode = (n_modes[i] == 1) & (n_modes[j] == 1) & (only_mode[i] == only_mode[j])
    i, j = i[~one_mode], j[~one_mode]
    length = geodesic_distance(nodes_xy[i, 0], nodes_xy[i, 1], nodes_xy[j, 0], nodes_xy[j, 1], crs)
    return pd.DataFrame({"u": i, "v": j, "length_m": length,
                         "minutes": penalty_min + length / (speed_kmh * 1000.0 / 60.0)})


def _access_legs(net: TravelNetwork, layer: _validate.Layer, *, access_speed_kmh: float, access_radius_m: float,
                 reach_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Access legs of each point: ``(point, node, minutes)``.

    A point reaches every node within ``access_radius_m`` and the nearest node of every line.  Legs of
    ``reach_m`` (per point) or longer are dropped: they cannot beat the alternative the caller has (a
    direct trip, or the end of the time budget), so dropping them changes no result.
    """
    if layer.xy is None:
        raise InputError(f"{layer.name}: must be points for travel times (use centroids: gdf.centroid).")
    xy, nxy = layer.xy, net.nodes_xy
    near = cKDTree(nxy).query_ball_point(xy, r=access_radius_m)
    counts = np.fromiter((len(x) for x in near), dtype=np.int64, count=len(xy))
    p_in = np.repeat(np.arange(len(xy)), counts)
    n_in = np.fromiter((k for x in near for k in x), dtype=np.int64, count=int(counts.sum()))
    # nearest node of every line: per point, the minimum over each line's run of nodes
    starts = net.line_starts[:-1][np.diff(net.line_starts) > 0]
    lnodes = net.line_nodes
    p_line, n_line = [], []
    block = max(1, _BLOCK_CELLS // max(len(lnodes), 1))
    for s in range(0, len(xy), block):
        pts = xy[s:s + block]
        d = np.hypot(pts[:, None, 0] - nxy[lnodes, 0][None, :], pts[:, None, 1] - nxy[lnodes, 1][None, :])
        best = np.minimum.reduceat(d, starts, axis=1)
        at = np.where(d == np.repeat(best, np.diff(np.r_[starts, len(lnodes)]), axis=1),
                      np.arange(len(lnodes))[None, :], len(lnodes))
        first = np.minimum.reduceat(at, starts, axis=1)
        ok = best <= reach_m[s:s + block, None] * _PLANE_SLACK
        rows, cols = np.nonzero(ok)
        p_line.append(rows + s)
        n_line.append(lnodes[first[rows, cols]])
    p = np.r_[p_in, np.concatenate(p_line)] if p_line else p_in
    nd = np.r_[n_in, np.concatenate(n_line)] if n_line else n_in
    key = np.sort(p.astype(np.int64) * len(nxy) + nd)  # np.unique hashes, several times slower here
    key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key
    p, nd = key // len(nxy), key % len(nxy)
    dist = geodesic_distance(xy[p, 0], xy[p, 1], nxy[nd, 0], nxy[nd, 1], net.crs)
    keep = dist < reach_m[p]
    return p[keep], nd[keep], dist[keep] / (access_speed_kmh * 1000.0 / 60.0)


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


def travel_times(
    network: TravelNetwork,
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    access_speed_kmh: float = 30.0,
    access_radius_m: float = 5000.0,
) -> pd.DataFrame:
    """Origin-destination travel times in minutes (rows ``origins.index``, columns ``targets.index``).

    A trip is an access leg from the origin to a node, the quickest path on
    the network, and an access leg to the target; or, when quicker, the whole
    way at access speed.

    Parameters
    ----------
    network : TravelNetwork
        From :func:`travel_network`.
    origins, targets : GeoDataFrame
        Points, any CRS.
    access_speed_kmh : float, default 30
        Speed off the network, along the geodesic (km/h).
    access_radius_m : float, default 5000
        Every node within this distance (plane metres of the analysis CRS) is
        an access node; beyond it, only the nearest node of each line.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point
    >>> road = gpd.GeoDataFrame({"speed": [60.0]},
    ...     geometry=[LineString([(109.2, 24.3), (109.4, 24.3)])], crs="EPSG:4326")
    >>> net = travel_network(road, speed_kmh_by="speed")
    >>> a = gpd.GeoDataFrame(geometry=[Point(109.2, 24.3)], crs="EPSG:4326")
    >>> b = gpd.GeoDataFrame(geometry=[Point(109.4, 24.3)], crs="EPSG:4326")
    >>> round(float(travel_times(net, a, b).iloc[0, 0]), 1)  # 20.3 km at 60 km/h
    20.3
    """
    speed = _validate.distance(access_speed_kmh, name="access_speed_kmh", allow_zero=False)
    radius = _validate.distance(access_radius_m, name="access_radius_m")
    o = _validate.layer(origins, name="origins")
    t = _validate.layer(targets, name="targets")
    if len(o) == 0 or len(t) == 0:
        return pd.DataFrame(np.zeros((len(o), len(t))), index=o.index, columns=t.index)
    if o.xy is None or t.xy is None:
        name = "origins" if o.xy is None else "targets"
        raise InputError(f"{name}: must be points for travel times (use centroids: gdf.centroid).")
    direct_m = _direct_m(o, t, network.crs)
    # a leg as long as the longest direct trip from (to) that point cannot be part of a quicker trip
    legs_o = _access_legs(network, o, access_speed_kmh=speed, access_radius_m=radius, reach_m=direct_m.max(axis=1))
    legs_t = _access_legs(network, t, access_speed_kmh=speed, access_radius_m=radius, reach_m=direct_m.max(axis=0))
    graph = _with_access(network, legs_o, legs_t, len(o), len(t))
    n = network.n_nodes
    direct = direct_m / (speed * 1000.0 / 60.0)
    out = np.empty((len(o), len(t)))
    block = max(1, 4_000_000 // graph.shape[0])
    for s in range(0, len(o), block):
        rows = np.arange(s, min(s + block, len(o)))
        dist = dijkstra(graph, directed=True, indices=n + rows, limit=float(direct[rows].max()))
        out[rows] = np.minimum(dist[:, n + len(o):], direct[rows])
    return pd.DataFrame(out, index=o.index, columns=t.index)


def isochrones(
    network: TravelNetwork,
    origins: gpd.GeoDataFrame,
    minutes: float | Sequence[float] = (30,),
    *,
    access_speed_kmh: float = 30.0,
    access_radius_m: float = 5000.0,
    quad_segs: int = 8,
) -> gpd.GeoDataFrame:
    """Areas reachable within given travel times, e.g. the 半小时经济圈 of 柳城 and 鹿寨.

    Each reached piece of an edge contributes the area reachable from it at
    ``access_speed_kmh`` with the time left (a tapering corridor, the convex
    hull of a disk at its start and its far end), and the origin a disk of
    the whole time at access speed.  Origins join the network as in
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
        Every node within this distance of an origin is an access node; beyond
        it, only the nearest node of each line.
    quad_segs : int, default 8
        Segments per quarter circle of the disks.

    Returns
    -------
    GeoDataFrame
        In the origins' CRS, one row per origin and time: ``origin_index``,
        ``minutes``, ``area_km2``, ``schematic``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point
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
    src = _validate.as_frame(origins, layer="origins")
    o = _validate.layer(src, name="origins", allow_empty_layer=True)
    out_crs = src.crs if src.crs is not None else network.crs
    if len(o) == 0:
        return gpd.GeoDataFrame({"origin_index": [], "minutes": [], "area_km2": [], "schematic": []},
                                geometry=[], crs=out_crs)
    access = speed * 1000.0 / 60.0  # metres per minute
    reach = np.full(len(o), max(times) * access)
    legs = _access_legs(network, o, access_speed_kmh=speed, access_radius_m=radius, reach_m=reach)
    graph = _with_access(network, legs, (np.zeros(0, int), np.zeros(0, int), np.zeros(0)), len(o), 0)
    n = network.n_nodes
    dist = dijkstra(graph, directed=True, indices=n + np.arange(len(o)), limit=max(times))[:, :n]
    e = network.edges
    u, v = e["u"].to_numpy(), e["v"].to_numpy()
    length, ev, schem = e["length_m"].to_numpy(), e["speed_kmh"].to_numpy() * 1000.0 / 60.0, e["schematic"].to_numpy()
    nxy = network.nodes_xy
    tm = tm_scale(network.crs, nxy[:, 0], nxy[:, 1])
    rows = []
    for i in range(len(o)):
        for budget in times:
            pieces = []
            used_schematic = False
            # the origin itself, reached at access speed
            pieces.append(shapely.buffer(shapely.points(o.xy[i]), max(budget * access, 1.0), quad_segs=quad_segs))
            for a, b in ((u, v), (v, u)):
                left = budget - dist[i, a]
                reach_e = left > 0
                if not reach_e.any():
                    continue
                frac = np.minimum(left[reach_e] * ev[reach_e] / length[reach_e], 1.0)
                start = nxy[a[reach_e]]
                end = start + (nxy[b[reach_e]] - start) * frac[:, None]
                left_end = left[reach_e] - frac * length[reach_e] / ev[reach_e]
                r0 = np.maximum(left[reach_e] * access, 1.0)
                r1 = np.maximum(left_end * access, 1.0)
                if tm is not None:  # geodesic metres -> plane metres
                    r0 = r0 / inverse_scale(tm, start[:, 0])
                    r1 = r1 / inverse_scale(tm, end[:, 0])
                hulls = shapely.convex_hull(shapely.union(
                    shapely.buffer(shapely.points(start), r0, quad_segs=quad_segs),
                    shapely.buffer(shapely.points(end), r1, quad_segs=quad_segs)))
                pieces.append(hulls)
                used_schematic |= bool(schem[reach_e].any())
            geom = shapely.union_all(np.concatenate([np.atleast_1d(p) for p in pieces]))
            rows.append((src.index[i], budget, geom, used_schematic))
    geoms = np.array([r[2] for r in rows], dtype=object)
    out = gpd.GeoDataFrame({
        "origin_index": [r[0] for r in rows],
        "minutes": [r[1] for r in rows],
        "area_km2": geodesic_area(geoms, network.crs) / 1e6,
        "schematic": [r[3] for r in rows],
    }, geometry=geoms, crs=network.crs)
    return out if out.crs == out_crs else out.to_crs(out_crs)


def nearest_by_time(
    network: TravelNetwork,
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    access_speed_kmh: float = 30.0,
    access_radius_m: float = 5000.0,
) -> pd.DataFrame:
    """The quickest-to-reach target of every origin: ``target_index`` and ``minutes``, aligned to origins.

    Trips as in :func:`travel_times`.  Ties go to the target that comes first in ``targets``.
    """
    tt = travel_times(network, origins, targets, access_speed_kmh=access_speed_kmh, access_radius_m=access_radius_m)
    if tt.shape[1] == 0:
        return pd.DataFrame({"target_index": [None] * len(tt), "minutes": np.nan}, index=tt.index)
    j = np.argmin(tt.to_numpy(), axis=1)
    return pd.DataFrame({"target_index": tt.columns.take(j), "minutes": tt.to_numpy()[np.arange(len(tt)), j]},
                        index=tt.index)
