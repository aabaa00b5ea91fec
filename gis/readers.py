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
"""

from __future__ import annotations

import codecs
import itertools
import os
import re
import unicodedata
import warnings
from pathlib import Path
from typing import Any, Callable, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import CRSError, InputError, require

MissingCoordinates = Literal["keep", "error"]
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
_LON_NAMES = ("lon", "lng", "long", "longitude", "经度", "x")
_LAT_NAMES = ("lat", "latitude", "纬度", "y")
_WKT_NAMES = ("wkt", "geometry", "geom")
_CPG_CODECS = {
    "utf-8": "utf-8", "utf8": "utf-8", "65001": "utf-8",
    "gbk": "gbk", "936": "gbk", "cp936": "gbk", "ansi 936": "gbk", "gb2312": "gbk", "gb18030": "gb18030",
    "big5": "big5", "950": "big5", "1252": "cp1252", "ansi 1252": "cp1252",
    "8859_1": "latin-1", "iso-8859-1": "latin-1", "iso88591": "latin-1",
}
_NUMBER = re.compile(r"^[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|inf)$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_LEADING_ZERO = re.compile(r"^[+-]?0\d")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$")


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
        ``.xlsx``, or any other format GDAL reads.
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


def _require_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: file not found. Check the path (relative to {Path.cwd()}).")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give the path of a file in it.")


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


def _codec_label(codec: str) -> str:
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gbk": "GBK"}.get(codec.lower(), codec.upper())


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


# ---------------------------------------------------------------- tables

_BOMS = (  # UTF-32 before UTF-16: the UTF-32-LE mark starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_ENCODING_FIX = "pass its encoding (encoding=... in Python, --input-encoding on the command line)"


def decode_text(path: str | os.PathLike, encoding: str | None = None) -> tuple[str, str]:
    """The text of a CSV/TXT file and the label of the encoding that decoded it.

    ``encoding=None``: a byte-order mark decides (UTF-8, UTF-16, UTF-32); without
    one, strict UTF-8, else GBK with a warning; anything else is refused,
    naming the failing lines and the fix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.txt"
    >>> _ = p.write_bytes("名称\\t经度\\n柳州站\\t109.43\\n".encode("utf-16"))
    >>> text, label = decode_text(p)
    >>> text.splitlines()[1], label
    ('柳州站\\t109.43', 'UTF-16')
    """
    path = Path(path)
    data = path.read_bytes()
    if encoding is not None:
        codec = _CPG_CODECS.get(encoding.lower(), encoding)
        try:
            codecs.lookup(codec)
        except LookupError:
            raise InputError(
                f"{path}: unknown encoding {encoding!r}; give a Python codec name such as utf-8, gbk, "
                "gb18030, utf-16 or big5."
            ) from None
        try:
            text = data.decode("utf-8-sig" if codec == "utf-8" else codec)
        except UnicodeDecodeError as exc:
            line = data[: exc.start].decode(codec, errors="replace").count("\n") + 1
            raise InputError(
                f"{path}: is not {_codec_label(codec)} (line {line}); {_ENCODING_FIX} with the right one."
            ) from exc
        return text.removeprefix("\ufeff"), _codec_label(codec)
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec).removeprefix("\ufeff"), label
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{path}: starts with a {label} byte-order mark but is not valid {label} "
                    f"(byte {exc.start}); save it again as UTF-8, or {_ENCODING_FIX}."
                ) from exc
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as exc:
        utf8_line = data[: exc.start].count(b"\n") + 1
    try:
        text = data.decode("gbk")
    except UnicodeDecodeError as exc:
        gbk_line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path}: is neither UTF-8 (fails on line {utf8_line}) nor GBK (fails on line {gbk_line}) and has "
            f"no byte-order mark; save it as UTF-8, or {_ENCODING_FIX}, e.g. --input-encoding big5."
        ) from exc
    warnings.warn(f"{path.name}: is not UTF-8 (line {utf8_line}); decoded as GBK.", UserWarning, stacklevel=3)
    return text, "GBK"


def _infer_column(values: pd.Series) -> pd.Series:
    """Text column → numbers/bools/datetimes only when that loses nothing (no leading zeros)."""
    present = values[values != ""]
    out = values.where(values != "", None).astype(object)
    if present.empty:
        return pd.Series(np.nan, index=values.index, dtype=float)
    if _all_match(present, _NUMBER_LINE, lambda v: bool(_NUMBER.match(v)) and not _LEADING_ZERO.match(v)):
        if _all_match(present, _INTEGER_LINE, lambda v: bool(_INTEGER.match(v))) and len(present) == len(values):
            try:
                return out.map(int).astype("int64")
            except OverflowError:
                return out
        return pd.to_numeric(out, errors="coerce").astype(float)
    if present.isin(["True", "False"]).all() and len(present) == len(values):
        return out.map({"True": True, "False": False}).astype(bool)
    if _all_match(present, _ISO_DATETIME_LINE, lambda v: bool(_ISO_DATETIME.match(v))):
        return pd.to_datetime(out, format="ISO8601")
    return out


#: The patterns above, one value per line of a joined column (``$`` before each line break).
_NUMBER_LINE = re.compile(r"^(?![+-]?0\d)[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf)$", re.M)
_INTEGER_LINE = re.compile(r"^[+-]?\d+$", re.M)
_ISO_DATETIME_LINE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?$", re.M)


def _all_match(values: pd.Series, line_pattern: re.Pattern, cell: Callable[[str], bool]) -> bool:
    """Whether ``cell`` holds for every value, as one scan of the joined column with ``line_pattern``
    (the same test, a value per line) instead of a match per cell; values holding a line break are
    tested cell by cell."""
    texts = values.tolist()
    joined = "\n".join(texts)
    if joined.count("\n") + joined.count("\r") != len(texts) - 1:
        return all(cell(t) for t in texts)
    return len(line_pattern.findall(joined)) == len(texts)


def _csv_cells(text: str, sep: str, path: Path) -> tuple[list[list[tuple[str, bool]]], list[int]]:
    """RFC 4180 cells as (text, was_quoted), and each kept record's spreadsheet row number.

    Quoting tells text columns from numbers.  Blank records are dropped, but
    the row numbers still count them (a spreadsheet shows them as rows).  A
    text without quotes is split by lines and separators (the same cells, far
    faster than the cell-by-cell parse quoted text needs).
    """
    if '"' not in text:
        lines = _LINE_BREAK.split(text)
        if lines and lines[-1] == "":  # the text ends with a line break
            lines.pop()
        unquoted = itertools.repeat(False)
        if "" not in lines:
            return [list(zip(line.split(sep), unquoted)) for line in lines], list(range(1, len(lines) + 1))
        return ([list(zip(line.split(sep), unquoted)) for line in lines if line != ""],
                [i + 1 for i, line in enumerate(lines) if line != ""])
    rows = _quoted_csv_rows(text, sep, path)
    kept = [(i + 1, r) for i, r in enumerate(rows) if r != [("", False)]]
    return [r for _, r in kept], [i for i, _ in kept]


_LINE_BREAK = re.compile(r"\r\n|\n|\r")


def _quoted_csv_rows(text: str, sep: str, path: Path) -> list[list[tuple[str, bool]]]:
    """The records of a CSV text with quotes, cell by cell."""
    field = re.compile(r'"((?:[^"]|"")*)"|([^' + re.escape(sep) + r'"\r\n]*)')
    rows: list[list[tuple[str, bool]]] = []
    row: list[tuple[str, bool]] = []
    pos, end = 0, len(text)
    while pos < end:
        match = field.match(text, pos)
        if match.group(1) is not None:
            row.append((match.group(1).replace('""', '"'), True))
        else:
            row.append((match.group(2), False))
        pos = match.end()
        if pos >= end:
            break
        char = text[pos]
        if char == sep:
            pos += 1
            if pos >= end:
                row.append(("", False))
        elif char in "\r\n":
            rows.append(row)
            row = []
            pos += 2 if text.startswith("\r\n", pos) else 1
        else:
            line = text.count("\n", 0, pos) + 1
            raise InputError(f"{path}: line {line} has a stray quote; quote the whole cell (\"a \"\"b\"\"\").")
    if row:
        rows.append(row)
    return rows


def spreadsheet_rows(table: pd.DataFrame, positions: np.ndarray | list[int]) -> list[int]:
    """Spreadsheet row numbers (header = row 1) of the table rows at ``positions``.

    Tables from :func:`read_table` remember where blank rows were skipped;
    any other table counts its first row as row 2.

    Examples
    --------
    >>> spreadsheet_rows(pd.DataFrame({"a": [1, 2, 3]}), [0, 2])
    [2, 4]
    """
    numbers = table.attrs.get("source", {}).get("row_numbers")
    if numbers is None:
        return [int(p) + 2 for p in positions]
    return [int(numbers[p]) for p in positions]


def describe_rows(numbers: list[int], *, limit: int = 10) -> str:
    """``"row 2"`` / ``"rows 2, 5 and 3 more"``, followed by what the numbering means.

    Examples
    --------
    >>> describe_rows([2])
    'row 2 (spreadsheet numbering: header = row 1)'
    """
    shown = ", ".join(map(str, numbers[:limit]))
    more = f" and {len(numbers) - limit} more" if len(numbers) > limit else ""
    noun = "row" if len(numbers) == 1 else "rows"
    return f"{noun} {shown}{more} (spreadsheet numbering: header = row 1)"


def _separator(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    if suffix == ".txt":  # Excel's "Unicode text" and "Text (tab delimited)" are tab separated
        header = text.split("\n", 1)[0]
        if "\t" in header and "," not in header:
            return "\t"
    return ","


def _parse_csv(text: str, *, sep: str, path: Path, as_text: bool = False) -> pd.DataFrame:
    rows, numbers = _csv_cells(text, sep, path)
    if not rows:
        raise InputError(f"{path}: is empty; it needs a header row.")
    header = [name for name, _ in rows[0]]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputError(f"{path}: repeats the column name(s) {', '.join(dupes)}; rename them.")
    bad = [numbers[i] for i, r in enumerate(rows[1:], start=1) if len(r) != len(header)]
    if bad:
        raise InputError(
            f"{path}: {describe_rows(bad)} {'does' if len(bad) == 1 else 'do'} not have the {len(header)} cells of the header; "
            "check for unquoted separators."
        )
    columns = {}
    for j, name in enumerate(header):
        cells = [r[j] for r in rows[1:]]
        values = pd.Series([c[0] for c in cells], dtype=object)
        quoted = any(q and v != "" for v, q in cells)
        if as_text:
            columns[name] = values.where(pd.Series([v != "" or q for v, q in cells], dtype=bool), None)
        elif quoted:  # written as text: stays text ("" is empty text, a bare empty cell is missing)
            missing = pd.Series([v == "" and not q for v, q in cells], dtype=bool)
            present = values[~missing]
            if len(present) and present.map(lambda v: bool(_ISO_DATETIME.match(v))).all():
                columns[name] = pd.to_datetime(values.where(~missing, None), format="ISO8601")
            else:
                columns[name] = values.where(~missing, None)
        else:
            columns[name] = _infer_column(values)
    table = pd.DataFrame(columns, index=pd.RangeIndex(len(rows) - 1))
    data_numbers = numbers[1:]
    table.attrs["row_numbers"] = _compact_row_numbers(data_numbers)
    return table


def _compact_row_numbers(numbers: list[int]) -> tuple[int, ...] | None:
    """``None`` when data rows are rows 2, 3, 4 … (the usual case: nothing to remember)."""
    if all(n == i + 2 for i, n in enumerate(numbers)):
        return None
    return tuple(numbers)


def read_table(
    path: str | os.PathLike,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    as_text: bool = False,
) -> pd.DataFrame:
    """Read a CSV/TSV or Excel table without losing leading zeros or Chinese text.

    CSV is decoded by its byte-order mark (UTF-8, UTF-16, UTF-32), else as
    UTF-8, else GBK with a warning (:func:`decode_text`); a column becomes
    numeric only when every value is a number written without a leading zero
    (so ``0772`` area codes stay text).  Empty cells are missing values.

    Parameters
    ----------
    path : path-like
        ``.csv``, ``.tsv``, ``.txt`` (comma separated, or tab separated when
        the header has tabs and no commas, as Excel's "Unicode text") or ``.xlsx``.
    sheet : str or int, optional
        Excel sheet (default: the first).
    encoding : str, optional
        The text encoding of a CSV/TXT file (any Python codec name: ``"utf-16"``,
        ``"gb18030"``, ``"big5"`` …); default ``None`` detects it as above.
    as_text : bool, default False
        Keep every value as the text written (``"109.410"`` keeps its decimals,
        Excel numbers become their ``str``); empty cells are ``None``.

    Returns
    -------
    pandas.DataFrame
        ``attrs["source"]``: ``path``, ``format``, ``layer`` (sheet), ``encoding``
        (the label of the one that decoded it) and ``row_numbers`` (``None``
        unless blank rows were skipped; see :func:`spreadsheet_rows`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_bytes("区号,人口\\n0772,415\\n".encode("gbk"))
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     t = read_table(p)
    >>> t["区号"].iloc[0], int(t["人口"].iloc[0]), t.attrs["source"]["encoding"]
    ('0772', 415, 'GBK')
    """
    path = Path(path)
    _require_file(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise InputError(f"{path}: the old .xls format is not read; save it as .xlsx (Excel 2007+) or CSV.")
    if suffix in (".xlsx", ".xlsm"):
        table = _read_excel(path, sheet, as_text=as_text)
        source = {"path": str(path), "format": "xlsx", "layer": table.attrs.pop("sheet"), "encoding": None}
    else:
        text, label = decode_text(path, encoding)
        table = _parse_csv(text, sep=_separator(text, suffix), path=path, as_text=as_text)
        source = {"path": str(path), "format": suffix.lstrip("."), "layer": None, "encoding": label}
    source["row_numbers"] = table.attrs.pop("row_numbers", None)
    table.attrs["source"] = source
    return table


def _read_excel(path: Path, sheet: str | int | None, *, as_text: bool = False) -> pd.DataFrame:
    openpyxl = require("openpyxl", extra="excel", feature="reading Excel tables")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(f"{path}: cannot be opened as an Excel workbook ({exc}).") from exc
    try:
        names = book.sheetnames
        if sheet is None:
            name = names[0]
        elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit() and sheet not in names):
            index = int(sheet)
            if not 0 <= index < len(names):
                raise InputError(f"{path}: has {len(names)} sheet(s) ({', '.join(names)}); no sheet number {index}.")
            name = names[index]
        elif sheet in names:
            name = sheet
        else:
            raise InputError(f"{path}: has no sheet {sheet!r}; its sheets are {', '.join(names)}.")
        rows = list(book[name].iter_rows(values_only=True))
    finally:
        book.close()
    formulas = _unsaved_formulas(path, name, rows)
    if not rows:
        raise InputError(f"{path}: sheet {name!r} is empty; it needs a header row.")
    header = [str(h) if h is not None else f"column_{i + 1}" for i, h in enumerate(rows[0])]
    table = pd.DataFrame(rows[1:], columns=header)
    table = table.dropna(how="all")
    row_numbers = _compact_row_numbers([int(i) + 2 for i in table.index])
    table = table.reset_index(drop=True)
    for column in table.columns:
        if as_text:
            cells = [None if v is None or v != v else str(v) for v in table[column]]
            table[column] = pd.Series(cells, index=table.index, dtype=object)
        else:
            table[column] = _typed_excel_column(table[column])
    table.attrs["sheet"] = name
    table.attrs["row_numbers"] = row_numbers
    if formulas:
        cells = [(row, header[col] if col < len(header) else f"column_{col + 1}", text) for row, col, text in formulas]
        table.attrs["formula_cells"] = cells
        shown = "; ".join(f"row {r} column {c!r}: {t}" for r, c, t in cells[:10])
        more = f" and {len(cells) - 10} more" if len(cells) > 10 else ""
        warnings.warn(
            f"{path}: {len(cells)} formula cell(s) have no saved value ({shown}{more}; spreadsheet numbering); "
            "they read as blank. The file was written by a program that does not compute formulas: open and "
            "save it in Excel or WPS, or type the values.", UserWarning, stacklevel=4)
    return table


def _unsaved_formulas(path: Path, sheet: str, values: list[tuple]) -> list[tuple[int, int, str]]:
    """``(spreadsheet row, column position, formula)`` of formula cells whose saved value is missing."""
    import openpyxl

    blank = {(r, c) for r, row in enumerate(values) for c, v in enumerate(row) if v is None}
    if not blank:
        return []
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        found = []
        for r, row in enumerate(book[sheet].iter_rows(values_only=True)):
            for c, v in enumerate(row):
                if isinstance(v, str) and v.startswith("=") and (r, c) in blank:
                    found.append((r + 1, c, v))
                elif v is not None and type(v).__name__ in ("ArrayFormula", "DataTableFormula") and (r, c) in blank:
                    found.append((r + 1, c, str(getattr(v, "text", v))))
        return found
    finally:
        book.close()


def _typed_excel_column(series: pd.Series) -> pd.Series:
    present = series.dropna()
    if present.empty:
        return series.astype(float)
    if present.map(lambda v: isinstance(v, bool)).all():
        return series if len(present) < len(series) else series.astype(bool)
    if present.map(lambda v: isinstance(v, int) and not isinstance(v, bool)).all():
        return series.astype("int64") if len(present) == len(series) else series.astype(float)
    if present.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).all():
        return series.astype(float)
    if present.map(lambda v: hasattr(v, "isoformat") and hasattr(v, "hour")).all():
        return pd.to_datetime(series)
    return series.astype(object).where(series.notna(), None)


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
    from .crs import in_liuzhou

    with np.errstate(invalid="ignore"):
        swapped = ~in_liuzhou(x, y, margin_deg=0.5) & in_liuzhou(y, x, margin_deg=0.5)
    if swapped.any():
        rows = spreadsheet_rows(table, np.flatnonzero(swapped))
        first = int(np.flatnonzero(swapped)[0])
        raise InputError(
            f"{source}: {describe_rows(rows)}: {lon_col!r} and {lat_col!r} look swapped "
            f"({x[first]:g}, {y[first]:g} lies in Liuzhou only read as latitude, longitude). Swap those cells "
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
