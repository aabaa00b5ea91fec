"""Options shared by the verbs: outputs, how to read the inputs, distances; checked before any input is read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import click

from .._errors import InputError
from .main import State

_FORMATS = ("gpkg", "geojson", "shp", "csv", "xlsx")


def _set_state(name: str) -> Callable:
    """An option callback storing the value on the invocation's State (no new function parameter)."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None:
            setattr(ctx.ensure_object(State), name, value)
        return value

    return callback


def _output_options(*, default: str | None = None, help_text: str = "Output file; the format follows its suffix.",
                    stdout: tuple[str, ...] = ()) -> Callable:
    """-o and the options of every writing verb; ``stdout``: the formats ``-o -`` writes (adds ``--format``)."""

    def decorate(fn: Callable) -> Callable:
        nonlocal help_text
        if stdout:
            fn = click.option("--format", "stdout_format", type=click.Choice(stdout), expose_value=False,
                              callback=_set_state("stdout_format"),
                              help="Format of the result written to standard output with -o - (default csv); "
                                   "a file's format follows its suffix.")(fn)
            help_text += " '-o -' writes it to standard output (CSV, or --format geojson), without a manifest."
        fn = click.option("--csv-formulas", type=click.Choice(["neutralise", "keep"]), default="neutralise",
                          show_default=True, expose_value=False, callback=_set_state("csv_formulas"),
                          help="CSV text cells starting with = + - @ tab CR (also after leading blanks, or full-width): prefixed with ' so a spreadsheet "
                               "shows them as text (neutralise), or written raw (keep).")(fn)
        fn = click.option("--crs", "out_crs", metavar="CRS", expose_value=False, callback=_check_output_crs,
                          help="CRS of the written coordinates, e.g. EPSG:4490 (CGCS2000 lon/lat), EPSG:4545 / "
                               "EPSG:4546 (CGCS2000 3-degree Gauss-Kruger CM 108E / 111E). Default: WGS 84 "
                               "(EPSG:4326); GeoJSON is always WGS 84; tables get x/y in metres when projected.")(fn)
        fn = click.option("--absolute-paths", is_flag=True, expose_value=False, callback=_set_state("absolute_paths"),
                          help="Record absolute paths (and the working folder) in manifest.json instead of "
                               "paths relative to it.")(fn)
        fn = click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")(fn)
        fn = click.option("--overwrite", is_flag=True, help="Replace existing outputs (refused otherwise).")(fn)
        # click >= 8.2 takes an explicit default=None as a default, so a required option is given none at all
        extra = {"required": True, "callback": _check_output_file} if default is None else {"default": default}
        fn = click.option("-o", "--output", type=click.Path(dir_okay=True, path_type=Path), help=help_text,
                          **extra)(fn)
        return fn

    return decorate


def _check_output_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """-o of a verb that writes a file: refuse a folder (``.``, ``''``, an existing folder) before any work."""
    if value is None:
        return None
    if value.name in ("", ".", "..") or os.path.isdir(value):  # isdir: False (not OSError) for too long names
        raise click.BadParameter(f"{str(value) or repr('')} is a folder; name the file to write, e.g. -o "
                                 f"{(value / '结果.csv') if value.name not in ('', '.') else '结果.csv'}.")
    return value


def _check_output_crs(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--crs: any CRS :func:`gis.export.output_crs` accepts, stored on the State as its EPSG label."""
    if value is None:
        return None
    from .._errors import CRSError
    from ..export import output_crs

    try:
        crs = output_crs(value)
    except CRSError as exc:
        raise click.BadParameter(str(exc).removeprefix("export: "), ctx=ctx, param=param) from None
    code = crs.to_epsg()
    label = f"EPSG:{code}" if code else crs.to_wkt()
    ctx.ensure_object(State).crs = label
    return label


def _input_encoding_option(fn: Callable) -> Callable:
    """--input-encoding, --input-crs, --make-valid and --strict: how to read the input files of a verb."""
    fn = click.option("--strict", is_flag=True, expose_value=False, callback=_set_state("strict"),
                      help="Refuse input rows without a position (a geocoded table's unmatched rows), naming "
                           "them; by default they stay in the output with the note 未定位 (or the geocoder's "
                           "reason) and a warning counts them.")(fn)
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
    from .._validate import distance

    return None if value is None else distance(value, name=name)


def _distances(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.replace("，", ",").split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--distances {text!r}: give metres separated by commas, e.g. 1000,3000,5000.") from None
    from .._validate import distances

    return distances(values, name="--distances")


def _max_target_precision_option(fn: Callable) -> Callable:
    return click.option(
        "--max-target-precision-m", type=click.FloatRange(min=0), metavar="METRES",
        help="Only targets located at least this precisely (their precision_m) count; e.g. 5000 keeps those "
             "placed at a township or better and leaves out those known only by their county or city.",
    )(fn)
