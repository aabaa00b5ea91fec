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
from .prepare import is_geocoded, prepare_layer
from ._errors import InputError
from ._geodesic import geodesic_area as _geodesic_area
from ._geodesic import scale_factor
from .crs import require_projected

Dissolve = Literal["none", "ring", "group"]


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
    if out_crs is None:  # identified by detect_crs (zone-prefixed eastings)
        out_crs = proj.crs
    geoms = np.asarray(proj.geometry.values, dtype=object)
    n, r = len(geoms), len(dist)

    groups: dict[int, np.ndarray] = {}
    if dissolve == "ring":
        groups = {0: np.arange(n)}
    elif dissolve == "group":
        codes, labels = pd.factorize(proj[by], sort=False)
        groups = {g: np.flatnonzero(codes == g) for g in range(len(labels))}

    def level(i: int) -> np.ndarray:
        """The disks (merged per group) at distance i: made one distance at a time, so that at most two
        distances' disks are held besides the rings (memory: a small multiple of the result)."""
        disks = _scaled_buffer(geoms, dist[i], crs=proj.crs, quad_segs=quad_segs)
        if dissolve == "none":
            return disks
        # one union per group and distance, not per feature
        return np.array([shapely.union_all(disks[members]) for members in groups.values()], dtype=object)

    rows_geom, rows_key, rows_inner, rows_outer = [], [], [], []
    group_ids = np.arange(n) if dissolve == "none" else np.array(list(groups))
    previous = None
    for i, outer in enumerate(dist):
        inner = dist[i - 1] if (rings and i > 0) else 0.0
        current = level(i)
        g = shapely.difference(current, previous) if (rings and i > 0) else current
        previous = current
        rows_geom.append(g)
        rows_key.append(group_ids)
        rows_inner.append(np.full(len(group_ids), inner))
        rows_outer.append(np.full(len(group_ids), outer))
    geom = np.concatenate(rows_geom)
    key = np.concatenate(rows_key)
    # one block per group, rings in order
    order = np.lexsort((np.concatenate(rows_outer), key))
    area_m2 = _geodesic_area(geom, proj.crs)
    data = {
        "ring_inner_m": np.concatenate(rows_inner)[order],
        "ring_outer_m": np.concatenate(rows_outer)[order],
        "area_km2": area_m2[order] / 1e6,
        "area_ha": area_m2[order] / 1e4,
    }
    if dissolve == "none":
        attrs = src.drop(columns=src.geometry.name).iloc[key[order]].reset_index(drop=True)
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
        front = pd.DataFrame({"source_index": src.index.take(key[order])})
        table = pd.concat([front, attrs, pd.DataFrame(data)], axis=1)
    elif dissolve == "group":
        table = pd.concat([pd.DataFrame({by: labels.take(key[order])}), pd.DataFrame(data)], axis=1)
    else:
        table = pd.DataFrame(data)
    out = gpd.GeoDataFrame(table, geometry=geom[order], crs=proj.crs)
    out = out if out.crs == out_crs else out.to_crs(out_crs)
    if unplaced is not None and dissolve == "none":
        extra = pd.concat([pd.DataFrame({"source_index": unplaced.index}),
                           unplaced.drop(columns=unplaced.geometry.name).reset_index(drop=True)], axis=1)
        extra = gpd.GeoDataFrame(extra.rename(columns={c: f"{c}_source" for c in extra.columns
                                                       if c in data and c != "source_index"}),
                                 geometry=[None] * len(extra), crs=out.crs)
        out = pd.concat([out.assign(note=""), extra.assign(note=unplaced_notes.to_numpy(dtype=object))],
                        ignore_index=True)
    return out
