"""Output plumbing of the verbs: outputs checked before any input is read, written staged, published with the
run's record (:mod:`gis.manifest`), and the summary printed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .._errors import InputError
from .._progress import task
from ._stdout import STDOUT_FORMATS, is_dash, read_stdin, write_stdout  # noqa: F401 - for the verbs
from .main import State

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..manifest import Run


def _table_suffix(path: Path, *, verb: str) -> None:
    if is_dash(path):
        return
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise InputError(f"{verb}: -o {path.name}: the result is a table; name the file *.csv or *.xlsx.")


def _check_outputs(paths: list[Path], *, overwrite: bool) -> None:
    """Before any input is read: refuse the manifest as an output, an unwritable folder, existing outputs.

    Also removes the temporary files that killed runs left in the output folders.  ``-o -`` (standard output)
    is checked by :func:`_check_stdout`.
    """
    from .._io import check_writable, clean_stale
    from ..manifest import MANIFEST_NAME, check_manifest_folder, resolve_pending

    _check_stdout(any(is_dash(p) for p in paths))
    paths = [p for p in paths if not is_dash(p)]
    for p in paths:
        if p.name == MANIFEST_NAME or p.name.startswith(".lzgis-tmp-"):
            raise InputError(f"-o {p}: {p.name} is the run record of its folder (or a temporary name); "
                             "choose another output name.")
    for p in paths:
        _check_name_length(p)
    for folder in dict.fromkeys(p.parent for p in paths):
        check_writable(folder)
        check_manifest_folder(folder)
        resolve_pending(folder)  # a killed run's entry, before its backups are cleaned away
        clean_stale(folder)
    if not overwrite:
        existing = [p for p in paths if os.path.lexists(p)]
        if existing:
            p = existing[0]
            dangling = "" if p.exists() else f" (a symbolic link to {os.readlink(p)}, which is missing)"
            raise InputError(f"{p} already exists{dangling}; choose another -o or pass --overwrite to replace it.")
    for folder in dict.fromkeys(p.parent for p in paths):
        check_manifest_folder(folder)
    state = click.get_current_context().find_object(State)
    if state is not None:
        state.overwrite = overwrite


def _check_stdout(dash: bool) -> None:
    """``-o -``: only for a verb whose result is a table or layer, in CSV or GeoJSON, without ``--json``."""
    ctx = click.get_current_context()
    state = ctx.find_object(State)
    verb = ctx.info_name
    if not dash:
        if state is not None and state.stdout_format is not None:
            raise InputError(f"{verb}: --format is for -o - (standard output); a file's format follows its suffix "
                             "(e.g. -o 结果.geojson).")
        return
    names = {p.name for p in ctx.command.params}
    if not names & {"fmt", "stdout_format"}:
        raise InputError(f"{verb}: -o - (standard output) is for verbs whose result is one table or layer; "
                         "give a file or folder name.")
    if ctx.params.get("as_json"):
        raise InputError(f"{verb}: --json and -o - both write to standard output; drop one.")
    fmt = ctx.params.get("fmt") or (state.stdout_format if state is not None else None) or "csv"
    if fmt not in STDOUT_FORMATS:
        raise InputError(f"{verb}: -o - writes CSV or GeoJSON (--format csv / geojson), not {fmt}; "
                         f"write {fmt} to a file.")
    if state is not None:
        state.to_stdout = True


#: Bytes of a file name that lzgis needs for its temporary names beside an output (``.lzgis-tmp-<run>-old-<name>``).
_TEMP_NAME_BYTES = 64


def _check_name_length(path: Path) -> None:
    """Refuse an output whose file (or folder) name the file system cannot hold with lzgis's temporary prefix."""
    try:
        folder = path.parent
        while not os.path.lexists(folder) and folder != folder.parent:  # lexists: False for too long names
            folder = folder.parent
        name_max = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    for i, part in enumerate(path.parts):
        size = len(part.encode("utf-8", "surrogateescape"))
        last = i == len(path.parts) - 1
        limit = name_max - _TEMP_NAME_BYTES if last else name_max
        if size > limit:
            shown = part if len(part) <= 40 else part[:30] + "…" + part[-8:]
            what = "file name" if last else "folder name"
            kept = f" (lzgis keeps {_TEMP_NAME_BYTES} for its temporary names)" if last else ""
            raise InputError(f"-o: the {what} {shown!r} is {size} bytes long, more than the {limit} this file system "
                             f"allows{kept}; give a shorter name (a Chinese character takes 3 bytes).")


def _planned_outputs(path: Path, fmt: str | None = None) -> list[Path]:
    from ..export import output_paths

    if is_dash(path):
        return [path]
    return output_paths(path, format=fmt)


def _new_run(verb: str, parameters: dict[str, Any]) -> Run:
    from ..manifest import Run

    state = click.get_current_context().find_object(State)
    return Run(verb, {k: (str(v) if isinstance(v, Path) else v) for k, v in parameters.items()},
               absolute_paths=bool(state and state.absolute_paths))


def _finish(run: Run, folder: Path, state: State, *, as_json: bool, summary: dict[str, Any], lines: list[str]) -> None:
    from .._io import _test_pause, folder_lock
    from ..manifest import complete_pending, drop_pending, resolve_pending

    if state.to_stdout:  # stdout holds the result only: the summary goes to stderr
        if as_json:  # pragma: no cover - refused by _check_stdout
            raise InputError("--json and -o - both write to standard output; drop one.")
        if not state.quiet:
            for line in lines:
                click.echo(f"lzgis: {line}", err=True)
        if not run.outputs:
            if not state.quiet:
                click.echo("lzgis: note: the result went to standard output; no manifest.json records this run "
                           "(write to a file with -o to keep a record).", err=True)
            return
        lines = []
    run.notes.extend(state.notes)
    # Outputs and their record appear together, or neither does, even under kill -9: the entry is written first
    # as pending, the files are published, then the entry is completed; a killed run's pending entry is settled
    # by the next run into the folder (gis.manifest.resolve_pending).
    with folder_lock(folder):
        resolve_pending(folder)
        staging = state.stage()
        manifest, run_id = run.write_pending(folder, staging.sources())
        _test_pause("pending")
        try:
            published = staging.commit(overwrite=state.overwrite)
        except BaseException:
            drop_pending(folder, run_id)
            raise
        _test_pause("published")
        try:
            complete_pending(folder, run_id)
        except BaseException:
            published.rollback()
            drop_pending(folder, run_id)
            raise
        published.done()
    summary = {"verb": run.verb, **summary, "outputs": [str(p) for p in run.outputs],
               "manifest": str(manifest), "notes": state.notes}
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    else:
        err = state.to_stdout  # the result is on stdout: the summary goes to stderr
        for line in lines:
            click.echo(line, err=err)
        for p in run.outputs:
            click.echo(f"{'lzgis: ' if err else ''}wrote {p}", err=err)
        click.echo(f"{'lzgis: ' if err else ''}recorded the run in {manifest}"
                   f"{' (the layer on standard output is not in it)' if err else ''}", err=err)


def _write(data: pd.DataFrame, output: Path, run: Run, state: State, *, overwrite: bool, fmt: str | None = None,
           layer: str | None = None, encoding: str = "utf-8") -> Path:
    from ..export import export, output_paths, stale_paths

    if is_dash(output):
        state.step("writing the result to standard output")
        with task("写出 标准输出"):
            write_stdout(data, fmt=fmt or state.stdout_format, csv_formulas=state.csv_formulas, crs=state.crs)
        return output
    state.step(f"writing {output}")
    staging = state.stage()
    # --crs, else WGS 84 (the shipped layers' CRS, and what GeoJSON, CSV and Excel are written in anyway)
    crs = state.crs or "EPSG:4326"
    with task(f"写出 {output.name}"):
        staged = export(data, staging.path(output), format=fmt, layer=layer, encoding=encoding, overwrite=overwrite,
                        csv_formulas=state.csv_formulas, crs=crs if getattr(data, "crs", None) is not None else None)
    path = output.parent / staged.name  # the suffix export may have added
    for part in output_paths(path, format=fmt):  # every file of the output (Shapefile parts) is published
        if (staged.parent / part.name).exists():
            staging.adopt(staged.parent / part.name, part)
        else:  # a part this export did not write (no text was cut: no .fulltext.csv): an old one goes
            staging.retire(part)
    for part in stale_paths(path, format=fmt):  # the spatial indexes of an older Shapefile
        staging.retire(part)
    run.add_output(path, crs=crs if getattr(data, "crs", None) is not None else None, rows=len(data))
    return path


def _print_table(table: pd.DataFrame, *, as_json: bool) -> None:
    import pandas as pd

    if as_json:
        click.echo(json.dumps(json.loads(table.to_json(orient="records", force_ascii=False)), ensure_ascii=False, indent=2))
        return
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                           "display.unicode.east_asian_width", True):
        click.echo(table.to_string(index=False))
