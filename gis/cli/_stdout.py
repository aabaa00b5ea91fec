"""Standard input and output of the verbs: ``-o -`` writes the result (CSV, or GeoJSON with ``--format geojson``)
to standard output, ``-`` as a table argument reads CSV from standard input, and a closed pipe ends quietly.

A result written to standard output is not recorded in a ``manifest.json`` (there is no folder to put it
in): the verb says so in a note on stderr.  The summary lines then go to stderr too, so that standard
output holds the table and nothing else.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: ``-o -`` / a ``-`` argument: standard output / standard input.
DASH = "-"
#: Formats a result can be written in to standard output.
STDOUT_FORMATS = ("csv", "geojson")


def is_dash(path: str | os.PathLike | None) -> bool:
    """Whether an ``-o`` value or an argument means standard output / input.

    >>> is_dash(Path("-")), is_dash("a.csv"), is_dash(None)
    (True, False, False)
    """
    return path is not None and str(path) == DASH


def write_stdout(data: pd.DataFrame, *, fmt: str | None, csv_formulas: str = "neutralise",
                 crs: Any = None) -> None:
    """Write a result table or layer to standard output as CSV (default) or GeoJSON.

    The CSV is the file :func:`gis.export.export` writes, UTF-8 without the byte-order mark (which a
    spreadsheet wants and a pipe does not); GeoJSON is WGS 84 (RFC 7946).

    Parameters
    ----------
    data : DataFrame or GeoDataFrame
        The result.
    fmt : {"csv", "geojson"}, optional
        Default ``"csv"``.
    csv_formulas : {"neutralise", "keep"}
        As :func:`gis.export.export`.
    crs : optional
        The CRS of a table's coordinates (``--crs``).
    """
    from ..export import export

    fmt = fmt or "csv"
    if fmt not in STDOUT_FORMATS:
        raise InputError(f"-o -: standard output takes --format csv or geojson, not {fmt}; write {fmt} to a file.")
    folder = Path(tempfile.mkdtemp(prefix="lzgis-stdout-"))
    try:
        path = export(data, folder / f"out.{fmt}", format=fmt, csv_formulas=csv_formulas,
                      crs=crs if fmt == "csv" else None)
        out = sys.stdout.buffer
        sys.stdout.flush()
        with open(path, "rb") as fh:
            head = fh.read(3)
            if head != b"\xef\xbb\xbf":
                out.write(head)
            shutil.copyfileobj(fh, out, 1 << 20)
        out.flush()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_stdin(*, suffix: str = ".csv") -> Path:
    """Standard input saved to a temporary ``stdin.csv`` (removed at exit), for the table readers.

    The bytes are kept as they came, so the readers detect the encoding (BOM, UTF-8, GBK) as for a file.
    """
    import atexit

    global _STDIN
    if _STDIN is not None:  # "-" given twice: the same table
        return _STDIN
    if sys.stdin is None or sys.stdin.isatty():
        raise InputError("-: reads a CSV table from standard input, but none is piped in; e.g. "
                         "`cat 项目.csv | lzgis nearest - county_seats -o -`.")
    folder = Path(tempfile.mkdtemp(prefix="lzgis-stdin-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / f"stdin{suffix}"
    with open(path, "wb") as fh:
        shutil.copyfileobj(sys.stdin.buffer, fh, 1 << 20)
    if path.stat().st_size == 0:
        raise InputError("-: standard input is empty; pipe a CSV table with a header row into the command.")
    _STDIN = path
    return path


_STDIN: Path | None = None
