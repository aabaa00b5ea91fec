"""GCJ-02 and BD-09, the Chinese obfuscated datums, to and from WGS-84.

pyproj does not know these datums: Amap (Gaode) and most Chinese web sources
publish GCJ-02, Baidu publishes BD-09.  At Liuzhou GCJ-02 sits about 550 m
(+467 m east, -297 m north) from WGS-84.  CGCS2000 equals WGS-84 to well
under a metre here, so "wgs84" below covers CGCS2000 lon/lat too.

The forward transforms are the published closed forms.  The inverses are
solved by fixed-point iteration to 1e-10 degree (about 1e-5 m), because the
common one-step inverse is off by up to 2.35 m at Liuzhou.

All functions are vectorised over numpy arrays; :func:`convert_gdf` applies
them to every vertex of every geometry type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import geopandas as gpd
import numpy as np
import shapely

from ._errors import DatumError

DATUMS = ("wgs84", "cgcs2000", "gcj02", "bd09")
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_TOLERANCE_DEG = 1e-10
_MAX_ITER = 30


def _outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = _outside_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _as_arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lon.shape != lat.shape:
        raise DatumError(f"lon and lat have different shapes {lon.shape} and {lat.shape}; pass one value of each per point.")
    return lon, lat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 lon/lat to GCJ-02 (the closed form used by Chinese map providers).

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(109.4, 24.3)
    >>> round(float(lon) - 109.4, 5), round(float(lat) - 24.3, 5)
    (0.0046, -0.00268)
    """
    lon, lat = _as_arrays(lon, lat)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def _invert(forward: Callable, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(x) = target by fixed-point iteration, starting at the target."""
    lon, lat = _as_arrays(lon, lat)
    x, y = lon.copy(), lat.copy()
    for _ in range(_MAX_ITER):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x = x - ex
        y = y - ey
        if np.all(np.abs(ex) < _TOLERANCE_DEG) and np.all(np.abs(ey) < _TOLERANCE_DEG):
            break
    return x, y


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 lon/lat to WGS-84, inverted iteratively to about 1e-5 m.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(109.4, 24.3))
    >>> abs(float(lon) - 109.4) < 1e-9, abs(float(lat) - 24.3) < 1e-9
    (True, True)
    """
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 lon/lat to Baidu's BD-09."""
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 lon/lat to GCJ-02, inverted iteratively."""
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 lon/lat to BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 lon/lat to WGS-84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def _identity(lon, lat):
    return _as_arrays(lon, lat)


_TO_WGS = {"wgs84": _identity, "gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS = {"wgs84": _identity, "gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def normalise_datum(datum: str, *, where: str = "datum") -> str:
    """Canonical datum name; 'cgcs2000' (lon/lat) is treated as 'wgs84'."""
    key = str(datum).strip().lower().replace("-", "").replace("_", "")
    aliases = {"wgs84": "wgs84", "epsg4326": "wgs84", "cgcs2000": "wgs84", "epsg4490": "wgs84",
               "gcj02": "gcj02", "gcj": "gcj02", "amap": "gcj02", "gaode": "gcj02",
               "bd09": "bd09", "baidu": "bd09"}
    if key not in aliases:
        raise DatumError(f"{where}: unknown datum {datum!r}; use one of {', '.join(DATUMS)}.")
    return aliases[key]


def convert(lon, lat, *, src: str, dst: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert lon/lat arrays between any two of wgs84 / cgcs2000 / gcj02 / bd09.

    Examples
    --------
    >>> lon, lat = convert([109.4], [24.3], src="wgs84", dst="bd09")
    >>> back = convert(lon, lat, src="bd09", dst="wgs84")
    >>> bool(abs(back[0][0] - 109.4) < 1e-9)
    True
    """
    src, dst = normalise_datum(src, where="src"), normalise_datum(dst, where="dst")
    if src == dst:
        return _as_arrays(lon, lat)
    return _FROM_WGS[dst](*_TO_WGS[src](lon, lat))


def convert_gdf(gdf: gpd.GeoDataFrame, *, src: str, dst: str = "wgs84") -> gpd.GeoDataFrame:
    """Return a copy of a lon/lat GeoDataFrame with every vertex moved between datums.

    Works for every geometry type (points, lines, polygons, multi-parts,
    collections).  The input must be lon/lat: a CRS that is geographic, or none.
    The output is labelled EPSG:4326; note that GCJ-02 / BD-09 output is for
    display on Chinese basemaps only.
    """
    if gdf.crs is not None and not gdf.crs.is_geographic:
        raise DatumError(
            f"convert_gdf: the data is in {gdf.crs.to_string()}, a projected CRS; datum shifts apply "
            "to lon/lat only. Call gdf.to_crs('EPSG:4326') first."
        )

    def move(coords: np.ndarray) -> np.ndarray:
        lon, lat = convert(coords[:, 0], coords[:, 1], src=src, dst=dst)
        return np.column_stack([lon, lat])

    out = gdf.copy()
    out[out.geometry.name] = shapely.transform(np.asarray(gdf.geometry.values), move)
    return out.set_crs("EPSG:4326", allow_override=True)


#: Rows needed before coordinates are judged to be GCJ-02 rather than what they declare.
GCJ_MIN_ROWS = 3
#: Floor of the standard error of the mean displacement (m): coordinates rounded to 1e-4 degree scatter ~5 m.
GCJ_MIN_SE_M = 5.0


@dataclass(frozen=True)
class GcjVerdict:
    """The outcome of :func:`gcj02_displacement_test`: whether the offsets look like GCJ-02, and how."""

    suspected: bool
    agreeing: np.ndarray  # per pair: closer to the GCJ-02 offset than to zero
    n: int
    mean_m: float  # length of the mean displacement
    bearing_deg: float
    offset_m: float  # length of the GCJ-02 offset there
    offset_bearing_deg: float


def gcj02_displacement_test(ref_lon, ref_lat, lon, lat) -> GcjVerdict:
    """Do coordinates sit where GCJ-02 coordinates of their reference places would?

    ``ref_lon``/``ref_lat`` are WGS-84 positions known otherwise (the place a row's text names, the shipped
    boundary vertex a polygon's vertex matches), ``lon``/``lat`` the coordinates as declared (WGS-84).  The
    displacements (coordinates − reference) are compared with the GCJ-02 offset at each reference: suspected
    when the mean displacement is closer to the mean offset than to zero by more than twice its standard
    error (from the pairs' own scatter about the mean, floored at ``GCJ_MIN_SE_M``) and within half the
    offset of it, with at least ``GCJ_MIN_ROWS`` pairs.

    Examples
    --------
    >>> lon, lat = np.array([109.40, 109.41, 109.42]), np.array([24.30, 24.31, 24.33])
    >>> gcj02_displacement_test(lon, lat, *wgs84_to_gcj02(lon, lat)).suspected
    True
    >>> gcj02_displacement_test(lon, lat, lon + 1e-6, lat).suspected
    False
    """
    lon0, lat0 = _as_arrays(ref_lon, ref_lat)
    lon, lat = _as_arrays(lon, lat)
    n = len(lon0)
    if n < GCJ_MIN_ROWS:
        return GcjVerdict(False, np.zeros(n, dtype=bool), n, float("nan"), float("nan"), float("nan"), float("nan"))
    glon, glat = wgs84_to_gcj02(lon0, lat0)
    mx = 111320.0 * np.cos(np.radians(lat0))
    my = 110574.0
    disp = np.column_stack([(lon - lon0) * mx, (lat - lat0) * my])
    off = np.column_stack([(glon - lon0) * mx, (glat - lat0) * my])
    mean_disp, mean_off = disp.mean(axis=0), off.mean(axis=0)
    # precision_m is only an upper radius, so the pairs are judged by how tightly their displacements agree
    resid = disp - mean_disp
    se = max(float(np.sqrt(np.sum(resid ** 2) / max(n - 1, 1) / n)), GCJ_MIN_SE_M)
    to_gcj, to_zero = float(np.hypot(*(mean_disp - mean_off))), float(np.hypot(*mean_disp))
    suspected = to_gcj < to_zero and to_zero - to_gcj > 2 * se and to_gcj < 0.5 * float(np.hypot(*mean_off))
    agreeing = np.hypot(*(disp - off).T) < np.hypot(*disp.T)
    return GcjVerdict(bool(suspected), agreeing & suspected, n, to_zero,
                      float(np.degrees(np.arctan2(mean_disp[0], mean_disp[1]))) % 360,
                      float(np.hypot(*mean_off)), float(np.degrees(np.arctan2(mean_off[0], mean_off[1]))) % 360)
