"""Coverage and overlay: what of one layer lies in (or within D metres of) the zones of another.

Both layers may be in any CRS; they are checked and reprojected to the
analysis CRS.  Zones sharing a label (``by``) are merged first, so a feature
in two overlapping zones of one group counts once.  Areas are ellipsoidal and
lengths geodesic (:mod:`gis._geodesic`).

:func:`geodesic_length` and :func:`geodesic_area` are the low-level measures
on data already in a projected CRS; they refuse lon/lat
(:func:`gis.crs.require_projected`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from . import _validate
from ._errors import InputError
from ._geodesic import geodesic_area as _geodesic_area
from ._geodesic import geodesic_distance
from .buffer import _check_buffer_limit, _scaled_buffer
from .crs import require_projected


def geodesic_length(geoms: gpd.GeoSeries) -> pd.Series:
    """Geodesic length (m) of lines (polygons: their boundary) in a projected CRS.

    A low-level function: it refuses lon/lat data (:func:`gis.crs.require_projected`);
    reproject first with :func:`gis.to_analysis_crs`.  Same signature as
    :func:`geodesic_area`.

    Parameters
    ----------
    geoms : GeoSeries or GeoDataFrame
        Geometries in a projected CRS (metres).

    Returns
    -------
    pandas.Series
        ``length_m``, aligned to ``geoms``' index (0 for points).

    Raises
    ------
    CRSError
        ``geoms`` has no CRS or a geographic one (degrees).

    Examples
    --------
    >>> import geopandas as gpd, gis, pyproj
    >>> from shapely.geometry import LineString
    >>> road = gpd.GeoSeries([LineString([(109.35, 24.32), (109.65, 24.32)])], crs="EPSG:4326")
    >>> s = geodesic_length(gis.to_analysis_crs(road)).iloc[0]
    >>> g = pyproj.Geod(ellps="GRS80").inv(109.35, 24.32, 109.65, 24.32)[2]
    >>> bool(abs(s - g) < 0.01)  # a straight line in the plane, within 1 cm of the geodesic over 30 km
    True
    """
    series = _projected(geoms, operation="geodesic_length")
    values = _geodesic_length(np.asarray(series.values, dtype=object), series.crs)
    return pd.Series(values, index=series.index, name="length_m")


def geodesic_area(geoms: gpd.GeoSeries) -> pd.Series:
    """Ellipsoidal area (m²) of polygons in a projected CRS.

    A low-level function: it refuses lon/lat data (:func:`gis.crs.require_projected`);
    reproject first with :func:`gis.to_analysis_crs`.  Same signature as
    :func:`geodesic_length`.

    Parameters
    ----------
    geoms : GeoSeries or GeoDataFrame
        Geometries in a projected CRS (metres).

    Returns
    -------
    pandas.Series
        ``area_m2``, aligned to ``geoms``' index (0 for points and lines).

    Raises
    ------
    CRSError
        ``geoms`` has no CRS or a geographic one (degrees).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> geodesic_area(gpd.GeoSeries([box(109.3, 24.3, 109.4, 24.4)], crs="EPSG:4326"))
    Traceback (most recent call last):
    ...
    gis._errors.CRSError: geodesic_area: layer 'geoms' is in EPSG:4326, a geographic CRS (degrees). ...
    """
    series = _projected(geoms, operation="geodesic_area")
    values = _geodesic_area(np.asarray(series.values, dtype=object), series.crs)
    return pd.Series(values, index=series.index, name="area_m2")


def _projected(geoms: object, *, operation: str) -> gpd.GeoSeries:
    frame = _validate.as_frame(geoms, layer="geoms")
    require_projected(frame, operation=operation, layer="geoms")
    return frame.geometry


def _geodesic_length(geoms: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    """Geodesic length (m) of lines (polygons: their boundary) given in the projected ``crs``, vectorised."""
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms))
    if len(geoms) == 0:
        return out
    parts, owner = shapely.get_parts(geoms, return_index=True)
    lines = np.where(shapely.get_dimensions(parts) == 2, shapely.boundary(parts), parts)
    lines, owner2 = shapely.get_parts(lines, return_index=True)
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    if len(coords) < 2:
        return out
    same = idx[1:] == idx[:-1]
    seg = geodesic_distance(coords[:-1, 0][same], coords[:-1, 1][same], coords[1:, 0][same], coords[1:, 1][same],
                            crs)
    per_line = np.bincount(idx[:-1][same], seg, minlength=len(lines))
    return np.bincount(owner[owner2], per_line, minlength=len(geoms))


def _merged_zones(zones: gpd.GeoDataFrame, by: str | None, distance_m: float | None) -> tuple[pd.Index, np.ndarray]:
    labels = zones.index if by is None else pd.Index(zones[by])
    codes, uniq = pd.factorize(labels, sort=False)
    geoms = np.asarray(zones.geometry.values, dtype=object)
    if distance_m is not None:
        _check_buffer_limit([distance_m])
        geoms = _scaled_buffer(geoms, distance_m, crs=zones.crs)
    merged = np.array([shapely.union_all(geoms[codes == g]) for g in range(len(uniq))], dtype=object)
    return pd.Index(uniq, name=by or zones.index.name), merged


def coverage_by(
    features: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    by: str | None = None,
    distance_m: float | None = None,
) -> pd.DataFrame:
    """Counts, areas or lengths, and shares, of ``features`` per zone.

    Parameters
    ----------
    features : GeoDataFrame
        Points (counted), lines (counted and measured in km) or polygons
        (counted and measured in ha), any CRS.
    zones : GeoDataFrame
        The zones: polygons (counties, 核/翼/组团 structure elements), or any
        geometry when ``distance_m`` is given (an expressway, a hub).
    by : str, optional
        Zone column to group by (e.g. ``"county"``, ``"element"``); default the
        zones' index.
    distance_m : float, optional
        Count what lies within this many geodesic metres of each zone
        (the zone is buffered first), e.g. towns within 5 km of an expressway.

    Returns
    -------
    pandas.DataFrame
        One row per zone label: ``n_features`` and ``share_features`` (of all
        features; a feature touching two zones counts in both), and for lines
        ``length_km``/``share_length``, for polygons ``area_ha``/``share_area``
        (of the features' total) and ``zone_area_ha``/``share_of_zone`` (of
        the zone's own area).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, LineString
    >>> towns = gpd.GeoDataFrame(geometry=[Point(109.40, 24.30), Point(109.40, 24.50),
    ...     Point(109.60, 24.33)], crs="EPSG:4326")
    >>> road = gpd.GeoDataFrame({"name": ["G72"]},
    ...     geometry=[LineString([(109.35, 24.32), (109.65, 24.32)])], crs="EPSG:4326")
    >>> c = coverage_by(towns, road, by="name", distance_m=5000)
    >>> int(c.loc["G72", "n_features"]), round(float(c.loc["G72", "share_features"]), 3)
    (2, 0.667)
    """
    f = _validate.prepare(features, layer="features")
    z = _validate.prepare(zones, layer="zones")
    if by is not None:
        _validate.column(z, by, layer="zones", purpose="the zone labels to group by")
    dist = None if distance_m is None else _validate.distance(distance_m, name="distance_m")
    zdims = shapely.get_dimensions(np.asarray(z.geometry.values, dtype=object))
    if dist is None and (zdims < 2).any():
        raise InputError(
            "zones: has points or lines but no distance_m; give distance_m=<metres> to count what lies "
            "within that distance of them, or pass polygon zones."
        )
    labels, zgeom = _merged_zones(z, by, dist)
    fgeom = np.asarray(f.geometry.values, dtype=object)
    fdim = int(shapely.get_dimensions(fgeom).max())
    zi, fi = shapely.STRtree(fgeom).query(zgeom, predicate="intersects")
    n = np.bincount(zi, minlength=len(zgeom))
    out = pd.DataFrame({"n_features": n, "share_features": n / len(fgeom)}, index=labels)
    if fdim >= 1:
        pieces = shapely.intersection(fgeom[fi], zgeom[zi])
        if fdim == 1:
            total = _geodesic_length(fgeom, f.crs).sum()
            length = np.bincount(zi, _geodesic_length(pieces, f.crs), minlength=len(zgeom)) / 1e3
            out["length_km"] = length
            out["share_length"] = length * 1e3 / total if total > 0 else np.nan
        else:
            total = _geodesic_area(fgeom, f.crs).sum()
            area = np.bincount(zi, _geodesic_area(pieces, f.crs), minlength=len(zgeom)) / 1e4
            zone_area = _geodesic_area(zgeom, f.crs) / 1e4
            out["area_ha"] = area
            out["share_area"] = area * 1e4 / total if total > 0 else np.nan
            out["zone_area_ha"] = zone_area
            out["share_of_zone"] = np.divide(area, zone_area, out=np.full(len(area), np.nan), where=zone_area > 0)
    return out


def ring_occupancy(polygons: gpd.GeoDataFrame, rings: gpd.GeoDataFrame) -> pd.DataFrame:
    """How many hectares of each ring each polygon takes.

    Parameters
    ----------
    polygons : GeoDataFrame
        Polygons (e.g. development zones, land parcels), any CRS.
    rings : GeoDataFrame
        Output of :func:`gis.buffer_rings` (any ``dissolve``): rows with
        ``ring_inner_m`` and ``ring_outer_m``; rows of the same ring are merged.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``polygons.index``: one column per ring, labelled
        ``"<inner>-<outer> m"``, in ha; then ``outside_ha`` (the part in no
        ring) and ``total_ha`` (the polygon's area).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> from gis.buffer import buffer_rings
    >>> hub = gpd.GeoDataFrame(geometry=[Point(109.4, 24.3)], crs="EPSG:4326")
    >>> r = buffer_rings(hub, [1000, 2000], quad_segs=64)
    >>> park = buffer_rings(hub, [1500], quad_segs=64)[["geometry"]]
    >>> occ = ring_occupancy(park, r).round(0)
    >>> occ.columns.tolist(), occ.iloc[0].tolist()  # pi*1**2*100 = 314, pi*(1.5**2-1)*100 = 393
    (['0-1000 m', '1000-2000 m', 'outside_ha', 'total_ha'], [314.0, 393.0, 0.0, 707.0])
    """
    p = _validate.prepare(polygons, layer="polygons")
    r = _validate.prepare(rings, layer="rings")
    for col in ("ring_inner_m", "ring_outer_m"):
        _validate.column(r, col, layer="rings", purpose="made by gis.buffer_rings")
    pgeom = np.asarray(p.geometry.values, dtype=object)
    if (shapely.get_dimensions(pgeom) < 2).any():
        raise InputError("polygons: must be polygons (areas); drop points and lines or buffer them first.")
    keys = list(dict.fromkeys(zip(r["ring_inner_m"], r["ring_outer_m"])))
    keys.sort(key=lambda io: (io[1], io[0]))
    rgeom = np.asarray(r.geometry.values, dtype=object)
    merged = np.array([
        shapely.union_all(rgeom[(r["ring_inner_m"].to_numpy() == i) & (r["ring_outer_m"].to_numpy() == o)])
        for i, o in keys
    ], dtype=object)
    total = _geodesic_area(pgeom, p.crs) / 1e4
    table = {}
    for (inner, outer), ring in zip(keys, merged):
        ha = _geodesic_area(shapely.intersection(pgeom, ring), p.crs) / 1e4
        table[f"{inner:g}-{outer:g} m"] = ha
    everything = shapely.union_all(merged)
    outside = _geodesic_area(shapely.difference(pgeom, everything), p.crs) / 1e4
    out = pd.DataFrame(table, index=polygons.index)
    out["outside_ha"] = outside
    out["total_ha"] = total
    return out
