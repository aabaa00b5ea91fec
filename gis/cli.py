"""``lzgis``: the command line of liuzhou-gis.

Every verb that writes files:

* writes where ``-o`` says, and refuses to replace an existing file unless
  ``--overwrite`` is given (checked before any input is read);
* writes all or nothing: outputs are written under hidden names
  (``.lzgis-tmp-*``) and published together with the run's manifest entry, so
  a failure (disk full, read-only folder, a bad value, Ctrl-C, even ``kill
  -9``) leaves the previous files as they were; a second run creating the same
  output meanwhile gets a clear error; leftovers of killed runs are removed by
  the next run into that folder;
* appends a record of the run (inputs with SHA-256 and CRS, parameters,
  outputs with SHA-256, package versions, UTC time) to ``manifest.json`` in
  the output folder, under a lock, paths relative to that folder
  (``--absolute-paths`` for absolute ones) (:mod:`gis.manifest`);
* CSV outputs neutralise text cells a spreadsheet would run as a formula
  (leading ``=``, ``+``, ``-``, ``@``, tab, CR get a ``'``); ``--csv-formulas
  keep`` writes them raw;
* reports progress and warnings on stderr (``-q`` silences progress) and a
  summary on stdout, as JSON with ``--json``.

LAYER arguments take a shipped layer name (``lzgis layers``), ``structure:NAME``
(``lzgis structures``), or a file: GeoPackage (``file.gpkg:layer`` picks a layer),
GeoJSON, Shapefile, CSV/Excel with lon/lat columns.  The text encoding of a
CSV/TXT or Shapefile input is detected (byte-order mark, else UTF-8, else GBK;
a Shapefile's .cpg) or given with ``--input-encoding`` (``--encoding`` is the
encoding of the *output*).  Rows are named by spreadsheet row number (header =
row 1); the analyses (buffer, nearest, within, matrix) refuse a table row with
a blank coordinate cell, naming it, while export and map keep it without
geometry, with a warning.

Exit status: 0 success; 2 bad input or usage (missing file, unknown layer or
column, unreadable encoding, existing output, a bad option value such as
``-k 0`` or ``--distance-m -5``, a disk that is full, read-only or not
writable), with one line
``lzgis: error: <reason>`` on stderr; 1 an unexpected internal error (a bug:
set ``LZGIS_DEBUG=1`` for the traceback); 130 interrupted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TextIO

import click

from ._errors import CRSError, GisError, InputError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from .manifest import Run

EXIT_INPUT = 2
EXIT_INTERNAL = 1
_FORMATS = ("gpkg", "geojson", "shp", "csv", "xlsx")


# ---------------------------------------------------------------- errors, progress, warnings

def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class Failure(click.ClickException):
    """Bad input: one line on stderr, exit status 2."""

    exit_code = EXIT_INPUT

    def show(self, file: TextIO | None = None) -> None:  # noqa: D102 - click API
        click.echo(f"lzgis: error: {_one_line(self.format_message())}", err=True)


class InternalFailure(click.ClickException):
    """An unexpected exception (a bug): one line on stderr, exit status 1."""

    exit_code = EXIT_INTERNAL

    def show(self, file: TextIO | None = None) -> None:  # noqa: D102 - click API
        click.echo(f"lzgis: internal error: {_one_line(self.format_message())} "
                   "(set LZGIS_DEBUG=1 for the traceback and report it)", err=True)


@dataclass
class State:
    """Per-invocation settings and the notes (warnings) collected on the way."""

    quiet: bool = False
    notes: list[str] = field(default_factory=list)
    absolute_paths: bool = False
    csv_formulas: str = "neutralise"
    input_crs: str | None = None
    make_valid: bool = False
    labels: dict[str, str] = field(default_factory=dict)  # layer role (origins, gdf …) -> the file as given
    staging: Any = None  # gis._io.Staging of this run's outputs
    overwrite: bool = False

    def stage(self) -> Any:
        """The Staging of this run's outputs (created on first use)."""
        if self.staging is None:
            from ._io import Staging

            self.staging = Staging()
        return self.staging

    def step(self, message: str) -> None:
        if not self.quiet:
            click.echo(f"lzgis: {message}", err=True)

    def warn(self, message: str) -> None:
        message = _one_line(message)
        self.notes.append(message)
        click.echo(f"lzgis: warning: {message}", err=True)


class _Group(click.Group):
    """Turns library errors into one-line messages and shows library warnings."""

    def invoke(self, ctx: click.Context) -> Any:
        state = ctx.ensure_object(State)

        def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: TextIO | None = None, line: str | None = None) -> None:
            state.warn(str(message))

        class _ToNotes(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                state.warn(record.getMessage())

        handler = _ToNotes(level=logging.WARNING)
        logger = logging.getLogger("gis")
        logger.addHandler(handler)
        with contextlib.ExitStack() as stack, warnings.catch_warnings():
            stack.callback(logger.removeHandler, handler)
            warnings.simplefilter("ignore")
            warnings.filterwarnings("always", category=UserWarning)
            for category in (DeprecationWarning, FutureWarning):
                warnings.filterwarnings("ignore", category=category)
            warnings.showwarning = show
            try:
                return super().invoke(ctx)
            except click.exceptions.UsageError as exc:  # a bad option value: one line, not the usage text
                verb = exc.ctx.info_name if exc.ctx is not None and exc.ctx.parent is not None else None
                hint = f" (see 'lzgis {verb} -h')" if verb else " (see 'lzgis -h')"
                raise Failure(f"{exc.format_message()}{hint}") from exc
            except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
                raise
            except (GisError, FileNotFoundError, FileExistsError, IsADirectoryError, UnicodeError) as exc:
                raise Failure(_cli_words(_os_text(exc), state)) from exc
            except KeyboardInterrupt:
                click.echo("lzgis: interrupted; nothing was written.", err=True)
                ctx.exit(130)
            except OSError as exc:
                from ._io import is_write_error, write_error

                if is_write_error(exc):
                    raise Failure(str(write_error(exc, exc.filename or "the output"))) from exc
                if os.environ.get("LZGIS_DEBUG"):
                    raise
                raise InternalFailure(f"{type(exc).__name__}: {exc}") from exc
            except Exception as exc:
                if os.environ.get("LZGIS_DEBUG"):
                    raise
                raise InternalFailure(f"{type(exc).__name__}: {exc}") from exc
            finally:
                if state.staging is not None:
                    state.staging.discard()


def _os_text(exc: BaseException) -> str:
    """An error's message without the ``[Errno 17]`` prefix of OSError."""
    if isinstance(exc, OSError) and not isinstance(exc, GisError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename and str(exc.filename) not in exc.strerror \
            else str(exc.strerror)
    return str(exc)


#: Library wording (Python calls) -> command-line wording, applied to error messages shown by ``lzgis``.
_CLI_WORDS: list[tuple[str, str]] = [
    (r"(?:[Cc]all |[Ss]et it (?:first )?with |declare it: |with )?gdf\.set_crs\(\s*'?(EPSG:[0-9<>a-z]+)'?"
     r"(?:,\s*allow_override=True)?\s*\)", r"declare it with --input-crs \1"),
    (r"(?:[Cc]all |[Ss]et it (?:first )?with |with )?gdf\.set_crs\(\.\.\.\)(?:, then reproject with "
     r"gis\.to_analysis_crs\(gdf\))?", "declare it with --input-crs EPSG:<code>"),
    (r"repair them with gdf\.make_valid\(\) or gdf\.buffer\(0\)", "repair them with --make-valid"),
    (r"\(drop them with gdf\[~gdf\.geometry\.is_empty\]\)", "(fill in or delete those rows)"),
    (r"\b([a-z]+)_col=(?:\.\.\.)?", lambda m: f"--{m.group(1)}-col "),
    (r"overwrite=True \(--overwrite on the command line\)", "--overwrite"),
    (r"--overwrite \(overwrite=True\)", "--overwrite"),
    (r"encoding=\.\.\. in Python, --input-encoding on the command line", "--input-encoding"),
    (r"(?:pass )?(?:the right )?encoding=\.\.\. \(--input-encoding\)", "pass --input-encoding"),
    (r"\(gis\.geocode_table, `lzgis geocode`\)", "(`lzgis geocode`)"),
    (r"\(`lzgis geocode`, gis\.geocode_table\)", "(`lzgis geocode`)"),
    (r"export with encoding='utf-8'", "export with --encoding utf-8"),
    (r"^distances_m:", "--distances:"),
    (r" \(gis\.settings\.max_buffer_m\)", ""),
]


def _cli_words(message: str, state: State | None = None) -> str:
    """A library message in the words of the command line: options instead of Python calls, files not ``gdf``.

    >>> _cli_words("origins: has no CRS. Set it with gdf.set_crs(...).", State(labels={"origins": "a.csv"}))
    'a.csv (origins): has no CRS. declare it with --input-crs EPSG:<code>.'
    >>> _cli_words("no name column. Name it with name_col=...")
    'no name column. Name it with --name-col'
    """
    import re

    for pattern, replacement in _CLI_WORDS:
        message = re.sub(pattern, replacement, message)
    for role, spec in (state.labels.items() if state is not None else ()):
        prefix = f"{role}:"
        if message.startswith(prefix) and spec != role:
            message = f"{spec} ({'layer' if role == 'gdf' else role}):" + message[len(prefix):]
            break
    return message.replace("  ", " ").strip()


# ---------------------------------------------------------------- shared options and helpers

def _set_state(name: str) -> Callable:
    """An option callback storing the value on the invocation's State (no new function parameter)."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None:
            setattr(ctx.ensure_object(State), name, value)
        return value

    return callback


def _output_options(*, default: str | None = None, help_text: str = "Output file; the format follows its suffix.") -> Callable:
    def decorate(fn: Callable) -> Callable:
        fn = click.option("--csv-formulas", type=click.Choice(["neutralise", "keep"]), default="neutralise",
                          show_default=True, expose_value=False, callback=_set_state("csv_formulas"),
                          help="CSV text cells starting with = + - @ tab CR: prefixed with ' so a spreadsheet "
                               "shows them as text (neutralise), or written raw (keep).")(fn)
        fn = click.option("--absolute-paths", is_flag=True, expose_value=False, callback=_set_state("absolute_paths"),
                          help="Record absolute paths (and the working folder) in manifest.json instead of "
                               "paths relative to it.")(fn)
        fn = click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")(fn)
        fn = click.option("--overwrite", is_flag=True, help="Replace existing outputs (refused otherwise).")(fn)
        fn = click.option("-o", "--output", type=click.Path(dir_okay=True, path_type=Path), required=default is None,
                          default=default, help=help_text)(fn)
        return fn

    return decorate


def _input_encoding_option(fn: Callable) -> Callable:
    """--input-encoding, --input-crs and --make-valid: how to read the input files of a verb."""
    fn = click.option("--make-valid", is_flag=True, expose_value=False, callback=_set_state("make_valid"),
                      help="Repair invalid polygons of the input files (shapely make_valid), with a warning "
                           "naming the rows; refused otherwise.")(fn)
    fn = click.option("--input-crs", metavar="CRS", expose_value=False, callback=_check_crs,
                      help="CRS of the input files' coordinates (e.g. EPSG:4326 for lon/lat, EPSG:4545 for "
                           "CGCS2000 3-degree GK CM 108E): declares it for files that have none, and replaces a "
                           "wrong one, with a warning (the coordinates are relabelled, not transformed).")(fn)
    return _input_encoding_only_option(fn)


def _check_crs(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    import pyproj

    try:
        crs = pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError:
        raise click.BadParameter(f"{value!r} is not a CRS; give an EPSG code such as EPSG:4326 or EPSG:4545.") \
            from None
    code = crs.to_epsg()
    ctx.ensure_object(State).input_crs = f"EPSG:{code}" if code else crs.to_wkt()
    return value


def _input_encoding_only_option(fn: Callable) -> Callable:
    return click.option(
        "--input-encoding", metavar="CODEC", callback=_check_codec,
        help="Text encoding of the CSV/TXT and Shapefile inputs of this command (e.g. utf-16, gb18030, big5); "
             "default: detected (byte-order mark, else UTF-8, else GBK; a Shapefile's .cpg).",
    )(fn)


def _check_codec(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    import codecs

    if value is None:
        return None
    try:
        codecs.lookup(value)
    except LookupError:
        raise click.BadParameter(f"unknown encoding {value!r}; give a codec name such as utf-8, gbk, gb18030, "
                                 "utf-16 or big5.") from None
    return value


def _distance_option(value: float | None, *, name: str) -> float | None:
    """Refuse a NaN/infinite/negative distance before any input is read."""
    from ._validate import distance

    return None if value is None else distance(value, name=name)


def _table_suffix(path: Path, *, verb: str) -> None:
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise InputError(f"{verb}: -o {path.name}: the result is a table; name the file *.csv or *.xlsx.")


def _check_outputs(paths: list[Path], *, overwrite: bool) -> None:
    """Before any input is read: refuse the manifest as an output, an unwritable folder, existing outputs.

    Also removes the temporary files that killed runs left in the output folders.
    """
    from ._io import check_writable, clean_stale
    from .manifest import MANIFEST_NAME, check_manifest_folder

    for p in paths:
        if p.name == MANIFEST_NAME or p.name.startswith(".lzgis-tmp-"):
            raise InputError(f"-o {p}: {p.name} is the run record of its folder (or a temporary name); "
                             "choose another output name.")
    for folder in dict.fromkeys(p.parent for p in paths):
        check_writable(folder)
        clean_stale(folder)
    if not overwrite:
        existing = [p for p in paths if p.exists()]
        if existing:
            raise InputError(f"{existing[0]} already exists; choose another -o or pass --overwrite to replace it.")
    for folder in dict.fromkeys(p.parent for p in paths):
        check_manifest_folder(folder)
    state = click.get_current_context().find_object(State)
    if state is not None:
        state.overwrite = overwrite


def _planned_outputs(path: Path, fmt: str | None = None) -> list[Path]:
    from .export import output_paths

    return output_paths(path, format=fmt)


def _structure_file(name: str) -> Path | None:
    from .structure import list_structures

    table = list_structures()
    for _, row in table.iterrows():
        if name in (row["name"], Path(str(row["file"])).stem):
            return Path(str(row["file"]))
    return None


def _load(spec: str, *, run: Run, state: State, role: str, encoding: str | None = None,
          need_positions: bool = True) -> gpd.GeoDataFrame:
    """A LAYER argument as a GeoDataFrame: shipped layer, structure:NAME, or a file (recorded in the run).

    ``need_positions``: a table row with a blank coordinate cell is refused (analyses), else kept
    without geometry with a warning (export).
    """
    from .readers import read_vector

    state.labels.setdefault(role, spec)
    if role == "layer":
        state.labels.setdefault("gdf", spec)
    if spec.startswith("structure:"):
        from .structure import structure

        name = spec.split(":", 1)[1]
        state.step(f"loading structure {name} ({role})")
        gdf = structure(name)
        run.add_input(spec, kind="structure", path=_structure_file(name), crs=gdf.crs, features=len(gdf), role=role)
        return gdf
    path = Path(spec)
    layer = None
    if not path.exists() and ":" in spec and Path(spec.rsplit(":", 1)[0]).is_file():
        path, layer = Path(spec.rsplit(":", 1)[0]), spec.rsplit(":", 1)[1]
    if path.exists():
        state.step(f"reading {path} ({role})")
        gdf = read_vector(path, layer=layer, encoding=encoding, crs=state.input_crs if _is_table(path) else None,
                          missing_coordinates="error" if need_positions else "keep")
        gdf = _declared(gdf, spec, state, need_positions=need_positions)
        source = gdf.attrs.get("source", {})
        run.add_input(spec, kind="file", path=path, crs=gdf.crs, features=len(gdf), role=role,
                      layer=source.get("layer"), encoding=source.get("encoding"))
        return gdf
    if path.suffix or os.sep in spec or "/" in spec:
        raise InputError(f"{spec}: file not found (relative to {Path.cwd()}).")
    from .layers import layer_info, layers_dir, load_layer

    try:
        entry = layer_info(spec)
    except GisError as exc:
        raise InputError(f"{exc} Or give the path of a file.") from None
    state.step(f"loading layer {spec} ({role})")
    gdf = load_layer(spec)
    run.add_input(spec, kind="layer", path=layers_dir() / entry["file"], crs=gdf.crs, features=len(gdf), role=role)
    return gdf


def _is_table(path: Path) -> bool:
    from .readers import TABLE_SUFFIXES

    return path.suffix.lower() in (*TABLE_SUFFIXES, ".xls")


def _declared(gdf: gpd.GeoDataFrame, spec: str, state: State, *, need_positions: bool) -> gpd.GeoDataFrame:
    """Apply --input-crs and --make-valid to a file just read; report rows without geometry."""
    import numpy as np
    import pyproj
    import shapely

    from .readers import describe_rows

    if state.input_crs is not None:
        if gdf.crs is None:
            gdf = gdf.set_crs(state.input_crs)
        elif pyproj.CRS.from_user_input(gdf.crs) != pyproj.CRS.from_user_input(state.input_crs):
            state.warn(f"{spec}: declares {gdf.crs.to_string()}, replaced by --input-crs {state.input_crs} as asked "
                       "(the coordinates are relabelled, not transformed).")
            gdf = gdf.set_crs(state.input_crs, allow_override=True)
    elif gdf.crs is None:
        raise CRSError(f"{spec}: has no CRS, so its coordinates cannot be placed. Declare it with --input-crs "
                       "EPSG:4326 (lon/lat) or the EPSG code of its projected CRS (e.g. EPSG:4545).")
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    table = gdf.attrs.get("source", {}).get("format") in ("csv", "tsv", "txt", "xlsx", "xlsm")
    rows = _row_numbers(gdf)

    def describe(mask: np.ndarray) -> str:
        if table:
            return describe_rows([rows[i] for i in np.flatnonzero(mask)])
        numbers = [str(i + 1) for i in np.flatnonzero(mask)]
        more = f" and {len(numbers) - 10} more" if len(numbers) > 10 else ""
        return f"feature{'s' if len(numbers) > 1 else ''} {', '.join(numbers[:10])}{more} (in file order, from 1)"

    if missing.any() and not table:  # tables: the reader has warned about / refused blank coordinates by row
        verb = "has" if missing.sum() == 1 else "have"
        if need_positions:
            raise InputError(f"{spec}: {describe(missing)} {verb} no geometry, so no position to measure from. "
                             "Give them a geometry or delete them.")
        state.warn(f"{spec}: {describe(missing)} {verb} no geometry; kept without a position (drawn nowhere, "
                   "counted in the table).")
    present = ~missing
    invalid = np.zeros(len(gdf), dtype=bool)
    invalid[present] = ~shapely.is_valid(geoms[present])
    if invalid.any() and state.make_valid:
        gdf = gdf.copy()
        fixed = shapely.make_valid(geoms[invalid])
        column = gdf.geometry.name
        gdf.loc[gdf.index[invalid], column] = fixed
        state.warn(f"{spec}: repaired {int(invalid.sum())} invalid geometr{'y' if invalid.sum() == 1 else 'ies'} "
                   f"with --make-valid ({describe(invalid)}).")
    elif invalid.any():
        first = shapely.is_valid_reason(geoms[invalid][:1])[0]
        raise InputError(f"{spec}: {describe(invalid)} "
                         f"{'has an invalid geometry' if invalid.sum() == 1 else 'have invalid geometries'} "
                         f"(first: {first}); repair them with --make-valid, or fix the file.")
    return gdf


def _row_numbers(gdf: gpd.GeoDataFrame) -> list[int]:
    """Spreadsheet row numbers (header = row 1) of a table read from a file; feature numbers (1-based) else."""
    from .readers import spreadsheet_rows

    try:
        return list(spreadsheet_rows(gdf, list(range(len(gdf)))))
    except Exception:  # pragma: no cover - defensive: a frame without row bookkeeping
        return [i + 2 for i in range(len(gdf))]


def _new_run(verb: str, parameters: dict[str, Any]) -> Run:
    from .manifest import Run

    state = click.get_current_context().find_object(State)
    return Run(verb, {k: (str(v) if isinstance(v, Path) else v) for k, v in parameters.items()},
               absolute_paths=bool(state and state.absolute_paths))


def _finish(run: Run, folder: Path, state: State, *, as_json: bool, summary: dict[str, Any], lines: list[str]) -> None:
    from ._io import folder_lock

    run.notes.extend(state.notes)
    with folder_lock(folder):  # outputs and their record appear together, or neither does
        published = state.stage().commit(overwrite=state.overwrite)
        try:
            manifest = run.write(folder)
        except BaseException:
            published.rollback()
            raise
        published.done()
    summary = {"verb": run.verb, **summary, "outputs": [str(p) for p in run.outputs],
               "manifest": str(manifest), "notes": state.notes}
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    else:
        for line in lines:
            click.echo(line)
        for p in run.outputs:
            click.echo(f"wrote {p}")
        click.echo(f"recorded the run in {manifest}")


def _write(data: pd.DataFrame, output: Path, run: Run, state: State, *, overwrite: bool, fmt: str | None = None,
           layer: str | None = None, encoding: str = "utf-8") -> Path:
    from .export import export, output_paths

    state.step(f"writing {output}")
    staging = state.stage()
    staged = export(data, staging.path(output), format=fmt, layer=layer, encoding=encoding, overwrite=overwrite,
                    csv_formulas=state.csv_formulas)
    path = output.parent / staged.name  # the suffix export may have added
    for part in output_paths(path, format=fmt):  # every file of the output (Shapefile parts) is published
        staging.adopt(staged.parent / part.name, part)
    run.add_output(path, crs=getattr(data, "crs", None), rows=len(data))
    return path


#: Columns that name features, in order of preference: ``name`` (shipped layers), then the
#: geocoder's list (项目名称, 名称, 项目, 工程名称 …), then ``title``.
_LABEL_FALLBACK = ("title", "标题")


def _label_column(gdf: pd.DataFrame) -> str | None:
    """The column that names the features: ``name``, else the usual Chinese name columns, else ``title``."""
    from .geocode import NAME_COLUMNS
    from .gazetteer import normalise_text

    columns = {}
    for column in gdf.columns:
        if column != getattr(gdf, "_geometry_column_name", None):
            columns.setdefault(normalise_text(str(column)).lower(), column)
    for candidate in ("name", *NAME_COLUMNS, *_LABEL_FALLBACK):
        found = columns.get(normalise_text(candidate).lower())
        if found is not None:
            return found
    return None


def _labels(gdf: pd.DataFrame) -> np.ndarray:
    """One text label per row, built once: the label column (blank cells: the index label), else the index."""
    import numpy as np
    import pandas as pd

    column = _label_column(gdf)
    index_labels = np.asarray(gdf.index.astype(str), dtype=object)
    if column is None:
        return index_labels
    values = gdf[column]
    text = values.astype(str).to_numpy(dtype=object)
    blank = values.isna().to_numpy() | (pd.Series(text).str.strip() == "").to_numpy()
    if blank.any():
        text[blank] = index_labels[blank]
    return text


def _print_table(table: pd.DataFrame, *, as_json: bool) -> None:
    import pandas as pd

    if as_json:
        click.echo(json.dumps(json.loads(table.to_json(orient="records", force_ascii=False)), ensure_ascii=False, indent=2))
        return
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                           "display.unicode.east_asian_width", True):
        click.echo(table.to_string(index=False))


# ---------------------------------------------------------------- the command group

@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@click.version_option(package_name="liuzhou-gis", prog_name="lzgis")
@click.pass_context
def cli(ctx: click.Context, quiet: bool) -> None:
    """Spatial-planning toolkit for Liuzhou (柳州市).

    LAYER arguments take a shipped layer name (see `lzgis layers`), structure:NAME
    (see `lzgis structures`) or a file (.gpkg[:layer], .geojson, .shp, .csv/.xlsx with
    lon/lat columns).  Outputs are never overwritten without --overwrite, and each run
    is recorded in manifest.json beside its outputs.  Exit status 2 means bad input.
    """
    ctx.ensure_object(State).quiet = quiet


@cli.command("layers")
@click.option("--json", "as_json", is_flag=True, help="Print JSON records instead of a table.")
@click.pass_obj
def layers_cmd(state: State, as_json: bool) -> None:
    """List the shipped layers with feature counts and counts per geocode_level."""
    import pandas as pd
    import pyogrio

    from .layers import layers_dir, list_layers

    table = list_layers()
    features, levels = [], []
    for _, row in table.iterrows():
        path = layers_dir() / row["file"]
        if not row["exists"]:
            features.append(None)
            levels.append("")
            continue
        info = pyogrio.read_info(path)
        features.append(int(info["features"]))
        if "geocode_level" in list(info["fields"]):
            values = pyogrio.read_dataframe(path, columns=["geocode_level"], read_geometry=False)["geocode_level"]
            counts = values.fillna("(none)").value_counts()
            levels.append(", ".join(f"{k}:{v}" for k, v in counts.items()))
        else:
            levels.append("")
    table = table.assign(features=pd.array(features, dtype="Int64"), geocode_levels=levels)
    table = table[["name", "title", "group", "kind", "features", "geocode_levels", "licence"]]
    _print_table(table, as_json=as_json)
    try:
        from .build.plans import summary
    except ImportError:
        return
    if not as_json:
        click.echo("")
        text = summary()
        click.echo(text.to_string(index=False) if hasattr(text, "to_string") else str(text))


@cli.command("structures")
@click.option("--json", "as_json", is_flag=True, help="Print JSON records instead of a table.")
def structures_cmd(as_json: bool) -> None:
    """List the shipped planning structures (export one with `lzgis structure NAME -o FILE`)."""
    from .structure import list_structures

    table = list_structures().drop(columns=["file"])
    _print_table(table, as_json=as_json)


@cli.command("structure")
@click.argument("name")
@click.option("--variant", help="Which version when several plans define it (see `lzgis structures`).")
@click.option("--format", "fmt", type=click.Choice(_FORMATS), help="Output format (default: from the suffix).")
@click.option("--encoding", type=click.Choice(["utf-8", "gbk"]), default="utf-8", show_default=True,
              help="Text encoding of Shapefile and CSV output.")
@_output_options()
@click.pass_obj
def structure_cmd(state: State, name: str, variant: str | None, fmt: str | None, encoding: str, output: Path,
                  overwrite: bool, as_json: bool) -> None:
    """Export one planning structure (one feature per element) to a file."""
    from .structure import structure

    run = _new_run("structure", {"name": name, "variant": variant, "format": fmt, "encoding": encoding,
                                 "output": output, "overwrite": overwrite})
    planned = _planned_outputs(output, fmt)
    _check_outputs(planned, overwrite=overwrite)
    gdf = structure(name, variant=variant)
    run.add_input(name, kind="structure", path=_structure_file(name), crs=gdf.crs, features=len(gdf), variant=variant)
    _write(gdf, output, run, state, overwrite=overwrite, fmt=fmt, encoding=encoding)
    _finish(run, planned[0].parent, state, as_json=as_json, summary={"rows": len(gdf)},
            lines=[f"{name}: {len(gdf)} elements"])


@cli.command("export")
@click.argument("layer")
@click.option("--format", "fmt", type=click.Choice(_FORMATS), help="Output format (default: from the suffix).")
@click.option("--encoding", type=click.Choice(["utf-8", "gbk"]), default="utf-8", show_default=True,
              help="Text encoding of Shapefile (.cpg) and CSV output.")
@click.option("--layer-name", help="Layer name in a GeoPackage / sheet name in Excel (default: the file stem).")
@_input_encoding_option
@_output_options()
@click.pass_obj
def export_cmd(state: State, layer: str, fmt: str | None, encoding: str, layer_name: str | None,
               input_encoding: str | None, output: Path, overwrite: bool, as_json: bool) -> None:
    """Export LAYER to GeoPackage, GeoJSON, Shapefile, CSV or Excel.

    \b
    lzgis export townships -o 乡镇.gpkg
    lzgis export townships -o 乡镇.shp --encoding gbk   # for partners on GBK software
    """
    run = _new_run("export", {"layer": layer, "format": fmt, "encoding": encoding, "layer_name": layer_name,
                              "input_encoding": input_encoding, "output": output, "overwrite": overwrite})
    planned = _planned_outputs(output, fmt)
    _check_outputs(planned, overwrite=overwrite)
    gdf = _load(layer, run=run, state=state, role="layer", encoding=input_encoding, need_positions=False)
    _write(gdf, output, run, state, overwrite=overwrite, fmt=fmt, layer=layer_name, encoding=encoding)
    _finish(run, planned[0].parent, state, as_json=as_json, summary={"rows": len(gdf)},
            lines=[f"{layer}: {len(gdf)} features"])


@cli.command("maps")
@_output_options(default="maps", help_text="Folder for the HTML maps.")
@click.pass_obj
def maps_cmd(state: State, output: Path, overwrite: bool, as_json: bool) -> None:
    """Build the default web maps (self-contained HTML) into a folder."""
    run = _new_run("maps", {"output": output, "overwrite": overwrite})
    paths = _build_maps(output, run, state, overwrite=overwrite)
    n_html, n_pdf = (sum(p.suffix == s for p in paths) for s in (".html", ".pdf"))
    _finish(run, output, state, as_json=as_json, summary={"maps": n_html, "pdfs": n_pdf},
            lines=[f"built {n_html} maps (HTML) and their {n_pdf} A3 PDFs"])


def _build_maps(folder: Path, run: Run, state: State, *, overwrite: bool) -> list[Path]:
    from .maps_default import build_default_maps, default_map_specs

    specs = default_map_specs()
    _check_outputs([folder / name for spec in specs
                    for name in (spec["file"], str(Path(spec["file"]).with_suffix(".pdf")))], overwrite=overwrite)
    _record_shipped_inputs(run)
    state.step(f"building {len(specs)} default maps (HTML and A3 PDF) into {folder} (this takes a while)")
    # Build into the run's staging folder; the maps are published with the other outputs and the record.
    staging = state.stage()
    paths = []
    for path in build_default_maps(staging.folder(folder), print_formats=("pdf",)):
        target = folder / path.name
        staging.adopt(path, target)
        paths.append(target)
    for path in paths:
        run.add_output(path)
    return paths


def _record_shipped_inputs(run: Run) -> None:
    from .layers import catalog, layers_dir

    root = layers_dir()
    for name, entry in catalog().items():
        path = root / entry["file"]
        if path.exists():  # shipped layers are GeoJSON in lon/lat WGS-84 (RFC 7946)
            run.add_input(name, kind="layer", path=path, crs="EPSG:4326")
    for path in sorted((root / "structures").glob("*.yaml")):
        run.add_input(f"structure:{path.stem}", kind="structure", path=path)
    for extra in ("map_styles.yaml", "basemaps.yaml"):
        if (root / extra).exists():
            run.add_input(extra, kind="style", path=root / extra)


@cli.command("map")
@click.option("--add", "add", multiple=True, type=click.Path(path_type=Path),
              help="A file to draw on top (repeatable): .gpkg, .geojson, .shp, .csv/.xlsx with lon/lat.")
@click.option("--layer", "layer_names", multiple=True, help="A shipped layer to draw (repeatable).")
@click.option("--structure", "structure_name", help="A planning structure to draw (see `lzgis structures`).")
@click.option("--title", default="柳州市空间规划图", show_default=True, help="Map title.")
@click.option("--paper", type=click.Choice(["A4", "A3", "A2", "A1"], case_sensitive=False), default="A3",
              show_default=True, help="Paper size of a PDF/PNG map.")
@click.option("--orientation", type=click.Choice(["landscape", "portrait"]), default="landscape",
              show_default=True, help="Page orientation of a PDF/PNG map.")
@_input_encoding_option
@_output_options(help_text="The file to write: *.html (offline web map), *.pdf or *.png (print-ready map).")
@click.pass_obj
def map_cmd(state: State, add: tuple[Path, ...], layer_names: tuple[str, ...], structure_name: str | None,
            title: str, paper: str, orientation: str, input_encoding: str | None, output: Path, overwrite: bool,
            as_json: bool) -> None:
    """Make one map with shipped layers, a structure and your own files: offline HTML, or PDF/PNG to print."""
    from .webmap import make_map, save_map

    if output.suffix.lower() not in (".html", ".htm", ".pdf", ".png"):
        raise InputError(f"map: -o {output.name}: name the output *.html (web map), *.pdf or *.png (print map).")
    run = _new_run("map", {"add": [str(p) for p in add], "layers": list(layer_names), "structure": structure_name,
                           "title": title, "input_encoding": input_encoding, "output": output,
                           "overwrite": overwrite, "paper": paper.upper(), "orientation": orientation})
    _check_outputs([output], overwrite=overwrite)
    added: list[Any] = []
    for path in add:  # fail on a bad file before the slow map build
        if not path.is_file():
            raise InputError(f"--add {path}: file not found (relative to {Path.cwd()}).")
        gdf = _load(str(path), run=run, state=state, role="added layer", encoding=input_encoding,
                    need_positions=False)
        added.append(_user_layer(gdf, path))
    layers: list[Any] = [_load(name, run=run, state=state, role="layer") for name in layer_names]
    n_added = len(add)
    structure = None
    if structure_name:
        structure = _load(f"structure:{structure_name}", run=run, state=state, role="structure")
    state.step(f"building the map {output}")
    # each file is read once: make_map gets the frames read and checked above (as read_user_layer gives them)
    fmap = make_map(layers, title=title, structure=structure, add=added)
    save_map(fmap, state.stage().path(output), paper=paper.upper(), orientation=orientation)
    run.add_output(output)
    _finish(run, output.parent, state, as_json=as_json, summary={"layers": len(layer_names) + n_added}, lines=[])


def _user_layer(gdf: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    """A file read by the CLI as :func:`gis.webmap.read_user_layer` gives it: EPSG:4326, titled from its data
    (a GeoJSON's name, a GeoPackage layer's description) or else by its file name."""
    from .webmap import _data_title

    if gdf.crs is None:
        from .crs import detect_crs

        gdf = gdf.set_crs(detect_crs(gdf, layer=str(path)))
    gdf = gdf.to_crs("EPSG:4326")
    gdf.attrs["layer"] = {"title": _data_title(path, None) or path.stem, "source": path.name}
    return gdf


@cli.command("geocode")
@click.argument("table", type=click.Path(path_type=Path))
@click.option("--overrides", type=click.Path(path_type=Path), help="CSV/YAML of hand-checked positions (win over all).")
@click.option("--datum", type=click.Choice(["wgs84", "cgcs2000", "gcj02", "bd09"]), default="wgs84", show_default=True,
              help="Datum of lon/lat columns in the table (GCJ-02: Amap/Tencent, BD-09: Baidu).")
@click.option("--name-col", help="Column with project names (default: recognised, e.g. 项目名称).")
@click.option("--place-col", help="Column with the place text (default: recognised, e.g. 建设地点).")
@click.option("--county-col", help="Column with the county (default: recognised, e.g. 县区).")
@click.option("--lon-col", help="Longitude column, if the table has coordinates.")
@click.option("--lat-col", help="Latitude column, if the table has coordinates.")
@click.option("--sheet", default="0", show_default=True, help="Excel sheet name or number.")
@click.option("--encoding", type=click.Choice(["utf-8", "gbk"]), default="utf-8", show_default=True,
              help="Text encoding of Shapefile and CSV output.")
@_input_encoding_only_option
@_output_options(help_text="Geocoded layer (.gpkg, .geojson, .shp, .csv, .xlsx); a <name>.report.csv is written beside it.")
@click.pass_obj
def geocode_cmd(state: State, table: Path, overrides: Path | None, datum: str, name_col: str | None,
                place_col: str | None, county_col: str | None, lon_col: str | None, lat_col: str | None, sheet: str,
                encoding: str, input_encoding: str | None, output: Path, overwrite: bool, as_json: bool) -> None:
    """Geocode a CSV or Excel table of projects by place names (and coordinates, if any).

    Every row is accounted for in the report (<output>.report.csv): rows that could
    not be placed have no geometry and a reason; total rows (合计/小计, or sums of the
    rows above) are "skipped" there and are not written to the layer.
    """
    from .geocode import geocode_table

    run = _new_run("geocode", {"table": table, "overrides": overrides, "datum": datum, "name_col": name_col,
                               "place_col": place_col, "county_col": county_col, "lon_col": lon_col,
                               "lat_col": lat_col, "sheet": sheet, "input_encoding": input_encoding,
                               "output": output, "overwrite": overwrite})
    if not table.is_file():
        raise InputError(f"{table}: file not found (relative to {Path.cwd()}).")
    if overrides is not None and not overrides.is_file():
        raise InputError(f"--overrides {overrides}: file not found.")
    planned = _planned_outputs(output)
    report_path = planned[0].with_name(planned[0].stem + ".report.csv")
    _check_outputs([*planned, report_path], overwrite=overwrite)
    state.step(f"geocoding {table}")
    sheet_arg: str | int = int(sheet) if sheet.isdigit() else sheet
    gdf, report = geocode_table(table, name_col=name_col, place_col=place_col, lon_col=lon_col, lat_col=lat_col,
                                county_col=county_col, datum=datum, overrides=overrides, sheet=sheet_arg,
                                encoding=input_encoding)
    run.add_input(str(table), kind="table", path=table, features=len(gdf), encoding=report.attrs["encoding"])
    if overrides is not None:
        run.add_input(str(overrides), kind="overrides", path=overrides)
    _write(gdf, output, run, state, overwrite=overwrite, encoding=encoding)
    _write(report, report_path, run, state, overwrite=overwrite)
    status = report["status"].value_counts().to_dict()
    levels = report["geocode_level"].fillna("(none)").value_counts().to_dict()
    flags = report["flags"].fillna("").astype(str)
    outside = int(flags.str.contains("outside_liuzhou").sum())
    corrected = int(flags.str.split(";").map(lambda f: "corrected" in f).sum())
    unread = int(flags.str.contains("unrecognised:").sum())
    skipped = int(status.get("skipped", 0))
    _finish(run, planned[0].parent, state, as_json=as_json,
            summary={"rows": len(report), "features": len(gdf), "status": status, "geocode_level": levels,
                     "outside_liuzhou": outside, "corrected": corrected, "unrecognised": unread},
            lines=[f"{len(report)} rows: " + ", ".join(f"{k} {v}" for k, v in status.items()),
                   "levels: " + ", ".join(f"{k} {v}" for k, v in levels.items()),
                   *([f"outside Liuzhou (flag outside_liuzhou): {outside}"] if outside else []),
                   *([f"corrected one-character slips (flag corrected, 更正错字): {corrected}"] if corrected else []),
                   *([f"finer places not recognised (flag unrecognised:…, 未识别): {unread}"] if unread else []),
                   *([f"skipped {skipped} total row(s) (合计行，不是项目): in the report only, not in the layer "
                      f"({len(gdf)} features written)"] if skipped else [])])


def _distances(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.replace("，", ",").split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--distances {text!r}: give metres separated by commas, e.g. 1000,3000,5000.") from None
    from ._validate import distances

    return distances(values, name="--distances")


@cli.command("buffer")
@click.argument("layer")
@click.option("--distances", required=True, help="Radii in metres, increasing, comma separated (e.g. 1000,3000,5000).")
@click.option("--dissolve", type=click.Choice(["none", "ring", "group"]), default="none", show_default=True,
              help="none: rings per feature; ring: all features merged per radius; group: merged per --by value.")
@click.option("--by", help="Column to group on with --dissolve group.")
@click.option("--disks", is_flag=True, help="Full disks 0-d instead of rings (d1-d2).")
@click.option("--encoding", type=click.Choice(["utf-8", "gbk"]), default="utf-8", show_default=True,
              help="Text encoding of Shapefile and CSV output.")
@_input_encoding_option
@_output_options()
@click.pass_obj
def buffer_cmd(state: State, layer: str, distances: str, dissolve: str, by: str | None, disks: bool, encoding: str,
               input_encoding: str | None, output: Path, overwrite: bool, as_json: bool) -> None:
    """Buffer rings (0-d1, d1-d2, …) around the features of LAYER, with areas.

    \b
    lzgis buffer railway_stations --distances 1000,3000,5000 --dissolve ring -o 车站缓冲.gpkg
    """
    from .buffer import buffer_rings

    radii = _distances(distances)
    run = _new_run("buffer", {"layer": layer, "distances_m": radii, "dissolve": dissolve, "by": by,
                              "rings": not disks, "input_encoding": input_encoding, "output": output,
                              "overwrite": overwrite})
    planned = _planned_outputs(output)
    _check_outputs(planned, overwrite=overwrite)
    gdf = _load(layer, run=run, state=state, role="layer", encoding=input_encoding)
    state.step(f"buffering {len(gdf)} features at {', '.join(f'{r:g}' for r in radii)} m")
    result = buffer_rings(gdf, radii, rings=not disks, dissolve=dissolve, by=by)
    _write(result, output, run, state, overwrite=overwrite, encoding=encoding)
    _finish(run, planned[0].parent, state, as_json=as_json, summary={"rows": len(result)},
            lines=[f"{len(result)} {'disks' if disks else 'rings'}"])


def _positional(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``gdf`` indexed 0..n-1 (only geometry and ``precision_m`` when it is not already): the analyses then
    answer in positions, which map back to labels, names and rows by one ``take`` each."""
    import geopandas as gpd
    import pandas as pd

    index = gdf.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return gdf
    data = {"precision_m": gdf["precision_m"].to_numpy()} if "precision_m" in gdf.columns else {}
    return gpd.GeoDataFrame(data, geometry=gdf.geometry.values, crs=gdf.crs)


def _positions(values: Any) -> np.ndarray:
    """Result positions (labels of a positional layer) as int64, -1 where there is none."""
    import numpy as np
    import pandas as pd

    array = np.asarray(values)
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    return pd.to_numeric(pd.Series(array, dtype=object)).fillna(-1).to_numpy(dtype=np.int64)


def _pair_table(origins: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, result: pd.DataFrame, *,
                origin_col: str, target_col: str, origin_columns: bool = False) -> gpd.GeoDataFrame:
    """Result rows with origin and target labels, and the origin geometry; linear in the rows.

    ``result`` comes from an analysis of :func:`_positional` layers, so ``origin_col`` and
    ``target_col`` hold positions (missing where no target); they are replaced by the layers' own
    index labels.  Labels are built once per layer (:func:`_labels`) and gathered by position.
    ``origin_columns``: append the origins' own columns (``origin_`` prefixed where a name is taken),
    for outputs that are a layer of origins.
    """
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    opos = _positions(result[origin_col])
    tpos = _positions(result[target_col])
    found = tpos >= 0
    tsafe = np.where(found, tpos, 0)
    target_names = _labels(targets)[tsafe] if len(targets) else np.full(len(tpos), None, dtype=object)
    target_index = np.asarray(targets.index, dtype=object)[tsafe] if len(targets) else \
        np.full(len(tpos), None, dtype=object)
    if not found.all():
        target_names = target_names.astype(object)
        target_names[~found] = None
        target_index[~found] = None
    target_index_col: Any = target_index
    if found.all() and len(targets) and targets.index.dtype.kind in "iu":
        target_index_col = targets.index.to_numpy()[tpos]
    columns: dict[str, Any] = {"origin_name": _labels(origins)[opos], "target_name": target_names}
    for column in result.columns:
        if column == origin_col:
            columns[column] = origins.index.to_numpy()[opos]
        elif column == target_col:
            columns[column] = target_index_col
        elif str(result[column].dtype) == "boolean":  # nullable (within_uncertainty): NA as an empty cell
            values = result[column]
            columns[column] = values.astype(object).where(values.notna(), None).to_numpy()
        else:
            columns[column] = result[column].to_numpy()
    if origin_columns:
        geometry_name = origins.geometry.name
        for column in origins.columns:
            if column == geometry_name:
                continue
            name = str(column)
            while name in columns:
                name = f"origin_{name}"
            columns[name] = origins[column].to_numpy()[opos]
    out = pd.DataFrame(columns, copy=False)
    return gpd.GeoDataFrame(out, geometry=origins.geometry.values.take(opos), crs=origins.crs)


def _proximity_layers(origins: str, targets: str, *, run: Run, state: State, input_encoding: str | None,
                      max_target_precision_m: float | None) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Origins and targets read once; targets located worse than ``--max-target-precision-m`` dropped.

    Warns when most targets (of those kept) are placed only by their county or city.
    """
    import numpy as np
    import pandas as pd

    o = _load(origins, run=run, state=state, role="origins", encoding=input_encoding)
    t = _load(targets, run=run, state=state, role="targets", encoding=input_encoding)
    if max_target_precision_m is not None:
        if "precision_m" not in t.columns:
            raise InputError(f"--max-target-precision-m: the targets {targets} have no precision_m column, so how "
                             "precisely they are located is unknown; drop the option or add the column.")
        precision = pd.to_numeric(t["precision_m"], errors="coerce").to_numpy(dtype=float)
        keep = precision <= max_target_precision_m
        unknown = int(np.isnan(precision).sum())
        state.step(f"{int(keep.sum())} of {len(t)} targets are located to {max_target_precision_m:g} m or better"
                   + (f" ({unknown} without precision_m)" if unknown else "") + "; the others are not targets")
        if not keep.any():
            state.warn(f"no target of {targets} is located to {max_target_precision_m:g} m or better "
                       "(--max-target-precision-m); every origin is left without one.")
        if not keep.all():
            t = t[keep]
    if "geocode_level" in t.columns and len(t):
        coarse = t["geocode_level"].isin(["county", "city"]).to_numpy()
        if coarse.sum() * 2 > len(t):
            state.warn(f"{int(coarse.sum())} of {len(t)} targets in {targets} are placed only by their county or "
                       "city (geocode_level county/city), so distances to them are uncertain by kilometres "
                       "(see target_precision_m); --max-target-precision-m 5000 keeps those located to a "
                       "township or better.")
    return o, t


def _missing(value: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _max_target_precision_option(fn: Callable) -> Callable:
    return click.option(
        "--max-target-precision-m", type=click.FloatRange(min=0), metavar="METRES",
        help="Only targets located at least this precisely (their precision_m) count; e.g. 5000 keeps those "
             "placed at a township or better and leaves out those known only by their county or city.",
    )(fn)


def _is_layer_output(output: Path) -> bool:
    """A spatial output (GeoPackage, GeoJSON, Shapefile) is a layer of origins: it keeps their columns."""
    return output.suffix.lower() in (".gpkg", ".geojson", ".json", ".shp")


@cli.command("nearest")
@click.argument("origins")
@click.argument("targets")
@click.option("-k", "k", type=click.IntRange(min=1), default=1, show_default=True, help="How many nearest targets.")
@click.option("--max-distance-m", type=click.FloatRange(min=0), help="Ignore targets farther than this (metres).")
@_max_target_precision_option
@click.option("--encoding", type=click.Choice(["utf-8", "gbk"]), default="utf-8", show_default=True,
              help="Text encoding of Shapefile and CSV output.")
@_input_encoding_option
@_output_options(help_text="Result table (.csv, .xlsx) or layer of origins (.gpkg, .geojson, .shp).")
@click.pass_obj
def nearest_cmd(state: State, origins: str, targets: str, k: int, max_distance_m: float | None,
                max_target_precision_m: float | None, encoding: str, input_encoding: str | None, output: Path,
                overwrite: bool, as_json: bool) -> None:
    """The nearest TARGETS of every feature of ORIGINS, geodesic dist_m.

    With -k 1, n_tied says how many targets are equally near (within 1 mm); when it
    is 2 or more the first of them in TARGETS was chosen: rerun with -k to list them.
    Origins and targets are named from their name column (name, 项目名称, 名称 …); a
    .gpkg/.geojson/.shp output keeps the origins' own columns.

    \b
    lzgis nearest townships railway_stations -o 最近车站.csv
    """
    from .proximity import nearest

    max_distance_m = _distance_option(max_distance_m, name="--max-distance-m")
    max_target_precision_m = _distance_option(max_target_precision_m, name="--max-target-precision-m")
    run = _new_run("nearest", {"origins": origins, "targets": targets, "k": k, "max_distance_m": max_distance_m,
                               "max_target_precision_m": max_target_precision_m,
                               "input_encoding": input_encoding, "output": output, "overwrite": overwrite})
    planned = _planned_outputs(output)
    _check_outputs(planned, overwrite=overwrite)
    o, t = _proximity_layers(origins, targets, run=run, state=state, input_encoding=input_encoding,
                             max_target_precision_m=max_target_precision_m)
    state.step(f"nearest: {len(o)} origins × {len(t)} targets")
    result = nearest(_positional(o), _positional(t), k=k, max_distance_m=max_distance_m)
    if k == 1:
        result = result.rename_axis("origin_index").reset_index()
    else:
        result = result.reset_index()
    table = _pair_table(o, t, result, origin_col="origin_index", target_col="target_index",
                        origin_columns=_is_layer_output(output))
    _write(table, output, run, state, overwrite=overwrite, encoding=encoding)
    reached = int(table["dist_m"].notna().sum())
    _finish(run, planned[0].parent, state, as_json=as_json,
            summary={"rows": len(table), "origins": len(o), "targets": len(t), "reached": reached,
                     "dist_m_max": None if not reached else float(table["dist_m"].max())},
            lines=[f"{len(table)} rows; {reached} with a target"])


@cli.command("within")
@click.argument("origins")
@click.argument("targets")
@click.option("--distance-m", required=True, type=click.FloatRange(min=0), help="Radius in metres.")
@_max_target_precision_option
@click.option("--encoding", type=click.Choice(["utf-8", "gbk"]), default="utf-8", show_default=True,
              help="Text encoding of Shapefile and CSV output.")
@_input_encoding_option
@_output_options(help_text="Result table (.csv, .xlsx) or layer (.gpkg, .geojson, .shp), one row per pair.")
@click.pass_obj
def within_cmd(state: State, origins: str, targets: str, distance_m: float, max_target_precision_m: float | None,
               encoding: str, input_encoding: str | None, output: Path, overwrite: bool, as_json: bool) -> None:
    """Every (origin, target) pair closer than --distance-m metres (geodesic).

    Named as in `lzgis nearest`; a .gpkg/.geojson/.shp output keeps the origins' own columns.
    """
    from .proximity import within

    distance_m = _distance_option(distance_m, name="--distance-m")
    max_target_precision_m = _distance_option(max_target_precision_m, name="--max-target-precision-m")
    run = _new_run("within", {"origins": origins, "targets": targets, "distance_m": distance_m,
                              "max_target_precision_m": max_target_precision_m,
                              "input_encoding": input_encoding, "output": output, "overwrite": overwrite})
    planned = _planned_outputs(output)
    _check_outputs(planned, overwrite=overwrite)
    o, t = _proximity_layers(origins, targets, run=run, state=state, input_encoding=input_encoding,
                             max_target_precision_m=max_target_precision_m)
    state.step(f"within {distance_m:g} m: {len(o)} origins × {len(t)} targets")
    result = within(_positional(o), _positional(t), distance_m)
    table = _pair_table(o, t, result, origin_col="origin_index", target_col="target_index",
                        origin_columns=_is_layer_output(output))
    _write(table, output, run, state, overwrite=overwrite, encoding=encoding)
    _finish(run, planned[0].parent, state, as_json=as_json, summary={"rows": len(table), "pairs": len(table)},
            lines=[f"{len(table)} pairs within {distance_m:g} m"])


@cli.command("matrix")
@click.argument("origins")
@click.argument("targets")
@_input_encoding_option
@_output_options(help_text="The matrix as a table (.csv or .xlsx): one row per origin, one column per target.")
@click.pass_obj
def matrix_cmd(state: State, origins: str, targets: str, input_encoding: str | None, output: Path, overwrite: bool,
               as_json: bool) -> None:
    """Origin-destination matrix of geodesic distances in metres."""
    import pandas as pd

    from .proximity import od_matrix

    _table_suffix(output, verb="matrix")
    run = _new_run("matrix", {"origins": origins, "targets": targets, "input_encoding": input_encoding,
                              "output": output, "overwrite": overwrite})
    _check_outputs([output], overwrite=overwrite)
    o = _load(origins, run=run, state=state, role="origins", encoding=input_encoding)
    t = _load(targets, run=run, state=state, role="targets", encoding=input_encoding)
    state.step(f"matrix: {len(o)} × {len(t)} distances")
    matrix = od_matrix(o, t)
    columns = _unique(_labels(t))
    table = pd.DataFrame(matrix.to_numpy(), columns=[f"{c}_dist_m" for c in columns])
    table.insert(0, "origin", _labels(o))
    _write(table, output, run, state, overwrite=overwrite)
    _finish(run, output.parent, state, as_json=as_json, summary={"rows": len(o), "columns": len(t)},
            lines=[f"{len(o)} × {len(t)} matrix"])


def _unique(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return out


@cli.command("run")
@_output_options(default="maps", help_text="Folder for the maps and the analysis table.")
@click.pass_obj
@click.option("--max-precision-m", type=click.FloatRange(min=0, min_open=True), default=22000.0, show_default=True,
              help="Only logistics nodes located at least this precisely count as targets (22000 m keeps "
                   "township-level and better, township extents reaching 21.4 km; nodes known only to a county "
                   "other than 城中区 (11 km) or to the city are left out).")
def run_cmd(state: State, output: Path, overwrite: bool, as_json: bool, max_precision_m: float) -> None:
    """The main job: build the default maps and the township → nearest logistics node table.

    Writes <folder>/*.html, <folder>/analysis_townships_nearest_logistics.csv
    (each township's nearest located node of the 物流 layers with dist_m), the service areas on the roads
    (analysis_service_areas.csv, service_areas.geojson: 半小时/一小时经济圈 of 中心城区, 柳城, 鹿寨), the drive
    times of every township seat to its quickest county seat and logistics node (analysis_drive_times.csv),
    and the manifest.
    """
    import geopandas as gpd
    import pandas as pd

    from .layers import catalog, load_layer
    from .proximity import nearest

    analysis = output / "analysis_townships_nearest_logistics.csv"
    areas_csv, areas_geo = output / "analysis_service_areas.csv", output / "service_areas.geojson"
    drive_csv = output / "analysis_drive_times.csv"
    run = _new_run("run", {"output": output, "overwrite": overwrite, "max_precision_m": max_precision_m})
    _check_outputs([analysis, areas_csv, areas_geo, drive_csv], overwrite=overwrite)
    paths = _build_maps(output, run, state, overwrite=overwrite)
    hub_layers = [n for n, e in catalog().items() if e.get("group") == "物流"]
    n_html, n_pdf = (sum(p.suffix == s for p in paths) for s in (".html", ".pdf"))
    summary: dict[str, Any] = {"maps": n_html, "pdfs": n_pdf}
    lines = [f"built {n_html} maps (HTML) and their {n_pdf} A3 PDFs"]
    if "townships" in catalog() and hub_layers:
        state.step(f"nearest logistics node for every township ({', '.join(hub_layers)})")
        towns = load_layer("townships")
        hubs = pd.concat([load_layer(n).assign(layer=n) for n in hub_layers], ignore_index=True)
        hubs = gpd.GeoDataFrame(hubs, geometry="geometry", crs="EPSG:4326")
        located = hubs["precision_m"].notna() & (hubs["precision_m"] <= max_precision_m)
        state.step(f"{int(located.sum())} of {len(hubs)} logistics nodes are located to {max_precision_m:g} m "
                   "or better; the others (known only to their county or city) are not targets")
        hubs = hubs[located.to_numpy()].reset_index(drop=True)
        result = nearest(_positional(towns), hubs).rename_axis("origin_index").reset_index()
        table = _pair_table(towns, hubs, result, origin_col="origin_index", target_col="target_index")
        keep = [c for c in ("county",) if c in towns.columns]
        for column in keep:
            table.insert(1, f"origin_{column}", towns[column].to_numpy())
        table.insert(table.columns.get_loc("target_name") + 1, "target_layer",
                     [None if _missing(i) else hubs.at[i, "layer"] for i in result["target_index"]])
        _write(table, analysis, run, state, overwrite=overwrite)
        summary["townships"] = len(table)
        summary["dist_m_median"] = float(table["dist_m"].median())
        summary["targets"] = len(hubs)
        lines.append(f"{len(table)} townships; median distance to the nearest of {len(hubs)} logistics nodes "
                     f"located to {max_precision_m:g} m or better: {table['dist_m'].median() / 1000:.1f} km")
    else:
        state.warn("no 物流 (logistics) layer or no townships layer is shipped; the analysis table was skipped.")
    if {"roads", "townships", "county_seats"} <= set(catalog()):
        from .maps_default import drive_times, service_areas

        state.step("service areas (半小时/一小时经济圈) on the roads (layers/network/service_areas.yaml)")
        areas = service_areas()
        _write(areas.drop(columns="geometry"), areas_csv, run, state, overwrite=overwrite)
        _write(areas, areas_geo, run, state, overwrite=overwrite)
        state.step("drive times from every township seat to its quickest county seat and logistics node")
        times = drive_times()
        _write(times, drive_csv, run, state, overwrite=overwrite)
        summary["service_areas"] = len(areas)
        summary["drive_time_county_seat_minutes_median"] = float(times["county_seat_minutes"].median())
        lines.append(f"service areas: {len(areas)} ({', '.join(areas['name'])}); median drive time from a township "
                     f"seat to its county seat {times['county_seat_minutes'].median():.0f} min on the roads")
    else:
        state.warn("no roads layer is shipped; the service areas and drive times were skipped.")
    _finish(run, output, state, as_json=as_json, summary=summary, lines=lines)


# ---------------------------------------------------------------- siting and compliance review

_REVIEW_SUFFIXES = (".xlsx", ".csv", ".gpkg")
#: The column 示例数据 of every review output when the zones are the synthetic example.
_EXAMPLE_TAG = "示例：管控分区为虚构，非真实三区三线"


def _review_sheets(result: Any, details: Any, fp: Any, projects: Any, zones: Any, *, comparison: Any,
                   zone_field: str | None, zone_name: str | None, inputs: list[tuple[str, Any, str]],
                   parameters: dict[str, Any], notes: list[str], example: bool) -> dict[str, Any]:
    """The workbook's sheets: 汇总 (per project row), 明细 (per overlap with a zone feature), 说明, [方案比选]."""
    import pandas as pd

    from . import __version__
    from .review import MU_M2, _BASIS_ZH, _VERDICTS_ZH
    from .review_maps import worst_verdicts

    tag = _EXAMPLE_TAG if example else None
    classes = result.attrs["review"]["zone_classes"]
    first = result.drop_duplicates("source_index").set_index("source_index")
    summary = pd.DataFrame({"row": first["row"], "project": first["project"]})
    if "option" in first.columns:
        summary["option"] = first["option"]
    label = _label_column(projects)
    if label and label not in ("project",):
        summary["name"] = [str(v) for v in projects[label].reindex(summary.index)]
    summary["footprint_basis"] = [_BASIS_ZH[b] for b in first["footprint_basis"]]
    summary["estimate"] = first["estimate"]
    for column in ("footprint_ha", "footprint_mu", "precision_m"):
        summary[column] = first[column]
    for cls in classes:
        part = result[result["zone_class"] == cls].set_index("source_index")
        summary[f"{cls}_area_ha"] = part["area_ha"]
        summary[f"{cls}_area_mu"] = part["area_mu"]
        summary[f"{cls}_share_pct"] = part["share_pct"]
        summary[f"{cls}_verdict"] = part["verdict_zh"]
    worst = worst_verdicts(result)
    summary["verdict"] = worst["verdict"]
    summary["verdict_zh"] = [_VERDICTS_ZH[v] for v in worst["verdict"].reindex(summary.index)]
    summary["zone_classes_touched"] = worst["classes"]
    summary = summary.reset_index()
    if tag:
        summary.insert(0, "示例数据", tag)
    detail = pd.DataFrame(details.drop(columns=details.geometry.name))
    if zone_name is not None and len(detail):
        detail.insert(detail.columns.get_loc("zone_index") + 1, "zone_name",
                      [str(zones.at[i, zone_name]) for i in detail["zone_index"]])
    detail["footprint_basis"] = [_BASIS_ZH[b] for b in detail["footprint_basis"]]
    if tag:
        detail.insert(0, "示例数据", tag)
    info: list[tuple[str, Any]] = []
    if tag:
        info.append(("示例数据", tag + "。示例仅用于演示方法，不得用于真实审查。"))
    info += [("工具", f"liuzhou-gis {__version__} lzgis review")]
    for name, crs, what in inputs:
        info.append((f"输入：{what}", f"{name}（坐标系 {crs}）"))
    info += [
        ("项目行数", f"{len(projects)}（每一行都在汇总表中出现，每个分区类别一列）"),
        ("分区要素数", f"{len(zones)}；分区类别：{'、'.join(classes)}"),
        ("分析坐标系", result.attrs["review"]["analysis_crs"] + "（面积为椭球面积，距离为测地线距离）"),
    ]
    info += [(f"参数 {k}", "" if v is None else str(v)) for k, v in parameters.items()]
    info += [
        ("面积单位", f"公顷 (ha)；亩 = 10000/15 m² ≈ {MU_M2:.2f} m²；1 公顷 = 15 亩"),
        ("方法：用地", "面要素按原范围；带用地面积的点按等面积圆估算（estimate = True）；无面积的点只判断位置"),
        ("方法：重叠", "同一类别的分区先合并（并集），同一地块在一个类别内只计一次；不同类别可重叠"),
        ("结论：占用 inside", "在位置精度 precision_m 内的任何可能位置都与该类分区重叠"),
        ("结论：可能涉及 may_touch", "只有部分可能位置重叠，或按现有信息无法证明必然重叠"),
        ("结论：不涉及 clear", "在 precision_m 内的任何可能位置都不与该类分区重叠"),
        ("明细", "每个项目行与每个分区要素的重叠；同类分区互相重叠时，明细面积之和可大于汇总面积"),
    ]
    if comparison is not None:
        info.append(("方案比选排序", comparison.attrs.get("ranking", "")))
    info += [("说明", n) for n in notes]
    sheets = {"汇总": summary, "明细": detail}
    if comparison is not None:
        comp = pd.DataFrame(comparison)
        if tag:
            comp.insert(0, "示例数据", tag)
        sheets["方案比选"] = comp
    sheets["说明"] = pd.DataFrame(info, columns=["项目", "内容"])
    return sheets


@cli.command("review")
@click.argument("projects")
@click.option("--zones", required=True, help="The control zones: a file (.gpkg[:layer], .shp, .geojson, CSV with WKT) "
                                             "or a shipped layer (zones_example is a synthetic example).")
@click.option("--zone-field", help="Zone class column, e.g. 类型 (生态保护红线 / 永久基本农田 …); default: one class.")
@click.option("--option-field", help="Option column (方案): compare the options of each project (sheet 方案比选).")
@click.option("--project-field", help="Project id column (default: project, 项目, 项目名称, name or 名称).")
@click.option("--area-field", help="Stated area column of points (default: recognised, e.g. 用地面积(亩), area_ha).")
@click.option("--area-unit", type=click.Choice(["mu", "ha", "km2", "m2"]), help="Unit of --area-field if its name "
                                                                                 "does not say.")
@click.option("--zones-datum", type=click.Choice(["wgs84", "cgcs2000", "gcj02", "bd09"]),
              help="Datum of lon/lat zones: gcj02 (Amap) / bd09 (Baidu) are converted to WGS-84, and the report says so.")
@click.option("--projects-datum", type=click.Choice(["wgs84", "cgcs2000", "gcj02", "bd09"]),
              help="Datum of lon/lat projects (as --zones-datum).")
@click.option("--roads", help="Road lines for drive times to the county seat in 方案比选 (default: a shipped roads "
                              "layer if there is one, else skipped).")
@click.option("--no-map", is_flag=True, help="Do not write the HTML map beside the output.")
@_input_encoding_option
@_output_options(help_text="review.xlsx (sheets 汇总 / 明细 / 说明 [/ 方案比选]), or .csv (per project row × zone "
                           "class) or .gpkg (layers 审查结果, 用地, 明细); the map <name>.html is written beside it.")
@click.pass_obj
def review_cmd(state: State, projects: str, zones: str, zone_field: str | None, option_field: str | None,
               project_field: str | None, area_field: str | None, area_unit: str | None, zones_datum: str | None,
               projects_datum: str | None, roads: str | None, no_map: bool, input_encoding: str | None, output: Path,
               overwrite: bool, as_json: bool) -> None:
    """Compliance review (合规性审查): hectares of each zone class each project (option) occupies, with verdicts.

    \b
    lzgis review 方案.csv --zones 三区三线.gpkg --zone-field 类型 --option-field 方案 -o 审查.xlsx
    lzgis review 方案.csv --zones zones_example --zone-field 类型 -o 示例审查.xlsx   # synthetic example zones

    Verdicts respect each project's precision_m: inside (every possible position overlaps),
    may_touch (some do), clear (none). Points with a stated area (用地面积(亩), area_ha …) become
    equal-area disks (estimate); points without one get the position check only.
    """
    import geopandas as gpd

    from .review import footprints, review
    from .review_maps import is_example, review_map
    from .webmap import save_map

    suffix = output.suffix.lower()
    if suffix not in _REVIEW_SUFFIXES:
        raise InputError(f"review: -o {output.name}: name the output *.xlsx (workbook), *.csv or *.gpkg.")
    run = _new_run("review", {"projects": projects, "zones": zones, "zone_field": zone_field,
                              "option_field": option_field, "project_field": project_field, "area_field": area_field,
                              "area_unit": area_unit, "zones_datum": zones_datum, "projects_datum": projects_datum,
                              "roads": roads, "map": not no_map, "input_encoding": input_encoding, "output": output,
                              "overwrite": overwrite})
    html = output.with_suffix(".html")
    pdf = None if no_map else output.with_suffix(".pdf")  # the printed map beside the HTML (gis.printmap)
    planned = [output] + ([] if no_map else [html]) + ([pdf] if pdf else [])
    _check_outputs(planned, overwrite=overwrite)
    p = _load(projects, run=run, state=state, role="projects", encoding=input_encoding)
    z = _load(zones, run=run, state=state, role="zones", encoding=input_encoding)
    state.step(f"reviewing {len(p)} project rows against {len(z)} zone features")
    kwargs = dict(zone_field=zone_field, option_field=option_field, project_field=project_field,
                  area_field=area_field, area_unit=area_unit, projects_datum=projects_datum, zones_datum=zones_datum)
    result = review(p, z, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the same warnings as the first call
        details = review(p, z, by_feature=True, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # review() has warned already
        fp = footprints(p, area_field=area_field, area_unit=area_unit, datum=projects_datum)
    comparison = None
    if option_field is not None:
        from .siting import compare_options

        state.step("comparing the options of each project (方案比选)")
        comparison = compare_options(p, z, option_field=option_field, zone_field=zone_field,
                                     project_field=project_field, area_field=area_field, area_unit=area_unit,
                                     zones_datum=zones_datum, roads="auto" if roads is None else roads)
    notes = list(result.attrs["review"]["notes"]) + ([] if comparison is None else comparison.attrs["notes"])
    for note in notes:
        if _one_line(note) in state.notes:
            continue
        if "declared" in note:  # a datum conversion: say it on stderr too
            state.warn(note)
        else:
            state.notes.append(_one_line(note))
    example = is_example(z)
    if example:
        state.warn(f"{zones}: these zones are a synthetic example (示例), not real 三区三线; every sheet and the map "
                   "say so.")
    zone_name = _label_column(z)
    inputs = [(projects, getattr(p.crs, "to_string", lambda: None)(), "项目/方案"),
              (zones, getattr(z.crs, "to_string", lambda: None)(), "管控分区")]
    folder = output.parent
    staging = state.stage()
    output_crs = None
    tmp = staging.path(output)
    if suffix == ".xlsx":
        from ._workbook import write_workbook

        sheets = _review_sheets(result, details, fp, p, z, comparison=comparison, zone_field=zone_field,
                                zone_name=zone_name, inputs=inputs, parameters=run.parameters, notes=notes,
                                example=example)
        state.step(f"writing {output}")
        write_workbook(sheets, tmp)
    elif suffix == ".csv":
        from .export import export

        table = result.drop(columns=result.geometry.name)
        if example:
            table.insert(0, "示例数据", _EXAMPLE_TAG)
        export(table, tmp, csv_formulas=state.csv_formulas)
    else:
        import pyogrio

        layers = {"审查结果": result, "用地": gpd.GeoDataFrame(fp.drop(columns="scale_k"), crs=fp.crs),
                  "明细": details}
        for name, layer in layers.items():
            layer = layer.to_crs("EPSG:4326")
            if example:
                layer.insert(0, "示例数据", _EXAMPLE_TAG)
            pyogrio.write_dataframe(layer, tmp, layer=name, driver="GPKG")
        output_crs = "EPSG:4326"
    run.add_output(output, crs=output_crs)
    if not no_map:
        state.step(f"drawing the map {html}")
        labels = p[[c for c in dict.fromkeys([_label_column(p), result.attrs["review"]["project_field"],
                                              option_field]) if c]]
        fmap = review_map(result, fp, z, zone_field=zone_field, labels=labels)
        save_map(fmap, staging.path(html))
        run.add_output(html)
        if pdf is not None:
            save_map(fmap, staging.path(pdf))
            run.add_output(pdf)
    counts = result.drop_duplicates("source_index").shape[0]
    verdicts = result["verdict"].value_counts().to_dict()
    _finish(run, folder, state, as_json=as_json,
            summary={"projects": counts, "zone_classes": result.attrs["review"]["zone_classes"],
                     "verdicts": verdicts, "example_zones": example},
            lines=[f"{counts} project rows × {len(result.attrs['review']['zone_classes'])} zone classes: "
                   + ", ".join(f"{k} {v}" for k, v in verdicts.items())])


def _criterion(spec: str, *, option: str, minutes: bool) -> tuple[str, str, float | str]:
    """``LAYER:LIMIT`` (metres, or minutes as ``30min``) → (label, layer, limit)."""
    if ":" not in spec:
        raise InputError(f"{option} {spec!r}: give LAYER:LIMIT, e.g. logistics:10000 (metres)"
                         + (" or logistics:30min" if minutes else "") + ".")
    layer, limit = spec.rsplit(":", 1)
    text = limit.strip().lower()
    if minutes and text.endswith("min"):
        try:
            float(text[:-3])
        except ValueError:
            raise InputError(f"{option} {spec!r}: {limit!r} is not a number of minutes.") from None
        return Path(layer).stem, layer, f"{text[:-3]} min"
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{option} {spec!r}: {limit!r} is not a distance in metres.") from None
    from ._validate import distance

    return Path(layer).stem, layer, distance(value, name=option)


def _polygons(spec: str, *, run: Run, state: State, role: str, encoding: str | None) -> tuple[str, Any]:
    """A county, a polygon element of the default structure, or a layer; ``LAYER:FIELD=VALUE`` keeps matching rows."""
    from .layers import load_layer
    from .siting import DEFAULT_STRUCTURE
    from .structure import structure

    counties = load_layer("counties")
    hit = counties[(counties["name"] == spec) | (counties["short_name"] == spec)]
    if len(hit):
        run.add_input(spec, kind="county", crs="EPSG:4326", features=1, role=role)
        return spec, hit
    elements = structure(DEFAULT_STRUCTURE)
    hit = elements[(elements["name"] == spec) & elements.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(hit):
        run.add_input(f"structure:{DEFAULT_STRUCTURE}:{spec}", kind="structure", crs="EPSG:4326", features=1,
                      role=role)
        return spec, hit
    where = None
    if "=" in spec and ":" in spec:
        spec, where = spec.rsplit(":", 1)
    gdf = _load(spec, run=run, state=state, role=role, encoding=encoding)
    label = Path(spec).stem
    if where is not None:
        field, value = where.split("=", 1)
        if field not in gdf.columns:
            raise InputError(f"{role} {spec}: has no column {field!r}; its columns are "
                             f"{', '.join(str(c) for c in gdf.columns if c != gdf.geometry.name)}.")
        gdf = gdf[gdf[field].astype(str) == value]
        if gdf.empty:
            raise InputError(f"{role} {spec}: no row has {field} = {value!r}.")
        label = value
    return label, gdf


@cli.command("site")
@click.argument("candidates", required=False)
@click.option("--grid", help="Instead of CANDIDATES: a grid over a county (柳城县 / 柳城), a polygon element of "
                             "一核两翼三组团多支点 (中心城区) or a polygon file.")
@click.option("--spacing-m", type=click.FloatRange(min=0, min_open=True), default=2000.0, show_default=True,
              help="Grid spacing in metres (with --grid).")
@click.option("--near", multiple=True, help="LAYER:METRES (or LAYER:30min with --roads): within that of the nearest "
                                            "feature. Repeatable.")
@click.option("--far-from", multiple=True, help="LAYER:METRES: farther than that from every feature. Repeatable.")
@click.option("--exclude", multiple=True, help="Polygons to stay out of: a layer or file, LAYER:FIELD=VALUE for some "
                                               "rows (zones_example:类型=生态保护红线). Repeatable.")
@click.option("--inside", "inside_", multiple=True, help="Polygons to lie in: a county, a structure element "
                                                         "(中心城区) or a layer. Repeatable.")
@click.option("--weight", multiple=True, help="LABEL=W: weight of a criterion in the score (default 1). Labels are "
                                              "the layer names / values shown in the table.")
@click.option("--roads", help="Road lines (layer or file) for limits in minutes.")
@click.option("--no-map", is_flag=True, help="Do not write the HTML map beside the output.")
@_input_encoding_option
@_output_options(help_text="Ranked table (.csv, .xlsx) or layer (.gpkg, .geojson); the map <name>.html beside it.")
@click.pass_obj
def site_cmd(state: State, candidates: str | None, grid: str | None, spacing_m: float, near: tuple[str, ...],
             far_from: tuple[str, ...], exclude: tuple[str, ...], inside_: tuple[str, ...], weight: tuple[str, ...],
             roads: str | None, no_map: bool, input_encoding: str | None, output: Path, overwrite: bool,
             as_json: bool) -> None:
    """Site suitability: score candidate points by criteria, rank them, map them.

    \b
    lzgis site --grid 柳城县 --spacing-m 2000 --near logistics:15000 --near railway_stations:10000 \
        --exclude zones_example:类型=生态保护红线 --inside 柳城县 -o 候选.csv
    """
    from .review_maps import site_map
    from .siting import candidate_grid, site_suitability
    from .webmap import save_map

    if (candidates is None) == (grid is None):
        raise InputError("site: give either CANDIDATES (a file or layer of points) or --grid AREA, not both or none.")
    run = _new_run("site", {"candidates": candidates, "grid": grid, "spacing_m": spacing_m, "near": list(near),
                            "far_from": list(far_from), "exclude": list(exclude), "inside": list(inside_),
                            "weight": list(weight), "roads": roads, "map": not no_map,
                            "input_encoding": input_encoding, "output": output, "overwrite": overwrite})
    near_spec = [_criterion(s, option="--near", minutes=True) for s in near]
    far_spec = [_criterion(s, option="--far-from", minutes=False) for s in far_from]
    weights: dict[str, float] = {}
    for item in weight:
        label, _, value = item.partition("=")
        try:
            weights[label] = float(value)
        except ValueError:
            raise InputError(f"--weight {item!r}: give LABEL=NUMBER, e.g. logistics=2.") from None
    planned = _planned_outputs(output)
    html = planned[0].with_suffix(".html")
    if planned[0].suffix.lower() == ".html":
        raise InputError("site: -o names the table; the map is written beside it as <name>.html.")
    _check_outputs(planned + ([] if no_map else [html]), overwrite=overwrite)
    if grid is not None:
        label, area = _polygons(grid, run=run, state=state, role="grid area", encoding=input_encoding)
        state.step(f"candidates: a {spacing_m:g} m grid over {label}")
        cands = candidate_grid(area, spacing_m=spacing_m)
    else:
        cands = _load(candidates, run=run, state=state, role="candidates", encoding=input_encoding)
    near_arg = {lbl: (_load(layer, run=run, state=state, role=f"near {lbl}", encoding=input_encoding), limit)
                for lbl, layer, limit in near_spec}
    far_arg = {lbl: (_load(layer, run=run, state=state, role=f"far from {lbl}", encoding=input_encoding), limit)
               for lbl, layer, limit in far_spec}
    excl = dict(_polygons(s, run=run, state=state, role="exclude", encoding=input_encoding) for s in exclude)
    ins = dict(_polygons(s, run=run, state=state, role="inside", encoding=input_encoding) for s in inside_)
    roads_gdf = None if roads is None else _load(roads, run=run, state=state, role="roads", encoding=input_encoding)
    state.step(f"scoring {len(cands)} candidates")
    ranked = site_suitability(cands, near=near_arg or None, far_from=far_arg or None, exclude=excl or None,
                              inside=ins or None, weights=weights or None, roads=roads_gdf)
    for text in ranked.attrs["criteria"]:
        state.notes.append(f"criterion {text}")
    folder = planned[0].parent
    _write(ranked, output, run, state, overwrite=overwrite)  # every part of a Shapefile; the suffix export adds
    if not no_map:
        context = [(g, {"title": f"排除：{lbl}", "group": "评价条件", "style": {"color": "#b2182b"}})
                   for lbl, g in excl.items()]
        context += [(g, {"title": f"范围：{lbl}", "group": "评价条件", "style": {"color": "#2166ac",
                                                                           "fill_opacity": 0.05}})
                    for lbl, g in ins.items()]
        save_map(site_map(ranked, context=context), state.stage().path(html))
        run.add_output(html)
    n_ok = int(ranked["all_pass"].sum())
    _finish(run, folder, state, as_json=as_json,
            summary={"candidates": len(ranked), "all_pass": n_ok, "criteria": ranked.attrs["criteria"]},
            lines=[f"{len(ranked)} candidates; {n_ok} pass every criterion"] + list(ranked.attrs["criteria"]))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lzgis`` console script; returns the exit status."""
    try:
        status = cli.main(args=argv, prog_name="lzgis", standalone_mode=False)
    except click.exceptions.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("lzgis: aborted.", err=True)
        return 130
    return status if isinstance(status, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
