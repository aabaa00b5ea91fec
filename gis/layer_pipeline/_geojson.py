"""Writing compact, reproducible GeoJSON for the shipped layers."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from .._errors import LayerError
from .._io import atomic_write

#: Decimal places of shipped lon/lat coordinates (1e-6 degree is about 0.1 m at Liuzhou).
COORD_DECIMALS = 6

_GEOD = pyproj.Geod(ellps="WGS84")


def round_coords(geoms: np.ndarray, *, decimals: int = COORD_DECIMALS) -> np.ndarray:
    """Round every vertex to ``decimals`` places, repairing polygons the rounding made invalid."""
    rounded = shapely.transform(np.asarray(geoms), lambda xy: np.round(xy, decimals))
    bad = ~shapely.is_valid(rounded) & ~shapely.is_empty(rounded)
    if bad.any():
        rounded[bad] = shapely.make_valid(rounded[bad], method="structure", keep_collapsed=False)
    return rounded


def geodesic_area_km2(geoms: np.ndarray) -> np.ndarray:
    """Ellipsoidal area of lon/lat polygons in km², computed with pyproj.Geod (no projection error)."""
    return np.array([abs(_GEOD.geometry_area_perimeter(g)[0]) / 1e6 for g in geoms])


def write_geojson(gdf: gpd.GeoDataFrame, path: Path, *, name: str) -> Path:
    """Write ``gdf`` (EPSG:4326) as UTF-8 GeoJSON with rounded coordinates and no CRS member.

    Raises
    ------
    LayerError
        If ``gdf`` is not lon/lat or holds invalid geometries.
    """
    if gdf.crs is None or pyproj.CRS.from_user_input(gdf.crs).to_epsg() != 4326:
        raise LayerError(f"layer {name!r}: must be EPSG:4326 before writing, got {gdf.crs}.")
    out = gdf.copy()
    out[out.geometry.name] = round_coords(out.geometry.values)
    invalid = out.index[~out.geometry.is_valid].tolist()
    if invalid:
        raise LayerError(f"layer {name!r}: invalid geometries at rows {invalid} after rounding.")
    data = json.loads(out.to_json(drop_id=True, na="null"))
    # one feature per line keeps git diffs of rebuilt layers readable
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in data["features"]]
    head = json.dumps({"type": "FeatureCollection", "name": name}, ensure_ascii=False)[:-1]
    text = head + ', "features": [\n' + ",\n".join(lines) + "\n]}"
    with atomic_write(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    return path
