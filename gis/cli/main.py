"""The ``lzgis`` command group: global options, per-run :class:`State`, and errors as one line each.

Library errors become ``lzgis: error: <reason>`` (exit status 2), unexpected ones
``lzgis: internal error: …`` (exit status 1); library warnings are shown on stderr and
kept for the run's record (see :mod:`gis.cli`).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, TextIO

import click

from .._errors import GisError

EXIT_INPUT = 2
EXIT_INTERNAL = 1
#: Exit status when the reader of standard output closed the pipe (128 + SIGPIPE, as a shell reports `yes | head`).
EXIT_PIPE = 141


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


class _PipeClosed(Exception):
    """The reader of standard output closed the pipe: the command ends quietly (:func:`main`)."""


@dataclass
class State:
    """Per-invocation settings and the notes (warnings) collected on the way."""

    quiet: bool = False
    notes: list[str] = field(default_factory=list)
    absolute_paths: bool = False
    csv_formulas: str = "neutralise"
    input_crs: str | None = None
    crs: str | None = None  # --crs: the CRS written outputs are reprojected to
    make_valid: bool = False
    strict: bool = False  # --strict: refuse a geocoded table's rows without a position
    labels: dict[str, str] = field(default_factory=dict)  # layer role (origins, gdf …) -> the file as given
    staging: Any = None  # gis._io.Staging of this run's outputs
    overwrite: bool = False
    stdout_format: str | None = None  # --format of a verb writing its result to standard output (-o -)
    to_stdout: bool = False  # -o -: the result goes to standard output (no manifest; summary on stderr)

    def stage(self) -> Any:
        """The Staging of this run's outputs (created on first use)."""
        if self.staging is None:
            from .._io import Staging

            self.staging = Staging()
        return self.staging

    bars: _TerminalBars | None = None  # the progress shown on a terminal's stderr (None: none shown)

    def step(self, message: str) -> None:
        if not self.quiet:
            self.echo(f"lzgis: {message}")

    def warn(self, message: str) -> None:
        message = _one_line(message)
        self.notes.append(message)
        self.echo(f"lzgis: warning: {message}")

    def echo(self, line: str) -> None:
        """One line on stderr, above the progress bar if one is shown."""
        if self.bars is not None:
            self.bars.write(line)
        else:
            click.echo(line, err=True)


# ---------------------------------------------------------------- progress on a terminal

#: Private: seconds a piece of work runs before its bar appears (``LZGIS_PROGRESS_AFTER=0``: at once; the tests
#: use it).  Not an interface.
_PROGRESS_AFTER_ENV = "LZGIS_PROGRESS_AFTER"
_PROGRESS_AFTER_S = 2.0


class _TerminalBars:
    """A :class:`gis._progress.Listener` drawing ``tqdm`` bars on a terminal's stderr.

    A bar appears once its work has run ``after_s`` seconds and is wiped when it ends
    (short work shows nothing); while shown it is redrawn every quarter second, so work
    without steps (one read call) still shows its time passing.  ``tqdm`` is imported
    on the first bar, never for ``--help``.
    """

    def __init__(self, stream: TextIO, *, after_s: float) -> None:
        self.stream = stream
        self.after_s = after_s
        self.open: list[_Shown] = []
        self.guard = threading.Lock()

    def start(self, label: str, total: int | None, unit: str) -> _Shown | _Within:
        """A bar; work inside a bar without a count (读取 …, 计算 …) counts on that bar instead of a second one."""
        from tqdm import tqdm

        with self.guard:
            outer = self.open[-1] if self.open else None
        if outer is not None and outer.bar.total is None:
            return _Within(outer, total, unit)
        bar = tqdm(total=total, desc=label, unit=unit or "步", file=self.stream, delay=self.after_s, leave=False,
                   dynamic_ncols=True, mininterval=0.25, position=len(self.open),
                   bar_format="{desc} … {elapsed}" if total is None else None)
        shown = _Shown(self, bar)
        with self.guard:
            self.open.append(shown)
        return shown

    def write(self, line: str) -> None:
        if self.open:
            from tqdm import tqdm

            tqdm.write(line, file=self.stream)
        else:
            click.echo(line, err=True)


class _Shown:
    """One bar of :class:`_TerminalBars`, with its redrawing thread."""

    def __init__(self, owner: _TerminalBars, bar: Any) -> None:
        self.owner, self.bar = owner, bar
        self.started = time.monotonic()
        self.counted = False  # a piece of work inside gives this bar its count (_Within)
        self.done = threading.Event()
        self.ticker = threading.Thread(target=self._tick, name="lzgis-progress", daemon=True)
        self.ticker.start()

    def _tick(self) -> None:
        while not self.done.wait(0.25):
            if time.monotonic() - self.started >= self.owner.after_s:
                self.bar.refresh()

    def advance(self, n: int) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.done.set()
        self.ticker.join()
        with self.owner.guard:
            if self in self.owner.open:
                self.owner.open.remove(self)
        self.bar.clear()  # a bar drawn by another's tqdm.write before its own delay ended is wiped too
        self.bar.close()


class _Within:
    """Work inside a bar without a count: it gives that bar its count (or, without one itself, nothing)."""

    def __init__(self, outer: _Shown, total: int | None, unit: str) -> None:
        self.outer = outer
        self.counting = total is not None and not outer.counted
        if self.counting:
            outer.counted = True
            bar = outer.bar
            bar.unit, bar.bar_format = unit or bar.unit, None
            bar.reset(total=total)

    def advance(self, n: int) -> None:
        if self.counting:
            self.outer.bar.update(n)

    def close(self) -> None:
        if self.counting:
            self.outer.counted = False


def _terminal_bars(quiet: bool) -> _TerminalBars | None:
    """The progress listener of a run: only without -q and when stderr is a terminal (never into a pipe or log)."""
    if quiet:
        return None
    try:
        if not sys.stderr.isatty():
            return None
    except (AttributeError, ValueError):  # a closed or replaced stderr
        return None
    try:
        after_s = float(os.environ.get(_PROGRESS_AFTER_ENV, _PROGRESS_AFTER_S))
    except ValueError:
        after_s = _PROGRESS_AFTER_S
    return _TerminalBars(sys.stderr, after_s=max(0.0, after_s))


class _Group(click.Group):
    """Turns library errors into one-line messages and shows library warnings."""

    def invoke(self, ctx: click.Context) -> Any:
        state = ctx.ensure_object(State)

        def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: TextIO | None = None, line: str | None = None) -> None:
            state.warn(_cli_phrases(str(message)))

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
            except BrokenPipeError:  # the reader of stdout has gone (`lzgis layers | head -1`): main() ends quietly
                raise _PipeClosed() from None  # (not an OSError, which click turns into exit status 1)
            except KeyboardInterrupt:
                click.echo("lzgis: interrupted; nothing was written.", err=True)
                ctx.exit(130)
            except OSError as exc:
                from .._io import is_write_error, write_error

                if is_write_error(exc):
                    raise Failure(str(write_error(exc, exc.filename or "the output"))) from exc
                if exc.errno == errno.ENAMETOOLONG:
                    raise Failure(f"{exc.filename or 'a path'}: the name is too long for this file system; "
                                  "give a shorter name.") from exc
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
    (r"pass strict=True \(--strict\)", "pass --strict"),
    (r"--overwrite \(overwrite=True\)", "--overwrite"),
    (r"encoding=\.\.\. in Python, --input-encoding on the command line", "--input-encoding"),
    (r"(?:pass )?(?:the right )?encoding=\.\.\. \(--input-encoding\)", "pass --input-encoding"),
    (r"\(gis\.geocode_table, `lzgis geocode`\)", "(`lzgis geocode`)"),
    (r"\(`lzgis geocode`, gis\.geocode_table\)", "(`lzgis geocode`)"),
    (r"export with encoding='utf-8'", "export with --encoding utf-8"),
    (r"^distances_m:", "--distances:"),
    (r" \(gis\.settings\.max_buffer_m\)", ""),
    (r"(?:([Pp])ass )?another layer= \(the (?:sheet|layer) name\)",
     lambda m: f"{m.group(1) or 'p'}ass another --layer-name"),
    (r", or analyse them in a CRS made for their region \(gis\.settings\.analysis_crs\)", ""),
    (r"^spacing_m=", "--spacing-m "),
    (r"pass area_unit= \(mu, ha, km2 or m2; on the command line --area-unit\)", "pass --area-unit (mu, ha, km2 or m2)"),
    (r"\(area_unit=; (--area-unit) on the command line\)", r"(\1)"),
]


def _cli_phrases(message: str) -> str:
    """The Python calls a library message (error or warning) proposes, as command-line options.

    >>> _cli_phrases("Give them a position, or pass strict=True (--strict) to refuse the layer instead.")
    'Give them a position, or pass --strict to refuse the layer instead.'
    """
    import re

    for pattern, replacement in _CLI_WORDS:
        message = re.sub(pattern, replacement, message)
    return message


def _cli_words(message: str, state: State | None = None) -> str:
    """A library message in the words of the command line: options instead of Python calls, files not ``gdf``.

    >>> _cli_words("origins: has no CRS. Set it with gdf.set_crs(...).", State(labels={"origins": "a.csv"}))
    'a.csv (origins): has no CRS. declare it with --input-crs EPSG:<code>.'
    >>> _cli_words("no name column. Name it with name_col=...")
    'no name column. Name it with --name-col'
    """
    message = _cli_phrases(message)
    for role, spec in (state.labels.items() if state is not None else ()):
        prefix = f"{role}:"
        if message.startswith(prefix) and spec != role:
            message = f"{spec} ({'layer' if role == 'gdf' else role}):" + message[len(prefix):]
            break
    return message.replace("  ", " ").strip()



# ---------------------------------------------------------------- the command group

@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-q", "--quiet", is_flag=True,
              help="No progress on stderr: neither step lines nor the bars shown on a terminal for work over 2 s.")
@click.version_option(package_name="liuzhou-gis", prog_name="lzgis")
@click.pass_context
def cli(ctx: click.Context, quiet: bool) -> None:
    """Spatial-planning toolkit for Liuzhou (柳州市).

    LAYER arguments take a shipped layer name (see `lzgis layers`), structure:NAME
    (see `lzgis structures`) or a file (.gpkg[:layer], .geojson, .shp, .csv/.xlsx with
    lon/lat columns).  Outputs are never overwritten without --overwrite, and each run
    is recorded in manifest.json beside its outputs.  Exit status 2 means bad input.
    """
    from .._progress import listening

    state = ctx.ensure_object(State)
    state.quiet = quiet
    state.bars = _terminal_bars(quiet)
    if state.bars is not None:
        ctx.with_resource(listening(state.bars))


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
    except (BrokenPipeError, _PipeClosed):
        return _quiet_pipe()
    try:
        sys.stdout.flush()  # a closed pipe shows here when the output fitted in the buffer
    except BrokenPipeError:
        return _quiet_pipe()
    return status if isinstance(status, int) else 0


def _quiet_pipe() -> int:
    """After the reader of stdout closed the pipe: stdout to the null device (the exit flush stays silent)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - a stdout without a file descriptor
        pass
    return EXIT_PIPE
