"""Faithful exports: GeoPackage, GeoJSON, Shapefile, CSV and Excel.

One entry point, :func:`export`, picks the format from the file suffix (or
``format=``) and writes atomically: a failed export leaves nothing behind and
an existing file is never replaced unless ``overwrite=True``.

What each format keeps
----------------------
GeoPackage (``.gpkg``, the default)
    Everything: Chinese layer and field names, the CRS, int/float/text/bool and
    datetime columns, any geometry type.  Written as GeoPackage 1.2 (1.4 on
    request), with a QGIS default style (``layer_styles``: the web map's
    colours and categories, Chinese legend labels) and Chinese field titles
    (``gpkg_data_columns``, QGIS aliases), see :mod:`gis._qml`.
GeoJSON (``.geojson``)
    RFC 7946: lon/lat WGS-84 (the data is reprojected), raw UTF-8 (Chinese is
    never ``\\u``-escaped), counter-clockwise polygon rings, 7 decimals
    (about 1 cm).
Shapefile (``.shp``, for legacy partners)
    A ``.cpg`` naming the encoding (``UTF-8`` or ``GBK``) and a ``.prj`` (ESRI
    WKT of the output CRS).  Every text value is checked to encode in that
    encoding before anything is written; text over the DBF's 254 bytes is cut
    at a character boundary (with a warning naming the fields and counts) and
    written whole to ``<name>.fulltext.csv`` (UTF-8 with BOM; columns ``fid``,
    the feature's record number from 0, ``field`` and ``text``), which
    :func:`gis.readers.read_vector` puts back.  Field names longer than 10 *bytes in that encoding*
    (3 Chinese characters in UTF-8, 5 in GBK) are shortened deterministically
    and uniquely, and a sidecar ``<name>.fields.csv`` (columns ``short, full,
    dtype, empty_text``) maps them back; :func:`gis.readers.read_vector`
    restores the full names, datetime columns and empty texts from it (DBF
    cannot tell empty text from missing; a field holding both warns).  DBF numbers are text of at most 24
    characters, so floats keep about 11-15 significant digits.
CSV (``.csv``) and Excel (``.xlsx``), for tables
    Geometry becomes ``lon``/``lat`` columns (``x``/``y`` in metres when the
    output CRS is projected, e.g. ``crs="EPSG:4545"``) when every feature is a
    point (existing ``lon``/``lat`` columns that already hold those coordinates
    are kept as they are), else a ``wkt`` column.  CSV is written as UTF-8
    *with a BOM* (``encoding="utf-8"``) so that Excel on a Chinese Windows
    opens it without mojibake, or as GBK on request; text cells are quoted and
    numbers are not, so :func:`gis.readers.read_table` reads ``"450200"`` back
    as text and ``450200`` as a number, and ``""`` (empty text) apart from a
    bare empty cell (missing).  Datetimes are ISO 8601.  Excel cells keep their
    types; text (column names too) is stored as text, never a formula, and text
    a spreadsheet would run as a formula (:func:`gis._cells.formula_like`) gets
    Excel's quote prefix; Excel stores no empty text, so ``""`` reads back as
    missing there.

``crs=`` (:func:`output_crs`) reprojects on the way out, e.g. to CGCS2000
(``EPSG:4490``) or its 3-degree Gauss-Kruger zones (``EPSG:4545``, ``EPSG:4546``).
Without it, GeoJSON, CSV and Excel are WGS 84 and GeoPackage and Shapefile keep
the layer's CRS (WGS 84 for the shipped layers); GeoJSON is always WGS 84.

Headers for reading
-------------------
An Excel workbook is read by people: its first row shows the Chinese titles of
``layers/columns.yaml`` (``area_ha`` → ``面积（公顷）``, ``<class>_area_ha`` →
``<class> 面积（公顷）``, ``lon`` → ``经度``; names the file does not know, such
as the user's own Chinese columns, are kept), numbers keep full precision but
are *shown* through the file's number formats (公顷 ``0.00``, 亩 ``0.0``, %
``0.0``, metres ``0``), columns are as wide as their content (a CJK character
counts double), the header row is frozen and filtered, and a last sheet
``字段说明`` (工作表, 字段, 机器名, 单位, 说明) maps every title back to its machine
name.  :func:`gis.readers.read_vector` and :func:`gis.readers.read_table` read
such a workbook back with the machine names.  ``headers="machine"`` writes the
machine names instead.  CSV keeps the machine names unless asked
(``headers="zh"``) or unless the table is a report for people
(``attrs["for_reading"]``, as the geocoding report): such a report is written
with the titles and its codes in Chinese (``matched`` → ``已定位``, the
``values`` of ``layers/columns.yaml``) in either format.

Text holding a NUL character is refused for GeoPackage, GeoJSON and Shapefile
(GDAL would cut it off there); a Shapefile export warns about text with leading
or trailing spaces, which DBF readers drop.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._cells import FORMULA_STARTS, formula_like, neutralise_formula  # noqa: F401 (re-exported)
from ._errors import CRSError, InputError, require
from ._io import atomic_write, folder_lock, publish, temp_path, write_error, write_errors

FORMATS = ("gpkg", "geojson", "shp", "csv", "xlsx")
_SUFFIX_FORMAT = {".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson", ".shp": "shp",
                  ".csv": "csv", ".xlsx": "xlsx"}
_FORMAT_SUFFIX = {"gpkg": ".gpkg", "geojson": ".geojson", "shp": ".shp", "csv": ".csv", "xlsx": ".xlsx"}
#: Shapefile parts this module writes, and stale sidecars removed when overwriting.
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".fields.csv")
#: Written only when some text was cut to the DBF limit: the whole texts (columns fid, field, text).
SHAPEFILE_FULLTEXT = ".fulltext.csv"
_STALE_SHAPEFILE_PARTS = (".qix", ".sbn", ".sbx")
_ENCODINGS = {"utf-8": ("utf-8", "UTF-8"), "utf8": ("utf-8", "UTF-8"),
              "gbk": ("gbk", "GBK"), "cp936": ("gbk", "GBK"), "936": ("gbk", "GBK")}
_DBF_NAME_BYTES = 10
_DBF_TEXT_BYTES = 254
_EXCEL_TEXT_CHARS = 32767
_EXCEL_ROWS = 1_048_576
_MAX_PROBLEMS = 10


def export(
    data: gpd.GeoDataFrame | pd.DataFrame,
    path: str | os.PathLike,
    *,
    format: str | None = None,
    layer: str | None = None,
    encoding: str = "utf-8",
    overwrite: bool = False,
    csv_formulas: str = "neutralise",
    crs: Any = None,
    engine: str = "pyogrio",
    styled: bool = True,
    gpkg_version: str = "1.2",
    headers: str | None = None,
) -> Path:
    """Write a layer or a table to a file that reads back with the same names, values and geometry.

    Parameters
    ----------
    data : GeoDataFrame or DataFrame
        The layer (any CRS; GeoJSON, CSV and Excel are written in WGS-84) or,
        for CSV and Excel, a plain table.  It is not modified.
    path : path-like
        The file to write.  Without a suffix, the format's suffix is added.
    format : {"gpkg", "geojson", "shp", "csv", "xlsx"}, optional
        Defaults to the suffix of ``path``; ``.gpkg`` when there is none.
    layer : str, optional
        Layer name (GeoPackage) or sheet name (Excel); defaults to the file stem.
    encoding : {"utf-8", "gbk"}
        Text encoding of Shapefile (written to the ``.cpg``) and CSV.
        UTF-8 CSV carries a BOM.
    overwrite : bool
        Replace an existing file (for a Shapefile: any of its parts).  Without
        it the file is created exclusively: if another process creates it
        meanwhile, FileExistsError, and nothing is replaced.
    csv_formulas : {"neutralise", "keep"}
        CSV only: a text cell (or column name) starting with ``=``, ``+``,
        ``-``, ``@``, tab or carriage return, also after leading white space,
        zero-width characters or a BOM and in full-width form (``＝``, see
        :func:`gis._cells.formula_like`), would run as a formula when the file
        is opened in a spreadsheet (CSV injection); ``"neutralise"`` (the default) writes it
        with a leading apostrophe ``'``, as OWASP recommends; ``"keep"``
        writes the raw text (``--csv-formulas keep``).  Numbers (``-5``) are
        never changed; Excel output always stores text as text.
    crs : str, int or pyproj.CRS, optional
        The CRS of the written coordinates; the layer is reprojected on the way
        out (the data passed in is not changed).  By default GeoJSON, CSV and
        Excel are WGS 84 lon/lat (EPSG:4326) and GeoPackage and Shapefile keep
        the layer's CRS (WGS 84 for every shipped layer and for ``lzgis
        export``); see :func:`output_crs` for the codes planners use (``EPSG:4490``
        CGCS2000 lon/lat, ``EPSG:4545`` / ``EPSG:4546`` CGCS2000 3-degree
        Gauss-Kruger CM 108E / 111E, ``EPSG:4524`` / ``EPSG:4525`` the same
        with zone-prefixed eastings).  GeoJSON is always WGS 84 (RFC 7946).
        Tables get ``lon``/``lat`` in a geographic CRS and ``x``/``y`` (metres)
        in a projected one.
    engine : {"pyogrio", "fiona"}
        The GDAL binding that writes GeoPackage, GeoJSON and Shapefile
        (``fiona`` needs the package fiona).
    styled : bool, default True
        GeoPackage only: store the QGIS default style (``layer_styles``, from
        ``layers/map_styles.yaml``) and the Chinese field titles
        (``gpkg_data_columns``) in the file, see :mod:`gis._qml`.
    gpkg_version : {"1.2", "1.4"}
        GeoPackage version written (1.2 opens in older QGIS and ArcGIS too).
    headers : {"zh", "machine"}, optional
        The first row: the Chinese titles of ``layers/columns.yaml`` (with the
        ``字段说明`` sheet in Excel) or the machine names.  Default: ``"zh"``
        for Excel and for a table marked ``attrs["for_reading"]``, else
        ``"machine"``.  Other formats always keep the machine names.

    Returns
    -------
    pathlib.Path
        The written file (the ``.shp`` of a Shapefile).

    Raises
    ------
    InputError
        Unknown format or encoding, existing output, a value the format cannot
        hold (named by row and field), text with a NUL character (GeoPackage,
        GeoJSON, Shapefile).
    CRSError
        A GeoDataFrame without a CRS, or ``crs`` not a CRS.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame({"名称": ["柳州站"]}, geometry=[Point(109.43, 24.33)], crs="EPSG:4326")
    >>> out = export(g, pathlib.Path(tempfile.mkdtemp()) / "站点.geojson")
    >>> "柳州站" in out.read_text(encoding="utf-8")
    True
    """
    fmt, path = _resolve_format(path, format)
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"export {path.name}: expected a GeoDataFrame or DataFrame, got {type(data).__name__}.")
    _check_column_names(data, path)
    is_geo = isinstance(data, gpd.GeoDataFrame) and data._geometry_column_name in data.columns
    if fmt in ("gpkg", "geojson", "shp") and not is_geo:
        raise InputError(
            f"export {path.name}: {fmt} needs a GeoDataFrame with a geometry column; "
            "write a plain table as .csv or .xlsx instead."
        )
    if is_geo and data.crs is None:
        raise CRSError(
            f"export {path.name}: the layer has no CRS, so its coordinates cannot be written faithfully. "
            "Set it first with gdf.set_crs('EPSG:4326') (lon/lat) or the EPSG code of its projected CRS."
        )
    if csv_formulas not in ("neutralise", "keep"):
        raise InputError(f"export: csv_formulas must be 'neutralise' or 'keep', got {csv_formulas!r}.")
    target_crs = output_crs(crs) if crs is not None else None
    if fmt == "geojson" and target_crs is not None and target_crs.to_epsg() != 4326:
        raise CRSError(
            f"export {path.name}: GeoJSON (RFC 7946) is always WGS 84 lon/lat, so crs={crs!r} cannot be written; "
            "export to GeoPackage (.gpkg) or Shapefile (.shp) for that CRS, or drop the crs option."
        )
    if engine not in ("pyogrio", "fiona"):
        raise InputError(f"export: engine must be 'pyogrio' or 'fiona', got {engine!r}.")
    if gpkg_version not in ("1.2", "1.4"):
        raise InputError(f"export: gpkg_version must be '1.2' or '1.4', got {gpkg_version!r}.")
    reading = bool(data.attrs.get("for_reading"))
    if headers is None:
        headers = "zh" if fmt == "xlsx" or reading else "machine"
    if headers not in ("zh", "machine"):
        raise InputError(f"export: headers must be 'zh' (Chinese titles) or 'machine' (column names), got {headers!r}.")
    _check_free(path, fmt, overwrite=overwrite)
    check_layer_name(path, layer=layer, format=fmt)
    name = layer or path.stem
    frame = _with_index_columns(data)
    if is_geo and fmt in ("gpkg", "shp") and target_crs is not None:
        frame = frame.to_crs(target_crs)
    if fmt in ("gpkg", "geojson", "shp"):
        _check_no_nul(frame, path)
    if fmt == "gpkg":
        _write_gpkg(frame, path, layer=name, overwrite=overwrite, engine=engine, styled=styled,
                    version=gpkg_version, catalogue=_catalogue_entry(data))
    elif fmt == "geojson":
        _write_geojson(frame, path, overwrite=overwrite, engine=engine)
    elif fmt == "shp":
        _write_shapefile(frame, path, encoding=encoding, overwrite=overwrite, engine=engine)
    elif fmt == "csv":
        table = _nullable_as_objects(table_for_export(frame, crs=target_crs or "EPSG:4326"))
        if headers == "zh":
            table = for_reading(table, values=reading)
        _write_csv(table, path, encoding=encoding, overwrite=overwrite, neutralise=csv_formulas == "neutralise")
    else:
        _write_xlsx(_nullable_as_objects(table_for_export(frame, crs=target_crs or "EPSG:4326")), path, sheet=name,
                    overwrite=overwrite, headers=headers, values=reading)
    return path


def _catalogue_entry(data: pd.DataFrame) -> dict[str, Any] | None:
    """The catalogue entry a shipped layer carries (``attrs["layer"]``, see :func:`gis.layers.load_layer`)."""
    entry = data.attrs.get("layer")
    return dict(entry) if isinstance(entry, dict) else None


#: CRSs offered by name on the command line (``--crs``); any other EPSG code pyproj knows is accepted too.
OUTPUT_CRS = {
    "EPSG:4326": "WGS 84 lon/lat (the default; GeoJSON, web maps)",
    "EPSG:4490": "CGCS2000 lon/lat (国家2000 地理坐标)",
    "EPSG:4545": "CGCS2000 3-degree Gauss-Kruger CM 108E (3度带 中央经线108°, x/y in metres)",
    "EPSG:4546": "CGCS2000 3-degree Gauss-Kruger CM 111E (3度带 中央经线111°, x/y in metres)",
    "EPSG:4524": "CGCS2000 3-degree Gauss-Kruger zone 36 (eastings prefixed 36)",
    "EPSG:4525": "CGCS2000 3-degree Gauss-Kruger zone 37 (eastings prefixed 37)",
}


def output_crs(crs: Any) -> "pyproj.CRS":
    """The CRS an export writes, from ``"EPSG:4545"``, ``4545``, ``"epsg:4490"`` or a ``pyproj.CRS``.

    Raises
    ------
    CRSError
        ``crs`` names no coordinate reference system.

    Examples
    --------
    >>> output_crs("EPSG:4545").name
    'CGCS2000 / 3-degree Gauss-Kruger CM 108E'
    >>> output_crs(4490).to_epsg()
    4490
    >>> output_crs("柳州")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis._errors.CRSError: export: crs '柳州' is not a coordinate reference system; ...
    """
    import pyproj

    if isinstance(crs, pyproj.CRS):
        return crs
    value = crs
    if isinstance(crs, (int, np.integer)) and not isinstance(crs, bool):
        value = f"EPSG:{int(crs)}"
    elif isinstance(crs, str) and crs.strip().isdigit():
        value = f"EPSG:{crs.strip()}"
    try:
        if not isinstance(value, str) or not value.strip():
            raise pyproj.exceptions.CRSError("not text")
        return pyproj.CRS.from_user_input(value.strip())
    except pyproj.exceptions.CRSError:
        raise CRSError(
            f"export: crs {crs!r} is not a coordinate reference system; give an EPSG code such as "
            + ", ".join(f"{code} ({what.split(' (')[0]})" for code, what in list(OUTPUT_CRS.items())[:4])
            + "."
        ) from None


def _nullable_as_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Pandas nullable columns (boolean, Int64 …) as plain values with None for <NA>, so tables get empty cells.

    >>> t = pd.DataFrame({"ok": pd.array([True, None], dtype="boolean")})
    >>> _nullable_as_objects(t)["ok"].tolist()
    [True, None]
    """
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.api.extensions.ExtensionDtype) and series.dtype.kind in "biuf" \
                and series.isna().any():
            values = series.astype(object)
            out[column] = values.where(series.notna(), None)
    return out


def output_paths(path: str | os.PathLike, *, format: str | None = None) -> list[Path]:
    """Every file :func:`export` may write for ``path`` (several for a Shapefile; its ``.fulltext.csv`` only
    when a text was cut to the DBF's 254 bytes).

    Examples
    --------
    >>> [p.name for p in output_paths("out/学校.shp")]  # the last only when a text was cut
    ['学校.shp', '学校.shx', '学校.dbf', '学校.prj', '学校.cpg', '学校.fields.csv', '学校.fulltext.csv']
    """
    fmt, path = _resolve_format(path, format)
    if fmt == "shp":
        return [_shapefile_part(path, part) for part in (*SHAPEFILE_PARTS, SHAPEFILE_FULLTEXT)]
    return [path]


def _resolve_format(path: str | os.PathLike, format: str | None) -> tuple[str, Path]:
    path = Path(path)
    suffix = path.suffix.lower()
    if format is not None:
        fmt = format.lower().lstrip(".")
        fmt = {"json": "geojson", "shapefile": "shp", "excel": "xlsx", "geopackage": "gpkg"}.get(fmt, fmt)
        if fmt not in FORMATS:
            raise InputError(f"export: unknown format {format!r}. Choose one of {', '.join(FORMATS)}.")
        if not suffix:
            return fmt, path.with_name(path.name + _FORMAT_SUFFIX[fmt])
        if _SUFFIX_FORMAT.get(suffix) != fmt:
            raise InputError(
                f"export {path.name}: the suffix {suffix!r} does not match format {fmt!r}; "
                f"name the file *{_FORMAT_SUFFIX[fmt]} or drop the format option."
            )
        return fmt, path
    if not suffix:
        return "gpkg", path.with_name(path.name + ".gpkg")
    if suffix not in _SUFFIX_FORMAT:
        raise InputError(
            f"export {path.name}: cannot tell the format from the suffix {suffix!r}. "
            f"Use one of {', '.join(sorted(_SUFFIX_FORMAT))}, or pass format=."
        )
    return _SUFFIX_FORMAT[suffix], path


def _shapefile_part(path: Path, part: str) -> Path:
    return path.with_name(path.stem + part)


def _check_free(path: Path, fmt: str, *, overwrite: bool) -> None:
    if overwrite:
        return
    parts = output_paths(path, format=fmt)
    existing = [p for p in parts if p.exists()]
    if existing:
        raise InputError(
            f"export: {existing[0]} already exists; choose another output name or pass "
            "overwrite=True (--overwrite on the command line) to replace it."
        )


def _check_column_names(data: pd.DataFrame, path: Path) -> None:
    names = [str(c) for c in data.columns]
    bad = [repr(c) for c in data.columns if not isinstance(c, str) or not c.strip()]
    if bad:
        raise InputError(f"export {path.name}: column names must be non-empty text; rename {', '.join(bad)}.")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"export {path.name}: duplicate column names {', '.join(dupes)}; rename them.")


def _with_index_columns(data: pd.DataFrame) -> pd.DataFrame:
    """Keep a meaningful index as columns (the geopandas ``to_file`` rule)."""
    index = data.index
    named = any(n is not None for n in index.names)
    if named or isinstance(index, pd.MultiIndex) or not pd.api.types.is_integer_dtype(index.dtype):
        return data.reset_index()
    return data


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)


def _attribute_columns(frame: pd.DataFrame) -> list[str]:
    geom = frame._geometry_column_name if isinstance(frame, gpd.GeoDataFrame) else None
    return [c for c in frame.columns if c != geom]


def _raise_problems(path: Path, problems: list[str], fix: str) -> None:
    if problems:
        more = f" (and {len(problems) - _MAX_PROBLEMS} more)" if len(problems) > _MAX_PROBLEMS else ""
        raise InputError(f"export {path.name}: {'; '.join(problems[:_MAX_PROBLEMS])}{more}. {fix}")


def _check_text_values(frame: pd.DataFrame, path: Path, *, codec: str, label: str,
                       max_bytes: int | None = None) -> None:
    """Every text value must encode in ``codec`` (and fit ``max_bytes``); report all failures."""
    problems: list[str] = []
    for column in _attribute_columns(frame):
        series = frame[column]
        if not _is_text(series):
            continue
        for row, value in series.items():
            if not isinstance(value, str):
                continue
            try:
                size = len(value.encode(codec))
            except UnicodeEncodeError as exc:
                problems.append(f"row {row!r} field {column!r}: {value[exc.start:exc.end]!r} has no {label} code")
                continue
            if max_bytes is not None and size > max_bytes:
                problems.append(f"row {row!r} field {column!r}: {size} bytes in {label}, over the {max_bytes}-byte limit")
    _raise_problems(path, problems, "Fix those values, or export to GeoPackage (.gpkg), which has neither limit.")


def _check_no_nul(frame: pd.DataFrame, path: Path) -> None:
    """GDAL cuts text at a NUL character (``\\x00``); refuse such values, each named by row and field."""
    problems = [f"field name {column!r}" for column in frame.columns if "\x00" in str(column)]
    for column in _attribute_columns(frame):
        series = frame[column]
        if not _is_text(series):
            continue
        for row, value in series.items():
            if isinstance(value, str) and "\x00" in value:
                problems.append(f"row {row!r} field {column!r}: {value.replace(chr(0), '<NUL>')[:40]!r}")
    if problems:
        problems[0] = "text holds a NUL character (\\x00), which the file would cut off: " + problems[0]
    _raise_problems(path, problems, "Remove the NUL characters first, e.g. "
                    "gdf[col] = gdf[col].str.replace('\\x00', '', regex=False).")


#: Name prefixes a GeoPackage keeps for its own tables (GDAL refuses a layer named so).
GPKG_RESERVED_PREFIXES = ("gpkg", "rtree_", "sqlite_")


def check_layer_name(path: str | os.PathLike, *, layer: str | None = None, format: str | None = None) -> None:
    """Refuse, before any work, a GeoPackage layer name the format keeps for itself (``gpkg*``, ``rtree_*``, ``sqlite_*``).

    The layer is ``layer`` or, without one, the file's stem.

    Examples
    --------
    >>> check_layer_name("out/a.gpkg", layer="乡镇")
    >>> check_layer_name("out/a.gpkg", layer="gpkg_contents")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis._errors.InputError: export a.gpkg: the layer name 'gpkg_contents' is reserved by GeoPackage...
    """
    fmt, target = _resolve_format(path, format)
    if fmt != "gpkg":
        return
    name = layer or target.stem
    if name.casefold().startswith(GPKG_RESERVED_PREFIXES):
        how = "pass another layer= (the layer name)" if layer else "choose another file name (the layer is named after it)"
        raise InputError(f"export {target.name}: the layer name {name!r} is reserved by GeoPackage (names "
                         f"starting with gpkg, rtree_ or sqlite_ are its own tables); {how}.")


def _write_vector(frame: gpd.GeoDataFrame, tmp: Path, *, driver: str, engine: str, layer: str | None = None,
                  encoding: str | None = None, dataset_options: dict[str, str] | None = None,
                  layer_options: dict[str, str] | None = None) -> None:
    """One GDAL write through pyogrio or fiona (``engine``), same options either way."""
    options = {**(dataset_options or {}), **(layer_options or {})}
    if engine == "fiona":
        require("fiona", extra="fiona", feature="engine='fiona'")
        kwargs: dict[str, Any] = dict(options)
        if layer is not None:
            kwargs["layer"] = layer
        if encoding is not None:
            kwargs["encoding"] = encoding
        frame.to_file(tmp, driver=driver, engine="fiona", **kwargs)
        return
    import pyogrio

    kwargs = {}
    if layer is not None:
        kwargs["layer"] = layer
    if encoding is not None:
        kwargs["encoding"] = encoding
    pyogrio.write_dataframe(frame, tmp, driver=driver, dataset_options=dataset_options or None,
                            layer_options=layer_options or None, **kwargs)


def _write_gpkg(frame: gpd.GeoDataFrame, path: Path, *, layer: str, overwrite: bool, engine: str = "pyogrio",
                styled: bool = True, version: str = "1.2", catalogue: dict[str, Any] | None = None) -> None:
    with atomic_write(path, overwrite=overwrite) as tmp, _gdal_errors(tmp, path):
        _write_vector(frame, tmp, driver="GPKG", engine=engine, layer=layer,
                      dataset_options={"VERSION": version})
        if styled:
            from ._qml import style_geopackage

            style_geopackage(tmp, frame, layer=layer, catalogue=catalogue)


def _write_geojson(frame: gpd.GeoDataFrame, path: Path, *, overwrite: bool, engine: str = "pyogrio") -> None:
    frame = frame.to_crs("EPSG:4326")
    with atomic_write(path, overwrite=overwrite) as tmp, _gdal_errors(tmp, path):
        _write_vector(frame, tmp, driver="GeoJSON", engine=engine,
                      layer_options={"RFC7946": "YES", "WRITE_NAME": "NO"})


class _gdal_errors:
    """GDAL reports a full disk or a refused write as its own error; turn those into WriteError."""

    def __init__(self, tmp: Path, path: Path) -> None:
        self.tmp, self.path = tmp, path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or isinstance(exc, (InputError, OSError)) or not isinstance(exc, Exception):
            return False
        import errno

        text = str(exc).lower()
        code = None
        if "no space left" in text or "disk full" in text:
            code = errno.ENOSPC
        elif "read-only file system" in text:
            code = errno.EROFS
        elif "permission denied" in text:
            code = errno.EACCES
        else:
            try:
                if shutil.disk_usage(self.tmp.parent).free < 1 << 20:
                    code = errno.ENOSPC  # GDAL's message rarely says why; a full disk is why
            except OSError:
                pass
        if code is None:
            return False
        raise write_error(OSError(code, os.strerror(code)), self.path) from exc


# ---------------------------------------------------------------- Shapefile

def _codec(encoding: str, *, allowed: tuple[str, ...] = ("utf-8", "gbk")) -> tuple[str, str]:
    key = encoding.lower().replace("_", "-")
    if key not in _ENCODINGS or _ENCODINGS[key][0] not in allowed:
        raise InputError(f"export: encoding {encoding!r} is not supported; use 'utf-8' or 'gbk'.")
    return _ENCODINGS[key]


def _truncate_bytes(text: str, codec: str, limit: int) -> str:
    out = ""
    for char in text:
        if len((out + char).encode(codec)) > limit:
            break
        out += char
    return out


def short_field_names(names: list[str], *, encoding: str = "utf-8", limit: int = _DBF_NAME_BYTES) -> dict[str, str]:
    """Map field names to unique DBF names of at most ``limit`` bytes in ``encoding``.

    Names that already fit keep their spelling.  Longer ones are cut at a
    character boundary; a collision (DBF names compare case-insensitively)
    gets ``_1``, ``_2``... The result depends only on the names and their order.

    Examples
    --------
    >>> short_field_names(["名称", "规划用地面积_ha", "规划用地面积_km2"], encoding="gbk")
    {'名称': '名称', '规划用地面积_ha': '规划用地面', '规划用地面积_km2': '规划用地_1'}
    >>> short_field_names(["名称", "规划用地面积_ha"], encoding="utf-8")
    {'名称': '名称', '规划用地面积_ha': '规划用'}
    """
    codec = _codec(encoding)[0]
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for name in names:  # first pass: names that fit keep their spelling
        if len(name.encode(codec)) <= limit and name.casefold() not in used:
            mapping[name] = name
            used.add(name.casefold())
    for name in names:
        if name in mapping:
            continue
        candidate = _truncate_bytes(name, codec, limit)
        counter = 0
        while not candidate or candidate.casefold() in used:
            counter += 1
            suffix = f"_{counter}"
            candidate = _truncate_bytes(name, codec, limit - len(suffix)) + suffix
        mapping[name] = candidate
        used.add(candidate.casefold())
    return {name: mapping[name] for name in names}


def _shapefile_frame(frame: gpd.GeoDataFrame, path: Path, *, codec: str, label: str
                     ) -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    geom = frame.geometry
    families = {_geometry_family(t) for t in geom.geom_type.dropna().unique()}
    if "collection" in families or len(families) > 1:
        kinds = ", ".join(sorted(geom.geom_type.dropna().unique()))
        raise InputError(
            f"export {path.name}: a Shapefile holds one geometry kind, this layer mixes {kinds}. "
            "Export each kind separately (gdf[gdf.geom_type == 'Point'] ...) or use GeoPackage."
        )
    columns = _attribute_columns(frame)
    problems = []
    for column in columns:
        try:
            column.encode(codec)
        except UnicodeEncodeError:
            problems.append(f"field name {column!r} has no {label} code")
    _raise_problems(path, problems, "Rename those fields, or export with encoding='utf-8'.")
    out = frame.copy()
    dtypes = {}
    empty_text = {}
    for column in columns:
        series = out[column]
        dtypes[column] = str(series.dtype)
        if _is_text(series):
            has_empty, has_missing = bool((series == "").any()), bool(series.isna().any())
            # DBF cannot tell "" from missing: the sidecar says when every missing value was ""
            empty_text[column] = "yes" if has_empty and not has_missing else ""
            if has_empty and has_missing:
                warnings.warn(
                    f"export {path.name}: field {column!r} holds both empty text and missing values; "
                    "a Shapefile cannot tell them apart, both read back as missing. GeoPackage keeps them.",
                    UserWarning, stacklevel=4,
                )
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            # DBF has only a date type; ISO text keeps the time, the sidecar restores the dtype.
            out[column] = pd.Series(
                [None if pd.isna(v) else v.isoformat() for v in series], index=series.index, dtype=object
            )
    _check_text_values(out, path, codec=codec, label=label)
    _warn_edge_spaces(out, path, columns)
    out, fulltext = _cut_long_texts(out, path, columns, codec=codec, label=label)
    names = short_field_names(columns, encoding=codec)
    out = out.rename(columns=names)
    sidecar = pd.DataFrame({"short": [names[c] for c in columns], "full": columns,
                            "dtype": [dtypes[c] for c in columns],
                            "empty_text": [empty_text.get(c, "") for c in columns]})
    return out, sidecar, fulltext


def cut_to_bytes(text: str, codec: str, limit: int = _DBF_TEXT_BYTES) -> str:
    """The longest start of ``text`` that is at most ``limit`` bytes in ``codec``, cut between characters.

    Examples
    --------
    >>> cut_to_bytes("柳州市柳江区", "utf-8", 10), cut_to_bytes("柳州市柳江区", "gbk", 7)
    ('柳州市', '柳州市')
    """
    data = text.encode(codec)
    if len(data) <= limit:
        return text
    return data[:limit].decode(codec, errors="ignore")  # an incomplete last character is dropped


def _cut_long_texts(frame: gpd.GeoDataFrame, path: Path, columns: list[str], *, codec: str, label: str
                    ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Cut text over the DBF's 254 bytes at a character boundary; the whole texts go to the fulltext sidecar.

    The sidecar rows are ``fid`` (the feature's record number in the Shapefile, from 0, GDAL's and QGIS's
    feature id), ``field`` (the full field name) and ``text`` (the whole value).
    """
    records: list[tuple[int, str, str]] = []
    counts: dict[str, int] = {}
    out = frame
    for column in columns:
        series = frame[column]
        if not _is_text(series):
            continue
        cut_values = None
        for position, value in enumerate(series.tolist()):
            if isinstance(value, str) and len(value.encode(codec)) > _DBF_TEXT_BYTES:
                if cut_values is None:
                    cut_values = series.tolist()
                cut_values[position] = cut_to_bytes(value, codec)
                records.append((position, column, value))
                counts[column] = counts.get(column, 0) + 1
        if cut_values is not None:
            if out is frame:
                out = frame.copy()
            out[column] = pd.Series(cut_values, index=series.index, dtype=object)
    fulltext = pd.DataFrame(records, columns=["fid", "field", "text"])
    if counts:
        where = ", ".join(f"{column!r} ({n})" for column, n in counts.items())
        warnings.warn(
            f"export {path.name}: {sum(counts.values())} text value(s) are longer than the Shapefile's "
            f"{_DBF_TEXT_BYTES} bytes in {label}, in field(s) {where}; they were cut at a character boundary and "
            f"written whole to {path.stem}{SHAPEFILE_FULLTEXT} (by fid, the feature's record number), which "
            "gis.read_vector reads back. GeoPackage (.gpkg) keeps them whole.",
            UserWarning, stacklevel=5,
        )
    return out, fulltext


def _warn_edge_spaces(frame: pd.DataFrame, path: Path, columns: list[str]) -> None:
    """DBF readers drop leading and trailing spaces (all-space text reads back missing); say where that happens."""
    counts = {}
    for column in columns:
        series = frame[column]
        if _is_text(series):
            changed = sum(1 for v in series if isinstance(v, str) and v != v.strip(" "))
            if changed:
                counts[column] = changed
    if counts:
        where = ", ".join(f"{column!r} ({n})" for column, n in counts.items())
        warnings.warn(
            f"export {path.name}: {sum(counts.values())} text value(s) start or end with spaces in field(s) {where}; "
            "a Shapefile reads them back without those spaces (text of spaces only reads back missing). "
            "Strip them first (gdf[col].str.strip()) or export to GeoPackage (.gpkg), which keeps them.",
            UserWarning, stacklevel=5,
        )


def _geometry_family(geom_type: str) -> str:
    return {"Point": "point", "MultiPoint": "point", "LineString": "line", "MultiLineString": "line",
            "LinearRing": "line", "Polygon": "polygon", "MultiPolygon": "polygon"}.get(geom_type, "collection")


def _write_shapefile(frame: gpd.GeoDataFrame, path: Path, *, encoding: str, overwrite: bool,
                     engine: str = "pyogrio") -> None:
    codec, label = _codec(encoding)
    out, sidecar, fulltext = _shapefile_frame(frame, path, codec=codec, label=label)
    tmpdir = temp_path(path.parent, "shp")
    try:
        with write_errors(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmpdir.mkdir()
            tmp = tmpdir / path.name
            with warnings.catch_warnings(), _gdal_errors(tmp, path):
                warnings.filterwarnings("ignore", message=".*Normalized/laundered field name.*")
                _write_vector(out.reset_index(drop=True), tmp, driver="ESRI Shapefile", engine=engine,
                              encoding=label)
            sidecar.to_csv(_shapefile_part(tmp, ".fields.csv"), index=False, encoding="utf-8-sig")
            if len(fulltext):
                fulltext.to_csv(_shapefile_part(tmp, SHAPEFILE_FULLTEXT), index=False, encoding="utf-8-sig")
        written = {part: _shapefile_part(tmp, part) for part in SHAPEFILE_PARTS}
        missing = [p.name for p in written.values() if not p.exists()]
        if len(fulltext):
            written[SHAPEFILE_FULLTEXT] = _shapefile_part(tmp, SHAPEFILE_FULLTEXT)
        if missing:  # pragma: no cover - GDAL always writes them
            raise InputError(f"export {path.name}: GDAL did not write {', '.join(missing)}.")
        # All parts exist complete in the temp folder; they are published together (all or none), under the
        # folder's lock so that two writers never interleave their parts.
        with folder_lock(path.parent):
            published = publish([(src, _shapefile_part(path, part)) for part, src in written.items()],
                                overwrite=overwrite)
            if overwrite:
                stale = _STALE_SHAPEFILE_PARTS if len(fulltext) else (*_STALE_SHAPEFILE_PARTS, SHAPEFILE_FULLTEXT)
                for part in stale:
                    _shapefile_part(path, part).unlink(missing_ok=True)
            published.done()
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


# ---------------------------------------------------------------- tables

def table_for_export(data: pd.DataFrame, *, crs: Any = "EPSG:4326") -> pd.DataFrame:
    """The plain table CSV and Excel receive: geometry as coordinate columns or ``wkt``, in ``crs``.

    Points become ``lon``/``lat`` when ``crs`` is geographic (WGS 84 by
    default, or CGCS2000 ``EPSG:4490``) and ``x``/``y`` (metres, easting and
    northing) when it is projected (e.g. ``EPSG:4545``); other geometry becomes
    a ``wkt`` column in ``crs``.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame({"名称": ["柳州站"]}, geometry=[Point(109.43, 24.33)], crs="EPSG:4326")
    >>> table_for_export(g).columns.tolist()
    ['名称', 'lon', 'lat']
    >>> t = table_for_export(g, crs="EPSG:4545")
    >>> t.columns.tolist(), round(float(t["x"].iloc[0]))
    (['名称', 'x', 'y'], 645142)
    """
    if not isinstance(data, gpd.GeoDataFrame) or data._geometry_column_name not in data.columns:
        return pd.DataFrame(data)
    geom_name = data._geometry_column_name
    if data.crs is None:
        raise CRSError("export: the layer has no CRS; set it with gdf.set_crs(...) before writing a table.")
    target = output_crs(crs)
    geom = data.geometry.to_crs(target)
    table = pd.DataFrame(data.drop(columns=geom_name))
    present = geom.notna() & ~geom.is_empty
    all_points = bool((geom[present].geom_type == "Point").all())
    names = ["lon", "lat"] if target.is_geographic else ["x", "y"]
    new = names if all_points else ["wkt"]
    clash = [c for c in new if c in table.columns]
    if all_points:
        points = np.asarray(geom.values, dtype=object)
        mask = present.to_numpy()
        xs = np.full(len(points), np.nan)
        ys = np.full(len(points), np.nan)
        xs[mask] = shapely.get_x(points[mask])
        ys[mask] = shapely.get_y(points[mask])
        tolerance = 1e-9 if target.is_geographic else 1e-4
        if clash == names and _same_coordinates(table[names[0]], xs, tolerance_deg=tolerance) \
                and _same_coordinates(table[names[1]], ys, tolerance_deg=tolerance):
            return table  # the columns already hold the geometry (as in the shipped point layers)
        if not clash:
            table[names[0]], table[names[1]] = xs, ys
            return table
    elif not clash:
        wkt = shapely.to_wkt(geom.values, rounding_precision=-1)
        table["wkt"] = pd.Series(wkt, index=table.index, dtype=object).where(present, None)
        return table
    raise InputError(
        f"export: the table already has column(s) {', '.join(clash)}, which would hold the geometry"
        f"{' but differ from it' if all_points and len(clash) == 2 else ''}. Rename or drop them first."
    )


def _same_coordinates(column: pd.Series, values: np.ndarray, *, tolerance_deg: float = 1e-9) -> bool:
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    both_missing = np.isnan(numbers) & np.isnan(values)
    return bool(np.all(both_missing | (np.abs(numbers - values) <= tolerance_deg)))


def _write_csv(frame: pd.DataFrame, path: Path, *, encoding: str, overwrite: bool = False,
               neutralise: bool = True) -> None:
    codec, label = _codec(encoding)
    table = table_for_export(frame)
    if codec == "gbk":
        _check_text_values(table, path, codec="gbk", label="GBK")
    header = ",".join(_csv_cell(str(c), neutralise=neutralise) for c in table.columns)
    columns = [_csv_column(table.iloc[:, j], neutralise=neutralise) for j in range(table.shape[1])]
    with atomic_write(path, overwrite=overwrite) as tmp:
        with open(tmp, "w", encoding="utf-8-sig" if codec == "utf-8" else "gbk", newline="") as fh:
            fh.write(header + "\r\n")
            step = 100_000  # rows written per block: the file is built block by block, not all in memory
            for start in range(0, len(table), step):
                block = [c[start:start + step] for c in columns]
                rows = map(",".join, zip(*block)) if len(block) > 1 else iter(block[0] if block else [])
                fh.write("\r\n".join(rows) + "\r\n")


def _csv_column(series: pd.Series, *, neutralise: bool) -> list[str]:
    """The CSV cells of one column, as :func:`_csv_cell` writes them cell by cell (numbers bare, text quoted,
    missing empty), made per column: numbers by numpy, text with one formula check per distinct first
    character (:func:`gis._cells.formula_mask`)."""
    from ._cells import formula_mask

    dtype = series.dtype
    values = series.to_numpy()
    if pd.api.types.is_bool_dtype(dtype) and dtype != object:
        return np.where(values, "True", "False").tolist()
    if pd.api.types.is_integer_dtype(dtype) and dtype != object and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return values.astype(str).tolist()
    if dtype == np.float64 or dtype == np.float32:
        numbers = values.astype(np.float64)
        cells = numbers.astype(str)
        cells[np.isnan(numbers)] = ""
        return cells.tolist()
    if isinstance(dtype, pd.StringDtype) or (
            dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")):
        values = series.to_numpy(dtype=object)
        missing = pd.isna(values)
        texts = [("" if m else v) for v, m in zip(values.tolist(), missing.tolist())]
        marks = formula_mask(texts) if neutralise else [False] * len(texts)
        return ["" if m else ('"' + ("'" if f else "") + (t.replace('"', '""') if '"' in t else t) + '"')
                for t, m, f in zip(texts, missing.tolist(), marks)]
    return [_csv_cell(v, neutralise=neutralise) for v in series.tolist()]


def _csv_cell(value: Any, *, neutralise: bool = False) -> str:
    """RFC 4180 cell: text quoted (so "450204" stays text, "" stays empty text), numbers bare, missing empty.

    With ``neutralise``, text that a spreadsheet would run as a formula gets a leading ``'``; numbers never do.
    """
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return "" if math.isnan(value) else repr(float(value))
    if isinstance(value, (_dt.datetime, _dt.date)):
        value = value.isoformat()
    text = str(value)
    if neutralise:
        text = neutralise_formula(text)
    return '"' + text.replace('"', '""') + '"'


def _excel_value(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        raise InputError("timezone-aware")
    return value


def _write_xlsx(frame: pd.DataFrame, path: Path, *, sheet: str, overwrite: bool = False, headers: str = "zh",
                values: bool = False) -> None:
    _check_sheet_names([sheet], path, fix="Pass another layer= (the sheet name).")
    table = table_for_export(frame)
    if len(table) + 1 > _EXCEL_ROWS:
        raise InputError(f"export {path.name}: {len(table)} rows exceed Excel's {_EXCEL_ROWS - 1}; write CSV.")
    _write_sheets({sheet: table}, path, overwrite=overwrite, headers=headers, values=values)


def for_reading(table: pd.DataFrame, *, values: bool = True) -> pd.DataFrame:
    """A table as people read it: Chinese titles (``layers/columns.yaml``) and, with ``values``, codes in Chinese.

    With ``values``, a code column with a Chinese twin (``verdict`` beside
    ``verdict_zh``) is left out: the twin shows it.

    Examples
    --------
    >>> t = pd.DataFrame({"name": ["甲"], "status": ["matched"], "precision_m": [30.0]})
    >>> for_reading(t).columns.tolist(), for_reading(t)["定位状态"].tolist()
    (['名称', '定位状态', '定位精度（米）'], ['已定位'])
    """
    return _shown(table, values=values)[0]


def _shown(table: pd.DataFrame, *, values: bool) -> tuple[pd.DataFrame, list[str]]:
    """The table with titles (and Chinese codes), and the machine name of each of its columns."""
    from ._columns import has_codes, reading_columns, values_for_reading

    columns = [c for c in table.columns if not (values and has_codes(str(c)) and f"{c}_zh" in table.columns)]
    out = table[columns].copy() if len(columns) != len(table.columns) else table.copy()
    if values:
        for column in out.columns:
            out[column] = values_for_reading(out[column])
    titles = reading_columns([str(c) for c in out.columns])
    machine = [str(c) for c in out.columns]
    out.columns = [titles[c] for c in machine]
    return out, machine


def _excel_text_cell(cell: Any) -> None:
    """Store a text cell as text: never a formula, and with Excel's quote prefix when it looks like one.

    openpyxl turns text starting with ``=`` into a formula; the cell is set back
    to text.  Text a spreadsheet would run as a formula (:func:`gis._cells.formula_like`,
    the rule CSV output follows) also gets the quote prefix, the ``'`` Excel
    shows for text typed after an apostrophe, so editing the cell keeps it text.
    """
    cell.data_type = "s"
    if formula_like(cell.value):
        cell.quotePrefix = True


def _check_sheet_names(names: list[str], path: Path, *, fix: str) -> None:
    """Excel's rules for sheet names: 1-31 characters, none of ``[]:*?/\\``, no ``'`` at either end."""
    bad = [repr(n) for n in names
           if not n or len(n) > 31 or set(n) & set('[]:*?/\\') or n.startswith("'") or n.endswith("'")]
    if bad:
        raise InputError(
            f"export {path.name}: Excel sheet names have 1 to 31 characters, none of []:*?/\\ and no ' at "
            f"either end; {', '.join(bad)} does not qualify. {fix}"
        )


def _write_sheets(tables: dict[str, pd.DataFrame], path: Path, *, overwrite: bool = False, headers: str = "zh",
                  values: bool = False) -> None:
    """One .xlsx of ``{sheet name: exported table}`` (see :func:`table_for_export`), written atomically.

    Every value Excel cannot hold (timezone-aware times, over-long text, control
    characters) is reported at once before anything is written; text starting
    with ``=`` is stored as text, never a formula.  With ``headers="zh"`` the
    first rows show the Chinese titles (and, with ``values``, codes in Chinese;
    see :func:`for_reading`) and a last sheet ``字段说明`` maps them back to the
    machine names.  Every sheet: numbers shown through the number format of
    their column (``layers/columns.yaml``), columns fitted to their content,
    the header row frozen and filtered.  Shared by :func:`export` and
    :func:`gis._workbook.write_workbook`.
    """
    from ._columns import FIELDS_HEADER, FIELDS_SHEET, column_format, column_note, column_unit

    openpyxl = require("openpyxl", extra="excel", feature="Excel export")
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    _check_sheet_names([str(name) for name in tables], path, fix="Rename the sheet.")
    machine: dict[str, list[str]] = {}
    if headers == "zh":
        if FIELDS_SHEET in tables:
            raise InputError(f"export {path.name}: the sheet name {FIELDS_SHEET!r} is the workbook's list of fields; "
                             "pass another layer= (the sheet name), or headers='machine'.")
        shown = {}
        for name, table in tables.items():
            shown[name], machine[name] = _shown(table, values=values)
        fields = [(name, title, column, column_unit(column) or "", column_note(column) or "")
                  for name in shown for title, column in zip(shown[name].columns, machine[name])]
        tables = {**shown, FIELDS_SHEET: pd.DataFrame(fields, columns=list(FIELDS_HEADER))}
    else:
        machine = {name: [str(c) for c in table.columns] for name, table in tables.items()}
    machine.setdefault(FIELDS_SHEET, [])
    where = (lambda name: f"sheet {name!r} ") if len(tables) > 1 else (lambda name: "")
    problems = []
    sheets = {}
    for name, table in tables.items():
        rows = []
        for column in table.columns:
            if ILLEGAL_CHARACTERS_RE.search(str(column)):
                problems.append(f"{where(name)}column name {str(column)!r}: contains control characters Excel refuses")
        for row, values_ in zip(table.index, table.itertuples(index=False, name=None)):
            cells = []
            for column, value in zip(table.columns, values_):
                try:
                    value = _excel_value(value)
                except InputError:
                    problems.append(f"{where(name)}row {row!r} field {column!r}: Excel cannot hold a "
                                    "timezone-aware time")
                    continue
                if isinstance(value, str):
                    if len(value) > _EXCEL_TEXT_CHARS:
                        problems.append(f"{where(name)}row {row!r} field {column!r}: {len(value)} characters, "
                                        f"over Excel's {_EXCEL_TEXT_CHARS}")
                    elif ILLEGAL_CHARACTERS_RE.search(value):
                        problems.append(f"{where(name)}row {row!r} field {column!r}: contains control characters "
                                        "Excel refuses")
                cells.append(value)
            rows.append(cells)
        sheets[name] = rows
    _raise_problems(path, problems, "Fix those values or write CSV / GeoPackage instead.")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, table in tables.items():
        ws = book.create_sheet(title=name)
        ws.append([str(c) for c in table.columns])
        for cells in sheets[name]:
            ws.append(cells)
        for row in ws.iter_rows():  # the header row too: column names are text like any cell
            for cell in row:
                if isinstance(cell.value, str):
                    _excel_text_cell(cell)
        formats = [column_format(c) for c in machine.get(name) or [str(c) for c in table.columns]]
        _format_sheet(ws, formats)
    with atomic_write(path, overwrite=overwrite) as tmp:
        book.save(tmp)


#: Rows looked at to fit a column's width, and the widest column (in Excel's character units).
_WIDTH_ROWS = 2000
_MAX_WIDTH = 60


def _format_sheet(ws: Any, formats: list[str | None]) -> None:
    """Number formats per column, widths fitted to the content, the header frozen and filtered."""
    from openpyxl.utils import get_column_letter

    widths = [0] * len(formats)
    for r, row in enumerate(ws.iter_rows()):
        for i, cell in enumerate(row[:len(formats)]):
            value = cell.value
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if number and r > 0 and formats[i]:
                cell.number_format = formats[i]
            if r <= _WIDTH_ROWS and value is not None:
                widths[i] = max(widths[i], _shown_width(value, formats[i] if number else None))
    for i, width in enumerate(widths):
        ws.column_dimensions[get_column_letter(i + 1)].width = min(max(width + 2, 6), _MAX_WIDTH)
    ws.freeze_panes = "A2"
    if formats:
        ws.auto_filter.ref = ws.dimensions


def _shown_width(value: Any, number_format: str | None) -> int:
    """Characters a cell shows, a CJK (wide) character counting double.

    >>> _shown_width("面积（公顷）", None), _shown_width(21.33333332509647, "0.00"), _shown_width(True, None)
    (12, 5, 4)
    """
    import unicodedata

    if isinstance(value, float) and number_format is not None and set(number_format) <= set("0.#"):
        decimals = len(number_format.split(".")[1]) if "." in number_format else 0
        text = f"{value:.{decimals}f}"
    elif isinstance(value, float):
        text = f"{value:.10g}"
    elif isinstance(value, (_dt.datetime, _dt.date)):
        text = value.isoformat()
    else:
        text = str(value)
    line = max(text.split("\n"), key=len) if "\n" in text else text
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
