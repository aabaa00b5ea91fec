"""Output plumbing of the verbs: outputs checked before any input is read, written staged, published with the
run's record (:mod:`gis.manifest`), and the summary printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .._errors import InputError
from .main import State

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..manifest import Run


def _table_suffix(path: Path, *, verb: str) -> None:
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise InputError(f"{verb}: -o {path.name}: the result is a table; name the file *.csv or *.xlsx.")


def _check_outputs(paths: list[Path], *, overwrite: bool) -> None:
    """Before any input is read: refuse the manifest as an output, an unwritable folder, existing outputs.

    Also removes the temporary files that killed runs left in the output folders.
    """
    from .._io import check_writable, clean_stale
    from ..manifest import MANIFEST_NAME, check_manifest_folder

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
    from ..export import output_paths

    return output_paths(path, format=fmt)


def _new_run(verb: str, parameters: dict[str, Any]) -> Run:
    from ..manifest import Run

    state = click.get_current_context().find_object(State)
    return Run(verb, {k: (str(v) if isinstance(v, Path) else v) for k, v in parameters.items()},
               absolute_paths=bool(state and state.absolute_paths))


def _finish(run: Run, folder: Path, state: State, *, as_json: bool, summary: dict[str, Any], lines: list[str]) -> None:
    from .._io import folder_lock

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
    from ..export import export, output_paths

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
