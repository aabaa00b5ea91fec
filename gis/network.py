"""Travel networks from lines: the shipped roads, the corridor layer, or a user's own road file.

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
Points join the graph by *access legs* (the rules are in :mod:`gis.routing`,
which finds travel times, isochrones and the quickest target on the graph).

Networks with any ``geometry_basis == "schematic"`` line (corridors drawn
as straight links between the places a plan names) are flagged
``schematic``: their shape and travel times are indicative.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from . import _validate
from ._errors import CRSError, InputError, LayerError
from ._geodesic import geodesic_distance
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
#: Access units with at least this many nodes get a KD-tree of their own for finding their nearest node.
_TREE_MIN_NODES = 32
#: Columns looked for, in this order, when ``speed_kmh_by`` is not given: (column, table of the speed model).
SPEED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("speed_kmh", "numeric"), ("road_class", "road_classes"), ("highway", "osm_highway"),
    ("fclass", "osm_highway"), ("mode", "modes"), ("等级", "road_class_words"), ("class", "road_class_words"),
)
#: Tables whose classes are all roads: no transfers between them, and lines join into connected pieces.
_ROAD_TABLES = ("road_classes", "osm_highway", "road_class_words")
#: OSM file suffixes read with GDAL's OSM driver.
OSM_SUFFIXES = (".osm", ".pbf")
#: Road and line speeds accepted (km/h, inclusive): slower is a typo or a unit mix-up (m/s), faster is no road.
SPEED_RANGE_KMH = (1.0, 200.0)


def _speed_out_of_range(speed: np.ndarray) -> np.ndarray:
    """True where a speed is not a number in :data:`SPEED_RANGE_KMH` (NaN, 0, negative, 1e9 …)."""
    lo, hi = SPEED_RANGE_KMH
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(speed) | (speed < lo) | (speed > hi)


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
    unit ``i`` are ``line_nodes[line_starts[i]:line_starts[i + 1]]``.  ``edge_along`` (per edge) and
    ``unit_along`` (per unit) say which are roads, joined by a point's snap onto the nearest edge; the
    others (plan corridors) are joined at their nodes.  ``speeds_from`` says where the speeds came from;
    ``notes`` what was left out and why.
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
    #: Per edge: a point may join it anywhere along (roads); else only at its nodes (plan corridors).
    #: None: no edge is joined along (every unit at its nodes).
    edge_along: np.ndarray | None = field(default=None, repr=False)
    #: Per access unit: its lines are joined along their edges (see ``edge_along``).
    unit_along: np.ndarray | None = field(default=None, repr=False)
    #: KD-trees of the access units, built on first use (see ``_unit_trees``).
    _trees: Any = field(default=None, repr=False, compare=False)
    #: The snapping structure of the edges joined along, built on first use (see ``_snap_edges``).
    _snapper: Any = field(default=None, repr=False, compare=False)

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
        out = {}
        for k, v in default_speeds.items():
            try:
                out[str(k)] = float(v)
            except (TypeError, ValueError):
                out[str(k)] = float("nan")
        bad = [k for k, v in out.items() if _speed_out_of_range(np.array([v]))[0]]
        if bad:
            lo, hi = SPEED_RANGE_KMH
            raise InputError(f"speed model: class {bad[0]!r} has {default_speeds[bad[0]]!r} km/h"
                             + (f" (and {len(bad) - 1} more: {bad[1:6]})" if len(bad) > 1 else "")
                             + f"; road speeds must be {lo:g}–{hi:g} km/h. Fix that class's speed.")
        return out
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
    # each distinct class looked up once (a user's file has a million rows and a dozen classes)
    codes, classes = pd.factorize(col, use_na_sentinel=True)
    classes = np.array([str(c) for c in classes], dtype=object)
    unknown = sorted(set(classes) - set(lookup))
    missing = bool((codes < 0).any())
    if table == "osm_highway" and default_speeds is None:
        keep = (codes >= 0) & np.isin(codes, np.flatnonzero([c in lookup for c in classes]))
    elif unknown or missing:
        raise InputError(
            f"{name}: column {column!r} has values with no speed: {unknown or ['<missing>']}. "
            f"Known: {sorted(lookup)}. Pass default_speeds={{...}} with a km/h value for each."
        )
    at = np.where(codes >= 0, codes, 0)
    ok = codes >= 0
    speed = np.where(ok, np.array([lookup.get(c, np.nan) for c in classes], dtype=float)[at] if len(classes)
                     else np.nan, np.nan)
    detour = np.where(ok, np.array([detour_per.get(c, detour_default) for c in classes], dtype=float)[at]
                      if len(classes) else detour_default, detour_default)
    group = np.full(len(col), "road", dtype=object) if table in _ROAD_TABLES else \
        np.where(ok, classes[at] if len(classes) else None, None)
    return speed, detour, group, keep


def _speeds(gdf: gpd.GeoDataFrame, speed_kmh_by: str | None, default_speeds: Mapping[str, float] | None,
            detour_factor: float | Mapping[str, float] | None, name: str
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str], list[str]]:
    """``(speed, detour, group, keep, along, tables, notes)`` per row; rows not kept are not roads for driving.

    ``along``: the row is a road that a point may join anywhere along (a class of a road table, or a
    numeric speed); the plan corridors' ``mode`` lines (an expressway's interchanges, a railway's stations)
    are joined at their nodes only.

    Without ``speed_kmh_by`` each row takes the first of :data:`SPEED_COLUMNS` it has a value in, so a layer
    made of roads (``road_class``) and plan corridors (``mode``) works as it is.
    """
    n = len(gdf)
    speed, detour = np.full(n, np.nan), np.ones(n)
    group, keep = np.full(n, "", dtype=object), np.ones(n, dtype=bool)
    along = np.ones(n, dtype=bool)
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
            along[rows] = table != "modes"
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
        along[:] = table != "modes"
        if not keep.all():
            left = gdf.loc[~keep, speed_kmh_by].astype(str).value_counts()
            notes.append(f"{int((~keep).sum())} lines left out ({speed_kmh_by} not a road for driving: "
                         + ", ".join(f"{k} {v}" for k, v in left.items()) + ")")
    bad = keep & _speed_out_of_range(speed)
    if bad.any():
        lo, hi = SPEED_RANGE_KMH
        raise InputError(
            f"{name}: speeds must be positive and within {lo:g}–{hi:g} km/h; rows {list(gdf.index[bad][:5])} have "
            f"{[float(x) for x in speed[bad][:5]]} ({', '.join(used)}). Fix or drop those rows."
        )
    if not np.isfinite(detour).all() or (detour < 1.0).any():
        raise InputError(f"{name}: detour_factor must be 1 or more (a road is never shorter than its chord).")
    chord_bases = [str(b) for b in speed_model()["chord_bases"]]
    is_chord = gdf["geometry_basis"].astype(str).isin(chord_bases).to_numpy() if "geometry_basis" in gdf.columns \
        else np.zeros(n, dtype=bool)
    if detour_factor is None:
        detour = np.where(is_chord, detour, 1.0)
    return speed, detour, group, keep, along, used, notes


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


def _unique_int(key: np.ndarray, *, return_index: bool = False, return_inverse: bool = False) -> Any:
    """``np.unique`` of a 1-D integer array by sorting (numpy's hashing ``unique`` is several times slower on
    millions of keys): the same values, first indices and inverse."""
    if not (return_index or return_inverse):
        s = np.sort(key)
        return s[np.r_[True, s[1:] != s[:-1]]] if len(s) else s
    order = np.argsort(key, kind="stable")
    s = key[order]
    flag = np.r_[True, s[1:] != s[:-1]] if len(s) else np.zeros(0, dtype=bool)
    out: list[np.ndarray] = [s[flag]]
    if return_index:
        out.append(order[flag])
    if return_inverse:
        inv = np.empty(len(key), dtype=np.intp)
        inv[order] = np.cumsum(flag) - 1
        out.append(inv)
    return tuple(out)


def _unique_rows(a: np.ndarray, **kwargs: bool) -> Any:
    """``np.unique(a, axis=0, **kwargs)`` of a two-column integer array, through one int64 key per row.

    Same rows in the same (lexicographic) order, several times quicker than ``axis=0``, which sorts
    rows as raw bytes.
    """
    if len(a) == 0:
        return np.unique(a, axis=0, **kwargs)
    lo, hi = a.min(axis=0), a.max(axis=0)
    span = int(hi[1]) - int(lo[1]) + 1
    if (int(hi[0]) - int(lo[0]) + 1) * span >= 2 ** 62:
        return np.unique(a, axis=0, **kwargs)
    key = (a[:, 0].astype(np.int64) - lo[0]) * span + (a[:, 1].astype(np.int64) - lo[1])
    res = _unique_int(key, **kwargs)
    keys = res[0] if isinstance(res, tuple) else res
    rows = np.column_stack([keys // span + lo[0], keys % span + lo[1]]).astype(a.dtype)
    return (rows, *res[1:]) if isinstance(res, tuple) else rows


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
    speeds, detour, group, keep, along, used, notes = _speeds(src, speed_kmh_by, default_speeds, detour_factor, name)
    if not keep.any():
        raise InputError(f"{name}: none of its {len(src)} lines is a road for driving ({'; '.join(notes)}). "
                         f"Known: {sorted(_speed_table('osm_highway', None))}; or pass default_speeds={{...}}.")
    gdf = _validate.prepare(src[keep] if not keep.all() else src, layer=name)
    speeds, detour, group, along = speeds[keep], detour[keep], group[keep], along[keep]
    if join_lines is None:
        join_lines = any(f"({t})" in u for u in used for t in _ROAD_TABLES) or {"u", "v"} <= set(src.columns)
    snap = _validate.distance(snap_m, name="snap_m", allow_zero=False)
    reach = _validate.distance(transfer_m, name="transfer_m")
    t_speed = _validate.distance(transfer_speed_kmh, name="transfer_speed_kmh", allow_zero=False)
    t_min = _validate.distance(transfer_min, name="transfer_min")
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    schem = (gdf["geometry_basis"].astype(str).to_numpy() == "schematic") if "geometry_basis" in gdf.columns \
        else np.zeros(len(gdf), dtype=bool)
    if (shapely.get_type_id(geoms) == 1).all():  # LineStrings only: each its own part
        parts, owner = geoms, np.arange(len(geoms))
    else:
        parts, owner = shapely.get_parts(geoms, return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    keys = np.round(coords / snap).astype(np.int64)
    _, first, node = _unique_rows(keys, return_index=True, return_inverse=True)
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
            lines_m = _unique_int(feat[sel])
            first_node = np.full(len(gdf), -1)
            first_node[feat[sel]] = u[sel]
            labels, unit = _unique_int(comp[first_node[lines_m]], return_inverse=True)
            unit_of_line[lines_m] = offset + unit
            offset += len(labels)
        lonely = unit_of_line < 0  # lines whose every segment collapsed into one node
        unit_of_line[lonely] = offset + np.arange(int(lonely.sum()))
    pairs = _unique_rows(np.column_stack([unit_of_line[line_of_vertex], node]))
    line_nodes = pairs[:, 1]
    line_starts = np.searchsorted(pairs[:, 0], np.arange(int(unit_of_line.max(initial=-1)) + 2))
    vertex_pairs = _unique_rows(np.column_stack([line_of_vertex, node]))
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
    unit_along = np.zeros(len(line_starts) - 1, dtype=bool)
    unit_along[unit_of_line] = along
    return TravelNetwork(nodes_xy, edges, graph, bool(schem.any()), gdf.crs, transfers, line_nodes, line_starts,
                         joined=bool(join_lines), speeds_from=" + ".join(used), notes=notes,
                         edge_along=along[feat], unit_along=unit_along)


def _transfers(nodes_xy: np.ndarray, node_of: np.ndarray, mode_of: np.ndarray, crs: pyproj.CRS, *,
               reach_m: float, speed_kmh: float, penalty_min: float) -> pd.DataFrame:
    """Transfer edges between nodes within ``reach_m``, except two nodes that both carry one same mode only.

    The rule only ever adds edges when lines are added (a node's modes only grow), so more lines never
    lengthen a trip.
    """
    empty = pd.DataFrame({"u": np.zeros(0, np.int64), "v": np.zeros(0, np.int64), "length_m": [], "minutes": []})
    if reach_m == 0 or len(nodes_xy) < 2:
        return empty
    node_mode = _unique_rows(np.column_stack([node_of, mode_of]))
    n_modes = np.bincount(node_mode[:, 0], minlength=len(nodes_xy))
    only_mode = np.full(len(nodes_xy), -1)
    only_mode[node_mode[:, 0]] = node_mode[:, 1]
    only_mode[n_modes != 1] = -1  # -1: several modes (or none)
    # only the pairs that can be transfers are searched: a node of one mode with the nodes not of that mode
    # only, and the nodes of several modes among themselves (a road network of one mode searches nothing)
    found = []
    multi = np.flatnonzero(only_mode < 0)
    if len(multi) > 1:
        found.append(multi[cKDTree(nodes_xy[multi]).query_pairs(reach_m, output_type="ndarray")])
    for m in np.unique(only_mode[only_mode >= 0]):
        these, rest = np.flatnonzero(only_mode == m), np.flatnonzero(only_mode != m)
        if len(rest) == 0:
            continue
        pairs = cKDTree(nodes_xy[these]).sparse_distance_matrix(cKDTree(nodes_xy[rest]), reach_m,
                                                                output_type="ndarray")
        found.append(np.column_stack([these[pairs["i"]], rest[pairs["j"]]]))
    ij = np.concatenate(found) if found else np.zeros((0, 2), np.int64)
    if len(ij) == 0:
        return empty
    ij = _unique_rows(np.sort(ij, axis=1))  # each pair once, as i < j
    i, j = ij[:, 0], ij[:, 1]
    length = geodesic_distance(nodes_xy[i, 0], nodes_xy[i, 1], nodes_xy[j, 0], nodes_xy[j, 1], crs)
    return pd.DataFrame({"u": i, "v": j, "length_m": length,
                         "minutes": penalty_min + length / _m_per_min(speed_kmh)})


def _node_units(net: TravelNetwork) -> np.ndarray:
    """Per access unit: True where its lines are joined at their nodes only (not along their edges)."""
    n_units = len(net.line_starts) - 1
    if net.unit_along is None:
        return np.ones(n_units, dtype=bool)
    return ~np.asarray(net.unit_along, dtype=bool)


def _unit_trees(net: TravelNetwork) -> tuple[list[tuple[np.ndarray, cKDTree]], np.ndarray, np.ndarray,
                                              cKDTree | None, np.ndarray, cKDTree | None]:
    """KD-trees for finding each node-joined access unit's nearest node, built once per network.

    Only the units joined at their nodes (:func:`_node_units`) count.  Units of :data:`_TREE_MIN_NODES`
    nodes or more get a tree each: ``(their nodes, tree)``.  The other units' nodes go into one shared
    tree, with ``(positions in line_nodes, unit of each)``.  Last, the nodes of all those units and their
    tree (the nodes within the access radius).
    """
    if net._trees is None:
        sizes = np.diff(net.line_starts)
        unit = np.repeat(np.arange(len(sizes)), sizes)
        node_unit = _node_units(net)
        big_units = np.flatnonzero((sizes >= _TREE_MIN_NODES) & node_unit)
        big = []
        for b in big_units:
            nodes = net.line_nodes[net.line_starts[b]:net.line_starts[b + 1]]
            big.append((nodes, cKDTree(net.nodes_xy[nodes])))
        small_pos = np.flatnonzero((sizes[unit] < _TREE_MIN_NODES) & node_unit[unit])
        small_tree = cKDTree(net.nodes_xy[net.line_nodes[small_pos]]) if len(small_pos) else None
        at_nodes = np.unique(net.line_nodes[node_unit[unit]])
        node_tree = cKDTree(net.nodes_xy[at_nodes]) if len(at_nodes) else None
        net._trees = (big, small_pos, unit[small_pos], small_tree, at_nodes, node_tree)
    return net._trees


def _unit_nearest(net: TravelNetwork, xy: np.ndarray, bound: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per point and node-joined access unit, the unit's nearest node (plane metres) when it is within ``bound``.

    ``(point, node)`` pairs.  Exact: the same node as a scan of every node of every unit (ties go to the unit's
    lowest node number), found with KD-trees, so the work grows with the pairs found, not points x nodes.
    """
    big, small_pos, small_unit, small_tree, _, _ = _unit_trees(net)
    nxy = net.nodes_xy
    up = float(bound.max(initial=0.0)) * (1 + 1e-9) + 1e-9
    p_out, n_out = [], []
    for nodes, tree in big:
        k = min(2, len(nodes))
        _, idx = tree.query(xy, k=k, distance_upper_bound=up)
        idx = idx.reshape(len(xy), k)
        found = idx[:, 0] < len(nodes)
        pts = np.flatnonzero(found)
        cand = nodes[idx[pts, 0]]
        d = np.hypot(xy[pts, 0] - nxy[cand, 0], xy[pts, 1] - nxy[cand, 1])
        if k == 2:  # a near tie between the two nearest: settle it as the scan does
            has2 = idx[pts, 1] < len(nodes)
            c2 = nodes[np.where(has2, idx[pts, 1], 0)]
            d2 = np.where(has2, np.hypot(xy[pts, 0] - nxy[c2, 0], xy[pts, 1] - nxy[c2, 1]), np.inf)
            for j in np.flatnonzero(np.abs(d2 - d) <= 1e-9 * np.maximum(d, 1.0)):
                dd = np.hypot(xy[pts[j], 0] - nxy[nodes, 0], xy[pts[j], 1] - nxy[nodes, 1])
                first = int(np.argmin(dd))  # nodes are sorted: the first minimum is the lowest node
                cand[j], d[j] = nodes[first], dd[first]
        ok = d <= bound[pts]
        p_out.append(pts[ok])
        n_out.append(cand[ok])
    if small_tree is not None and len(xy):
        pt_tree = cKDTree(xy)
        pairs = pt_tree.sparse_distance_matrix(small_tree, up, output_type="ndarray")
        pi, ei = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64)
        nodes = net.line_nodes[small_pos[ei]]
        d = np.hypot(xy[pi, 0] - nxy[nodes, 0], xy[pi, 1] - nxy[nodes, 1])
        unit = small_unit[ei]
        order = np.lexsort((small_pos[ei], d, unit, pi))
        pi, unit, nodes, d = pi[order], unit[order], nodes[order], d[order]
        first = np.r_[True, (pi[1:] != pi[:-1]) | (unit[1:] != unit[:-1])] if len(pi) else np.zeros(0, bool)
        ok = first & (d <= bound[pi])
        p_out.append(pi[ok])
        n_out.append(nodes[ok])
    if not p_out:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(p_out).astype(np.int64), np.concatenate(n_out).astype(np.int64)


#: Candidate samples looked at per point when snapping to an edge, in rounds: a point goes to the next
#: round only when its candidates cannot settle it (see :func:`_snap_edges`), and past the last to a search
#: of the ball that holds every possible candidate.
_SNAP_K = (8, 32)


@dataclass
class _Snapper:
    """The edges joined along, as plane segments ``a`` → ``b`` (edge rows ``rows``), and a KD-tree of points
    sampled along them at most ``step`` apart (``seg``: the segment of each sample)."""

    rows: np.ndarray
    a: np.ndarray
    b: np.ndarray
    seg: np.ndarray
    step: float
    tree: cKDTree
    dx: np.ndarray = field(init=False)
    dy: np.ndarray = field(init=False)
    inv_ll: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.dx, self.dy = self.b[:, 0] - self.a[:, 0], self.b[:, 1] - self.a[:, 1]
        ll = self.dx * self.dx + self.dy * self.dy
        self.inv_ll = np.where(ll > 0, 1.0 / np.where(ll > 0, ll, 1.0), 0.0)


def _snapper(net: TravelNetwork) -> _Snapper | None:
    """The snapping structure of the network's edges joined along (None without any), built once."""
    if net._snapper is None:
        along = np.zeros(len(net.edges), dtype=bool) if net.edge_along is None else np.asarray(net.edge_along, bool)
        rows = np.flatnonzero(along)
        if len(rows) == 0:
            net._snapper = False
            return None
        u, v = net.edges["u"].to_numpy()[rows], net.edges["v"].to_numpy()[rows]
        a, b = net.nodes_xy[u], net.nodes_xy[v]
        length = np.hypot(*(b - a).T)
        # samples a few per segment: spacing the median segment
        step = max(float(np.median(length)), 1.0)
        pieces = np.maximum(np.ceil(length / step).astype(np.int64), 1)
        seg = np.repeat(np.arange(len(rows)), pieces + 1)
        first = np.repeat(np.cumsum(pieces + 1) - (pieces + 1), pieces + 1)
        t = (np.arange(len(seg)) - first) / pieces[seg]
        samples = a[seg] + (b - a)[seg] * t[:, None]
        net._snapper = _Snapper(rows, a, b, seg, step, cKDTree(samples))
    return net._snapper or None


def _project(s: _Snapper, x: np.ndarray, y: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plane distance from each point ``(x, y)`` to segment ``seg`` (broadcast) and the position along it (0 at
    ``a``)."""
    ax, ay, dx, dy = s.a[:, 0][seg], s.a[:, 1][seg], s.dx[seg], s.dy[seg]
    px, py = x - ax, y - ay
    t = (px * dx + py * dy) * s.inv_ll[seg]
    np.clip(t, 0.0, 1.0, out=t)
    px -= t * dx
    py -= t * dy
    px *= px
    py *= py
    px += py
    return np.sqrt(px, out=px), t


def _nearest_lowest(d: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Per row, the column of the least ``d``; near ties (1e-9 relative, rounding) to the lowest ``seg``."""
    dmin = d.min(axis=1, keepdims=True)
    tie = d <= dmin + 1e-9 * np.maximum(dmin, 1.0)
    return np.argmin(np.where(tie, seg, np.iinfo(np.int64).max), axis=1)


def _snap_edges(net: TravelNetwork, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each point's nearest edge joined along: ``(edge row (-1 if none), position along u → v (0-1), plane m)``.

    Exact (the same edge as a scan of every segment; a tie goes to the lowest edge row): the KD-tree of
    samples gives ``k`` candidate segments per point (:data:`_SNAP_K`); a segment nearer than the best
    found has a sample within ``best + step / 2``, so the candidates settle every point whose ``k``-th
    sample is farther than that.  The others go on with more candidates, and the last few search that ball.
    """
    n = len(xy)
    edge, frac, dist = np.full(n, -1, np.int64), np.zeros(n), np.full(n, np.inf)
    s = _snapper(net)
    if s is None or n == 0:
        return edge, frac, dist
    seg = np.zeros(n, np.int64)
    unsure = np.arange(n)
    for k in _SNAP_K:
        k = min(k, len(s.seg))
        dk, ik = s.tree.query(xy[unsure], k=k)
        dk, ik = dk.reshape(len(unsure), k), ik.reshape(len(unsure), k)
        cand = s.seg[ik]
        d, t = _project(s, xy[unsure, 0, None], xy[unsure, 1, None], cand)
        best = _nearest_lowest(d, cand)
        rows = np.arange(len(unsure))
        seg[unsure], dist[unsure], frac[unsure] = cand[rows, best], d[rows, best], t[rows, best]
        if k == len(s.seg):
            unsure = unsure[:0]
            break
        unsure = unsure[dk[:, -1] <= dist[unsure] + s.step / 2]
        if len(unsure) == 0:
            break
    for i in unsure:  # rare: very many samples near the point
        near = np.unique(s.seg[s.tree.query_ball_point(xy[i], dist[i] + s.step / 2)])
        dd, tt = _project(s, xy[i, 0], xy[i, 1], near)
        j = int(_nearest_lowest(dd[None, :], near[None, :])[0])
        seg[i], dist[i], frac[i] = near[j], dd[j], tt[j]
    return s.rows[seg], frac, dist


@dataclass
class _Access:
    """How points join a network.

    ``legs``: ``(point, node, minutes)`` sorted by point then node, and ``metres`` of each leg (access leg
    along the geodesic plus the road metres along the snapped edge).  Per point: ``edge`` (the row of the
    edge it is snapped onto, -1 if none), ``frac`` (position along it, 0 at ``u``), ``snap_min`` and
    ``snap_m`` (the access leg to the snapped position).
    """

    legs: tuple[np.ndarray, np.ndarray, np.ndarray]
    metres: np.ndarray
    edge: np.ndarray
    frac: np.ndarray
    snap_min: np.ndarray
    snap_m: np.ndarray


def _access(net: TravelNetwork, layer: _validate.Layer, *, access_speed_kmh: float, access_radius_m: float,
            reach_m: np.ndarray) -> _Access:
    """How each point joins the network (see :class:`_Access`).

    On the edges joined along (roads): the point is snapped to the nearest one, projected onto it, with
    two legs, to the edge's end nodes: the access leg (geodesic, at ``access_speed_kmh``) plus that
    fraction of the edge's minutes.  On the lines joined at their nodes (plan corridors): every such node
    within ``access_radius_m`` and the nearest node of every such line (access unit).  Legs of ``reach_m``
    (per point) or longer are dropped: they cannot beat the alternative the caller has (a direct trip, or
    the end of the time budget), so dropping them changes no result.
    """
    if layer.xy is None:
        raise InputError(f"{layer.name}: must be points for travel times (use centroids: gdf.centroid).")
    xy, nxy = layer.xy, net.nodes_xy
    n_pts, n_nodes = len(xy), len(nxy)
    reach = np.asarray(reach_m, dtype=float)
    mpm = _m_per_min(access_speed_kmh)
    # along the roads: the snap
    edge, frac, plane = _snap_edges(net, xy)
    snap_m = np.full(n_pts, np.inf)
    has = np.flatnonzero(edge >= 0)
    if len(has):
        e = net.edges
        eu, ev = e["u"].to_numpy()[edge[has]], e["v"].to_numpy()[edge[has]]
        q = nxy[eu] + (nxy[ev] - nxy[eu]) * frac[has, None]
        snap_m[has] = geodesic_distance(xy[has, 0], xy[has, 1], q[:, 0], q[:, 1], net.crs)
    ok = np.isfinite(snap_m) & (snap_m < reach)
    edge = np.where(ok, edge, -1)
    frac = np.where(ok, frac, 0.0)
    snap_m = np.where(ok, snap_m, np.nan)
    snap_min = snap_m / mpm
    pts = np.flatnonzero(ok)
    e_min, e_road = net.edges["minutes"].to_numpy(), net.edges["road_m"].to_numpy()
    eu, ev = net.edges["u"].to_numpy()[edge[pts]], net.edges["v"].to_numpy()[edge[pts]]
    f, emin, eroad = frac[pts], e_min[edge[pts]], e_road[edge[pts]]
    p_s = np.r_[pts, pts]
    n_s = np.r_[eu, ev]
    m_s = np.r_[snap_min[pts] + f * emin, snap_min[pts] + (1 - f) * emin]
    r_s = np.r_[snap_m[pts] + f * eroad, snap_m[pts] + (1 - f) * eroad]
    # at the nodes of the other lines: every node within the radius, and the nearest node of each line
    _, _, _, _, at_nodes, node_tree = _unit_trees(net)
    p_n = n_n = np.zeros(0, np.int64)
    if node_tree is not None:
        near = node_tree.query_ball_point(xy, r=access_radius_m)
        counts = np.fromiter((len(x) for x in near), dtype=np.int64, count=n_pts)
        p_in = np.repeat(np.arange(n_pts), counts)
        n_in = at_nodes[np.fromiter((k for x in near for k in x), dtype=np.int64, count=int(counts.sum()))]
        p_line, n_line = _unit_nearest(net, xy, reach * _PLANE_SLACK)
        p_n, n_n = np.r_[p_in, p_line].astype(np.int64), np.r_[n_in, n_line].astype(np.int64)
        key = _unique_int(p_n * n_nodes + n_n)
        p_n, n_n = key // n_nodes, key % n_nodes
        dist = geodesic_distance(xy[p_n, 0], xy[p_n, 1], nxy[n_n, 0], nxy[n_n, 1], net.crs)
        keep = dist < reach[p_n]
        p_n, n_n, d_n = p_n[keep], n_n[keep], dist[keep]
    else:
        d_n = np.zeros(0)
    p = np.r_[p_s, p_n].astype(np.int64)
    nd = np.r_[n_s, n_n].astype(np.int64)
    minutes = np.r_[m_s, d_n / mpm]
    metres = np.r_[r_s, d_n]
    key = p * n_nodes + nd
    order = np.lexsort((minutes, key))
    key = key[order]
    first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, dtype=bool)
    order = order[first]
    return _Access((p[order], nd[order], minutes[order]), metres[order], edge, frac, snap_min, snap_m)


def _access_legs(net: TravelNetwork, layer: _validate.Layer, *, access_speed_kmh: float, access_radius_m: float,
                 reach_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Access legs of each point: ``(point, node, minutes)``, sorted by point then node (see :func:`_access`)."""
    return _access(net, layer, access_speed_kmh=access_speed_kmh, access_radius_m=access_radius_m,
                   reach_m=reach_m).legs
