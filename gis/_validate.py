"""Input checks shared by the analyses (buffer, proximity, coverage, network).

Every check names the layer ("origins", "targets", ...), the rows at fault and
the fix, and collects all problems of one input before raising.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from . import crs as _crs
from ._errors import InputError
from .pointfile import PointTable, read_points

POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON = 0, 1, 3, 4, 5, 6
_MAX_ROWS_SHOWN = 5


def _rows(index: pd.Index, mask: np.ndarray) -> str:
    labels = list(index[mask][:_MAX_ROWS_SHOWN])
    more = int(mask.sum()) - len(labels)
    return ", ".join(map(repr, labels)) + (f" and {more} more" if more > 0 else "")


def as_frame(obj: object, *, layer: str) -> gpd.GeoDataFrame:
    """Accept a GeoDataFrame or a GeoSeries; refuse anything else, naming ``layer``."""
    if isinstance(obj, gpd.GeoDataFrame):
        if obj._geometry_column_name not in obj.columns:
            raise InputError(f"{layer}: the GeoDataFrame has no active geometry column. Call .set_geometry(<column>).")
        return obj
    if isinstance(obj, gpd.GeoSeries):
        return gpd.GeoDataFrame(geometry=obj)
    raise InputError(
        f"{layer}: expected a GeoDataFrame (or GeoSeries), got {type(obj).__name__}. "
        "Build one with geopandas.GeoDataFrame(df, geometry=..., crs=...) or gis.load_layer(name)."
    )


def unique_index(gdf: pd.DataFrame, *, layer: str) -> None:
    """Refuse an index with repeated values: analysis results are keyed by it.

    >>> import pandas as pd
    >>> unique_index(pd.DataFrame({"a": [1, 2]}, index=[7, 7]), layer="origins")
    Traceback (most recent call last):
    ...
    gis._errors.InputError: origins: the index repeats the value(s) 7; ...
    """
    if gdf.index.is_unique:
        return
    repeated = gdf.index[gdf.index.duplicated()].unique()
    shown = ", ".join(map(repr, list(repeated[:_MAX_ROWS_SHOWN])))
    more = f" and {len(repeated) - _MAX_ROWS_SHOWN} more" if len(repeated) > _MAX_ROWS_SHOWN else ""
    raise InputError(
        f"{layer}: the index repeats the value(s) {shown}{more}; results are keyed by the index, so those rows "
        "could not be told apart. Renumber it first: gdf.reset_index(drop=True) (or gdf.reset_index() to keep "
        "the old index as a column)."
    )


def check_geometries(gdf: gpd.GeoDataFrame, *, layer: str, allow_empty_layer: bool = False) -> None:
    """Refuse an empty layer, missing/empty/invalid geometries and non-finite coordinates, all at once."""
    if len(gdf) == 0:
        if allow_empty_layer:
            return
        raise InputError(f"{layer}: the layer is empty (0 rows). Pass a layer with at least one feature.")
    geoms = gdf.geometry.values._data if hasattr(gdf.geometry.values, "_data") else np.asarray(gdf.geometry)
    problems = []
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        problems.append(f"rows {_rows(gdf.index, missing)} have no geometry (drop them with gdf[~gdf.geometry.is_empty])")
    types = shapely.get_type_id(geoms)
    if (types == POINT).all() and not missing.any():
        bad = ~(np.isfinite(shapely.get_x(geoms)) & np.isfinite(shapely.get_y(geoms)))
        if bad.any():
            problems.append(f"rows {_rows(gdf.index, bad)} have NaN or infinite coordinates")
    else:
        present = ~missing
        invalid = np.zeros(len(gdf), dtype=bool)
        invalid[present] = ~shapely.is_valid(geoms[present])
        if invalid.any():
            reasons = shapely.is_valid_reason(geoms[invalid][:1])[0]
            problems.append(
                f"rows {_rows(gdf.index, invalid)} have invalid geometries (first: {reasons}); "
                "repair them with gdf.make_valid() or gdf.buffer(0)"
            )
    if problems:
        raise InputError(f"{layer}: " + "; ".join(problems) + ".")


def prepare(obj: object, *, layer: str, allow_empty_layer: bool = False) -> gpd.GeoDataFrame:
    """Check a layer and return a copy in the analysis CRS: :func:`gis.prepare.prepare_frame` (every row placed).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame(geometry=[Point(109.4, 24.3)])
    >>> prepare(g, layer="origins")
    Traceback (most recent call last):
    ...
    gis._errors.CRSError: origins: has no CRS and its coordinates ...
    """
    from .prepare import prepare_frame  # same rank: the one place inputs are prepared

    return prepare_frame(obj, name=layer, allow_empty_layer=allow_empty_layer)


def distance(value: object, *, name: str, allow_zero: bool = True) -> float:
    """A finite, non-negative distance in metres, or an :class:`InputError` naming the parameter."""
    try:
        d = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected a distance in metres, got {value!r}.") from None
    if not math.isfinite(d) or d < 0 or (d == 0 and not allow_zero):
        need = "positive" if not allow_zero else "non-negative"
        raise InputError(f"{name}: must be a finite, {need} distance in metres; got {value!r}.")
    return d


def distances(values: Iterable[object] | object, *, name: str) -> list[float]:
    """A non-empty, strictly increasing list of positive distances in metres."""
    seq: Sequence[object] = [values] if np.isscalar(values) else list(values)  # type: ignore[arg-type]
    if not seq:
        raise InputError(f"{name}: give at least one distance in metres, e.g. [5000, 10000].")
    out = [distance(v, name=name, allow_zero=False) for v in seq]
    if any(b <= a for a, b in zip(out, out[1:])):
        raise InputError(f"{name}: distances must be strictly increasing, got {out}. Sort them and drop duplicates.")
    return out


def column(gdf: pd.DataFrame, name: str, *, layer: str, purpose: str) -> pd.Series:
    """Return ``gdf[name]`` or raise naming the layer, the missing column and the columns there are."""
    if name not in gdf.columns:
        cols = ", ".join(map(str, [c for c in gdf.columns if c != getattr(gdf, "_geometry_column_name", None)]))
        raise InputError(
            f"{layer}: has no column {name!r} ({purpose}). Its columns are: {cols or '(none)'}. "
            f"Pass the right column name, or add it."
        )
    return gdf[name]


def precision(gdf: pd.DataFrame, *, layer: str) -> np.ndarray:
    """The ``precision_m`` column as floats (NaN where unknown or absent); negative values refused."""
    if "precision_m" not in gdf.columns:
        return np.full(len(gdf), np.nan)
    p = pd.to_numeric(gdf["precision_m"], errors="coerce").to_numpy(dtype=float)
    neg = p < 0
    if neg.any():
        raise InputError(f"{layer}: precision_m is negative in rows {_rows(gdf.index, neg)}; it must be >= 0 metres.")
    return p


@functools.lru_cache(maxsize=32)
def _transformer(src: pyproj.CRS, dst: pyproj.CRS) -> pyproj.Transformer:
    return _crs.transformer(src, dst)


@dataclass
class Layer:
    """A checked layer in the analysis CRS: plain coordinates for point layers, a frame otherwise."""

    name: str
    index: pd.Index
    precision_m: np.ndarray
    xy: np.ndarray | None  # (n, 2) analysis-CRS coordinates when every geometry is a point
    frame: gpd.GeoDataFrame | None  # analysis-CRS copy when not all points (or empty)
    extent: np.ndarray | None = None  # (minx, miny, maxx, maxy), computed once

    def __len__(self) -> int:
        return len(self.index)

    def geoms(self) -> np.ndarray:
        """Shapely geometries in the analysis CRS."""
        if self.xy is not None:
            return shapely.points(self.xy)
        assert self.frame is not None
        return np.asarray(self.frame.geometry.values, dtype=object)

    def bounds(self) -> np.ndarray:
        """(minx, miny, maxx, maxy) in the analysis CRS."""
        if self.extent is None:
            if self.xy is not None:
                self.extent = _xy_bounds(self.xy)
            else:
                assert self.frame is not None
                self.extent = np.asarray(self.frame.total_bounds, dtype=float)
        return self.extent


def _read_path(path: str | os.PathLike, *, name: str) -> PointTable | gpd.GeoDataFrame:
    where = os.fspath(path)
    if not os.path.isfile(where):
        raise InputError(f"{name}: no such file {where!r}; pass a GeoDataFrame or the path of a GeoParquet file.")
    if not where.lower().endswith((".parquet", ".geoparquet")):
        raise InputError(f"{name}: {where!r} is not a GeoParquet file (*.parquet); read other files with "
                         "gis.readers.read_vector and pass the GeoDataFrame.")
    points = read_points(where, columns=["precision_m"])
    return points if points is not None else gpd.read_parquet(where)


def _points_layer(name: str, index: pd.Index, prec: np.ndarray, coords: np.ndarray, crs: object,
                  extent: np.ndarray | None = None) -> Layer:
    """A point layer from its finite coordinates in ``crs`` (already checked against them), in the analysis CRS.

    ``extent``: the coordinates' (minx, miny, maxx, maxy) if the caller has it.
    """
    target = _crs.analysis_crs()
    if pyproj.CRS.from_user_input(crs) != target:
        x, y = _transformer(pyproj.CRS.from_user_input(crs), target).transform(coords[:, 0], coords[:, 1])
        coords = np.column_stack([x, y])
        extent = None
    return Layer(name, index, prec, coords, None, _xy_bounds(coords) if extent is None else extent)


def _xy_bounds(xy: np.ndarray) -> np.ndarray:
    # column by column: ``xy.min(axis=0)`` on an (n, 2) array is some 20x slower
    x, y = xy[:, 0], xy[:, 1]
    return np.array([x.min(), y.min(), x.max(), y.max()])


def layer(obj: object, *, name: str, allow_empty_layer: bool = True) -> Layer:
    """Check a layer and bring it to the analysis CRS: the placed rows of :func:`gis.prepare.prepare_layer`.

    Rows without geometry are refused (naming them); analyses that keep such rows call
    :func:`gis.prepare.prepare_layer` themselves.
    """
    from .prepare import prepare_layer  # same rank: the one place inputs are prepared

    return prepare_layer(obj, name=name, keep_unplaced=False, allow_empty_layer=allow_empty_layer).layer


#: Farthest a feature may lie from the central meridian of a Transverse Mercator analysis CRS (degrees of
#: longitude).  All of China lies within 36° of 108°E; across the ±180° meridian a feature is 72° away, where the
#: projection folds the plane and plane distances say nothing.
MAX_MERIDIAN_OFFSET_DEG = 45.0


@functools.lru_cache(maxsize=8)
def _tm_parameters(crs: pyproj.CRS) -> tuple[float, float, float, float, float] | None:
    """(lon_0, x_0, y_0, k_0, radius) of a Transverse Mercator CRS in metres, else None."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = crs.to_dict()
    if params.get("proj") not in ("tmerc", "etmerc", "utm") or params.get("units", "m") != "m":
        return None
    if params.get("proj") == "utm":
        zone = int(params.get("zone", 0))
        lon_0, x_0, y_0, k_0 = zone * 6.0 - 183.0, 500_000.0, 10_000_000.0 if "south" in params else 0.0, 0.9996
    else:
        lon_0, x_0, y_0 = float(params.get("lon_0", 0.0)), float(params.get("x_0", 0.0)), float(params.get("y_0", 0.0))
        k_0 = float(params.get("k_0", params.get("k", 1.0)))
    if float(params.get("lat_0", 0.0)) != 0.0:
        return None
    return lon_0, x_0, y_0, k_0, crs.ellipsoid.semi_major_metre if crs.ellipsoid else 6_378_137.0


def check_meridian_range(lyr: Layer, crs: object) -> None:
    """Refuse features farther than :data:`MAX_MERIDIAN_OFFSET_DEG` from a Transverse Mercator CRS's meridian.

    Such features lie across the ±180° meridian or far outside the region the
    analysis CRS is made for; plane distances there are wrong (pairs are missed).
    The test is on the analysis-CRS coordinates (spherical inverse of the
    projection, a fraction of a degree from the ellipsoidal one), one vectorised
    pass; any other analysis CRS is not checked.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> far = layer(gpd.GeoDataFrame(geometry=[Point(109.4, 24.3), Point(-179.9, 10.0)], crs="EPSG:4326"),
    ...             name="origins")
    >>> check_meridian_range(far, "EPSG:4545")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis._errors.InputError: origins: row 1 lies more than 45° of longitude from the central meridian 108°E...
    """
    if len(lyr) == 0:
        return
    params = _tm_parameters(pyproj.CRS.from_user_input(crs))
    if params is None:
        return
    lon_0, x_0, y_0, k_0, radius = params
    limit = math.tan(math.radians(MAX_MERIDIAN_OFFSET_DEG))
    if lyr.xy is not None:
        # the corner of the extent farthest from the meridian and the equator bounds every point (sinh grows
        # with |u|, cos falls with |v| below 90°): most layers pass without a pass over their points
        minx, miny, maxx, maxy = (float(b) for b in lyr.bounds())
        u_max = max(abs(minx - x_0), abs(maxx - x_0)) / (k_0 * radius)
        v_max = max(abs(miny - y_0), abs(maxy - y_0)) / (k_0 * radius)
        if v_max < 1.5 and math.sinh(u_max) * (1.0 + 1e-9) < limit * math.cos(v_max):
            return
        coords, owner = lyr.xy, None
    else:
        assert lyr.frame is not None
        coords, owner = shapely.get_coordinates(np.asarray(lyr.frame.geometry.values, dtype=object),
                                                return_index=True)
    if len(coords) == 0:
        return
    u = np.abs(coords[:, 0] - x_0) / (k_0 * radius)
    v = (coords[:, 1] - y_0) / (k_0 * radius)
    # spherical TM inverse: tan(dlon) = sinh(u) / cos(v); beyond 90° when cos(v) <= 0
    far = (np.cos(v) <= 0.0) | (np.sinh(u) > limit * np.cos(v))
    if not far.any():
        return
    rows = np.zeros(len(lyr), dtype=bool)
    if owner is None:
        rows = far
    else:
        rows[np.unique(owner[far])] = True
    east = "E" if lon_0 >= 0 else "W"
    raise InputError(
        f"{lyr.name}: {'row' if rows.sum() == 1 else 'rows'} {_rows(lyr.index, rows)} "
        f"{'lies' if rows.sum() == 1 else 'lie'} more than {MAX_MERIDIAN_OFFSET_DEG:g}° of longitude from the "
        f"central meridian {abs(lon_0):g}°{east} of the analysis CRS {pyproj.CRS.from_user_input(crs).to_string()}: "
        "across the ±180° meridian or far outside the region it is made for, where plane distances are wrong. "
        "Keep only the features of the region (or split the layer at ±180°), or analyse them in a CRS made for "
        "their region (gis.settings.analysis_crs)."
    )
