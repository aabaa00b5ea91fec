"""Build the plan layers (``layers/plans/``) from the transcribed tables (``layers/sources/``).

Every row of every source table ends either in a layer or in
``layers/plans/unlocated.md`` with its reason; ``build_report.md`` gives the
counts per layer and per ``geocode_level``.

- ``projects_*.csv``, ``logistics_*.csv``, ``characteristic_towns_*.csv`` →
  points geocoded with :func:`gis.geocode.geocode` (``anchor`` first, then
  ``place``; the name breaks ties and stands in for an empty or unknown place;
  ``geocode_decided_by`` says which), status mapped from ``status_zh``;
- ``township_tags_*.csv`` → ``townships_plan.geojson``: the 118 base
  townships, one row each, with their tags, details and sources joined;
- ``corridors_*.yaml`` → ``corridors.geojson`` (lines) and
  ``corridor_sites.geojson`` (single-place works as points, ``geometry_basis
  "site"``; see ``_SITES_RULE``).  Lines go through the ordered places.  Railways follow the real OSM stations where every place is a
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
from dataclasses import dataclass
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
from ..gazetteer import LEVEL_RANK, Gazetteer, Place, normalise_text
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
                        geocode_decided_by=res.decided_by,
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
    ("bridge", ("大桥",)),
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


def name_key(name: Any) -> str:
    """The name with the city prefix and a trailing 项目/工程 removed, for matching one entity across tables.

    Examples
    --------
    >>> name_key("柳州保税物流中心（B型）") == name_key("柳州保税物流中心(B型)项目") == "保税物流中心(B型)"
    True
    """
    key = normalise_text(name)
    for prefix in ("广西柳州市", "广西柳州", "柳州市", "柳州"):
        if key.startswith(prefix) and len(key) - len(prefix) >= 4:
            key = key[len(prefix):]
            break
    for suffix in ("建设项目", "项目", "工程"):
        if key.endswith(suffix) and len(key) - len(suffix) >= 4:
            key = key[: -len(suffix)]
            break
    return key


_PAREN = re.compile(r"\(([^()]*)\)$")  # a trailing bracket: another name of the whole
#: Layers whose features are linked by ``same_as`` (the point layers and the corridor sites).
LINKED_LAYERS = ("projects", "logistics", "characteristic_towns", "corridor_sites")


def entity_keys(name: Any, gaz: Gazetteer | None = None) -> set[str]:
    """The keys under which a row names an entity: its :func:`name_key`, that of a trailing bracketed other name of 5 or
    more characters ("西部陆海新通道柳州铁路港（西鹅铁路物流中心）"), and the gazetteer landmark its name is a spelling of.

    Examples
    --------
    >>> sorted(entity_keys("西部陆海新通道柳州铁路港（西鹅铁路物流中心）"))
    ['alias:西鹅铁路物流中心', '西部陆海新通道柳州铁路港(西鹅铁路物流中心)']
    """
    text = normalise_text(name)
    keys = {name_key(text)} if text else set()
    keys |= {"alias:" + name_key(alias) for alias in _PAREN.findall(text) if len(alias) >= 5}
    if gaz is not None and text:
        marks = [p for p in gaz.lookup(text) if p.kind == "landmark"]
        if len(marks) == 1:
            keys.add("landmark:" + marks[0].name)
    return keys


def _same_as(layers: dict[str, gpd.GeoDataFrame], unlocated: "_Unlocated", gaz: Gazetteer) -> pd.DataFrame:
    """Link rows naming one entity (shared :func:`entity_keys`); fill ``same_as`` of the linked layers; return the links.

    Nothing is dropped: each row stays where it is and names the others (their ``id``).
    """
    members: list[tuple[str, str, str, str]] = []  # (ref, table, where, name)
    keys: list[set[str]] = []
    named: list[tuple[int, str]] = []  # links already known (a corridor site's LOG rows)
    for layer in LINKED_LAYERS:
        gdf = layers.get(layer)
        for _, f in (gdf.iterrows() if gdf is not None else []):
            named += [(len(members), t) for t in str(f.get("same_as") or "").split("; ") if t]
            members.append((str(f["id"]), str(f["source_table"]), layer, str(f["name"])))
            keys.append(entity_keys(f["name"], gaz))
    for r in unlocated.rows:
        if r["table"].endswith(".csv") and not r["table"].startswith("township_tags"):
            members.append((r["id"], r["table"], "unlocated", r["name"]))
            keys.append(entity_keys(r["name"], gaz))
    parent = list(range(len(members)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, ks in enumerate(keys):
        for k in ks:
            if k.startswith("alias:"):
                continue
            if k in first:
                parent[root(i)] = root(first[k])
            else:
                first[k] = i
    # a bracketed other name links only to a row whose own name it is (not 铁路专用线 to 铁路专用线)
    for i, ks in enumerate(keys):
        for k in ks:
            if k.startswith("alias:") and k[6:] in first:
                parent[root(i)] = root(first[k[6:]])
    index = {m[0]: i for i, m in enumerate(members)}
    for i, target in named:
        if target in index:
            parent[root(i)] = root(index[target])
    groups: dict[int, list[int]] = {}
    for i in range(len(members)):
        groups.setdefault(root(i), []).append(i)
    links = {}
    rows = []
    for g in groups.values():
        if len(g) < 2:
            continue
        for i in g:
            links[(members[i][2], members[i][0])] = [members[j][0] for j in g if j != i]
        rows.append({"entity": members[g[0]][3], "rows": "; ".join(f"{members[i][0]} ({members[i][1]}, "
                                                                   f"{members[i][2]})" for i in g)})
    for layer in LINKED_LAYERS:
        gdf = layers.get(layer)
        if gdf is None or not len(gdf):
            continue
        old = gdf["same_as"] if "same_as" in gdf.columns else pd.Series("", index=gdf.index)
        gdf["same_as"] = ["; ".join(dict.fromkeys([*[x for x in str(o or "").split("; ") if x],
                                                   *links.get((layer, str(i)), [])]))
                          for o, i in zip(old.fillna(""), gdf["id"])]
    return pd.DataFrame(rows, columns=["entity", "rows"])


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
    return _Stop(p, g.x, g.y, f["geocode_level"], float(f["precision_m"]), "facility", f.get("county") or None, True,
                 "facility", f"the logistics feature {f['id']} {f['name']} ({f['geocode_level']}; {f.get('geocode_basis', '')})",
                 str(f["id"]))


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
                         county, inside if kind != "river" else False, kind, res.reason), res
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
                "status": map_status(item.get("status_zh"), vocabulary=vocab), "status_zh": _clean(item.get("status_zh")),
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
                    sites.append({**common, "county": s.county or "", "site_kind": site_kind(name),
                                  "place": s.surface, "geometry_basis": "site",
                                  "geocode_level": s.level, "precision_m": s.precision_m,
                                  "matched": " → ".join(f"{x.surface}:{x.basis}" for x in stops),
                                  "geocode_basis": f"{where}: {s.reason}", "same_as": "; ".join(same),
                                  "geometry": Point(s.lon, s.lat)})
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
                "same_as": "; ".join(dict.fromkeys(x.same_as for x in stops if x.same_as)),
                "geometry": geom,
            })
    empty = [*FEATURE_COLUMNS, "geometry_basis", "geometry"]
    lines = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326") if rows else gpd.GeoDataFrame(
        columns=empty, geometry="geometry", crs="EPSG:4326")
    points = gpd.GeoDataFrame(sites, geometry="geometry", crs="EPSG:4326") if sites else gpd.GeoDataFrame(
        columns=empty, geometry="geometry", crs="EPSG:4326")
    return lines, points, total


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
    layers["corridors"], layers["corridor_sites"], totals["corridors"] = _corridors(
        sorted(src.glob("corridors_*.y*ml")), gaz, unlocated, root, vocab, layers["logistics"])
    links = _same_as(layers, unlocated, gaz)
    for name, gdf in layers.items():
        _write(gdf, plans / f"{name}.geojson")
    un = pd.DataFrame(unlocated.rows, columns=["table", "row", "id", "name", "place", "reason", "candidates"])
    write_text(plans / "unlocated.md", "# Plan rows that could not be located\n\n"
               "Generated by `python -m gis.build.plans`. Row numbers are file lines (CSV, header = 1) or "
               "list positions (YAML, from 1). Fix a row with an `anchor` in its source table, or add the place "
               "to `layers/gazetteer/`.\n\n" + _md_table(un))
    write_text(plans / "build_report.md", _report(layers, totals, un, links))
    return {"layers": layers, "unlocated": un, "totals": totals, "same_as": links}


def _counts(layers: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    rows = []
    for name, gdf in layers.items():
        levels = gdf["geocode_level"].value_counts() if "geocode_level" in gdf.columns and len(gdf) else pd.Series(dtype=int)
        rows.append({"layer": name, "features": len(gdf), **{lv: int(levels.get(lv, 0)) for lv in
                                                              ("landmark", "village", "township", "county", "city")}})
    return pd.DataFrame(rows, columns=["layer", "features", "landmark", "village", "township", "county", "city"])


def _report(layers: dict[str, gpd.GeoDataFrame], totals: dict[str, int], un: pd.DataFrame,
            links: pd.DataFrame) -> str:
    counts = _counts(layers)
    counts["source_rows"] = counts["layer"].map(lambda n: totals.get(n, "(see corridors)"))
    un_by = un["table"].value_counts().rename_axis("table").reset_index(name="unlocated") if len(un) else pd.DataFrame()
    parts = ["# Build report: plan layers\n",
             "Generated by `python -m gis.build.plans` (`gis.build.plans.build`). Do not edit by hand.\n",
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
    return "\n".join(parts)


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


_SAME_AS_RULE = """
Rows of the point tables and corridor sites that name one entity are linked, never merged or dropped: each keeps its
own row and its `same_as` column lists the ids of the others. Two rows are linked when they share a key of
`entity_keys`: the normalised name without a leading 柳州/柳州市/广西柳州 and a trailing 项目/工程/建设项目, a trailing bracketed
other name of at least 5 characters (only when it is another row's own name), or the gazetteer landmark the name spells (鹿寨江口港作业区 = 鹿寨港区江口作业区).
Corridor sites also name the `LOG-*` rows of their description. Unlocated rows take part (shown as "unlocated").
"""


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
