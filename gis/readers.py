"""Reading the user's own files: GeoPackage, GeoJSON, Shapefile, and CSV/Excel tables.

Text encodings are never guessed silently.  A Shapefile is decoded with the
encoding its ``.cpg`` names; without one, every field name and text value is
decoded strictly as UTF-8, then as GBK, and a warning says which one worked.
CSV files are handled the same way; a byte-order mark decides first (UTF-8,
UTF-16 and UTF-32 with a BOM, e.g. Excel's "Unicode text", are read as such).
``encoding=...`` (on the command line ``--input-encoding``) forces one.  The
outcome is recorded in ``gdf.attrs["source"]["encoding"]``.

Rows of a table are named in errors and warnings by their spreadsheet row
number: the header is row 1, the first data row row 2 (as Excel and WPS show
them).  A row with a blank coordinate cell is kept without geometry and
reported in a warning (``missing_coordinates="keep"``, the default), or
refused with the rows named (``missing_coordinates="error"``, what the
command-line analyses use, since a distance needs a position); it is never
dropped silently.

A Shapefile written by :func:`gis.export.export` carries a sidecar
``<name>.fields.csv``; its full (untruncated) field names and datetime columns
are restored on reading, and so are texts cut to the DBF's 254 bytes, from
``<name>.fulltext.csv`` when the export wrote one.

This module reads vector files and turns a table's coordinate columns into
geometry; reading the table itself (encodings, CSV cells, Excel cells, row
numbers) is :mod:`gis._tables`, whose public names (:func:`read_table`,
:func:`decode_text`, :func:`spreadsheet_rows`, :func:`describe_rows`,
``TABLE_SUFFIXES``) are importable from here as before.
"""

from __future__ import annotations

import os
import unicodedata
import warnings
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import CRSError, InputError, require
from ._tables import (_CPG_CODECS, TABLE_SUFFIXES, _codec_label, _require_file, describe_rows, read_table,
                      spreadsheet_rows)
from ._tables import decode_text as decode_text  # noqa: F401 - part of gis.readers, as before
# table internals the tests check through gis.readers
from ._tables import _INTEGER as _INTEGER  # noqa: F401
from ._tables import _ISO_DATETIME as _ISO_DATETIME  # noqa: F401
from ._tables import _LEADING_ZERO as _LEADING_ZERO  # noqa: F401
from ._tables import _NUMBER as _NUMBER  # noqa: F401
from ._tables import _csv_cells as _csv_cells  # noqa: F401
from ._tables import _infer_column as _infer_column  # noqa: F401
from ._tables import _quoted_csv_rows as _quoted_csv_rows  # noqa: F401

MissingCoordinates = Literal["keep", "error"]

_LON_NAMES = ("lon", "lng", "long", "longitude", "经度", "x")
_LAT_NAMES = ("lat", "latitude", "纬度", "y")
_WKT_NAMES = ("wkt", "geometry", "geom")


def _read_parquet(path: Path, *, lon: str | None, lat: str | None, wkt: str | None, crs: Any, datum: str,
                  missing_coordinates: MissingCoordinates) -> gpd.GeoDataFrame:
    """A GeoParquet file (its ``geo`` metadata says so), else a Parquet table with coordinate columns."""
    require("pyarrow", extra="dask", feature="reading Parquet")
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_schema(path).metadata or {}
    except Exception as exc:  # pyarrow's ArrowInvalid and friends
        raise InputError(f"{path}: pyarrow cannot read it as Parquet ({exc}).") from exc
    if b"geo" in metadata:
        gdf = gpd.read_parquet(path)
    else:
        table = pd.read_parquet(path)
        table.attrs["source"] = {"path": str(path), "format": "Parquet", "layer": None, "encoding": None}
        gdf = table_to_points(table, lon=lon, lat=lat, wkt=wkt, crs=crs, datum=datum, source=path.name,
                              missing_coordinates=missing_coordinates)
    gdf.attrs["source"] = {"path": str(path), "format": "GeoParquet" if b"geo" in metadata else "Parquet",
                           "layer": None, "encoding": None}
    return gdf


def read_vector(
    path: str | os.PathLike,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    lon: str | None = None,
    lat: str | None = None,
    wkt: str | None = None,
    crs: Any = None,
    datum: str = "wgs84",
    missing_coordinates: MissingCoordinates = "keep",
    engine: str = "pyogrio",
) -> gpd.GeoDataFrame:
    """Read a vector file or a table with coordinates as a GeoDataFrame.

    Parameters
    ----------
    path : path-like
        ``.gpkg``, ``.geojson``/``.json``, ``.shp``, ``.csv``/``.tsv``/``.txt``,
        ``.xlsx``, ``.parquet`` (GeoParquet, or a plain Parquet table with
        coordinate columns, read with pyarrow), or any other format GDAL reads.
    layer : str, optional
        Layer of a multi-layer file (GeoPackage), or sheet of a workbook.
        Required when a GeoPackage holds more than one layer.
    encoding : str, optional
        The text encoding of a Shapefile or CSV/TXT (any Python codec name, e.g.
        ``"utf-16"``, ``"gb18030"``), instead of the ``.cpg`` / detection (BOM,
        else UTF-8, else GBK).
    lon, lat, wkt : str, optional
        Coordinate columns of a table.  By default found by name:
        lon/lng/longitude/经度/x and lat/latitude/纬度/y, or wkt/geometry.
    crs : optional
        CRS of table coordinates.  Default: EPSG:4326 when they look like
        lon/lat, zone-prefixed Gauss-Kruger when they carry the prefix, else refused.
    datum : {"wgs84", "cgcs2000", "gcj02", "bd09"}
        Datum of lon/lat table coordinates; GCJ-02 (Amap, Tencent) and BD-09
        (Baidu) are converted to WGS-84.
    missing_coordinates : {"keep", "error"}, default "keep"
        Table rows with a blank coordinate cell: kept without geometry (with a
        warning naming their spreadsheet rows) or refused; see :func:`table_to_points`.
    engine : {"pyogrio", "fiona"}
        The GDAL binding that reads vector files (``fiona`` needs the package
        fiona); tables are read by this package either way.

    Returns
    -------
    GeoDataFrame
        With ``attrs["source"]`` = ``{"path", "format", "layer", "encoding"}``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "点.csv"
    >>> _ = p.write_text("名称,经度,纬度\\n柳州站,109.43,24.33\\n", encoding="utf-8")
    >>> g = read_vector(p)
    >>> g.crs.to_epsg(), g.geometry.iloc[0].x, g.attrs["source"]["encoding"]
    (4326, 109.43, 'UTF-8')
    """
    path = Path(path)
    _require_file(path)
    suffix = path.suffix.lower()
    _check_engine(engine)
    if suffix == ".shp":
        return read_shapefile(path, encoding=encoding, engine=engine)
    if suffix in (".parquet", ".geoparquet"):
        return _read_parquet(path, lon=lon, lat=lat, wkt=wkt, crs=crs, datum=datum,
                             missing_coordinates=missing_coordinates)
    if suffix in TABLE_SUFFIXES or suffix == ".xls":
        table = read_table(path, sheet=layer, encoding=encoding)
        gdf = table_to_points(table, lon=lon, lat=lat, wkt=wkt, crs=crs, datum=datum, source=path.name,
                              missing_coordinates=missing_coordinates)
        gdf.attrs["source"] = dict(table.attrs.get("source", {}))
        return gdf
    try:
        layers = [name for name in _list_layers(path, engine)
                  if not (suffix == ".gpkg" and name == "layer_styles")]  # QGIS styles, not data
    except Exception as exc:  # GDAL's DataSourceError and friends
        raise InputError(f"{path}: GDAL cannot open it as a vector file ({exc}).") from exc
    if layer is None and len(layers) > 1:
        raise InputError(
            f"{path}: holds {len(layers)} layers ({', '.join(layers)}); name one "
            f"(layer=... or on the command line '{path.name}:<layer>')."
        )
    if layer is not None and layer not in layers:
        raise InputError(f"{path}: has no layer {layer!r}; its layers are {', '.join(layers)}.")
    name = layer or layers[0]
    gdf = _read_gdal(path, engine, layer=name)
    if not isinstance(gdf, gpd.GeoDataFrame):  # pragma: no cover - attribute-only layers
        raise InputError(f"{path}: layer {name!r} has no geometry; read it as a table instead.")
    gdf.attrs["source"] = {"path": str(path), "format": suffix.lstrip(".") or "gdal", "layer": name,
                           "encoding": "UTF-8"}
    return gdf


def _check_engine(engine: str) -> None:
    if engine not in ("pyogrio", "fiona"):
        raise InputError(f"read: engine must be 'pyogrio' or 'fiona', got {engine!r}.")
    if engine == "fiona":
        require("fiona", extra="fiona", feature="engine='fiona'")


def _list_layers(path: Path, engine: str) -> list[str]:
    if engine == "fiona":
        import fiona

        return [str(name) for name in fiona.listlayers(str(path))]
    import pyogrio

    return [str(row[0]) for row in pyogrio.list_layers(path)]


def _read_gdal(path: Path, engine: str, **options: Any) -> gpd.GeoDataFrame:
    """One GDAL read through pyogrio or fiona (``engine``)."""
    if engine == "fiona":
        return gpd.read_file(path, engine="fiona", **options)
    import pyogrio

    return pyogrio.read_dataframe(path, **options)


# ---------------------------------------------------------------- Shapefile

def _cpg_codec(path: Path) -> str | None:
    cpg = path.with_suffix(".cpg")
    if not cpg.exists():
        cpg = path.with_suffix(".CPG")
        if not cpg.exists():
            return None
    raw = cpg.read_bytes().decode("ascii", errors="replace").strip()
    key = raw.lower()
    if key in _CPG_CODECS:
        return _CPG_CODECS[key]
    import codecs

    try:
        return codecs.lookup(key).name
    except LookupError:
        raise InputError(
            f"{cpg}: names the encoding {raw!r}, which is unknown. Replace its content with UTF-8 or GBK, "
            "or pass encoding=... (--input-encoding)."
        ) from None


def _decode_frame(raw: gpd.GeoDataFrame, codec: str) -> tuple[gpd.GeoDataFrame | None, str]:
    """Re-decode latin-1 strings (i.e. raw bytes) as ``codec``; on failure say where."""
    geom_name = raw.geometry.name
    names = {}
    for column in raw.columns:
        if column == geom_name:
            continue
        try:
            names[column] = column.encode("latin-1").decode(codec)
        except UnicodeError:
            return None, f"field name {column.encode('latin-1')!r}"
    out = raw.copy()
    for column in names:
        series = raw[column]
        if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
            continue
        values = []
        for row, value in series.items():
            if isinstance(value, str):
                try:
                    value = value.encode("latin-1").decode(codec)
                except UnicodeError:
                    return None, f"row {row} field {names[column]!r}"
            values.append(value)
        out[column] = pd.Series(values, index=series.index, dtype=object)
    return out.rename(columns=names), ""


def read_shapefile(path: str | os.PathLike, *, encoding: str | None = None,
                   engine: str = "pyogrio") -> gpd.GeoDataFrame:
    """Read a Shapefile, decoding its text strictly (``.cpg``, else UTF-8 then GBK).

    Parameters
    ----------
    path : path-like
        The ``.shp`` file.
    encoding : str, optional
        Decode with this encoding (overrides the ``.cpg``).
    engine : {"pyogrio", "fiona"}
        The GDAL binding that reads the file.

    Returns
    -------
    GeoDataFrame
        Full field names restored from a ``<name>.fields.csv`` sidecar when present;
        ``attrs["source"]["encoding"]`` says which encoding decoded the text.

    Raises
    ------
    InputError
        No candidate encoding decodes every field name and value; the message names
        the first failing row and field per encoding.
    """
    path = Path(path)
    _require_file(path)
    _check_engine(engine)
    cpg = _cpg_codec(path)
    if encoding is not None:
        candidates = [_CPG_CODECS.get(encoding.lower(), encoding)]
    elif cpg is not None:
        candidates = [cpg]
    else:
        candidates = ["utf-8", "gbk"]
    try:
        # latin-1 maps each byte to one character, so the raw bytes survive for strict decoding below.
        raw = _read_gdal(path, engine, encoding="ISO-8859-1")
    except Exception as exc:
        raise InputError(f"{path}: GDAL cannot read it as a Shapefile ({exc}).") from exc
    failures = []
    for codec in candidates:
        try:
            decoded, where = _decode_frame(raw, codec)
        except LookupError:
            raise InputError(f"{path}: unknown encoding {codec!r}; use utf-8 or gbk.") from None
        if decoded is not None:
            break
        failures.append(f"not {_codec_label(codec)} ({where})")
    else:
        fix = ("its .cpg names the wrong encoding; fix the .cpg or pass encoding=... (--input-encoding)"
               if cpg is not None and encoding is None else "pass the right encoding=... (--input-encoding)")
        raise InputError(f"{path}: text is {', '.join(failures)}; {fix}.")
    label = _codec_label(codec)
    if cpg is None and encoding is None:
        tried = f" after {failures[0]}" if failures else ""
        warnings.warn(f"{path.name}: has no .cpg; its text decoded as {label}{tried}.", UserWarning, stacklevel=2)
    decoded = _apply_sidecar(decoded, path)
    decoded.attrs["source"] = {"path": str(path), "format": "shp", "layer": path.stem, "encoding": label}
    return decoded


def _apply_sidecar(gdf: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    sidecar = path.with_name(path.stem + ".fields.csv")
    if not sidecar.exists():
        return gdf
    try:
        table = pd.read_csv(sidecar, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(f"{sidecar}: is not a UTF-8 CSV of short,full field names ({exc}).") from exc
    if not {"short", "full"} <= set(table.columns):
        raise InputError(f"{sidecar}: needs the columns short and full; it has {', '.join(table.columns)}.")
    names = {s: f for s, f in zip(table["short"], table["full"]) if s in gdf.columns}
    dtypes = dict(zip(table["full"], table["dtype"])) if "dtype" in table.columns else {}
    attribute_columns = [c for c in gdf.columns if c != gdf.geometry.name]
    if table.empty and attribute_columns == ["FID"]:  # GDAL adds FID to a DBF without fields
        gdf = gdf.drop(columns="FID")
    gdf = gdf.rename(columns=names)
    for column, dtype in dtypes.items():
        if column in gdf.columns and dtype.startswith("datetime64"):
            gdf[column] = pd.to_datetime(gdf[column], format="ISO8601")
    if "empty_text" in table.columns:
        for column, flag in zip(table["full"], table["empty_text"]):
            if flag == "yes" and column in gdf.columns:
                gdf[column] = gdf[column].astype(object).where(gdf[column].notna(), "")
    return _apply_fulltext(gdf, path)


def _apply_fulltext(gdf: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    """Put back the whole texts an export cut to the DBF's 254 bytes (``<name>.fulltext.csv``: fid, field, text)."""
    sidecar = path.with_name(path.stem + ".fulltext.csv")
    if not sidecar.exists():
        return gdf
    try:
        table = pd.read_csv(sidecar, dtype={"fid": "int64", "field": str, "text": str}, keep_default_na=False,
                            encoding="utf-8-sig")
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"{sidecar}: is not a UTF-8 CSV of fid,field,text ({exc}).") from exc
    if not {"fid", "field", "text"} <= set(table.columns):
        raise InputError(f"{sidecar}: needs the columns fid, field and text; it has {', '.join(table.columns)}.")
    unknown = sorted(set(table["field"]) - set(gdf.columns))
    if unknown or (len(table) and (table["fid"].min() < 0 or table["fid"].max() >= len(gdf))):
        raise InputError(f"{sidecar}: does not match {path.name} (fields {unknown or 'ok'}, {len(gdf)} features); "
                         "remove it or export the layer again.")
    gdf = gdf.copy()
    for field, rows in table.groupby("field", sort=False):
        values = gdf[field].astype(object).to_numpy(copy=True)
        values[rows["fid"].to_numpy()] = rows["text"].to_numpy(dtype=object)
        gdf[field] = pd.Series(values, index=gdf.index, dtype=object)
    return gdf


# ---------------------------------------------------------------- coordinate columns


def _find_column(table: pd.DataFrame, given: str | None, candidates: tuple[str, ...], role: str) -> str | None:
    if given is not None:
        if given not in table.columns:
            raise InputError(
                f"no column {given!r} for {role}; the columns are {', '.join(map(str, table.columns))}."
            )
        return given
    folded = {str(c).strip().casefold(): c for c in table.columns}
    for name in candidates:
        if name in folded:
            return folded[name]
    return None


def table_to_points(
    table: pd.DataFrame,
    *,
    lon: str | None = None,
    lat: str | None = None,
    wkt: str | None = None,
    crs: Any = None,
    datum: str = "wgs84",
    source: str = "table",
    missing_coordinates: MissingCoordinates = "keep",
) -> gpd.GeoDataFrame:
    """Turn a table with coordinate (or WKT) columns into a GeoDataFrame.

    The coordinate columns are consumed into the geometry.  Non-numeric
    coordinates are refused, naming the rows (spreadsheet numbering, header =
    row 1).

    Parameters
    ----------
    missing_coordinates : {"keep", "error"}, default "keep"
        A row with a blank coordinate (or WKT) cell: ``"keep"`` keeps it with
        a missing geometry and warns, naming the rows; ``"error"`` refuses the
        table, naming the rows and the fix.  Rows are never dropped.

    Examples
    --------
    >>> t = pd.DataFrame({"名称": ["柳州站"], "lng": [109.43], "lat": [24.33]})
    >>> table_to_points(t).geometry.iloc[0].wkt
    'POINT (109.43 24.33)'
    """
    if missing_coordinates not in ("keep", "error"):
        raise InputError(f"missing_coordinates: must be 'keep' or 'error', got {missing_coordinates!r}.")
    lon_col = lat_col = wkt_col = None
    if wkt is not None:
        wkt_col = _find_column(table, wkt, _WKT_NAMES, "WKT geometry")
    else:
        lon_col = _find_column(table, lon, _LON_NAMES, "longitude/x")
        lat_col = _find_column(table, lat, _LAT_NAMES, "latitude/y")
        if (lon_col is None or lat_col is None) and lon is None and lat is None:
            wkt_col = _find_column(table, None, _WKT_NAMES, "WKT geometry")
    if wkt_col is not None:
        values = table[wkt_col]
        geoms = []
        bad = []
        for position, value in enumerate(values):
            if value is None or (isinstance(value, float) and np.isnan(value)):
                geoms.append(None)
                continue
            try:
                geoms.append(shapely.from_wkt(str(value)))
            except shapely.errors.GEOSException:
                bad.append(position)
                geoms.append(None)
        if bad:
            raise InputError(
                f"{source}: column {wkt_col!r} holds text that is not WKT in {describe_rows(spreadsheet_rows(table, bad))}."
            )
        blank = np.flatnonzero(np.array([g is None for g in geoms], dtype=bool))
        _report_blank(table, blank, [wkt_col], source=source, how=missing_coordinates)
        gdf = gpd.GeoDataFrame(table.drop(columns=wkt_col), geometry=geoms, crs=crs or "EPSG:4326")
        return _apply_datum(gdf, datum, source)
    if lon_col is None or lat_col is None:
        raise InputError(
            f"{source}: found no coordinate columns (looked for {'/'.join(_LON_NAMES)} and "
            f"{'/'.join(_LAT_NAMES)}, or wkt); the columns are {', '.join(map(str, table.columns))}. "
            "Name the columns lon and lat (or 经度 and 纬度), or geocode the table by place names "
            "(gis.geocode_table, `lzgis geocode`)."
        )
    coords = {}
    problems = []
    for column in (lon_col, lat_col):
        values = table[column].map(lambda v: normalise_number(v) if isinstance(v, str) else v)
        numbers = pd.to_numeric(values, errors="coerce").astype(float)
        written = table[column].notna() & (table[column].astype(str).str.strip() != "")
        bad = (numbers.isna() & written) | np.isinf(numbers)
        if bad.any():
            rows = spreadsheet_rows(table, np.flatnonzero(bad.to_numpy()))
            shown = ", ".join(f"row {r}: {v!r}" for r, v in zip(rows, table[column][bad.to_numpy()][:5]))
            problems.append(f"column {column!r} holds {len(rows)} value(s) that are not finite numbers ({shown}"
                            f"{' …' if len(rows) > 5 else ''})")
        coords[column] = numbers.where(~np.isinf(numbers))
    if problems:
        raise InputError(
            f"{source}: " + "; ".join(problems) + " (spreadsheet numbering: header = row 1); coordinates must be "
            "decimal numbers (e.g. 109.43, not 东经109°25′ or NaN)."
        )
    x, y = coords[lon_col].to_numpy(), coords[lat_col].to_numpy()
    present = ~(np.isnan(x) | np.isnan(y))
    _report_blank(table, np.flatnonzero(~present), [lon_col, lat_col], source=source, how=missing_coordinates)
    if crs is None and present.any():
        _refuse_swapped(x, y, table, source=source, lon_col=lon_col, lat_col=lat_col)
    geoms = np.full(len(table), None, dtype=object)
    geoms[present] = shapely.points(x[present], y[present])
    rest = table.drop(columns=[lon_col, lat_col])
    gdf = gpd.GeoDataFrame(rest, geometry=list(geoms), crs=None)
    if crs is not None:
        gdf = gdf.set_crs(crs)
    elif present.any() and (np.abs(x[present]) <= 180).all() and (np.abs(y[present]) <= 90).all():
        gdf = gdf.set_crs("EPSG:4326")
    elif present.any():
        from .crs import detect_crs

        gdf = gdf.set_crs(detect_crs(gdf, layer=source))
    else:
        gdf = gdf.set_crs("EPSG:4326")
    return _apply_datum(gdf, datum, source)


def normalise_number(text: str) -> str:
    """A number as typed, NFKC-normalised: full-width digits and punctuation (１０９．４３, －５) become ASCII.

    >>> normalise_number("１０９．４３"), normalise_number(" －５ ")
    ('109.43', '-5')
    """
    return unicodedata.normalize("NFKC", text).strip().replace("−", "-")


def _refuse_swapped(x: np.ndarray, y: np.ndarray, table: pd.DataFrame, *, source: str, lon_col: str,
                    lat_col: str) -> None:
    """Refuse rows whose lon/lat lie in Liuzhou only when read the other way round (latitude in the lon column)."""
    from .city import profile
    from .crs import in_city as in_liuzhou

    with np.errstate(invalid="ignore"):
        swapped = ~in_liuzhou(x, y, margin_deg=0.5) & in_liuzhou(y, x, margin_deg=0.5)
    if swapped.any():
        rows = spreadsheet_rows(table, np.flatnonzero(swapped))
        first = int(np.flatnonzero(swapped)[0])
        raise InputError(
            f"{source}: {describe_rows(rows)}: {lon_col!r} and {lat_col!r} look swapped "
            f"({x[first]:g}, {y[first]:g} lies in {profile().name_en} only read as latitude, longitude). Swap those cells "
            "(or the column names); `lzgis geocode` corrects such rows and flags them swapped_corrected."
        )


def _report_blank(table: pd.DataFrame, positions: np.ndarray, columns: list[str], *, source: str,
                  how: MissingCoordinates) -> None:
    """Warn about (``"keep"``) or refuse (``"error"``) rows with a blank coordinate cell."""
    if len(positions) == 0:
        return
    where = describe_rows(spreadsheet_rows(table, positions))
    rows = set(spreadsheet_rows(table, positions))
    formulas = [f"row {r} {c!r} {t}" for r, c, t in table.attrs.get("formula_cells", []) if c in columns and r in rows]
    if formulas:
        where += f" (formula cells without a saved value: {'; '.join(formulas[:5])})"
    cells = " or ".join(repr(str(c)) for c in columns)
    verb, pronoun = ("has", "it has") if len(positions) == 1 else ("have", "they have")
    if how == "error":
        raise InputError(
            f"{source}: {where} {verb} a blank {cells} cell, so {pronoun} no position. Fill in the coordinates, "
            "delete those rows, or place them by name first (`lzgis geocode`, gis.geocode_table)."
        )
    warnings.warn(
        f"{source}: {where} {verb} a blank {cells} cell; kept without geometry "
        "(analyses refuse them: fill in the coordinates or delete those rows).",
        UserWarning,
        stacklevel=3,
    )


def _apply_datum(gdf: gpd.GeoDataFrame, datum: str, source: str) -> gpd.GeoDataFrame:
    key = datum.lower().replace("-", "").replace("_", "")
    if key in ("wgs84", "cgcs2000"):
        return gdf
    if key not in ("gcj02", "bd09"):
        raise InputError(f"{source}: unknown datum {datum!r}; use wgs84, cgcs2000, gcj02 or bd09.")
    if gdf.crs is None or not gdf.crs.is_geographic:
        raise CRSError(f"{source}: datum {datum!r} applies to lon/lat coordinates, but these are projected.")
    from .datum import convert_gdf

    return convert_gdf(gdf, src=key, dst="wgs84")
