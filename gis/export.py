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
import warnings
from pathlib import Path
from typing import Any, Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._cells import FORMULA_STARTS, formula_like, neutralise_formula  # noqa: F401 (re-exported)
from ._cells import raise_problems as _raise_problems
from ._errors import CRSError, InputError, require
from ._io import atomic_write, folder_lock, publish, temp_path, write_error, write_errors
from ._progress import track
from ._tables import _ARROW
from ._shapefile_text import (_DBF_NAME_BYTES, _DBF_TEXT_BYTES, _ENCODINGS, SHAPEFILE_FULLTEXT,  # noqa: F401
                              _attribute_columns, _check_text_values, _codec, _cut_long_texts, _is_text,
                              _geometry_family, _shapefile_frame, _truncate_bytes, _warn_edge_spaces, cut_to_bytes,
                              short_field_names)
from ._xlsx import _EXCEL_ROWS, _EXCEL_TEXT_CHARS, _check_sheet_names, _write_sheets, for_reading  # noqa: F401 (re-exported)

FORMATS = ("gpkg", "geojson", "shp", "csv", "xlsx")
_SUFFIX_FORMAT = {".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson", ".shp": "shp",
                  ".csv": "csv", ".xlsx": "xlsx"}
_FORMAT_SUFFIX = {"gpkg": ".gpkg", "geojson": ".geojson", "shp": ".shp", "csv": ".csv", "xlsx": ".xlsx"}
#: Shapefile parts this module writes, and stale sidecars removed when overwriting.
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".fields.csv")
_STALE_SHAPEFILE_PARTS = (".qix", ".sbn", ".sbx")


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


def stale_paths(path: str | os.PathLike, *, format: str | None = None) -> list[Path]:
    """Files that belong to an older ``path`` and that :func:`export` removes when it overwrites it (a
    Shapefile's spatial indexes ``.qix``, ``.sbn``, ``.sbx``, which would not match the new geometry).

    Examples
    --------
    >>> [p.name for p in stale_paths("out/学校.shp")]
    ['学校.qix', '学校.sbn', '学校.sbx']
    """
    fmt, path = _resolve_format(path, format)
    return [_shapefile_part(path, part) for part in _STALE_SHAPEFILE_PARTS] if fmt == "shp" else []


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
    with atomic_write(path, overwrite=overwrite) as tmp:
        if _ARROW and table.shape[1]:
            with open(tmp, "wb") as fh:
                fh.write((header + "\r\n").encode("utf-8-sig" if codec == "utf-8" else "gbk"))
                blocks = _csv_blocks_arrow(table, neutralise=neutralise)
                for block in track(blocks, f"写出 {path.name}", total=-(-len(table) // _CSV_BLOCK_ROWS), unit="块"):
                    fh.write(block if codec == "utf-8" else block.decode("utf-8").encode("gbk"))
            return
        columns = [_csv_column(table.iloc[:, j], neutralise=neutralise) for j in range(table.shape[1])]
        with open(tmp, "w", encoding="utf-8-sig" if codec == "utf-8" else "gbk", newline="") as fh:
            fh.write(header + "\r\n")
            for start in track(range(0, len(table), _CSV_BLOCK_ROWS), f"写出 {path.name}", unit="块"):
                block = [c[start:start + _CSV_BLOCK_ROWS] for c in columns]
                rows = map(",".join, zip(*block)) if len(block) > 1 else iter(block[0] if block else [])
                fh.write("\r\n".join(rows) + "\r\n")


#: Rows written per block: the file is built block by block, not all in memory.
_CSV_BLOCK_ROWS = 100_000


def _csv_blocks_arrow(table: pd.DataFrame, *, neutralise: bool) -> Iterator[bytes]:
    """The CSV records of ``table`` (without its header) as UTF-8 blocks, the bytes :func:`_csv_column` and
    its row join give, each column's cells made by arrow's kernels (text) or numpy/``repr`` (numbers)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = [_csv_column_arrow(table.iloc[:, j], neutralise=neutralise) for j in range(table.shape[1])]
    for start in range(0, len(table), _CSV_BLOCK_ROWS):
        block = [c.slice(start, _CSV_BLOCK_ROWS) for c in columns]
        rows = pc.binary_join_element_wise(*block, "\r\n", "") if len(block) == 1 else \
            pc.binary_join_element_wise(pc.binary_join_element_wise(*block, ","), "\r\n", "")
        rows = pa.concat_arrays(rows.chunks) if isinstance(rows, pa.ChunkedArray) else rows
        width = 4 if rows.type == pa.string() else 8
        offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32 if width == 4 else np.int64,
                                count=len(rows) + 1, offset=rows.offset * width)
        yield bytes(memoryview(rows.buffers()[2])[offsets[0]:offsets[-1]])


def _csv_column_arrow(series: pd.Series, *, neutralise: bool) -> Any:
    """:func:`_csv_column` as an arrow string array: text quoted and neutralised by arrow's kernels (the formula
    test runs only on texts whose first character could start a formula), numbers as :func:`_csv_column`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._cells import _safe_start

    dtype = series.dtype
    if dtype == np.float64 or dtype == np.float32:
        numbers = series.to_numpy().astype(np.float64)
        cells = list(map(repr, numbers.tolist()))
        array = pa.array(cells, type=pa.string())
        return pc.if_else(pa.array(np.isnan(numbers)), "", array) if np.isnan(numbers).any() else array
    if pd.api.types.is_integer_dtype(dtype) and dtype != object and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return pc.cast(pa.array(series.to_numpy()), pa.string())
    if isinstance(dtype, pd.StringDtype) or (
            dtype == object and pd.api.types.infer_dtype(series.to_numpy(), skipna=True) in ("string", "empty")):
        texts = pa.array(series.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        escaped = pc.replace_substring(texts, '"', '""')
        opening = pa.scalar('"')
        if neutralise and len(texts):
            first = pc.utf8_slice_codeunits(texts, 0, 1)
            risky = [c for c in pc.unique(pc.drop_null(first)).to_pylist() if c and not _safe_start(c)]
            if risky:
                candidates = np.flatnonzero(pc.fill_null(pc.is_in(first, pa.array(risky, type=pa.string())), False)
                                            .to_numpy(zero_copy_only=False))
                formula = np.zeros(len(texts), dtype=bool)
                formula[candidates] = [formula_like(t) for t in texts.take(pa.array(candidates)).to_pylist()]
                opening = pc.if_else(pa.array(formula), "\"'", '"')
        quoted = pc.binary_join_element_wise(opening, escaped, '"', "")
        return pc.fill_null(quoted, "")
    return pa.array(_csv_column(series, neutralise=neutralise), type=pa.string())


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


def _write_xlsx(frame: pd.DataFrame, path: Path, *, sheet: str, overwrite: bool = False, headers: str = "zh",
                values: bool = False) -> None:
    _check_sheet_names([sheet], path, fix="Pass another layer= (the sheet name).")
    table = table_for_export(frame)
    if len(table) + 1 > _EXCEL_ROWS:
        raise InputError(f"export {path.name}: {len(table)} rows exceed Excel's {_EXCEL_ROWS - 1}; write CSV.")
    _write_sheets({sheet: table}, path, overwrite=overwrite, headers=headers, values=values)
