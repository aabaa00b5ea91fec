"""Buffers: single and multi-ring, around points, lines and polygons, in geodesic metres.

The input may be in any CRS; it is buffered in the analysis CRS
(:func:`gis.crs.to_analysis_crs`) and the result is returned in the input's
CRS.  Each geometry is buffered by ``distance * k``, ``k`` the projection's
scale factor at the geometry's centroid, so the buffer reaches ``distance``
geodesic metres; the residual error is ``distance * (k(x) - k(x_centroid))``
along the geometry: under 0.5 m for a 10 km buffer of a point or a compact
polygon, up to ~5 m for a 10 km buffer of a line spanning 150 km east-west.
Areas (``area_km2``, ``area_ha``) are ellipsoidal (:func:`gis.coverage.geodesic_area`,
within 1 ppm of :meth:`pyproj.Geod.geometry_area_perimeter`).

:func:`scaled_buffer` is the low-level step on data already in a projected
CRS; it refuses lon/lat (:func:`gis.crs.require_projected`).
"""

from __future__ import annotations

import warnings

from collections.abc import Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from . import _validate
from . import crs as _crs
from .prepare import is_geocoded, prepare_layer
from ._errors import InputError
from ._progress import track
from ._geodesic import geodesic_area as _geodesic_area
from ._geodesic import scale_factor
from .crs import require_projected

Dissolve = Literal["none", "ring", "group"]
#: Features buffered at a time by :func:`buffer_rings` (bounds its memory to the result plus one chunk).
_CHUNK = 20_000


def scaled_buffer(geoms: gpd.GeoSeries, distance_m: float | np.ndarray, *, quad_segs: int = 16) -> gpd.GeoSeries:
    """Buffer projected geometries by geodesic metres (plane distance times the local scale factor).

    A low-level function: it computes in the CRS ``geoms`` is in and refuses
    lon/lat data (:func:`gis.crs.require_projected`); :func:`buffer_rings`
    reprojects for you.

    Parameters
    ----------
    geoms : GeoSeries or GeoDataFrame
        Geometries in a projected CRS (metres), e.g. ``gis.to_analysis_crs(gdf)``.
    distance_m : float or array of float
        Geodesic metres, one value or one per geometry.
    quad_segs : int, default 16
        Segments per quarter circle.

    Returns
    -------
    GeoSeries
        Aligned to ``geoms``' index, in its CRS.

    Raises
    ------
    CRSError
        ``geoms`` has no CRS or a geographic one (degrees).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> hub = gpd.GeoSeries([Point(109.405, 24.307)], crs="EPSG:4326")
    >>> scaled_buffer(hub, 1000)
    Traceback (most recent call last):
    ...
    gis._errors.CRSError: scaled_buffer: layer 'geoms' is in EPSG:4326, a geographic CRS (degrees). ...
    >>> import gis
    >>> disk = scaled_buffer(gis.to_analysis_crs(hub), 1000, quad_segs=64)
    >>> round(float(disk.iloc[0].area / 1e6), 3)  # plane area: pi km² times k**2, k = 1.00025 here
    3.143
    """
    frame = _validate.as_frame(geoms, layer="geoms")
    require_projected(frame, operation="scaled_buffer", layer="geoms")
    _validate.check_meridian_range(_validate.Layer(name="geoms", index=frame.index, precision_m=np.zeros(len(frame)),
                                                   xy=None, frame=frame), frame.crs)
    series = frame.geometry
    out = _scaled_buffer(np.asarray(series.values, dtype=object), distance_m, crs=series.crs, quad_segs=quad_segs)
    return gpd.GeoSeries(out, index=series.index, crs=series.crs)


def _scaled_buffer(geoms: np.ndarray, distance_m: float | np.ndarray, *, crs: pyproj.CRS,
                   quad_segs: int = 16) -> np.ndarray:
    """The kernel of :func:`scaled_buffer` on shapely geometries in the projected ``crs``."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return geoms
    c = shapely.centroid(geoms)
    k = scale_factor(crs, shapely.get_x(c), shapely.get_y(c))
    return shapely.buffer(geoms, np.asarray(distance_m, dtype=float) * k, quad_segs=quad_segs)


def _check_buffer_limit(dist: Sequence[float]) -> None:
    """Refuse distances beyond :data:`gis.settings.max_buffer_m` (the analysis CRS cannot hold them)."""
    from . import settings

    limit = float(settings.max_buffer_m)
    too_far = [d for d in dist if d > limit]
    if too_far:
        raise InputError(
            f"distances_m: {too_far[-1]:g} m is beyond what a buffer in the analysis CRS "
            f"{settings.analysis_crs} can represent: at most {limit:g} m ({limit / 1000:g} km), where its boundary "
            "stays within 0.1 % of the geodesic distance (the error grows with the square of the distance). "
            "Use distances up to that (gis.settings.max_buffer_m)."
        )


def buffer_rings(
    gdf: gpd.GeoDataFrame,
    distances_m: float | Sequence[float],
    *,
    rings: bool = True,
    dissolve: Dissolve = "none",
    by: str | None = None,
    quad_segs: int = 16,
    strict: bool = False,
) -> gpd.GeoDataFrame:
    """Single or multi-ring buffers with their areas.

    Parameters
    ----------
    gdf : GeoDataFrame
        Points, lines or polygons, any CRS.
    distances_m : float or sequence of float
        Strictly increasing positive distances in metres, e.g. ``[5000, 10000, 20000]``.
    rings : bool, default True
        True: bands ``(d[i-1], d[i]]`` (the first from 0); False: full disks ``[0, d[i]]``.
    dissolve : {"none", "ring", "group"}, default "none"
        "none": one row per feature and distance (the feature's columns kept,
        its index in ``source_index``); "ring": one row per distance, all
        features merged; "group": one row per value of ``by`` and distance.
    by : str, optional
        Column to group on for ``dissolve="group"``.
    quad_segs : int, default 16
        Segments per quarter circle.
    strict : bool, default False
        Refuse a geocoded layer's rows without a position instead of keeping them.

    Returns
    -------
    GeoDataFrame
        In the input's CRS, with ``ring_inner_m``, ``ring_outer_m``,
        ``area_km2``, ``area_ha`` (and ``source_index`` or ``by``).  With ``dissolve="none"``, each row of
        a geocoded layer without a position (:func:`gis.geocode_table`'s unmatched rows) stays as one row
        without geometry and a ``note`` (``未定位`` or the geocoder's reason), counted in a warning.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> hub = gpd.GeoDataFrame({"name": ["柳州站"]}, geometry=[Point(109.405, 24.307)], crs="EPSG:4326")
    >>> b = buffer_rings(hub, [5000, 10000], quad_segs=64)
    >>> b[["ring_inner_m", "ring_outer_m"]].values.tolist()
    [[0.0, 5000.0], [5000.0, 10000.0]]
    >>> [round(a, 1) for a in b["area_km2"]]  # pi * 5**2 = 78.5, pi * (10**2 - 5**2) = 235.6
    [78.5, 235.6]
    """
    dist = _validate.distances(distances_m, name="distances_m")
    _check_buffer_limit(dist)
    if dissolve not in ("none", "ring", "group"):
        raise InputError(f"dissolve: must be 'none', 'ring' or 'group', got {dissolve!r}.")
    if dissolve == "group" and by is None:
        raise InputError("dissolve='group' needs by=<column> naming the groups (e.g. by='county').")
    if by is not None and dissolve != "group":
        raise InputError(f"by={by!r} is only used with dissolve='group'; pass dissolve='group' or drop by.")
    src = _validate.as_frame(gdf, layer="gdf")
    unplaced = None
    if is_geocoded(src) and not strict:
        prepared = prepare_layer(src, name="gdf", keep_unplaced=True)
        if prepared.n_unplaced:
            prepared.warn_unplaced(what="kept without rings" if dissolve == "none" else "left out of the rings")
            unplaced = src.loc[~prepared.placed]
            unplaced_notes = prepared.notes(unplaced.index)
            src = src.loc[prepared.placed]
    if by is not None:
        _validate.column(src, by, layer="gdf", purpose="the groups to dissolve by")
    out_crs = src.crs
    proj = _validate.prepare(src, layer="gdf")
    # across ±180° (or far from the CRS's meridian) the plane disks come out wrong-sided: refused, as in proximity
    _validate.check_meridian_range(_validate.Layer(name="gdf", index=proj.index, precision_m=np.zeros(len(proj)),
                                                   xy=None, frame=proj), proj.crs)
    if out_crs is None:  # identified by detect_crs (zone-prefixed eastings)
        out_crs = proj.crs
    geoms = np.asarray(proj.geometry.values, dtype=object)
    n = len(geoms)
    to_out = None if proj.crs == out_crs else _crs.transformer(proj.crs, out_crs)

    def finish(rings_geom: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Rings (one array per distance) in block order (one block per feature or group, rings in order),
        their ellipsoidal areas, and the rings in the output CRS; the analysis-CRS copies are dropped."""
        block = np.stack(rings_geom, axis=1).ravel()
        area = _geodesic_area(block, proj.crs)
        if to_out is not None:
            block = shapely.transform(block, lambda xy: np.column_stack(to_out.transform(xy[:, 0], xy[:, 1])))
        return block, area

    # Features are buffered _CHUNK at a time, and each chunk's rings are reprojected before the next is made,
    # so the peak is the result in the output CRS plus one chunk's temporaries (it was the whole set of disks
    # at two distances, the rings in the analysis CRS and their reprojected copy).
    pieces: list[tuple[np.ndarray, np.ndarray]] = []
    if dissolve == "none":
        for start in track(range(0, n, _CHUNK), "计算 缓冲区", unit="块"):
            sub = geoms[start:start + _CHUNK]
            pieces.append(finish(_ring_list([_scaled_buffer(sub, d, crs=proj.crs, quad_segs=quad_segs)
                                             for d in dist], rings=rings)))
        key = np.repeat(np.arange(n), len(dist))
    else:
        if dissolve == "ring":
            members_of = [np.arange(n)]
        else:
            codes, labels = pd.factorize(proj[by], sort=False)
            order_by_code = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order_by_code], np.arange(len(labels) + 1))
            members_of = [order_by_code[bounds[g]:bounds[g + 1]] for g in range(len(labels))]
        for members in track(members_of, "计算 缓冲区（合并）", unit="组"):  # one union per group and distance, the disks made a chunk at a time
            pieces.append(finish(_ring_list([_merged_disks(geoms, members, d, crs=proj.crs, quad_segs=quad_segs)
                                             for d in dist], rings=rings)))
        key = np.repeat(np.arange(len(members_of)), len(dist))
    geom = np.concatenate([p[0] for p in pieces]) if pieces else np.array([], dtype=object)
    area_m2 = np.concatenate([p[1] for p in pieces]) if pieces else np.array([], dtype=float)
    del pieces
    outer_m = np.tile(np.asarray(dist, dtype=float), len(key) // len(dist))
    inner_m = np.tile(np.asarray([dist[i - 1] if (rings and i > 0) else 0.0 for i in range(len(dist))]),
                      len(key) // len(dist))
    data = {
        "ring_inner_m": inner_m,
        "ring_outer_m": outer_m,
        "area_km2": area_m2 / 1e6,
        "area_ha": area_m2 / 1e4,
    }
    if dissolve == "none":
        attrs = src.drop(columns=src.geometry.name).iloc[key].reset_index(drop=True)
        clashes = [c for c in attrs.columns if c in data or c == "source_index"]
        if clashes:
            # the input's own values (e.g. a park's stated area_km2) are kept, renamed, not overwritten
            attrs = attrs.rename(columns={c: f"{c}_source" for c in clashes})
            warnings.warn(
                f"buffer_rings: the input's columns {', '.join(clashes)} clash with the ring columns; "
                f"they are kept as {', '.join(c + '_source' for c in clashes)}.",
                UserWarning,
                stacklevel=2,
            )
        front = pd.DataFrame({"source_index": src.index.take(key)})
        table = pd.concat([front, attrs, pd.DataFrame(data)], axis=1)
    elif dissolve == "group":
        table = pd.concat([pd.DataFrame({by: labels.take(key)}), pd.DataFrame(data)], axis=1)
    else:
        table = pd.DataFrame(data)
    out = gpd.GeoDataFrame(table, geometry=geom, crs=out_crs)
    if unplaced is not None and dissolve == "none":
        extra = pd.concat([pd.DataFrame({"source_index": unplaced.index}),
                           unplaced.drop(columns=unplaced.geometry.name).reset_index(drop=True)], axis=1)
        extra = gpd.GeoDataFrame(extra.rename(columns={c: f"{c}_source" for c in extra.columns
                                                       if c in data and c != "source_index"}),
                                 geometry=[None] * len(extra), crs=out.crs)
        out = pd.concat([out.assign(note=""), extra.assign(note=unplaced_notes.to_numpy(dtype=object))],
                        ignore_index=True)
    return out


def _ring_list(levels: list[np.ndarray], *, rings: bool) -> list[np.ndarray]:
    """Bands between consecutive levels (the first from 0) when ``rings``, else the levels as they are."""
    if not rings:
        return levels
    return [levels[0]] + [shapely.difference(levels[i], levels[i - 1]) for i in range(1, len(levels))]


def _merged_disks(geoms: np.ndarray, members: np.ndarray, distance_m: float, *, crs: pyproj.CRS,
                  quad_segs: int) -> np.ndarray:
    """The union of the ``members``' disks at one distance, as a 1-element array; disks made _CHUNK at a time."""
    partial = []
    for start in range(0, len(members), _CHUNK):
        disks = _scaled_buffer(geoms[members[start:start + _CHUNK]], distance_m, crs=crs, quad_segs=quad_segs)
        partial.append(shapely.union_all(disks))
    merged = shapely.union_all(np.array(partial, dtype=object)) if len(partial) != 1 else partial[0]
    return np.array([merged], dtype=object)
