"""``lzgis layers``, ``structures``, ``structure``, ``export``: what is shipped, and getting it out."""

from __future__ import annotations

from pathlib import Path

import click

from ._inputs import _load, _structure_file
from ._output import _check_outputs, _finish, _new_run, _planned_outputs, _print_table, _write
from .main import State, cli
from .options import _FORMATS, _input_encoding_option, _output_options


@cli.command("layers")
@click.option("--json", "as_json", is_flag=True, help="Print JSON records instead of a table.")
@click.pass_obj
def layers_cmd(state: State, as_json: bool) -> None:
    """List the shipped layers with feature counts and counts per geocode_level."""
    import pandas as pd
    import pyogrio

    from ..layers import layers_dir, list_layers

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
        from ..layer_pipeline.plans import summary
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
    from ..structure import list_structures

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
    from ..structure import structure

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
    from ..export import check_layer_name

    check_layer_name(output, layer=layer_name, format=fmt)
    gdf = _load(layer, run=run, state=state, role="layer", encoding=input_encoding, need_positions=False)
    _write(gdf, output, run, state, overwrite=overwrite, fmt=fmt, layer=layer_name, encoding=encoding)
    _finish(run, planned[0].parent, state, as_json=as_json, summary={"rows": len(gdf)},
            lines=[f"{layer}: {len(gdf)} features"])
