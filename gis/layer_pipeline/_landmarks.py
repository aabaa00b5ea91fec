"""Named OpenStreetMap landmarks of the municipality (ports, power stations, logistics centres, parks, plants …).

Reads ``<shared>/data/osm/geopi_china_poi_liuzhou.geojson`` (OSM via PyPI geopi 0.1.8, WGS-84, ODbL) and the
rules of ``layers/gazetteer/osm_kinds.yaml``; writes the base layer ``osm_landmarks``: one point per kept OSM
element with ``osm_id``, ``name``, ``fclass``, ``landmark_kind``, ``precision_m`` (the radius of its kind),
``variants`` (short names and the names the plans use), ``county``.  Points whose name names no kind (schools,
shops, housing estates …) are never kept.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
from shapely.geometry import Point

from .._errors import LayerError
from ..gazetteer import normalise_text
from ..layers import read_yaml

SOURCE = ("OpenStreetMap (© OpenStreetMap contributors, ODbL 1.0) via PyPI geopi 0.1.8 "
          "geopi/data/city_shp/china_poi.shp (snapshot ~mid-2024), clipped in ../shared/data/osm/"
          "geopi_china_poi_liuzhou.geojson")
_GEOD = pyproj.Geod(ellps="WGS84")


def landmark_kind(name: str, fclass: str, rules: dict[str, Any]) -> str | None:
    """The landmark kind of an OSM point by its name and fclass (first rule that matches), or None.

    Examples
    --------
    >>> from gis.layers import layers_dir
    >>> rules = read_yaml(layers_dir() / "gazetteer" / "osm_kinds.yaml")
    >>> landmark_kind("柳州港官塘作业区", "industrial", rules), landmark_kind("西鹅小学", "school", rules)
    ('port', None)
    >>> landmark_kind("国家汽车质量检验中心(广西)", "industrial", rules)
    'centre'
    """
    if fclass not in rules.get("fclass", []):
        return None
    bare = re.sub(r"\([^()]*\)$", "", name)  # 国家汽车质量检验中心(广西): the kind is in the name before the brackets
    for kind, rule in (rules.get("kinds") or {}).items():
        if rule.get("of_fclass") and fclass not in rule["of_fclass"]:
            continue
        if (bare.endswith(tuple(rule.get("ends", []))) or any(w in name for w in rule.get("contains", []))
                or fclass in rule.get("fclass_only", [])):
            return kind
    return None


def short_names(name: str, rules: dict[str, Any]) -> list[str]:
    """The names a landmark is also known by: city prefix and company suffix stripped, never a generic word.

    Examples
    --------
    >>> from gis.layers import layers_dir
    >>> short_names("柳州市鹧鸪江钢铁物流园", read_yaml(layers_dir() / "gazetteer" / "osm_kinds.yaml"))
    ['鹧鸪江钢铁物流园']
    >>> short_names("柳州物流园", read_yaml(layers_dir() / "gazetteer" / "osm_kinds.yaml"))
    []
    """
    generic = set(rules.get("generic", []))
    out: list[str] = []
    forms = [name]
    for p in rules.get("strip_prefixes", []):
        if name.startswith(p):
            forms.append(name[len(p):])
            break
    for f in list(forms):
        for s in rules.get("strip_suffixes", []):
            if f.endswith(s):
                forms.append(f[: -len(s)])
                break
    for f in forms[1:]:
        if len(f) >= 4 and f not in generic and f != name and f not in out:
            out.append(f)
    return out


def is_generic(name: str, rules: dict[str, Any]) -> bool:
    """Whether a name names no one site: a generic word, alone or after a city prefix."""
    generic = set(rules.get("generic", []))
    stripped = name
    for p in rules.get("strip_prefixes", []):
        if stripped.startswith(p):
            stripped = stripped[len(p):]
            break
    return name in generic or stripped in generic or len(stripped) < 3


def build_osm_landmarks(data_dir: Path, city: gpd.GeoDataFrame, counties: gpd.GeoDataFrame,
                        rules_path: Path) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """The ``osm_landmarks`` layer and an account of the input points (kept, by kind; skipped, by reason)."""
    path = data_dir / "osm" / "geopi_china_poi_liuzhou.geojson"
    if not path.exists():
        raise LayerError(f"{path}: missing (see ../shared/data/SOURCES.md).")
    rules = read_yaml(rules_path)
    kinds = rules.get("kinds") or {}
    variants = {str(k): v for k, v in (rules.get("variants") or {}).items()}
    with open(path, encoding="utf-8") as fh:
        feats = json.load(fh)["features"]
    city_geom = city.geometry.union_all()
    cpoly = counties.set_index("name").geometry
    skipped = {"outside the municipality": 0, "no name": 0, "no landmark kind (fclass or name)": 0,
               "generic name": 0, "duplicate osm_id": 0}
    rows: dict[str, dict[str, Any]] = {}
    for f in feats:
        p = f["properties"]
        name = normalise_text(p.get("name"))
        lon, lat = f["geometry"]["coordinates"][:2]
        pt = Point(lon, lat)
        if not name:
            skipped["no name"] += 1
            continue
        if not city_geom.covers(pt):
            skipped["outside the municipality"] += 1
            continue
        kind = landmark_kind(name, p.get("fclass") or "", rules)
        if kind is None:
            skipped["no landmark kind (fclass or name)"] += 1
            continue
        if is_generic(name, rules):
            skipped["generic name"] += 1
            continue
        osm_id = str(p["osm_id"])
        if osm_id in rows:  # the extract repeats some elements under two fclasses
            skipped["duplicate osm_id"] += 1
            continue
        county = next((n for n, g in cpoly.items() if g.covers(pt)), None)
        names = [*short_names(name, rules), *(v for v in variants.get(osm_id, []) if v != name)]
        radius = int(kinds[kind]["radius_m"])
        rows[osm_id] = {"osm_id": osm_id, "name": name, "fclass": p.get("fclass"), "landmark_kind": kind,
                        "precision_m": radius, "variants": "|".join(dict.fromkeys(names)), "county": county,
                        "basis": f"OpenStreetMap point ({p.get('fclass')}); precision = the radius of a {kind} site "
                                 "(layers/gazetteer/osm_kinds.yaml)",
                        "source": SOURCE, "geometry": pt}
    # one name at several points: each keeps its point, the precision covers the others (one site, several nodes)
    by_name: dict[str, list[str]] = {}
    for r in rows.values():
        by_name.setdefault(r["name"], []).append(r["osm_id"])
    for ids in by_name.values():
        if len(ids) > 1:
            lons = np.array([rows[i]["geometry"].x for i in ids])
            lats = np.array([rows[i]["geometry"].y for i in ids])
            for i in ids:
                _, _, d = _GEOD.inv(np.full(len(ids), rows[i]["geometry"].x), np.full(len(ids), rows[i]["geometry"].y),
                                    lons, lats)
                rows[i]["precision_m"] = int(max(rows[i]["precision_m"], np.ceil(d.max() / 100) * 100
                                                 + rows[i]["precision_m"]))
                rows[i]["basis"] += f"; the name has {len(ids)} OSM points (osm_id {', '.join(ids)}): precision covers all"
    unknown = sorted(set(variants) - set(rows))
    if unknown:
        raise LayerError(f"{rules_path}: variants for osm_id {unknown}, which are not kept landmarks; fix the ids.")
    gdf = gpd.GeoDataFrame(list(rows.values()), geometry="geometry", crs="EPSG:4326")
    gdf = gdf.sort_values(["landmark_kind", "name", "osm_id"]).reset_index(drop=True)
    report = {"input_points": len(feats), "kept": len(gdf), "by_kind": gdf["landmark_kind"].value_counts().to_dict(),
              "skipped": skipped}
    return gdf, report
