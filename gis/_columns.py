"""Chinese titles, units and number formats of machine column names, read from ``layers/columns.yaml``.

Every workbook the package writes shows these titles in its first row (the
machine names go to a ``字段说明`` sheet) and its numbers through these
formats; QGIS field aliases may read the same file.  The Python API and the
data formats keep the machine names (``area_ha``, ``precision_m`` …).

Exact names are looked up first, then the file's ``patterns`` (generated
names such as ``<class>_area_ha`` → ``<class> 面积（公顷）``).  ``values``
lists the codes shown in Chinese in the reports people read (``matched`` →
``已定位``, ``inside`` → ``占用`` …).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pandas as pd

from ._errors import LayerError
from .city import profile, shipped_root
from .layers import layers_dir, read_yaml

__all__ = ["column_title", "column_format", "column_unit", "column_note", "value_title", "column_spec",
           "reading_columns", "has_codes", "values_for_reading", "FIELDS_SHEET", "FIELDS_HEADER"]

#: The sheet that maps a workbook's Chinese titles back to machine names.
FIELDS_SHEET = "字段说明"
#: Its columns: the sheet, the title shown (字段), the machine name, the unit and a note.
FIELDS_HEADER = ("工作表", "字段", "机器名", "单位", "说明")
_KEYS = ("title", "unit", "format", "note")


def _columns_file() -> Path:
    """``columns.yaml`` of the layers folder in use, else the shipped one (a user's layers copy may lack it)."""
    return _columns_file_in(layers_dir())


@functools.lru_cache(maxsize=8)
def _columns_file_in(root: Path) -> Path:
    path = root / "columns.yaml"
    if path.is_file():
        return path
    return shipped_root() / "columns.yaml"


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Any]:
    data = read_yaml(path) or {}
    columns = data.get("columns") or {}
    bad = [str(k) for k, v in columns.items() if not isinstance(v, dict) or not v.get("title")]
    if bad:
        raise LayerError(f"{path}: columns {', '.join(bad)} need a title ({{title: …}}); fix them.")
    patterns = []
    for entry in data.get("patterns") or []:
        try:
            patterns.append((re.compile(entry["match"]), entry))
        except (KeyError, TypeError, re.error) as exc:
            raise LayerError(f"{path}: pattern {entry!r} needs match: a regular expression ({exc}).") from exc
    values = {str(k): dict(v) for k, v in (data.get("values") or {}).items()}
    return {"columns": {str(k): v for k, v in columns.items()}, "patterns": patterns, "values": values}


def _data() -> dict[str, Any]:
    return _for_city(_columns_file(), profile().outside_text)


@functools.lru_cache(maxsize=4)
def _for_city(path: Path, outside: str) -> dict[str, Any]:
    """``path``'s data with ``{outside}`` in titles and value names replaced by the city's 市域外 wording."""
    data = _load(path)

    def fill(v: Any) -> Any:
        return v.replace("{outside}", outside) if isinstance(v, str) else v

    columns = {k: {kk: fill(vv) for kk, vv in v.items()} for k, v in data["columns"].items()}
    values = {k: {kk: fill(vv) for kk, vv in v.items()} for k, v in data["values"].items()}
    return {**data, "columns": columns, "values": values}


def column_spec(name: str) -> dict[str, str] | None:
    """``{title, unit, format, note}`` of a machine column name (missing keys left out), or None if unknown.

    Examples
    --------
    >>> column_spec("area_ha")["format"], column_spec("生态保护红线_area_mu")["title"], column_spec("名称")
    ('0.00', '生态保护红线 面积（亩）', None)
    """
    data = _data()
    name = str(name)
    spec = data["columns"].get(name)
    if spec is not None:
        return {k: str(spec[k]) for k in _KEYS if spec.get(k) is not None}
    for pattern, entry in data["patterns"]:
        found = pattern.fullmatch(name)
        if found:
            groups = found.groupdict()
            return {k: str(entry[k]).format(**groups) for k in _KEYS if entry.get(k) is not None}
    return None


def column_title(name: str) -> str | None:
    """The Chinese title of a machine column name, or None when the file has none.

    Examples
    --------
    >>> column_title("share_pct"), column_title("永久基本农田_area_ha"), column_title("项目名称")
    ('占比（%）', '永久基本农田 面积（公顷）', None)
    """
    spec = column_spec(name)
    return None if spec is None else spec["title"]


def column_format(name: str) -> str | None:
    """The Excel number format a column's values are shown with (``"0.00"`` for hectares …), or None.

    Examples
    --------
    >>> column_format("area_mu"), column_format("precision_m"), column_format("lon"), column_format("name")
    ('0.0', '0', '0.000000', None)
    """
    spec = column_spec(name)
    return None if spec is None else spec.get("format")


def column_unit(name: str) -> str | None:
    """The unit of a column (``公顷``, ``米`` …), or None."""
    spec = column_spec(name)
    return None if spec is None else spec.get("unit")


def column_note(name: str) -> str | None:
    """A one-line explanation of a column for the 字段说明 sheet, or None."""
    spec = column_spec(name)
    return None if spec is None else spec.get("note")


def value_title(column: str, value: Any) -> Any:
    """A code of a column as people read it (``status`` ``matched`` → ``已定位``); other values unchanged.

    ``flags`` hold ``;``-separated codes; each is shown.

    Examples
    --------
    >>> value_title("status", "matched"), value_title("verdict", "may_touch"), value_title("name", "matched")
    ('已定位', '可能涉及', 'matched')
    >>> value_title("flags", "outside_liuzhou;bad_coordinates"), value_title("estimate", True)
    ('柳州市域外；坐标无法读取', '是')
    """
    table = _data()["values"].get(str(column))
    if table is None or value is None:
        return value
    if isinstance(value, str) and ";" in value:
        return "；".join(str(table.get(part, part)) for part in value.split(";") if part)
    try:
        return table.get(value, value)
    except TypeError:  # an unhashable cell
        return value


def reading_columns(columns: list[str]) -> dict[str, str]:
    """``{machine name: title shown}`` for a sheet's columns: titles from the file, unknown names kept.

    Titles are unique within a sheet: a title that another column already
    shows (or that is another column's own name) gets the machine name in
    brackets.

    Examples
    --------
    >>> reading_columns(["名称", "name", "area_ha", "备注"])
    {'名称': '名称', 'name': '名称（name）', 'area_ha': '面积（公顷）', '备注': '备注'}
    """
    names = [str(c) for c in columns]
    taken = set(names)
    out: dict[str, str] = {}
    shown: set[str] = set()
    for name in names:
        title = column_title(name)
        if title is None or title == name:
            out[name] = name
            shown.add(name)
    for name in names:
        if name in out:
            continue
        title = column_title(name)
        if title in shown or (title in taken and title != name):
            title = f"{title}（{name}）"
        out[name] = title
        shown.add(title)
    return {name: out[name] for name in names}


def has_codes(column: str) -> bool:
    """Whether the file lists Chinese words for the codes of ``column`` (``status``, ``verdict`` …)."""
    return str(column) in _data()["values"]


def values_for_reading(series: pd.Series) -> pd.Series:
    """A column's codes as people read them (see :func:`value_title`); columns without codes unchanged."""
    if not has_codes(str(series.name)):
        return series
    return pd.Series([value_title(str(series.name), v) for v in series], index=series.index, dtype=object)
