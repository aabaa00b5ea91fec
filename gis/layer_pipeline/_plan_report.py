"""Writing the plan layers and ``layers/plans/build_report.md``: counts, the rules in words, and what changed since
the previous build (:mod:`gis.layer_pipeline.plans`)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .._io import atomic_write
from ._plan_links import LINKED_LAYERS, _dist_m
from ._plan_rows import POINT_LAYERS


def _write(gdf: gpd.GeoDataFrame, path: Path) -> None:
    gdf = gdf.copy()
    for col in gdf.columns:
        if col != gdf.geometry.name and gdf[col].dtype == object:
            gdf[col] = gdf[col].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
    with atomic_write(path) as tmp:
        gdf.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer_options={"COORDINATE_PRECISION": 6, "WRITE_NAME": "NO"})


def _md_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "(none)\n"
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(str(r[c]).replace("|", "/").replace("\n", " ") for c in cols) + " |")
    return "\n".join(lines) + "\n"


def compare_builds(previous: dict[str, gpd.GeoDataFrame], layers: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Every point feature whose position, level or precision changed since the previous build (joined by ``id``)."""
    rows = []
    for name, old in previous.items():
        new = layers.get(name)
        if new is None or "id" not in old.columns or "id" not in new.columns:
            continue
        o = old.drop_duplicates("id").set_index("id")
        n = new.drop_duplicates("id").set_index("id")
        for ident in sorted(set(o.index) | set(n.index)):
            a = o.loc[ident] if ident in o.index else None
            b = n.loc[ident] if ident in n.index else None
            rec = {"layer": name, "id": ident, "name": (b if b is not None else a)["name"],
                   "level_before": None if a is None else a["geocode_level"],
                   "level_after": None if b is None else b["geocode_level"],
                   "precision_before_m": None if a is None else float(a["precision_m"]),
                   "precision_after_m": None if b is None else float(b["precision_m"]),
                   "dist_m": None, "why": ""}
            if a is not None and b is not None:
                rec["dist_m"] = round(_dist_m(a.geometry, b.geometry), 1)
                if rec["dist_m"] < 1 and rec["level_before"] == rec["level_after"] and \
                        rec["precision_before_m"] == rec["precision_after_m"]:
                    continue
                rec["why"] = f"{a.get('matched', '')} → {b.get('matched', '')}"
                if b.get("osm_id"):
                    rec["why"] += f" (OSM {b['osm_id']})"
            elif b is None:
                rec["why"] = "now unlocated (see unlocated.md)"
            else:
                rec["why"] = f"newly located: {b.get('matched', '')}"
            rows.append(rec)
    return pd.DataFrame(rows, columns=["layer", "id", "name", "level_before", "level_after", "precision_before_m",
                                       "precision_after_m", "dist_m", "why"])


def _moves_report(moves: pd.DataFrame, layers: dict[str, gpd.GeoDataFrame],
                  previous: dict[str, gpd.GeoDataFrame]) -> str:
    parts = ["\n## What changed since the previous build (the layers in layers/plans before this build)\n",
             "`precision_m` means: the feature lies within this radius of its point. Features known by their township "
             "carry the township's estimated extent (base layer `township_areas`), by their village the village's, "
             "a site with a stated area at least its equal-area radius, an OpenStreetMap landmark the radius of its "
             "kind (`layers/gazetteer/osm_kinds.yaml`).\n"]
    prec = []
    for n, g in layers.items():
        if n not in previous or "precision_m" not in g.columns:
            continue
        for level in ("landmark", "village", "township"):
            a = previous[n].loc[previous[n]["geocode_level"] == level, "precision_m"].astype(float)
            b = g.loc[g["geocode_level"] == level, "precision_m"].astype(float)
            if len(a) or len(b):
                prec.append({"layer": n, "level": level, "features_before": len(a), "median_before_m": a.median(),
                             "features_after": len(b), "median_after_m": b.median()})
    parts += ["\n### Median claimed precision per level, before → after\n", _md_table(pd.DataFrame(prec))]
    moved = moves[moves["dist_m"].fillna(0) >= 1]
    parts += [f"\n### Features that moved ({len(moved)}), from the previous point to the new one (why: the names that placed it, before → after)\n",
              _md_table(moved[["layer", "id", "name", "level_before", "level_after", "dist_m", "why"]])]
    other = moves[~moves.index.isin(moved.index) & moves["dist_m"].isna()]
    if len(other):
        parts += ["\n### Features located or unlocated since the previous build\n",
                  _md_table(other[["layer", "id", "name", "level_before", "level_after", "why"]])]
    osm = [{"layer": n, "features": len(g), "osm_landmarks": int((g["osm_id"].fillna("") != "").sum()),
            "county_level": int((g["geocode_level"] == "county").sum())}
           for n, g in layers.items() if "osm_id" in g.columns]
    parts += ["\n### Plan features placed on OpenStreetMap landmarks, and those still at county level\n",
              _md_table(pd.DataFrame(osm))]
    why = []
    for n in POINT_LAYERS:
        g = layers.get(n)
        if g is None or not len(g):
            continue
        c = g[g["geocode_level"] == "county"]
        for reason, k in _county_reasons(c).value_counts().items():
            why.append({"layer": n, "why county-level": reason, "features": int(k)})
    parts += ["\nWhy the county-level features stay county-level:\n", _md_table(pd.DataFrame(why))]
    return "\n".join(parts)


def _county_reasons(c: gpd.GeoDataFrame) -> pd.Series:
    def one(r) -> str:
        if r.get("geocode_decided_by") == "county":
            return "only the county column (or the county the text names) places it"
        m = str(r.get("matched", ""))
        if any(k in m for k in ("新区", "高新区")):
            return "the text names a new district only (no boundary: placed at its member towns' point)"
        if "→" in m and ("镇" in m or "乡" in m):
            return "a town falls back to its county (no point of its own)"
        return "the place or name names only a county; no town, village or landmark inside it"
    return c.apply(one, axis=1) if len(c) else pd.Series(dtype=str)


def _counts(layers: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    rows = []
    for name, gdf in layers.items():
        levels = gdf["geocode_level"].value_counts() if "geocode_level" in gdf.columns and len(gdf) else pd.Series(dtype=int)
        rows.append({"layer": name, "features": len(gdf), **{lv: int(levels.get(lv, 0)) for lv in
                                                              ("landmark", "village", "township", "county", "city")}})
    return pd.DataFrame(rows, columns=["layer", "features", "landmark", "village", "township", "county", "city"])


def _report(layers: dict[str, gpd.GeoDataFrame], totals: dict[str, int], un: pd.DataFrame,
            links: pd.DataFrame, shared: pd.DataFrame | None = None) -> str:
    counts = _counts(layers)
    counts["source_rows"] = counts["layer"].map(lambda n: totals.get(n, "(see corridors)"))
    un_by = un["table"].value_counts().rename_axis("table").reset_index(name="unlocated") if len(un) else pd.DataFrame()
    parts = ["# Build report: plan layers\n",
             "Generated by `python -m gis.layer_pipeline.plans` (`gis.layer_pipeline.plans.build`). Do not edit by hand.\n",
             "## Features per layer and per geocode_level\n", _md_table(counts),
             "\n`townships_plan` has one row per township (all 118); its source_rows are tag rows. The corridor rows "
             "end as lines (`corridors`), as points (`corridor_sites`) or in unlocated.md: corridors source_rows = "
             "corridors + corridor_sites + unlocated corridor rows.\n",
             "\n## Unlocated rows per source table (details in unlocated.md)\n", _md_table(un_by)]
    if "corridors" in layers and len(layers["corridors"]):
        parts += ["\n## Corridors per geometry_basis\n",
                  _md_table(layers["corridors"]["geometry_basis"].value_counts().rename_axis("geometry_basis").reset_index(name="n"))]
    if "corridor_sites" in layers and len(layers["corridor_sites"]):
        parts += ["\n## Corridor sites (single-place transport works)\n", _SITES_RULE,
                  _md_table(layers["corridor_sites"]["site_kind"].value_counts().rename_axis("site_kind").reset_index(name="n"))]
    decided = [{"layer": n, **layers[n]["geocode_decided_by"].value_counts().to_dict()}
               for n in POINT_LAYERS if n in layers and "geocode_decided_by" in layers[n].columns]
    if decided:
        cols = ["layer", *[c for c in ("anchor", "place", "place+name", "name", "county")
                           if any(c in d for d in decided)]]
        parts += ["\n## Which column decided (point layers)\n", _DECIDED_RULE,
                  _md_table(pd.DataFrame(decided).reindex(columns=cols).fillna(0).astype({c: int for c in cols[1:]}))]
    parts += ["\n## Corridor places resolved beyond the gazetteer\n", _RESOLUTION_RULE]
    parts += ["\n## Rows naming the same entity (`same_as`)\n", _SAME_AS_RULE, _md_table(links)]
    parts += ["\n## One location per entity (`location_from`)\n", _SHARE_RULE,
              _md_table(shared if shared is not None else pd.DataFrame())]
    conflicts = [(n, f) for n in LINKED_LAYERS if n in layers and "status_from" in layers[n].columns
                 for _, f in layers[n].iterrows() if f["status_from"]]
    parts += ["\n## One status per entity (`status_by_source`)\n", _STATUS_SHARE_RULE,
              _md_table(pd.DataFrame([{"layer": n, "id": f["id"], "own": f"{f['status_zh_own'] or '—'} → {f['status_own']}",
                                       "status": f"{f['status_zh']} → {f['status']}", "from": f["status_from"]}
                                      for n, f in conflicts], columns=["layer", "id", "own", "status", "from"]))]
    named = [n for n in LINKED_LAYERS if n in layers and "primary" in layers[n].columns]
    parts += ["\n## Primary rows per layer (`gdf[gdf.primary]` counts each entity once)\n",
              _md_table(pd.DataFrame([{"layer": n, "features": len(layers[n]), "primary": int(layers[n]["primary"].sum()),
                                       "duplicates": int((~layers[n]["primary"]).sum())} for n in named]))]
    parts += ["\n## County of the features (`county_basis`)\n", _COUNTY_RULE,
              _md_table(_basis_table(layers, "county_basis")),
              "\n## Where the status word came from (`status_basis`)\n", _STATUS_RULE,
              _md_table(_basis_table(layers, "status_basis"))]
    outside = pd.concat([g.loc[~g["in_municipality"].astype(bool), ["id", "name", "geocode_level", "matched"]]
                         .assign(layer=n) for n, g in layers.items() if "in_municipality" in g.columns and "id" in g.columns],
                        ignore_index=True) if layers else pd.DataFrame()
    parts += ["\n## Features outside the municipality (`in_municipality` False; kept, not dropped)\n",
              _md_table(outside.reindex(columns=["layer", "id", "name", "geocode_level", "matched"]))]
    return "\n".join(parts)


def _basis_table(layers: dict[str, gpd.GeoDataFrame], col: str) -> pd.DataFrame:
    rows = [{"layer": n, **g[col].value_counts().to_dict()} for n, g in layers.items() if col in g.columns]
    df = pd.DataFrame(rows)
    return df.fillna(0).astype({c: int for c in df.columns if c != "layer"}) if len(df) else df


_COUNTY_RULE = """
`county` is the legal county (one of the 10 of the base `counties` layer) or empty; `county_text` keeps the table's
words. `county_basis`: `text` (the county cell names one county: 柳城 → 柳城县, 融水 → 融水苗族自治县, via the gazetteer's
aliases), `located_point` (the cell is empty or names a new district, and the feature is located at a landmark,
village, township, or at the seat of the one county its place lies in: the county polygon holding its point), `none` (`county_note` says why: a new
district located only at its representative point, the city, outside Liuzhou, a line), `base_township`
(townships_plan). A new district named by the text (柳东新区, 柳州高新区, 北部生态新区, 阳和工业新区) is in `new_district`.
"""
_STATUS_RULE = """
`status_zh` is the word the status was read from, `status_basis` where it came from: `status_zh` (the table's cell),
`description` (a vocabulary word right before the row's name in its description), `section` (a word the plan gives
for the whole list, listed with its quote under `sections` in layers/sources/status_words.yaml), `same_as` (another
row naming the same entity reports a more advanced state: see "One status per entity"), `none` (no word:
status unknown). The rule of the classes is at the top of status_words.yaml.
"""
_SITES_RULE = """
A corridor row is a line only when its places give two distinct points. A row whose places (all located) give one
point in Liuzhou, and that is not a development axis, is a point of the separate layer `corridor_sites`
(交通工程点位, `geometry_basis = "site"`): locks, terminals, sidings, airport works, bypasses, interchanges, bridges,
pipeline branches, area road networks. The corridors layer stays lines only. A site's `same_as` names the logistics
rows (`LOG-*`) its description names or through which its place was resolved: the same facility, kept in both layers.
Not sites: a row whose one place is outside Liuzhou (桂林 for the 桂林 pipeline branch) or a river (融江 for a lock whose
site is not named), an axis with one place, and a line with a place missing (one end is not the work's site); these
are in unlocated.md with the reason.
"""
_RESOLUTION_RULE = """
- "/" alternatives of the name or quote (柳州—贺州/梧州—广州/深圳): the first alternative of each stop is drawn, the
  others are in `alternative_places`; the description is kept.
- County + town compounds (三江富禄, 柳城马山, 融水和睦) are read by the geocoder as the town inside the county.
- A bare village name (产儒, 高坡) is read as `<name>村` when exactly one village of that name lies in the counties
  named by the corridor's name or section, or by its other located places (`matched` says `village_in_county`).
- A facility used as a place (西鹅铁路物流中心, 高铁物流基地) is placed at the located logistics feature of the same
  name (city prefix and 项目/工程 ignored) or at the `LOG-*` row its description names (`matched` says `facility`),
  when the gazetteer gives nothing finer.
- Provinces, foreign places, regions and boundaries (`layers/gazetteer/unplaceable.yaml`) stay unlocated with that
  reason.
"""
_DECIDED_RULE = """
`geocode_decided_by` of each point feature: `anchor` (the table's anchor column), `place` (the place column),
`place+name` (the place named several places and a county or town in the project name picked one), `name` (the place
was empty or named no known place: located from the name; its `matched` entries start with `name:`), `county` (only
the county column placed it, at the county seat). The place column is primary: the name never overrides a place
it found.
"""
_SHARE_RULE = """
Rows linked as one entity (a shared name key, a gazetteer landmark, or `layers/sources/same_as.yaml`; not a corridor
site's link to the facility it serves) share the best location any of them has: the finest `geocode_level`, then the
smallest `precision_m`. A located row takes it only when the finer point lies within its own `precision_m` (otherwise
it is listed here as a conflict and keeps its own); an unlocated row of a point table becomes a feature at that
location (`geocode_decided_by = same_as`). `location_from` names the row the location came from. Lines keep theirs.
"""
_STATUS_SHARE_RULE = """
One status per entity: the most advanced state any of its sources reports wins (existing > under_construction >
planned > reserve > unknown) — the texts are of different dates, and a plan that reports works as built or under way
records a later state than one that lists them as planned. `status` / `status_zh` are that state and its word,
`status_from` the row that said it; `status_own` / `status_zh_own` keep the row's own reading, `status_by_source` every
source's word. Rows whose status another source advanced:
"""
_SAME_AS_RULE = """
Rows of the point tables and corridor sites that name one entity are linked, never merged or dropped: each keeps its
own row and its `same_as` column lists the ids of the others. Two rows are linked when they share a key of
`entity_keys`: the normalised name without a leading 柳州/柳州市/广西柳州 and a trailing 项目/工程/建设项目, a trailing bracketed
other name of at least 5 characters (only when it is another row's own name), or the gazetteer landmark the name spells (鹿寨江口港作业区 = 鹿寨港区江口作业区).
Rows listed together in `layers/sources/same_as.yaml` (hand-checked spellings of one work, with the reason) are
linked too. Corridor sites also name the `LOG-*` rows of their description. Corridor lines take part like the points
(their `via_facilities` lists the logistics rows they pass). Unlocated rows take part (shown as "unlocated").
"""


_RADIUS_RULE = """
A feature located at a township claims one of two radii, chosen by its text (rules: `layers/sources/seat_radius.yaml`):
the seat's built-up radius when the text makes it the town itself (<town>片区, <town>…小镇, 集镇, 古镇, 镇区) or states it
at the seat (or a row listed there with its quote), else the township's estimated extent (it lies somewhere in the
township). Only 镇 and 乡 seats (街道 keep their extent). `radius_basis` of each feature says which and why.
"""


def radius_report(layers: dict[str, gpd.GeoDataFrame], previous: dict[str, gpd.GeoDataFrame], root: Path) -> str:
    """The build report's section on the two radii and the check against the independent truth."""
    from ._plan_radius import truth_summary, truth_table

    rows = [{"layer": n, "id": f["id"], "name": f["name"], "precision_m": f["precision_m"],
             "radius": "seat" if str(f["radius_basis"]).startswith("seat") else "township",
             "radius_basis": f["radius_basis"]}
            for n, g in layers.items() if len(g) and "radius_basis" in g.columns
            for _, f in g.iterrows() if isinstance(f["radius_basis"], str) and f["radius_basis"]]
    table = pd.DataFrame(rows)
    after, before = truth_table(layers, root), truth_table(previous, root) if previous else pd.DataFrame()
    sa, sb = truth_summary(after), truth_summary(before)
    parts = ["\n## Seat or township: the radius of township-level features\n", _RADIUS_RULE,
             f"Township-level features: {len(table)}; seat radius: "
             f"{int((table['radius'] == 'seat').sum()) if len(table) else 0}; township extent: "
             f"{int((table['radius'] == 'township').sum()) if len(table) else 0}.\n", _md_table(table),
             "\n### Check against the independent truth (`layers/sources/location_truth.yaml`)\n",
             "`needed_m`: the distance from the feature's point to the farthest OpenStreetMap point of the thing it "
             "is; `within`: needed_m <= precision_m; `ratio`: precision_m / needed_m.\n",
             f"Within precision: {sa['within_pct']} % of {sa['n']} (previous build: {sb['within_pct']} % of {sb['n']}); "
             f"township-level ones claiming more than 5x the distance they need: {sa['over5_pct']} % of "
             f"{sa['township_n']} (previous build: {sb['over5_pct']} % of {sb['township_n']}).\n",
             _md_table(after)]
    return "\n".join(parts) + "\n"
