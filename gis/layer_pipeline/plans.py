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
  "site"``; see ``_SITES_RULE``).  Lines go through the ordered places.  Railways follow the real OSM stations where every place is a
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
import pyproj
import shapely
from shapely.geometry import LineString, Point
from shapely.ops import substring

from .._errors import LayerError
from .._io import atomic_write, write_text
from ..crs import analysis_crs, transformer
from ..gazetteer import LEVEL_RANK, Gazetteer, Place, normalise_text
from ..geocode import GeocodeResult, _geocode_row, geocode
from ..layers import catalog, layers_dir, load_layer, read_yaml

POINT_LAYERS = ("projects", "logistics", "characteristic_towns", "facilities")
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
    >>> map_status("投入使用"), map_status("加快推进"), map_status("推进建设"), map_status("落户")
    ('existing', 'under_construction', 'planned', 'existing')
    """
    vocab = vocabulary if vocabulary is not None else status_vocabulary()
    text = normalise_text(status_zh)
    if not text:
        return "unknown"
    if text in vocab:
        return vocab[text]
    inside = [w for w in vocab if w in text]
    return vocab[max(inside, key=len)] if inside else "unknown"


@functools.lru_cache(maxsize=4)
def _section_words(root: str) -> tuple[tuple[str, str], ...]:
    data = read_yaml(Path(root) / "sources" / "status_words.yaml") or {}
    return tuple((normalise_text(s.get("section")), normalise_text(s.get("word"))) for s in data.get("sections") or [])


def derive_status_word(name: Any, description: Any, section: Any, *, vocabulary: dict[str, str] | None = None,
                       root: str | Path | None = None) -> tuple[str, str]:
    """The status word of a row whose ``status_zh`` cell is empty, and where it was read: ``(word, basis)``.

    ``basis`` is ``"description"`` when the description puts a vocabulary word right before the row's name
    ("推动广西（柳州）人力资源服务产业园…"), ``"section"`` when the row's section is listed under ``sections`` of
    ``status_words.yaml`` (a word the plan gives for the whole list), else ``("", "none")``.  Nothing is guessed.

    Examples
    --------
    >>> derive_status_word("柳州铁路港", "注：推进柳州铁路港“一核二园三基地”建设", "")
    ('推进', 'description')
    >>> derive_status_word("低碳小镇", "一、科技小镇", "新型城镇化·第六章·专栏2-5 特色小镇策划名录·一、科技小镇")
    ('创建', 'section')
    >>> derive_status_word("对亭水电站工程", "对亭水电站工程", "县域经济·第九章·专栏7 能源基础设施建设工程")
    ('', 'none')
    """
    vocab = vocabulary if vocabulary is not None else status_vocabulary(root)
    text, own = normalise_text(description), normalise_text(name)
    for key in dict.fromkeys([own, name_key(own)]):
        start = text.find(key) if key else -1
        while start > 0:
            before = [w for w in vocab if text[:start].endswith(w)]
            if before:
                return max(before, key=len), "description"
            start = text.find(key, start + 1)
    sec = normalise_text(section)
    for part, word in _section_words(str(Path(root) if root is not None else layers_dir())):
        if part and part in sec:
            return word, "section"
    return "", "none"


def _status_fields(r: dict[str, Any], vocab: dict[str, str], root: Path) -> dict[str, str]:
    """``status``, ``status_zh`` (the word the status was read from) and ``status_basis`` of a source row."""
    word = _clean(r.get("status_zh"))
    basis = "status_zh" if word else "none"
    if not word:
        word, basis = derive_status_word(r.get("name"), r.get("description"), r.get("section"),
                                         vocabulary=vocab, root=root)
    return {"status": map_status(word, vocabulary=vocab), "status_zh": word, "status_basis": basis}


def _clean(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return str(v).strip()


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


class _Unlocated:
    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []
        #: id → (layer, feature fields without location) of unlocated point-table rows, for :func:`share_locations`
        self.records: dict[str, tuple[str, dict[str, Any]]] = {}

    def add(self, table: str, row: int, ident: str, name: str, place: str, reason: str, candidates: str = "",
            *, layer: str = "", record: dict[str, Any] | None = None) -> None:
        self.rows.append({"table": table, "row": str(row), "id": ident, "name": name, "place": place,
                          "reason": reason, "candidates": candidates})
        if record is not None and ident:
            self.records[ident] = (layer, record)

    def remove(self, ident: str) -> None:
        self.rows = [r for r in self.rows if r["id"] != ident]
        self.records.pop(ident, None)


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


_CITY_INSERT = re.compile(r"\((?:广西)?柳州市?\)")
_DASHES = re.compile(r"[—–－‐-]+")


def name_key(name: Any) -> str:
    """The name with the city prefix, a "（柳州）" insert and a trailing 项目/工程 removed, for matching one entity across
    tables (full-width/half-width brackets and whitespace are normalised first).

    Examples
    --------
    >>> name_key("柳州保税物流中心（B型）") == name_key("柳州保税物流中心(B型)项目") == "保税物流中心(B型)"
    True
    >>> name_key("中国移动（柳州）数据中心") == name_key("中国移动 (柳州) 数据中心") == "中国移动数据中心"
    True
    """
    key = _DASHES.sub("-", _CITY_INSERT.sub("", normalise_text(name)))
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
#: Layers whose features are linked by ``same_as`` (the point layers, the corridor lines and the corridor sites).
LINKED_LAYERS = ("projects", "logistics", "characteristic_towns", "facilities", "corridors", "corridor_sites")
#: Layers of points whose linked rows share the best location (:func:`share_locations`).
POINT_LINKED = ("projects", "logistics", "characteristic_towns", "facilities", "corridor_sites")
#: The order of the status classes: the most advanced state a source reports wins (:func:`share_status`).
STATUS_ORDER = {"existing": 4, "under_construction": 3, "planned": 2, "reserve": 1, "unknown": 0}


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


def explicit_links(root: str | Path | None = None) -> list[dict[str, Any]]:
    """The hand-checked links of ``<root>/sources/same_as.yaml``: rows naming one work under different spellings.

    Each entry is ``{ids: [...], reason: "..."}`` (one entity) or ``{distinct: [a, b], reason: "..."}`` (two rows whose
    names agree but which the text shows to be different things: never linked by their name); a malformed entry raises
    :class:`gis.LayerError` naming it.

    Examples
    --------
    >>> any({"EXP-4-2-11", "URB-C-074"} <= set(e.get("ids", [])) for e in explicit_links())
    True
    """
    path = Path(root if root is not None else layers_dir()) / "sources" / "same_as.yaml"
    if not path.exists():
        return []
    data = read_yaml(path) or []
    problems = []
    for k, e in enumerate(data if isinstance(data, list) else [None]):
        ids = e.get("ids", e.get("distinct")) if isinstance(e, dict) else None
        if not isinstance(ids, list) or len(ids) < 2 or ("ids" in e) == ("distinct" in e) \
                or not str(e.get("reason") or "").strip():
            problems.append(f"entry {k + 1}: give `ids` (two or more row ids) or `distinct` (two ids), and `reason`")
    if problems:
        raise LayerError(f"{path}: " + "; ".join(problems) + "; fix the entries (see layers/sources/README.md)")
    return [{"ids" if "ids" in e else "distinct": [str(i) for i in e.get("ids", e.get("distinct"))],
             "reason": str(e["reason"]).strip()} for e in data]


class _Groups:
    """Union-find over row positions."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def root(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        self.parent[self.root(a)] = self.root(b)

    def groups(self) -> list[list[int]]:
        out: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            out.setdefault(self.root(i), []).append(i)
        return [g for g in out.values() if len(g) > 1]


def _same_as(layers: dict[str, gpd.GeoDataFrame], unlocated: "_Unlocated", gaz: Gazetteer,
             explicit: list[dict[str, Any]] | None = None) -> tuple[pd.DataFrame, list[list[tuple[str, str]]]]:
    """Link rows naming one entity; fill ``same_as`` of the linked layers; return the links and the entity groups.

    Rows are linked when they share a key of :func:`entity_keys`, when ``layers/sources/same_as.yaml`` lists them
    together, or (corridor sites) when their description names a ``LOG-*`` row.  The entity groups (returned as
    ``[(layer, id), …]``, unlocated rows as layer ``"unlocated"``) leave out the last kind: a siding serving a terminal
    is linked to it but is another work.  Nothing is dropped: each row stays where it is and names the others.
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
        if r["id"] and not r["table"].startswith("township_tags"):
            members.append((r["id"], r["table"], "unlocated", r["name"]))
            keys.append(entity_keys(r["name"], gaz))
    index = {m[0]: i for i, m in enumerate(members)}
    missing = [i for e in explicit or [] for i in e.get("ids", e.get("distinct", [])) if i not in index]
    apart = {frozenset((index[a], index[b])) for e in explicit or [] if "distinct" in e
             for a in e["distinct"] for b in e["distinct"] if a != b}
    if missing:
        raise LayerError(f"layers/sources/same_as.yaml names rows that no source table has: {', '.join(missing)}; "
                         "correct the ids")
    entity, linked = _Groups(len(members)), _Groups(len(members))
    first: dict[str, int] = {}
    for i, ks in enumerate(keys):
        for k in ks:
            if k.startswith("alias:"):
                continue
            if k in first:
                if frozenset((i, first[k])) not in apart:
                    entity.join(i, first[k])
            else:
                first[k] = i
    # a bracketed other name links only to a row whose own name it is (not 铁路专用线 to 铁路专用线)
    for i, ks in enumerate(keys):
        for k in ks:
            if k.startswith("alias:") and k[6:] in first:
                entity.join(i, first[k[6:]])
    for e in explicit or []:
        for a, b in zip(e.get("ids", [])[:-1], e.get("ids", [])[1:]):
            entity.join(index[a], index[b])
    for g in entity.groups():
        for a, b in zip(g[:-1], g[1:]):
            linked.join(a, b)
    for i, target in named:
        if target in index:
            linked.join(i, index[target])
    links = {}
    rows = []
    for g in linked.groups():
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
    groups = [[(members[i][2], members[i][0]) for i in g] for g in entity.groups()]
    return pd.DataFrame(rows, columns=["entity", "rows"]), groups


_GEOD = pyproj.Geod(ellps="WGS84")


def _dist_m(a: Point, b: Point) -> float:
    return float(_GEOD.inv(a.x, a.y, b.x, b.y)[2])


_LOCATION_COLUMNS = ("geocode_level", "precision_m", "matched", "geocode_basis", "_place_kind", "_place",
                     "_place_county")


def share_locations(layers: dict[str, gpd.GeoDataFrame], unlocated: "_Unlocated",
                    groups: list[list[tuple[str, str]]]) -> pd.DataFrame:
    """Give every point row of an entity group the best location any of its rows has; return what changed.

    The best location is the finest ``geocode_level``, then the smallest ``precision_m``, then the first row.  A
    located row takes it only when the best point lies within its own ``precision_m`` (the two say the same thing,
    one more precisely); otherwise it keeps its own and the conflict is reported.  An unlocated row of a point table
    becomes a feature of its layer at that location.  ``location_from`` names the row the location came from (empty:
    its own geocode).  Lines are not changed.
    """
    for name in POINT_LINKED:
        if name in layers and len(layers[name]):
            layers[name]["location_from"] = ""
    report = []
    for group in groups:
        located = [(n, i) for n, i in group if n in POINT_LINKED and n in layers and len(layers[n])
                   and i in set(layers[n]["id"].astype(str))]
        if not located:
            continue
        rows = {(n, i): layers[n].loc[layers[n]["id"].astype(str) == i].index[0] for n, i in located}

        def rank(ni: tuple[str, str]) -> tuple[int, float]:
            f = layers[ni[0]].loc[rows[ni]]
            return LEVEL_RANK.get(f["geocode_level"], len(LEVEL_RANK)), float(f["precision_m"])

        best = min(located, key=rank)
        bf = layers[best[0]].loc[rows[best]]
        for n, i in located:
            if (n, i) == best or rank((n, i)) <= rank(best):
                continue
            gdf, k = layers[n], rows[(n, i)]
            d = _dist_m(gdf.at[k, "geometry"], bf.geometry)
            old = f"{gdf.at[k, 'geocode_level']} {float(gdf.at[k, 'precision_m']):.0f} m"
            if d > float(gdf.at[k, "precision_m"]):
                report.append({"id": i, "layer": n, "from": best[1], "moved_m": round(d),
                               "was": old, "now": "kept (conflict: the finer row lies outside its radius)"})
                continue
            gdf.at[k, "geometry"] = bf.geometry
            for col in _LOCATION_COLUMNS:
                if col in gdf.columns:
                    gdf.at[k, col] = bf.get(col, "")
            gdf.at[k, "geocode_basis"] = f"same_as {best[1]}: {bf.get('geocode_basis', '')}"
            gdf.at[k, "location_from"] = best[1]
            report.append({"id": i, "layer": n, "from": best[1], "moved_m": round(d), "was": old,
                           "now": f"{bf['geocode_level']} {float(bf['precision_m']):.0f} m"})
        for n, i in group:
            if n != "unlocated" or i not in unlocated.records:
                continue
            layer, rec = unlocated.records[i]
            if layer not in POINT_LINKED or layer not in layers:
                continue
            feat = {**{c: v for c, v in rec.items() if c != "_reason"},
                    **{c: bf.get(c, "") for c in _LOCATION_COLUMNS},
                    "geocode_basis": f"same_as {best[1]}: {bf.get('geocode_basis', '')} (own geocode: {rec['_reason']})",
                    "geocode_decided_by": "same_as", "location_from": best[1], "geometry": bf.geometry}
            new = gpd.GeoDataFrame([feat], geometry="geometry", crs=layers[layer].crs)
            for col in ("area_mu", "area_km2", "investment_yi"):
                if col in new.columns:
                    new[col] = pd.to_numeric(new[col].replace("", np.nan), errors="coerce")
            layers[layer] = gpd.GeoDataFrame(pd.concat([layers[layer], new], ignore_index=True),
                                             geometry="geometry", crs=layers[layer].crs)
            unlocated.remove(i)
            report.append({"id": i, "layer": layer, "from": best[1], "moved_m": "", "was": "unlocated",
                           "now": f"{bf['geocode_level']} {float(bf['precision_m']):.0f} m"})
    return pd.DataFrame(report, columns=["id", "layer", "from", "moved_m", "was", "now"])


def _short_source(f: Any) -> str:
    return str(f.get("section") or "").split("·")[0] or str(f.get("source_file") or "")


def status_words_zh() -> dict[str, str]:
    """The Chinese word of each status class (``status_zh`` of ``layers/map_styles.yaml``), for user text.

    Examples
    --------
    >>> status_words_zh()["under_construction"]
    '在建'
    """
    return {str(k): str(v) for k, v in ((read_yaml(layers_dir() / "map_styles.yaml") or {}).get("status_zh") or {}).items()}


def share_status(layers: dict[str, gpd.GeoDataFrame], groups: list[list[tuple[str, str]]]) -> None:
    """One status per entity, by one rule, keeping every source's word.

    The rule (``_STATUS_SHARE_RULE``): the most advanced state any source reports wins (existing > under_construction >
    planned > reserve > unknown); a tie goes to the first row in source order.  ``status`` and ``status_zh`` become that
    state and the word it was read from, ``status_from`` the row that said it (empty: the row's own word; else
    ``status_basis`` is ``same_as``), ``status_own`` / ``status_zh_own`` / ``status_basis_own`` keep the row's own
    reading, and ``status_by_source`` lists every row's word with its class in Chinese (user text):
    ``id（source）：word（class）``, e.g. ``EXP-4-2-05（物流规划）：续建（在建）``.
    """
    zh = status_words_zh()
    for name in LINKED_LAYERS:
        gdf = layers.get(name)
        if gdf is None or not len(gdf):
            continue
        gdf["status_own"] = gdf["status"]
        gdf["status_zh_own"] = gdf["status_zh"]
        gdf["status_basis_own"] = gdf["status_basis"]
        gdf["status_from"] = ""
        gdf["status_by_source"] = [f"{i}（{_short_source(f)}）：{f['status_zh'] or '—'}（{zh.get(f['status'], f['status'])}）"
                                   for i, (_, f) in zip(gdf["id"], gdf.iterrows())]
    for group in groups:
        rows = [(n, i, layers[n].index[layers[n]["id"].astype(str) == i][0]) for n, i in group
                if n in layers and len(layers[n]) and (layers[n]["id"].astype(str) == i).any()]
        if len(rows) < 2:
            continue
        words = [layers[n].at[k, "status_by_source"] for n, _, k in rows]
        best = max(rows, key=lambda r: STATUS_ORDER.get(layers[r[0]].at[r[2], "status_own"], 0))
        bn, bi, bk = best
        for n, i, k in rows:
            gdf = layers[n]
            gdf.at[k, "status_by_source"] = "；".join(words)
            if (n, i) != (bn, bi) and STATUS_ORDER.get(layers[bn].at[bk, "status_own"], 0) > \
                    STATUS_ORDER.get(gdf.at[k, "status_own"], 0):
                gdf.at[k, "status"] = layers[bn].at[bk, "status_own"]
                gdf.at[k, "status_zh"] = layers[bn].at[bk, "status_zh_own"]
                gdf.at[k, "status_from"] = bi
                gdf.at[k, "status_basis"] = "same_as"


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


#: New districts (administrative areas that are not counties) as the texts spell them → the name kept in ``new_district``.
NEW_DISTRICTS: dict[str, str] = {
    "阳和工业新区(北部生态新区)": "阳和工业新区(北部生态新区)",
    "柳州高新技术产业开发区": "柳州高新区",
    "柳州高新区": "柳州高新区",
    "柳东新区": "柳东新区",
    "北部生态新区": "北部生态新区",
    "阳和工业新区": "阳和工业新区",
}
#: Located places finer than a county: their point lies in the feature's county.
_FINE_LEVELS = ("landmark", "village", "township")


def new_district_of(text: Any) -> str:
    """The new district a county cell names (``""`` when it names none).

    Examples
    --------
    >>> new_district_of("柳州高新技术产业开发区"), new_district_of("阳和工业新区（北部生态新区）"), new_district_of("融水")
    ('柳州高新区', '阳和工业新区(北部生态新区)', '')
    """
    t = normalise_text(text)
    for words in sorted(NEW_DISTRICTS, key=len, reverse=True):
        if words in t:
            return NEW_DISTRICTS[words]
    return ""


def canonical_county(text: Any, counties: gpd.GeoDataFrame, gaz: Gazetteer | None = None) -> str:
    """The legal county name (one of the base ``counties``) a county cell names, or ``""``.

    The gazetteer's county aliases first (柳城 → 柳城县, 融水县 → 融水苗族自治县), then the base layer's
    ``short_name`` (the name without 区/县/自治县).

    Examples
    --------
    >>> c = load_layer("counties")
    >>> canonical_county("融水县", c), canonical_county("三江", c), canonical_county("鱼峰区", c), canonical_county("柳东新区", c)
    ('融水苗族自治县', '三江侗族自治县', '鱼峰区', '')
    """
    names = set(counties["name"])
    t = normalise_text(text)
    if not t:
        return ""
    if t in names:
        return t
    if gaz is not None:
        hits = {p.name for p in gaz.lookup(t) if p.kind == "county" and p.name in names}
        if len(hits) == 1:
            return hits.pop()
    short = _short(t)
    hits = {n for n, s in zip(counties["name"], counties["short_name"]) if s == short or _short(n) == short}
    return hits.pop() if len(hits) == 1 else ""


def _county_at(geom: Any, counties: gpd.GeoDataFrame) -> str:
    hit = counties[counties.geometry.covers(geom)]
    return str(hit.iloc[0]["name"]) if len(hit) == 1 else ""


def assign_counties(gdf: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, city: Any, *, gaz: Gazetteer | None = None,
                    by_id: dict[str, dict[str, str]] | None = None) -> gpd.GeoDataFrame:
    """A copy of a plan layer with ``county_text``, a canonical ``county``, ``new_district``, ``county_basis``,
    ``county_note`` and ``in_municipality``.

    ``county`` is one of the base ``counties`` names or empty.  ``county_basis``: ``text`` (the row's county cell
    names one county), ``located_point`` (the cell is empty or names a new district, and the feature is located at a
    township, village or landmark, or at the seat of the one county its place lies in: the county polygon holding
    its point), ``none`` (empty
    ``county``; ``county_note`` says why: a new district placed at its representative point, the city, outside Liuzhou,
    a line).  ``in_municipality``: the point lies in the city polygon (lines: intersect it).  Rows located through a
    logistics feature (corridor sites, ``_place_kind == "facility"``, id in ``_facility``) take that feature's values
    from ``by_id``.
    """
    out = gdf.copy()
    n = len(out)
    text = [(_clean(v)) for v in (out["county"] if "county" in out.columns else pd.Series([""] * n, index=out.index))]
    geoms = out.geometry.values
    inside = [bool(g is not None and (g.intersects(city) if g.geom_type != "Point" else city.covers(g))) for g in geoms]
    level = list(out["geocode_level"]) if "geocode_level" in out.columns else [""] * n
    kind = list(out["_place_kind"]) if "_place_kind" in out.columns else [""] * n
    place = list(out["_place"]) if "_place" in out.columns else [""] * n
    pcounty = list(out["_place_county"].fillna("")) if "_place_county" in out.columns else [""] * n
    fac = list(out["_facility"].fillna("")) if "_facility" in out.columns else [""] * n
    county, basis, district, note = [], [], [], []
    for t, g, lv, k, pl, pc, ins, fa in zip(text, geoms, level, kind, place, pcounty, inside, fac):
        nd = new_district_of(t)
        c, b, why = "", "none", ""
        # a county-level point is the seat of the county the place lies in: fine when that is one legal county
        fine = lv in _FINE_LEVELS or (lv == "county" and k != "new_district" and g is not None and g.geom_type == "Point"
                                      and canonical_county(pc, counties) not in ("", None)
                                      and canonical_county(pc, counties) == _county_at(g, counties))
        if g is None or g.geom_type != "Point":
            why = "a line: see its places" if not t else f"a line; the text says {t}"
            c = canonical_county(t, counties, gaz) if t and not nd else ""
            b = "text" if c else "none"
        elif k == "facility" and by_id and fa in by_id:
            f = by_id[fa]
            c, b, nd = f["county"], f["county_basis"], f["new_district"]
            why = f"as its logistics row {fa}" + (f" ({f['county_note']})" if f["county_note"] else "")
        elif nd:
            if fine and ins:
                c, b = _county_at(g, counties), "located_point"
                why = f"the text names the new district {nd}; county of its located {lv}"
            else:
                why = (f"the text names the new district {nd}, which is not a county, and the feature is located "
                       f"only at {pl or 'the district'} ({lv}), not at a township")
        elif t:
            c = canonical_county(t, counties, gaz)
            b = "text" if c else "none"
            why = "" if c else f"the text's county {t!r} is not one county"
        elif not ins:
            why = f"outside the municipality ({pl or lv})"
        elif k == "new_district":
            nd = new_district_of(pl) or pl
            why = f"located only at the new district {pl}, which is not a county"
        elif fine:
            c, b = _county_at(g, counties), "located_point"
            b = b if c else "none"
        else:
            why = f"located only at the {lv} ({pl})" if pl else f"located only at the {lv}"
        if b != "none" and not c:
            b = "none"
        county.append(c)
        basis.append(b)
        district.append(nd)
        note.append(why)
    out["county_text"] = text
    out["county"] = county
    out["new_district"] = district
    out["county_basis"] = basis
    out["county_note"] = note
    out["in_municipality"] = inside
    return out


def _finest(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Sort key: finest geocode first, then the first source (file, line), then the id."""
    rank = gdf["geocode_level"].map(lambda v: LEVEL_RANK.get(v, len(LEVEL_RANK)))
    prec = pd.to_numeric(gdf["precision_m"], errors="coerce").fillna(np.inf)
    line = pd.to_numeric(gdf.get("source_line", pd.Series("", index=gdf.index)), errors="coerce").fillna(np.inf)
    return pd.Series(list(zip(rank, prec, gdf["source_file"].fillna(""), line, gdf["id"].astype(str))), index=gdf.index)


def mark_primary(gdf: gpd.GeoDataFrame, *, gazetteer: Gazetteer | None = None,
                 explicit: list[dict[str, Any]] | None = None) -> gpd.GeoDataFrame:
    """A copy with a boolean ``primary``: True for exactly one row of each ``same_as`` group within the layer.

    A group is the rows of this layer connected by ``same_as`` links between rows that name one entity (share a key
    of :func:`entity_keys`): links to other layers do not count (each layer keeps one row per entity), nor does a
    corridor site's link to the logistics row it serves (a siding and a berth of one terminal stay two works).  Rows
    listed together in ``layers/sources/same_as.yaml`` (``explicit``, :func:`explicit_links`) are one entity too.
    The primary row is the one with the finest geocode (``geocode_level``, then
    ``precision_m``), then the first source (``source_file``, ``source_line``), then the id.
    ``gdf[gdf["primary"]]`` counts each entity once.
    """
    out = gdf.copy()
    ids = [str(i) for i in out["id"]]
    pos = {i: k for k, i in enumerate(ids)}
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    keys = [{x[6:] if x.startswith("alias:") else x for x in entity_keys(nm, gazetteer)} for nm in out["name"]]
    pairs = {frozenset((a, b)) for e in explicit or [] for a in e.get("ids", []) for b in e.get("ids", []) if a != b}
    apart = {frozenset((a, b)) for e in explicit or [] for a in e.get("distinct", []) for b in e.get("distinct", [])
             if a != b}
    for k, s in enumerate(out["same_as"].fillna("") if "same_as" in out.columns else [""] * len(ids)):
        for other in filter(None, str(s).split("; ")):
            if other in pos and frozenset((ids[k], other)) not in apart and \
                    (keys[k] & keys[pos[other]] or frozenset((ids[k], other)) in pairs):
                parent[root(k)] = root(pos[other])
    key = list(_finest(out)) if len(out) else []
    best: dict[int, int] = {}
    for k in range(len(ids)):
        r = root(k)
        if r not in best or key[k] < key[best[r]]:
            best[r] = k
    chosen = set(best.values())
    out["primary"] = [k in chosen for k in range(len(ids))]
    return out


_CLAUSE = re.compile(r"(?<=[；;])\s*|(?<=[.。])\s+(?=[A-Za-z(（\u4e00-\u9fff])|(?<=\.)(?=[\u4e00-\u9fff])")
_ASCII_WORD = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,}(?![A-Za-z])")
#: Latin words that are names or units in a Chinese clause, not English prose.
_NOT_ENGLISH = {"KD", "JIT", "AI", "RRT", "RCEP", "CEPA", "LOG", "URB", "CE", "HT", "CH", "RAIL", "EXP", "HWY", "WAT",
                "AIR", "PIPE", "RD", "AX", "OCR", "GDP", "km", "mu", "m²", "MW", "kV", "TEU", "LNG", "IT", "EPC",
                "PPP", "B", "II", "III", "IV", "ASEAN", "G", "S", "Y", "DC", "AGV", "VR", "AR", "IDC", "CBD"}


def split_description(text: Any) -> tuple[str, str]:
    """The Chinese description and the internal (English) transcriber notes of a source description.

    The text is cut into clauses at ；/; and at a full stop followed by a space or a Chinese character; a clause with
    an English word (a Latin word of two letters or more that is not upper case — codes such as KD, LOG, RRT — nor a
    unit such as km) is a transcriber note.  Chinese clauses are joined with "；", notes with "; ".

    Examples
    --------
    >>> split_description("附件 柳南区表 序号1；总建筑面积约69.15万m²；87.5亿元 is the base part only (LOG-S-001)")
    ('附件 柳南区表 序号1；总建筑面积约69.15万m²', '87.5亿元 is the base part only (LOG-S-001)')
    >>> split_description("中欧班列常态化运行")
    ('中欧班列常态化运行', '')
    """
    zh, en = [], []
    for clause in _CLAUSE.split(_clean(text)):
        c = clause.strip().strip("；;").strip()
        if not c:
            continue
        words = [w for w in _ASCII_WORD.findall(c) if not w.isupper() and w not in _NOT_ENGLISH]
        (en if words else zh).append(c)
    return "；".join(zh), "; ".join(en)


def chinese_descriptions(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy whose ``description`` holds only the Chinese clauses; English notes move to ``note_internal``."""
    out = gdf.copy()
    if "description" not in out.columns:
        return out
    parts = [split_description(d) for d in out["description"]]
    out["description"] = [p[0] for p in parts]
    out["note_internal"] = [p[1] for p in parts]
    return out


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
               + report_markdown(layers["corridors"]) + _moves_report(moves, layers, previous))
    return {"layers": layers, "unlocated": un, "totals": totals, "same_as": links, "shared_locations": shared}


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
