"""Drive times by road, in one call: :func:`drive` (``lzgis drive``).

:func:`drive` composes :func:`gis.network.travel_network` and the searches of
:mod:`gis.routing`: each origin's quickest target (``minutes``, ``road_km``,
``uncertainty_min``, the target's name), every origin × target pair
(``matrix=True``), or service areas (``minutes=[30, 60]``).  What it adds is
the word for every row without a number:

* ``unplaced`` (备注 未定位): the origin has no position (a geocoded table's
  empty geometry); the row stays, with empty results;
* ``outside_network``: the origin lies outside the network's extent (its
  lines' convex hull grown by the access radius), e.g. a project geocoded to
  another province: no drive time is computed, since a trip "at access speed"
  across the province would be a number without meaning;
* ``off_network``: within the extent but farther than ``max_access_m`` (25 km)
  from every line.

Road networks are given by :func:`road_lines` / :func:`road_network`, the one
resolver of a ``roads`` value (a shipped line layer's name, a GeoDataFrame, or
a road file: GeoPackage, Shapefile, GeoJSON, OpenStreetMap ``.osm`` /
``.osm.pbf``); the CLI's ``--roads`` of ``drive``, ``review`` and ``site`` goes
through it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import InputError
from .network import OSM_SUFFIXES, TravelNetwork, read_roads, travel_network

__all__ = ["drive", "road_lines", "road_network", "read_speeds"]

#: Road file suffixes :func:`road_lines` reads (besides ``file.gpkg:layer``).
ROAD_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", *OSM_SUFFIXES)
#: Columns naming the features, in order of preference.
_NAME_COLUMNS = ("name", "名称", "项目名称", "项目", "工程名称", "title")


def _road_path(roads: str | os.PathLike) -> tuple[Path, str | None] | None:
    """``(file, layer)`` when ``roads`` names an existing file (``file.gpkg:layer`` too), else None."""
    p = Path(roads)
    if p.is_file():
        return p, None
    text = str(roads)
    if ":" in text and Path(text.rsplit(":", 1)[0]).is_file():
        return Path(text.rsplit(":", 1)[0]), text.rsplit(":", 1)[1]
    return None


def check_roads(roads: str | os.PathLike, *, option: str = "roads") -> str:
    """Check a ``roads`` value without reading it: an existing road file or a shipped layer name.

    Returns ``"file"`` or ``"layer"``; raises :class:`~gis.InputError` naming ``option`` and the fix.

    Examples
    --------
    >>> check_roads("roads")
    'layer'
    """
    from .layers import catalog

    found = _road_path(roads)
    if found is not None:
        return "file"
    text = str(roads)
    lines = sorted(n for n, e in catalog().items() if e.get("kind") == "line") or ["roads"]
    if text in catalog():
        return "layer"
    looks_like_path = bool(Path(text).suffix) or os.sep in text or "/" in text
    what = f"file not found (relative to {Path.cwd()})" if looks_like_path else "not a shipped layer nor a file"
    raise InputError(f"{option} {text}: {what}. Give a road file ({', '.join(ROAD_SUFFIXES)}) or a shipped line "
                     f"layer ({', '.join(lines[:6])}).")


def road_lines(roads: gpd.GeoDataFrame | str | os.PathLike = "roads", *, option: str = "roads") -> gpd.GeoDataFrame:
    """The road lines of a ``roads`` value: a GeoDataFrame, a shipped layer name, or a road file.

    Files are read by :func:`gis.network.read_roads` (OpenStreetMap ``.osm`` / ``.osm.pbf`` through GDAL's OSM
    driver, keeping the ``highway`` ways; GeoPackage ``file.gpkg:layer`` picks a layer).  A value that is
    neither is refused, naming ``option``.

    Examples
    --------
    >>> "road_class" in road_lines("roads").columns
    True
    """
    if isinstance(roads, gpd.GeoDataFrame):
        return roads
    if not isinstance(roads, (str, os.PathLike)):
        raise InputError(f"{option}: expected a road file, a shipped layer name or a GeoDataFrame, got "
                         f"{type(roads).__name__}.")
    kind = check_roads(roads, option=option)
    if kind == "file":
        path, layer = _road_path(roads)  # type: ignore[misc]
        return read_roads(path, layer=layer)
    from .layers import load_layer

    return load_layer(str(roads))


def read_speeds(path: str | os.PathLike) -> dict[str, float]:
    """A user speed model: km/h per road class, from YAML / JSON (``class: km/h``) or CSV (class, km/h).

    The CSV's first column holds the classes, its second (or a column named ``speed_kmh`` / ``km/h`` /
    ``速度``) the speeds.  Values are checked when the network is built (1–200 km/h, the class named).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "speeds.csv"
    >>> _ = p.write_text("等级,speed_kmh\\n国道,70\\n县道,35\\n", encoding="utf-8")
    >>> read_speeds(p)
    {'国道': 70.0, '县道': 35.0}
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"speeds {p}: file not found (relative to {Path.cwd()}). Give a YAML/JSON/CSV file of "
                         "road class → km/h.")
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        from .layers import read_yaml

        data = read_yaml(p)
        if not isinstance(data, Mapping) or not data:
            raise InputError(f"speeds {p}: must be a mapping of road class to km/h, e.g. 国道: 60.")
        items = list(data.items())
    elif suffix in (".csv", ".txt"):
        table = pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        if table.shape[1] < 2 or table.empty:
            raise InputError(f"speeds {p}: needs two columns, road class and km/h (e.g. 等级,speed_kmh).")
        speed_col = next((c for c in table.columns if str(c).strip().lower() in ("speed_kmh", "km/h", "速度")),
                         table.columns[1])
        class_col = table.columns[0] if table.columns[0] != speed_col else table.columns[1]
        items = list(zip(table[class_col], table[speed_col]))
    else:
        raise InputError(f"speeds {p}: name the file *.yaml, *.json or *.csv.")
    out: dict[str, float] = {}
    for row, (k, v) in enumerate(items, start=2):
        try:
            out[str(k).strip()] = float(v)
        except (TypeError, ValueError):
            raise InputError(f"speeds {p}: class {k!r} (row {row}) has {v!r}, not a number of km/h; road speeds "
                             "must be 1–200 km/h.") from None
    return out


def road_network(roads: TravelNetwork | gpd.GeoDataFrame | str | os.PathLike = "roads", *,
                 speeds: Mapping[str, float] | str | os.PathLike | None = None) -> TravelNetwork:
    """A travel network from a ``roads`` value (see :func:`road_lines`); a TravelNetwork is returned as is.

    Parameters
    ----------
    roads : TravelNetwork, GeoDataFrame, layer name or path, default "roads"
        The shipped ``roads`` layer, another line layer, or a road file.
    speeds : mapping or path, optional
        km/h per class of the lines' class column (``highway``, ``等级`` …), replacing the speed model's
        table (:func:`read_speeds` for a file); every class present needs a speed.

    Examples
    --------
    >>> road_network("roads").n_nodes > 500
    True
    """
    if isinstance(roads, TravelNetwork):
        return roads
    model = read_speeds(speeds) if isinstance(speeds, (str, os.PathLike)) else speeds
    return travel_network(road_lines(roads), default_speeds=model)


def _names(gdf: pd.DataFrame) -> np.ndarray:
    """One text label per row: the name column (blank cells: the index label), else the index labels."""
    index_labels = np.asarray(gdf.index.astype(str), dtype=object)
    column = next((c for c in _NAME_COLUMNS if c in gdf.columns), None)
    if column is None:
        return index_labels
    values = gdf[column]
    text = values.astype(str).to_numpy(dtype=object)
    blank = values.isna().to_numpy() | (pd.Series(text).str.strip() == "").to_numpy()
    text[blank] = index_labels[blank]
    return text


def _reach(net: TravelNetwork, gdf: gpd.GeoDataFrame, max_access_m: float, *, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(flag, 备注, metres to the nearest line)`` of every row: ``unplaced``, ``outside_network``,
    ``off_network`` or ``""``.  Unplaced rows are found by :func:`gis.prepare.prepare_layer` (the one way in of
    every analysis), which also checks the CRS and datum and keeps a geocoder's reason."""
    from .prepare import UNPLACED_NOTE, prepare_layer

    n = len(gdf)
    flag = np.full(n, "", dtype=object)
    note = np.full(n, "", dtype=object)
    dist = np.full(n, np.nan)
    prep = prepare_layer(gdf, name=name)
    placed = np.asarray(prep.placed, dtype=bool)
    reasons = prep.notes().to_numpy(dtype=object)
    flag[~placed] = "unplaced"
    note[~placed] = [f"{UNPLACED_NOTE}：" + (str(r) if r and r != UNPLACED_NOTE else "没有坐标") + "，未计算行车时间"
                     for r in reasons[~placed]]
    if not placed.any():
        return flag, note, dist
    pts = np.asarray(gdf[placed].to_crs(net.crs).geometry.values, dtype=object)
    pts = shapely.centroid(pts)
    e = net.edges
    segs = shapely.linestrings(np.stack([net.nodes_xy[e["u"].to_numpy()], net.nodes_xy[e["v"].to_numpy()]], axis=1))
    tree = shapely.STRtree(segs)
    (_, _), d = tree.query_nearest(pts, return_distance=True, all_matches=False)
    extent = shapely.buffer(shapely.convex_hull(shapely.multipoints(net.nodes_xy)), max_access_m)
    inside = shapely.contains_xy(extent, shapely.get_x(pts), shapely.get_y(pts))
    idx = np.flatnonzero(placed)
    dist[idx] = d
    km = d / 1000.0
    out = idx[~inside]
    flag[out] = "outside_network"
    note[out] = [f"在路网范围之外（距最近道路 {k:.0f} 公里），未计算行车时间；请提供覆盖该地的路网" for k in km[~inside]]
    off = inside & (d > max_access_m)
    flag[idx[off]] = "off_network"
    note[idx[off]] = [f"距最近道路 {k:.1f} 公里，超过允许的接入距离 {max_access_m / 1000:g} 公里，未计算行车时间"
                      for k in km[off]]
    return flag, note, dist


def _with_own_flags(src: pd.DataFrame, flags: np.ndarray) -> np.ndarray:
    """The drive's flags after the flags the origins already carry (a geocoded table's ``corrected``, ``outside_liuzhou`` …).

    >>> _with_own_flags(pd.DataFrame({"flags": ["corrected", None, ""]}), np.array(["", "unplaced", ""], dtype=object))
    array(['corrected', 'unplaced', ''], dtype=object)
    """
    if "flags" not in src.columns:
        return flags
    own = src["flags"].to_numpy(dtype=object)
    joined = [";".join(str(f) for f in (a, b) if isinstance(f, str) and f) for a, b in zip(own, flags)]
    return np.array(joined, dtype=object)


def drive(
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame | None = None,
    *,
    roads: TravelNetwork | gpd.GeoDataFrame | str | os.PathLike = "roads",
    matrix: bool = False,
    minutes: float | Sequence[float] | None = None,
    speeds: Mapping[str, float] | str | os.PathLike | None = None,
    access_speed_kmh: float = 30.0,
    access_radius_m: float = 5000.0,
    max_access_m: float = 25000.0,
) -> gpd.GeoDataFrame:
    """Drive times by road: each origin's quickest target, every pair, or service areas.

    Parameters
    ----------
    origins : GeoDataFrame
        Points (other geometries: their centroids), any CRS.  Rows without a geometry (unplaced rows of a
        geocoded table) are kept with empty results and 备注 未定位.
    targets : GeoDataFrame, optional
        Points; needed unless ``minutes`` is given.  Named by their ``name`` / 名称 / 项目名称 column, else
        their index labels.
    roads : TravelNetwork, GeoDataFrame, layer name or path, default "roads"
        The road network (:func:`road_network`): the shipped ``roads``, a line layer, or a road file
        (GeoPackage, Shapefile, GeoJSON, ``.osm`` / ``.osm.pbf``).
    matrix : bool, default False
        Every origin × target pair (a long table) instead of each origin's quickest target.
    minutes : float or sequence of float, optional
        Service areas: for every origin and band, the area reachable within that many minutes.
    speeds : mapping or path, optional
        A speed model: km/h per road class (:func:`read_speeds`); default ``layers/network/speeds.yaml``.
    access_speed_kmh : float, default 30
        Speed off the network, along the geodesic (km/h).
    access_radius_m : float, default 5000
        For plan-corridor lines joined at their nodes: every such node within this distance of a point is an
        access node (as :func:`gis.travel_times`).  Roads are joined at the point's snap onto the nearest road
        edge, projected onto it.
    max_access_m : float, default 25000
        Points farther than this from every road line get no time (``off_network``); the network's extent
        is its nodes' convex hull grown by it (``outside_network`` beyond).  The shipped ``roads`` are the
        major roads only: rural townships lie up to 22 km from them.

    Returns
    -------
    GeoDataFrame
        In the origins' CRS.  Quickest target (default): the origins with ``target``, ``target_index``,
        ``minutes``, ``road_km`` (length of that trip), ``uncertainty_min`` (both positions' ``precision_m``
        as minutes at access speed, as ``analysis_drive_times.csv``), ``direct`` (the whole way at access
        speed was quicker), ``flags`` and ``备注``.  ``matrix=True``: one row per origin × target, ``origin``,
        ``origin_index``, ``target``, ``target_index`` and the same values, at the origin's point.
        ``minutes=[…]``: one polygon per origin and band, ``origin``, ``origin_index``, ``minutes``,
        ``area_km2``, ``schematic``, ``flags``, ``备注``.  Flagged rows have empty values and say why in 备注;
        ``attrs["notes"]`` lists the targets left out and how the network was built.

    Examples
    --------
    >>> from gis.layers import load_layer
    >>> towns = load_layer("townships").head(3)
    >>> r = drive(towns, load_layer("county_seats"))
    >>> bool(r["minutes"].notna().all()), list(r["flags"])
    (True, ['', '', ''])
    """
    from . import _validate
    from .routing import isochrones, nearest_by_time

    speed = _validate.distance(access_speed_kmh, name="access_speed_kmh", allow_zero=False)
    radius = _validate.distance(access_radius_m, name="access_radius_m")
    reach = _validate.distance(max_access_m, name="max_access_m")
    bands = None if minutes is None else _validate.distances(
        [minutes] if isinstance(minutes, (int, float)) else list(minutes), name="minutes")
    if bands is None and targets is None:
        raise InputError("drive: give targets (the places to drive to), or minutes=[30, 60] for service areas.")
    if bands is not None and matrix:
        raise InputError("drive: matrix=True is for targets; service areas (minutes=…) have no targets.")
    src = _validate.as_frame(origins, layer="origins")
    if src.crs is None:
        raise InputError("origins: has no CRS; declare it (gdf.set_crs('EPSG:4326') for lon/lat).")
    net = road_network(roads, speeds=speeds)
    notes = [f"路网：{net.n_nodes} 个节点，{len(net.edges)} 段；速度来自 {net.speeds_from}"
             + ("（含示意线，时间仅供参考）" if net.schematic else "")] + list(net.notes)
    o_flag, o_note, _ = _reach(net, src, reach, name="origins")
    ok = o_flag == ""
    o_ok = src[ok].reset_index(drop=True)
    o_ok = o_ok.set_geometry(shapely.centroid(np.asarray(o_ok.geometry.values, dtype=object)))
    labels = _names(src)
    if bands is not None:
        return _service_areas(src, o_ok, ok, labels, o_flag, o_note, net, bands, speed, radius, notes, isochrones)
    tsrc = _validate.as_frame(targets, layer="targets")
    if tsrc.crs is None:
        raise InputError("targets: has no CRS; declare it (gdf.set_crs('EPSG:4326') for lon/lat).")
    t_flag, t_note, _ = _reach(net, tsrc, reach, name="targets")
    t_ok_mask = t_flag == ""
    t_labels = _names(tsrc)
    if (~t_ok_mask).any():
        left = [f"{t_labels[i]}（{t_flag[i]}）" for i in np.flatnonzero(~t_ok_mask)]
        notes.append(f"{len(left)} 个目标不在路网上，未作为目标：" + "、".join(left[:10])
                     + ("等" if len(left) > 10 else ""))
    t_ok = tsrc[t_ok_mask].reset_index(drop=True)
    t_ok = t_ok.set_geometry(shapely.centroid(np.asarray(t_ok.geometry.values, dtype=object)))
    t_pos = np.flatnonzero(t_ok_mask)

    def trips(tt: gpd.GeoDataFrame) -> pd.DataFrame:
        if len(o_ok) == 0 or len(tt) == 0:
            return pd.DataFrame({"target_index": np.full(len(o_ok), -1), "minutes": np.nan, "road_km": np.nan,
                                 "direct": False, "uncertainty_min": np.nan})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # reprojection chatter: the inputs were checked above
            return nearest_by_time(net, o_ok, tt, access_speed_kmh=speed, access_radius_m=radius)

    value_cols = ("minutes", "road_km", "uncertainty_min")
    if not matrix:
        r = trips(t_ok)
        out = src.copy()
        j = r["target_index"].to_numpy(dtype=np.int64)
        out["target"] = None
        out["target_index"] = None
        for c in value_cols:
            out[c] = np.nan
        out["direct"] = False
        rows = np.flatnonzero(ok)
        has = j >= 0
        out.loc[out.index[rows[has]], "target"] = t_labels[t_pos[j[has]]]
        out.loc[out.index[rows[has]], "target_index"] = tsrc.index.take(t_pos[j[has]]).to_numpy()
        for c in value_cols:
            out.loc[out.index[rows], c] = r[c].to_numpy(dtype=float)
        out.loc[out.index[rows], "direct"] = r["direct"].to_numpy(dtype=bool)
        flags, remarks = o_flag.copy(), o_note.copy()
        none = rows[~has]
        flags[none], remarks[none] = "no_target", "没有可用的目标（目标都不在路网上），未计算行车时间"
        direct = rows[has & r["direct"].to_numpy(dtype=bool)]
        remarks[direct] = f"全程按接入速度 {speed:g} km/h 直线估算（比走路网快）"
        out["flags"], out["备注"] = _with_own_flags(src, flags), remarks
        out.attrs["notes"] = notes
        return out
    # every origin x target pair (the targets off the network too, without a number)
    parts = []
    per_target = {j: trips(t_ok.iloc[[j]]) for j in range(len(t_ok))}
    rows = np.flatnonzero(ok)
    geoms = np.asarray(src.geometry.values, dtype=object)
    for tj in range(len(tsrc)):
        block = pd.DataFrame({"origin": labels, "origin_index": src.index.to_numpy(),
                              "target": t_labels[tj], "target_index": tsrc.index[tj]})
        for c in value_cols:
            block[c] = np.nan
        block["direct"] = False
        flags, remarks = o_flag.copy(), o_note.copy()
        if t_ok_mask[tj]:
            r = per_target[int(np.searchsorted(t_pos, tj))]
            for c in value_cols:
                block.loc[rows, c] = r[c].to_numpy(dtype=float)
            block.loc[rows, "direct"] = r["direct"].to_numpy(dtype=bool)
            direct = rows[r["direct"].to_numpy(dtype=bool)]
            remarks[direct] = f"全程按接入速度 {speed:g} km/h 直线估算（比走路网快）"
        else:
            flags[ok] = f"target_{t_flag[tj]}"
            remarks[ok] = f"目标{t_note[tj]}"
        block["flags"], block["备注"] = flags, remarks
        parts.append(gpd.GeoDataFrame(block, geometry=geoms, crs=src.crs))
    if parts:  # origin by origin, its targets in their order
        order = np.arange(len(src) * len(tsrc)).reshape(len(tsrc), len(src)).T.ravel()
        out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True).iloc[order].reset_index(drop=True), crs=src.crs)
    else:
        out = gpd.GeoDataFrame({c: [] for c in ("origin", "origin_index", "target", "target_index", *value_cols,
                                                "direct", "flags", "备注")}, geometry=[], crs=src.crs)
    out.attrs["notes"] = notes
    return out


def _service_areas(src: gpd.GeoDataFrame, o_ok: gpd.GeoDataFrame, ok: np.ndarray, labels: np.ndarray,
                   o_flag: np.ndarray, o_note: np.ndarray, net: TravelNetwork, bands: list[float], speed: float,
                   radius: float, notes: list[str], isochrones: Any) -> gpd.GeoDataFrame:
    """One polygon per origin and band; flagged origins keep a row per band without a polygon."""
    iso = None
    if len(o_ok):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            iso = isochrones(net, o_ok, bands, access_speed_kmh=speed, access_radius_m=radius)
    pos_ok = np.flatnonzero(ok)
    rows = []
    geoms = []
    for i in range(len(src)):
        for b in bands:
            rows.append({"origin": labels[i], "origin_index": src.index[i], "minutes": b, "area_km2": np.nan,
                         "schematic": False, "flags": o_flag[i], "备注": o_note[i]})
            geoms.append(None)
    out = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=src.crs)
    if iso is not None:
        where = {(int(pos_ok[int(p)]), float(m)): q for q, (p, m) in
                 enumerate(zip(iso["origin_index"].to_numpy(), iso["minutes"].to_numpy()))}
        gcol = iso.geometry.to_crs(src.crs).to_numpy() if iso.crs != src.crs else iso.geometry.to_numpy()
        for r in range(len(out)):
            i, b = divmod(r, len(bands))
            q = where.get((i, float(bands[b])))
            if q is not None:
                out.loc[r, "area_km2"] = float(iso["area_km2"].iloc[q])
                out.loc[r, "schematic"] = bool(iso["schematic"].iloc[q])
                out.loc[out.index[r], out.geometry.name] = gcol[q]
    out.attrs["notes"] = notes
    return out
