"""Compliance review (合规性审查): how much of each control zone class a project footprint occupies.

:func:`review` overlays project footprints on control zones (生态保护红线, 永久基本农田,
城镇开发边界 … whatever classes the user's zone file holds) and reports, per
project row and zone class, the occupied ``area_ha`` (with ``area_mu`` beside
it), its ``share_pct`` of the footprint and a ``verdict`` that respects the
position's uncertainty (``precision_m``):

``inside``
    the footprint overlaps the class wherever within ``precision_m`` it really lies;
``may_touch``
    it overlaps only for some of those positions (or the check cannot prove more);
``clear``
    no position within ``precision_m`` overlaps the class.

Footprints (:func:`footprints`):

* polygons are taken as given (``footprint_basis = polygon``);
* a point with a stated area (a column such as ``用地面积(亩)``, ``area_mu``,
  ``area_ha``, ``面积(公顷)``, ``area_km2``; 1 亩 = 10000/15 m² ≈ 666.67 m²) becomes
  an equal-area disk around it (``disk_from_area``, ``estimate = True``): the
  ground it occupies is then an estimate, its position is the point's;
* a point without an area gets the uncertainty check only (``point``):
  ``area_ha`` is empty, the verdict says whether the point lies in the zone.

Zones may overlap: within one class the overlap is measured against the union
of the class's zone polygons that the footprint meets, so the same ground is
never counted twice within a class (it may count in two classes).  Areas are
ellipsoidal (:func:`gis._geodesic.geodesic_area`, within 1 ppm of
:meth:`pyproj.Geod.geometry_area_perimeter`); distances and radii are scaled
by the projection's scale factor at each footprint.

How certain overlap is decided (``p`` = ``precision_m``, ``r`` = disk radius):
a disk or point is ``inside`` when the disk of radius ``p`` around it lies
within the class's zones grown by ``r`` (exact: every centre within ``p`` gives
an overlap); a polygon is ``inside`` when it meets the class's zones shrunk
by ``p`` (sufficient, not necessary: a polygon straddling a narrow zone can be
``may_touch`` although every shift overlaps).  ``may_touch`` when the gap
between footprint and zone is less than ``p`` (plus ``r``); else ``clear``.
A polygon without ``precision_m`` is taken as exact (``p = 0``); a point without
one is too, with a warning.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from . import crs as _crs
from ._columns import value_title
from ._errors import CRSError, InputError
from ._geodesic import geodesic_area, scale_factor
from ._review_overlay import _nearest_gap, _overlaps, _verdicts
from .city import profile
from .units import header_unit, unit_columns, unit_factors

__all__ = ["review", "footprints", "MU_M2", "VERDICTS", "AREA_UNITS_M2"]

#: One 亩 in square metres (exactly 10000/15 = 666.67 m²).
MU_M2 = 10000.0 / 15.0
#: Square metres per unit of a stated area (the unit table of :mod:`gis.units`, ``layers/units.yaml``).
AREA_UNITS_M2 = unit_factors("area")
#: Verdicts, from the most to the least certain overlap.
VERDICTS = ("inside", "may_touch", "clear")
#: The verdicts and footprint bases in Chinese: the ``values`` of ``layers/columns.yaml`` (one source for the
#: workbooks, the maps and ``verdict_zh``).
_VERDICTS_ZH = {v: str(value_title("verdict", v)) for v in VERDICTS}
_BASIS_ZH = {b: str(value_title("footprint_basis", b)) for b in ("polygon", "disk_from_area", "point")}

#: Column names recognised as a stated area (case-insensitive, brackets either width).
AREA_COLUMNS = ("用地面积(亩)", "面积(亩)", "占地面积(亩)", "用地(亩)", "area_mu", "亩",
                "用地面积(公顷)", "面积(公顷)", "占地面积(公顷)", "area_ha", "公顷",
                "用地面积(平方公里)", "面积(平方公里)", "面积(km²)", "面积(km2)", "area_km2",
                "用地面积(平方米)", "面积(平方米)", "area_m2")
#: Columns recognised as the project id when options are compared.
PROJECT_COLUMNS = ("project", "project_id", "项目", "项目编号", "项目名称", "name", "名称")
#: Polygon quadrant segments of an equal-area disk (its area is made exact, see _disk).
_QUAD_SEGS = 32
#: The largest stated area a project may have: the land area of the municipality of Liuzhou (柳州市,
#: 18,677 km², 2,801 万亩).  A larger one is a typing or unit error (亩 typed as m², a stray exponent), and its
#: equal-area disk would not fit the analysis CRS (the area of such a disk came out negative).  The limit in use is
#: the city profile's ``area_km2`` (layers/city.yaml); this is the fallback when a profile gives none.
MAX_STATED_AREA_M2 = 18_677.0e6
_ALL = "全部分区"


def _norm(name: object) -> str:
    return str(name).strip().replace("（", "(").replace("）", ")").replace(" ", "").casefold()


def area_unit_of(column: str) -> str | None:
    """The unit of an area column from its name: ``mu``, ``ha``, ``km2``, ``m2`` or ``None``.

    Read through the unit table of :mod:`gis.units` (``layers/units.yaml``), as
    :func:`gis.geocode.geocode_table` reads it.

    Examples
    --------
    >>> [area_unit_of(c) for c in ("用地面积(亩)", "area_ha", "面积（平方公里）", "km²", "面积")]
    ['mu', 'ha', 'km2', 'km2', None]
    """
    hu = header_unit(column, quantity="area")
    return hu.unit if hu is not None else None


# ---------------------------------------------------------------- naming rows


def _is_table(gdf: pd.DataFrame) -> bool:
    return gdf.attrs.get("source", {}).get("format") in ("csv", "tsv", "txt", "xlsx", "xlsm")


def _where(gdf: pd.DataFrame, positions: np.ndarray | Sequence[int]) -> str:
    """Rows at ``positions`` as a user sees them: spreadsheet rows of a table, features of a file, else index labels."""
    positions = [int(p) for p in positions]
    if _is_table(gdf):
        from .readers import describe_rows, spreadsheet_rows

        return describe_rows(spreadsheet_rows(gdf, positions))
    if gdf.attrs.get("source", {}).get("path"):  # a vector file: its features in file order
        shown = ", ".join(str(p + 1) for p in positions[:10])
        more = f" and {len(positions) - 10} more" if len(positions) > 10 else ""
        return f"{'feature' if len(positions) == 1 else 'features'} {shown}{more} (in file order, first = 1)"
    labels = [repr(gdf.index[p]) for p in positions[:10]]
    more = f" and {len(positions) - 10} more" if len(positions) > 10 else ""
    return f"{'row' if len(positions) == 1 else 'rows'} {', '.join(labels)}{more} (index labels)"


def row_numbers(gdf: pd.DataFrame) -> np.ndarray:
    """Spreadsheet row numbers of a table read by :func:`gis.readers.read_vector`, else 1-based positions."""
    if _is_table(gdf):
        from .readers import spreadsheet_rows

        return np.asarray(spreadsheet_rows(gdf, list(range(len(gdf)))), dtype=int)
    return np.arange(1, len(gdf) + 1)


def _blank(series: pd.Series) -> np.ndarray:
    return (series.isna() | (series.astype(str).str.strip() == "")).to_numpy()


# ---------------------------------------------------------------- inputs


def _frame(obj: object, *, layer: str) -> gpd.GeoDataFrame:
    if isinstance(obj, gpd.GeoSeries):
        obj = gpd.GeoDataFrame(geometry=obj)
    if not isinstance(obj, gpd.GeoDataFrame) or obj._geometry_column_name not in obj.columns:
        raise InputError(
            f"{layer}: expected a GeoDataFrame with a geometry column, got {type(obj).__name__}. "
            "Read a file with gis.readers.read_vector(path) or build one with geopandas.GeoDataFrame(...)."
        )
    return obj


def _numbers(gdf: pd.DataFrame, column: str, *, layer: str, what: str, positive: bool) -> np.ndarray:
    """A numeric column as floats (blank = NaN); text, negative (or zero when ``positive``) refused naming rows."""
    raw = gdf[column]
    text = raw.astype(str).str.strip().str.replace(",", "", regex=False)
    values = pd.to_numeric(text.where(~_blank(raw)), errors="coerce").to_numpy(dtype=float)
    special = text.str.casefold().str.lstrip("+-").isin(("nan", "inf", "infinity")).to_numpy()
    bad_text = np.flatnonzero(~_blank(raw) & ~np.isfinite(values) & ~special)
    not_finite = np.flatnonzero(~_blank(raw) & ~np.isfinite(values) & special)
    problems = []
    if len(bad_text):
        sample = ", ".join(repr(str(v)) for v in raw.iloc[bad_text[:3]])
        problems.append(f"{_where(gdf, bad_text)}: text, not a number ({sample})")
    if len(not_finite):
        sample = ", ".join(repr(str(v)) for v in raw.iloc[not_finite[:3]])
        problems.append(f"{_where(gdf, not_finite)}: not a finite number ({sample}); give the {what} "
                        "(leave the cell blank when unknown)")
    low = np.flatnonzero(np.isfinite(values) & ((values <= 0) if positive else (values < 0)))
    if len(low):
        sample = ", ".join(f"{v:g}" for v in values[low[:3]])
        need = "greater than 0 (leave the cell blank when unknown)" if positive else "0 or more"
        problems.append(f"{_where(gdf, low)}: {'not positive' if positive else 'negative'} ({sample}); "
                        f"{what} must be {need}")
    if problems:
        raise InputError(f"{layer}: column {column!r} ({what}): " + "; ".join(problems) + ".")
    return values


def _find_area_column(gdf: pd.DataFrame, area_field: str | None) -> str | None:
    if area_field is not None:
        if area_field not in gdf.columns:
            cols = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
            raise InputError(f"projects: has no column {area_field!r} (area_field, the stated areas). "
                             f"Its columns are: {cols}.")
        return area_field
    known = {_norm(c): c for c in AREA_COLUMNS}
    found = [c for c in gdf.columns if _norm(c) in known]
    if not found:  # any other header with an area unit of the unit table (占地(平方米), 规模(公顷) …), if only one
        units = [c for c, _ in unit_columns([c for c in gdf.columns if c != gdf.geometry.name], "area")]
        found = units if len(units) == 1 else []
    if len(found) > 1 and _same_areas(gdf, found):
        # the geocoder adds area_ha / area_mu converted from the table's own column (用地面积(亩)): the same
        # areas in other units; the table's own column is the one read
        own = [c for c in found if c not in ("area_ha", "area_mu")]
        return own[0] if own else found[0]
    if len(found) > 1:
        raise InputError(f"projects: several columns look like stated areas ({', '.join(map(str, found))}); "
                         "name the one to use with area_field= (on the command line --area-field).")
    return found[0] if found else None


def _same_areas(gdf: pd.DataFrame, columns: list[str]) -> bool:
    """Whether every column of ``columns`` states the same area in every row (blank where the others are)."""
    values = []
    for column in columns:
        unit = area_unit_of(column)
        if unit not in AREA_UNITS_M2:
            return False
        text = gdf[column].astype(str).str.strip().str.replace(",", "", regex=False)
        values.append(pd.to_numeric(text.where(~_blank(gdf[column])), errors="coerce").to_numpy(dtype=float)
                      * AREA_UNITS_M2[unit])
    first = values[0]
    return all(np.allclose(first, other, rtol=1e-6, atol=1e-6, equal_nan=True) for other in values[1:])


def _datum(gdf: gpd.GeoDataFrame, datum: str | None, *, layer: str, notes: list[str]) -> gpd.GeoDataFrame:
    """Bring GCJ-02 / BD-09 lon/lat to WGS-84 through :mod:`gis.datum`, saying so; refuse projected ones."""
    from .datum import convert_gdf, normalise_datum

    declared = datum if datum is not None else gdf.attrs.get("datum")
    if declared is None:
        return gdf
    key = normalise_datum(str(declared), where=f"{layer} datum")
    if key == "wgs84":
        out = gdf.copy()
        out.attrs["datum"] = "wgs84"
        return out
    label = {"gcj02": "GCJ-02", "bd09": "BD-09"}[key]
    if gdf.crs is not None and not gdf.crs.is_geographic:
        raise CRSError(
            f"{layer}: declared {label} but in the projected CRS {gdf.crs.to_string()}; {label} exists "
            "only as lon/lat (Amap/Baidu). Reproject the source to lon/lat in that datum, or declare the datum it "
            "really is (wgs84 / cgcs2000)."
        )
    out = convert_gdf(gdf if gdf.crs is not None else gdf.set_crs("EPSG:4326"), src=key, dst="wgs84")
    notes.append(f"{layer}: declared {label}; every vertex converted to WGS-84 with gis.datum "
                 "(the offset in China is a few hundred metres).")
    out.attrs["datum"] = "wgs84"  # converted: gis.prepare must not convert it again
    return out


#: Geometry type names by :func:`shapely.get_type_id` + 1 (``-1``, a missing geometry, gives "").
_TYPE_NAMES = ("", "Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon",
               "GeometryCollection")


def _check_geometry(gdf: gpd.GeoDataFrame, *, layer: str, allowed: tuple[str, ...], fix: str) -> np.ndarray:
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if len(geoms) == 0:
        raise InputError(f"{layer}: is empty (0 rows); give at least one feature.")
    problems = []
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        problems.append(f"{_where(gdf, np.flatnonzero(missing))}: no geometry (fill in the position or "
                        "delete the rows)")
    types = np.asarray(_TYPE_NAMES, dtype=object)[shapely.get_type_id(geoms) + 1]  # -1 (missing) -> ""
    wrong = ~missing & ~np.isin(types, allowed)
    if wrong.any():
        kinds = ", ".join(sorted(set(types[wrong])))
        problems.append(f"{_where(gdf, np.flatnonzero(wrong))}: {kinds}, not {' / '.join(allowed)} ({fix})")
    ok = ~missing & ~wrong
    invalid = np.zeros(len(geoms), dtype=bool)
    invalid[ok] = ~shapely.is_valid(geoms[ok])
    if invalid.any():
        first = shapely.is_valid_reason(geoms[np.flatnonzero(invalid)[0]])
        problems.append(f"{_where(gdf, np.flatnonzero(invalid))}: invalid polygons (first: {first}); repair "
                        "them (QGIS: Fix geometries; geopandas: gdf.make_valid())")
    if problems:
        raise InputError(f"{layer}: " + "; ".join(problems) + ".")
    return geoms


def _to_analysis(gdf: gpd.GeoDataFrame, *, layer: str) -> gpd.GeoDataFrame:
    """The layer in the analysis CRS through :func:`gis.prepare.prepare_frame` (CRS and datum checked there).

    Its geometries have passed :func:`_check_geometry`, so they are not tested for validity again.
    """
    from .prepare import prepare_frame

    return prepare_frame(gdf, name=layer, checked=True)


def _placed_rows(gdf: gpd.GeoDataFrame, *, strict: bool) -> tuple[gpd.GeoDataFrame, Any]:
    """The rows with a position, and the :class:`gis.prepare.Prepared` of a geocoded table (else ``None``).

    A geocoded table's rows without a position (``geocode_status`` column, :func:`gis.prepare.is_geocoded`)
    are set aside by :func:`gis.prepare.prepare_layer` (``keep_unplaced=True``) with their reason; with
    ``strict`` they are refused there, naming them.  Any other layer's rows without geometry are refused
    by :func:`footprints`.
    """
    from .prepare import is_geocoded, prepare_layer

    geoms = np.asarray(gdf.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if not missing.any() or not is_geocoded(gdf):
        return gdf, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the CRS/datum checks warn again on the placed rows in footprints()
        prepared = prepare_layer(gdf, name="projects", keep_unplaced=True, strict=strict)
    if not prepared.placed.any():
        raise InputError(f"projects: none of its {len(gdf)} rows has a position ({_where(gdf, np.arange(len(gdf)))}"
                         "); geocode the table first (gis.geocode_table, `lzgis geocode`) or fill in lon/lat.")
    placed = gdf[prepared.placed]
    source = dict(gdf.attrs.get("source", {}))
    if source.get("row_numbers") is not None:  # spreadsheet rows of the rows kept, for messages naming them
        source["row_numbers"] = list(np.asarray(source["row_numbers"])[prepared.placed])
        placed.attrs["source"] = source
    return placed, prepared


def _disk(x: np.ndarray, y: np.ndarray, radius_plane: np.ndarray) -> np.ndarray:
    """Polygons of ``4 * _QUAD_SEGS`` sides with exactly the area of circles of ``radius_plane``."""
    n = 4 * _QUAD_SEGS
    grow = math.sqrt(math.pi / (0.5 * n * math.sin(2.0 * math.pi / n)))
    return shapely.buffer(shapely.points(x, y), radius_plane * grow, quad_segs=_QUAD_SEGS)


def footprints(
    projects: gpd.GeoDataFrame,
    *,
    area_field: str | None = None,
    area_unit: str | None = None,
    datum: str | None = None,
) -> gpd.GeoDataFrame:
    """The ground each project occupies: polygons as given, points with a stated area as equal-area disks.

    Parameters
    ----------
    projects : GeoDataFrame
        Points and/or polygons, any CRS.  ``precision_m`` (metres) is the
        radius within which each lies.
    area_field : str, optional
        The column with the stated area; default: the one column named like
        an area (``用地面积(亩)``, ``area_mu``, ``area_ha``, ``面积(公顷)``, ``area_km2`` …).
    area_unit : {"mu", "ha", "km2", "m2"}, optional
        Unit of ``area_field`` when its name does not say (``面积``).
    datum : {"wgs84", "gcj02", "bd09"}, optional
        Datum of lon/lat input; GCJ-02 / BD-09 are converted (default: ``attrs["datum"]`` or WGS-84).

    Returns
    -------
    GeoDataFrame
        Aligned to ``projects.index``, in the analysis CRS: ``footprint_basis``
        (polygon / disk_from_area / point), ``estimate``, ``stated_area_ha``,
        ``radius_m`` (disks), ``footprint_ha``, ``footprint_mu``, ``precision_m``
        and the footprint geometry (the point itself for ``point``).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> p = gpd.GeoDataFrame({"用地面积(亩)": [150.0]}, geometry=[Point(109.4, 24.3)], crs="EPSG:4326")
    >>> f = footprints(p)
    >>> f["footprint_basis"].iloc[0], round(float(f["footprint_ha"].iloc[0]), 3)  # 150 亩 = 10 ha
    ('disk_from_area', 10.0)
    """
    gdf = _frame(projects, layer="projects")
    notes: list[str] = []
    gdf = _datum(gdf, datum, layer="projects", notes=notes)
    _check_geometry(gdf, layer="projects", allowed=("Point", "Polygon", "MultiPolygon"),
                    fix="give polygons of the site or points; buffer lines first")
    column = _find_area_column(gdf, area_field)
    stated_m2 = np.full(len(gdf), np.nan)
    if column is not None:
        unit = area_unit or area_unit_of(column)
        if unit not in AREA_UNITS_M2:
            raise InputError(f"projects: the unit of column {column!r} is not in its name; pass area_unit= "
                             "(mu, ha, km2 or m2; on the command line --area-unit).")
        stated_m2 = _numbers(gdf, column, layer="projects", what=f"stated area in {unit}", positive=True) \
            * AREA_UNITS_M2[unit]
        city = profile()
        max_m2 = city.area_km2 * 1e6 if city.area_km2 else MAX_STATED_AREA_M2
        huge = np.flatnonzero(np.isfinite(stated_m2) & (stated_m2 > max_m2))
        if len(huge):
            sample = ", ".join(f"{v:g}" for v in stated_m2[huge[:3]] / AREA_UNITS_M2[unit])
            limit = max_m2 / AREA_UNITS_M2[unit]
            raise InputError(
                f"projects: column {column!r} (stated area in {unit}): {_where(gdf, huge)}: {sample} {unit} is "
                f"larger than the whole municipality of {city.name_en} ({limit:,.0f} {unit}); correct the value or its "
                "unit (area_unit=; --area-unit on the command line).")
    if "precision_m" in gdf.columns:
        precision = _numbers(gdf, "precision_m", layer="projects", what="position uncertainty in metres",
                             positive=False)
    else:
        precision = np.full(len(gdf), np.nan)
    proj = _to_analysis(gdf, layer="projects")
    g = np.asarray(proj.geometry.values, dtype=object)
    is_point = shapely.get_type_id(g) == 0
    unknown = is_point & np.isnan(precision)
    if unknown.any():
        warnings.warn(f"projects: {_where(gdf, np.flatnonzero(unknown))}: points without precision_m, taken as "
                      "exact (0 m). Give precision_m (the radius within which each lies) for an honest verdict.",
                      UserWarning, stacklevel=2)
    precision = np.where(np.isnan(precision), 0.0, precision)
    x = np.where(is_point, shapely.get_x(np.where(is_point, g, None)), np.nan)
    y = np.where(is_point, shapely.get_y(np.where(is_point, g, None)), np.nan)
    c = shapely.centroid(g)
    k = scale_factor(proj.crs, shapely.get_x(c), shapely.get_y(c))
    disk = is_point & np.isfinite(stated_m2)
    radius = np.where(disk, np.sqrt(np.where(disk, stated_m2, 0.0) / math.pi), np.nan)
    out_geom = g.copy()
    if disk.any():
        out_geom[disk] = _disk(x[disk], y[disk], radius[disk] * k[disk])
    basis = np.where(~is_point, "polygon", np.where(disk, "disk_from_area", "point"))
    area = geodesic_area(out_geom, proj.crs)
    area = np.where(basis == "point", np.nan, area)
    out = gpd.GeoDataFrame({
        "footprint_basis": basis,
        "estimate": basis == "disk_from_area",
        "stated_area_ha": stated_m2 / 1e4,
        "radius_m": radius,
        "footprint_ha": area / 1e4,
        "footprint_mu": area / MU_M2,
        "precision_m": precision,
        "scale_k": k,
    }, geometry=out_geom, crs=proj.crs, index=gdf.index)
    out.attrs["review_notes"] = notes
    out.attrs["area_column"] = column
    return out


# ---------------------------------------------------------------- the review


def _zones(zones: gpd.GeoDataFrame, zone_field: str | None, datum: str | None,
           notes: list[str]) -> tuple[gpd.GeoDataFrame, np.ndarray, list[str]]:
    z = _frame(zones, layer="zones")
    if zone_field is not None and zone_field not in z.columns:
        cols = ", ".join(str(c) for c in z.columns if c != z.geometry.name)
        raise InputError(f"zones: has no column {zone_field!r} (zone_field, the zone class such as 生态保护红线 / "
                         f"永久基本农田). Its columns are: {cols or '(none)'}. Name the class column, or leave "
                         "zone_field out to review against all zones as one class.")
    if z.crs is None and len(z) and not (z.total_bounds[0] > 1e7):
        raise CRSError("zones: has no CRS, so where its polygons lie is unknown. Declare it (a .prj beside the "
                       "Shapefile; gdf.set_crs('EPSG:4326') for lon/lat, or the EPSG code of its projected "
                       "CRS such as EPSG:4545); GCJ-02 lon/lat: also give zones_datum='gcj02'.")
    z = _datum(z, datum, layer="zones", notes=notes)
    _check_geometry(z, layer="zones", allowed=("Polygon", "MultiPolygon"),
                    fix="zones are areas; drop points and lines")
    if zone_field is None:
        classes = np.full(len(z), _ALL, dtype=object)
    else:
        blank = _blank(z[zone_field])
        if blank.any():
            raise InputError(f"zones: column {zone_field!r} is blank in {_where(z, np.flatnonzero(blank))}; every "
                             "zone needs its class. Fill them in or delete those rows.")
        classes = z[zone_field].astype(str).str.strip().to_numpy(dtype=object)
    proj = _to_analysis(z, layer="zones")
    return proj, classes, list(dict.fromkeys(classes))


def _labels(gdf: pd.DataFrame, project_field: str | None, option_field: str | None) -> tuple[np.ndarray, np.ndarray | None, str | None]:
    if option_field is not None and option_field not in gdf.columns:
        cols = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
        raise InputError(f"projects: has no column {option_field!r} (option_field, the 方案 of each row). "
                         f"Its columns are: {cols}.")
    if project_field is not None and project_field not in gdf.columns:
        cols = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
        raise InputError(f"projects: has no column {project_field!r} (project_field, the project id). "
                         f"Its columns are: {cols}.")
    column = project_field or next((c for c in PROJECT_COLUMNS if c in gdf.columns), None)
    if option_field is not None:
        if column is None:
            raise InputError(f"projects: options ({option_field!r}) need a project id column to tell whose "
                             f"options they are; found none of {', '.join(PROJECT_COLUMNS)}. Add one or pass "
                             "project_field= (on the command line --project-field).")
        problems = []
        for col, what in ((column, "project id"), (option_field, "option")):
            blank = _blank(gdf[col])
            if blank.any():
                problems.append(f"column {col!r} ({what}) is blank in {_where(gdf, np.flatnonzero(blank))}")
        if problems:
            raise InputError("projects: " + "; ".join(problems) + ". Every option needs its project id and its "
                             "option name; fill them in.")
    if column is None:
        projects = np.array([str(i) for i in gdf.index], dtype=object)
    else:
        values = gdf[column]
        projects = np.where(_blank(values), [str(i) for i in gdf.index], values.astype(str).str.strip())
    options = None if option_field is None else gdf[option_field].astype(str).str.strip().to_numpy(dtype=object)
    return projects.astype(object), options, column


def review(
    projects: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    zone_field: str | None = None,
    option_field: str | None = None,
    project_field: str | None = None,
    area_field: str | None = None,
    area_unit: str | None = None,
    projects_datum: str | None = None,
    zones_datum: str | None = None,
    by_feature: bool = False,
    strict: bool = False,
) -> gpd.GeoDataFrame:
    """Overlay project footprints on control zones: hectares per zone class and a verdict.

    Parameters
    ----------
    projects : GeoDataFrame
        Project sites or siting options: polygons, or points with ``precision_m``
        and optionally a stated area (see :func:`footprints`); any CRS.
    zones : GeoDataFrame
        Control zones (polygons), any CRS; they may overlap.
    zone_field : str, optional
        The zone class column (e.g. ``类型``: 生态保护红线 / 永久基本农田 / 城镇开发边界);
        default: all zones form one class, ``全部分区``.
    option_field : str, optional
        The option column (方案) when rows are options of projects; every row
        then needs a project id (``project_field``).
    project_field : str, optional
        The project id column; default the first of ``project``, ``项目``,
        ``项目名称``, ``name``, ``名称`` present, else the row's index.
    area_field, area_unit :
        The stated-area column of points and its unit (see :func:`footprints`).
    projects_datum, zones_datum : {"wgs84", "gcj02", "bd09"}, optional
        Datum of lon/lat inputs; GCJ-02 / BD-09 are converted through
        :mod:`gis.datum` and the result's notes say so.  A projected layer
        declared GCJ-02 is refused.
    by_feature : bool, default False
        False: one row per project row × zone class.  True: one row per
        overlap of a project row with one zone feature (``zone_index``); when
        zones of a class overlap each other these areas add up to more than
        the class total.
    strict : bool, default False
        Refuse a geocoded table's rows without a position (naming them) instead of keeping them.

    Returns
    -------
    GeoDataFrame
        In the projects' CRS (the analysis CRS if they had none), geometry the
        overlap (empty when none).  Columns: ``row`` (spreadsheet row of a
        table, else 1-based position), ``source_index``, ``project``,
        ``option`` (with ``option_field``), ``zone_class``, ``footprint_basis``,
        ``estimate``, ``footprint_ha``, ``footprint_mu``, ``precision_m``,
        ``area_ha``, ``area_mu``, ``share_pct``, ``n_zones`` (zone features
        met), ``dist_m`` (geodesic gap to the nearest zone of the class, 0
        when overlapping), ``verdict`` and ``verdict_zh``.  ``attrs["review"]``
        holds the parameters, zone classes, CRS and notes (datum conversions).
        A geocoded table's rows without a position (unmatched by the geocoder) are kept, one row per zone
        class (one row with ``by_feature``) with empty areas, verdict and geometry, and a ``note``
        (``未定位`` or the geocoder's reason), with a warning counting them; ``note`` is then a column of
        every row ("" where placed).

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> zones = gpd.GeoDataFrame({"类型": ["永久基本农田"]}, geometry=[box(109.40, 24.30, 109.42, 24.32)],
    ...                          crs="EPSG:4326")
    >>> site = gpd.GeoDataFrame({"name": ["A"], "用地面积(亩)": [200.0], "precision_m": [100.0]},
    ...                         geometry=[Point(109.43, 24.31)], crs="EPSG:4326")
    >>> review(site, zones, zone_field="类型")[["zone_class", "verdict"]].values.tolist()
    [['永久基本农田', 'clear']]
    >>> far = site.assign(precision_m=5000.0)
    >>> review(far, zones, zone_field="类型")["verdict"].tolist()
    ['may_touch']
    """
    notes: list[str] = []
    full = _frame(projects, layer="projects")
    src, aside = _placed_rows(full, strict=strict)
    keep = np.ones(len(full), dtype=bool) if aside is None else aside.placed
    out_crs = full.crs
    labels_all, options_all, project_column = _labels(full, project_field, option_field)
    projects_labels = labels_all[keep]
    options = None if options_all is None else options_all[keep]
    if aside is not None:
        aside.warn_unplaced(what="kept in the review with empty areas and verdicts", stacklevel=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fp = footprints(src, area_field=area_field, area_unit=area_unit, datum=projects_datum)
    for w in caught:
        notes.append(str(w.message))
        warnings.warn(w.message, w.category, stacklevel=2)
    notes.extend(fp.attrs.get("review_notes", []))
    z, zone_class, classes = _zones(zones, zone_field, zones_datum, notes)
    crs = fp.crs  # the analysis CRS, as the zones' (both through _to_analysis)
    zgeom = np.asarray(z.geometry.values, dtype=object)
    fgeom = np.asarray(fp.geometry.values, dtype=object)
    basis = fp["footprint_basis"].to_numpy()
    k = fp["scale_k"].to_numpy()
    p_plane = fp["precision_m"].to_numpy() * k
    r_plane = np.where(basis == "disk_from_area", fp["radius_m"].to_numpy() * k, 0.0)
    is_point = basis != "polygon"
    centre = np.where(is_point, shapely.centroid(np.where(is_point, fgeom, None)), None)
    # points and disks are judged by their centre (exact); polygons by themselves
    probe = np.where(basis == "disk_from_area", centre, fgeom)
    rows_all = row_numbers(full)
    rows = rows_all[keep]
    n = len(fgeom)

    tables = []
    for cls in classes:
        members = np.flatnonzero(zone_class == cls)
        zc = zgeom[members]
        tree = shapely.STRtree(zc)
        fi, zi = tree.query(fgeom, predicate="intersects")
        # the gap to the nearest zone of the class: 0 where the footprint meets one, else measured
        dist_plane = np.full(n, np.inf)
        dist_plane[fi] = 0.0
        apart = np.flatnonzero((dist_plane > 0) | (basis == "disk_from_area"))  # a disk's gap is from its centre
        if len(apart):
            dist_plane[apart] = _nearest_gap(tree, zc, probe[apart], reach=p_plane[apart] + r_plane[apart])
        if by_feature:
            pieces = shapely.intersection(fgeom[fi], zc[zi])
            area = geodesic_area(pieces, crs)
            keep = (area > 0) & (basis[fi] != "point")
            tables.append(pd.DataFrame({
                "pos": fi[keep], "zone_class": cls, "zone_index": z.index.take(members[zi[keep]]),
                "area_m2": area[keep], "geometry": pieces[keep],
            }))
            continue
        # the footprint against the union of the class's zones it meets: ground counted once
        piece, n_met = _overlaps(fgeom, zc, fi, zi)
        has = ~shapely.is_missing(piece)
        area = np.zeros(n)
        if has.any():
            area[has] = geodesic_area(piece[has], crs)
        area[basis == "point"] = np.nan
        verdict = _verdicts(fgeom, centre, basis, area, dist_plane, p_plane, r_plane, tree, zc)
        tables.append(pd.DataFrame({
            "pos": np.arange(n), "zone_class": cls, "n_zones": n_met, "area_m2": area,
            "dist_m": np.where(np.isfinite(dist_plane), dist_plane / k, np.nan), "verdict": verdict,
            "geometry": piece,
        }))
    long = pd.concat(tables, ignore_index=True)
    if not by_feature:
        # project rows first, classes in their order of appearance
        long = long.sort_values(["pos"], kind="stable").reset_index(drop=True)
    pos = long["pos"].to_numpy()
    front: dict[str, Any] = {"row": rows[pos], "source_index": src.index.take(pos), "project": projects_labels[pos]}
    if options is not None:
        front["option"] = options[pos]
    front["zone_class"] = long["zone_class"].to_numpy()
    if by_feature:
        front["zone_index"] = long["zone_index"].to_numpy()
    area_m2 = long["area_m2"].to_numpy(dtype=float)
    fp_m2 = fp["footprint_ha"].to_numpy()[pos] * 1e4
    data = {
        **front,
        "footprint_basis": basis[pos],
        "estimate": fp["estimate"].to_numpy()[pos],
        "footprint_ha": fp_m2 / 1e4,
        "footprint_mu": fp_m2 / MU_M2,
        "precision_m": fp["precision_m"].to_numpy()[pos],
        "area_ha": area_m2 / 1e4,
        "area_mu": area_m2 / MU_M2,
        "share_pct": np.divide(area_m2 * 100.0, fp_m2, out=np.full(len(pos), np.nan),
                               where=np.isfinite(fp_m2) & (fp_m2 > 0)),
    }
    if not by_feature:
        data["n_zones"] = long["n_zones"].to_numpy()
        data["dist_m"] = long["dist_m"].to_numpy()
        data["verdict"] = long["verdict"].to_numpy()
        data["verdict_zh"] = [_VERDICTS_ZH[v] for v in data["verdict"]]
    geometry = np.asarray(long["geometry"].to_numpy(), dtype=object)
    geometry = np.where(pd.isna(geometry), shapely.from_wkt("POLYGON EMPTY"), geometry)
    out = gpd.GeoDataFrame(data, geometry=list(geometry), crs=crs)
    if aside is not None:
        out = _with_unplaced(out, full, aside, rows=rows_all, projects=labels_all, options=options_all,
                             classes=classes, by_feature=by_feature)
    if out_crs is not None and pyproj.CRS.from_user_input(out_crs) != pyproj.CRS.from_user_input(crs):
        out = out.to_crs(out_crs)
    out.attrs["review"] = {
        "zone_field": zone_field, "option_field": option_field, "project_field": project_column,
        "area_field": fp.attrs.get("area_column"), "area_unit": area_unit,
        "zone_classes": classes, "analysis_crs": _crs.analysis_crs().to_string(),
        "projects": len(full), "unplaced": 0 if aside is None else aside.n_unplaced, "zones": len(z), "notes": notes,
        "mu_m2": MU_M2,
    }
    return out


def _with_unplaced(out: gpd.GeoDataFrame, full: gpd.GeoDataFrame, aside: Any, *, rows: np.ndarray,
                   projects: np.ndarray, options: np.ndarray | None, classes: list[str],
                   by_feature: bool) -> gpd.GeoDataFrame:
    """The review table with the unplaced rows added (empty areas, verdict, geometry; their ``note``).

    Per project row × class, the rows stay in input order; ``by_feature``: one row per unplaced project
    (zone class empty) after the overlaps.
    """
    positions = np.flatnonzero(~aside.placed)
    reasons = aside.notes().to_numpy(dtype=object)
    kinds = [""] if by_feature else classes
    pos = np.repeat(positions, len(kinds))
    extra: dict[str, Any] = {"row": rows[pos], "source_index": full.index.take(pos), "project": projects[pos]}
    if options is not None:
        extra["option"] = options[pos]
    extra["zone_class"] = np.tile(np.asarray(kinds, dtype=object), len(positions))
    if by_feature:
        extra["zone_index"] = None
    extra["footprint_basis"] = ""
    extra["estimate"] = False
    for column in ("footprint_ha", "footprint_mu", "precision_m", "area_ha", "area_mu", "share_pct"):
        extra[column] = np.nan
    if not by_feature:
        extra["n_zones"] = 0
        extra["dist_m"] = np.nan
        extra["verdict"] = None
        extra["verdict_zh"] = ""
    extra["note"] = reasons[pos]
    empty = shapely.from_wkt("POLYGON EMPTY")
    added = gpd.GeoDataFrame(extra, geometry=[empty] * len(pos), crs=out.crs, index=range(len(pos)))
    source_pos = np.r_[full.index.get_indexer(out["source_index"]), pos]
    out = out.assign(note="")
    both = pd.concat([out, added[out.columns]], ignore_index=True)
    if not by_feature:
        both = both.iloc[np.argsort(source_pos, kind="stable")].reset_index(drop=True)
    return gpd.GeoDataFrame(both, geometry=out.geometry.name, crs=out.crs)
