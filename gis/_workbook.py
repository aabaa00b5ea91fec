"""Excel workbooks of several sheets (the review's 汇总 / 明细 / 说明), written atomically, for people to read.

Every sheet shows the Chinese titles of ``layers/columns.yaml`` in its first
row and codes in Chinese (``inside`` → ``占用``; a code column beside its
``_zh`` twin is left out), numbers through the file's formats (公顷 ``0.00``,
亩 ``0.0``, % ``0.0``), columns fitted, the header frozen and filtered; the
last sheet ``字段说明`` maps every title back to its machine name
(:func:`gis.export.export` describes the rules).  Cells keep their types; text, column names included, stays text, never a
formula, and formula-like text gets Excel's quote prefix (the rule of
:func:`gis.export.export`, decided by :func:`gis._cells.formula_like`).  Geometry columns become WGS-84
``lon``/``lat`` or ``wkt`` (:func:`gis.export.table_for_export`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ._errors import InputError
from ._xlsx import _EXCEL_ROWS, _write_sheets
from .export import _nullable_as_objects, table_for_export


def write_workbook(sheets: dict[str, pd.DataFrame], path: str | os.PathLike, *, headers: str = "zh") -> Path:
    """Write ``{sheet name: table}`` to one .xlsx file (atomically); returns the path.

    ``headers="machine"`` keeps the machine names and the codes (no ``字段说明`` sheet).

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.xlsx"
    >>> _ = write_workbook({"汇总": pd.DataFrame({"a": ["=1+1"]}), "说明": pd.DataFrame({"b": [1]})}, p)
    >>> book = openpyxl.load_workbook(p)
    >>> book.sheetnames, book["汇总"]["A2"].value, book["汇总"]["A2"].data_type
    (['汇总', '说明', '字段说明'], '=1+1', 's')
    """
    path = Path(path)
    tables = {}
    for name, frame in sheets.items():
        table = _nullable_as_objects(table_for_export(frame))  # <NA> → empty cells, as export writes them
        if len(table) + 1 > _EXCEL_ROWS:
            raise InputError(f"{path.name}: sheet {name!r} has {len(table)} rows, over Excel's {_EXCEL_ROWS - 1}; "
                             "write CSV or GeoPackage instead.")
        tables[name] = table
    if headers not in ("zh", "machine"):
        raise InputError(f"{path.name}: headers must be 'zh' or 'machine', got {headers!r}.")
    _write_sheets(tables, path, headers=headers, values=headers == "zh")
    return path
