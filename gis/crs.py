"""Coordinate reference systems that matter at Liuzhou, and the guards around them.

The municipality spans 108.59-110.18E, 23.91-26.05N.  The 3-degree
Gauss-Kruger zone boundary at 109.5E runs through it, right past the central
city (柳东新区 lies east of it), so which projected CRS a dataset is in is never
obvious from the place alone.

Every distance, buffer, area or nearest computation goes through
:func:`to_analysis_crs` (explicit reprojection of geographic data) or
:func:`require_projected` (refusal); nothing is ever computed in degrees.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj

from . import city, settings
from ._errors import CRSError



def city_bounds() -> tuple[float, float, float, float]:
    """The municipality's lon/lat bounds (``bounds`` of the city profile), used for sanity checks."""
    return city.profile().bounds


#: The former constant, kept for scripts that import it: the bounds of the SHIPPED city profile (layers/city.yaml),
#: whatever ``gis.settings.layers_dir`` says.  Code uses :func:`city_bounds`.
LIUZHOU_BOUNDS = city.profile(city.shipped_root()).bounds


@dataclass(frozen=True)
class CRSInfo:
    """One registry entry: the code, its name and what it is for at Liuzhou."""

    code: str
    name: str
    purpose: str


REGISTRY: dict[str, CRSInfo] = {
    info.code: info
    for info in (
        CRSInfo("EPSG:4326", "WGS 84", "lon/lat exchange, GeoJSON (RFC 7946), web maps; "
                "equals CGCS2000 to well under a metre at this scale"),
        CRSInfo("EPSG:4490", "CGCS2000", "lon/lat of Chinese official data; axis order is "
                "lat-first, so direct pyproj calls pass always_xy=True"),
        CRSInfo("EPSG:4545", "CGCS2000 / 3-degree GK CM 108E", "default analysis CRS: the "
                "zone of the central city's core and the western counties (scale error under 700 ppm over the municipality, 250 ppm at the centre)"),
        CRSInfo("EPSG:4546", "CGCS2000 / 3-degree GK CM 111E", "the zone east of 109.5E: 柳东新区, "
                "鹿寨县 and the eastern edge"),
        CRSInfo("EPSG:4524", "CGCS2000 / 3-degree GK zone 36", "as 4545 with zone-prefixed "
                "eastings (36xxxxxx); common in survey deliveries"),
        CRSInfo("EPSG:4525", "CGCS2000 / 3-degree GK zone 37", "as 4546 with zone-prefixed "
                "eastings (37xxxxxx)"),
        CRSInfo("EPSG:4508", "CGCS2000 / GK CM 111E (6-degree)", "one zone for the whole "
                "municipality; up to 800 ppm scale error at its western edge"),
        CRSInfo("EPSG:32649", "WGS 84 / UTM zone 49N", "international exchange; CM 111E"),
    )
}

_ZONE_PREFIX_CRS = {36: "EPSG:4524", 37: "EPSG:4525"}


def analysis_crs() -> pyproj.CRS:
    """The declared analysis CRS (``gis.settings.analysis_crs``) as a pyproj CRS.

    Examples
    --------
    >>> analysis_crs().to_epsg()
    4545
    """
    crs = pyproj.CRS.from_user_input(settings.analysis_crs)
    if not crs.is_projected:
        raise CRSError(
            f"gis.settings.analysis_crs is {settings.analysis_crs!r}, which is not projected. "
            f"Set it to a projected CRS in metres, e.g. {city.profile().analysis_crs!r}."
        )
    return crs


def transformer(src, dst) -> pyproj.Transformer:
    """A pyproj Transformer that always takes and returns (x=lon/easting, y=lat/northing).

    Built once per pair of CRS (building one searches the PROJ database, some 0.1 s) and shared: pyproj's
    Transformer is thread-safe since pyproj 3.1.
    """
    try:
        return _transformer(src, dst)
    except TypeError:  # an unhashable CRS description (a dict): built each time
        return pyproj.Transformer.from_crs(src, dst, always_xy=True)


@functools.lru_cache(maxsize=64)
def _transformer(src, dst) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def detect_crs(gdf: gpd.GeoDataFrame, *, layer: str = "input") -> pyproj.CRS:
    """Infer the CRS of a dataset that has none, or refuse.

    Only one case is recognised: projected coordinates whose eastings have
    eight digits starting with 36 or 37 are zone-prefixed CGCS2000 3-degree
    Gauss-Kruger (EPSG:4524 / 4525).  A warning says what was assumed.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame(geometry=[Point(36541000.0, 2690000.0)])
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     detect_crs(g).to_epsg()
    4524
    """
    if gdf.crs is not None:
        return gdf.crs
    if len(gdf) == 0 or gdf.geometry.is_empty.all():
        raise CRSError(f"{layer}: has no CRS and no coordinates to infer one from. Set it with gdf.set_crs(...).")
    minx, miny, maxx, maxy = gdf.total_bounds
    zone_min, zone_max = int(minx // 1_000_000), int(maxx // 1_000_000)
    if zone_min == zone_max and zone_min in _ZONE_PREFIX_CRS and 1_000_000 < miny < 4_000_000:
        code = _ZONE_PREFIX_CRS[zone_min]
        warnings.warn(
            f"{layer}: has no CRS; eastings {minx:.0f}..{maxx:.0f} carry the zone prefix {zone_min}, "
            f"so {code} ({REGISTRY[code].name}) was assumed. Call gdf.set_crs(...) to state it.",
            UserWarning,
            stacklevel=2,
        )
        return pyproj.CRS.from_user_input(code)
    raise CRSError(
        f"{layer}: has no CRS and its coordinates (x {minx:.6g}..{maxx:.6g}, y {miny:.6g}..{maxy:.6g}) "
        "do not identify one. Refusing to guess: call gdf.set_crs('EPSG:4326') for lon/lat, "
        "or the EPSG code of its projected CRS."
    )


def require_projected(gdf: gpd.GeoDataFrame, *, operation: str, layer: str = "input") -> None:
    """Raise :class:`CRSError` unless ``gdf`` has a projected CRS.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame(geometry=[Point(109.4, 24.3)], crs="EPSG:4326")
    >>> require_projected(g, operation="buffer")
    Traceback (most recent call last):
    ...
    gis._errors.CRSError: buffer: layer 'input' is in EPSG:4326, a geographic CRS (degrees). ...
    """
    if gdf.crs is None:
        raise CRSError(
            f"{operation}: layer {layer!r} has no CRS, so its units are unknown. "
            "Set it with gdf.set_crs(...), then reproject with gis.to_analysis_crs(gdf)."
        )
    if not gdf.crs.is_projected:
        raise CRSError(
            f"{operation}: layer {layer!r} is in {gdf.crs.to_string()}, a geographic CRS (degrees). "
            "Distances in degrees are meaningless; reproject first with gis.to_analysis_crs(gdf) "
            f"(currently {settings.analysis_crs}) or gdf.to_crs(<projected CRS>)."
        )


def to_analysis_crs(gdf: gpd.GeoDataFrame, *, layer: str = "input") -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` in the analysis CRS.

    Geographic data is reprojected explicitly; data without a CRS is accepted
    only when :func:`detect_crs` can identify it, otherwise it is refused.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame(geometry=[Point(109.4, 24.3)], crs="EPSG:4326")
    >>> p = to_analysis_crs(g).geometry.iloc[0]
    >>> round(p.x), round(p.y)
    (642130, 2689231)
    """
    crs = gdf.crs if gdf.crs is not None else detect_crs(gdf, layer=layer)
    out = gdf.set_crs(crs, allow_override=True) if gdf.crs is None else gdf
    target = analysis_crs()
    if pyproj.CRS.from_user_input(out.crs) == target:
        return out.copy()
    return out.to_crs(target)


def in_city(lon: np.ndarray, lat: np.ndarray, *, margin_deg: float = 0.0) -> np.ndarray:
    """Boolean mask: which lon/lat pairs fall in the municipality's bounding box (the city profile's bounds)."""
    minx, miny, maxx, maxy = city_bounds()
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (
        (lon >= minx - margin_deg) & (lon <= maxx + margin_deg)
        & (lat >= miny - margin_deg) & (lat <= maxy + margin_deg)
    )


#: the former name of :func:`in_city`
in_liuzhou = in_city
