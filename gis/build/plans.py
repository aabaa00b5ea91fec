"""Build the plan layers (``layers/plans/``) from the transcribed tables (``layers/sources/``).

Every row of every source table ends either in a layer or in
``layers/plans/unlocated.md`` with its reason; ``build_report.md`` gives the
counts per layer and per ``geocode_level``.

- ``projects_*.csv``, ``logistics_*.csv``, ``characteristic_towns_*.csv`` →
  points geocoded with :func:`gis.geocode.geocode` (``anchor`` first, then
  ``place``, then the name), status mapped from ``status_zh``;
- ``township_tags_*.csv`` → ``townships_plan.geojson``: the 118 base
  townships, one row each, with their tags, details and sources joined;
- ``corridors_*.yaml`` → ``corridors.geojson``: lines through the ordered
  places.  Railways follow the real OSM stations where every place is a
  station or has one (``geometry_basis="railway_stations"``); 柳江 / 融江 /
  都柳江 waterways follow the Natural Earth centre line between the projected
  positions of their ports (``"river_centreline"``); everything else is a
  straight line through the places (``"schematic"``).

Run ``python -m gis.build.plans [SHARED_DIR]`` (build; with the shared folder the
gazetteer inputs of :mod:`gis.build.external` are rebuilt too) or
``python -m gis.build.plans --summary`` (counts per layer and geocode_level).
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point
from shapely.ops import substring

from .._errors import LayerError
from .._io import atomic_write, write_text
from ..crs import analysis_crs, transformer
from ..gazetteer import Gazetteer, Place, load_layer_from, normalise_text
from ..geocode import GeocodeResult, _geocode_row, geocode
from ..layers import catalog, layers_dir, load_layer, read_yaml

POINT_LAYERS = ("projects", "logistics", "characteristic_towns")
STATUS_CLASSES = ("existing", "under_construction", "planned", "reserve", "unknown")
RIVER_WATERWAYS = ("柳江", "融江", "都柳江")
#: A port farther than this from the river centre line is not put on it.
MAX_RIVER_OFFSET_M = 8000.0
FEATURE_COLUMNS = ["name", "category", "county", "status", "status_zh", "source_file", "section",
                   "geocode_level", "precision_m", "matched", "geocode_basis", "source_table", "source_row"]


def status_vocabulary(root: str | Path | None = None) -> dict[str, str]:
    """The status words of ``<root>/sources/status_words.yaml`` (default: the installed layers): {word: class}.

    Raises :class:`gis._errors.LayerError` naming the file when a class is unknown or a word has two classes.

    Examples
    --------
    >>> status_vocabulary()["重点推进"]
    'planned'
    """
    return dict(_vocabulary(str(Path(root) if root is not None else layers_dir())))


@functools.lru_cache(maxsize=4)
def _vocabulary(root: str) -> tuple[tuple[str, str], ...]:
    path = Path(root) / "sources" / "status_words.yaml"
    data = read_yaml(path) or {}
    classes = data.get("classes") or {}
    problems = [f"unknown class {c!r}" for c in classes if c not in STATUS_CLASSES]
    seen: dict[str, str] = {}
    for cls, words in classes.items():
        for w in words or []:
            key = normalise_text(w)
            if key in seen and seen[key] != cls:
                problems.append(f"{w!r} is in {seen[key]} and {cls}")
            seen[key] = cls
    if problems:
        raise LayerError(f"{path}: " + "; ".join(problems) + f". Classes are {', '.join(STATUS_CLASSES)}; "
                         "list each word once.")
    return tuple(seen.items())


def map_status(status_zh: Any, *, vocabulary: dict[str, str] | None = None) -> str:
    """The status class of the original word(s), from the vocabulary (:func:`status_vocabulary`).

    The whole word is looked up first, then the longest vocabulary word the text contains; otherwise ``unknown``.

    Examples
    --------
    >>> map_status("续建"), map_status("已建成"), map_status("拟建"), map_status("储备"), map_status("")
    ('under_construction', 'existing', 'planned', 'reserve', 'unknown')
    >>> map_status("投入使用"), map_status("加快推进"), map_status("落户")
    ('existing', 'under_construction', 'unknown')
    """
    vocab = vocabulary if vocabulary is not None else status_vocabulary()
    text = normalise_text(status_zh)
    if not text:
        return "unknown"
    if text in vocab:
        return vocab[text]
    inside = [w for w in vocab if w in text]
    return vocab[max(inside, key=len)] if inside else "unknown"


def _clean(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return str(v).strip()


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


class _Unlocated:
    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []

    def add(self, table: str, row: int, ident: str, name: str, place: str, reason: str, candidates: str = "") -> None:
        self.rows.append({"table": table, "row": str(row), "id": ident, "name": name, "place": place,
                          "reason": reason, "candidates": candidates})


def _point_layer(files: list[Path], gaz: Gazetteer, unlocated: _Unlocated,
                 vocab: dict[str, str]) -> tuple[gpd.GeoDataFrame, int]:
    rows, total = [], 0
    for path in files:
        df = _read_csv(path)
        for i, row in df.iterrows():
            total += 1
            r = {k: _clean(v) for k, v in row.items()}
            res = _geocode_row(r.get("name", ""), r.get("place", ""), r.get("anchor", ""), r.get("county") or None, gaz)
            if res.status != "matched":
                unlocated.add(path.name, i + 2, r.get("id", ""), r.get("name", ""), r.get("place", ""),
                              f"{res.status}: {res.reason}", "; ".join(res.candidates))
                continue
            feat = dict(r)
            feat.update(status=map_status(r.get("status_zh"), vocabulary=vocab), geocode_level=res.geocode_level,
                        precision_m=res.precision_m, matched="; ".join(res.matched), geocode_basis=res.reason,
                        source_table=path.name, source_row=i + 2, geometry=Point(res.lon, res.lat))
            rows.append(feat)
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326") if rows else gpd.GeoDataFrame(
        columns=[*FEATURE_COLUMNS, "geometry"], geometry="geometry", crs="EPSG:4326")
    for col in ("area_mu", "area_km2", "investment_yi"):
        if col in gdf.columns:
            gdf[col] = pd.to_numeric(gdf[col].replace("", np.nan), errors="coerce")
    return gdf, total


def _townships_plan(files: list[Path], gaz: Gazetteer, unlocated: _Unlocated,
                    root: Path) -> tuple[gpd.GeoDataFrame, int]:
    towns = load_layer_from(root, "townships")
    tags: dict[str, list[dict[str, str]]] = {}
    total = 0
    for path in files:
        df = _read_csv(path)
        for i, row in df.iterrows():
            total += 1
            r = {k: _clean(v) for k, v in row.items()}
            res = geocode(r.get("township", ""), county=r.get("county") or None, gazetteer=gaz)
            if res.status == "matched" and res.geocode_level in ("county", "city"):
                # a tag names a town: 鹿寨 in a list of towns is 鹿寨镇, not the county
                for suffix in ("镇", "乡"):
                    alt = geocode(r.get("township", "") + suffix, county=r.get("county") or None, gazetteer=gaz)
                    if alt.status == "matched" and alt.place in set(towns["name"]):
                        res = alt
                        break
            hit = towns[(towns["name"] == res.place) & (towns["county"] == res.county)] if res.status == "matched" else towns.iloc[:0]
            if len(hit) != 1:
                why = res.reason if res.status != "matched" else f"{res.place} is a {res.geocode_level}, not a township"
                unlocated.add(path.name, i + 2, "", r.get("township", ""), r.get("county", ""), f"{res.status}: {why}",
                              "; ".join(res.candidates))
                continue
            tags.setdefault(hit.iloc[0]["code"], []).append({**r, "source_table": path.name, "source_row": str(i + 2)})
    out = towns[["code", "name", "kind", "county", "county_adcode", "managing_district", "geocode_level",
                 "precision_m", "geometry"]].copy()
    out["tags"] = [("、".join(dict.fromkeys(t["tag"] for t in tags.get(c, []))) or "") for c in out["code"]]
    out["n_tags"] = [len(tags.get(c, [])) for c in out["code"]]
    out["detail"] = ["；".join(t["detail"] for t in tags.get(c, []) if t.get("detail")) for c in out["code"]]
    out["source_file"] = ["；".join(dict.fromkeys(t["source_file"] for t in tags.get(c, []))) for c in out["code"]]
    out["section"] = ["；".join(dict.fromkeys(t["section"] for t in tags.get(c, []))) for c in out["code"]]
    out["sources"] = ["；".join(f"{t['source_table']}:{t['source_row']}" for t in tags.get(c, [])) for c in out["code"]]
    out["category"] = "乡镇"
    out["status"] = "existing"
    out["status_zh"] = ""
    out["matched"] = out["name"]
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326"), total


def _short(name: str) -> str:
    for suffix in ("苗族自治县", "侗族自治县", "自治县", "市", "县", "区", "镇", "乡", "街道"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _station_for(name: str, res: GeocodeResult | None, gaz: Gazetteer) -> Place | None:
    """The OSM station a place name stands for: itself, or the station named after it."""
    surfaces = [name, name + "站", _short(name) + "站"]
    if res is not None and res.place:
        surfaces += [res.place + "站", _short(res.place) + "站"]
    for s in surfaces:
        hits = [p for p in gaz.lookup(s) if p.kind == "station"]
        if len(hits) == 1:
            return hits[0]
    return None


def _river_line(root: Path) -> LineString | None:
    rivers = load_layer_from(root, "rivers")
    if rivers is None:
        return None
    parts = rivers[rivers["name"].isin(RIVER_WATERWAYS)].geometry.values
    if len(parts) == 0:
        return None
    merged = shapely.line_merge(shapely.union_all(parts))
    return merged if merged.geom_type == "LineString" else None


def _corridors(files: list[Path], gaz: Gazetteer, unlocated: _Unlocated,
               root: Path, vocab: dict[str, str]) -> tuple[gpd.GeoDataFrame, int]:
    to_m = transformer("EPSG:4326", analysis_crs())
    to_ll = transformer(analysis_crs(), "EPSG:4326")
    river = _river_line(root)
    river_m = shapely.transform(river, lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1]))) if river is not None else None
    rows, total = [], 0
    for path in files:
        items = read_yaml(path) or []
        for i, item in enumerate(items):
            total += 1
            places = [str(p) for p in (item.get("places") or [])]
            mode = str(item.get("mode", ""))
            resolved, missing, bases = [], [], []
            for p in places:
                res = geocode(p, gazetteer=gaz)
                station = _station_for(p, res, gaz) if "railway" in mode else None
                if station is not None:
                    resolved.append((p, station.lon, station.lat, station.geocode_level, station.precision_m))
                    bases.append("station")
                elif res.status == "matched":
                    resolved.append((p, res.lon, res.lat, res.geocode_level, res.precision_m))
                    bases.append(res.geocode_level)
                else:
                    missing.append(f"{p} ({res.status})")
            ident = str(item.get("id", ""))
            if len(resolved) < 2:
                unlocated.add(path.name, i + 1, ident, str(item.get("name", "")), " → ".join(places),
                              f"{len(resolved)} of {len(places)} places located; a line needs two"
                              + (f"; not located: {', '.join(missing)}" if missing else ""))
                continue
            coords = [(lo, la) for _, lo, la, _, _ in resolved]
            basis = "schematic"
            geom = LineString(coords)
            if "railway" in mode and all(b == "station" for b in bases) and not missing:
                basis = "railway_stations"
            elif mode == "waterway" and river_m is not None and any(w in str(item.get("name", "")) + "".join(places)
                                                                     for w in RIVER_WATERWAYS):
                pts = [Point(*to_m.transform(lo, la)) for lo, la in coords]
                if all(river_m.distance(pt) <= MAX_RIVER_OFFSET_M for pt in pts) and not missing:
                    pos = [river_m.project(pt) for pt in pts]
                    pieces = []
                    for a, b in zip(pos[:-1], pos[1:]):
                        seg = substring(river_m, min(a, b), max(a, b))
                        seg_coords = list(seg.coords) if seg.geom_type == "LineString" else []
                        pieces.extend(seg_coords if a <= b else seg_coords[::-1])
                    if len(pieces) >= 2:
                        line_m = LineString(pieces)
                        geom = shapely.transform(line_m, lambda c: np.column_stack(to_ll.transform(c[:, 0], c[:, 1])))
                        basis = "river_centreline"
            levels = [lv for _, _, _, lv, _ in resolved]
            rows.append({
                "id": ident, "name": str(item.get("name", "")), "category": mode, "mode": mode,
                "county": "", "status": map_status(item.get("status_zh"), vocabulary=vocab), "status_zh": _clean(item.get("status_zh")),
                "places": " → ".join(places), "located_places": " → ".join(p for p, *_ in resolved),
                "unlocated_places": "、".join(missing), "geometry_basis": basis,
                "geocode_level": max(levels, key=lambda lv: ["landmark", "village", "township", "county", "city"].index(lv)),
                "precision_m": max(float(pr or 0) for *_, pr in resolved),
                "matched": " → ".join(f"{p}:{b}" for (p, *_), b in zip(resolved, bases)),
                "length_km": item.get("length_km"), "investment_yi": item.get("investment_yi"),
                "description": _clean(item.get("description")), "quote": _clean(item.get("quote")),
                "source_file": _clean(item.get("source_file")), "section": _clean(item.get("section")),
                "source_line": _clean(item.get("source_line")), "source_table": path.name, "source_row": i + 1,
                "geometry": geom,
            })
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326") if rows else gpd.GeoDataFrame(
        columns=[*FEATURE_COLUMNS, "geometry_basis", "geometry"], geometry="geometry", crs="EPSG:4326")
    return gdf, total


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


def build(shared_dir: str | Path | None = None, out_dir: str | Path | None = None, *,
          gazetteer: Gazetteer | None = None) -> dict[str, Any]:
    """Geocode every table of ``<out_dir>/sources`` into ``<out_dir>/plans``.

    ``out_dir`` is the layers folder (default: the installed one).  With a
    ``shared_dir``, the gazetteer inputs are rebuilt first
    (:mod:`gis.build.external`); without one the shipped ones are used.  Returns
    ``{"layers": {name: GeoDataFrame}, "unlocated": DataFrame, "totals": {layer: source rows}}``.
    """
    root = Path(out_dir) if out_dir is not None else layers_dir()
    if shared_dir is not None and Path(shared_dir).is_dir():
        from .external import build_external_places, build_village_register

        build_external_places(root)
        build_village_register(shared_dir, root)
    gaz = gazetteer or Gazetteer.from_layers(root=root)
    src, plans = root / "sources", root / "plans"
    unlocated = _Unlocated()
    vocab = status_vocabulary(root)
    layers: dict[str, gpd.GeoDataFrame] = {}
    totals: dict[str, int] = {}
    for name in POINT_LAYERS:
        files = sorted(src.glob(f"{name}_*.csv"))
        layers[name], totals[name] = _point_layer(files, gaz, unlocated, vocab)
    layers["townships_plan"], totals["townships_plan"] = _townships_plan(
        sorted(src.glob("township_tags_*.csv")), gaz, unlocated, root)
    layers["corridors"], totals["corridors"] = _corridors(
        sorted(src.glob("corridors_*.y*ml")), gaz, unlocated, root, vocab)
    for name, gdf in layers.items():
        _write(gdf, plans / f"{name}.geojson")
    un = pd.DataFrame(unlocated.rows, columns=["table", "row", "id", "name", "place", "reason", "candidates"])
    write_text(plans / "unlocated.md", "# Plan rows that could not be located\n\n"
               "Generated by `python -m gis.build.plans`. Row numbers are file lines (CSV, header = 1) or "
               "list positions (YAML, from 1). Fix a row with an `anchor` in its source table, or add the place "
               "to `layers/gazetteer/`.\n\n" + _md_table(un))
    write_text(plans / "build_report.md", _report(layers, totals, un))
    return {"layers": layers, "unlocated": un, "totals": totals}


def _counts(layers: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    rows = []
    for name, gdf in layers.items():
        levels = gdf["geocode_level"].value_counts() if "geocode_level" in gdf.columns and len(gdf) else pd.Series(dtype=int)
        rows.append({"layer": name, "features": len(gdf), **{lv: int(levels.get(lv, 0)) for lv in
                                                              ("landmark", "village", "township", "county", "city")}})
    return pd.DataFrame(rows, columns=["layer", "features", "landmark", "village", "township", "county", "city"])


def _report(layers: dict[str, gpd.GeoDataFrame], totals: dict[str, int], un: pd.DataFrame) -> str:
    counts = _counts(layers)
    counts["source_rows"] = counts["layer"].map(totals)
    un_by = un["table"].value_counts().rename_axis("table").reset_index(name="unlocated") if len(un) else pd.DataFrame()
    parts = ["# Build report: plan layers\n",
             "Generated by `python -m gis.build.plans` (`gis.build.plans.build`). Do not edit by hand.\n",
             "## Features per layer and per geocode_level\n", _md_table(counts),
             "\n`townships_plan` has one row per township (all 118); its source_rows are tag rows.\n",
             "\n## Unlocated rows per source table (details in unlocated.md)\n", _md_table(un_by)]
    if "corridors" in layers and len(layers["corridors"]):
        parts += ["\n## Corridors per geometry_basis\n",
                  _md_table(layers["corridors"]["geometry_basis"].value_counts().rename_axis("geometry_basis").reset_index(name="n"))]
    return "\n".join(parts)


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
