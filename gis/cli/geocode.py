"""``lzgis geocode``: a table of projects placed by their place names (and coordinates, if any)."""

from __future__ import annotations

from pathlib import Path

import click

from .._errors import InputError
from ..city import profile
from ._output import _check_outputs, _finish, _new_run, _planned_outputs, _write, is_dash, read_stdin
from .main import State, cli
from .options import _input_encoding_only_option, _output_options


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
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="The report CSV (every row with its status); default: <output>.report.csv beside the output. "
                   "Required with -o - (the layer on standard output).")
@_input_encoding_only_option
@_output_options(help_text="Geocoded layer (.gpkg, .geojson, .shp, .csv, .xlsx); a <name>.report.csv is written beside it (or --report).", stdout=("csv", "geojson"))
@click.pass_obj
def geocode_cmd(state: State, table: Path, overrides: Path | None, datum: str, name_col: str | None,
                place_col: str | None, county_col: str | None, lon_col: str | None, lat_col: str | None, sheet: str,
                encoding: str, report_file: Path | None, input_encoding: str | None, output: Path, overwrite: bool, as_json: bool) -> None:
    """Geocode a CSV or Excel table of projects by place names (and coordinates, if any).

    Every row is accounted for in the report (<output>.report.csv): rows that could
    not be placed have no geometry and a reason; total rows (合计/小计, or sums of the
    rows above) are "skipped" there and are not written to the layer.
    """
    from ..geocode import geocode_table

    run = _new_run("geocode", {"table": table, "overrides": overrides, "datum": datum, "name_col": name_col,
                               "place_col": place_col, "county_col": county_col, "lon_col": lon_col,
                               "lat_col": lat_col, "sheet": sheet, "report": report_file, "input_encoding": input_encoding,
                               "output": output, "overwrite": overwrite})
    if is_dash(output) and report_file is None:
        raise InputError("geocode: -o - writes the layer to standard output; name the report file with --report "
                         "FILE (every row's status; it is how unplaced rows are accounted for).")
    if is_dash(table):
        table = read_stdin()
    if not table.is_file():
        raise InputError(f"{table}: file not found (relative to {Path.cwd()}).")
    if overrides is not None and not overrides.is_file():
        raise InputError(f"--overrides {overrides}: file not found.")
    planned = _planned_outputs(output)
    report_path = report_file if report_file is not None else planned[0].with_name(planned[0].stem + ".report.csv")
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
    _finish(run, report_path.parent, state, as_json=as_json,
            summary={"rows": len(report), "features": len(gdf), "status": status, "geocode_level": levels,
                     "outside_liuzhou": outside, "corrected": corrected, "unrecognised": unread},
            lines=[f"{len(report)} rows: " + ", ".join(f"{k} {v}" for k, v in status.items()),
                   "levels: " + ", ".join(f"{k} {v}" for k, v in levels.items()),
                   *([f"outside {profile().name_en} (flag outside_liuzhou): {outside}"] if outside else []),
                   *([f"corrected one-character slips (flag corrected, 更正错字): {corrected}"] if corrected else []),
                   *([f"finer places not recognised (flag unrecognised:…, 未识别): {unread}"] if unread else []),
                   *([f"skipped {skipped} total row(s) (合计行，不是项目): in the report only, not in the layer "
                      f"({len(gdf)} features written)"] if skipped else [])])
