"""``lzgis buffer``, ``nearest``, ``within``, ``matrix``: geodesic distances between the features of layers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .._errors import InputError
from .._progress import task
from ._inputs import _labels, _load
from ._output import _check_outputs, _finish, _new_run, _planned_outputs, _table_suffix, _write
from ._pairs import _pair_table, _positional, _targets_by_precision
from .main import State, cli
from .options import (
    _distance_option,
    _distances,
    _input_encoding_option,
    _max_target_precision_option,
    _output_options,
)

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from ..manifest import Run


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
@_output_options(stdout=("csv", "geojson"))
@click.pass_obj
def buffer_cmd(state: State, layer: str, distances: str, dissolve: str, by: str | None, disks: bool, encoding: str,
               input_encoding: str | None, output: Path, overwrite: bool, as_json: bool) -> None:
    """Buffer rings (0-d1, d1-d2, …) around the features of LAYER, with areas.

    \b
    lzgis buffer railway_stations --distances 1000,3000,5000 --dissolve ring -o 车站缓冲.gpkg
    """
    from ..buffer import buffer_rings

    radii = _distances(distances)
    run = _new_run("buffer", {"layer": layer, "distances_m": radii, "dissolve": dissolve, "by": by,
                              "rings": not disks, "input_encoding": input_encoding, "output": output,
                              "overwrite": overwrite})
    planned = _planned_outputs(output)
    _check_outputs(planned, overwrite=overwrite)
    gdf = _load(layer, run=run, state=state, role="layer", encoding=input_encoding)
    state.step(f"buffering {len(gdf)} features at {', '.join(f'{r:g}' for r in radii)} m")
    with task("计算 缓冲区"):
        result = buffer_rings(gdf, radii, rings=not disks, dissolve=dissolve, by=by, strict=state.strict)
    _write(result, output, run, state, overwrite=overwrite, encoding=encoding)
    _finish(run, planned[0].parent, state, as_json=as_json, summary={"rows": len(result)},
            lines=[f"{len(result)} {'disks' if disks else 'rings'}"])


def _proximity_layers(origins: str, targets: str, *, run: Run, state: State, input_encoding: str | None,
                      max_target_precision_m: float | None) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Origins and targets read once; targets located worse than ``--max-target-precision-m`` dropped.

    Warns when most targets (of those kept) are placed only by their county or city.
    """
    o = _load(origins, run=run, state=state, role="origins", encoding=input_encoding)
    t = _load(targets, run=run, state=state, role="targets", encoding=input_encoding)
    t = _targets_by_precision(t, name=targets, max_target_precision_m=max_target_precision_m, state=state)
    return o, t


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
@_output_options(help_text="Result table (.csv, .xlsx) or layer of origins (.gpkg, .geojson, .shp).", stdout=("csv", "geojson"))
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
    from ..proximity import nearest

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
    with task("计算 最近目标"):
        result = nearest(_positional(o), _positional(t), k=k, max_distance_m=max_distance_m, strict=state.strict)
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
@_output_options(help_text="Result table (.csv, .xlsx) or layer (.gpkg, .geojson, .shp), one row per pair.", stdout=("csv", "geojson"))
@click.pass_obj
def within_cmd(state: State, origins: str, targets: str, distance_m: float, max_target_precision_m: float | None,
               encoding: str, input_encoding: str | None, output: Path, overwrite: bool, as_json: bool) -> None:
    """Every (origin, target) pair closer than --distance-m metres (geodesic).

    Named as in `lzgis nearest`; a .gpkg/.geojson/.shp output keeps the origins' own columns.
    """
    from ..proximity import within

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
    with task("计算 范围内目标"):
        result = within(_positional(o), _positional(t), distance_m, strict=state.strict)
    table = _pair_table(o, t, result, origin_col="origin_index", target_col="target_index",
                        origin_columns=_is_layer_output(output))
    _write(table, output, run, state, overwrite=overwrite, encoding=encoding)
    _finish(run, planned[0].parent, state, as_json=as_json, summary={"rows": len(table), "pairs": len(table)},
            lines=[f"{len(table)} pairs within {distance_m:g} m"])


@cli.command("matrix")
@click.argument("origins")
@click.argument("targets")
@_input_encoding_option
@_output_options(help_text="The matrix as a table (.csv or .xlsx): one row per origin, one column per target.", stdout=("csv",))
@click.pass_obj
def matrix_cmd(state: State, origins: str, targets: str, input_encoding: str | None, output: Path, overwrite: bool,
               as_json: bool) -> None:
    """Origin-destination matrix of geodesic distances in metres."""
    import pandas as pd

    from ..proximity import od_matrix

    _table_suffix(output, verb="matrix")
    run = _new_run("matrix", {"origins": origins, "targets": targets, "input_encoding": input_encoding,
                              "output": output, "overwrite": overwrite})
    _check_outputs([output], overwrite=overwrite)
    o = _load(origins, run=run, state=state, role="origins", encoding=input_encoding)
    t = _load(targets, run=run, state=state, role="targets", encoding=input_encoding)
    state.step(f"matrix: {len(o)} × {len(t)} distances")
    with task("计算 距离矩阵"):
        matrix = od_matrix(o, t, strict=state.strict)
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
