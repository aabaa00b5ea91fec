"""LAYER arguments read as GeoDataFrames (a shipped layer, ``structure:NAME`` or a file), checked and recorded
in the run; the rows' spreadsheet numbers and labels."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import CRSError, GisError, InputError
from ._stdout import is_dash, read_stdin
from .main import State

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from ..manifest import Run


def _structure_file(name: str) -> Path | None:
    from ..structure import list_structures

    table = list_structures()
    for _, row in table.iterrows():
        if name in (row["name"], Path(str(row["file"])).stem):
            return Path(str(row["file"]))
    return None


def _load(spec: str, *, run: Run, state: State, role: str, encoding: str | None = None,
          need_positions: bool = True) -> gpd.GeoDataFrame:
    """A LAYER argument as a GeoDataFrame: shipped layer, structure:NAME, or a file (recorded in the run).

    ``need_positions``: a table row with a blank coordinate cell is refused (analyses), else kept
    without geometry with a warning (export).  Reading shows as 读取 in the progress (:mod:`gis._progress`).
    """
    from .._progress import task

    with task(f"读取 {'标准输入' if is_dash(spec) else Path(spec).name or spec}"):
        return _read(spec, run=run, state=state, role=role, encoding=encoding, need_positions=need_positions)


def _read(spec: str, *, run: Run, state: State, role: str, encoding: str | None,
          need_positions: bool) -> gpd.GeoDataFrame:
    """:func:`_load` without its progress."""
    from ..readers import read_vector

    state.labels.setdefault(role, spec)
    if role == "layer":
        state.labels.setdefault("gdf", spec)
    if spec.startswith("structure:"):
        from ..structure import structure

        name = spec.split(":", 1)[1]
        state.step(f"loading structure {name} ({role})")
        gdf = structure(name)
        run.add_input(spec, kind="structure", path=_structure_file(name), crs=gdf.crs, features=len(gdf), role=role)
        return gdf
    if is_dash(spec):  # a CSV table piped in
        path = read_stdin()
        state.step(f"reading standard input ({role})")
        gdf = read_vector(path, encoding=encoding, crs=state.input_crs, missing_coordinates="keep")
        if need_positions and (state.strict or "geocode_status" not in gdf.columns):
            gdf = read_vector(path, encoding=encoding, crs=state.input_crs, missing_coordinates="error")
        gdf = _declared(gdf, spec, state, need_positions=need_positions)
        source = gdf.attrs.get("source", {})
        run.add_input(spec, kind="stdin", crs=gdf.crs, features=len(gdf), role=role,
                      encoding=source.get("encoding"), sha256=_sha256(path))
        return gdf
    path = Path(spec)
    layer = None
    if not path.exists() and ":" in spec and Path(spec.rsplit(":", 1)[0]).is_file():
        path, layer = Path(spec.rsplit(":", 1)[0]), spec.rsplit(":", 1)[1]
    if path.exists():
        state.step(f"reading {path} ({role})")
        crs = state.input_crs if _is_table(path) else None
        gdf = read_vector(path, layer=layer, encoding=encoding, crs=crs, missing_coordinates="keep")
        if need_positions and _is_table(path) and (state.strict or "geocode_status" not in gdf.columns):
            # a geocoded table's unplaced rows are records (kept, noted by the analysis); others are refused
            gdf = read_vector(path, layer=layer, encoding=encoding, crs=crs, missing_coordinates="error")
        gdf = _declared(gdf, spec, state, need_positions=need_positions)
        source = gdf.attrs.get("source", {})
        run.add_input(spec, kind="file", path=path, crs=gdf.crs, features=len(gdf), role=role,
                      layer=source.get("layer"), encoding=source.get("encoding"))
        return gdf
    if path.suffix or os.sep in spec or "/" in spec:
        raise InputError(f"{spec}: file not found (relative to {Path.cwd()}).")
    from ..layers import layer_info, layers_dir, load_layer

    try:
        entry = layer_info(spec)
    except GisError as exc:
        raise InputError(f"{exc} Or give the path of a file.") from None
    name = entry["name"]  # the machine name of a layer given by its Chinese title
    state.step(f"loading layer {name} ({entry['title']}; {role})" if name != spec else f"loading layer {spec} ({role})")
    gdf = load_layer(name)
    run.add_input(spec, kind="layer", path=layers_dir() / entry["file"], crs=gdf.crs, features=len(gdf), role=role)
    return gdf


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _roads_option(value: str | None) -> str | None:
    """``--roads`` checked before any work: a shipped line layer's name or a road file (``gis.drive.check_roads``).

    The one resolver of the verbs with ``--roads`` (drive, review, site); a bad value is one line, exit 2.
    """
    if value is None:
        return None
    from ..drive import check_roads

    check_roads(value, option="--roads")
    return value


def _load_roads(spec: str, *, run: Run, state: State) -> gpd.GeoDataFrame:
    """The ``--roads`` lines (checked by :func:`_roads_option`), read by ``gis.drive.road_lines`` and recorded:
    a shipped layer, or a file read as ``gis.network.travel_network`` reads it (``.osm`` / ``.pbf`` too)."""
    from ..drive import check_roads, road_lines

    kind = check_roads(spec, option="--roads")
    state.step(f"reading the roads {spec}")
    gdf = road_lines(spec, option="--roads")
    if kind == "file":
        source = gdf.attrs.get("source", {})
        run.add_input(spec, kind="file", path=Path(source.get("path", spec)), crs=gdf.crs, features=len(gdf),
                      role="roads", layer=source.get("layer"))
    else:
        from ..layers import layer_info, layers_dir

        run.add_input(spec, kind="layer", path=layers_dir() / layer_info(spec)["file"], crs=gdf.crs,
                      features=len(gdf), role="roads")
    return gdf


def _is_table(path: Path) -> bool:
    from ..readers import TABLE_SUFFIXES

    return path.suffix.lower() in (*TABLE_SUFFIXES, ".xls")


def _declared(gdf: gpd.GeoDataFrame, spec: str, state: State, *, need_positions: bool) -> gpd.GeoDataFrame:
    """Apply --input-crs and --make-valid to a file just read; report rows without geometry."""
    import numpy as np
    import pyproj
    import shapely

    from ..readers import describe_rows

    if state.input_crs is not None:
        if gdf.crs is None:
            gdf = gdf.set_crs(state.input_crs)
        elif pyproj.CRS.from_user_input(gdf.crs) != pyproj.CRS.from_user_input(state.input_crs):
            state.warn(f"{spec}: declares {gdf.crs.to_string()}, replaced by --input-crs {state.input_crs} as asked "
                       "(the coordinates are relabelled, not transformed).")
            gdf = gdf.set_crs(state.input_crs, allow_override=True)
    elif gdf.crs is None:
        raise CRSError(f"{spec}: has no CRS, so its coordinates cannot be placed. Declare it with --input-crs "
                       "EPSG:4326 (lon/lat) or the EPSG code of its projected CRS (e.g. EPSG:4545).")
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    table = gdf.attrs.get("source", {}).get("format") in ("csv", "tsv", "txt", "xlsx", "xlsm")
    rows = _row_numbers(gdf)

    def describe(mask: np.ndarray) -> str:
        if table:
            return describe_rows([rows[i] for i in np.flatnonzero(mask)])
        numbers = [str(i + 1) for i in np.flatnonzero(mask)]
        more = f" and {len(numbers) - 10} more" if len(numbers) > 10 else ""
        return f"feature{'s' if len(numbers) > 1 else ''} {', '.join(numbers[:10])}{more} (in file order, from 1)"

    geocoded = "geocode_status" in gdf.columns and not state.strict
    if missing.any() and not table:  # tables: the reader has warned about / refused blank coordinates by row
        verb = "has" if missing.sum() == 1 else "have"
        if need_positions and not geocoded:
            raise InputError(f"{spec}: {describe(missing)} {verb} no geometry, so no position to measure from. "
                             "Give them a geometry or delete them.")
        if not need_positions:
            state.warn(f"{spec}: {describe(missing)} {verb} no geometry; kept without a position (drawn nowhere, "
                       "counted in the table).")
    present = ~missing
    invalid = np.zeros(len(gdf), dtype=bool)
    invalid[present] = ~shapely.is_valid(geoms[present])
    if invalid.any() and state.make_valid:
        gdf = gdf.copy()
        fixed = shapely.make_valid(geoms[invalid])
        column = gdf.geometry.name
        gdf.loc[gdf.index[invalid], column] = fixed
        state.warn(f"{spec}: repaired {int(invalid.sum())} invalid geometr{'y' if invalid.sum() == 1 else 'ies'} "
                   f"with --make-valid ({describe(invalid)}).")
    elif invalid.any():
        first = shapely.is_valid_reason(geoms[invalid][:1])[0]
        raise InputError(f"{spec}: {describe(invalid)} "
                         f"{'has an invalid geometry' if invalid.sum() == 1 else 'have invalid geometries'} "
                         f"(first: {first}); repair them with --make-valid, or fix the file.")
    return gdf


def _row_numbers(gdf: gpd.GeoDataFrame) -> list[int]:
    """Spreadsheet row numbers (header = row 1) of a table read from a file; feature numbers (1-based) else."""
    from ..readers import spreadsheet_rows

    try:
        return list(spreadsheet_rows(gdf, list(range(len(gdf)))))
    except Exception:  # pragma: no cover - defensive: a frame without row bookkeeping
        return [i + 2 for i in range(len(gdf))]



def _label_column(gdf: pd.DataFrame) -> str | None:
    """The column that names the features (:func:`gis.geocode.label_column`, the list the maps use too)."""
    from ..geocode import label_column

    return label_column(gdf.columns, geometry=getattr(gdf, "_geometry_column_name", None))


def _labels(gdf: pd.DataFrame) -> np.ndarray:
    """One text label per row, built once: the label column (blank cells: the index label), else the index."""
    import numpy as np
    import pandas as pd

    column = _label_column(gdf)
    index_labels = np.asarray(gdf.index.astype(str), dtype=object)
    if column is None:
        return index_labels
    values = gdf[column]
    text = values.astype(str).to_numpy(dtype=object)
    blank = values.isna().to_numpy() | (pd.Series(text).str.strip() == "").to_numpy()
    if blank.any():
        text[blank] = index_labels[blank]
    return text
