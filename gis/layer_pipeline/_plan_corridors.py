"""The corridor tables: lines through their located places (railway stations, the river centre line, schematic)
and the single-place works as points (``corridor_sites``) (:mod:`gis.layer_pipeline.plans`)."""

from __future__ import annotations

import re
from pathlib import Path
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Point
from shapely.ops import substring

from .._errors import LayerError
from ..crs import analysis_crs, transformer
from ..gazetteer import LEVEL_RANK, Gazetteer, Place, normalise_text
from ..geocode import GeocodeResult, geocode
from ..layers import load_layer, read_yaml
from ._plan_rows import FEATURE_COLUMNS, _clean, _short, _Unlocated, name_key
from ._plan_status import _status_fields

RIVER_WATERWAYS = ("柳江", "融江", "都柳江")
#: A port farther than this from the river centre line is not put on it.
MAX_RIVER_OFFSET_M = 8000.0


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
    try:
        rivers = load_layer("rivers", root=root)
    except LayerError:
        return None
    parts = rivers[rivers["name"].isin(RIVER_WATERWAYS)].geometry.values
    if len(parts) == 0:
        return None
    merged = shapely.line_merge(shapely.union_all(parts))
    return merged if merged.geom_type == "LineString" else None


#: What a single-place work is, from the words of its name (first match wins).
SITE_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("lock_or_dam", ("船闸", "航电枢纽", "航运枢纽", "水利枢纽")),
    ("siding", ("专用线",)),
    ("terminal", ("作业区", "泊位", "码头")),
    ("airport_works", ("机场", "联络道")),
    ("pipeline", ("管道", "管网")),
    ("interchange", ("互通", "立交")),
    ("bridge", ("大桥", "复线桥", "二桥", "三桥")),
    ("bypass", ("绕城", "北环", "南环", "环路", "过境")),
    ("road_network", ("路网",)),
    ("urban_transit", ("轨道交通", "捷运")),
    ("rail_hub", ("枢纽",)),
    ("local_road", ("道路", "下穿")),
)
_LOG_ID = re.compile(r"LOG-[A-Z]-\d{3}")
_SPLIT_ALTERNATIVES = re.compile(r"[—–－\-]|至")


def site_kind(name: str) -> str:
    """What a corridor work with one place is (lock_or_dam, terminal, siding, airport_works, pipeline, …, other).

    Examples
    --------
    >>> site_kind("柳江红花水利枢纽二线船闸工程"), site_kind("G323柳城绕城线"), site_kind("东六路")
    ('lock_or_dam', 'bypass', 'other')
    """
    for kind, words in SITE_KINDS:
        if any(w in name for w in words):
            return kind
    return "other"


def alternative_groups(places: list[str], texts: list[str]) -> list[list[str]]:
    """Group ``places`` by the "/" alternatives of the corridor's name or quote ("柳州—贺州/梧州—广州/深圳").

    Each group is one stop of the route: its first place is drawn, the others are alternatives to it.
    Without a "/" in the texts every place is its own group.

    Examples
    --------
    >>> alternative_groups(["柳州", "贺州", "梧州", "广州", "深圳"], ["柳州—贺州/梧州—广州/深圳东向通道"])
    [['柳州'], ['贺州', '梧州'], ['广州', '深圳']]
    >>> alternative_groups(["柳州", "南宁"], ["柳州—南宁"])
    [['柳州'], ['南宁']]
    """
    for text in texts:
        text = normalise_text(text)
        if "/" not in text:
            continue
        stops = [[a for a in seg.split("/") if a] for seg in _SPLIT_ALTERNATIVES.split(text)]
        groups: list[tuple[int, list[str]]] = []
        k = 0
        for p in places:
            while k < len(stops) and not any(a.startswith(p) or p in a for a in stops[k]):
                k += 1
            if k == len(stops):  # the text does not list the places in order: no grouping
                break
            if groups and groups[-1][0] == k:
                groups[-1][1].append(p)
            else:
                groups.append((k, [p]))
        else:
            if any(len(g) > 1 for _, g in groups):
                return [g for _, g in groups]
    return [[p] for p in places]


@dataclass(frozen=True)
class _Stop:
    """A located corridor place."""

    surface: str
    lon: float
    lat: float
    level: str
    precision_m: float
    basis: str  # station / facility / village_in_county / the geocode_level
    county: str | None
    in_liuzhou: bool
    kind: str
    reason: str
    same_as: str = ""
    osm_id: str = ""


def _facilities(layer: gpd.GeoDataFrame | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The located logistics features by ``name_key`` (only keys naming one feature) and by id."""
    if layer is None or not len(layer):
        return {}, {}
    by_key: dict[str, list[Any]] = {}
    for _, f in layer.iterrows():
        by_key.setdefault(name_key(f["name"]), []).append(f)
    return {k: v[0] for k, v in by_key.items() if len(v) == 1}, {str(f["id"]): f for _, f in layer.iterrows()}


def _facility_stop(p: str, log_ids: list[str], facilities: tuple[dict[str, Any], dict[str, Any]]) -> _Stop | None:
    by_key, by_id = facilities
    key = name_key(p)
    f = by_key.get(key)
    if f is None:  # the description names the facility: its name must contain the place (or the reverse)
        named = [by_id[i] for i in log_ids if i in by_id and (key in name_key(by_id[i]["name"]) or name_key(by_id[i]["name"]) in key)]
        f = named[0] if len(named) == 1 else None
    if f is None:
        return None
    g = f.geometry
    return _Stop(p, g.x, g.y, f["geocode_level"], float(f["precision_m"]), f"facility({f['geocode_level']})",
                 f.get("county") or None, True,
                 "facility", f"the logistics feature {f['id']} {f['name']} ({f['geocode_level']}; {f.get('geocode_basis', '')})",
                 str(f["id"]), osm_id=str(f.get("osm_id") or ""))


def _context_counties(item: dict, gaz: Gazetteer, stops: list[_Stop]) -> set[str]:
    """Counties the corridor's name and section name, and those of its located places in Liuzhou."""
    out: set[str] = set()
    for text in (item.get("name"), item.get("section")):
        for m in gaz.find(_clean(text)):
            if len(m.places) == 1 and m.places[0].in_liuzhou and m.places[0].kind in ("county", "township", "new_district"):
                out |= set((m.places[0].county or "").split("、")) - {""}
    out |= {s.county for s in stops if s.in_liuzhou and s.county}
    return out


def _village_in(p: str, counties: set[str], gaz: Gazetteer) -> _Stop | None:
    """A bare village name (产儒 for 产儒村) when exactly one village of that name lies in ``counties``."""
    if not counties or p.endswith(("村", "社区")):
        return None
    hits = [v for v in gaz.lookup(p + "村") if v.kind == "village" and v.has_point and v.county in counties]
    if len(hits) != 1:
        return None
    v = hits[0]
    return _Stop(p, v.lon, v.lat, v.geocode_level, float(v.precision_m), "village_in_county", v.county, True, "village",
                 f"bare name of {v.name} ({v.township}, {v.county}), the only village of that name in "
                 f"{'、'.join(sorted(counties))}; {v.basis}")


def _place_stop(p: str, mode: str, gaz: Gazetteer, facilities, log_ids: list[str],
                single: bool) -> tuple[_Stop | None, GeocodeResult]:
    res = geocode(p, gazetteer=gaz)
    station = _station_for(p, res, gaz) if "railway" in mode and (not single or p.endswith("站")) else None
    if station is not None:
        return _Stop(p, station.lon, station.lat, station.geocode_level, float(station.precision_m), "station",
                     station.county, station.in_liuzhou and station.county is not None, "station",
                     f"station {station.name}"), res
    fac = _facility_stop(p, log_ids, facilities)
    if res.status == "matched":
        here = gaz.lookup(res.place or "")
        kind = here[0].kind if here else ""
        inside = bool(here) and all(h.in_liuzhou for h in here) and kind != "river"
        if fac is None or LEVEL_RANK[res.geocode_level] <= LEVEL_RANK[fac.level]:
            county = res.place if kind == "new_district" else res.county
            return _Stop(p, res.lon, res.lat, res.geocode_level, float(res.precision_m or 0), res.geocode_level,
                         county, inside if kind != "river" else False, kind, res.reason, osm_id=res.osm_id), res
    return fac, res


def _unplaceable(root: Path) -> dict[str, str]:
    path = root / "gazetteer" / "unplaceable.yaml"
    data = read_yaml(path) if path.exists() else {}
    out = {}
    for reason, names in (data or {}).items():
        for n in names or []:
            out[normalise_text(n)] = str(reason)
    return out


def _why(p: str, res: GeocodeResult, unplaceable: dict[str, str]) -> str:
    reason = unplaceable.get(normalise_text(p))
    if reason:
        return f"{p} ({reason})"
    if res.status == "ambiguous":
        return f"{p} (ambiguous: {'、'.join(res.candidates)})"
    return f"{p} (not in the gazetteer)"


def _corridors(files: list[Path], gaz: Gazetteer, unlocated: _Unlocated, root: Path, vocab: dict[str, str],
               logistics: gpd.GeoDataFrame | None = None) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, int]:
    """Corridor lines, and the single-place works as points (``corridor_sites``); the rest to ``unlocated``."""
    to_m = transformer("EPSG:4326", analysis_crs())
    to_ll = transformer(analysis_crs(), "EPSG:4326")
    river = _river_line(root)
    river_m = shapely.transform(river, lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1]))) if river is not None else None
    facilities = _facilities(logistics)
    unplaceable = _unplaceable(root)
    rows, sites, total = [], [], 0
    for path in files:
        items = read_yaml(path) or []
        for i, item in enumerate(items):
            total += 1
            places = [str(p) for p in (item.get("places") or [])]
            mode = str(item.get("mode", ""))
            ident, name = str(item.get("id", "")), _clean(item.get("name"))
            log_ids = list(dict.fromkeys(_LOG_ID.findall(_clean(item.get("description")))))
            groups = alternative_groups(places, [name, _clean(item.get("quote"))])
            drawn = [g[0] for g in groups]
            alternatives = "; ".join(f"{g[0]}: {'/'.join(g[1:])}" for g in groups if len(g) > 1)
            found: list[tuple[_Stop | None, GeocodeResult]] = [
                _place_stop(p, mode, gaz, facilities, log_ids, single=len(drawn) == 1) for p in drawn]
            stops = [s for s, _ in found if s is not None]
            counties = _context_counties(item, gaz, stops)
            found = [(s if s is not None else _village_in(p, counties, gaz), r) for p, (s, r) in zip(drawn, found)]
            stops = [s for s, _ in found if s is not None]
            missing = [_why(p, r, unplaceable) for p, (s, r) in zip(drawn, found) if s is None]
            coords: list[tuple[float, float]] = []
            for s in stops:
                if not coords or coords[-1] != (s.lon, s.lat):
                    coords.append((s.lon, s.lat))
            common = {
                "id": ident, "name": name, "category": mode, "mode": mode,
                **_status_fields(item, vocab, root),
                "places": " → ".join(places), "alternative_places": alternatives,
                "length_km": item.get("length_km"), "investment_yi": item.get("investment_yi"),
                "description": _clean(item.get("description")), "quote": _clean(item.get("quote")),
                "source_file": _clean(item.get("source_file")), "section": _clean(item.get("section")),
                "source_line": _clean(item.get("source_line")), "source_table": path.name, "source_row": i + 1,
            }
            if len(coords) == 1 and not missing and mode != "axis":
                s = stops[0]
                if not all(x.in_liuzhou for x in stops):
                    missing = [f"{s.surface} (the only place named lies outside Liuzhou or is a river; "
                               "a point there would not show where the works are)"]
                else:
                    same = list(dict.fromkeys([*log_ids, *(x.same_as for x in stops if x.same_as)]))
                    where = "its place" if len(stops) == 1 else \
                        f"its places ({'、'.join(x.surface for x in stops)}) are known only at the same point"
                    sites.append({**common, "county": "", "_place_kind": s.kind, "_place": s.surface, "_place_county": s.county or "",
                                  "_facility": s.same_as if s.kind == "facility" else "", "site_kind": site_kind(name),
                                  "place": s.surface, "geometry_basis": "site",
                                  "geocode_level": s.level, "precision_m": s.precision_m, "osm_id": s.osm_id,
                                  "matched": " → ".join(f"{x.surface}:{x.basis}" for x in stops),
                                  "geocode_basis": f"{where}: {s.reason}", "same_as": "; ".join(same),
                                  "geometry": Point(s.lon, s.lat)})
                    continue
            if not places and mode == "waterway" and "柳江" in name:  # a 柳江 channel named without end points
                from .routing import liujiang_channel

                channel, how = liujiang_channel(root)
                if channel is not None:
                    rows.append({**common, "county": "", "located_places": "柳江", "unlocated_places": "",
                                 "geometry_basis": "river_centreline", "geocode_level": "city",
                                 "precision_m": 1000.0, "matched": f"柳江:{how}", "same_as": "",
                                 "geometry": channel})
                    continue
            if len(coords) < 2:
                if not places:
                    why = "the text names no place of it"
                elif mode == "axis" and len(coords) == 1 and not missing:
                    why = "an axis needs two located places"
                else:
                    why = f"{len(stops)} of {len(drawn)} places located; a line needs two distinct points"
                unlocated.add(path.name, i + 1, ident, name, " → ".join(places),
                              why + (f"; not located: {', '.join(missing)}" if missing else ""))
                continue
            basis = "schematic"
            geom = LineString(coords)
            bases = [s.basis for s in stops]
            if "railway" in mode and all(b == "station" for b in bases) and not missing:
                basis = "railway_stations"
            elif mode == "waterway" and river_m is not None and any(w in name + "".join(places) for w in RIVER_WATERWAYS):
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
            rows.append({
                **common, "county": "", "located_places": " → ".join(s.surface for s in stops),
                "unlocated_places": "、".join(missing), "geometry_basis": basis,
                "geocode_level": max((s.level for s in stops), key=LEVEL_RANK.__getitem__),
                "precision_m": max(s.precision_m for s in stops),
                "matched": " → ".join(f"{s.surface}:{s.basis}" for s in stops),
                "via_facilities": "; ".join(dict.fromkeys(x.same_as for x in stops if x.same_as)),
                "geometry": geom,
            })
    empty = [*FEATURE_COLUMNS, "geometry_basis", "geometry"]
    lines = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326") if rows else gpd.GeoDataFrame(
        columns=empty, geometry="geometry", crs="EPSG:4326")
    points = gpd.GeoDataFrame(sites, geometry="geometry", crs="EPSG:4326") if sites else gpd.GeoDataFrame(
        columns=empty, geometry="geometry", crs="EPSG:4326")
    return lines, points, total
