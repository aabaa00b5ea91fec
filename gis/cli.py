"""``lzgis``: the command line of liuzhou-gis.

Every verb that writes files:

* writes where ``-o`` says, and refuses to replace an existing file unless
  ``--overwrite`` is given (checked before any input is read);
* writes atomically: a failed run leaves no partial file behind;
* appends a record of the run (inputs with SHA-256 and CRS, parameters,
  outputs with SHA-256, package versions, UTC time) to ``manifest.json`` in
  the output folder (:mod:`gis.manifest`);
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
``-k 0`` or ``--distance-m -5``), with one line
``lzgis: error: <reason>`` on stderr; 1 an unexpected internal error (a bug:
set ``LZGIS_DEBUG=1`` for the traceback); 130 interrupted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TextIO

import click

from ._errors import GisError, InputError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
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
                raise Failure(str(exc)) from exc
            except KeyboardInterrupt:
                click.echo("lzgis: interrupted; nothing was written for the unfinished step.", err=True)
                ctx.exit(130)
            except Exception as exc:
                if os.environ.get("LZGIS_DEBUG"):
                    raise
                raise InternalFailure(f"{type(exc).__name__}: {exc}") from exc


# ---------------------------------------------------------------- shared options and helpers

def _output_options(*, default: str | None = None, help_text: str = "Output file; the format follows its suffix.") -> Callable:
    def decorate(fn: Callable) -> Callable:
        fn = click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")(fn)
        fn = click.option("--overwrite", is_flag=True, help="Replace existing outputs (refused otherwise).")(fn)
        fn = click.option("-o", "--output", type=click.Path(dir_okay=True, path_type=Path), required=default is None,
                          default=default, help=help_text)(fn)
        return fn

    return decorate


def _input_encoding_option(fn: Callable) -> Callable:
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
    from .manifest import check_manifest_folder

    if not overwrite:
        existing = [p for p in paths if p.exists()]
        if existing:
            raise InputError(f"{existing[0]} already exists; choose another -o or pass --overwrite to replace it.")
    for folder in {p.parent for p in paths}:
        check_manifest_folder(folder)


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
        gdf = read_vector(path, layer=layer, encoding=encoding,
                          missing_coordinates="error" if need_positions else "keep")
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


def _new_run(verb: str, parameters: dict[str, Any]) -> Run:
    from .manifest import Run

    return Run(verb, {k: (str(v) if isinstance(v, Path) else v) for k, v in parameters.items()})


def _finish(run: Run, folder: Path, state: State, *, as_json: bool, summary: dict[str, Any], lines: list[str]) -> None:
    run.notes.extend(state.notes)
    manifest = run.write(folder)
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
    from .export import export

    state.step(f"writing {output}")
    path = export(data, output, format=fmt, layer=layer, encoding=encoding, overwrite=overwrite)
    run.add_output(path, crs=getattr(data, "crs", None), rows=len(data))
    return path


def _label_column(gdf: pd.DataFrame) -> str | None:
    for name in ("name", "名称", "title"):
        if name in gdf.columns:
            return name
    return None


def _labels(gdf: pd.DataFrame) -> list[str]:
    column = _label_column(gdf)
    return [str(v) for v in (gdf[column] if column else gdf.index)]


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
    folder.mkdir(parents=True, exist_ok=True)
    # Build into a temporary folder and move the maps in only when all are built: no half-built set.
    staging = Path(tempfile.mkdtemp(prefix=".lzgis-maps-", dir=folder))
    try:
        built = build_default_maps(staging, print_formats=("pdf",))
        paths = []
        for path in built:
            target = folder / path.name
            os.replace(path, target)
            paths.append(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
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
    from .readers import read_vector
    from .webmap import make_map, save_map

    if output.suffix.lower() not in (".html", ".htm", ".pdf", ".png"):
        raise InputError(f"map: -o {output.name}: name the output *.html (web map), *.pdf or *.png (print map).")
    run = _new_run("map", {"add": [str(p) for p in add], "layers": list(layer_names), "structure": structure_name,
                           "title": title, "input_encoding": input_encoding, "output": output,
                           "overwrite": overwrite, "paper": paper.upper(), "orientation": orientation})
    _check_outputs([output], overwrite=overwrite)
    added: list[Any] = []
    for i, path in enumerate(add):  # fail on a bad file before the slow map build
        state.step(f"reading {path} (added layer)")
        gdf = read_vector(path, encoding=input_encoding)
        source = gdf.attrs.get("source", {})
        run.add_input(str(path), kind="file", path=path, crs=gdf.crs, features=len(gdf),
                      encoding=source.get("encoding"))
        added.append((gdf, i))
    layers: list[Any] = [_load(name, run=run, state=state, role="layer") for name in layer_names]
    if input_encoding is not None:  # make_map re-reads `add` files with detection; hand it what was read
        layers += [_user_layer(gdf, path, i) for (gdf, i), path in zip(added, add)]
        add = ()
    structure = None
    if structure_name:
        structure = _load(f"structure:{structure_name}", run=run, state=state, role="structure")
    state.step(f"building the map {output}")
    fmap = make_map(layers, title=title, structure=structure, add=[str(p) for p in add])
    save_map(fmap, output, paper=paper.upper(), orientation=orientation)
    run.add_output(output)
    _finish(run, output.parent, state, as_json=as_json, summary={"layers": len(layer_names) + len(add)}, lines=[])


def _user_layer(gdf: gpd.GeoDataFrame, path: Path, i: int) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """A file read by the CLI, drawn like a ``make_map(add=...)`` file (title, user group, palette colour)."""
    from ._mapstyle import map_styles
    from .webmap import _data_title

    styles = map_styles()
    return gdf.to_crs("EPSG:4326"), {"title": _data_title(path, None) or path.stem, "source": path.name,
                                     "group": styles["user_group"], "user": True}


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
@_input_encoding_option
@_output_options(help_text="Geocoded layer (.gpkg, .geojson, .shp, .csv, .xlsx); a <name>.report.csv is written beside it.")
@click.pass_obj
def geocode_cmd(state: State, table: Path, overrides: Path | None, datum: str, name_col: str | None,
                place_col: str | None, county_col: str | None, lon_col: str | None, lat_col: str | None, sheet: str,
                encoding: str, input_encoding: str | None, output: Path, overwrite: bool, as_json: bool) -> None:
    """Geocode a CSV or Excel table of projects by place names (and coordinates, if any).

    Every row is kept: rows that could not be placed have no geometry and a reason
    in the report (<output>.report.csv).
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
    _finish(run, planned[0].parent, state, as_json=as_json,
            summary={"rows": len(report), "status": status, "geocode_level": levels},
            lines=[f"{len(report)} rows: " + ", ".join(f"{k} {v}" for k, v in status.items()),
                   "levels: " + ", ".join(f"{k} {v}" for k, v in levels.items())])


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


def _pair_table(origins: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, result: pd.DataFrame, *,
                origin_col: str, target_col: str) -> gpd.GeoDataFrame:
    """Result rows with origin and target labels, and the origin geometry."""
    import geopandas as gpd

    out = result.copy()
    out.insert(0, "origin_name", [_labels(origins)[origins.index.get_loc(i)] for i in out[origin_col]])
    target_labels = _labels(targets)
    out.insert(1, "target_name", [None if _missing(i) else target_labels[targets.index.get_loc(i)]
                                  for i in out[target_col]])
    geometry = [origins.geometry.loc[i] for i in out[origin_col]]
    for column in out.columns:  # nullable booleans (within_uncertainty): NA as an empty cell in every format
        if str(out[column].dtype) == "boolean":
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry=geometry, crs=origins.crs)


def _missing(value: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


@cli.command("nearest")
@click.argument("origins")
@click.argument("targets")
@click.option("-k", "k", type=click.IntRange(min=1), default=1, show_default=True, help="How many nearest targets.")
@click.option("--max-distance-m", type=click.FloatRange(min=0), help="Ignore targets farther than this (metres).")
@click.option("--encoding", type=click.Choice(["utf-8", "gbk"]), default="utf-8", show_default=True,
              help="Text encoding of Shapefile and CSV output.")
@_input_encoding_option
@_output_options(help_text="Result table (.csv, .xlsx) or layer of origins (.gpkg, .geojson, .shp).")
@click.pass_obj
def nearest_cmd(state: State, origins: str, targets: str, k: int, max_distance_m: float | None, encoding: str,
                input_encoding: str | None, output: Path, overwrite: bool, as_json: bool) -> None:
    """The nearest TARGETS of every feature of ORIGINS, geodesic dist_m.

    With -k 1, n_tied says how many targets are equally near (within 1 mm); when it
    is 2 or more the first of them in TARGETS was chosen: rerun with -k to list them.

    \b
    lzgis nearest townships railway_stations -o 最近车站.csv
    """
    from .proximity import nearest

    max_distance_m = _distance_option(max_distance_m, name="--max-distance-m")
    run = _new_run("nearest", {"origins": origins, "targets": targets, "k": k, "max_distance_m": max_distance_m,
                               "input_encoding": input_encoding, "output": output, "overwrite": overwrite})
    planned = _planned_outputs(output)
    _check_outputs(planned, overwrite=overwrite)
    o = _load(origins, run=run, state=state, role="origins", encoding=input_encoding)
    t = _load(targets, run=run, state=state, role="targets", encoding=input_encoding)
    state.step(f"nearest: {len(o)} origins × {len(t)} targets")
    result = nearest(o, t, k=k, max_distance_m=max_distance_m)
    if k == 1:
        result = result.rename_axis("origin_index").reset_index()
    else:
        result = result.reset_index()
    table = _pair_table(o, t, result, origin_col="origin_index", target_col="target_index")
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
@click.option("--encoding", type=click.Choice(["utf-8", "gbk"]), default="utf-8", show_default=True,
              help="Text encoding of Shapefile and CSV output.")
@_input_encoding_option
@_output_options(help_text="Result table (.csv, .xlsx) or layer (.gpkg, .geojson, .shp), one row per pair.")
@click.pass_obj
def within_cmd(state: State, origins: str, targets: str, distance_m: float, encoding: str,
               input_encoding: str | None, output: Path, overwrite: bool, as_json: bool) -> None:
    """Every (origin, target) pair closer than --distance-m metres (geodesic)."""
    from .proximity import within

    distance_m = _distance_option(distance_m, name="--distance-m")
    run = _new_run("within", {"origins": origins, "targets": targets, "distance_m": distance_m,
                              "input_encoding": input_encoding, "output": output, "overwrite": overwrite})
    planned = _planned_outputs(output)
    _check_outputs(planned, overwrite=overwrite)
    o = _load(origins, run=run, state=state, role="origins", encoding=input_encoding)
    t = _load(targets, run=run, state=state, role="targets", encoding=input_encoding)
    state.step(f"within {distance_m:g} m: {len(o)} origins × {len(t)} targets")
    result = within(o, t, distance_m)
    table = _pair_table(o, t, result, origin_col="origin_index", target_col="target_index")
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
@click.option("--max-precision-m", type=click.FloatRange(min=0, min_open=True), default=5000.0, show_default=True,
              help="Only logistics nodes located at least this precisely count as targets (5000 m keeps "
                   "township-level and better; nodes known only to their county are left out).")
def run_cmd(state: State, output: Path, overwrite: bool, as_json: bool, max_precision_m: float) -> None:
    """The main job: build the default maps and the township → nearest logistics node table.

    Writes <folder>/*.html and <folder>/analysis_townships_nearest_logistics.csv
    (each township's nearest located node of the 物流 layers with dist_m), and the manifest.
    """
    import geopandas as gpd
    import pandas as pd

    from .layers import catalog, load_layer
    from .proximity import nearest

    analysis = output / "analysis_townships_nearest_logistics.csv"
    run = _new_run("run", {"output": output, "overwrite": overwrite, "max_precision_m": max_precision_m})
    _check_outputs([analysis], overwrite=overwrite)
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
        result = nearest(towns, hubs).rename_axis("origin_index").reset_index()
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
    _finish(run, output, state, as_json=as_json, summary=summary, lines=lines)


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
