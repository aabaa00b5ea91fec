"""Excel workbooks as people read them: Chinese titles in row 1, number formats, fitted widths, a frozen and
filtered header and a 字段说明 sheet; every text cell through the one formula rule (:mod:`gis._cells`).

Split from :mod:`gis.export` (whose ``_write_xlsx`` writes one sheet through :func:`_write_sheets`); :mod:`gis._workbook` writes
several sheets through :func:`_write_sheets`.
"""

from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._cells import formula_like
from ._cells import raise_problems as _raise_problems
from ._errors import InputError, require
from ._io import atomic_write

_EXCEL_TEXT_CHARS = 32767
_EXCEL_ROWS = 1_048_576


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
