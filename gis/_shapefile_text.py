"""Text rules of a Shapefile (DBF) export: encodings, byte limits of fields and names, short field names, texts
cut at a character boundary with the whole text kept beside them, and values a DBF would change.

Split from :mod:`gis.export`, which writes the Shapefile with them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ._cells import raise_problems as _raise_problems
from ._errors import InputError

#: Written only when some text was cut to the DBF limit: the whole texts (columns fid, field, text).
SHAPEFILE_FULLTEXT = ".fulltext.csv"
_ENCODINGS = {"utf-8": ("utf-8", "UTF-8"), "utf8": ("utf-8", "UTF-8"),
              "gbk": ("gbk", "GBK"), "cp936": ("gbk", "GBK"), "936": ("gbk", "GBK")}
_DBF_NAME_BYTES = 10
_DBF_TEXT_BYTES = 254


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)


def _attribute_columns(frame: pd.DataFrame) -> list[str]:
    geom = frame._geometry_column_name if isinstance(frame, gpd.GeoDataFrame) else None
    return [c for c in frame.columns if c != geom]


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
