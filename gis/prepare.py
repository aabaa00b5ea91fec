"""One way in for every analysis: an input (path, table, layer) made into a prepared layer.

:func:`prepare_layer` is where the rules about inputs live, once:

* the geometry is checked (missing, invalid, non-finite coordinates), naming the rows;
* the CRS is taken as declared (the layer's, or ``crs=``) and **checked against the numbers**
  (:func:`check_crs`: degrees labelled metres and the reverse, coordinates outside the declared CRS's area of
  use or far from Liuzhou), the message proposing the CRS that fits (zone-prefixed eastings ``36xxxxxx``:
  EPSG:4524; unprefixed eastings declared EPSG:4524: EPSG:4545); a layer without a CRS is identified only when
  :func:`gis.crs.detect_crs` can;
* the datum: GCJ-02 / BD-09 lon/lat declared (``datum=``, ``attrs["datum"]`` or a ``坐标系``/``datum``
  column) are converted with :mod:`gis.datum`; lon/lat declared or taken as WGS-84 are checked for the GCJ-02
  offset against the shipped township and county boundaries (:func:`check_gcj02`): a warning (flag
  ``gcj02_suspected``), or a :class:`~gis._errors.DatumError` when WGS-84 was declared explicitly or
  ``strict=True``;
* the layer is projected to the analysis CRS, its ``precision_m`` attached, its row numbers kept
  (spreadsheet rows of a table read from a file);
* rows without a position (*unplaced*: a geocoded table's unmatched rows) are set aside with their reason
  (the ``reason``/``geocode_reason``/``geocode_status`` columns, else ``未定位``) instead of failing the
  analysis; ``strict=True`` refuses them, naming the rows.

The analyses (:func:`gis.nearest`, :func:`gis.within`, :func:`gis.od_matrix`, :func:`gis.buffer_rings`,
:func:`gis.review_projects`, :func:`gis.score_candidates`, :func:`gis.zone_coverage`,
:func:`gis.routing.travel_times`) all prepare their inputs here, so a CRS or datum fault gives the same error
from the same place whichever analysis meets it.
"""

from __future__ import annotations

import functools
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from . import crs as _crs
from . import datum as _datum
from . import _validate
from ._errors import CRSError, DatumError, InputError
from .city import profile
from .pointfile import PointTable

__all__ = ["Prepared", "prepare_layer", "check_crs", "check_gcj02", "UNPLACED_NOTE"]

#: The note of a row that has no position and no reason of its own.
UNPLACED_NOTE = "未定位"
#: Columns that say why a geocoded row has no position, in order of preference.
REASON_COLUMNS = ("geocode_reason", "reason", "备注", "geocode_status", "status")
#: Margin (degrees) around the municipality's bounds within which data counts as "at Liuzhou".
CITY_MARGIN_DEG = 1.0
#: Unprefixed and zone-prefixed forms of the same CGCS2000 3-degree Gauss-Kruger zones.
_PREFIXED = {"EPSG:4545": "EPSG:4524", "EPSG:4546": "EPSG:4525"}
_UNPREFIXED = {v: k for k, v in _PREFIXED.items()}
#: Most vertices of one layer compared with the reference boundaries in the GCJ-02 check.
_GCJ_SAMPLE = 4000
#: A vertex within this distance (m) of a reference vertex (as given, or un-shifted from GCJ-02) is paired.
_GCJ_PAIR_M = 60.0


def _raise(exc: Exception) -> None:
    """Raise ``exc`` marked as coming from input preparation (``exc.raised_by == 'gis.prepare'``)."""
    exc.raised_by = "gis.prepare"  # type: ignore[attr-defined]
    raise exc


# --------------------------------------------------------------------------- the CRS against the numbers


def _code(crs: pyproj.CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_string()


def _to_lonlat(crs: pyproj.CRS, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if crs.is_geographic:
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(all="ignore"):
        lon, lat = _crs.transformer(crs, pyproj.CRS.from_epsg(4326)).transform(x, y, errcheck=False)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _corners(bounds: tuple) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = bounds
    return (np.array([minx, maxx, minx, maxx, (minx + maxx) / 2]),
            np.array([miny, miny, maxy, maxy, (miny + maxy) / 2]))


def _fits_city(crs: pyproj.CRS, bounds: tuple) -> bool:
    """Whether the coordinates' extent, read in ``crs``, reaches the municipality (with ``CITY_MARGIN_DEG``)."""
    lon, lat = _to_lonlat(crs, *_corners(bounds))
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        return False
    minx, miny, maxx, maxy = _crs.city_bounds()
    m = CITY_MARGIN_DEG
    return bool(lon.min() <= maxx + m and lon.max() >= minx - m and lat.min() <= maxy + m and lat.max() >= miny - m)


def proposed_crs(bounds: tuple) -> str | None:
    """The CRS (EPSG code) under which coordinates with these bounds fall at Liuzhou, or ``None``.

    Zone-prefixed eastings (``36xxxxxx`` / ``37xxxxxx``) give EPSG:4524 / 4525, lon/lat EPSG:4326, plain
    Gauss-Kruger eastings the first registry CRS (EPSG:4545 first) that puts them in the municipality.

    Examples
    --------
    >>> proposed_crs((36541000.0, 2690000.0, 36542000.0, 2691000.0))
    'EPSG:4524'
    >>> proposed_crs((541000.0, 2690000.0, 542000.0, 2691000.0))
    'EPSG:4545'
    """
    minx, miny, maxx, maxy = bounds
    zone = int(minx // 1_000_000)
    if zone == int(maxx // 1_000_000) and zone in _crs._ZONE_PREFIX_CRS:
        code = _crs._ZONE_PREFIX_CRS[zone]
        return code if _fits_city(pyproj.CRS.from_user_input(code), bounds) else None
    for code in ("EPSG:4326", *(profile().local_crs or (profile().analysis_crs,))):
        if _fits_city(pyproj.CRS.from_user_input(code), bounds):
            return code
    return None


def check_crs(crs: Any, bounds: tuple, *, layer: str) -> None:
    """Refuse coordinates that contradict their CRS, proposing the CRS that fits them.

    Checked: lon/lat numbers labelled with a projected CRS and metres labelled as degrees (and swapped
    lat/lon); coordinates outside the declared CRS's area of use (``pyproj.CRS.area_of_use``); coordinates
    far (more than ``CITY_MARGIN_DEG``) from Liuzhou when another CRS would put them there.

    Raises
    ------
    CRSError
        Naming the layer, the declared CRS, the coordinates and the CRS to declare instead.

    Examples
    --------
    >>> check_crs("EPSG:4545", (36541000.0, 2690000.0, 36542000.0, 2691000.0), layer="origins")
    Traceback (most recent call last):
    ...
    gis._errors.CRSError: origins: declares EPSG:4545 ... EPSG:4524 ...
    """
    bounds = tuple(float(b) for b in bounds)
    if not np.all(np.isfinite(bounds)):
        return
    crs = pyproj.CRS.from_user_input(crs)
    minx, miny, maxx, maxy = bounds
    numbers = f"(x {minx:.6g}..{maxx:.6g}, y {miny:.6g}..{maxy:.6g})"
    looks_degrees = -180.0 <= minx and maxx <= 360.0 and -90.0 <= miny and maxy <= 90.0
    if crs.is_projected and looks_degrees:
        _raise(CRSError(
            f"{layer}: declares the projected CRS {crs.to_string()} (metres), but its coordinates "
            f"{numbers} look like degrees of longitude/latitude. "
            "If they are lon/lat, declare it: gdf.set_crs('EPSG:4326', allow_override=True) "
            "(on the command line --input-crs EPSG:4326)."))
    if crs.is_geographic and (abs(minx) > 360.0 or abs(maxx) > 360.0 or abs(miny) > 90.0 or abs(maxy) > 90.0):
        if bool(_crs.in_liuzhou([miny, maxy], [minx, maxx], margin_deg=0.5).all()):
            _raise(CRSError(
                f"{layer}: its x values ({minx:.6g}..{maxx:.6g}) are latitudes and its y values "
                f"({miny:.6g}..{maxy:.6g}) longitudes of {profile().name_en}: lat and lon look swapped. Write x = longitude, "
                "y = latitude (GeoJSON: [lon, lat]); `lzgis geocode` corrects swapped table rows and flags them."))
        fits = proposed_crs(bounds)
        _raise(CRSError(
            f"{layer}: declares the geographic CRS {crs.to_string()} (degrees), but its coordinates "
            f"{numbers} are not degrees. "
            + (f"They fall at {profile().name_en} in {fits} ({_describe(fits)}): declare it: "
               f"gdf.set_crs('{fits}', allow_override=True) (on the command line --input-crs {fits})."
               if fits else "Declare the projected CRS they are in: gdf.set_crs('EPSG:<code>', allow_override=True).")))
    if _fits_city(crs, bounds):
        return
    lon, lat = _to_lonlat(crs, *_corners(bounds))
    area = crs.area_of_use
    finite = bool(np.isfinite(lon).all() and np.isfinite(lat).all())
    outside_area = not finite or (area is not None and not (
        (lon >= area.west - 0.5).all() and (lon <= area.east + 0.5).all()
        and (lat >= area.south - 0.5).all() and (lat <= area.north + 0.5).all()))
    fits = proposed_crs(bounds)
    if not outside_area and fits is None:
        warnings.warn(f"{layer}: its coordinates {numbers} in {_code(crs)} lie outside {profile().name_en} "
                      f"(lon {np.nanmin(lon):.3f}..{np.nanmax(lon):.3f}, lat {np.nanmin(lat):.3f}..{np.nanmax(lat):.3f}); "
                      "check the declared CRS if the data should be here.", UserWarning, stacklevel=3)
        return
    where = (f"outside the area where {_code(crs)} is defined ({area.name}: lon {area.west:g}..{area.east:g}, "
             f"lat {area.south:g}..{area.north:g})" if outside_area and area is not None
             else f"{'nowhere' if not finite else 'far from ' + profile().name_en} in {_code(crs)}")
    advice = (f"They fall at {profile().name_en} in {fits} ({_describe(fits)}): declare it: gdf.set_crs('{fits}', "
              f"allow_override=True) (on the command line --input-crs {fits})." if fits
              else "Declare the CRS the coordinates are really in.")
    _raise(CRSError(f"{layer}: declares {_code(crs)} ({crs.name}), but its coordinates {numbers} lie {where}. "
                    + advice))


def _describe(code: str) -> str:
    info = _crs.REGISTRY.get(code)
    if info is None:
        return pyproj.CRS.from_user_input(code).name
    if code in _UNPREFIXED:
        return f"{info.name}, eastings with the zone prefix {36 if code == 'EPSG:4524' else 37}"
    if code in _PREFIXED:
        return f"{info.name}, eastings without the zone prefix"
    return info.name


# --------------------------------------------------------------------------- GCJ-02 against shipped boundaries


@functools.lru_cache(maxsize=1)
def _reference_vertices() -> tuple[np.ndarray, Any] | None:
    """WGS-84 vertices of the shipped township and county boundaries, with a KD-tree on them (metres)."""
    from scipy.spatial import cKDTree

    from .layers import load_layer

    parts = []
    for name in ("townships", "counties"):
        try:
            gdf = load_layer(name)
        except Exception:  # pragma: no cover - a checkout without the base layers
            continue
        gdf = gdf.to_crs("EPSG:4326") if gdf.crs is not None and not gdf.crs.equals("EPSG:4326") else gdf
        parts.append(shapely.get_coordinates(np.asarray(gdf.geometry.values, dtype=object)))
    if not parts:
        return None
    xy = np.unique(np.vstack(parts), axis=0)
    return xy, cKDTree(_metres(xy[:, 0], xy[:, 1]))


def _metres(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    coslat = np.cos(np.radians(profile().centre[1]))
    return np.column_stack([np.asarray(lon) * 111320.0 * coslat, np.asarray(lat) * 110574.0])


def check_gcj02(lon: np.ndarray, lat: np.ndarray, *, layer: str, declared: bool, strict: bool = False) -> bool:
    """Warn (or refuse) when lon/lat taken as WGS-84 sit where GCJ-02 copies of the shipped boundaries would.

    Each vertex (at most ``_GCJ_SAMPLE``) is paired with the shipped township/county boundary vertex it
    matches, as given or once un-shifted from GCJ-02 (within ``_GCJ_PAIR_M``); the pairs are judged by the
    same test as geocoded tables (:func:`gis.datum.gcj02_displacement_test`).  Layers that do not follow
    the shipped boundaries (project points, road lines) give too few pairs and are not judged.

    Returns
    -------
    bool
        Whether GCJ-02 is suspected (after the warning ``gcj02_suspected``).

    Raises
    ------
    DatumError
        Suspected, and WGS-84 was declared explicitly (``declared``) or ``strict``.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[ok], lat[ok]
    if len(lon) < _datum.GCJ_MIN_ROWS or not _crs.in_liuzhou(lon, lat, margin_deg=0.2).any():
        return False
    if len(lon) > _GCJ_SAMPLE:
        pick = np.linspace(0, len(lon) - 1, _GCJ_SAMPLE).astype(int)
        lon, lat = lon[pick], lat[pick]
    ref = _reference_vertices()
    if ref is None:
        return False
    xy, tree = ref
    ulon, ulat = _datum.gcj02_to_wgs84(lon, lat)
    d_as, i_as = tree.query(_metres(lon, lat), distance_upper_bound=_GCJ_PAIR_M)
    d_un, i_un = tree.query(_metres(ulon, ulat), distance_upper_bound=_GCJ_PAIR_M)
    use_un = d_un < d_as
    paired = np.isfinite(np.where(use_un, d_un, d_as))
    if paired.sum() < max(_datum.GCJ_MIN_ROWS, 0.2 * len(lon)):
        return False
    idx = np.where(use_un, i_un, i_as)[paired]
    verdict = _datum.gcj02_displacement_test(xy[idx, 0], xy[idx, 1], lon[paired], lat[paired])
    if not verdict.suspected:
        return False
    message = (f"{layer}: gcj02_suspected: {int(verdict.agreeing.sum())} of its vertices sit on average "
               f"{verdict.mean_m:.0f} m from the shipped township/county boundaries they follow, towards "
               f"{verdict.bearing_deg:.0f}° (the GCJ-02 offset here is {verdict.offset_m:.0f} m towards "
               f"{verdict.offset_bearing_deg:.0f}°): the layer looks like GCJ-02 (Amap/Tencent) lon/lat taken as "
               "WGS-84. If it was copied from 高德/腾讯 maps, declare it (datum='gcj02', --datum gcj02 or a "
               "坐标系 column) and it is converted.")
    if declared or strict:
        _raise(DatumError(message + " It was declared WGS-84: correct the declaration."))
    warnings.warn(message, UserWarning, stacklevel=3)
    return True


# --------------------------------------------------------------------------- the prepared layer


@dataclass
class Prepared:
    """An input ready for an analysis.

    Attributes
    ----------
    name : str
        The role's name in messages ("origins", "zones" ...).
    layer : gis._validate.Layer
        The placed rows in the analysis CRS (coordinates for points, a frame otherwise).
    index : pandas.Index
        Every input row, placed or not, in input order.
    placed : numpy.ndarray
        Boolean mask over ``index``: rows with a position.
    reasons : pandas.Series
        Why each unplaced row has no position (indexed by its label); empty when all are placed.
    rows : list of int or None
        Spreadsheet row numbers (header = row 1) of a table read from a file, else ``None``.
    source_crs : pyproj.CRS or None
        The CRS the coordinates were in (declared, or identified).
    datum : str
        The lon/lat datum the input was declared in ("wgs84" when taken as such).
    """

    name: str
    layer: _validate.Layer
    index: pd.Index
    placed: np.ndarray
    reasons: pd.Series
    rows: list[int] | None = None
    source_crs: pyproj.CRS | None = None
    datum: str = "wgs84"
    source: gpd.GeoDataFrame | None = field(default=None, repr=False)

    @property
    def n_unplaced(self) -> int:
        return int(len(self.reasons))

    @property
    def frame(self) -> gpd.GeoDataFrame:
        """The placed rows as a GeoDataFrame in the analysis CRS (built from coordinates for point layers)."""
        if self.layer.frame is not None:
            return self.layer.frame
        return gpd.GeoDataFrame(geometry=self.layer.geoms(), index=self.layer.index, crs=_crs.analysis_crs())

    def notes(self, index: pd.Index | None = None) -> pd.Series:
        """The ``note`` of every row of ``index`` (default: all input rows): its reason if unplaced, else ""."""
        index = self.index if index is None else index
        return pd.Series(self.reasons.reindex(index).fillna("").to_numpy(dtype=object), index=index, name="note")

    def warn_unplaced(self, *, what: str, stacklevel: int = 3) -> None:
        """Warn how many rows were kept without a result, naming the first ones."""
        if not self.n_unplaced:
            return
        shown = ", ".join(map(str, self._row_names()[:10]))
        more = f" and {self.n_unplaced - 10} more" if self.n_unplaced > 10 else ""
        warnings.warn(f"{self.name}: {self.n_unplaced} row(s) have no position ({shown}{more}); {what} "
                      f"(note: {UNPLACED_NOTE} or the geocoder's reason). Give them a position, or pass "
                      "strict=True (--strict) to refuse the layer instead.", UserWarning, stacklevel=stacklevel)

    def _row_names(self) -> list[str]:
        positions = np.flatnonzero(~self.placed)
        if self.rows is not None:
            return [f"row {self.rows[i]}" for i in positions]
        return [repr(self.index[i]) for i in positions]


def is_geocoded(obj: Any) -> bool:
    """Whether a layer comes from the geocoder (``geocode_status`` column): its unplaced rows are records."""
    return isinstance(obj, pd.DataFrame) and "geocode_status" in obj.columns


def _declared_datum(gdf: pd.DataFrame, datum: str | None, *, layer: str) -> tuple[str, bool]:
    """The datum declared for lon/lat (argument, ``attrs["datum"]``, one value of a 坐标系/datum column)."""
    if datum is not None:
        return _datum.normalise_datum(datum, where=f"{layer}: datum"), True
    if gdf.attrs.get("datum"):
        return _datum.normalise_datum(gdf.attrs["datum"], where=f"{layer}: attrs['datum']"), True
    for column in ("坐标系", "datum"):
        if column in gdf.columns:
            values = {str(v).strip() for v in gdf[column].dropna() if str(v).strip()}
            if len(values) == 1:
                return _datum.normalise_datum(values.pop(), where=f"{layer}: column {column!r}"), True
            if len(values) > 1:
                _raise(InputError(f"{layer}: column {column!r} names several datums ({', '.join(sorted(values))}); "
                                  "convert the rows to one datum first (`lzgis geocode` reads it per row)."))
    return "wgs84", False


def _reasons(gdf: pd.DataFrame, missing: np.ndarray) -> pd.Series:
    labels = gdf.index[missing]
    out = pd.Series(UNPLACED_NOTE, index=labels, dtype=object)
    for column in REASON_COLUMNS:
        if column in gdf.columns:
            text = gdf.loc[missing, column].astype("string").fillna("").str.strip()
            text = text.where(~text.isin(["", "unmatched", "matched"]), "")
            use = (out == UNPLACED_NOTE).to_numpy() & (text != "").to_numpy()
            out[use] = text[use].to_numpy()
    return out


def _from_dataframe(df: pd.DataFrame, *, name: str, crs: Any) -> gpd.GeoDataFrame:
    from .readers import _LAT_NAMES, _LON_NAMES  # the reader's column names, one list

    lower = {str(c).strip().lower(): c for c in df.columns}
    lon_c = next((lower[n] for n in _LON_NAMES if n in lower), None)
    lat_c = next((lower[n] for n in _LAT_NAMES if n in lower), None)
    if lon_c is None or lat_c is None:
        _raise(InputError(f"{name}: a table without coordinate columns (looked for {'/'.join(_LON_NAMES)} and "
                          f"{'/'.join(_LAT_NAMES)}); geocode it first (gis.geocode_table) or name the columns."))
    x = pd.to_numeric(df[lon_c], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(df[lat_c], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    geoms = np.full(len(df), None, dtype=object)
    geoms[ok] = shapely.points(x[ok], y[ok])
    gdf = gpd.GeoDataFrame(df.drop(columns=[lon_c, lat_c]), geometry=list(geoms), crs=None)
    gdf.index = df.index
    if crs is None and ok.any() and (np.abs(x[ok]) <= 180).all() and (np.abs(y[ok]) <= 90).all():
        crs = "EPSG:4326"
    return gdf.set_crs(crs) if crs is not None else gdf


def _read(obj: str | os.PathLike, *, name: str, crs: Any, datum: str | None,
          any_file: bool) -> PointTable | gpd.GeoDataFrame:
    where = os.fspath(obj)
    if not any_file or where.lower().endswith((".parquet", ".geoparquet")):
        return _validate._read_path(where, name=name)
    from .readers import read_vector

    return read_vector(where, crs=crs, missing_coordinates="keep", **({"datum": datum} if datum else {}))


def prepare_layer(
    obj: Any,
    *,
    name: str,
    role: str | None = None,
    crs: Any = None,
    datum: str | None = None,
    geometry: tuple[str, ...] | None = None,
    keep_unplaced: bool = True,
    strict: bool = False,
    allow_empty_layer: bool = True,
    any_file: bool = True,
    checked: bool = False,
) -> Prepared:
    """Check an input and bring it to the analysis CRS, keeping aside the rows without a position.

    Parameters
    ----------
    obj : GeoDataFrame, GeoSeries, DataFrame, PointTable or path
        A layer; a table with lon/lat columns (``lon``/``经度``/``x`` …); a
        :class:`gis.pointfile.PointTable`; the path of a GeoParquet file (points read as coordinates) or of
        any file :func:`gis.readers.read_vector` reads.
    name : str
        The input's name in messages ("origins", "zones" ...).
    role : str, optional
        What the analysis uses it for (recorded; default ``name``).
    crs : optional
        Declare the CRS: set where the input has none, relabelled (not transformed) where it differs; the
        numbers are checked against it either way.
    datum : {"wgs84", "cgcs2000", "gcj02", "bd09"}, optional
        Datum of lon/lat input (default: ``attrs["datum"]``, a ``坐标系``/``datum`` column, else WGS-84).
    geometry : tuple of str, optional
        The geometry types allowed ("Point", "Polygon" ...); default any.
    keep_unplaced : bool, default True
        Set rows without geometry aside (``Prepared.reasons``) instead of refusing the layer.
    strict : bool, default False
        Refuse rows without geometry (naming them) and a suspected GCJ-02 datum.
    allow_empty_layer : bool, default True
        Accept a layer of 0 rows.
    any_file : bool, default True
        Read a path with :func:`gis.readers.read_vector`; ``False``: only GeoParquet paths (the analyses that
        take a path for millions of points).
    checked : bool, default False
        The caller has already refused invalid geometries and non-finite coordinates of the placed rows (in
        its own words): they are not checked again (on 10⁵ polygons the validity test takes some 0.1 s).

    Returns
    -------
    Prepared

    Raises
    ------
    InputError
        Bad geometries, repeated index values, unplaced rows when refused (named).
    CRSError
        No identifiable CRS, or coordinates that contradict the declared one (the message proposes the CRS
        that fits).
    DatumError
        GCJ-02 offsets in a layer declared WGS-84 (or ``strict``).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame({"geocode_status": ["matched", "unmatched"], "reason": ["", "no such place"]},
    ...                      geometry=[Point(109.4, 24.3), None], crs="EPSG:4326")
    >>> p = prepare_layer(g, name="origins")
    >>> p.placed.tolist(), p.notes().tolist(), p.layer.xy.round(0).tolist()
    ([True, False], ['', 'no such place'], [[642130.0, 2689231.0]])
    """
    role = role or name
    if isinstance(obj, (str, os.PathLike)):
        obj = _read(obj, name=name, crs=crs, datum=datum, any_file=any_file)
        datum = None  # applied by the reader
    if isinstance(obj, PointTable):
        if crs is not None and pyproj.CRS.from_user_input(crs) != obj.crs:
            obj = PointTable(obj.xy, pyproj.CRS.from_user_input(crs), obj.data, obj.source)
        prec = _validate.precision(obj.data, layer=name)
        if len(obj) == 0:
            layer = _validate.Layer(name, obj.index, prec, None, gpd.GeoDataFrame(geometry=[], crs=_crs.analysis_crs()))
        else:
            if not np.isfinite(obj.xy).all():
                _validate.check_geometries(obj.to_geodataframe(), layer=name)  # raises, naming the rows
            check_crs(obj.crs, tuple(_validate._xy_bounds(obj.xy)), layer=name)
            layer = _validate._points_layer(name, obj.index, prec, obj.xy, obj.crs)
        return Prepared(name, layer, obj.index, np.ones(len(obj), dtype=bool), pd.Series(dtype=object),
                        source_crs=obj.crs)
    if isinstance(obj, pd.DataFrame) and not isinstance(obj, gpd.GeoDataFrame):
        obj = _from_dataframe(obj, name=name, crs=crs)
    gdf = _validate.as_frame(obj, layer=name)
    _validate.unique_index(gdf, layer=name)
    if crs is not None:
        declared = pyproj.CRS.from_user_input(crs)
        if gdf.crs is None:
            gdf = gdf.set_crs(declared)
        elif pyproj.CRS.from_user_input(gdf.crs) != declared:
            gdf = gdf.set_crs(declared, allow_override=True)
    rows = None
    if gdf.attrs.get("source", {}).get("format") in ("csv", "tsv", "txt", "xlsx", "xlsm", "xls"):
        from .readers import spreadsheet_rows

        try:
            rows = list(spreadsheet_rows(gdf, list(range(len(gdf)))))
        except Exception:  # pragma: no cover - a frame without row bookkeeping
            rows = None
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    # every row a point with finite coordinates (most large layers): its coordinates, read once, stand for the
    # checks of missing, empty and non-finite geometries; otherwise None and the checks run one by one
    coords, extent = _finite_points(geoms)
    if coords is not None:
        missing = np.zeros(len(gdf), dtype=bool)
    else:
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms) if len(gdf) else np.zeros(0, dtype=bool)
    if missing.any() and (strict or not keep_unplaced):
        _validate.check_geometries(gdf, layer=name)  # raises, naming the rows
    reasons = _reasons(gdf, missing) if missing.any() else pd.Series(dtype=object)
    placed_gdf = gdf[~missing] if missing.any() else gdf
    if len(placed_gdf) == 0 and not allow_empty_layer and not missing.any():
        _validate.check_geometries(placed_gdf, layer=name)
    if len(placed_gdf):
        if not checked and coords is None:
            _validate.check_geometries(placed_gdf, layer=name)
        if geometry is not None and not (coords is not None and "Point" in geometry):
            types = np.asarray(placed_gdf.geom_type, dtype=object)
            wrong = ~np.isin(types, geometry)
            if wrong.any():
                _raise(InputError(f"{name}: rows {_validate._rows(placed_gdf.index, wrong)} are "
                                  f"{', '.join(sorted(set(types[wrong])))}, not {' / '.join(geometry)}."))
    source_crs = gdf.crs
    if source_crs is None and len(placed_gdf):
        source_crs = _crs.detect_crs(placed_gdf, layer=name)
        placed_gdf = placed_gdf.set_crs(source_crs)
    elif source_crs is None:
        source_crs = _crs.analysis_crs()
        placed_gdf = placed_gdf.set_crs(source_crs)
    the_datum, explicit = _declared_datum(gdf, datum, layer=name)
    prec = _validate.precision(placed_gdf, layer=name)
    if len(placed_gdf) == 0:
        layer = _validate.Layer(name, placed_gdf.index, prec, None, placed_gdf.to_crs(_crs.analysis_crs()))
        return Prepared(name, layer, gdf.index, ~missing, reasons, rows, source_crs, the_datum, gdf)
    pg = np.asarray(placed_gdf.geometry.values, dtype=object)
    check_crs(source_crs, tuple(shapely.total_bounds(pg) if extent is None else extent), layer=name)
    if pyproj.CRS.from_user_input(source_crs).is_geographic:
        if the_datum in ("gcj02", "bd09"):
            placed_gdf = _datum.convert_gdf(placed_gdf, src=the_datum, dst="wgs84")
            pg = np.asarray(placed_gdf.geometry.values, dtype=object)
            coords = None  # moved: read again below
        else:
            ll = shapely.get_coordinates(pg) if coords is None else coords
            check_gcj02(ll[:, 0], ll[:, 1], layer=name, declared=explicit, strict=strict)
    elif the_datum in ("gcj02", "bd09") and explicit:
        _raise(DatumError(f"{name}: declares the datum {the_datum} but is in the projected CRS "
                          f"{_code(pyproj.CRS.from_user_input(source_crs))}; datum shifts apply to lon/lat only."))
    if coords is not None:
        layer = _validate._points_layer(name, placed_gdf.index, prec, coords, placed_gdf.crs, extent)
    elif (shapely.get_type_id(pg) == _validate.POINT).all():
        coords = shapely.get_coordinates(pg)
        layer = _validate._points_layer(name, placed_gdf.index, prec, coords, placed_gdf.crs)
    else:
        layer = _validate.Layer(name, placed_gdf.index, prec, None, _crs.to_analysis_crs(placed_gdf, layer=name))
    return Prepared(name, layer, gdf.index, ~missing, reasons, rows, source_crs, the_datum, gdf)


def _finite_points(geoms: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(coordinates, extent)`` if every geometry is a non-empty point with finite coordinates, else ``(None, None)``.

    One type pass and one coordinate pass: an empty point has no coordinate (the count falls short), a
    NaN or an infinity shows in the extent.
    """
    if len(geoms) == 0:
        return None, None
    types = shapely.get_type_id(geoms)
    if types.min() != _validate.POINT or types.max() != _validate.POINT:
        return None, None
    coords = shapely.get_coordinates(geoms)
    if len(coords) != len(geoms):
        return None, None
    extent = _validate._xy_bounds(coords)
    if not np.isfinite(extent).all():
        return None, None
    return coords, extent


def prepare_frame(obj: Any, *, name: str, allow_empty_layer: bool = False, strict: bool = False,
                  datum: str | None = None, checked: bool = False) -> gpd.GeoDataFrame:
    """A checked copy of a whole layer, every column kept, in the analysis CRS (rows without geometry refused).

    For analyses that take the geometry of every row (coverage, buffers).  ``checked``: the caller has
    already refused invalid geometries (see :func:`prepare_layer`).
    """
    frame = _validate.as_frame(obj, layer=name)
    if len(frame) == 0:
        if not allow_empty_layer:
            _validate.check_geometries(frame, layer=name, allow_empty_layer=False)
        return frame.set_crs(_crs.analysis_crs()) if frame.crs is None else frame.to_crs(_crs.analysis_crs())
    p = prepare_layer(frame, name=name, keep_unplaced=False, strict=strict, datum=datum, checked=checked)
    geoms = p.layer.geoms()
    out = frame.loc[p.layer.index] if p.n_unplaced else frame
    gname = out.geometry.name
    return gpd.GeoDataFrame(out.drop(columns=gname), geometry=gpd.GeoSeries(geoms, index=out.index, name=gname),
                            crs=_crs.analysis_crs())
