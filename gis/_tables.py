"""Reading tables: CSV/TSV/TXT text in its encoding, and Excel cells, without losing what was written.

A CSV file's encoding is never guessed silently: a byte-order mark decides first (UTF-8, UTF-16
and UTF-32 with a BOM, e.g. Excel's "Unicode text", are read as such), else strict UTF-8, else
GBK with a warning; ``encoding=...`` (on the command line ``--input-encoding``) forces one
(:func:`decode_text`).  A column becomes numeric only when every value is a number written
without a leading zero, so ``0772`` area codes stay text; quoted cells stay text.  Excel
formula cells without a saved value are named in a warning.

Rows are named in errors and warnings by their spreadsheet row number: the header is row 1,
the first data row row 2 (as Excel and WPS show them); tables remember where blank rows were
skipped (:func:`spreadsheet_rows`, :func:`describe_rows`).

With pyarrow (a dependency since issue 20; still optional in the code) the cells are read and typed by pyarrow's CSV reader and
kernels (:func:`_parse_csv_fast`); without it, or for a file with blank lines, a ragged row or a stray
quote (whose row numbers and messages that path gives), by pandas' C parser (:func:`_parse_csv`).  Both
give the same table (tests/test_readers.py compares them).

Turning a table's coordinate columns into geometry, and reading vector files, is
:mod:`gis.readers`, which re-exports the public names here.
"""

from __future__ import annotations

import codecs
import importlib.util
import itertools
import os
import re
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ._errors import InputError, require

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
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


def _require_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: file not found. Check the path (relative to {Path.cwd()}).")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give the path of a file in it.")


def _codec_label(codec: str) -> str:
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gbk": "GBK"}.get(codec.lower(), codec.upper())


# ---------------------------------------------------------------- CSV / TXT text

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
    text, label, _ = _decode(path, encoding, stacklevel=4)
    return text, label


def _decode(path: str | os.PathLike, encoding: str | None, *, stacklevel: int = 3) -> tuple[str, str, bytes | None]:
    """:func:`decode_text`, and the file's bytes without a BOM when they are that text's UTF-8 (else ``None``):
    the CSV reader hands those to pyarrow without encoding the text again."""
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
        raw = data.removeprefix(codecs.BOM_UTF8) if codec == "utf-8" else None
        if text.startswith("\ufeff"):
            text, raw = text[1:], (raw.removeprefix(codecs.BOM_UTF8) if raw is not None else None)
        return text, _codec_label(codec), raw
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec).removeprefix("\ufeff")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{path}: starts with a {label} byte-order mark but is not valid {label} "
                    f"(byte {exc.start}); save it again as UTF-8, or {_ENCODING_FIX}."
                ) from exc
            return text, label, data[len(bom):].removeprefix(codecs.BOM_UTF8) if codec == "utf-8-sig" else None
    try:
        return data.decode("utf-8"), "UTF-8", data
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
    warnings.warn(f"{path.name}: is not UTF-8 (line {utf8_line}); decoded as GBK.", UserWarning, stacklevel=stacklevel)
    return text, "GBK", None


def _infer_column(values: pd.Series) -> pd.Series:
    """Text column → numbers/bools/datetimes only when that loses nothing (no leading zeros).

    The tests run vectorised on the ASCII values (pandas string methods: pyarrow's regular expressions)
    and cell by cell on the others (``\\d`` of Python also matches full-width digits, ``１２``).
    """
    blank = (values == "").to_numpy(dtype=bool)
    if blank.all():
        return pd.Series(np.nan, index=values.index, dtype=float)
    first = values.iloc[int(np.argmin(blank))]  # every value must pass a test: the first decides most columns
    number = bool(_NUMBER.match(first)) and not _LEADING_ZERO.match(first)
    if not number and first not in ("True", "False") and not _ISO_DATETIME.match(first):
        return pd.Series(np.where(blank, None, values.to_numpy(dtype=object)), index=values.index, dtype=object)
    text = values if isinstance(values.dtype, pd.StringDtype) else values.astype(_STR)
    present = text[~blank]
    full = not blank.any()
    ascii_ = (present.str.isascii() & ~present.str.contains("\n", regex=False)).to_numpy(dtype=bool)
    simple = bool(ascii_.all())

    def out() -> pd.Series:
        return pd.Series(np.where(blank, None, text.to_numpy(dtype=object)), index=values.index, dtype=object)

    if number and _every(present, ascii_, _NUMBER_FULL, lambda v: bool(_NUMBER.match(v)) and not _LEADING_ZERO.match(v),
              unless=_LEADING_ZERO_START):
        if full and _every(present, ascii_, _INTEGER_FULL, lambda v: bool(_INTEGER.match(v))):
            if simple and int(present.str.len().max()) <= 18:  # fits int64 whatever the digits
                return pd.Series(present.astype("int64").to_numpy(), index=values.index)
            try:
                return out().map(int).astype("int64")
            except OverflowError:
                return out()
        if simple:
            numbers = np.full(len(values), np.nan)
            numbers[~blank] = present.astype("float64").to_numpy()
            return pd.Series(numbers, index=values.index)
        return pd.to_numeric(out(), errors="coerce").astype(float)
    if full and bool(present.isin(["True", "False"]).all()):
        return pd.Series((present == "True").to_numpy(dtype=bool), index=values.index)
    if _every(present, ascii_, _ISO_DATETIME_FULL, lambda v: bool(_ISO_DATETIME.match(v))):
        return pd.to_datetime(out(), format="ISO8601")
    return out()


#: pyarrow is installed (a dependency; the pandas paths remain for an environment without it). gis.export asks here too.
_ARROW = importlib.util.find_spec("pyarrow") is not None
_STR = pd.StringDtype("pyarrow") if _ARROW else pd.StringDtype("python")
#: The patterns of the cell tests, for whole ASCII values (no look-ahead: pyarrow's RE2 has none).
_NUMBER_FULL = r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf)"
_LEADING_ZERO_START = r"[+-]?0[0-9]"
_INTEGER_FULL = r"[+-]?[0-9]+"
_ISO_DATETIME_FULL = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"


def _every(present: pd.Series, ascii_: np.ndarray, pattern: str, cell: Callable[[str], bool], *,
           unless: str | None = None) -> bool:
    """Whether every value passes: ``cell`` on the non-ASCII ones (stops at the first failure), then
    ``pattern`` matching the whole of each ASCII value (and ``unless`` matching none of their starts)."""
    if not ascii_.all() and not all(cell(v) for v in present[~ascii_].tolist()):
        return False
    subset = present if ascii_.all() else present[ascii_]
    if subset.empty:
        return True
    if not bool(subset.str.fullmatch(pattern).all()):
        return False
    return unless is None or not bool(subset.str.match(unless).any())


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
    """A CSV text as a table: the cells split by pandas' C parser, typed as :func:`_infer_column` says.

    Which cells were quoted (text stays text; ``""`` is empty text, a bare empty cell is missing) is
    read from a copy of the text with each quoted cell replaced by a marker (:func:`_marked`), which
    also gives the records (a line break inside quotes is not one) for the row numbers and the check
    of each record's cell count.  A text whose quotes do not pair up is parsed cell by cell
    (:func:`_parse_csv_cells`), which names the line of the stray quote.
    """
    marked = _marked(text, sep)
    if marked is None:
        return _parse_csv_cells(text, sep=sep, path=path, as_text=as_text)
    lines = _LINE_BREAK.split(marked)
    if lines and lines[-1] == "":  # the text ends with a line break
        lines.pop()
    if "" in lines:
        numbers = [i + 1 for i, line in enumerate(lines) if line != ""]
        lines = [line for line in lines if line != ""]
    else:
        numbers = None
    if not lines:
        raise InputError(f"{path}: is empty; it needs a header row.")
    width = lines[0].count(sep) + 1
    counts = np.fromiter(map(str.count, lines, itertools.repeat(sep)), dtype=np.int64, count=len(lines))
    ragged = np.flatnonzero(counts != width - 1)
    if len(ragged):
        bad = [numbers[i] if numbers else i + 1 for i in ragged]
        raise InputError(
            f"{path}: {describe_rows(bad)} {'does' if len(bad) == 1 else 'do'} not have the {width} cells of the "
            "header; check for unquoted separators."
        )
    cells = _read_cells(text, sep=sep, width=width)
    header = [str(h) for h in cells.pop("header")]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputError(f"{path}: repeats the column name(s) {', '.join(dupes)}; rename them.")
    quoted_cells = _read_cells(marked, sep=sep, width=width) if "\x01" in marked or (as_text and "\x02" in marked) \
        else None
    columns = {}
    n = len(lines) - 1
    for j, name in enumerate(header):
        values = cells[j]
        marks = None if quoted_cells is None else quoted_cells[j]
        quoted = marks is not None and bool((marks == "\x01").any())
        if as_text:
            keep = values != ""
            if marks is not None:
                keep |= marks == "\x02"
            columns[name] = pd.Series(values, dtype=object).where(pd.Series(keep, dtype=bool), None)
        elif quoted:  # written as text: stays text ("" is empty text, a bare empty cell is missing)
            missing = pd.Series((values == "") & (marks != "\x02"), dtype=bool)
            series = pd.Series(values, dtype=object)
            present = series[~missing]
            if len(present) and _all_match(present, _ISO_DATETIME_LINE, lambda v: bool(_ISO_DATETIME.match(v))):
                columns[name] = pd.to_datetime(series.where(~missing, None), format="ISO8601")
            else:
                columns[name] = series.where(~missing, None)
        else:
            columns[name] = _infer_column(pd.Series(values, dtype=object))
    table = pd.DataFrame(columns, index=pd.RangeIndex(n))
    table.attrs["row_numbers"] = None if numbers is None else _compact_row_numbers(numbers[1:])
    return table


#: A quoted cell, and an empty quoted cell between separators (``""`` there is a cell, not an escaped quote).
_QUOTED_CELL = re.compile(r'"(?:[^"]|"")*"')


def _marked(text: str, sep: str) -> str | None:
    """``text`` with each empty quoted cell replaced by ``\\x02`` and each other quoted cell by ``\\x01``;
    ``None`` when a quote is left over (a stray quote: the cell-by-cell parse names its line)."""
    if '"' not in text:
        return text
    if "\x01" in text or "\x02" in text:  # the markers themselves: parse cell by cell
        return None
    s = re.escape(sep)
    empty = re.compile(rf'(?<![^{s}\r\n])""(?![^{s}\r\n])')
    marked = _QUOTED_CELL.sub("\x01", empty.sub("\x02", text))
    if '"' in marked or re.search(rf"[^{s}\r\n]\x01|\x01[^{s}\r\n]", marked):
        return None  # a quote inside a bare cell, or text glued to a quoted cell
    return marked


# ---------------------------------------------------------------- the pyarrow fast path

#: Byte pairs that only occur where a line is blank (``\n\n``, ``\r\r``, and ``\n\r`` of ``\n\r\n``); a text with
#: one takes the path that counts blank lines for the row numbers.
_BLANK_LINE_BYTES = (b"\n\n", b"\r\r", b"\n\r")
#: A raw cell (read without quote handling) that is either bare text without quotes or one whole quoted cell.
_RAW_CELL_OK = r'^(?:[^"]*|"(?:[^"]|"")*")$'


def _arrow_csv() -> Any:
    """``pyarrow.csv`` and ``pyarrow.compute``, or ``None`` without pyarrow (the pandas path reads alone)."""
    if not _ARROW:
        return None
    import pyarrow.compute
    import pyarrow.csv

    return pyarrow.csv, pyarrow.compute


def _parse_csv_fast(data: bytes, text: str, *, sep: str, path: Path, as_text: bool = False) -> pd.DataFrame | None:
    """:func:`_parse_csv` by pyarrow's CSV reader, for the usual file: the same table, or ``None`` for the
    pandas path (no pyarrow, a blank line whose row numbers must be counted, a ragged row or stray quote whose
    message that path words, any text pyarrow refuses).

    ``data`` is ``text`` as UTF-8.  The cells are read once with quotes (a bare empty cell is null, ``""`` is
    empty text) and, when the file holds a quote, once more without: a cell read that way starting with a
    quote was quoted.  When a quoted cell holds a separator or line break that second read cannot line up, and
    the quoted cells are found as :func:`_parse_csv` finds them (:func:`_marked`).
    """
    modules = _arrow_csv()
    if modules is None or not data or data[:1] in (b"\n", b"\r") or any(b in data for b in _BLANK_LINE_BYTES):
        return None
    csv, pc = modules
    import pyarrow as pa

    first = data.split(b"\n", 1)[0].split(b"\r", 1)[0]
    types = {f"f{i}": pa.string() for i in range(first.count(sep.encode()) + 1)}
    quotes = b'"' in data

    def read(quoting: bool) -> Any:
        return csv.read_csv(
            pa.BufferReader(data),
            read_options=csv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24),
            parse_options=csv.ParseOptions(delimiter=sep, quote_char='"' if quoting else False, double_quote=True,
                                           newlines_in_values=quoting and quotes),
            convert_options=csv.ConvertOptions(column_types=types, strings_can_be_null=True,
                                               quoted_strings_can_be_null=False, null_values=[""]))

    try:
        cells = read(True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    width = cells.num_columns
    if width > len(types) or cells.num_rows == 0:
        return None
    header = ["" if h is None else h for h in cells.slice(0, 1).to_pylist()[0].values()]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputError(f"{path}: repeats the column name(s) {', '.join(dupes)}; rename them.")
    n = cells.num_rows - 1
    marks: list[tuple[Any, Any]] | None = None  # per column: (non-empty quoted cell?, ``""`` cell?) as arrow masks
    if quotes:
        try:
            raw = read(False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raw = None
        if raw is not None and raw.num_rows == cells.num_rows and raw.num_columns == width:
            marks = []
            for j in range(width):
                column = pc.fill_null(raw.column(j).slice(1), "")
                if not pc.all(pc.match_substring_regex(column, _RAW_CELL_OK)).as_py():
                    return None  # a stray quote: the pandas path names its line
                empty = pc.equal(column, '""')
                marks.append((pc.and_(pc.starts_with(column, '"'), pc.invert(empty)), empty))
        else:
            marked = _marked(text, sep)
            if marked is None:
                return None
            quoted_cells = _read_cells(marked, sep=sep, width=width)
            if len(quoted_cells[0]) != n:
                return None
            marks = [(pa.array(quoted_cells[j] == "\x01"), pa.array(quoted_cells[j] == "\x02")) for j in range(width)]
    columns = {}
    for j, name in enumerate(header):
        values = cells.column(j).slice(1)
        quoted, empty = marks[j] if marks is not None else (None, None)
        if as_text:
            columns[name] = pd.Series(values.to_numpy(zero_copy_only=False), dtype=object)
        elif quoted is not None and pc.any(quoted).as_py():  # written as text: stays text
            series = pd.Series(values.to_numpy(zero_copy_only=False), dtype=object)  # bare empty cells are None
            present = values.drop_null()
            if len(present) and _arrow_all_iso(present, pc):
                columns[name] = pd.to_datetime(series, format="ISO8601")
            else:
                columns[name] = series
        else:
            columns[name] = _infer_arrow(values, pc)
    table = pd.DataFrame(columns, index=pd.RangeIndex(n))
    table.attrs["row_numbers"] = None
    return table


def _arrow_all_iso(present: Any, pc: Any) -> bool:
    """Whether every value (no nulls) is an ISO 8601 date-time, as :data:`_ISO_DATETIME` decides."""
    if not _ISO_DATETIME.match(present[0].as_py()):  # the first decides most columns
        return False
    simple = pc.all(pc.string_is_ascii(present)).as_py() and not pc.any(pc.match_substring(present, "\n")).as_py()
    if not simple:
        return all(_ISO_DATETIME.match(v) for v in present.to_pylist())
    return bool(pc.all(pc.match_substring_regex(present, f"^(?:{_ISO_DATETIME_FULL})$")).as_py())


def _infer_arrow(values: Any, pc: Any) -> pd.Series:
    """:func:`_infer_column` of an arrow column of texts (bare empty cells null), by arrow's kernels; columns
    with non-ASCII or multi-line values (full-width digits …) are handed to :func:`_infer_column` itself."""
    import pyarrow as pa

    present_mask = pc.fill_null(pc.not_equal(values, ""), False)
    count = pc.sum(present_mask).as_py() or 0
    if count == 0:
        return pd.Series(np.nan, index=pd.RangeIndex(len(values)), dtype=float)
    blank_as_null = pc.if_else(present_mask, values, pa.scalar(None, pa.string()))

    def out() -> pd.Series:
        return pd.Series(blank_as_null.to_numpy(zero_copy_only=False), dtype=object)

    present = values.filter(present_mask)
    first = present[0].as_py()
    number = bool(_NUMBER.match(first)) and not _LEADING_ZERO.match(first)
    if not number and first not in ("True", "False") and not _ISO_DATETIME.match(first):
        return out()
    if not pc.all(pc.string_is_ascii(present)).as_py() or pc.any(pc.match_substring(present, "\n")).as_py():
        return _infer_column(pd.Series(pc.fill_null(values, "").to_numpy(zero_copy_only=False), dtype=object))
    full = count == len(values)
    if number:
        if not pc.all(pc.match_substring_regex(present, f"^(?:{_NUMBER_FULL})$")).as_py() or \
                pc.any(pc.match_substring_regex(present, f"^{_LEADING_ZERO_START}")).as_py():
            return out()
        try:
            if full and pc.all(pc.match_substring_regex(present, f"^{_INTEGER_FULL}$")).as_py():
                if pc.max(pc.utf8_length(present)).as_py() > 18:
                    raise pa.ArrowInvalid("may not fit int64")
                return pd.Series(pc.cast(present, pa.int64()).to_numpy())
            return pd.Series(pc.cast(blank_as_null, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # "+5", 19 digits: as the pandas path does
            return _infer_column(pd.Series(pc.fill_null(values, "").to_numpy(zero_copy_only=False), dtype=object))
    if full and pc.all(pc.is_in(present, pa.array(["True", "False"]))).as_py():
        return pd.Series(pc.equal(present, "True").to_numpy(zero_copy_only=False), dtype=bool)
    if _arrow_all_iso(present, pc):
        return pd.to_datetime(out(), format="ISO8601")
    return out()


def _read_cells(text: str, *, sep: str, width: int) -> dict[Any, np.ndarray]:
    """The cells of a well-formed CSV text (every record ``width`` cells), by pandas' C parser: column
    position -> the data rows' texts as an object array, and ``"header"`` -> the first record."""
    import io

    frame = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=object, keep_default_na=False,
                        na_filter=False, skip_blank_lines=True, engine="c", quotechar='"', doublequote=True,
                        names=list(range(width)), index_col=False)
    out: dict[Any, np.ndarray] = {"header": frame.iloc[0].to_numpy(dtype=object) if len(frame) else np.array([])}
    for j in range(width):
        out[j] = frame[j].to_numpy(dtype=object)[1:]
    return out


def _parse_csv_cells(text: str, *, sep: str, path: Path, as_text: bool = False) -> pd.DataFrame:
    """The cell-by-cell parse (:func:`_csv_cells`): for texts whose quotes :func:`_marked` cannot pair up."""
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
        text, label, data = _decode(path, encoding)
        sep = _separator(text, suffix)
        table = _parse_csv_fast(text.encode("utf-8") if data is None else data, text, sep=sep, path=path,
                                as_text=as_text) if _ARROW else None
        if table is None:
            table = _parse_csv(text, sep=sep, path=path, as_text=as_text)
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
        titles = _machine_names(book, name)
    finally:
        book.close()
    formulas = _unsaved_formulas(path, name, rows)
    if not rows:
        raise InputError(f"{path}: sheet {name!r} is empty; it needs a header row.")
    header = [str(h) if h is not None else f"column_{i + 1}" for i, h in enumerate(rows[0])]
    if titles:  # a workbook gis wrote: its Chinese titles back to the machine names (unless that would clash)
        renamed = [titles.get(h, h) for h in header]
        if len(set(renamed)) == len(renamed):
            header = renamed
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


def _machine_names(book: Any, sheet: str) -> dict[str, str]:
    """``{title: machine name}`` of ``sheet`` from the ``字段说明`` sheet gis writes into its workbooks, else {}."""
    from ._columns import FIELDS_HEADER, FIELDS_SHEET

    if sheet == FIELDS_SHEET or FIELDS_SHEET not in book.sheetnames:
        return {}
    rows = book[FIELDS_SHEET].iter_rows(values_only=True)
    head = next(rows, None)
    if head is None or tuple(head[:3]) != FIELDS_HEADER[:3]:
        return {}
    return {str(title): str(column) for where, title, column, *_ in rows
            if where == sheet and title is not None and column is not None}


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
