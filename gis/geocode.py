"""Offline geocoding of Chinese place names and of planners' project tables.

:func:`geocode` finds the place names in a free text ("鹿寨港江口作业区",
"柳州市柳东新区雒容镇某路") with the project's gazetteer
(:mod:`gis.gazetteer`), resolves names shared by several places with a county
named in the same text (or the ``county`` argument) and otherwise reports them
as ambiguous with their candidates; it never guesses.  A text naming a
province, prefecture or county outside Liuzhou is placed there or reported
(``outside=True``), never at a Liuzhou namesake.  ``precision_m`` is the radius
within which the named thing lies (a township's estimated extent, not its
seat's accuracy; see :mod:`gis.gazetteer`).

:func:`geocode_table` runs over a CSV (read by :func:`gis.readers.read_table`:
UTF-8, UTF-16/32 by BOM, GBK, or the ``encoding=`` given, e.g. GB18030 or Big5)
or Excel table of projects: every row ends up ``matched``, ``ambiguous`` or
``unmatched`` in the report, none is dropped.  Rows that carry coordinates keep
them (converted from their datum to WGS-84; out-of-area and swapped lon/lat
are flagged), and an overrides file wins over everything else.  Otherwise the
place column is primary; the project name is read only to break a tie between
the candidates of an ambiguous place (a county or town it names) or when the
place is empty or names no known place; the report's ``decided_by`` says which
column decided and ``matched`` entries read from the name start with ``name:``.
A landmark the name names (an OpenStreetMap site, ``osm_id`` in the report)
refines a coarser place or anchor when it lies within that place's radius and
its kind fits the feature (``layers/gazetteer/osm_kinds.yaml``); this is
``decided_by="place+name"``.  A county the address names beats a town the
project name repeats.

Overrides file
--------------
CSV or YAML with one entry per place to fix::

    name,lon,lat,datum          # a point (datum: wgs84 / cgcs2000 / gcj02 / bd09; default wgs84)
    柳州螺蛳粉产业园,109.41,24.23,gcj02
    name,anchor                 # or an anchor: any name the gazetteer knows
    某某物流园,雒容镇

(YAML: a list of mappings with the same keys.)  A point override may declare
``precision_m``; otherwise, like a row's own coordinates, it gets
:func:`coordinate_precision_m` (the rounding its decimals imply, at least 30 m).  ``name`` is compared, after
whitespace is removed, with the row's name column, then with its place column.
A row that an override matches gets that point and ``method="override"`` in the
report, whatever its own coordinates or place text say.
"""

from __future__ import annotations

import os
import unicodedata
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import pyproj
from shapely.geometry import Point

from . import datum as _datum
from ._errors import InputError
from .crs import in_liuzhou
from .gazetteer import LEVEL_RANK, Gazetteer, Match, Place, default_gazetteer, normalise_text
from .readers import read_table as read_any_table
from .readers import spreadsheet_rows

_GEOD = pyproj.Geod(ellps="WGS84")

STATUSES = ("matched", "ambiguous", "unmatched")
#: Which column of a table row decided its point (the report's ``decided_by``).
DECIDED_BY = ("override", "coordinates", "anchor", "place", "place+name", "name", "county", "")

#: Column names recognised in planners' tables, most specific first.
NAME_COLUMNS = ("项目名称", "名称", "项目", "工程名称", "name", "项目名")
PLACE_COLUMNS = ("建设地点", "地点", "地址", "项目地址", "位置", "项目位置", "建设地址", "所在地", "选址", "place", "address", "location")
LON_COLUMNS = ("经度", "lon", "lng", "longitude", "x", "东经")
LAT_COLUMNS = ("纬度", "lat", "latitude", "y", "北纬")
COUNTY_COLUMNS = ("县区", "县(区)", "县（区）", "区县", "所在县区", "所属县区", "county", "所属区域")
ANCHOR_COLUMNS = ("anchor", "锚点")
DATUM_COLUMNS = ("datum", "坐标系")


@dataclass(frozen=True)
class GeocodeResult:
    """What :func:`geocode` found for one text.

    ``lon``/``lat`` are WGS-84 (None unless ``status == "matched"``);
    ``matched`` lists the surface forms found, each with the place it was read
    as; ``candidates`` the places an ambiguous name may mean; ``reason`` says why.
    """

    text: str
    status: str
    lon: float | None = None
    lat: float | None = None
    geocode_level: str | None = None
    precision_m: float | None = None
    place: str | None = None
    county: str | None = None
    matched: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    reason: str = ""
    basis: str = ""
    decided_by: str = ""
    #: The text names a place outside the municipality of Liuzhou (the point, if any, is there).
    outside: bool = False
    #: The OpenStreetMap element the point comes from (an ``osm_landmarks`` place), else "".
    osm_id: str = ""

    @property
    def point(self) -> Point | None:
        return Point(self.lon, self.lat) if self.lon is not None else None


def _consistent(place: Place, ctx: Place) -> bool:
    """Whether ``place`` lies in the area named by ``ctx`` (a city, county, new district)."""
    if ctx.kind == "city":
        return place.in_liuzhou
    if place.name == ctx.name:
        return True
    if ctx.kind == "new_district":
        if not ctx.has_point:  # members unknown: cannot contradict
            return place.in_liuzhou
        if place.district == ctx.name or (place.kind == "landmark" and place.county == ctx.name):
            return True
        if ctx.members and (place.name in ctx.members or place.township in ctx.members or place.district in ctx.members):
            return True
        # places without township detail (stations, landmarks) count as inside if in a member county
        return place.kind not in ("township", "village", "county", "new_district") and not place.township and \
            bool(ctx.county) and place.county in ctx.county.split("、")
    if ctx.kind == "external" and place.kind == "external":
        return ctx.name in place.within
    if ctx.kind in ("county", "external"):
        return ctx.name in (place.county, place.district) or (
            place.county is not None and ctx.name in place.county.split("、"))
    return False


def _inside(inner: Place, outer: Place) -> bool | None:
    """Whether ``inner`` lies in ``outer``: True, False, or None when the gazetteer cannot tell.

    Only areas contain: the municipality, counties and new districts (see
    :func:`_consistent`) and townships (the villages and landmarks recorded in
    them).  A place without a recorded township (a station, a landmark with
    its own point) in the township's county may or may not lie in it: None.
    """
    if inner is outer:
        return True
    if outer.kind == "city":
        return inner.kind != "city" and inner.in_liuzhou
    if outer.kind == "external" and inner.kind == "external":
        return outer.name in inner.within
    if outer.kind in ("county", "new_district", "external"):
        return inner.name != outer.name and _consistent(inner, outer)
    if outer.kind == "township" and inner.kind not in (*_AREA_KINDS, "township", "river"):
        if inner.township:
            return inner.township == outer.name and (not inner.county or not outer.county or inner.county == outer.county)
        return None if inner.county in (None, outer.county) else False
    return False


#: Characters between two names that make them a route or a list (桂林至柳州), not an address (青海省西宁市城中区).
_ROUTE_CHARS = set("至到—-、,;/和与及~～")


def _namesake(gaz: Gazetteer, m: Match, outside: list[Match], text: str) -> bool:
    """Whether a Liuzhou name is only a namesake in an address outside Liuzhou.

    True when an outside unit comes before it in the text with no route or list
    character in between (广东省东莞市长安镇, 青海省西宁市城中区).  The municipality
    itself (柳州) is never a namesake.
    """
    if any(p.kind == "city" for p in m.places):
        return False
    for e in outside:
        if e.end <= m.start and not (_ROUTE_CHARS & set(text[e.end:m.start])):
            return True
    return False


def _outside(raw: str, gaz: Gazetteer, matches: list[Match], outside: list[Match], notes: list[str]) -> GeocodeResult:
    """A text naming a unit outside Liuzhou and no area of Liuzhou: placed at the finest outside unit, or reported.

    Liuzhou places the text also names (a town sharing its name with one in the
    named county) are namesakes and are not used; the result says so.
    """
    outer = list({id(p): p for m in outside for p in m.places}.values())
    # the finest unit: one that no other named unit lies in; all named units must nest
    inner = [p for p in outer if not any(q is not p and p.name in q.within for q in outer)]
    namesakes = [m for m in matches if m not in outside]
    if namesakes:
        notes = [*notes, f"{'、'.join(m.surface for m in namesakes)}: namesake(s) in Liuzhou, not used (the text names "
                 f"{'、'.join(p.name for p in outer)}, outside Liuzhou)"]
    matched = tuple(p.name for p in outer)
    reason_tail = "; ".join(notes)
    if len(inner) != 1 or not all(q is inner[0] or q.name in inner[0].within for q in outer):
        return GeocodeResult(raw, "ambiguous", matched=matched, candidates=tuple(p.label() for p in inner),
                             reason="; ".join(x for x in ("the text names places outside Liuzhou that are not one "
                                                           "inside the other", reason_tail) if x), outside=True)
    p = inner[0]
    if not p.has_point:
        return GeocodeResult(raw, "unmatched", matched=matched, reason="; ".join(
            x for x in (f"outside Liuzhou: the text names only {p.name} ({p.geocode_level}), which is given no point",
                        reason_tail) if x), outside=True)
    return GeocodeResult(raw, "matched", p.lon, p.lat, p.geocode_level, p.precision_m, p.name, p.name, matched, (),
                         "; ".join(x for x in (f"outside Liuzhou: {p.name} ({p.geocode_level}; {p.basis})", reason_tail)
                                   if x), p.basis, outside=True)


def _context(gaz: Gazetteer, matches: list[Match], county: str | None) -> tuple[list[Place], list[str]]:
    ctx: list[Place] = []
    notes: list[str] = []
    if county:
        found = [p for p in gaz.lookup(county) if p.kind in ("county", "new_district", "city", "external")]
        if len(found) == 1:
            ctx.append(found[0])
        else:
            notes.append(f"county {county!r} is not a county or district the gazetteer knows; ignored")
    for m in matches:
        if len(m.places) == 1 and m.places[0].kind in ("county", "new_district", "external"):
            ctx.append(m.places[0])
    return ctx, notes


def _describe(m: Match, p: Place) -> str:
    via = f" [{m.via}]" if m.via.startswith("ocr") else ""
    return f"{m.surface}→{p.name}{via}" if m.surface != p.name else f"{p.name}{via}"


def geocode(text: str, *, county: str | None = None, gazetteer: Gazetteer | None = None) -> GeocodeResult:
    """Locate the place a free Chinese text names.

    Parameters
    ----------
    text
        Free text: an address, a project place ("鹿寨县江口作业区"), a name.
    county
        The county/district the text is known to be in (e.g. the table's 县区
        column); it resolves names shared by several counties like a county
        written in the text, and is the fallback point when the text names no
        place at all.
    gazetteer
        Defaults to the shipped one (:func:`gis.gazetteer.default_gazetteer`).

    Returns
    -------
    GeocodeResult
        ``status`` is ``matched`` (a point with ``geocode_level`` and
        ``precision_m``), ``ambiguous`` (``candidates`` listed, no point) or
        ``unmatched``.

    Examples
    --------
    >>> r = geocode("融水县和睦镇")
    >>> r.status, r.place, r.geocode_level
    ('matched', '和睦镇', 'township')
    >>> geocode("火星基地").status
    'unmatched'
    """
    gaz = gazetteer or default_gazetteer()
    raw = "" if text is None else str(text)
    matches = gaz.find(raw)
    notes: list[str] = []
    rivers = [m for m in matches if m.via == "river_context"]
    if rivers:
        notes.append("、".join(dict.fromkeys(m.surface for m in rivers)) + ": a river here (a river word follows or "
                     "precedes it), not a place")
        matches = [m for m in matches if m not in rivers]
    # units that contain the municipality (广西) say nothing about where in it
    parents = [m for m in matches if all(p.name in gaz.city_within for p in m.places)]
    matches = [m for m in matches if m not in parents]
    outside = [m for m in matches if m.places and all(p.kind == "external" for p in m.places)]
    if outside and not (county and any(p.in_liuzhou for p in gaz.lookup(county))) and all(
            _namesake(gaz, m, outside, normalise_text(raw)) for m in matches if m not in outside):
        return _outside(raw, gaz, matches, outside, notes)
    ctx, more = _context(gaz, matches, county)
    notes += more
    areas = [k for k in ctx if k.kind != "city"]
    if areas:
        kept = []
        for m in matches:
            # a short form, a village or an OSM landmark outside the area the text names is a namesake
            weak = m.via == "short" or all(p.kind in ("village", "osm") for p in m.places)
            if weak and not any(_consistent(p, k) for p in m.places for k in areas):
                notes.append(f"{m.surface} (short for {'、'.join(p.label() for p in m.places)}) is not in "
                             f"{'、'.join(k.name for k in areas)}: not read as a place")
            else:
                kept.append(m)
        matches = kept
    resolved: list[tuple[Match, Place]] = []
    ambiguous: list[tuple[Match, list[Place]]] = []
    for m in matches:
        cands = list(m.places)
        if len(cands) > 1 and ctx:
            narrowed = [c for c in cands if any(_consistent(c, k) for k in ctx)]
            cands = narrowed or cands
        if len(cands) == 1:
            resolved.append((m, cands[0]))
        else:
            ambiguous.append((m, cands))
    # a township named in the text resolves a village name shared by several townships (良口乡和里村)
    towns = [p for _, p in resolved if p.kind == "township"]
    for m, cands in list(ambiguous):
        narrowed = [c for c in cands if any(_inside(c, t) is True for t in towns)]
        if len(narrowed) == 1:
            ambiguous.remove((m, cands))
            resolved.append((m, narrowed[0]))
    resolved.sort(key=lambda mp: mp[0].start)
    matched: list[str] = [_describe(m, p) for m, p in resolved] + [f"{m.surface}→?" for m, _ in ambiguous]

    def result(status: str, place: Place | None = None, reason: str = "", candidates: Iterable[str] = (),
               deciding: Iterable[str] | None = None) -> GeocodeResult:
        reason = "; ".join([r for r in (reason, *notes) if r])
        if place is None or status != "matched":
            return GeocodeResult(raw, status, matched=tuple(matched), candidates=tuple(candidates), reason=reason)
        if deciding is None:  # the names that placed it: the place itself and the areas it lies in
            deciding = [_describe(m, p) for m, p in resolved if p is place or _inside(place, p) is True]
        used = {s for d in deciding for s in d.split(" [")[0].split("→")[0].split("+")}
        unused = [_describe(m, p) for m, p in resolved if m.surface not in used] + \
            [f"{m.surface}→?" for m, _ in ambiguous]
        if unused:
            reason += f"; not used for the point: {'、'.join(unused)}"
        return GeocodeResult(raw, "matched", place.lon, place.lat, place.geocode_level, place.precision_m,
                             place.name, place.county, tuple(deciding), tuple(candidates), reason, place.basis,
                             outside=not place.in_liuzhou, osm_id=place.osm_id)

    placeable = list({id(p): p for _, p in resolved if p.has_point}.values())
    unplaceable = [(m, p) for m, p in resolved if not p.has_point]

    if not placeable:
        if ambiguous:
            m, cs = ambiguous[0]
            return result("ambiguous", reason=f"{m.surface} names {len(cs)} places and nothing in the text "
                          "tells them apart; give the county", candidates=[c.label() for c in cs])
        if unplaceable:
            names = "、".join(p.name for _, p in unplaceable)
            return result("unmatched", reason=f"{names}: known, but the gazetteer has no point for it ({unplaceable[0][1].basis})")
        fallback = [k for k in ctx if k.has_point]
        if county and fallback:
            k = fallback[0]
            return result("matched", k, reason=f"no place name in the text; placed at the county given ({k.name})",
                          deciding=())
        return result("unmatched", reason="no known place name in the text")

    place, why, deciding = _finest(gaz, placeable, resolved)
    if place is None:
        return result("ambiguous", reason=why, candidates=deciding)
    amb = [(m, cs) for m, cs in ambiguous if min(LEVEL_RANK[c.geocode_level] for c in cs) <= LEVEL_RANK[place.geocode_level]]
    if amb:
        m, cs = amb[0]
        return result("ambiguous", reason=f"{m.surface} names {len(cs)} places and nothing in the text "
                      "tells them apart; give the county", candidates=[c.label() for c in cs])
    finer = [k for k in ctx if k.has_point and k.kind != "city" and LEVEL_RANK[k.geocode_level] < LEVEL_RANK[place.geocode_level]
             and place.kind == "city" and k.in_liuzhou]
    if finer:
        k = finer[0]
        return result("matched", k, reason=f"the text names only {place.name}; placed at the county given, {k.name} "
                      f"({k.geocode_level}; {k.basis})", deciding=())
    conflicts = [k for k in ctx if k.name != place.name and not _consistent(place, k)]
    agrees = [k for k in ctx if k.name == place.name or _consistent(place, k)]
    if conflicts and not agrees:
        return result("ambiguous", reason=f"{place.name} lies in {place.county or '?'}, but the text or the county "
                      f"argument names {'、'.join(k.name for k in conflicts)}",
                      candidates=[place.label(), *(k.label() for k in conflicts)])
    return result("matched", place, reason="; ".join(x for x in (why, f"{place.name} ({place.geocode_level}; {place.basis})") if x),
                  deciding=deciding)


#: Kinds of places that are areas of county scale or larger: context for the finer names of a text.
_AREA_KINDS = ("city", "county", "new_district", "external")


def _finest(gaz: Gazetteer, placeable: list[Place],
            resolved: list[tuple[Match, Place]]) -> tuple[Place | None, str, list[str] | None]:
    """The place that decides the point: the finest of a chain of containment, else the smallest common area.

    Returns ``(place, reason, deciding)``: ``deciding`` lists the matched entries that decided it
    (None: the place and the areas containing it); with ``place`` None, ``reason`` says why the
    text is ambiguous and the third item lists the candidates.
    """
    fine = [p for p in placeable if p.kind not in _AREA_KINDS] or placeable
    # containers (a township holding a village named too, a county holding a town) only confirm the inner name
    inner = [p for p in fine if not any(q is not p and _inside(q, p) is True for q in fine)]
    inner.sort(key=lambda p: LEVEL_RANK[p.geocode_level])
    if len(inner) == 1:
        return inner[0], "", None
    best = inner[0]
    if LEVEL_RANK[best.geocode_level] < LEVEL_RANK[inner[1].geocode_level] and \
            all(_inside(best, q) is not False for q in inner[1:]):
        # a station or a documented landmark has no township recorded: a town of its county does not contradict it
        return best, (f"{best.name} is taken as lying in {'、'.join(q.name for q in inner[1:])} "
                      "(the gazetteer does not record its township)"), None
    # truly different places: the smallest area holding them all, said so
    surfaces = [m.surface for m, p in resolved if any(p is q for q in inner)]
    names = "、".join(p.name for p in inner)
    town_names = {p.township for p in inner}
    county_names = {p.county for p in inner}
    common: Place | None = None
    if len(town_names) == 1 and None not in town_names and len(county_names) == 1:
        common = next((t for t in gaz.lookup(next(iter(town_names)) or "") if t.kind == "township" and t.has_point
                       and t.county in county_names), None)
    if common is None and len(county_names) == 1 and None not in county_names and all(p.in_liuzhou for p in inner):
        common = next((k for k in gaz.lookup(next(iter(county_names)) or "")
                       if k.kind in ("county", "new_district") and k.has_point), None)
    if common is None or LEVEL_RANK[common.geocode_level] <= LEVEL_RANK[best.geocode_level]:
        return None, "the text names several places that are not one inside the other: " + names, \
            [p.label() for p in inner]
    # the area named in the text (if it is) and the inner names, which together decided the point
    in_text = [_describe(m, p) for m, p in resolved if p is common or _inside(common, p) is True and p.kind in _AREA_KINDS]
    deciding = [*in_text, f"{'+'.join(dict.fromkeys(surfaces))}→{common.name}"]
    return common, (f"the text names {len(inner)} places that are not one inside the other "
                    f"({'、'.join(p.label() for p in inner)}), all in "
                    f"{common.name}: placed at the {common.kind}"), deciding


# --------------------------------------------------------------------------- tables
def read_table(path_or_df: str | os.PathLike | pd.DataFrame, *, sheet: str | int = 0,
               encoding: str | None = None) -> tuple[pd.DataFrame, str]:
    """Read a CSV or Excel table with every value kept as text; return it and the encoding that decoded it.

    A thin layer over :func:`gis.readers.read_table` (``as_text=True``): CSV is
    decoded by its byte-order mark, else as UTF-8, else GBK with a warning,
    or with ``encoding`` when given (``"gb18030"`` for characters beyond GBK).
    The label is that of :func:`gis.readers.decode_text` (``"UTF-8"``,
    ``"GBK"``, ``"UTF-16"`` …), ``"excel"`` for a workbook, ``"dataframe"``
    for a DataFrame (copied).
    """
    if isinstance(path_or_df, pd.DataFrame):
        return path_or_df.copy(), "dataframe"
    df = read_any_table(path_or_df, sheet=sheet, encoding=encoding, as_text=True)
    return df, df.attrs["source"]["encoding"] or "excel"


def _pick(columns: list[str], given: str | None, candidates: tuple[str, ...], *, what: str, where: str,
          required: bool) -> str | None:
    if given is not None:
        if given not in columns:
            raise InputError(f"{where}: has no column {given!r} ({what}); columns found: {', '.join(map(str, columns))}.")
        return given
    norm = {normalise_text(c).lower(): c for c in columns}
    for cand in candidates:
        if normalise_text(cand).lower() in norm:
            return norm[normalise_text(cand).lower()]
    if required:
        raise InputError(f"{where}: no {what} column; looked for {', '.join(candidates)}; columns found: "
                         f"{', '.join(map(str, columns))}. Name it with {what}_col=...")
    return None


def read_overrides(path: str | os.PathLike | pd.DataFrame | list[dict],
                   *, gazetteer: Gazetteer | None = None) -> dict[str, dict[str, Any]]:
    """Read an overrides file (see the module docstring) into {normalised name: entry}.

    Each entry has ``lon``, ``lat`` (WGS-84), ``geocode_level``, ``precision_m``,
    ``reason``.  Problems of all entries are reported together.
    """
    gaz = gazetteer or default_gazetteer()
    where = str(path) if not isinstance(path, (pd.DataFrame, list)) else "overrides"
    if isinstance(path, pd.DataFrame):
        rows = path.to_dict("records")
    elif isinstance(path, list):
        rows = path
    elif Path(path).suffix.lower() in (".yaml", ".yml"):
        from .layers import read_yaml

        loaded = read_yaml(Path(path))
        rows = loaded if isinstance(loaded, list) else [
            {"name": k, **(v if isinstance(v, dict) else {"anchor": v})} for k, v in (loaded or {}).items()]
    else:
        rows = read_table(path)[0].to_dict("records")
    out: dict[str, dict[str, Any]] = {}
    problems = []
    for i, row in enumerate(rows, start=1):
        row = {k: v for k, v in row.items() if v is not None and not (isinstance(v, float) and np.isnan(v)) and str(v).strip() != ""}
        name = normalise_text(row.get("name", ""))
        if not name:
            problems.append(f"entry {i}: no name")
            continue
        if "lon" in row and "lat" in row:
            lon, lat = _num(row["lon"]), _num(row["lat"])
            if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
                swapped = lon is not None and lat is not None and bool(in_liuzhou([lat], [lon])[0])
                problems.append(f"entry {i} ({name}): lon {row['lon']!r}, lat {row['lat']!r} are not a valid position "
                                "(decimal degrees, lon -180..180, lat -90..90)"
                                + (" (lat and lon swapped?)" if swapped else ""))
                continue
            outside = "" if bool(in_liuzhou([lon], [lat], margin_deg=0.5)[0]) else \
                "; outside the municipality of Liuzhou: check it"
            try:
                d = row.get("datum", "wgs84")
                lo, la = _datum.convert([lon], [lat], src=d, dst="wgs84")
            except (ValueError, _datum.DatumError) as exc:
                problems.append(f"entry {i} ({name}): bad lon/lat/datum ({exc})")
                continue
            declared = _num(row.get("precision_m"))
            precision = declared if declared is not None else coordinate_precision_m(row["lon"], row["lat"])
            out[name] = {"lon": float(lo[0]), "lat": float(la[0]), "geocode_level": row.get("geocode_level", "landmark"),
                         "precision_m": precision,
                         "reason": f"override point ({d}); precision "
                                   f"{'declared' if declared is not None else 'from its decimals'}{outside}"}
        elif "anchor" in row:
            r = geocode(str(row["anchor"]), county=row.get("county"), gazetteer=gaz)
            if r.status != "matched":
                problems.append(f"entry {i} ({name}): anchor {row['anchor']!r} is {r.status} ({r.reason})")
                continue
            out[name] = {"lon": r.lon, "lat": r.lat, "geocode_level": r.geocode_level, "precision_m": r.precision_m,
                         "reason": f"override anchor {row['anchor']} → {r.place}"}
        else:
            problems.append(f"entry {i} ({name}): needs lon and lat, or anchor")
    if problems:
        raise InputError(f"{where}: " + "; ".join(problems) + ". Fix these entries.")
    return out


def _num(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(unicodedata.normalize("NFKC", str(v)).strip().replace("−", "-"))
    except ValueError:
        return None
    return f if np.isfinite(f) else None


#: Smallest precision claimed for a point given as coordinates (m): a point read off a map or a GPS fix.
COORDINATE_FLOOR_M = 30.0


def _decimals(text: Any) -> int | None:
    t = str(text).strip()
    if not t or "e" in t.lower():
        return None
    return len(t.split(".", 1)[1]) if "." in t else 0


def coordinate_precision_m(lon: Any, lat: Any, *, floor_m: float = COORDINATE_FLOOR_M) -> float:
    """The honest precision (m) of a point written as ``lon``, ``lat``: the rounding its decimals imply, at least ``floor_m``.

    A value written with *d* decimals lies within half a unit of the last decimal
    (0.5·10⁻ᵈ degrees) of the true one in each axis; the precision is the
    distance from the centre to a corner of that cell (metres per degree of the
    WGS-84 ellipsoid at the latitude), never less than ``floor_m`` (30 m: map
    reading or GPS).  The coarser of the two coordinates counts.  Values that
    are not plain decimals (exponent notation) get ``floor_m``.

    Examples
    --------
    >>> coordinate_precision_m("109.41", "24.31")   # 0.005° cells: about 750 m
    751.0
    >>> coordinate_precision_m("109.412345", "24.312345")
    30.0
    """
    dl, dp = _decimals(lon), _decimals(lat)
    lat_f = _num(lat)
    if dl is None or dp is None or lat_f is None:
        return float(floor_m)
    half = 0.5 * 10.0 ** -min(dl, dp)
    phi = np.radians(lat_f)
    m_lat = 111132.954 - 559.822 * np.cos(2 * phi) + 1.175 * np.cos(4 * phi)
    m_lon = 111412.84 * np.cos(phi) - 93.5 * np.cos(3 * phi)
    return float(max(floor_m, round(float(np.hypot(half * m_lat, half * m_lon)))))


def check_coordinates(lon: float, lat: float) -> tuple[float, float, list[str]]:
    """Flag coordinates outside Liuzhou, correcting lat/lon swapped when that puts them inside.

    Examples
    --------
    >>> check_coordinates(24.31, 109.41)
    (109.41, 24.31, ['swapped_corrected'])
    >>> check_coordinates(116.4, 39.9)[2]
    ['out_of_area']
    """
    if bool(in_liuzhou([lon], [lat])[0]):
        return lon, lat, []
    if bool(in_liuzhou([lat], [lon])[0]):
        return lat, lon, ["swapped_corrected"]
    return lon, lat, ["out_of_area"]


def geocode_table(
    path_or_df: str | os.PathLike | pd.DataFrame,
    *,
    name_col: str | None = None,
    place_col: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    county_col: str | None = None,
    anchor_col: str | None = None,
    datum: str = "wgs84",
    overrides: str | os.PathLike | pd.DataFrame | list[dict] | None = None,
    sheet: str | int = 0,
    encoding: str | None = None,
    gazetteer: Gazetteer | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Geocode a table of projects; every row is accounted for.

    Parameters
    ----------
    path_or_df
        A CSV (by its byte-order mark, else UTF-8, else GBK: detected and
        reported, see :func:`gis.readers.read_table`) or Excel file, or a DataFrame.
        Values are read as text (coordinates keep their written decimals).
    name_col, place_col, lon_col, lat_col, county_col, anchor_col
        Column names; by default recognised among the usual Chinese headers
        (项目名称/名称, 建设地点/地点/地址, 经度, 纬度, 县区 …).  A name or a place
        column is required.
    datum
        Datum of the lon/lat columns (wgs84 / cgcs2000 / gcj02 / bd09); a
        ``datum``/``坐标系`` column overrides it per row.
    overrides
        Overrides file or records (see the module docstring); wins over
        everything else.
    sheet
        Excel sheet name or number.
    encoding
        Text encoding of a CSV file (a Python codec name: ``"gb18030"``,
        ``"big5"``, ``"utf-16-le"`` …); default ``None`` detects it.

    Returns
    -------
    (GeoDataFrame, DataFrame)
        The input rows (same index, all columns) with a point geometry
        (None unless matched) and ``geocode_status``, ``geocode_level``,
        ``precision_m``, ``geocode_method``, ``geocode_decided_by``; and the report, one row per
        input row: ``row`` (its spreadsheet row, header = row 1), ``name``, ``place``, ``status``, ``method``
        (override / coordinates / gazetteer), ``decided_by`` (the column that
        decided: override / coordinates / anchor / place / place+name / name /
        county, empty when not matched), ``geocode_level``,
        ``precision_m``, ``lon``, ``lat``, ``matched``, ``candidates``,
        ``flags`` (``outside_liuzhou``: the text names a place outside Liuzhou; ``swapped_corrected``,
        ``out_of_area``, ``bad_coordinates``: a coordinate cell is written but unreadable (text, NaN, inf,
        one of the pair empty, a formula without a saved value) and the row was placed by its text or not
        at all; ``gcj02_suspected``: the table's coordinates sit where GCJ-02 ones of the places its text
        names would, with a warning), ``reason``, ``osm_id`` (the OpenStreetMap element of an OSM landmark,
        else empty).  ``report.attrs["encoding"]`` says how the
        file was read.
    """
    gaz = gazetteer or default_gazetteer()
    df, encoding = read_table(path_or_df, sheet=sheet, encoding=encoding)
    where = str(path_or_df) if not isinstance(path_or_df, pd.DataFrame) else "table"
    row_numbers = spreadsheet_rows(df, list(range(len(df))))
    formula_rows: dict[int, list[str]] = {}
    for r, c, t in df.attrs.get("formula_cells", []):
        formula_rows.setdefault(r, []).append(f"{c} {t}")
    cols = [str(c) for c in df.columns]
    df.columns = cols
    place_c = _pick(cols, place_col, PLACE_COLUMNS, what="place", where=where, required=False)
    name_c = _pick(cols, name_col, NAME_COLUMNS, what="name", where=where, required=place_c is None)
    lon_c = _pick(cols, lon_col, LON_COLUMNS, what="lon", where=where, required=False)
    lat_c = _pick(cols, lat_col, LAT_COLUMNS, what="lat", where=where, required=False)
    if (lon_c is None) != (lat_c is None):
        raise InputError(f"{where}: has a {'lon' if lon_c else 'lat'} column but no "
                         f"{'lat' if lon_c else 'lon'} column; columns found: {', '.join(cols)}.")
    county_c = _pick(cols, county_col, COUNTY_COLUMNS, what="county", where=where, required=False)
    anchor_c = _pick(cols, anchor_col, ANCHOR_COLUMNS, what="anchor", where=where, required=False)
    datum_c = _pick(cols, None, DATUM_COLUMNS, what="datum", where=where, required=False)
    default_datum = _datum.normalise_datum(datum)
    ovr = read_overrides(overrides, gazetteer=gaz) if overrides is not None else {}

    def texts(col: str | None) -> list[str]:
        """One column as stripped text, "" for a missing cell: read once, not row by row."""
        if col is None:
            return [""] * len(df)
        return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip() for v in df[col].tolist()]

    def raw(col: str | None) -> list[Any]:
        return df[col].tolist() if col is not None else [None] * len(df)

    # rows that say the same thing are geocoded once (tables repeat places, counties and whole rows)
    memo: dict[tuple, dict[str, Any]] = {}
    records = []
    columns = zip(row_numbers, texts(name_c), texts(place_c), texts(county_c), texts(anchor_c), texts(datum_c),
                  raw(lon_c), raw(lat_c))
    for row_number, name, place, county_text, anchor, datum_text, lon_cell, lat_cell in columns:
        key = (name, place, county_text, anchor, datum_text, lon_cell, lat_cell)
        try:
            done = memo.get(key)
        except TypeError:  # an unhashable cell (a list in a DataFrame): no reuse
            key, done = None, None
        if done is None:
            done = _table_record(row_number, name, place, county_text or None, anchor, datum_text, lon_cell,
                                 lat_cell, lon_c=lon_c, lat_c=lat_c, ovr=ovr, default_datum=default_datum,
                                 where=where, gaz=gaz)
            if key is not None:
                memo[key] = done
        rec = {"row": row_number, **done}
        formula = formula_rows.get(row_number, [])
        if formula and rec["method"] != "override":
            _flag_unreadable(rec, formula)
        records.append(rec)
    _flag_gcj02(records, where=where)
    bad_rows = [rec["row"] for rec in records if "bad_coordinates" in rec["flags"]]
    if bad_rows:
        warnings.warn(f"{where}: {len(bad_rows)} row(s) have coordinate cells that cannot be read "
                      f"(rows {', '.join(map(str, bad_rows[:10]))}{' …' if len(bad_rows) > 10 else ''}, "
                      "spreadsheet numbering); see their reason in the report.", UserWarning, stacklevel=2)
    for rec in records:
        rec.pop("_text", None)
        rec.pop("_datum", None)
    report = pd.DataFrame(records, columns=["row", "name", "place", "status", "method", "decided_by", "geocode_level",
                                            "precision_m", "lon", "lat", "matched", "candidates", "flags", "reason", "osm_id"])
    report.attrs["encoding"] = encoding
    matched = (report["status"] == "matched").to_numpy()
    geoms = np.full(len(report), None, dtype=object)
    if matched.any():
        geoms[matched] = shapely.points(report["lon"].to_numpy(dtype=float)[matched],
                                        report["lat"].to_numpy(dtype=float)[matched])
    out = gpd.GeoDataFrame(df.copy(), geometry=geoms, crs="EPSG:4326")
    out["geocode_status"] = report["status"].to_numpy()
    out["geocode_level"] = report["geocode_level"].to_numpy()
    out["precision_m"] = report["precision_m"].to_numpy()
    out["geocode_method"] = report["method"].to_numpy()
    out["geocode_decided_by"] = report["decided_by"].to_numpy()
    out.attrs["encoding"] = encoding
    return out, report


def _bad_coordinate_cells(cells: dict[str, Any], lon_c: str | None, lat_c: str | None, lon: float | None,
                          lat: float | None) -> list[str]:
    """The coordinate cells of a row that are written but cannot be used (text, NaN, inf, one of the pair empty)."""
    if lon_c is None or lat_c is None:
        return []
    written = {c: not (v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "")
               for c, v in cells.items()}
    if not any(written.values()):
        return []
    bad = []
    for column, value in ((lon_c, lon), (lat_c, lat)):
        if value is None:
            bad.append(f"{column} {cells[column]!r} is not a finite number" if written[column] else f"{column} is empty")
    return bad


def _flag_unreadable(rec: dict[str, Any], cells: list[str]) -> None:
    """Flag a report row ``bad_coordinates``: its coordinate ``cells`` (described) cannot be read."""
    rec["flags"] = ";".join(f for f in (rec["flags"], "bad_coordinates") if f)
    rec["reason"] = (f"coordinate cells unreadable ({'; '.join(cells)}), so "
                     + ("placed by its text instead: " if rec["status"] == "matched" else "")
                     + rec["reason"])


#: Rows needed before a table's coordinates are judged to be GCJ-02 rather than what it declares.
_GCJ_MIN_ROWS = 3
#: Floor of the standard error of the mean displacement (m): coordinates rounded to 1e-4 degree scatter ~5 m.
_GCJ_MIN_SE_M = 5.0


def _flag_gcj02(records: list[dict[str, Any]], *, where: str) -> None:
    """Flag a table whose WGS-84 coordinates sit where GCJ-02 ones would: ~550 m from the places its text names.

    For each row with coordinates declared WGS-84/CGCS2000 and a place found from its text, compare the
    displacement (coordinates − text place) with the GCJ-02 offset at that place.  The table is flagged
    when the mean displacement is closer to the GCJ-02 offset than to zero by more than twice its standard
    error (from the rows' own scatter about the mean); each agreeing row gets the flag ``gcj02_suspected``.
    """
    rows = [r for r in records if r.get("_text") and r.get("_datum") in ("wgs84", "cgcs2000")]
    if len(rows) < _GCJ_MIN_ROWS:
        return
    lon0, lat0 = np.array([r["_text"][0] for r in rows]), np.array([r["_text"][1] for r in rows])
    glon, glat = _datum.convert(lon0, lat0, src="wgs84", dst="gcj02")
    mx = 111320.0 * np.cos(np.radians(lat0))
    my = 110574.0
    disp = np.column_stack([(np.array([r["lon"] for r in rows]) - lon0) * mx,
                            (np.array([r["lat"] for r in rows]) - lat0) * my])
    off = np.column_stack([(np.asarray(glon) - lon0) * mx, (np.asarray(glat) - lat0) * my])
    mean_disp, mean_off = disp.mean(axis=0), off.mean(axis=0)
    # The standard error of the mean displacement, from the rows' own scatter about it: precision_m is only an
    # upper radius (a facility anywhere in its township claims ~13 km), so a table of precise points is judged by
    # how tightly its displacements agree, and a scattered table needs many rows before it is flagged.
    resid = disp - mean_disp
    se = max(float(np.sqrt(np.sum(resid ** 2) / max(len(rows) - 1, 1) / len(rows))), _GCJ_MIN_SE_M)
    to_gcj, to_zero = float(np.hypot(*(mean_disp - mean_off))), float(np.hypot(*mean_disp))
    if not (to_gcj < to_zero and to_zero - to_gcj > 2 * se and to_gcj < 0.5 * float(np.hypot(*mean_off))):
        return
    agreeing = []
    for r, d, o in zip(rows, disp, off):
        if np.hypot(*(d - o)) < np.hypot(*d):
            r["flags"] = ";".join(f for f in (r["flags"], "gcj02_suspected") if f)
            r["reason"] += ("; these coordinates sit where GCJ-02 (Amap/Tencent) coordinates of the place its text "
                            "names would: if they were copied from 高德/腾讯 maps, declare the datum gcj02")
            agreeing.append(r["row"])
    bearing = float(np.degrees(np.arctan2(mean_disp[0], mean_disp[1]))) % 360
    warnings.warn(
        f"{where}: the coordinates of {len(rows)} rows sit on average {to_zero:.0f} m from the places their text "
        f"names, towards {bearing:.0f}° (the GCJ-02 offset here is {np.hypot(*mean_off):.0f} m towards "
        f"{float(np.degrees(np.arctan2(mean_off[0], mean_off[1]))) % 360:.0f}°): they look like GCJ-02 (Amap/Tencent) "
        f"coordinates declared WGS-84. Rows {', '.join(map(str, agreeing[:10]))} are flagged gcj02_suspected; "
        "if they were copied from 高德/腾讯 maps, declare it (--datum gcj02, datum='gcj02' or a 坐标系 column).",
        UserWarning, stacklevel=3)


def _table_record(idx: Any, name: str, place: str, county: str | None, anchor: str, datum_text: str,
                  lon_cell: Any, lat_cell: Any, *, lon_c: str | None, lat_c: str | None,
                  ovr: dict[str, dict[str, Any]], default_datum: str, where: str,
                  gaz: Gazetteer) -> dict[str, Any]:
    """The report fields (all but ``row``) of one table row: override, else coordinates, else the gazetteer.

    Private keys ``_datum`` and ``_text`` (the place its text names) feed the GCJ-02 check and are
    removed by the caller.
    """
    rec = {"name": name, "place": place, "status": "unmatched", "method": "gazetteer",
           "decided_by": "", "geocode_level": None, "precision_m": None, "lon": None, "lat": None, "matched": "",
           "candidates": "", "flags": "", "reason": "", "osm_id": ""}
    key = next((k for k in (normalise_text(name), normalise_text(place)) if k and k in ovr), None)
    lon, lat = _num(lon_cell), _num(lat_cell)
    if key is not None:
        o = ovr[key]
        rec.update(status="matched", method="override", decided_by="override", geocode_level=o["geocode_level"],
                   precision_m=o["precision_m"], lon=o["lon"], lat=o["lat"], reason=f"override for {key}: {o['reason']}")
    elif lon is not None and lat is not None:
        d = _datum.normalise_datum(datum_text or default_datum, where=f"{where} row {idx} datum")
        lon, lat, flags = check_coordinates(lon, lat)
        wlon, wlat = _datum.convert([lon], [lat], src=d, dst="wgs84")
        lon_text, lat_text = (lat_cell, lon_cell) if "swapped_corrected" in flags else (lon_cell, lat_cell)
        rec["_datum"] = d
        rec.update(status="matched", method="coordinates", decided_by="coordinates", geocode_level="landmark",
                   precision_m=coordinate_precision_m(lon_text, lat_text),
                   lon=float(wlon[0]), lat=float(wlat[0]), flags=";".join(flags),
                   reason=f"coordinates of the table ({d} → wgs84)"
                   + ("; lat and lon were swapped in the table and are corrected" if "swapped_corrected" in flags else "")
                   + ("; outside the municipality of Liuzhou: check them" if "out_of_area" in flags else ""))
    else:
        r = _geocode_row(name, place, anchor, county, gaz)
        rec.update(status=r.status, decided_by=r.decided_by, geocode_level=r.geocode_level,
                   precision_m=r.precision_m, lon=r.lon, osm_id=r.osm_id, flags="outside_liuzhou" if r.outside else "",
                   lat=r.lat, matched="; ".join(r.matched), candidates="; ".join(r.candidates), reason=r.reason)
    bad_cells = _bad_coordinate_cells({lon_c: lon_cell, lat_c: lat_cell} if lon_c and lat_c else {}, lon_c, lat_c,
                                      lon, lat)
    if bad_cells and key is None:
        _flag_unreadable(rec, bad_cells)
    if rec["method"] == "coordinates" and (name or place):
        text = _geocode_row(name, place, anchor, county, gaz)
        if text.status == "matched" and text.precision_m is not None:
            rec["_text"] = (text.lon, text.lat, float(text.precision_m))
    return rec


def kind_compatible(name: str, place: Place, gaz: Gazetteer) -> tuple[bool, str]:
    """Whether an OSM landmark of ``place.category`` may place the feature called ``name``.

    The rules are data (``layers/gazetteer/osm_kinds.yaml`` ``compatible``): the
    word groups of the feature's own name allow some landmark kinds; a name with
    no such word allows every kind.  Places that are not OSM landmarks are
    always compatible.

    Examples
    --------
    >>> gaz = default_gazetteer()
    >>> kind_compatible("柳州医药现代物流配送中心", gaz.lookup("柳州医药")[0], gaz)[0]
    False
    """
    if place.kind != "osm":
        return True, ""
    groups = [g for g in gaz.osm_compatible if any(w in normalise_text(name) for w in g["words"])]
    if not groups:
        return True, ""
    allowed = {k for g in groups for k in g["kinds"]}
    if place.category in allowed:
        return True, ""
    words = "、".join(dict.fromkeys(w for g in groups for w in g["words"] if w in normalise_text(name)))
    return False, f"a {place.category} cannot place a feature whose name says {words} (allowed: {'、'.join(sorted(allowed))})"


def _landmark_in_name(name: str, by_place: GeocodeResult, gaz: Gazetteer, notes: list[str]) -> GeocodeResult | None:
    """A landmark the project name names, lying within the area the place column gave: the finer point.

    Only landmarks (OSM or documented) of a compatible kind, inside the place's
    radius, and finer than it count.
    """
    if by_place.geocode_level in ("landmark",) or by_place.outside or by_place.lon is None:
        return None
    found = [p for m in gaz.find(name) if len(m.places) == 1 for p in m.places
             if p.kind in ("osm", "landmark") and p.geocode_level == "landmark" and p.has_point]
    for p in found:
        ok, why = kind_compatible(name, p, gaz)
        if not ok:
            notes.append(f"the name names {p.name}: {why}; not used")
            continue
        _, _, d = _GEOD.inv(by_place.lon, by_place.lat, p.lon, p.lat)
        if d > (by_place.precision_m or 0):
            notes.append(f"the name names {p.name}, {d / 1000:.1f} km from {by_place.place} (outside its "
                         f"{(by_place.precision_m or 0) / 1000:.1f} km): not used")
            continue
        src = f"OSM {p.osm_id}" if p.osm_id else p.source
        return GeocodeResult(by_place.text, "matched", p.lon, p.lat, p.geocode_level, p.precision_m, p.name, p.county or by_place.county,
                             (*by_place.matched, f"name:{p.name}"), (), "; ".join(
                                 [*notes, f"the place gives {by_place.place} ({by_place.geocode_level}); the name names "
                                  f"the landmark {p.name} ({src}), {d / 1000:.1f} km from it, within its radius",
                                  p.basis]), p.basis, "place+name", osm_id=p.osm_id)
    return None


def _name_counties(name: str, gaz: Gazetteer) -> list[Place]:
    """The counties / new districts a project name names, directly or through a place in Liuzhou it names unambiguously."""
    out: list[Place] = []
    for m in gaz.find(name):
        if len(m.places) != 1:
            continue
        p = m.places[0]
        if p.kind in ("county", "new_district"):
            area = p
        elif p.in_liuzhou and p.county and p.kind not in ("city", "river"):
            # a town, village, port … named in the name stands for its county (鹿寨江口口岸作业区 → 鹿寨县)
            area = next((c for c in gaz.lookup(p.county) if c.kind in ("county", "new_district")), None)
        else:
            continue
        if area is not None and all(a.name != area.name for a in out):
            out.append(area)
    return out


def _from_name(r: GeocodeResult, decided_by: str, note: str) -> GeocodeResult:
    """``r`` (a geocode of the name) marked as decided by the name: its matched entries say ``name:``."""
    return replace(r, matched=tuple(f"name:{m}" for m in r.matched), decided_by=decided_by,
                   reason="; ".join(x for x in (note, r.reason) if x))


def _geocode_row(name: str, place: str, anchor: str, county: str | None, gaz: Gazetteer) -> GeocodeResult:
    """One table row: the anchor first, then the place column; the name only as context.

    The place column is primary.  The name is used (a) to break a tie between the
    candidates of an ambiguous place with a county or town the name names
    (``decided_by="place+name"``), and (b) when the place is empty or not found
    (``decided_by="name"``, its ``matched`` entries prefixed ``name:``).  A row
    placed at its 县区 column alone says ``decided_by="county"``.
    """
    notes: list[str] = []
    if anchor:
        r = geocode(anchor, county=county, gazetteer=gaz)
        if r.status == "matched":
            # the anchor stands in for the site; a landmark the name names inside it is finer
            finer = _landmark_in_name(name, r, gaz, notes) if name else None
            return finer or replace(r, decided_by="anchor", reason="; ".join([*notes, r.reason]))
        notes.append(f"anchor {anchor!r} not located")
    name_text = name if name and normalise_text(name) != normalise_text(place) else ""
    by_place = geocode(place, county=county, gazetteer=gaz) if place else None
    if by_place is not None and by_place.status == "matched" and by_place.osm_id and name:
        lm = next(p for p in gaz.places if p.osm_id == by_place.osm_id)
        ok, why = kind_compatible(name, lm, gaz)
        if not ok:
            notes.append(f"{lm.name} (OSM {lm.osm_id}) named in the place: {why}; not used")
            rest = normalise_text(place)
            for m in gaz.find(place):
                if lm in m.places:
                    rest = rest[:m.start] + "、" + rest[m.end:]
            by_place = geocode(rest, county=county, gazetteer=gaz)
    if by_place is not None and by_place.status == "matched" and (by_place.matched or not name_text):
        finer = _landmark_in_name(name_text, by_place, gaz, notes) if name_text else None
        if finer is not None:
            return finer
        return replace(by_place, decided_by="place" if by_place.matched else "county",
                       reason="; ".join([*notes, by_place.reason]))
    if by_place is not None and by_place.status == "ambiguous" and name_text:
        # (a) a county (or a town's county) named in the project name breaks the tie
        given = [c for c in gaz.lookup(county or "") if c.kind in ("county", "new_district", "city", "external")]
        # a county the address itself names beats a town the project name repeats
        named = list({p.name: p for m in gaz.find(place) if len(m.places) == 1 for p in m.places
                      if p.kind in ("county", "new_district", "external")}.values())
        given = given or (named if len(named) == 1 else [])
        tried = []
        for area in _name_counties(name_text, gaz):
            if given and not (area.name == given[0].name or _consistent(area, given[0])):
                notes.append(f"the name names {area.name}, but the county given (column or address) is "
                             f"{given[0].name}: not used")
                continue
            tried.append((area, geocode(place, county=area.name, gazetteer=gaz)))
        # every area the name names must pick the same place (鹿寨三江江口村 stays a tie)
        if tried and all(r.status == "matched" for _, r in tried) and len({(r.lon, r.lat) for _, r in tried}) == 1:
            area, r = tried[0]
            return replace(r, matched=(*r.matched, f"name:{area.name}"), decided_by="place+name",
                           reason="; ".join([*notes, f"{place} is ambiguous; the name names {area.name}", r.reason]))
    if name_text and (by_place is None or by_place.status != "ambiguous"):
        # (b) the place is empty or names no known place: the name decides
        by_name = geocode(name_text, county=county, gazetteer=gaz)
        if not place:
            why = "the place column is empty"
        elif by_place is not None and by_place.status == "matched" and by_place.reason.startswith("the text names only"):
            why = f"the place {place!r} names no place inside the county given"
        elif by_place is not None and by_place.status == "matched":
            why = f"the place {place!r} names no known place"
        else:
            why = f"the place {place!r} is {by_place.status}"
        given = [c for c in gaz.lookup(county or "") if c.kind in ("county", "new_district")]
        if by_name.status == "matched" and given and by_name.matched and \
                not any(p.in_liuzhou for p in gaz.lookup(by_name.place or "")):
            # 深圳 in 深圳信炜科技项目 with 县区 = 柳州高新区: a company's name, not the site
            notes.append(f"the name names {by_name.place}, outside the county given ({given[0].name}): not used")
            by_name = geocode("", county=county, gazetteer=gaz)
        if by_name.status == "matched" and by_name.matched:
            if given and by_name.place == given[0].name:
                return _from_name(by_name, "county", "; ".join([*notes, f"{why}; the name names only the county given"]))
            return _from_name(by_name, "name", "; ".join([*notes, f"{why}; located from the name"]))
        if by_name.status == "matched":  # nothing in the name either: placed at the 县区 column
            return replace(by_name, decided_by="county", reason="; ".join([*notes, why, by_name.reason]))
        if by_place is None or (by_place.status == "unmatched" and by_name.status == "ambiguous"):
            return _from_name(by_name, "", "; ".join([*notes, f"{why}; the name was read"]))
    best = by_place if by_place is not None else geocode("", county=county, gazetteer=gaz)
    decided = "county" if best.status == "matched" else ""
    return replace(best, decided_by=decided, reason="; ".join([*notes, best.reason]))
