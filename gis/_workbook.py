"""Excel workbooks of several sheets (the review's 汇总 / 明细 / 说明), written atomically.

Cells keep their types; text that starts with ``=`` stays text, never a formula
(the rule of :func:`gis.export.export`).  Geometry columns become WGS-84
``lon``/``lat`` or ``wkt`` (:func:`gis.export.table_for_export`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ._errors import InputError, require
from ._io import atomic_write
from .export import _EXCEL_ROWS, _excel_value, table_for_export


def write_workbook(sheets: dict[str, pd.DataFrame], path: str | os.PathLike) -> Path:
    """Write ``{sheet name: table}`` to one .xlsx file (atomically); returns the path.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.xlsx"
    >>> _ = write_workbook({"汇总": pd.DataFrame({"a": ["=1+1"]}), "说明": pd.DataFrame({"b": [1]})}, p)
    >>> book = openpyxl.load_workbook(p)
    >>> book.sheetnames, book["汇总"]["A2"].value, book["汇总"]["A2"].data_type
    (['汇总', '说明'], '=1+1', 's')
    """
    openpyxl = require("openpyxl", extra="excel", feature="Excel export")
    path = Path(path)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, frame in sheets.items():
        table = table_for_export(frame)
        if len(table) + 1 > _EXCEL_ROWS:
            raise InputError(f"{path.name}: sheet {name!r} has {len(table)} rows, over Excel's {_EXCEL_ROWS - 1}; "
                             "write CSV or GeoPackage instead.")
        ws = book.create_sheet(title=name)
        ws.append([str(c) for c in table.columns])
        for values in table.itertuples(index=False, name=None):
            ws.append([_excel_value(v) for v in values])
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text, not a formula
        ws.freeze_panes = "A2"
    with atomic_write(path) as tmp:
        book.save(tmp)
    return path
