"""``lzgis drive``: drive times by road (行车时间), every pair (--matrix), or service areas (--minutes)."""

from __future__ import annotations

from pathlib import Path

import click

from .._errors import InputError
from .._progress import task
from ._inputs import _load, _load_roads, _roads_option
from ._output import _check_outputs, _finish, _new_run, _planned_outputs, _write, is_dash
from .main import State, cli
from .options import _input_encoding_option, _output_options

_VALUE_COLUMNS = ("minutes", "road_km", "uncertainty_min", "area_km2")


def _bands(text: str | None) -> list[float] | None:
    """``--minutes 30,60`` as strictly increasing positive minutes, checked before any input is read."""
    if text is None:
        return None
    try:
        values = [float(v) for v in text.replace("，", ",").split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--minutes {text!r}: give minutes separated by commas, e.g. 30,60.") from None
    from .._validate import distances

    return distances(values, name="--minutes")


@cli.command("drive")
@click.argument("origins")
@click.argument("targets", required=False)
@click.option("--matrix", is_flag=True, help="Every origin × target pair (one row each) instead of the quickest "
                                             "target of each origin.")
@click.option("--minutes", "minutes_", metavar="M1,M2", help="Service areas instead of targets: the area reachable "
                                                             "within each time (e.g. 30,60), per origin.")
@click.option("--roads", help="Road lines: a shipped layer (default: roads) or your own file (.gpkg, .shp, .geojson, "
                              ".osm, .osm.pbf).")
@click.option("--speeds", type=click.Path(dir_okay=False, path_type=Path),
              help="Your speed model: km/h per road class of the --roads file (YAML/JSON class: km/h, or CSV "
                   "class,speed_kmh); every class needs one, 1–200 km/h.")
@click.option("--access-speed-kmh", type=float, default=30.0, show_default=True,
              help="Speed off the roads, straight to the nearest road (km/h).")
@click.option("--max-access-m", type=float, default=25000.0, show_default=True,
              help="Origins farther than this from every road get no time (flag off_network); the roads' extent "
                   "grown by it bounds the network (flag outside_network beyond).")
@click.option("--encoding", type=click.Choice(["utf-8", "gbk"]), default="utf-8", show_default=True,
              help="Text encoding of Shapefile and CSV output.")
@_input_encoding_option
@_output_options(help_text="行车时间.xlsx / .csv, or a layer (.gpkg, .geojson); service areas: a layer (.gpkg).", stdout=("csv", "geojson"))
@click.pass_obj
def drive_cmd(state: State, origins: str, targets: str | None, matrix: bool, minutes_: str | None, roads: str | None,
              speeds: Path | None, access_speed_kmh: float, max_access_m: float, encoding: str,
              input_encoding: str | None, output: Path, overwrite: bool, as_json: bool) -> None:
    """行车时间：每个起点到最近目标的驾车分钟数。

    Drive times by road from each feature of ORIGINS to its quickest TARGETS (minutes, road_km,
    uncertainty_min from both positions' precision_m, the target's name); --matrix for every pair;
    --minutes 30,60 for service areas (服务区) instead of targets. Origins outside the road network
    (e.g. geocoded to another province), farther than --max-access-m from every road, or not
    located (未定位) keep their row without a number, with flags and 备注 saying why.

    \b
    例：lzgis drive 项目定位.gpkg county_seats -o 行车时间.xlsx
    例：lzgis drive townships logistics --matrix -o 行车时间矩阵.csv
    例：lzgis drive county_seats --minutes 30,60 -o 服务区.gpkg
    例：lzgis drive 项目.csv county_seats --roads 路网.osm.pbf -o 行车时间.xlsx
    """
    import numpy as np

    from .._validate import distance
    from ..drive import drive, read_speeds

    bands = _bands(minutes_)
    if bands is None and targets is None:
        raise InputError("drive: give TARGETS (a layer or file to drive to), or --minutes 30,60 for service areas.")
    if bands is not None and targets is not None:
        raise InputError("drive: --minutes draws service areas around ORIGINS and takes no TARGETS; drop one.")
    if bands is not None and matrix:
        raise InputError("drive: --matrix is for ORIGINS × TARGETS; service areas (--minutes) have no targets.")
    speed = distance(access_speed_kmh, name="--access-speed-kmh", allow_zero=False)
    reach = distance(max_access_m, name="--max-access-m")
    roads = _roads_option(roads) or "roads"
    if speeds is not None and not speeds.is_file():
        raise InputError(f"--speeds {speeds}: file not found (relative to {Path.cwd()}). Give a YAML/JSON/CSV file "
                         "of road class → km/h.")
    if bands is not None and is_dash(output) and state.stdout_format != "geojson":
        raise InputError("drive: -o -: service areas are polygons; pass --format geojson to write them to standard "
                         "output.")
    if bands is not None and output.suffix.lower() in (".csv", ".xlsx"):
        raise InputError(f"drive: -o {output.name}: service areas are polygons; name the output *.gpkg or *.geojson.")
    run = _new_run("drive", {"origins": origins, "targets": targets, "matrix": matrix, "minutes": bands,
                             "roads": roads, "speeds": speeds, "access_speed_kmh": speed, "max_access_m": reach,
                             "input_encoding": input_encoding, "output": output, "overwrite": overwrite})
    planned = _planned_outputs(output)
    _check_outputs(planned, overwrite=overwrite)
    model = read_speeds(speeds) if speeds is not None else None
    o = _load(origins, run=run, state=state, role="origins", encoding=input_encoding, need_positions=False)
    t = None if targets is None else _load(targets, run=run, state=state, role="targets", encoding=input_encoding)
    lines = _load_roads(roads, run=run, state=state)
    if speeds is not None:
        run.add_input(str(speeds), kind="file", path=speeds, role="speeds")
    what = (f"service areas {','.join(f'{b:g}' for b in bands)} min" if bands is not None
            else f"{'all pairs' if matrix else 'quickest target'}: {len(o)} origins × {len(t)} targets")
    state.step(f"drive times on {len(lines)} road lines: {what}")
    with task("计算 行车时间" if bands is None else "计算 服务区"):
        result = drive(o, t, roads=lines, matrix=matrix, minutes=bands, speeds=model, access_speed_kmh=speed,
                       max_access_m=reach)
    for column in _VALUE_COLUMNS:
        if column in result.columns:
            result[column] = result[column].astype(float).round(1)
    for note in result.attrs.get("notes", []):
        if "未作为目标" in note:
            state.warn(note)
        else:
            state.notes.append(note)
    flags = result["flags"].astype(str)
    counts = {f: int((flags == f).sum()) for f in sorted(set(flags)) if f}
    if counts:
        state.warn("rows without a drive time: " + ", ".join(f"{f} {n}" for f, n in counts.items())
                   + " (see the 备注 column).")
    _write(result, output, run, state, overwrite=overwrite, encoding=encoding)
    values = result["area_km2" if bands is not None else "minutes"].to_numpy(dtype=float)
    done = int(np.isfinite(values).sum())
    summary = {"rows": len(result), "with_value": done, "flags": counts,
               "minutes_median": None if bands is not None or not done else float(np.nanmedian(values))}
    line = (f"{len(result)} service areas; {done} drawn" if bands is not None
            else f"{len(result)} rows; {done} with a drive time"
            + (f" (median {np.nanmedian(values):.0f} min)" if done else ""))
    _finish(run, planned[0].parent, state, as_json=as_json, summary=summary, lines=[line])
