"""The point tables (projects, logistics, characteristic towns, facilities) geocoded row by row, and the township
tags joined to the base townships (:mod:`gis.layer_pipeline.plans`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from ..gazetteer import Gazetteer
from ..geocode import _geocode_row, geocode
from ..layers import load_layer
from ._plan_rows import FEATURE_COLUMNS, _clean, _read_csv, _Unlocated
from ._plan_status import _status_fields


def _point_layer(files: list[Path], gaz: Gazetteer, unlocated: _Unlocated,
                 vocab: dict[str, str], root: Path, *, layer: str = "") -> tuple[gpd.GeoDataFrame, int]:
    rows, total = [], 0
    for path in files:
        df = _read_csv(path)
        for i, row in df.iterrows():
            total += 1
            r = {k: _clean(v) for k, v in row.items()}
            res = _geocode_row(r.get("name", ""), r.get("place", ""), r.get("anchor", ""), r.get("county") or None, gaz)
            if res.status != "matched":
                unlocated.add(path.name, i + 2, r.get("id", ""), r.get("name", ""), r.get("place", ""),
                              f"{res.status}: {res.reason}", "; ".join(res.candidates), layer=layer,
                              record={**r, **_status_fields(r, vocab, root), "source_table": path.name,
                                      "source_row": i + 2, "_reason": f"{res.status}: {res.reason}"})
                continue
            feat = dict(r)
            here = gaz.lookup(res.place or "")
            precision, basis = area_precision(res.precision_m, r.get("area_mu"), r.get("area_km2"), res.reason)
            feat.update(**_status_fields(r, vocab, root), geocode_level=res.geocode_level, osm_id=res.osm_id,
                        precision_m=precision, matched="; ".join(res.matched), geocode_basis=basis,
                        geocode_decided_by=res.decided_by, _place_kind=here[0].kind if here else "",
                        _place=res.place or "", _place_county=here[0].county if here else "",
                        source_table=path.name, source_row=i + 2, geometry=Point(res.lon, res.lat))
            rows.append(feat)
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326") if rows else gpd.GeoDataFrame(
        columns=[*FEATURE_COLUMNS, "geometry"], geometry="geometry", crs="EPSG:4326")
    for col in ("area_mu", "area_km2", "investment_yi"):
        if col in gdf.columns:
            gdf[col] = pd.to_numeric(gdf[col].replace("", np.nan), errors="coerce")
    return gdf, total


#: Square metres per unit of a stated area.
_M2 = {"area_mu": 10000.0 / 15.0, "area_km2": 1e6}


def area_precision(precision_m: float | None, area_mu: Any = None, area_km2: Any = None,
                   basis: str = "") -> tuple[float | None, str]:
    """The precision of a feature whose plan states its area: at least the radius of a circle of that area.

    A site of 4.2 km² cannot lie within 200 m of a point: whatever placed it, the
    claimed radius is raised to the equal-area radius sqrt(A/π), and the basis says so.

    Examples
    --------
    >>> area_precision(200.0, area_km2="4.2")[0]   # sqrt(4.2e6 / pi) = 1156.2 m
    1157.0
    >>> area_precision(5000.0, area_mu="300")[0]
    5000.0
    """
    areas = []
    for col, v in (("area_mu", area_mu), ("area_km2", area_km2)):
        try:
            f = float(str(v).strip()) if v not in (None, "") else float("nan")
        except ValueError:
            f = float("nan")
        if np.isfinite(f) and f > 0:
            areas.append((f * _M2[col], col, f))
    if not areas or precision_m is None:
        return precision_m, basis
    m2, col, f = max(areas)
    radius = float(np.ceil(np.sqrt(m2 / np.pi)))
    if radius <= precision_m:
        return precision_m, basis
    unit = "亩" if col == "area_mu" else "km²"
    return radius, f"{basis}; precision raised to the equal-area radius of its stated area ({f:g} {unit}: {radius:.0f} m)"


def _townships_plan(files: list[Path], gaz: Gazetteer, unlocated: _Unlocated,
                    root: Path) -> tuple[gpd.GeoDataFrame, int]:
    towns = load_layer("townships", root=root)
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
    if "extent_m" in towns.columns:  # a tag names the township (the unit), not its seat: its estimated extent
        out["seat_precision_m"] = out["precision_m"]
        out["precision_m"] = np.maximum(towns["extent_m"].astype(float), towns["precision_m"].astype(float))
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
