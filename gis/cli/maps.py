"""``lzgis maps``, ``map``, ``run``: the default maps, one map of your own, and the main job."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .._errors import InputError
from .._progress import task
from ..city import profile
from ._inputs import _load
from ._output import _check_outputs, _finish, _new_run, _write
from ._pairs import _missing, _pair_table, _positional
from .main import State, cli
from .options import _input_encoding_option, _output_options

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from ..manifest import Run
    from ..network import TravelNetwork


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


def _build_maps(folder: Path, run: Run, state: State, *, overwrite: bool,
                network: TravelNetwork | None = None) -> list[Path]:
    from ..maps_default import build_default_maps, default_map_specs

    specs = default_map_specs()
    _check_outputs([folder / name for spec in specs
                    for name in (spec["file"], str(Path(spec["file"]).with_suffix(".pdf")))], overwrite=overwrite)
    _record_shipped_inputs(run)
    state.step(f"building {len(specs)} default maps (HTML and A3 PDF) into {folder} (this takes a while)")
    # Build into the run's staging folder; the maps are published with the other outputs and the record.
    staging = state.stage()
    paths = []
    for path in build_default_maps(staging.folder(folder), print_formats=("pdf",), network=network):
        target = folder / path.name
        staging.adopt(path, target)
        paths.append(target)
    for path in paths:
        run.add_output(path)
    return paths


def _record_shipped_inputs(run: Run) -> None:
    from ..layers import catalog, layers_dir

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
@click.option("--add-title", "add_titles", multiple=True,
              help="Legend title of an --add file (repeatable, in the order of --add; default: the file's name).")
@click.option("--label", "label", help="The column naming the --add features on the map (default: recognised, "
                                       "e.g. name, 项目名称, 名称).")
@click.option("--no-labels", "no_labels", is_flag=True, help="Do not name the --add features on the map.")
@click.option("--layer", "layer_names", multiple=True, help="A shipped layer to draw (repeatable).")
@click.option("--structure", "structure_name", help="A planning structure to draw (see `lzgis structures`).")
@click.option("--title", default=lambda: profile().map_title, show_default="the city's, map.title of city.yaml",
              help="Map title.")
@click.option("--paper", type=click.Choice(["A4", "A3", "A2", "A1"], case_sensitive=False), default="A3",
              show_default=True, help="Paper size of a PDF/PNG map.")
@click.option("--orientation", type=click.Choice(["landscape", "portrait"]), default="landscape",
              show_default=True, help="Page orientation of a PDF/PNG map.")
@_input_encoding_option
@_output_options(help_text="The file to write: *.html (offline web map), *.pdf or *.png (print-ready map).")
@click.pass_obj
def map_cmd(state: State, add: tuple[Path, ...], add_titles: tuple[str, ...], label: str | None, no_labels: bool,
            layer_names: tuple[str, ...], structure_name: str | None, title: str, paper: str, orientation: str,
            input_encoding: str | None, output: Path, overwrite: bool, as_json: bool) -> None:
    """Make one map with shipped layers, a structure and your own files: offline HTML, or PDF/PNG to print.

    The features of the --add files are named on the map by their name column (--label to choose it,
    --no-labels to leave names off); where names would collide they are numbered and listed in a key
    (编号 — 名称) beside the legend.
    """
    from ..webmap import make_map, save_map

    if output.suffix.lower() not in (".html", ".htm", ".pdf", ".png"):
        raise InputError(f"map: -o {output.name}: name the output *.html (web map), *.pdf or *.png (print map).")
    if len(add_titles) > len(add):
        raise InputError(f"map: {len(add_titles)} --add-title for {len(add)} --add files; give one title per "
                         "--add file, in the same order.")
    if label is not None and no_labels:
        raise InputError("map: --label and --no-labels contradict each other; give one of them.")
    run = _new_run("map", {"add": [str(p) for p in add], "add_titles": list(add_titles), "label": label,
                           "labels": not no_labels, "layers": list(layer_names), "structure": structure_name,
                           "title": title, "input_encoding": input_encoding, "output": output,
                           "overwrite": overwrite, "paper": paper.upper(), "orientation": orientation})
    _check_outputs([output], overwrite=overwrite)
    added: list[Any] = []
    unplaced = 0
    for path in add:  # fail on a bad file before the slow map build
        if not path.is_file():
            raise InputError(f"--add {path}: file not found (relative to {Path.cwd()}).")
        gdf = _load(str(path), run=run, state=state, role="added layer", encoding=input_encoding,
                    need_positions=False)
        layer, n = _user_layer(gdf, path, strict=state.strict)
        added.append(layer)
        unplaced += n
        if n:
            state.warn(f"--add {path}: {n} 个要素未定位，未绘出 ({n} feature(s) without a position, not drawn; "
                       "--strict refuses them).")
    layers: list[Any] = [_load(name, run=run, state=state, role="layer") for name in layer_names]
    n_added = len(add)
    structure = None
    if structure_name:
        structure = _load(f"structure:{structure_name}", run=run, state=state, role="structure")
    state.step(f"building the map {output}")
    # each file is read once: make_map gets the frames read and checked above (as read_user_layer gives them)
    note = f"{unplaced} 个要素未定位，未绘出" if unplaced else None  # said on the printed map too
    fmap = make_map(layers, title=title, structure=structure, add=added, label=label, labels=not no_labels,
                    titles=list(add_titles) or None, note=note)
    save_map(fmap, state.stage().path(output), paper=paper.upper(), orientation=orientation)
    run.add_output(output)
    _finish(run, output.parent, state, as_json=as_json, summary={"layers": len(layer_names) + n_added}, lines=[])


def _user_layer(gdf: gpd.GeoDataFrame, path: Path, *, strict: bool = False) -> tuple[gpd.GeoDataFrame, int]:
    """A file read by the CLI as :func:`gis.webmap.read_user_layer` gives it: EPSG:4326, titled from its data
    (a GeoJSON's name, a GeoPackage layer's description) or else by its file name; and how many of its rows
    have no position.

    The layer goes through :func:`gis.prepare.prepare_layer` like every analysis input (CRS against the
    numbers, GCJ-02 suspected or declared and converted); rows without a position are not drawn (the
    caller counts them in a warning and the map's note; ``strict``: refused, naming them).
    """
    import geopandas as gpd

    from ..prepare import prepare_layer
    from ..webmap import _data_title

    prepared = prepare_layer(gdf, name=str(path), keep_unplaced=not strict, strict=strict)
    placed = gdf[prepared.placed] if prepared.n_unplaced else gdf
    geometry = gpd.GeoSeries(prepared.layer.geoms(), index=prepared.layer.index, crs=prepared.frame.crs)
    out = gpd.GeoDataFrame(placed.drop(columns=placed.geometry.name), geometry=geometry.to_crs("EPSG:4326").values,
                           index=placed.index, crs="EPSG:4326")
    out.attrs["layer"] = {"title": _data_title(path, None) or path.stem, "source": path.name}
    return out, prepared.n_unplaced


@cli.command("run")
@_output_options(default="maps", help_text="Folder for the maps and the analysis table.")
@click.pass_obj
@click.option("--max-precision-m", type=click.FloatRange(min=0, min_open=True), default=22000.0, show_default=True,
              help="Only logistics nodes located at least this precisely count as targets (22000 m keeps "
                   "township-level and better, township extents reaching 21.4 km; nodes known only to a county "
                   "other than 城中区 (11 km) or to the city are left out).")
def run_cmd(state: State, output: Path, overwrite: bool, as_json: bool, max_precision_m: float) -> None:
    """The main job: build the default maps and the township → nearest logistics node table.

    Writes <folder>/*.html, <folder>/analysis_townships_nearest_logistics.csv
    (each township's nearest located node of the 物流 layers with dist_m), the service areas on the roads
    (analysis_service_areas.csv, service_areas.geojson: 半小时/一小时经济圈 of 中心城区, 柳城, 鹿寨), the drive
    times of every township seat to its quickest county seat and logistics node (analysis_drive_times.csv),
    and the manifest.
    """
    import geopandas as gpd
    import pandas as pd

    from ..layers import catalog, load_layer
    from ..proximity import nearest

    analysis = output / "analysis_townships_nearest_logistics.csv"
    areas_csv, areas_geo = output / "analysis_service_areas.csv", output / "service_areas.geojson"
    drive_csv = output / "analysis_drive_times.csv"
    run = _new_run("run", {"output": output, "overwrite": overwrite, "max_precision_m": max_precision_m})
    _check_outputs([analysis, areas_csv, areas_geo, drive_csv], overwrite=overwrite)
    network = None
    if {"roads", "townships", "county_seats"} <= set(catalog()):  # built once: the maps' service areas, the service areas table and the drive times share it
        from ..maps_default import road_network

        state.step("the travel network of the shipped roads (layers/network/speeds.yaml)")
        with task("计算 路网"):
            network = road_network()
    paths = _build_maps(output, run, state, overwrite=overwrite, network=network)
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
        with task("计算 最近物流节点"):
            result = nearest(_positional(towns), hubs)
        result = result.rename_axis("origin_index").reset_index()
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
    if network is not None:
        from ..maps_default import drive_times, service_areas

        state.step("service areas (半小时/一小时经济圈) on the roads (layers/network/service_areas.yaml)")
        with task("计算 服务区"):
            areas = service_areas(network=network)
        _write(areas.drop(columns="geometry"), areas_csv, run, state, overwrite=overwrite)
        _write(areas, areas_geo, run, state, overwrite=overwrite)
        state.step("drive times from every township seat to its quickest county seat and logistics node")
        with task("计算 行车时间"):
            times = drive_times(network=network)
        _write(times, drive_csv, run, state, overwrite=overwrite)
        summary["service_areas"] = len(areas)
        summary["drive_time_county_seat_minutes_median"] = float(times["county_seat_minutes"].median())
        lines.append(f"service areas: {len(areas)} ({', '.join(areas['name'])}); median drive time from a township "
                     f"seat to its county seat {times['county_seat_minutes'].median():.0f} min on the roads")
    else:
        state.warn("no roads layer is shipped; the service areas and drive times were skipped.")
    _finish(run, output, state, as_json=as_json, summary=summary, lines=lines)
