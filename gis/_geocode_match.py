"""Matching a text to a place: :func:`geocode` of a free text, and the rules of a table row's columns.

Private to :mod:`gis.geocode`, which re-exports the public names (:func:`geocode`, :class:`GeocodeResult`,
:func:`kind_compatible`, ``STATUSES``, ``DECIDED_BY``) and says what the geocoder does.  :func:`_geocode_row`
reads one row of a table: its anchor, place and name columns.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Iterable

import pyproj
from shapely.geometry import Point

from .city import profile
from ._geocode_typo import (Unread, finer_start, finer_than, may_name_finer, slip_candidates, slip_note,
                            unread_places)
from .gazetteer import LEVEL_RANK, Gazetteer, Match, Place, default_gazetteer, normalise_text
from .layers import layers_dir


_GEOD = pyproj.Geod(ellps="WGS84")

STATUSES = ("matched", "ambiguous", "unmatched")
#: Which column of a table row decided its point (the report's ``decided_by``).
DECIDED_BY = ("override", "coordinates", "anchor", "place", "place+name", "name", "county", "")


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
    #: Machine flags: ``corrected`` (a one-character slip of a township/village name was corrected),
    #: ``unrecognised:<word>`` (a finer place the text names is not known; the point is coarser).
    flags: tuple[str, ...] = ()
    #: What the flags mean, in Chinese, for people ("更正错字：进得镇 → 进德镇 …", "未识别：官塘片区 …");
    #: a correction also leads ``reason`` (it moved the point).
    note: str = ""

    @property
    def point(self) -> Point | None:
        return Point(self.lon, self.lat) if self.lon is not None else None


def _replace(r: GeocodeResult, **changes: object) -> GeocodeResult:
    """``dataclasses.replace(r, **changes)`` without the call of ``__init__``: the same result, made faster.

    (``GeocodeResult`` has no ``__post_init__`` and no slots: a copy of its fields is the replaced result.)
    """
    new = object.__new__(GeocodeResult)
    fields = new.__dict__
    fields.update(r.__dict__)
    fields.update(changes)
    return new


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
    city = profile().name_en
    outer = list({id(p): p for m in outside for p in m.places}.values())
    # the finest unit: one that no other named unit lies in; all named units must nest
    inner = [p for p in outer if not any(q is not p and p.name in q.within for q in outer)]
    namesakes = [m for m in matches if m not in outside]
    if namesakes:
        notes = [*notes, f"{'、'.join(m.surface for m in namesakes)}: namesake(s) in {city}, not used (the text names "
                 f"{'、'.join(p.name for p in outer)}, outside {city})"]
    matched = tuple(p.name for p in outer)
    reason_tail = "; ".join(notes)
    if len(inner) != 1 or not all(q is inner[0] or q.name in inner[0].within for q in outer):
        return GeocodeResult(raw, "ambiguous", matched=matched, candidates=tuple(p.label() for p in inner),
                             reason="; ".join(x for x in (f"the text names places outside {city} that are not one "
                                                           "inside the other", reason_tail) if x), outside=True)
    p = inner[0]
    if not p.has_point:
        return GeocodeResult(raw, "unmatched", matched=matched, reason="; ".join(
            x for x in (f"outside {city}: the text names only {p.name} ({p.geocode_level}), which is given no point",
                        reason_tail) if x), outside=True)
    return GeocodeResult(raw, "matched", p.lon, p.lat, p.geocode_level, p.precision_m, p.name, p.name, matched, (),
                         "; ".join(x for x in (f"outside {city}: {p.name} ({p.geocode_level}; {p.basis})", reason_tail)
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

    Notes
    -----
    A finer place the text names (a word ending in 镇/乡/街道/村/社区/片区/园区/开发区 …,
    ``layers/gazetteer/finer_places.yaml``) that the gazetteer lacks never leaves a plain
    ``matched`` at a coarser level.  If it is one character away from exactly one township
    (one substituted, inserted or deleted character) or village (one character of the same
    reading, by pypinyin) of the county the text or ``county`` names, it is read as that place:
    flag ``corrected``, ``note`` "更正错字：进得镇 → 进德镇 …", the corrected place's point and
    precision.  Otherwise (no county named, none or several such places) the point stays
    coarser with the flag ``unrecognised:<word>`` and the candidates, if any, listed.  A name
    the gazetteer knows exactly is never corrected, and no correction crosses a county.

    Examples
    --------
    >>> r = geocode("融水县和睦镇")
    >>> r.status, r.place, r.geocode_level
    ('matched', '和睦镇', 'township')
    >>> geocode("火星基地").status
    'unmatched'
    >>> r = geocode("柳江区进得镇")
    >>> r.place, r.flags, r.note.split("（")[0]
    ('进德镇', ('corrected',), '更正错字：进得镇 → 进德镇')
    """
    gaz = gazetteer or default_gazetteer()
    # a table repeats its places under distinct project names: each (text, county) is read once per gazetteer
    # (the key changes when places or names are added to it, or when the layers folder in use changes)
    root = str(layers_dir())
    key = (text, county, len(gaz.places), len(gaz.index), root)
    memo: dict[tuple, GeocodeResult] = gaz.__dict__.setdefault("_geocode_memo", {})
    try:
        done = memo.get(key)
    except TypeError:  # an unhashable text: no reuse
        key, done = None, None
    if done is None:
        done = _read_finer(_geocode_text(text, county, gaz, root=root), "" if text is None else str(text), county, gaz,
                           root=root)
        if key is not None:
            if len(memo) >= _MEMO_MAX:
                memo.clear()
            memo[key] = done
    return done


_MEMO_MAX = 100_000


def _of_kind(gaz: Gazetteer, kind: str) -> list[Place]:
    """The places of ``gaz`` of one kind, in the gazetteer's order (a new list; grouped once per gazetteer)."""
    kept = gaz.__dict__.get("_places_by_kind")
    if kept is None or kept[0] != len(gaz.places):
        grouped: dict[str, list[Place]] = {}
        for p in gaz.places:
            grouped.setdefault(p.kind, []).append(p)
        kept = gaz.__dict__["_places_by_kind"] = (len(gaz.places), grouped)
    return list(kept[1].get(kind, ()))


def _by_osm_id(gaz: Gazetteer) -> dict[str, Place]:
    """The places of ``gaz`` by their OpenStreetMap id (the first of an id), kept per gazetteer."""
    kept = gaz.__dict__.get("_places_by_osm_id")
    if kept is None or kept[0] != len(gaz.places):
        by_id: dict[str, Place] = {}
        for p in gaz.places:
            by_id.setdefault(p.osm_id, p)
        kept = gaz.__dict__["_places_by_osm_id"] = (len(gaz.places), by_id)
    return kept[1]


def _slip_scope(r: GeocodeResult, u: Unread, county: str | None, gaz: Gazetteer) -> tuple[Place | None, list[Place]]:
    """The area a slip of ``u`` may be corrected within (the named county, or the township placed), and its places."""
    if r.outside:
        return None, []
    here = [p for p in gaz.lookup(r.place or "") if p.has_point] if r.status == "matched" else []
    area = here[0] if here else None
    if area is not None and area.kind == "township" and u.correct_to == "village":
        return area, [p for p in _of_kind(gaz, "village") if p.township == area.name and p.county == area.county]
    if area is None or area.kind not in ("county", "new_district"):
        given = [k for k in gaz.lookup(county or "") if k.kind in ("county", "new_district")]
        area = given[0] if len(given) == 1 and (r.status != "matched" or r.geocode_level in ("county", "city")) else None
    if area is None:
        return None, []
    return area, _of_kind_in(gaz, u.correct_to, area)


def _of_kind_in(gaz: Gazetteer, kind: str, area: Place) -> list[Place]:
    """The places of ``gaz`` of one kind lying in ``area`` (:func:`_consistent`), in order; kept per gazetteer."""
    kept = gaz.__dict__.setdefault("_places_in_area", {})
    key = (kind, id(area), len(gaz.places))
    done = kept.get(key)
    if done is None or done[0] is not area:
        done = kept[key] = (area, [p for p in _of_kind(gaz, kind) if _consistent(p, area)])
    return list(done[1])


def _read_finer(r: GeocodeResult, raw: str, county: str | None, gaz: Gazetteer, *,
                root: str | None = None) -> GeocodeResult:
    """``r`` with the finer places its text names but the gazetteer lacks corrected or flagged (see :func:`geocode`).

    ``root``: the layers folder in use (as text), when the caller knows it.
    """
    if r.status == "ambiguous":
        return r
    text, notes, flags = normalise_text(raw), [], []
    if not may_name_finer(text, gaz, root=root):  # no suffix of a finer place word anywhere: nothing to do
        return r
    current = r
    words = unread_places(text, gaz.find(text), gaz)  # those of the text as corrected so far
    if not words:  # nothing finer named that the gazetteer lacks: nothing to correct or flag
        return r
    for _ in range(3):  # a township corrected may make a village of it readable: a few rounds
        level = current.geocode_level if current.status == "matched" else None
        unread = [u for u in words if finer_than(u, level)]
        fixed = None
        for u in unread:
            area, scope = _slip_scope(current, u, county, gaz)
            cands = slip_candidates(u, scope)
            if len(cands) == 1:
                p = cands[0]
                again = _geocode_text(text.replace(u.word, p.name, 1), county, gaz)
                if again.status == "matched" and again.place == p.name:
                    where = area.name if area is not None else ""
                    kind = "乡镇" if p.kind == "township" else "村/社区"
                    notes.append(f"更正错字：{u.word} → {p.name}（{slip_note(u, p)}，{where}唯一相差一字的{kind}）")
                    flags.append("corrected")
                    fixed = (u, p, again)
                    break
        if fixed is None:
            break
        u, p, current = fixed
        text = text.replace(u.word, p.name, 1)
        words = unread_places(text, gaz.find(text), gaz)
        current = _replace(current, matched=tuple(f"{u.word}→{p.name} [corrected]" if m == p.name else m
                                                 for m in current.matched))
    level = current.geocode_level if current.status == "matched" else None
    for u in [u for u in words if finer_than(u, level)]:
        area, scope = _slip_scope(current, u, county, gaz)
        if area is None and u.correct_to and not current.outside:  # no county named: hints only, from all of Liuzhou
            scope = _of_kind(gaz, u.correct_to)
        cands = slip_candidates(u, scope)
        at = f"只定位到{current.place}" if current.status == "matched" else "未定位"
        if len(cands) > 1:
            why = f"{area.name if area else ''}有{len(cands)}处相差一字：{'、'.join(c.label() for c in cands)}，不自动更正"
        elif cands and area is None:
            why = f"可能是{cands[0].label()}，但未写明县区，不自动更正"
        elif current.outside:
            why = f"{profile().name}以外，地名库只到县级"
        else:
            why = "地名库中没有，也没有相差一字的地名"
        notes.append(f"未识别：{u.word}（{why}），{at}")
        flags.append(f"unrecognised:{u.word}")
        current = _replace(current, candidates=(*current.candidates, *(c.label() for c in cands)))
    if not flags:
        return r
    # a correction moved the point: the reason says so; a word not read only flags (the table's report shows the note)
    fixes = [n for n, f in zip(notes, flags) if f == "corrected"]
    return _replace(current, text=raw, flags=tuple(flags), note="；".join(notes),
                   reason="; ".join(x for x in ("；".join(fixes), current.reason) if x))


def _geocode_text(text: str, county: str | None, gaz: Gazetteer, *, root: str | None = None) -> GeocodeResult:
    """:func:`geocode` without the reading of unknown finer places.

    What it decides depends on the text only through its matches (:meth:`Gazetteer.find`: their spans,
    surfaces, readings and places), but for the text itself (the result's ``text``) and, when a unit
    outside Liuzhou is named, the characters between the names (:func:`_namesake`).  Texts that agree in
    these (the same street with another plot number: 某路1号地块, 某路2号地块) are decided once per gazetteer.
    """
    raw = "" if text is None else str(text)
    matches = gaz.find(raw)
    key: tuple | None = (county, root or str(layers_dir()), len(gaz.places), len(gaz.index))
    if matches:
        key = (*key, *((m.start, m.end, m.surface, m.via, *map(id, m.places)) for m in matches))  # type: ignore[misc]
        if any(p.kind == "external" for m in matches for p in m.places):
            key = (*key, normalise_text(raw))  # type: ignore[misc]
    memo: dict[tuple, tuple[list[Match], GeocodeResult]] = gaz.__dict__.setdefault("_decided_memo", {})
    try:
        done = memo.get(key)  # type: ignore[arg-type]
    except TypeError:  # an unhashable county: no reuse
        key, done = None, None
    if done is not None:
        r = done[1]
        return r if r.text == raw else _replace(r, text=raw)
    r = _decide(raw, matches, county, gaz)
    if key is not None:
        if len(memo) >= _MEMO_MAX:
            memo.clear()
        memo[key] = (matches, r)  # the matches keep their places alive: the ids in the key stay theirs
    return r


def _decide(raw: str, matches: list[Match], county: str | None, gaz: Gazetteer) -> GeocodeResult:
    """:func:`_geocode_text` of the text ``raw`` whose matches are ``matches``."""
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
    return _replace(r, matched=tuple(f"name:{m}" for m in r.matched), decided_by=decided_by,
                   reason="; ".join(x for x in (note, r.reason) if x))


def _without_incompatible_landmark(text: str, r: GeocodeResult, county: str | None, gaz: Gazetteer, notes: list[str],
                                   *, where: str, name: str | None = None) -> GeocodeResult:
    """``r`` (placed on an OSM landmark named in ``text``), or ``text`` geocoded again without that landmark when
    its kind cannot place the feature called ``name`` (default ``text``) (:func:`kind_compatible`)."""
    lm = _by_osm_id(gaz)[r.osm_id]
    ok, why = kind_compatible(name or text, lm, gaz)
    if ok:
        return r
    notes.append(f"{lm.name} (OSM {lm.osm_id}) named in the {where}: {why}; not used")
    rest = normalise_text(text)
    for m in gaz.find(text):
        if lm in m.places:
            rest = rest[:m.start] + "、" + rest[m.end:]
    return geocode(rest, county=county, gazetteer=gaz)


def name_is_inert(name: str, gaz: Gazetteer) -> bool:
    """Whether a project name can change nothing :func:`_geocode_row` decides: it is only a label.

    True when the name is not empty and names no place of the gazetteer (:meth:`Gazetteer.find`), no finer
    place the gazetteer lacks (:func:`gis._geocode_typo.unread_places`) and no word of an OpenStreetMap
    landmark kind rule (:func:`kind_compatible`).  Every reading of the name in :func:`_geocode_row` then
    comes to the same (the landmarks it names, the counties it names, its own geocode), so
    :func:`gis.geocode.geocode_table` places rows that differ only in such names once.

    Examples
    --------
    >>> gaz = default_gazetteer()
    >>> name_is_inert("新建项目12号", gaz), name_is_inert("雒容镇污水厂", gaz), name_is_inert("冷链中心", gaz)
    (True, False, False)
    """
    text = normalise_text(name)
    if not text or _kind_words(gaz).search(text) is not None or gaz.find(name):
        return False
    return not unread_places(text, [], gaz)


def inert_names(names: Iterable[str], gaz: Gazetteer) -> dict[str, bool]:
    """:func:`name_is_inert` of each distinct name of ``names``, the names read by the gazetteer together.

    Examples
    --------
    >>> inert_names(["新建项目12号", "雒容镇污水厂", "冷链中心", "新建项目12号"], default_gazetteer())
    {'新建项目12号': True, '雒容镇污水厂': False, '冷链中心': False}
    """
    names = list(dict.fromkeys(names))
    found = gaz._found_many(names)
    texts = gaz._normal_many(names)
    kinds = _holding(_kind_words(gaz), texts)
    finer = _holding(finer_start(gaz), texts)
    return {name: bool(text) and not kind and not found and (not fine or not unread_places(text, [], gaz))
            for name, text, kind, fine, found in zip(names, texts, kinds, finer, found)}


def _holding(pattern: re.Pattern, texts: list[str]) -> list[bool]:
    """Whether ``pattern`` occurs in each of ``texts`` (normalised: no whitespace), read in one pass of the column.

    The texts are joined by a line break (in no normalised text; the patterns are words of no space):
    each search starts where the previous hit's text ends, so a text is searched once at most.
    """
    starts, at = [], 0
    for t in texts:
        starts.append(at)
        at += len(t) + 1
    joined = "\n".join(texts)
    out = [False] * len(texts)
    search = pattern.search
    hit = search(joined)
    while hit is not None:
        k = bisect.bisect_right(starts, hit.start()) - 1
        out[k] = True
        if k + 1 == len(starts):
            break
        hit = search(joined, starts[k + 1])
    return out


def place_signatures(places: Iterable[str], gaz: Gazetteer) -> dict[str, tuple | None]:
    """What :func:`_geocode_row` reads of each distinct place text: texts of one signature are decided alike.

    A place column's text counts in :func:`_geocode_row` through its matches (:meth:`Gazetteer.find`: their
    order, surfaces, readings and places) and the text between them, which is read only for the finer places
    it may name (:func:`gis._geocode_typo.unread_places`).  When no stretch of text outside the matches has a
    character a finer place word may end with (:func:`gis._geocode_typo.may_name_finer`), that text names
    nothing: the signature is the matches in order with a mark for each stretch between them (某路1号地块 and
    某路2号地块 after the same county have one signature).  ``None`` (the text decides alone) for an empty text,
    a text naming a place outside Liuzhou (its namesakes are read from the characters between the names) or an
    OpenStreetMap landmark (read again without it when its kind does not fit), and a text with a stretch that
    may name a finer place.  The decision may still quote the text itself (a reason saying the place names no
    known place): :func:`gis.geocode.geocode_table` shares a decision only when it does not.

    Examples
    --------
    >>> gaz = default_gazetteer()
    >>> s = place_signatures(["柳北区某路1号地块", "柳北区某路12号地块", "柳江区进得镇", ""], gaz)
    >>> s["柳北区某路1号地块"] == s["柳北区某路12号地块"], s["柳江区进得镇"], s[""]
    (True, None, None)
    """
    places = list(dict.fromkeys(places))
    finer = finer_start(gaz).search
    found_many = gaz._found_many(places)
    texts = gaz._normal_many(places)
    gap = ("",)  # a stretch of text between the names, naming nothing
    out: dict[str, tuple | None] = {}
    for place, text, fine, found in zip(places, texts, _holding(finer_start(gaz), texts), found_many):
        if not text:
            out[place] = None
            continue
        parts: list[tuple] | None = []
        at = 0
        for m in found:
            if at < m.start:
                if fine and finer(text, at, m.start) is not None:
                    parts = None
                    break
                parts.append(gap)  # type: ignore[union-attr]
            if any(p.kind == "external" or p.osm_id for p in m.places):
                parts = None
                break
            parts.append((m.surface, m.via, *map(id, m.places)))  # type: ignore[union-attr]
            at = m.end
        if parts is not None and at < len(text):
            if fine and finer(text, at) is not None:
                parts = None
            else:
                parts.append(gap)
        out[place] = None if parts is None else tuple(parts)
    return out


def _kind_words(gaz: Gazetteer) -> re.Pattern:
    """One pattern of every word of the landmark kind rules (``osm_kinds.yaml`` ``compatible``), kept per gazetteer."""
    kept = gaz.__dict__.get("_kind_words")
    if kept is None or kept[0] is not gaz.osm_compatible:
        words = sorted({w for g in gaz.osm_compatible for w in g["words"] if w}, key=len, reverse=True)
        pattern = re.compile("|".join(map(re.escape, words)) if words else "(?!)")
        kept = gaz.__dict__["_kind_words"] = (gaz.osm_compatible, pattern)
    return kept[1]


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
            return finer or _replace(r, decided_by="anchor", reason="; ".join([*notes, r.reason]))
        notes.append(f"anchor {anchor!r} not located")
    name_text = name if name and normalise_text(name) != normalise_text(place) else ""
    by_place = geocode(place, county=county, gazetteer=gaz) if place else None
    if by_place is not None and by_place.status == "matched" and by_place.osm_id and name:
        by_place = _without_incompatible_landmark(place, by_place, county, gaz, notes, where="place", name=name)
    if by_place is not None and by_place.status == "matched" and (by_place.matched or not name_text):
        finer = _landmark_in_name(name_text, by_place, gaz, notes) if name_text else None
        if finer is not None:
            return finer
        return _replace(by_place, decided_by="place" if by_place.matched else "county",
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
            return _replace(r, matched=(*r.matched, f"name:{area.name}"), decided_by="place+name",
                           reason="; ".join([*notes, f"{place} is ambiguous; the name names {area.name}", r.reason]))
    if name_text and (by_place is None or by_place.status != "ambiguous"):
        # (b) the place is empty or names no known place: the name decides
        by_name = geocode(name_text, county=county, gazetteer=gaz)
        if by_name.status == "matched" and by_name.osm_id:
            # the same kind rules as for a landmark in the place: a school is not at the hill it is named after,
            # a campus being moved (迁建) is not at its old site
            by_name = _without_incompatible_landmark(name_text, by_name, county, gaz, notes, where="name")
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
            return _replace(by_name, decided_by="county", reason="; ".join([*notes, why, by_name.reason]))
        if by_place is None or (by_place.status == "unmatched" and by_name.status == "ambiguous"):
            return _from_name(by_name, "", "; ".join([*notes, f"{why}; the name was read"]))
    best = by_place if by_place is not None else geocode("", county=county, gazetteer=gaz)
    decided = "county" if best.status == "matched" else ""
    return _replace(best, decided_by=decided, reason="; ".join([*notes, best.reason]))
