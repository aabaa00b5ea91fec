"""Travel time on a line network: the corridor layer or a user's own road file.

:func:`travel_network` turns lines into a graph (nodes at vertices, lines that
share a vertex are connected; crossings without a shared vertex, e.g. an
expressway over a railway, are not).  Each edge gets its geodesic length and a
speed, from a numeric column or from a mode column through ``default_speeds``.
Shortest paths use :func:`scipy.sparse.csgraph.dijkstra`.

Origins and targets join the network at their nearest node by an *access
leg* travelled at ``access_speed_kmh`` (default 30 km/h: local roads) along
the geodesic; a trip may also be made entirely at access speed when that is
quicker.  A railway drawn through its stations (``geometry_basis`` =
``railway_stations``) can thus be boarded only at stations.

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


@dataclass
class TravelNetwork:
    """A graph in the analysis CRS: node coordinates, edges and a sparse matrix of minutes."""

    nodes_xy: np.ndarray
    edges: pd.DataFrame  # u, v, length_m, speed_kmh, minutes, schematic, source_index
    graph: csr_matrix = field(repr=False)
    schematic: bool
    crs: pyproj.CRS

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
) -> TravelNetwork:
    """Build a travel-time graph from lines.

    Parameters
    ----------
    lines : GeoDataFrame
        LineStrings / MultiLineStrings, any CRS: the corridor layer
        (``layers/plans/corridors.geojson``) or a user's road file.
    speed_kmh_by : str, default "mode"
        A numeric column (km/h) or a text column looked up in ``default_speeds``.
    default_speeds : mapping, optional
        km/h per mode; default :data:`DEFAULT_SPEEDS_KMH`.
    snap_m : float, default 1.0
        Vertices closer than about this are the same node.

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
    schem = (gdf["geometry_basis"].astype(str).to_numpy() == "schematic") if "geometry_basis" in gdf.columns \
        else np.zeros(len(gdf), dtype=bool)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    keys = np.round(coords / snap).astype(np.int64)
    _, first, node = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    node = node.ravel()
    nodes_xy = coords[first]
    same = part[1:] == part[:-1]
    u, v = node[:-1][same], node[1:][same]
    feat = owner[part[:-1][same]]
    keep = u != v
    u, v, feat = u[keep], v[keep], feat[keep]
    length = geodesic_distance(nodes_xy[u, 0], nodes_xy[u, 1], nodes_xy[v, 0], nodes_xy[v, 1], gdf.crs)
    minutes = length / (speeds[feat] * 1000.0 / 60.0)
    edges = pd.DataFrame({"u": u, "v": v, "length_m": length, "speed_kmh": speeds[feat], "minutes": minutes,
                          "schematic": schem[feat], "source_index": gdf.index.take(feat)})
    # undirected, keeping the quickest of parallel edges
    a, b = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((minutes, b, a))
    first_pair = np.r_[True, (a[order][1:] != a[order][:-1]) | (b[order][1:] != b[order][:-1])]
    sel = order[first_pair]
    n = len(nodes_xy)
    # csgraph treats explicit zeros as absent edges: give zero-length edges a tiny time
    w = np.maximum(minutes[sel], 1e-9)
    graph = csr_matrix((np.r_[w, w], (np.r_[a[sel], b[sel]], np.r_[b[sel], a[sel]])), shape=(n, n))
    return TravelNetwork(nodes_xy, edges, graph, bool(schem.any()), gdf.crs)


def _access(net: TravelNetwork, layer: _validate.Layer, access_speed_kmh: float) -> tuple[np.ndarray, np.ndarray]:
    """Nearest node of each point and the access time (minutes) to it."""
    if layer.xy is None:
        raise InputError(f"{layer.name}: must be points for travel times (use centroids: gdf.centroid).")
    _, node = cKDTree(net.nodes_xy).query(layer.xy, k=1)
    d = geodesic_distance(layer.xy[:, 0], layer.xy[:, 1], net.nodes_xy[node, 0], net.nodes_xy[node, 1], net.crs)
    return node, d / (access_speed_kmh * 1000.0 / 60.0)


def travel_times(
    network: TravelNetwork,
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    access_speed_kmh: float = 30.0,
) -> pd.DataFrame:
    """Origin-destination travel times in minutes (rows ``origins.index``, columns ``targets.index``).

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
    o = _validate.layer(origins, name="origins")
    t = _validate.layer(targets, name="targets")
    if len(o) == 0 or len(t) == 0:
        return pd.DataFrame(np.zeros((len(o), len(t))), index=o.index, columns=t.index)
    o_node, o_min = _access(network, o, speed)
    t_node, t_min = _access(network, t, speed)
    uniq, inv = np.unique(o_node, return_inverse=True)
    on_net = dijkstra(network.graph, directed=False, indices=uniq)[inv][:, t_node]
    total = o_min[:, None] + on_net + t_min[None, :]
    oi = np.repeat(np.arange(len(o)), len(t))
    ti = np.tile(np.arange(len(t)), len(o))
    direct = geodesic_distance(o.xy[oi, 0], o.xy[oi, 1], t.xy[ti, 0], t.xy[ti, 1], network.crs)
    direct = (direct / (speed * 1000.0 / 60.0)).reshape(len(o), len(t))
    return pd.DataFrame(np.minimum(total, direct), index=o.index, columns=t.index)


def isochrones(
    network: TravelNetwork,
    origins: gpd.GeoDataFrame,
    minutes: float | Sequence[float] = (30,),
    *,
    access_speed_kmh: float = 30.0,
    quad_segs: int = 8,
) -> gpd.GeoDataFrame:
    """Areas reachable within given travel times, e.g. the 半小时经济圈 of 柳城 and 鹿寨.

    Each reached piece of an edge contributes the area reachable from it at
    ``access_speed_kmh`` with the time left (a tapering corridor, the convex
    hull of a disk at its start and its far end), and each reached node a disk
    of the time left at access speed.

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
    src = _validate.as_frame(origins, layer="origins")
    o = _validate.layer(src, name="origins", allow_empty_layer=True)
    out_crs = src.crs if src.crs is not None else network.crs
    if len(o) == 0:
        return gpd.GeoDataFrame({"origin_index": [], "minutes": [], "area_km2": [], "schematic": []},
                                geometry=[], crs=out_crs)
    o_node, o_min = _access(network, o, speed)
    dist = dijkstra(network.graph, directed=False, indices=o_node) + o_min[:, None]
    e = network.edges
    u, v = e["u"].to_numpy(), e["v"].to_numpy()
    length, ev, schem = e["length_m"].to_numpy(), e["speed_kmh"].to_numpy() * 1000.0 / 60.0, e["schematic"].to_numpy()
    nxy = network.nodes_xy
    access = speed * 1000.0 / 60.0  # metres per minute
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
                reach = left > 0
                if not reach.any():
                    continue
                frac = np.minimum(left[reach] * ev[reach] / length[reach], 1.0)
                start = nxy[a[reach]]
                end = start + (nxy[b[reach]] - start) * frac[:, None]
                left_end = left[reach] - frac * length[reach] / ev[reach]
                r0 = np.maximum(left[reach] * access, 1.0)
                r1 = np.maximum(left_end * access, 1.0)
                if tm is not None:  # geodesic metres -> plane metres
                    r0 = r0 / inverse_scale(tm, start[:, 0])
                    r1 = r1 / inverse_scale(tm, end[:, 0])
                hulls = shapely.convex_hull(shapely.union(
                    shapely.buffer(shapely.points(start), r0, quad_segs=quad_segs),
                    shapely.buffer(shapely.points(end), r1, quad_segs=quad_segs)))
                pieces.append(hulls)
                used_schematic |= bool(schem[reach].any())
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
) -> pd.DataFrame:
    """The quickest-to-reach target of every origin: ``target_index`` and ``minutes``, aligned to origins.

    Ties go to the target that comes first in ``targets``.
    """
    tt = travel_times(network, origins, targets, access_speed_kmh=access_speed_kmh)
    if tt.shape[1] == 0:
        return pd.DataFrame({"target_index": [None] * len(tt), "minutes": np.nan}, index=tt.index)
    j = np.argmin(tt.to_numpy(), axis=1)
    return pd.DataFrame({"target_index": tt.columns.take(j), "minutes": tt.to_numpy()[np.arange(len(tt)), j]},
                        index=tt.index)


