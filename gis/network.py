"""Travel time on a line network: the shipped roads, the corridor layer, or a user's own road file.

:func:`travel_network` turns lines into a graph: nodes at vertices, lines that
share a vertex are connected there.  Each edge gets its geodesic length and a
speed, from a numeric column or from a class column looked up in the speed
model (:func:`speed_model`, data in ``layers/network/speeds.yaml``): the
inferred ``road_class`` of the shipped ``roads`` layer, OpenStreetMap
``highway=*`` values, Chinese road-class words (高速公路, 国道 …) or the plan
corridors' ``mode``.  Lines drawn as straight chords between junctions
(``geometry_basis`` ``osm_graph_chord``, the shipped ``roads`` / ``railways``)
are lengthened by a detour factor, because a chord is shorter than the road.
Lines that come close without sharing a vertex (a railway station next to the
road network, an expressway passing a town's road node) are joined by
*transfer* edges: every two nodes within ``transfer_m`` of each other, unless
both carry one and the same mode only (lines of one mode are expected to meet
at shared vertices), at ``transfer_speed_kmh`` plus a ``transfer_min`` penalty.
Shortest paths use :func:`scipy.sparse.csgraph.dijkstra` on a graph that stays
fixed: a matrix is searched from its smaller side, and
:func:`nearest_by_time` makes one multi-source search.

Origins and targets join the network by *access legs* travelled at
``access_speed_kmh`` (default 30 km/h: local roads) along the geodesic: to
every node within ``access_radius_m`` and to the nearest node of every line
(of every connected piece, for a road network: see ``join_lines``), so a
railway station that happens to be nearer than the road network never cuts a
town off from the roads.  A trip may also be made entirely at access speed
when that is quicker.  A railway drawn through its stations
(``geometry_basis`` = ``railway_stations``) can thus be boarded only at
stations.  With these rules, adding a line to a network never lengthens a
travel time nor shrinks an isochrone.

Networks with any ``geometry_basis == "schematic"`` line (corridors drawn
as straight links between the places a plan names) are flagged
``schematic``, and so is every isochrone that uses such a line: their shape
and travel times are indicative.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from . import _validate
from ._errors import CRSError, InputError, LayerError
from ._geodesic import geodesic_area, geodesic_distance, inverse_scale, tm_scale
from .layers import layers_dir, read_yaml

#: Where the speed model lives, relative to the layers folder.
SPEEDS_FILE = "network/speeds.yaml"


@functools.lru_cache(maxsize=4)
def _speed_model(path: Path) -> dict[str, Any]:
    model = read_yaml(path)
    need = ("road_classes", "osm_highway", "road_class_words", "modes", "chord_bases")
    missing = [k for k in need if not isinstance(model, dict) or k not in model]
    if missing:
        raise LayerError(f"{path}: the speed model lacks {', '.join(missing)}; see the comments at its top.")
    return model


def speed_model() -> dict[str, Any]:
    """The default speed model (``layers/network/speeds.yaml``): km/h and detour factors per class.

    Keys: ``road_classes`` (rules of the shipped roads layer: ``class``, ``min_chord_km``, ``speed_kmh``,
    ``detour_factor``), ``osm_highway`` (OpenStreetMap ``highway=*`` → km/h), ``road_class_words``
    (高速公路, 国道 … → km/h), ``modes`` (corridor modes → km/h), ``chord_bases`` (the ``geometry_basis``
    values that get a detour factor), ``chord_detour_factor`` (for chord lines without a class factor).
    The file's comments give the sources of the numbers.

    Examples
    --------
    >>> m = speed_model()
    >>> m["osm_highway"]["motorway"], m["modes"]["expressway"]
    (100, 90)
    """
    return _speed_model(layers_dir() / SPEEDS_FILE)


def _modes() -> dict[str, float]:
    return {str(k): float(v) for k, v in speed_model()["modes"].items()}


#: Speeds (km/h) by ``mode`` of the plan corridors (from :func:`speed_model`).  Typical operating speeds.
DEFAULT_SPEEDS_KMH: dict[str, float] = _modes()

#: csgraph drops explicit zeros as absent edges: zero-time legs get this many minutes instead.
_EPS_MIN = 1e-9
#: Planar distances are prefilters only; the analysis CRS's scale error is far below this.
_PLANE_SLACK = 1.05
#: Cells of the (points x line vertices) distance block computed at once when finding each line's nearest node.
_BLOCK_CELLS = 2_000_000
#: Columns looked for, in this order, when ``speed_kmh_by`` is not given: (column, table of the speed model).
SPEED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("speed_kmh", "numeric"), ("road_class", "road_classes"), ("highway", "osm_highway"),
    ("fclass", "osm_highway"), ("mode", "modes"), ("等级", "road_class_words"), ("class", "road_class_words"),
)
#: Tables whose classes are all roads: no transfers between them, and lines join into connected pieces.
_ROAD_TABLES = ("road_classes", "osm_highway", "road_class_words")
#: OSM file suffixes read with GDAL's OSM driver.
OSM_SUFFIXES = (".osm", ".pbf")


def _m_per_min(speed_kmh):
    """A speed in km/h as metres per minute (scalar or array)."""
    return speed_kmh * 1000.0 / 60.0


@dataclass
class TravelNetwork:
    """A graph in the analysis CRS: node coordinates, edges and a sparse matrix of minutes.

    ``edges`` holds the line segments (``u``, ``v``, ``length_m``, ``road_m`` (``length_m`` times
    ``detour_factor``), ``speed_kmh``, ``minutes``, ``schematic``, ``source_index``), ``transfers`` the
    transfer edges (``u``, ``v``, ``length_m``, ``minutes``); ``graph`` is the symmetric matrix of the
    quickest edge between each two nodes.  ``line_nodes`` and ``line_starts`` list the nodes of each
    access unit (a line, or a connected piece of lines when ``joined``), grouped by unit: the nodes of
    unit ``i`` are ``line_nodes[line_starts[i]:line_starts[i + 1]]``.  ``speeds_from`` says where the
    speeds came from; ``notes`` what was left out and why.
    """

    nodes_xy: np.ndarray
    edges: pd.DataFrame
    graph: csr_matrix = field(repr=False)
    schematic: bool
    crs: pyproj.CRS
    transfers: pd.DataFrame = field(repr=False)
    line_nodes: np.ndarray = field(repr=False)
    line_starts: np.ndarray = field(repr=False)
    joined: bool = False
    speeds_from: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def n_nodes(self) -> int:
        return len(self.nodes_xy)


def read_roads(path: str | os.PathLike, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a user's road file: GeoPackage / Shapefile / GeoJSON lines, or an OpenStreetMap extract.

    ``.osm`` / ``.osm.pbf`` files are read through GDAL's OSM driver (pyogrio), layer ``lines``, keeping
    the ways with a ``highway`` tag; other files through :func:`gis.readers.read_vector`.  The result
    has ``attrs["source"]["path"]``, used to name the file in errors.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "mini.osm"
    >>> _ = p.write_text('<osm version="0.6"><node id="1" lat="24.3" lon="109.4"/><node id="2" lat="24.3" '
    ...     'lon="109.5"/><way id="9"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/></way></osm>')
    >>> read_roads(p)[["osm_id", "highway"]].values.tolist()
    [['9', 'primary']]
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found. Check the path.")
    if p.suffix.lower() in OSM_SUFFIXES:
        import pyogrio

        if "OSM" not in pyogrio.list_drivers():
            raise InputError(f"{p}: this GDAL ({pyogrio.__gdal_version_string__}) has no OSM driver; convert the "
                             "extract to GeoPackage first (ogr2ogr out.gpkg in.osm.pbf lines).")
        try:
            gdf = pyogrio.read_dataframe(p, layer="lines")
        except Exception as exc:  # GDAL's DataSourceError and friends
            raise InputError(f"{p}: GDAL's OSM driver cannot read it ({exc}). Is it an OSM XML or PBF file?") from exc
        if "highway" not in gdf.columns:
            gdf["highway"] = None
        gdf = gdf[gdf["highway"].notna()].reset_index(drop=True)
        if gdf.crs is None:
            gdf = gdf.set_crs("EPSG:4326")
        gdf.attrs["source"] = {"path": str(p), "format": "osm", "layer": "lines"}
        return gdf
    from .readers import read_vector

    gdf = read_vector(p, layer=layer)
    gdf.attrs.setdefault("source", {"path": str(p)})
    return gdf


def _speed_table(table: str, default_speeds: Mapping[str, float] | None) -> dict[str, float]:
    if default_speeds is not None:
        return {str(k): float(v) for k, v in default_speeds.items()}
    model = speed_model()
    if table == "road_classes":
        return {str(r["class"]): float(r["speed_kmh"]) for r in model["road_classes"]}
    return {str(k): float(v) for k, v in model[table].items()}


def _class_detour(table: str, detour_factor: float | Mapping[str, float] | None) -> tuple[dict[str, float], float]:
    """Detour factor per class and the default for chord lines."""
    model = speed_model()
    default = float(model.get("chord_detour_factor", 1.0))
    per = {str(r["class"]): float(r["detour_factor"]) for r in model["road_classes"]} if table == "road_classes" else {}
    if isinstance(detour_factor, Mapping):
        per = {**per, **{str(k): float(v) for k, v in detour_factor.items()}}
    elif detour_factor is not None:
        per, default = {}, float(detour_factor)
    return per, default


def _speeds_of(col: pd.Series, table: str, default_speeds: Mapping[str, float] | None,
               detour_factor: float | Mapping[str, float] | None, name: str, column: str
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(speed, detour, group, keep)`` of the rows of one column read through one table of the speed model."""
    keep = np.ones(len(col), dtype=bool)
    detour_per, detour_default = _class_detour(table, detour_factor)
    if table == "numeric":
        speed = col.to_numpy(dtype=float)
        return speed, np.full(len(col), detour_default), col.astype(str).to_numpy(), keep
    lookup = _speed_table(table, default_speeds)
    values = col.astype(str).where(col.notna(), None)
    unknown = sorted(set(values.dropna()) - set(lookup))
    if table == "osm_highway" and default_speeds is None:
        keep = values.isin(list(lookup)).to_numpy()
    elif unknown or values.isna().any():
        raise InputError(
            f"{name}: column {column!r} has values with no speed: {unknown or ['<missing>']}. "
            f"Known: {sorted(lookup)}. Pass default_speeds={{...}} with a km/h value for each."
        )
    speed = values.map(lookup).to_numpy(dtype=float)
    detour = values.map(detour_per).fillna(detour_default).to_numpy(dtype=float)
    group = np.full(len(col), "road", dtype=object) if table in _ROAD_TABLES else values.to_numpy(dtype=object)
    return speed, detour, group, keep


def _speeds(gdf: gpd.GeoDataFrame, speed_kmh_by: str | None, default_speeds: Mapping[str, float] | None,
            detour_factor: float | Mapping[str, float] | None, name: str
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str], list[str]]:
    """``(speed, detour, group, keep, tables, notes)`` per row; rows not kept are not roads for driving.

    Without ``speed_kmh_by`` each row takes the first of :data:`SPEED_COLUMNS` it has a value in, so a layer
    made of roads (``road_class``) and plan corridors (``mode``) works as it is.
    """
    n = len(gdf)
    speed, detour = np.full(n, np.nan), np.ones(n)
    group, keep = np.full(n, "", dtype=object), np.ones(n, dtype=bool)
    used: list[str] = []
    notes: list[str] = []
    if speed_kmh_by is None:
        found = [(c, t) for c, t in SPEED_COLUMNS if c in gdf.columns]
        found = [(c, t) for c, t in found if t != "numeric" or pd.api.types.is_numeric_dtype(gdf[c])]
        if not found:
            cols = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name) or "(none)"
            raise InputError(
                f"{name}: no speed information: none of the columns {', '.join(c for c, _ in SPEED_COLUMNS)} is "
                f"there (its columns: {cols}). Add a km/h column and pass speed_kmh_by=<column>, or a class column "
                "(OpenStreetMap highway=*, 等级 with 高速公路/国道/…), see gis.network.speed_model().")
        todo = np.ones(n, dtype=bool)
        for column, table in found:
            rows = todo & gdf[column].notna().to_numpy()
            if not rows.any():
                continue
            todo &= ~rows
            used.append(f"{column} ({table})")
            speed[rows], detour[rows], group[rows], keep[rows] = _speeds_of(
                gdf.loc[rows, column], table, default_speeds, detour_factor, name, column)
            if not keep[rows].all():
                left = gdf.loc[rows & ~keep, column].astype(str).value_counts()
                notes.append(f"{int((rows & ~keep).sum())} lines left out ({column} not a road for driving: "
                             + ", ".join(f"{k} {v}" for k, v in left.items()) + ")")
        if todo.any():
            raise InputError(
                f"{name}: rows {list(gdf.index[todo][:5])} ({int(todo.sum())} in all) have no value in any of the "
                f"speed columns {', '.join(c for c, _ in found)}. Fill them, or drop those rows.")
    else:
        col = _validate.column(gdf, speed_kmh_by, layer=name, purpose="speeds in km/h, or classes to look up")
        table = "numeric" if pd.api.types.is_numeric_dtype(col) else \
            next((t for c, t in SPEED_COLUMNS if c == speed_kmh_by and t != "numeric"), "modes")
        used.append(f"{speed_kmh_by} ({table})")
        speed, detour, group, keep = _speeds_of(col, table, default_speeds, detour_factor, name, speed_kmh_by)
        if not keep.all():
            left = gdf.loc[~keep, speed_kmh_by].astype(str).value_counts()
            notes.append(f"{int((~keep).sum())} lines left out ({speed_kmh_by} not a road for driving: "
                         + ", ".join(f"{k} {v}" for k, v in left.items()) + ")")
    bad = keep & (~np.isfinite(speed) | (speed <= 0))
    if bad.any():
        raise InputError(
            f"{name}: speeds must be positive km/h; rows {list(gdf.index[bad][:5])} have {list(speed[bad][:5])} "
            f"({', '.join(used)}). Fix or drop those rows."
        )
    if not np.isfinite(detour).all() or (detour < 1.0).any():
        raise InputError(f"{name}: detour_factor must be 1 or more (a road is never shorter than its chord).")
    chord_bases = [str(b) for b in speed_model()["chord_bases"]]
    is_chord = gdf["geometry_basis"].astype(str).isin(chord_bases).to_numpy() if "geometry_basis" in gdf.columns \
        else np.zeros(n, dtype=bool)
    if detour_factor is None:
        detour = np.where(is_chord, detour, 1.0)
    return speed, detour, group, keep, used, notes


def _check_lines(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """Refuse a layer without lines or with broken line geometries, naming the rows and the fix."""
    if gdf.crs is None:
        raise CRSError(f"{name}: has no CRS (unknown coordinate system). Declare it: gdf.set_crs('EPSG:4326') for "
                       "lon/lat, or give the file its .prj / CRS (ogr2ogr -a_srs EPSG:4545 …).")
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    dims = shapely.get_dimensions(geoms)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if len(gdf) == 0 or not ((dims == 1) & ~empty).any():
        kinds = sorted(set(shapely.get_type_id(geoms[~empty]).tolist()))
        raise InputError(f"{name}: holds no lines (geometry type ids {kinds or 'none'}; 1/5 are (Multi)LineString). "
                         "Pass the road layer (LineStrings), not points or polygons.")
    if (dims[~empty] != 1).any():
        raise InputError(f"{name}: every geometry must be a LineString or MultiLineString; rows "
                         f"{list(gdf.index[~empty & (dims != 1)][:5])} are not. Drop points and polygons.")
    coords = shapely.get_coordinates(geoms[~empty])
    broken = empty.copy()
    if not np.isfinite(coords).all():
        _, which = shapely.get_coordinates(geoms, return_index=True)
        bad_xy = ~np.isfinite(shapely.get_coordinates(geoms)).all(axis=1)
        broken[np.unique(which[bad_xy])] = True
    n_pts = shapely.get_num_coordinates(geoms)
    broken |= n_pts < 2
    if broken.any():
        raise InputError(f"{name}: rows {list(gdf.index[broken][:5])} ({int(broken.sum())} in all) have broken line "
                         "geometries (empty, fewer than 2 vertices, or NaN coordinates). Drop or repair them: "
                         "gdf[gdf.geometry.is_valid & ~gdf.geometry.is_empty].")
    return gdf


def travel_network(
    lines: gpd.GeoDataFrame | str | os.PathLike,
    *,
    speed_kmh_by: str | None = None,
    default_speeds: Mapping[str, float] | None = None,
    detour_factor: float | Mapping[str, float] | None = None,
    join_lines: bool | None = None,
    snap_m: float = 1.0,
    transfer_m: float = 1000.0,
    transfer_speed_kmh: float = 30.0,
    transfer_min: float = 5.0,
) -> TravelNetwork:
    """Build a travel-time graph from lines.

    Parameters
    ----------
    lines : GeoDataFrame or path
        LineStrings / MultiLineStrings, any CRS: the shipped ``roads`` (or ``railways``) layer, the corridor
        layer, or a user's road file (a path: GeoPackage, Shapefile, GeoJSON, or an OpenStreetMap
        ``.osm`` / ``.osm.pbf`` extract, see :func:`read_roads`).
    speed_kmh_by : str, optional
        A numeric column (km/h) or a text column of classes looked up in ``default_speeds`` or the speed
        model.  Default: for each row, the first of :data:`SPEED_COLUMNS` it has a value in (``speed_kmh``,
        ``road_class``, ``highway``, ``fclass``, ``mode``, ``等级``, ``class``), so the shipped roads and the plan
        corridors can be combined in one layer.  Its values are the lines' *modes* for
        transfers; road classes all count as one mode, ``road``.  OSM ``highway`` values the model does
        not list (footway, path, construction …) are not driven on: those lines are left out and counted
        in ``notes``.
    default_speeds : mapping, optional
        km/h per class, replacing the speed model's table for that column.
    detour_factor : float or mapping, optional
        Road length / drawn length.  Default: the speed model's factor for lines whose ``geometry_basis``
        is a chord basis (``osm_graph_chord``: the shipped roads and railways), 1 for the rest.  A number
        applies to every line; a mapping per class.
    join_lines : bool, optional
        Access units: each line (False), or each connected piece of the lines of one mode (True).  Default
        True for road classes and for edge lists (``u`` / ``v`` columns), False otherwise (plan corridors).
    snap_m : float, default 1.0
        Vertices closer than about this are the same node.
    transfer_m : float, default 1000
        Nodes closer than this (plane metres of the analysis CRS) are joined by a transfer edge unless both
        carry one and the same mode only, e.g. a station 900 m from the road network's node in town.  0 turns
        transfers off.
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
    if isinstance(lines, (str, os.PathLike)):
        lines = read_roads(lines)
    src = _validate.as_frame(lines, layer="lines")
    name = str(src.attrs.get("source", {}).get("path") or "lines")
    _check_lines(src, name)
    speeds, detour, group, keep, used, notes = _speeds(src, speed_kmh_by, default_speeds, detour_factor, name)
    if not keep.any():
        raise InputError(f"{name}: none of its {len(src)} lines is a road for driving ({'; '.join(notes)}). "
                         f"Known: {sorted(_speed_table('osm_highway', None))}; or pass default_speeds={{...}}.")
    gdf = _validate.prepare(src[keep] if not keep.all() else src, layer=name)
    speeds, detour, group = speeds[keep], detour[keep], group[keep]
    if join_lines is None:
        join_lines = any(f"({t})" in u for u in used for t in _ROAD_TABLES) or {"u", "v"} <= set(src.columns)
    snap = _validate.distance(snap_m, name="snap_m", allow_zero=False)
    reach = _validate.distance(transfer_m, name="transfer_m")
    t_speed = _validate.distance(transfer_speed_kmh, name="transfer_speed_kmh", allow_zero=False)
    t_min = _validate.distance(transfer_min, name="transfer_min")
    geoms = np.asarray(gdf.geometry.values, dtype=object)
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
    ok = u != v
    u, v, feat = u[ok], v[ok], feat[ok]
    length = geodesic_distance(nodes_xy[u, 0], nodes_xy[u, 1], nodes_xy[v, 0], nodes_xy[v, 1], gdf.crs)
    road_m = length * detour[feat]
    minutes = road_m / _m_per_min(speeds[feat])
    edges = pd.DataFrame({"u": u, "v": v, "length_m": length, "road_m": road_m, "speed_kmh": speeds[feat],
                          "minutes": minutes, "schematic": schem[feat], "source_index": gdf.index.take(feat)})
    mode = pd.factorize(pd.Series(group, dtype=object).astype(str))[0]
    # nodes of each access unit, grouped by unit
    line_of_vertex = owner[part]
    unit_of_line = np.arange(len(gdf))
    if join_lines and len(u):
        unit_of_line = np.full(len(gdf), -1)
        offset = 0
        for m in np.unique(mode):
            sel = mode[feat] == m
            g = coo_matrix((np.ones(int(sel.sum())), (u[sel], v[sel])), shape=(n, n))
            _, comp = connected_components(g, directed=False)
            lines_m = np.unique(feat[sel])
            first_node = np.full(len(gdf), -1)
            first_node[feat[sel]] = u[sel]
            labels, unit = np.unique(comp[first_node[lines_m]], return_inverse=True)
            unit_of_line[lines_m] = offset + unit
            offset += len(labels)
        lonely = unit_of_line < 0  # lines whose every segment collapsed into one node
        unit_of_line[lonely] = offset + np.arange(int(lonely.sum()))
    pairs = np.unique(np.column_stack([unit_of_line[line_of_vertex], node]), axis=0)
    line_nodes = pairs[:, 1]
    line_starts = np.searchsorted(pairs[:, 0], np.arange(int(unit_of_line.max(initial=-1)) + 2))
    vertex_pairs = np.unique(np.column_stack([line_of_vertex, node]), axis=0)
    transfers = _transfers(nodes_xy, vertex_pairs[:, 1], mode[vertex_pairs[:, 0]], gdf.crs,
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
    return TravelNetwork(nodes_xy, edges, graph, bool(schem.any()), gdf.crs, transfers, line_nodes, line_starts,
                         joined=bool(join_lines), speeds_from=" + ".join(used), notes=notes)


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
                         "minutes": penalty_min + length / _m_per_min(speed_kmh)})


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
    return p[keep], nd[keep], dist[keep] / _m_per_min(access_speed_kmh)


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


def _search(net: TravelNetwork, legs: tuple, n_src: int, limit: float, *, min_only: bool = False):
    """Dijkstra from ``n_src`` virtual sources joined by ``legs`` on the fixed network.

    Returns minutes to every network node, ``(n_src, n)``; with ``min_only`` one multi-source search:
    ``(minutes (n,), source of each node (n,), -1 where unreached)``.
    """
    n = net.n_nodes
    graph = _with_access(net, legs, _NO_LEGS, n_src, 0)
    idx = n + np.arange(n_src)
    if min_only:
        d, _, src = dijkstra(graph, directed=True, indices=idx, limit=limit, min_only=True, return_predecessors=True)
        src = np.where(src[:n] >= n, src[:n] - n, -1)
        return d[:n], src
    out = np.empty((n_src, n))
    block = max(1, 8_000_000 // max(graph.shape[0], 1))
    for s in range(0, n_src, block):
        out[s:s + block] = dijkstra(graph, directed=True, indices=idx[s:s + block], limit=limit)[:, :n]
    return out


def _legs_min(values: np.ndarray, legs: tuple, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Per point, the minimum over its legs of ``values[..., node] + minutes``, and the leg it came from.

    ``values`` is ``(k, n)`` or ``(n,)``; returns ``(k, n_points)`` (inf for a point without legs) and the
    chosen leg positions (-1 without legs).
    """
    p, nd, m = legs
    two_d = values.ndim == 2
    vals = values if two_d else values[None, :]
    out = np.full((vals.shape[0], n_points), np.inf)
    arg = np.full((vals.shape[0], n_points), -1, dtype=np.int64)
    if len(p):
        starts = np.r_[0, np.flatnonzero(np.diff(p)) + 1]
        pts = p[starts]
        block = max(1, 8_000_000 // len(p))
        for s in range(0, vals.shape[0], block):
            cand = vals[s:s + block][:, nd] + m[None, :]
            best = np.minimum.reduceat(cand, starts, axis=1)
            out[s:s + block, pts] = best
            if not two_d:  # which leg: the first reaching the minimum within the point's run
                hit = np.where(cand == np.repeat(best, np.diff(np.r_[starts, len(p)]), axis=1),
                               np.arange(len(p))[None, :], len(p))
                arg[s:s + block, pts] = np.minimum.reduceat(hit, starts, axis=1)
    return (out, arg) if two_d else (out[0], arg[0])


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
        Every node within this distance (plane metres of the analysis CRS) is
        an access node; beyond it, only the nearest node of each line (each
        connected piece of a road network).
    long : bool, default False
        Return one row per pair instead of a matrix: ``origin_index``,
        ``target_index``, ``minutes``, ``origin_precision_m``,
        ``target_precision_m`` and ``uncertainty_min``: the two positions'
        uncertainty (``precision_m``, NaN if unknown) as minutes at access speed.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point
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
        direct_m = _direct_m(o, t, network.crs)
        direct = direct_m / _m_per_min(speed)
        small_is_t = len(t) <= len(o)
        small, big = (t, o) if small_is_t else (o, t)
        d_sb = direct.T if small_is_t else direct  # (n_small, n_big)
        dm_sb = direct_m.T if small_is_t else direct_m
        # a leg as long as the longest direct trip from (to) that point cannot be part of a quicker trip
        legs_s = _access_legs(network, small, access_speed_kmh=speed, access_radius_m=radius, reach_m=dm_sb.max(axis=1))
        legs_b = _access_legs(network, big, access_speed_kmh=speed, access_radius_m=radius, reach_m=dm_sb.max(axis=0))
        d_nodes = _search(network, legs_s, len(small), float(direct.max()))
        via, _ = _legs_min(d_nodes, legs_b, len(big))
        res = np.minimum(via, d_sb)
        out = res.T if small_is_t else res
    if not long:
        return pd.DataFrame(out, index=o.index, columns=t.index)
    oi, ti = np.repeat(np.arange(len(o)), len(t)), np.tile(np.arange(len(t)), len(o))
    po, pt = o.precision_m[oi], t.precision_m[ti]
    return pd.DataFrame({"origin_index": o.index.take(oi), "target_index": t.index.take(ti), "minutes": out.ravel(),
                         "origin_precision_m": po, "target_precision_m": pt,
                         "uncertainty_min": _uncertainty_min(po, pt, speed)})


def _capsules(c0: np.ndarray, r0: np.ndarray, c1: np.ndarray, r1: np.ndarray, *, k: int) -> np.ndarray:
    """Convex hulls of pairs of disks ``(c0, r0)``, ``(c1, r1)`` as polygons, built in one vectorised pass.

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
    return shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))


def isochrones(
    network: TravelNetwork,
    origins: gpd.GeoDataFrame,
    minutes: float | Sequence[float] = (30,),
    *,
    access_speed_kmh: float = 30.0,
    access_radius_m: float = 5000.0,
    quad_segs: int = 8,
    covers: gpd.GeoDataFrame | None = None,
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
        Every node within this distance of an origin is an access node; beyond
        it, only the nearest node of each line.
    quad_segs : int, default 8
        Segments per quarter circle of the disks; each arc of a corridor gets as many.
    covers : GeoDataFrame, optional
        Points to count inside each polygon (e.g. the township seats): adds
        ``n_covered`` and ``covered`` (their ``name``, else index labels, joined by "、").

    Returns
    -------
    GeoDataFrame
        In the origins' CRS, one row per origin and time: ``origin_index``,
        ``minutes``, ``area_km2`` (ellipsoidal), ``schematic``.

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
    if not isinstance(quad_segs, (int, np.integer)) or quad_segs < 1:
        raise InputError(f"quad_segs: must be a positive whole number, got {quad_segs!r}.")
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
    legs = _access_legs(network, o, access_speed_kmh=speed, access_radius_m=radius, reach_m=reach)
    dist = _search(network, legs, len(o), max(times))
    e = network.edges
    u, v = e["u"].to_numpy(), e["v"].to_numpy()
    road, ev, schem = e["road_m"].to_numpy(), _m_per_min(e["speed_kmh"].to_numpy()), e["schematic"].to_numpy()
    nxy = network.nodes_xy
    tm = tm_scale(network.crs, nxy[:, 0], nxy[:, 1])
    rows = []
    for i in range(len(o)):
        for budget in times:
            pieces = []
            used_schematic = False
            # the origin itself, reached at access speed
            disk_r = max(budget * access, 1.0)
            if tm is not None:
                disk_r = disk_r / float(inverse_scale(tm, o.xy[i:i + 1, 0])[0])
            pieces.append(shapely.buffer(shapely.points(o.xy[i]), disk_r, quad_segs=quad_segs))
            la, lb = budget - dist[i, u], budget - dist[i, v]
            t_e = road / ev
            for a, b, left, other in ((u, v, la, lb), (v, u, lb, la)):
                # the piece from the end with less time left is inside the piece from the other end when
                # that end was reached along this edge (other <= left - t_e): drawn once
                reach_e = (left > 0) & ~((other > 0) & (left <= other - t_e + 1e-9) & (left < other))
                if not reach_e.any():
                    continue
                frac = np.minimum(left[reach_e] * ev[reach_e] / road[reach_e], 1.0)
                start = nxy[a[reach_e]]
                end = start + (nxy[b[reach_e]] - start) * frac[:, None]
                left_end = left[reach_e] - frac * road[reach_e] / ev[reach_e]
                r0 = np.maximum(left[reach_e] * access, 1.0)
                r1 = np.maximum(left_end * access, 1.0)
                if tm is not None:  # geodesic metres -> plane metres
                    r0 = r0 / inverse_scale(tm, start[:, 0])
                    r1 = r1 / inverse_scale(tm, end[:, 0])
                # a piece inside the origin's disk adds nothing (both its disks inside the disk's inscribed circle)
                inner = disk_r * np.cos(np.pi / (4 * quad_segs))
                outside = (np.hypot(*(start - o.xy[i]).T) + r0 > inner) | (np.hypot(*(end - o.xy[i]).T) + r1 > inner)
                pieces.append(_capsules(start[outside], r0[outside], end[outside], r1[outside], k=quad_segs))
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
        ``target_index``, ``minutes``, ``direct`` (True when the quickest trip is
        the whole way at access speed), ``origin_precision_m``,
        ``target_precision_m`` and ``uncertainty_min``: both positions'
        uncertainty as minutes at access speed (NaN where unknown); a
        difference between two targets smaller than it may not be real.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point
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
        return pd.DataFrame({"target_index": [None] * len(o), "minutes": np.nan, "direct": False,
                             "origin_precision_m": o.precision_m, "target_precision_m": np.nan,
                             "uncertainty_min": np.nan}, index=o.index)
    if o.xy is None or t.xy is None:
        name = "origins" if o.xy is None else "targets"
        raise InputError(f"{name}: must be points for travel times (use centroids: gdf.centroid).")
    mpm = _m_per_min(speed)
    j_direct, d_direct = _nearest_direct(o, t, network.crs)
    direct = d_direct / mpm
    # no trip can beat an origin's direct trip to its nearest target: legs beyond it are useless
    legs_t = _access_legs(network, t, access_speed_kmh=speed, access_radius_m=radius,
                          reach_m=np.full(len(t), d_direct.max()))
    legs_o = _access_legs(network, o, access_speed_kmh=speed, access_radius_m=radius, reach_m=d_direct)
    d_nodes, src = _search(network, legs_t, len(t), float(direct.max()), min_only=True)
    via, leg = _legs_min(d_nodes, legs_o, len(o))
    j_via = np.full(len(o), -1)
    has = leg >= 0
    j_via[has] = src[legs_o[1][leg[has]]]
    use_net = (via < direct) & (j_via >= 0)
    j = np.where(use_net, j_via, j_direct)
    minutes = np.where(use_net, via, direct)
    pt = t.precision_m[j]
    return pd.DataFrame({"target_index": t.index.take(j), "minutes": minutes, "direct": ~use_net,
                         "origin_precision_m": o.precision_m, "target_precision_m": pt,
                         "uncertainty_min": _uncertainty_min(o.precision_m, pt, speed)}, index=o.index)
