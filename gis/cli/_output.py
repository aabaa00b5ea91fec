"""Output plumbing of the verbs: outputs checked before any input is read, written staged, published with the
run's record (:mod:`gis.manifest`), and the summary printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .._errors import InputError
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
    from ..manifest import MANIFEST_NAME, check_manifest_folder

    _check_stdout(any(is_dash(p) for p in paths))
    paths = [p for p in paths if not is_dash(p)]
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
    from .._io import folder_lock

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
        err = state.to_stdout  # the result is on stdout: the summary goes to stderr
        for line in lines:
            click.echo(line, err=err)
        for p in run.outputs:
            click.echo(f"{'lzgis: ' if err else ''}wrote {p}", err=err)
        click.echo(f"{'lzgis: ' if err else ''}recorded the run in {manifest}"
                   f"{' (the layer on standard output is not in it)' if err else ''}", err=err)


def _write(data: pd.DataFrame, output: Path, run: Run, state: State, *, overwrite: bool, fmt: str | None = None,
           layer: str | None = None, encoding: str = "utf-8") -> Path:
    from ..export import export, output_paths

    if is_dash(output):
        state.step("writing the result to standard output")
        write_stdout(data, fmt=fmt or state.stdout_format, csv_formulas=state.csv_formulas, crs=state.crs)
        return output
    state.step(f"writing {output}")
    staging = state.stage()
    # --crs, else WGS 84 (the shipped layers' CRS, and what GeoJSON, CSV and Excel are written in anyway)
    crs = state.crs or "EPSG:4326"
    staged = export(data, staging.path(output), format=fmt, layer=layer, encoding=encoding, overwrite=overwrite,
                    csv_formulas=state.csv_formulas, crs=crs if getattr(data, "crs", None) is not None else None)
    path = output.parent / staged.name  # the suffix export may have added
    for part in output_paths(path, format=fmt):  # every file of the output (Shapefile parts) is published
        staging.adopt(staged.parent / part.name, part)
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
