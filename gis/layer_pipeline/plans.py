"""Build the plan layers (``layers/plans/``) from the transcribed tables (``layers/sources/``).

Every row of every source table ends either in a layer or in
``layers/plans/unlocated.md`` with its reason; ``build_report.md`` gives the
counts per layer and per ``geocode_level``.

- ``projects_*.csv``, ``logistics_*.csv``, ``characteristic_towns_*.csv``, ``facilities_*.csv`` →
  points geocoded with :func:`gis.geocode.geocode` (``anchor`` first, then
  ``place``; the name breaks ties and stands in for an empty or unknown place;
  ``geocode_decided_by`` says which), status mapped from ``status_zh``;
- ``township_tags_*.csv`` → ``townships_plan.geojson``: the 118 base
  townships, one row each, with their tags, details and sources joined;
- ``corridors_*.yaml`` → ``corridors.geojson`` (lines) and
  ``corridor_sites.geojson`` (single-place works as points, ``geometry_basis
  "site"``; see ``_SITES_RULE`` of :mod:`._plan_report`).  Lines go through the ordered places.  Railways follow the real OSM stations where every place is a
  station or has one (``geometry_basis="railway_stations"``); 柳江 / 融江 /
  都柳江 waterways follow the Natural Earth centre line between the projected
  positions of their ports (``"river_centreline"``); everything else is a
  straight line through the places (``"schematic"``).

Rows of different tables naming one entity are linked (``same_as``: names, gazetteer
landmarks, ``sources/same_as.yaml``); they share the best location any of them has
(:func:`share_locations`), one status by one rule with every source's word kept
(:func:`share_status`), and ``primary`` marks one row per entity and layer
(:func:`mark_primary`).  ``description`` keeps the Chinese clauses of the source's
description; English transcriber notes go to ``note_internal`` (:func:`split_description`).

Run ``python -m gis.layer_pipeline.plans [SHARED_DIR]`` (build; with the shared folder the
gazetteer inputs of :mod:`gis.layer_pipeline.external` are rebuilt too) or
``python -m gis.layer_pipeline.plans --summary`` (counts per layer and geocode_level).

This module is the entry (:func:`build`, :func:`summary`, :func:`main`) and the public names; the work is done by
``_plan_rows`` (reading the source tables, name keys, descriptions), ``_plan_status`` (status words and one status
per entity), ``_plan_points`` (geocoding the point tables and the township tags), ``_plan_corridors`` (corridor lines
and sites), ``_plan_links`` (``same_as`` links, shared locations, ``primary``), ``_plan_counties`` (the county of a
feature) and ``_plan_report`` (writing the layers and the build report).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from .._io import write_text
from ..gazetteer import Gazetteer
from ..layers import catalog, layers_dir, load_layer
from ._plan_corridors import (MAX_RIVER_OFFSET_M, RIVER_WATERWAYS, SITE_KINDS, _corridors, _facilities, _place_stop,
                              alternative_groups, site_kind)
from ._plan_counties import NEW_DISTRICTS, assign_counties, canonical_county, new_district_of
from ._plan_links import (LINKED_LAYERS, POINT_LINKED, _same_as, entity_keys, explicit_links, mark_primary,
                          share_locations)
from ._plan_points import _point_layer, _townships_plan, area_precision
from ._plan_radius import apply_seat_radius
from ._plan_report import _counts, _md_table, _moves_report, _report, _write, compare_builds, radius_report
from ._plan_rows import FEATURE_COLUMNS, POINT_LAYERS, _Unlocated, chinese_descriptions, name_key, split_description
from ._plan_status import (STATUS_CLASSES, STATUS_ORDER, derive_status_word, map_status, share_status,
                           status_vocabulary, status_words_zh)

__all__ = [
    "POINT_LAYERS", "STATUS_CLASSES", "RIVER_WATERWAYS", "MAX_RIVER_OFFSET_M", "FEATURE_COLUMNS", "SITE_KINDS",
    "LINKED_LAYERS", "POINT_LINKED", "STATUS_ORDER", "NEW_DISTRICTS",
    "status_vocabulary", "map_status", "derive_status_word", "status_words_zh", "share_status",
    "area_precision", "site_kind", "alternative_groups", "name_key", "split_description", "chinese_descriptions",
    "entity_keys", "explicit_links", "share_locations", "mark_primary",
    "new_district_of", "canonical_county", "assign_counties", "compare_builds",
    "build", "summary", "main",
]


def build(shared_dir: str | Path | None = None, out_dir: str | Path | None = None, *,
          gazetteer: Gazetteer | None = None) -> dict[str, Any]:
    """Geocode every table of ``<out_dir>/sources`` into ``<out_dir>/plans``.

    ``out_dir`` is the layers folder (default: the installed one).  With a
    ``shared_dir``, the gazetteer inputs are rebuilt first
    (:mod:`gis.layer_pipeline.external`); without one the shipped ones are used.  Returns
    ``{"layers": {name: GeoDataFrame}, "unlocated": DataFrame, "totals": {layer: source rows}}``.
    """
    root = Path(out_dir) if out_dir is not None else layers_dir()
    if shared_dir is not None and Path(shared_dir).is_dir():
        from .external import build_external_places, build_village_register

        build_external_places(root)
        build_village_register(shared_dir, root)
    gaz = gazetteer or Gazetteer.from_layers(root=root)
    src, plans = root / "sources", root / "plans"
    previous = {n: gpd.read_file(plans / f"{n}.geojson", engine="pyogrio") for n in (*POINT_LAYERS, "corridor_sites")
                if (plans / f"{n}.geojson").exists()}
    unlocated = _Unlocated()
    vocab = status_vocabulary(root)
    layers: dict[str, gpd.GeoDataFrame] = {}
    totals: dict[str, int] = {}
    for name in POINT_LAYERS:
        files = sorted(src.glob(f"{name}_*.csv"))
        layers[name], totals[name] = _point_layer(files, gaz, unlocated, vocab, root, layer=name)
    layers["townships_plan"], totals["townships_plan"] = _townships_plan(
        sorted(src.glob("township_tags_*.csv")), gaz, unlocated, root)
    layers["corridors"], layers["corridor_sites"], totals["corridors"] = _corridors(
        sorted(src.glob("corridors_*.y*ml")), gaz, unlocated, root, vocab, layers["logistics"])
    for name in (*POINT_LAYERS, "corridor_sites"):  # two radii: the seat's built-up area or the township extent
        layers[name] = apply_seat_radius(layers[name], root)
    from .routing import report_markdown, route_corridors  # existing lines on the rail/road graph (gis/layer_pipeline/routing.py)

    stops = _facilities(layers["logistics"])
    layers["corridors"] = route_corridors(
        layers["corridors"], root=root, shared_dir=Path(shared_dir) if shared_dir is not None else None,
        locate=lambda p, mode: _place_stop(p, mode, gaz, stops, [], single=False)[0])
    explicit = explicit_links(root)
    links, groups = _same_as(layers, unlocated, gaz, explicit)
    shared = share_locations(layers, unlocated, groups)
    if (shared["was"] == "unlocated").any():  # rows that became features take their links like the others
        links, groups = _same_as(layers, unlocated, gaz, explicit)
    share_status(layers, groups)
    counties = load_layer("counties", root=root)
    city = shapely.union_all(load_layer("city", root=root).geometry.values)
    for name in ("projects", "logistics", "characteristic_towns", "facilities", "corridors"):
        layers[name] = assign_counties(layers[name], counties, city, gaz=gaz)
    log = layers["logistics"]
    by_id = {str(i): {c: str(v) for c, v in zip(("county", "county_basis", "new_district", "county_note"), vals)}
             for i, *vals in zip(log["id"], log["county"], log["county_basis"], log["new_district"], log["county_note"])}
    layers["corridor_sites"] = assign_counties(layers["corridor_sites"], counties, city, gaz=gaz, by_id=by_id)
    tp = layers["townships_plan"]
    tp["county_text"], tp["new_district"], tp["county_basis"], tp["county_note"] = "", "", "base_township", ""
    tp["in_municipality"] = [city.covers(g) for g in tp.geometry.values]
    for name in LINKED_LAYERS:
        layers[name] = mark_primary(layers[name], gazetteer=gaz, explicit=explicit)
    for name, gdf in list(layers.items()):
        layers[name] = chinese_descriptions(gdf.drop(columns=[c for c in gdf.columns if c.startswith("_")]))
        _write(layers[name], plans / f"{name}.geojson")
    un = pd.DataFrame(unlocated.rows, columns=["table", "row", "id", "name", "place", "reason", "candidates"])
    write_text(plans / "unlocated.md", "# Plan rows that could not be located\n\n"
               "Generated by `python -m gis.layer_pipeline.plans`. Row numbers are file lines (CSV, header = 1) or "
               "list positions (YAML, from 1). Fix a row with an `anchor` in its source table, or add the place "
               "to `layers/gazetteer/`.\n\n" + _md_table(un))
    moves = compare_builds(previous, layers)
    write_text(plans / "build_report.md", _report(layers, totals, un, links, shared)
               + report_markdown(layers["corridors"]) + radius_report(layers, previous, root)
               + _moves_report(moves, layers, previous))
    return {"layers": layers, "unlocated": un, "totals": totals, "same_as": links, "shared_locations": shared}


def summary() -> pd.DataFrame:
    """Counts per shipped layer and per ``geocode_level`` (layers without that column count as features only).

    Examples
    --------
    >>> s = summary()
    >>> int(s.loc[s["layer"] == "townships", "features"].iloc[0])
    118
    """
    layers = {}
    for name in catalog():
        try:
            layers[name] = load_layer(name)
        except Exception:  # noqa: BLE001 - a missing file is shown as 0 features
            layers[name] = gpd.GeoDataFrame()
    return _counts(layers)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--summary" in argv:
        with pd.option_context("display.width", 200, "display.max_rows", 200):
            print(summary().to_string(index=False))
        return 0
    out = Path(__file__).resolve().parents[2] / "layers"
    args = [a for a in argv if not a.startswith("--")]
    shared = Path(args[0]) if args else None
    result = build(shared, out)
    print(_counts(result["layers"]).to_string(index=False))
    print(f"unlocated rows: {len(result['unlocated'])} (see {out / 'plans' / 'unlocated.md'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
