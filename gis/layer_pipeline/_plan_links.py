"""Rows naming one entity: ``same_as`` links, the shared best location and the ``primary`` row of each entity
(:mod:`gis.layer_pipeline.plans`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from shapely.geometry import Point

from .._errors import LayerError
from ..gazetteer import LEVEL_RANK, Gazetteer, normalise_text
from ..layers import layers_dir, read_yaml
from ._plan_rows import _Unlocated, name_key

_PAREN = re.compile(r"\(([^()]*)\)$")  # a trailing bracket: another name of the whole
#: Layers whose features are linked by ``same_as`` (the point layers, the corridor lines and the corridor sites).
LINKED_LAYERS = ("projects", "logistics", "characteristic_towns", "facilities", "corridors", "corridor_sites")
#: Layers of points whose linked rows share the best location (:func:`share_locations`).
POINT_LINKED = ("projects", "logistics", "characteristic_towns", "facilities", "corridor_sites")


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
                     "_place_county", "radius_basis")


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
