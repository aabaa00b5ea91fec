"""The default web maps in ``maps/``: structure overview, logistics, corridors with buffers, townships.

What each map shows is data (``default_maps`` in ``layers/map_styles.yaml``):
shipped layers by name or by catalogue group, views (the rows of a layer
matching a filter, drawn as their own layer, optionally cut at the city
boundary into the part inside and the faded part outside), a structure, and
analyses (buffer rings clipped to the city, nearest links) that are drawn when
their inputs are shipped.
Layers that are not shipped are skipped and listed in the returned report,
so the maps build at every stage of the layer build.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import LayerError
from ._mapstyle import map_styles
from ._progress import track
from .crs import to_analysis_crs
from .layers import catalog, load_layer

if TYPE_CHECKING:  # pragma: no cover
    from .network import TravelNetwork

__all__ = ["build_default_maps", "default_map_specs", "drive_times", "nearest_links", "road_network", "service_areas",
           "split_by_area", "uncertain_links"]

INSIDE, OUTSIDE = "市域内", "市域外延伸段"

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


def _filtered(gdf: gpd.GeoDataFrame, spec: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """Rows of ``gdf`` whose columns hold one of ``where`` values and none of ``exclude`` values."""
    keep = pd.Series(True, index=gdf.index)
    for column, values in (spec.get("where") or {}).items():
        keep &= gdf[column].astype(str).isin([str(v) for v in values])
    for column, values in (spec.get("exclude") or {}).items():
        keep &= ~gdf[column].astype(str).isin([str(v) for v in values])
    return gdf[keep]


def _area(name: str) -> shapely.Geometry:
    """The union of a polygon layer in the analysis CRS."""
    return shapely.union_all(np.asarray(to_analysis_crs(load_layer(name), layer=name).geometry.values))


def split_by_area(gdf: gpd.GeoDataFrame, area: shapely.Geometry, *, crs: Any) -> gpd.GeoDataFrame:
    """Cut every geometry into its part inside ``area`` and its part outside, in EPSG:4326.

    ``area`` is given in ``crs`` (a projected CRS, e.g. the analysis CRS); the cut is made there.
    Returns a new GeoDataFrame with one row per non-empty part, the input's columns, ``part``
    (``市域内`` / ``市域外延伸段``) and ``source_index`` (the input row); a fresh index.

    Examples
    --------
    >>> from shapely.geometry import LineString, box
    >>> line = gpd.GeoDataFrame({"name": ["a"]}, geometry=[LineString([(0, 0), (3000, 0)])], crs="EPSG:4545")
    >>> cut = split_by_area(line, box(-1, -1, 1000, 1), crs="EPSG:4545").to_crs("EPSG:4545")
    >>> cut["part"].tolist(), cut.length.round(3).tolist()
    (['市域内', '市域外延伸段'], [1000.0, 2000.0])
    """
    metric = gdf.to_crs(crs)
    geoms = np.asarray(metric.geometry.values)
    parts = []
    for label, cut in ((INSIDE, shapely.intersection(geoms, area)), (OUTSIDE, shapely.difference(geoms, area))):
        keep = ~(shapely.is_empty(cut) | shapely.is_missing(cut))
        piece = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)[keep])
        piece["part"] = label
        piece["source_index"] = gdf.index[keep]
        parts.append(gpd.GeoDataFrame(piece, geometry=gpd.GeoSeries(cut[keep], index=piece.index, crs=crs)))
    out = pd.concat(parts)
    out = out.iloc[np.argsort(np.asarray(out["source_index"].map({v: i for i, v in enumerate(gdf.index)})),
                              kind="stable")]
    out = gpd.GeoDataFrame(out.reset_index(drop=True), geometry=gdf.geometry.name, crs=crs).to_crs("EPSG:4326")
    out.attrs = dict(gdf.attrs)
    return out


def _views(spec: Mapping[str, Any], notes: list[str]) -> list[tuple[gpd.GeoDataFrame, dict]]:
    known = catalog()
    out = []
    for view in spec.get("views", []):
        if view["layer"] not in known:
            notes.append(f"{view.get('title', view['layer'])}: layer {view['layer']} not shipped yet")
            continue
        gdf = _filtered(load_layer(view["layer"]), view)
        if view.get("split_by"):
            from .settings import analysis_crs

            gdf = split_by_area(gdf, _area(view["split_by"]), crs=analysis_crs)
        info = {k: v for k, v in view.items() if k in ("title", "group", "layer_style", "show", "z")}
        out.append((gdf, info))
    return out


def nearest_links(origins: gpd.GeoDataFrame, targets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Lines from every origin to its nearest target (:func:`gis.proximity.nearest`), in EPSG:4326.

    The line runs between the closest points of the two geometries (in the analysis CRS);
    ``dist_m`` is the geodesic distance reported by ``nearest``.

    Returns
    -------
    GeoDataFrame
        ``name`` (起点→终点), ``from_name``, ``to_name``, ``dist_m``, aligned to ``origins``
        (origins without a target dropped); with ``from_precision_m`` / ``to_precision_m`` (the ends'
        ``precision_m``, 0 where a layer has none).
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
            "from_precision_m": _precision(o),
            "to_precision_m": _precision(t),
        },
        geometry=gpd.GeoSeries(lines, crs=o.crs).to_crs("EPSG:4326").values,
        index=result.index,
        crs="EPSG:4326",
    )
    return out


def _precision(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """The rows' ``precision_m`` as floats (0 where the layer has no such column or the cell is empty)."""
    if "precision_m" not in gdf:
        return np.zeros(len(gdf))
    return pd.to_numeric(gdf["precision_m"], errors="coerce").fillna(0.0).to_numpy(dtype=float)


def _km(metres: float) -> str:
    return f"±{metres / 1000:.1f} km"


def uncertain_links(links: gpd.GeoDataFrame, *, max_end_precision_m: float) -> gpd.GeoDataFrame:
    """Mark the links whose end is known only coarsely: ``uncertain`` (bool) and ``uncertainty`` (Chinese).

    A line drawn from a coarse end (a node the plans place only by its county, ±17.7 km) is not an exact
    line: where either end's ``precision_m`` exceeds ``max_end_precision_m`` the link is ``uncertain`` and
    ``uncertainty`` says which end and how far off it may be ("终点定位精度 ±17.7 km").

    Parameters
    ----------
    links : GeoDataFrame
        The output of :func:`nearest_links` (``from_precision_m``, ``to_precision_m``).
    max_end_precision_m : float
        The coarsest end position still drawn as an exact line (``uncertain_lines`` of map_styles.yaml).

    Returns
    -------
    GeoDataFrame
        A copy with the two columns added.
    """
    out = links.copy()
    words = []
    for a, b in zip(out["from_precision_m"], out["to_precision_m"]):
        parts = [f"{label}定位精度 {_km(float(v))}" for label, v in (("起点", a), ("终点", b))
                 if float(v) > max_end_precision_m]
        words.append("；".join(parts))
    out["uncertainty"] = words
    out["uncertain"] = [bool(w) for w in words]
    return out


def _service_config() -> dict[str, Any]:
    from .layers import layers_dir, read_yaml

    return read_yaml(layers_dir() / "network" / "service_areas.yaml")


def _origins(cfg: Mapping[str, Any]) -> gpd.GeoDataFrame:
    rows = []
    for o in cfg["origins"]:
        layer = load_layer(o["layer"])
        hit = _filtered(layer, o)
        if len(hit) != 1:
            raise LayerError(f"layers/network/service_areas.yaml: origin {o['name']!r} matches {len(hit)} rows of "
                             f"{o['layer']}; make its `where` match exactly one.")
        rows.append(hit.assign(origin=o["name"])[["origin", "precision_m", "geometry"]])
    return gpd.GeoDataFrame(pd.concat(rows, ignore_index=True), crs="EPSG:4326").set_index("origin")


def road_network() -> TravelNetwork:
    """The travel network of the shipped roads (the ``network`` layer of ``layers/network/service_areas.yaml``).

    Building it takes seconds: a run builds it once and passes it on as ``network=`` to
    :func:`service_areas`, :func:`drive_times` and :func:`build_default_maps`.
    """
    from .network import travel_network

    return travel_network(load_layer(_service_config()["network"]))


def service_areas(*, network: TravelNetwork | None = None) -> gpd.GeoDataFrame:
    """The 半小时 / 一小时 service areas of ``layers/network/service_areas.yaml`` on the shipped roads.

    Parameters
    ----------
    network : TravelNetwork, optional
        The roads' network from :func:`road_network` (built here when not given).

    Returns
    -------
    GeoDataFrame
        EPSG:4326, one row per origin and time: ``name`` (e.g. 柳城 30 分钟), ``origin``, ``minutes``,
        ``area_km2``, ``n_covered`` / ``covered`` (the township seats inside), ``schematic`` and ``network``
        (what the times were computed on).
    """
    from .routing import isochrones

    cfg = _service_config()
    net = network if network is not None else road_network()
    origins = _origins(cfg)
    iso = isochrones(net, origins, list(cfg["minutes"]), access_speed_kmh=float(cfg["access_speed_kmh"]),
                     covers=load_layer(cfg["covers"]))
    iso = iso.rename(columns={"origin_index": "origin"})
    iso.insert(0, "name", [f"{o} {m:g} 分钟" for o, m in zip(iso["origin"], iso["minutes"])])
    iso["area_km2"] = iso["area_km2"].round(1)
    iso["network"] = f"{cfg['network']} ({net.speeds_from}; layers/network/speeds.yaml)"
    return iso


def drive_times(*, network: TravelNetwork | None = None) -> pd.DataFrame:
    """Every township seat to its quickest county seat and logistics node on the shipped roads.

    Logistics nodes are those of the 物流 layers located to ``max_precision_m`` or better
    (``layers/network/service_areas.yaml``).  ``*_uncertainty_min`` carries the positions' precision of both ends
    as minutes at the access speed.

    Parameters
    ----------
    network : TravelNetwork, optional
        The roads' network from :func:`road_network` (built here when not given).
    """
    from .routing import nearest_by_time

    cfg = _service_config()
    dt = cfg["drive_times"]
    net = network if network is not None else road_network()
    towns = load_layer(dt["origins"])
    speed = float(cfg["access_speed_kmh"])
    out = pd.DataFrame({"township": towns["name"], "county": towns.get("county")}, index=towns.index)
    for target in dt["targets"]:
        layers = [n for n, e in catalog().items() if e.get("group") == "物流"] if target == "logistics" else [target]
        t = pd.concat([load_layer(n) for n in layers], ignore_index=True)
        t = gpd.GeoDataFrame(t[t["precision_m"] <= float(dt["max_precision_m"])] if target == "logistics" else t,
                             crs="EPSG:4326").reset_index(drop=True)
        r = nearest_by_time(net, towns, t, access_speed_kmh=speed)
        tag = "county_seat" if target == "county_seats" else target
        out[f"to_{tag}"] = t["name"].to_numpy()[r["target_index"].astype(int).to_numpy()]
        out[f"{tag}_minutes"] = r["minutes"].round(1)
        out[f"{tag}_uncertainty_min"] = r["uncertainty_min"].round(1)
        out[f"{tag}_direct"] = r["direct"]
    return out


def _analysis_layers(spec: Mapping[str, Any], names: list[str], notes: list[str], *,
                     network: Callable[[], TravelNetwork] = road_network) -> list[tuple[gpd.GeoDataFrame, dict]]:
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
            targets = pd.concat([load_layer(n)[["name", "precision_m", "geometry"]] for n in targets_names],
                                ignore_index=True)
            if "max_precision_m" in analysis:  # leave out targets the plans place only by county or city
                targets = targets[targets["precision_m"] <= float(analysis["max_precision_m"])]
            links = nearest_links(load_layer(analysis["origins"]), gpd.GeoDataFrame(targets, crs="EPSG:4326"))
            coarse = styles["uncertain_lines"]
            links = uncertain_links(links, max_end_precision_m=float(coarse["max_end_precision_m"]))
            marks = [{"field": "uncertain", "values": ["是"], "label": coarse["link_label"], "style": coarse["style"]}]
            out.append((links, {**info, "style": {"color": "#e67e22", "weight": 1.5}, "kind": "line", "marks": marks}))
        elif kind == "buffer_rings":
            members = ([analysis["layer"]] if analysis.get("layer") in known else []) if "layer" in analysis else \
                [n for n, e in known.items() if e.get("group") == analysis["group"]]
            if not members:
                notes.append(f"{title}: {analysis.get('layer') or analysis.get('group')} not shipped yet")
                continue
            source = _filtered(pd.concat([load_layer(n) for n in members], ignore_index=True), analysis)
            out.extend(_buffer_bands(gpd.GeoDataFrame(source, crs="EPSG:4326"), analysis, info))
        elif kind == "service_areas":
            if not {"roads", "county_seats", "townships"} <= set(known):
                notes.append(f"{title}: roads / county_seats / townships not shipped yet")
                continue
            iso = service_areas(network=network())
            # every time band drawn and shown: the longest first (lightest, under the others), the shortest on top
            times = sorted(iso["minutes"].unique())
            shades = ["#08519c", "#4292c6", "#9ecae1", "#c6dbef"]
            for k, minutes in reversed(list(enumerate(times))):
                band = iso[iso["minutes"] == minutes]
                out.append((band, {**info, "title": f"{title}({minutes:g} 分钟)", "kind": "polygon", "z": "below",
                                   "show": True,
                                   "style": {"color": shades[k % len(shades)], "fill_color": shades[k % len(shades)],
                                             "weight": 1.2 if k == 0 else 1, "fill_opacity": 0.2 if k == 0 else 0.12}}))
        else:
            notes.append(f"{title}: unknown analysis kind {kind!r}")
    return out


def _buffer_bands(source: gpd.GeoDataFrame, analysis: Mapping[str, Any], info: dict) -> list[tuple[gpd.GeoDataFrame, dict]]:
    """Dissolved buffer bands of ``source``, one layer per band, split by line basis (schematic / real).

    With ``clip`` (a polygon layer), the lines are cut to it before buffering and the bands are cut
    to it after, so the bands describe only the municipality.
    """
    from .buffer import buffer_rings

    title = analysis.get("title", "buffer_rings")
    metric = to_analysis_crs(source, layer=title)
    clip = analysis.get("clip")
    if clip:
        area = _area(clip)
        metric = metric.set_geometry(shapely.intersection(np.asarray(metric.geometry.values), area))
        metric = metric[~metric.geometry.is_empty]
        title_suffix = "(市域内)"
    else:
        area, title_suffix = None, ""
    basis = metric["geometry_basis"] if "geometry_basis" in metric else pd.Series("", index=metric.index)
    metric = metric.assign(basis=np.where(basis.astype(str) == "schematic", "schematic", "real"))
    rings = buffer_rings(metric[["basis", metric.geometry.name]], list(analysis["radii_m"]), dissolve="group",
                         by="basis")
    if area is not None:
        rings = rings.set_geometry(shapely.intersection(np.asarray(rings.geometry.values), area))
        rings["area_km2"] = rings.area / 1e6
    coarse = map_styles()["uncertain_lines"]
    schematic = metric["basis"] == "schematic"
    worst = pd.to_numeric(metric.loc[schematic, "precision_m"], errors="coerce").max() \
        if "precision_m" in metric and schematic.any() else float("nan")
    uncertain_band = "示意线(按途经地点连线, 非实际线位)的缓冲, 宽度不代表实际范围" + (
        f"；途经地点定位精度最差 {_km(float(worst))}" if pd.notna(worst) else "")
    shades = ["#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef"]
    out = []
    for k, outer in enumerate(sorted(rings["ring_outer_m"].unique())):
        ring = rings[(rings["ring_outer_m"] == outer) & ~rings.geometry.is_empty]
        label = f"{ring['ring_inner_m'].iloc[0] / 1000:g}–{outer / 1000:g} 千米"
        band = gpd.GeoDataFrame(
            {"name": [f"{title} {label}({'示意线的缓冲' if b == 'schematic' else '实际线位的缓冲'})" for b in ring["basis"]],
             "geometry_basis": ring["basis"].to_numpy(),
             "ring_inner_m": ring["ring_inner_m"].to_numpy(), "ring_outer_m": ring["ring_outer_m"].to_numpy(),
             "area_km2": ring["area_km2"].round(1).to_numpy()},
            geometry=ring.geometry.to_numpy(), crs=rings.crs)
        band["uncertainty"] = np.where(band["geometry_basis"] == "schematic", uncertain_band, "")
        # the dashed, faded outline marks bands around schematic lines; listed in the legend once
        marks = [{"field": "geometry_basis", "values": ["schematic"], "label": coarse["band_label"],
                  "style": coarse["band_style"], "legend": k == 0}]
        out.append((band, {**info, "title": f"{title} {label}{title_suffix}", "kind": "polygon", "z": "below",
                           "marks": marks,
                           "style": {"color": shades[k % len(shades)], "weight": 0.8, "fill_opacity": 0.14}}))
    return out


def build_default_maps(out_dir: str | os.PathLike = "maps", *, print_formats: tuple[str, ...] = (),
                       paper: str = "A3", orientation: str = "landscape",
                       network: TravelNetwork | None = None) -> list[Path]:
    """Build the default web maps into ``out_dir`` and return their paths.

    Each map is one self-contained HTML file (see :func:`gis.webmap.make_map`); with
    ``print_formats=("pdf",)`` (or ``"png"``) each also gets its print-ready page beside it
    (:func:`gis.printmap.print_map`, ISO ``paper`` and ``orientation``), listed after its HTML file.
    What was skipped (layers or analyses not shipped yet) is logged.
    ``network`` (from :func:`road_network`) is the roads' network of the service areas; when not given it is
    built once, by the first map that needs it.
    """
    from .structure import structure as load_structure
    from .webmap import make_map, save_map

    built: list[TravelNetwork] = [] if network is None else [network]

    def roads() -> TravelNetwork:
        if not built:
            built.append(road_network())
        return built[0]

    out_dir = Path(out_dir)
    paths = []
    specs = default_map_specs()
    for spec in track(specs, "制图 默认地图", unit="幅"):
        skipped: list[str] = []
        names = _layer_names(spec, skipped)
        structure = None
        if spec.get("structure"):
            structure = load_structure(spec["structure"])
            if spec.get("structure_roles"):
                structure = structure[structure["role"].isin(spec["structure_roles"])]
        hidden = set(spec.get("hidden", []))
        layers: list[Any] = _views(spec, skipped)
        layers += [(name, {"show": name not in hidden}) for name in names]
        layers += _analysis_layers(spec, names, skipped, network=roads)
        fmap = make_map(layers, title=spec["title"], note=spec.get("note"), structure=structure)
        paths.append(save_map(fmap, out_dir / spec["file"]))
        for fmt in print_formats:
            paths.append(save_map(fmap, (out_dir / spec["file"]).with_suffix(f".{fmt}"), paper=paper,
                                  orientation=orientation))
        if skipped:
            log.warning("%s: skipped (not shipped yet): %s", spec["file"], "; ".join(skipped))
    return paths
