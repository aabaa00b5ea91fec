"""The default web maps in ``maps/``: structure overview, logistics, corridors with buffers, townships.

What each map shows is data (``default_maps`` in ``layers/map_styles.yaml``):
shipped layers by name or by catalogue group, a structure, and analyses
(buffer rings, nearest links) that are drawn when their inputs are shipped.
Layers that are not shipped are skipped and listed in the returned report,
so the maps build at every stage of the layer build.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._mapstyle import map_styles
from .crs import to_analysis_crs
from .layers import catalog, load_layer

__all__ = ["build_default_maps", "default_map_specs", "nearest_links"]

log = logging.getLogger(__name__)


def default_map_specs() -> list[dict[str, Any]]:
    """The definitions of the default maps (``default_maps`` of ``layers/map_styles.yaml``)."""
    return [dict(spec) for spec in map_styles().get("default_maps", [])]


def _layer_names(spec: Mapping[str, Any], skipped: list[str]) -> list[str]:
    known = catalog()
    names: list[str] = []
    for group in spec.get("groups", []):
        members = [n for n, e in known.items() if e.get("group") == group]
        if not members:
            skipped.append(f"group {group}")
        names.extend(members)
    for name in spec.get("layers", []):
        if name in known:
            names.append(name)
        else:
            skipped.append(name)
    return list(dict.fromkeys(names))


def nearest_links(origins: gpd.GeoDataFrame, targets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Lines from every origin to its nearest target (:func:`gis.proximity.nearest`), in EPSG:4326.

    The line runs between the closest points of the two geometries (in the analysis CRS);
    ``dist_m`` is the geodesic distance reported by ``nearest``.

    Returns
    -------
    GeoDataFrame
        ``name`` (起点→终点), ``from_name``, ``to_name``, ``dist_m``, aligned to ``origins``
        (origins without a target dropped).
    """
    from .proximity import nearest

    result = nearest(origins, targets)
    result = result[result["target_index"].notna()]
    o = to_analysis_crs(origins.loc[result.index], layer="origins")
    t = to_analysis_crs(targets, layer="targets").loc[result["target_index"]]
    lines = shapely.shortest_line(np.asarray(o.geometry.values), np.asarray(t.geometry.values))
    name_of = lambda gdf: gdf["name"].astype(str).to_numpy() if "name" in gdf else gdf.index.astype(str)  # noqa: E731
    from_name, to_name = name_of(o), name_of(t)
    out = gpd.GeoDataFrame(
        {
            "name": [f"{a}→{b}" for a, b in zip(from_name, to_name)],
            "from_name": from_name,
            "to_name": to_name,
            "dist_m": result["dist_m"].to_numpy(),
        },
        geometry=gpd.GeoSeries(lines, crs=o.crs).to_crs("EPSG:4326").values,
        index=result.index,
        crs="EPSG:4326",
    )
    return out


def _analysis_layers(spec: Mapping[str, Any], names: list[str], notes: list[str]) -> list[tuple[gpd.GeoDataFrame, dict]]:
    styles = map_styles()
    known = catalog()
    out = []
    for analysis in spec.get("analyses", []):
        kind = analysis["kind"]
        title = analysis.get("title", kind)
        info = {"title": title, "group": styles["analysis_group"], "show": True}
        if kind == "nearest_links":
            targets_names = [n for n, e in known.items() if e.get("group") == analysis["targets_group"]]
            if analysis["origins"] not in known or not targets_names:
                notes.append(f"{title}: inputs not shipped yet")
                continue
            targets = pd.concat([load_layer(n)[["name", "geometry"]] for n in targets_names], ignore_index=True)
            links = nearest_links(load_layer(analysis["origins"]), gpd.GeoDataFrame(targets, crs="EPSG:4326"))
            out.append((links, {**info, "style": {"color": "#e67e22", "weight": 1.5, "dash": "3 4"}, "kind": "line"}))
        elif kind == "buffer_rings":
            try:
                from .buffer import buffer_rings
            except ImportError:
                notes.append(f"{title}: gis.buffer_rings is not available yet")
                continue
            members = [n for n, e in known.items() if e.get("group") == analysis["group"]]
            if not members:
                notes.append(f"{title}: no {analysis['group']} layer shipped yet")
                continue
            source = pd.concat([load_layer(n) for n in members], ignore_index=True)
            rings = buffer_rings(gpd.GeoDataFrame(source[["geometry"]], crs="EPSG:4326"), list(analysis["radii_m"]),
                                 dissolve="ring")
            shades = ["#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef"]
            for k, (_, ring) in enumerate(rings.iterrows()):
                label = f"{ring['ring_inner_m'] / 1000:g}–{ring['ring_outer_m'] / 1000:g} 千米"
                band = gpd.GeoDataFrame([{"name": f"{title} {label}", "ring_inner_m": ring["ring_inner_m"],
                                          "ring_outer_m": ring["ring_outer_m"], "area_km2": ring["area_km2"]}],
                                        geometry=[ring.geometry], crs=rings.crs)
                out.append((band, {**info, "title": f"{title} {label}", "kind": "polygon",
                                   "style": {"color": shades[k % len(shades)], "weight": 0.5, "fill_opacity": 0.18}}))
        else:
            notes.append(f"{title}: unknown analysis kind {kind!r}")
    return out


def build_default_maps(out_dir: str | os.PathLike = "maps") -> list[Path]:
    """Build the default web maps into ``out_dir`` and return their paths.

    Each map is one self-contained HTML file (see :func:`gis.webmap.make_map`).
    What was skipped (layers or analyses not shipped yet) is logged.
    """
    from .structure import structure as load_structure
    from .webmap import make_map, save_map

    out_dir = Path(out_dir)
    paths = []
    for spec in default_map_specs():
        skipped: list[str] = []
        names = _layer_names(spec, skipped)
        structure = None
        if spec.get("structure"):
            structure = load_structure(spec["structure"])
            if spec.get("structure_roles"):
                structure = structure[structure["role"].isin(spec["structure_roles"])]
        hidden = set(spec.get("hidden", []))
        layers: list[Any] = [(name, {"show": name not in hidden}) for name in names]
        layers += _analysis_layers(spec, names, skipped)
        fmap = make_map(layers, title=spec["title"], structure=structure)
        paths.append(save_map(fmap, out_dir / spec["file"]))
        if skipped:
            log.warning("%s: skipped (not shipped yet): %s", spec["file"], "; ".join(skipped))
    return paths
