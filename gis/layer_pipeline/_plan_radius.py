"""Two radii for plan features located at a township: the seat's built-up radius or the township's extent.

The rules are data (``layers/sources/seat_radius.yaml``): a feature the text makes the town itself (进德片区,
凤山镇特色小镇, 导江乡集镇 …) or states at its seat claims the seat radius; one known only to lie somewhere in the
township keeps the township's estimated extent.  Every township-level feature's choice is kept in ``radius_basis``
and listed in the build report, with the check against the independent truth of ``layers/sources/location_truth.yaml``
(:func:`truth_table`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from .._errors import LayerError
from ..layers import load_layer, read_yaml
from ._plan_points import area_precision

SEAT_FILE = "sources/seat_radius.yaml"
TRUTH_FILE = "sources/location_truth.yaml"
_GEOD = pyproj.Geod(ellps="WGS84")
_TOWN_SUFFIXES = ("苗族乡", "瑶族乡", "侗族乡", "仫佬族乡", "壮族乡", "民族乡", "乡", "镇")


def seat_rules(root: Path) -> dict[str, Any]:
    """The rules of ``<root>/sources/seat_radius.yaml`` (empty when the file is absent)."""
    path = Path(root) / SEAT_FILE
    if not path.exists():
        return {}
    data = read_yaml(path) or {}
    if "seat_radius_m" not in data:
        raise LayerError(f"{path}: lacks 'seat_radius_m'; see the comments at its top.")
    return data


def short_town(name: str) -> str:
    """The town's name without 镇/乡 (two characters at least).

    Examples
    --------
    >>> short_town("富禄苗族乡"), short_town("凤山镇"), short_town("太阳村镇")
    ('富禄', '凤山', '太阳村')
    """
    for suf in _TOWN_SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            return name[: -len(suf)]
    return name


def seat_reason(texts: list[str], town: str, fid: str, rules: dict[str, Any]) -> str:
    """Why a feature is the town or at its seat (``""`` when it only lies somewhere in the township).

    Examples
    --------
    >>> rules = {"is_town": [{"word": "小镇", "between": "any"}, {"word": "片区", "between": "none"}],
    ...          "at_seat_words": ["集镇"]}
    >>> seat_reason(["三江县丹洲柚香小镇"], "丹洲镇", "X", rules)
    'is the town: 丹洲…小镇'
    >>> seat_reason(["雒容东部片区"], "雒容镇", "X", rules), seat_reason(["进德片区"], "进德镇", "X", rules)
    ('', 'is the town: 进德片区')
    """
    for entry in rules.get("at_seat_rows") or []:
        if fid in [str(i) for i in entry["ids"]]:
            return f"the text places it at the town: {entry['quote']}"
    short = short_town(town)
    text = "；".join(t for t in texts if t)
    for rule in rules.get("is_town") or []:
        word = str(rule["word"])
        gap = ".*" if rule.get("between") == "any" else "(?:镇|乡)?"
        if re.search(re.escape(short) + gap + re.escape(word), text):
            return f"is the town: {short}{'…' if rule.get('between') == 'any' else ''}{word}"
    words = [w for w in rules.get("at_seat_words") or [] if w in text]
    if words:
        return f"stated at the seat: {'、'.join(words)}"
    return ""


def apply_seat_radius(gdf: gpd.GeoDataFrame, root: Path, rules: dict[str, Any] | None = None) -> gpd.GeoDataFrame:
    """``precision_m`` of the township-level features of ``gdf`` by the two-radii rule; ``radius_basis`` says which.

    A feature sits at its township's point; the township is found by that point (the townships layer).  Only 镇 and
    乡 take the seat radius (county-seat towns their own, larger one); 街道 and features of no seat rule keep
    the township's extent.
    """
    rules = seat_rules(root) if rules is None else rules
    out = gdf.copy()
    if "radius_basis" not in out.columns:
        out["radius_basis"] = ""
    if not rules or not len(out):
        return out
    towns = load_layer("townships", root=root)
    seats = set()
    try:
        seats = set(load_layer("county_seats", root=root)["seat_township"].dropna().astype(str))
    except LayerError:
        pass
    at = {(round(g.x, 6), round(g.y, 6)): t for g, (_, t) in zip(towns.geometry.values, towns.iterrows())}
    radius = rules["seat_radius_m"]
    for i, f in out.iterrows():
        if str(f.get("geocode_level")) != "township" or f.geometry is None or f.geometry.geom_type != "Point":
            continue
        t = at.get((round(f.geometry.x, 6), round(f.geometry.y, 6)))
        if t is None:
            continue
        kind = str(t["kind"])
        texts = [str(f.get(c) or "") for c in ("name", "place", "anchor")]
        why = seat_reason(texts, str(t["name"]), str(f["id"]), rules) if kind in ("镇", "乡") else ""
        if not why:
            out.at[i, "radius_basis"] = (f"township extent of {t['name']} ({float(f['precision_m']):.0f} m): the text "
                                         "places it only somewhere in the township")
            continue
        is_seat = str(t["name"]) in seats
        base = float(radius["county_seat"] if is_seat else radius[kind])
        extra = next((float(e.get("extra_m") or 0) for e in rules.get("at_seat_rows") or []
                      if str(f["id"]) in [str(x) for x in e["ids"]]), 0.0)
        new = max(base + extra, float(t["precision_m"]))
        area, _ = area_precision(new, f.get("area_mu"), f.get("area_km2"))  # never below the stated area's radius
        new = float(area) if area is not None else new
        if new >= float(f["precision_m"]):
            continue
        out.at[i, "radius_basis"] = (f"seat of {t['name']} ({'county seat ' if is_seat else ''}{kind}, "
                                     f"{new:.0f} m, layers/sources/seat_radius.yaml): {why}; "
                                     f"township extent was {float(f['precision_m']):.0f} m")
        out.at[i, "precision_m"] = new
    return out


def truth_table(layers: dict[str, gpd.GeoDataFrame], root: Path) -> pd.DataFrame:
    """Each feature of ``location_truth.yaml``: its level, claimed ``precision_m``, the distance it needs (to the
    farthest truth point), whether it lies within, and the ratio claimed / needed."""
    path = Path(root) / TRUTH_FILE
    if not path.exists():
        return pd.DataFrame()
    feats = {str(f["id"]): (n, f) for n, g in layers.items() if len(g) and "id" in g.columns
             for _, f in g.iterrows() if f.geometry is not None and f.geometry.geom_type == "Point"}
    rows = []
    for entry in (read_yaml(path) or {}).get("entries") or []:
        pts = np.array([[float(p["lon"]), float(p["lat"])] for p in entry["points"]])
        for fid in entry["ids"]:
            hit = feats.get(str(fid))
            if hit is None:
                continue
            layer, f = hit
            _, _, d = _GEOD.inv(np.full(len(pts), f.geometry.x), np.full(len(pts), f.geometry.y), pts[:, 0], pts[:, 1])
            need = float(d.max())
            prec = float(f["precision_m"])
            rows.append({"id": str(fid), "layer": layer, "name": f["name"], "geocode_level": f["geocode_level"],
                         "precision_m": prec, "needed_m": round(need), "within": need <= prec,
                         "ratio": round(prec / max(need, 1.0), 1),
                         "truth": "、".join(str(p["name"]) for p in entry["points"])})
    return pd.DataFrame(rows)


def truth_summary(table: pd.DataFrame) -> dict[str, float]:
    """Share of truth features within their precision, and of the township-level ones claiming > 5x their need."""
    if not len(table):
        return {"n": 0, "within_pct": float("nan"), "township_n": 0, "over5_pct": float("nan")}
    town = table[table["geocode_level"] == "township"]
    return {"n": int(len(table)), "within_pct": round(100.0 * float(table["within"].mean()), 1),
            "township_n": int(len(town)),
            "over5_pct": round(100.0 * float((town["ratio"] > 5).mean()), 1) if len(town) else float("nan")}
