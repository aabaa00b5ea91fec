"""The project's own gazetteer: every place name the geocoder knows, offline.

Built from the shipped layers (``city``, ``counties``, ``county_seats``, ``townships``,
``villages``, ``railway_stations``, ``airports``, ``rivers``, ``neighbours``,
``external_places``, ``external_admin`` (provinces, prefectures and counties
outside Liuzhou), ``osm_landmarks`` (named OpenStreetMap sites)) plus the data
in ``layers/gazetteer/``:

- ``aliases.yaml``: short forms, variants, the new districts (柳东新区,
  北部生态新区 / 阳和工业新区), OCR slips of the seeds (雉容 for 雒容) and the
  rule that picks between places of different kinds sharing a short form
  (鹿寨: 鹿寨县 before 鹿寨镇);
- ``landmarks.csv``: ports (作业区) and other named places, each placed at a
  documented point or at an anchor place of the gazetteer, never invented.

A :class:`Place` has one point (WGS-84), a ``geocode_level`` (landmark /
village / township / county / city / province) and a ``precision_m``: the
radius within which the named thing lies.  For an area that is its extent: a
township's estimated extent (``townships.extent_m``, from the ``township_areas``
cells), a village's (``villages.extent_m``), a county's or an outside unit's
farthest boundary point; for an OpenStreetMap landmark the radius of its kind
(``osm_kinds.yaml``).  Provinces are context only (no point).
:meth:`Gazetteer.find` returns every place name in free Chinese text by
leftmost-longest match, with the guard, place-token and river rules of
``aliases.yaml``.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from ._errors import LayerError
from .layers import layers_dir, load_layer, read_yaml

LEVELS = ("landmark", "village", "township", "county", "city", "province")
#: How specific each geocode_level is (smaller is more specific).
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
_BASE_LAYERS = ("city", "counties", "county_seats", "townships", "villages", "railway_stations", "airports",
                "rivers", "neighbours", "external_places", "external_admin", "osm_landmarks")


def normalise_text(text: Any) -> str:
    """NFKC-normalise text (full-width brackets and digits become ASCII) and drop whitespace.

    Examples
    --------
    >>> normalise_text(" 阳和工业新区（北部生态新区） ")
    '阳和工业新区(北部生态新区)'
    """
    if type(text) is str:
        return _normalise_str(text)
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


@functools.lru_cache(maxsize=65536)
def _normalise_str(text: str) -> str:
    """:func:`normalise_text` of a str (kept: the geocoder normalises the same texts at each step)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def index_key(text: Any) -> str:
    """The gazetteer's index key of a name: :func:`normalise_text`, and a Latin (all-ASCII) name in lower case.

    Pinyin and English names (layers/gazetteer/aliases.yaml) match whatever their case; Chinese names are untouched.

    Examples
    --------
    >>> index_key("Liuzhou Railway Station"), index_key("柳州站")
    ('liuzhourailwaystation', '柳州站')
    """
    key = normalise_text(text)
    return key.lower() if key.isascii() else key


@dataclass(frozen=True)
class Place:
    """One place of the gazetteer.

    ``county`` is the county/district it lies in (its own name for a county),
    ``district`` the new district managing it (柳东新区 …) if any, ``basis``
    says where the point comes from.
    """

    name: str
    kind: str
    geocode_level: str
    lon: float | None
    lat: float | None
    precision_m: float | None
    county: str | None = None
    township: str | None = None
    district: str | None = None
    basis: str = ""
    source: str = ""
    #: For a new district: the townships (and new districts) it covers; a place is in it if it is one of them or lies in one.
    members: tuple[str, ...] = ()
    #: Outside Liuzhou: the administrative units containing the place (province, prefecture).
    within: tuple[str, ...] = ()
    #: OpenStreetMap landmarks: the element id and the landmark kind (port, logistics, power …, see osm_kinds.yaml).
    osm_id: str = ""
    category: str = ""

    @property
    def has_point(self) -> bool:
        return self.lon is not None and self.lat is not None and math.isfinite(self.lon) and math.isfinite(self.lat)

    @property
    def in_liuzhou(self) -> bool:
        return self.kind not in ("external",)

    def label(self) -> str:
        """The name with its county (and township), as shown in candidate lists."""
        where = [w for w in (self.county, self.township) if w and w != self.name]
        return f"{self.name} ({' '.join(where)})" if where else self.name


@dataclass(frozen=True)
class Match:
    """A place name found in a text: its span, the surface form and the places it may mean."""

    start: int
    end: int
    surface: str
    places: tuple[Place, ...]
    via: str = "name"


@dataclass
class Gazetteer:
    """Places and the surface forms that name them.

    Build the shipped one with :func:`default_gazetteer` (cached) or
    :meth:`Gazetteer.from_layers`.

    Examples
    --------
    >>> gaz = default_gazetteer()
    >>> [p.name for p in gaz.lookup("雉容镇")]
    ['雒容镇']
    >>> [p.name for p in gaz.lookup("鹿寨")]
    ['鹿寨县']
    """

    places: list[Place] = field(default_factory=list)
    index: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    kind_priority: tuple[str, ...] = ()
    missing_layers: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    short_not_before: tuple[str, ...] = ()
    #: Words that contain a place name but name no place (一汽解放, 沿江路 …): no match inside them.
    guard_words: tuple[str, ...] = ()
    #: Words after a bare short form that make it a place (片区, 工业园 …); see aliases.yaml ``place_tokens``.
    token_after: tuple[str, ...] = ()
    token_before: tuple[str, ...] = ()
    token_separators: str = ""
    #: River names that are also short forms of districts, and the words that make them the river.
    river_after: tuple[str, ...] = ()
    river_before: tuple[str, ...] = ()
    #: Names of the units containing the municipality (广西壮族自治区, 中国): they never contradict a place in Liuzhou.
    city_within: tuple[str, ...] = ()
    #: Which OSM landmark kinds may place a feature, by the words of its name (osm_kinds.yaml ``compatible``).
    osm_compatible: tuple[dict, ...] = ()

    # -- building ---------------------------------------------------------
    def add(self, place: Place) -> int:
        self.places.append(place)
        return len(self.places) - 1

    def name(self, surface: str, idx: int, *, via: str = "name") -> None:
        surface = index_key(surface)
        if len(surface) < 2:
            return
        entries = self.index.setdefault(surface, [])
        if all(i != idx for i, _ in entries):
            entries.append((idx, via))

    # -- queries ----------------------------------------------------------
    def _rank(self, place: Place) -> int:
        try:
            return self.kind_priority.index(place.kind)
        except ValueError:
            return len(self.kind_priority)

    def lookup_entries(self, surface: str) -> list[tuple[Place, str]]:
        """Places named exactly ``surface``, of the kind that wins by ``kind_priority`` (kept per surface)."""
        known = self._scan().entries
        try:
            done = known.get(surface)
        except TypeError:  # an unhashable surface: index_key says what it is
            done = None
        if done is None:
            entries = [(self.places[i], via) for i, via in self.index.get(index_key(surface), [])]
            if entries:
                best = min(self._rank(p) for p, _ in entries)
                entries = [(p, via) for p, via in entries if self._rank(p) == best]
            done = tuple(entries)
            if isinstance(surface, str) and len(known) < _FOUND_MAX:
                known[surface] = done
        return list(done)

    def lookup(self, surface: str) -> list[Place]:
        """Places named exactly ``surface`` (see :meth:`lookup_entries`)."""
        return [p for p, _ in self.lookup_entries(surface)]

    def _guards(self, text: str) -> list[tuple[int, int]]:
        spans = []
        for w in self.guard_words:
            start = text.find(w)
            while start >= 0:
                spans.append((start, start + len(w)))
                start = text.find(w, start + 1)
        return spans

    def _is_token(self, text: str, i: int, j: int, prev: Match | None) -> bool:
        """Whether the bare short form ``text[i:j]`` stands as a place: delimited, after an area, or before a place word."""
        seps = self.token_separators
        before = i == 0 or text[i - 1] in seps or (text[i - 1].isascii() and text[i - 1].isalnum()) or \
            text[:i].endswith(self.token_before) or (
            prev is not None and prev.end == i and any(p.kind in ("county", "new_district", "city", "external")
                                                       for p in prev.places))
        after = j == len(text) or text[j] in seps or (text[j].isascii() and text[j].isalnum()) or \
            text[j:].startswith(self.token_after)
        return before and after

    def _admin_short_ok(self, text: str, i: int, j: int, entries, prev: Match | None) -> bool:
        if not self._is_token(text, i, j, prev) and not text[j:].startswith(("市", "县", "州", "省", "地区")):
            return False
        for p, via in entries:
            if via != "short_admin_county":
                return True
            for w in p.within:  # its prefecture or province named too
                stem = w
                for suffix in ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "苗族侗族自治州", "布依族苗族自治州",
                               "自治州", "省", "市"):
                    if w.endswith(suffix) and len(w) - len(suffix) >= 2:
                        stem = w[: -len(suffix)]
                        break
                if stem in text[:i]:
                    return True
        return False

    def find(self, text: str) -> list[Match]:
        """Every place name in ``text``, leftmost-longest, in reading order.

        Guard words (``aliases.yaml``: 一汽解放, 沿江路 …) hide the place names inside
        them.  A township's bare short form (解放 for 解放街道) is a place only as a
        token: delimited (start, end, 、，/ …) or right after a county or district
        name, and followed by a delimiter or a place word (片区, 工业园 …); a river name
        that is also a district's short form (柳江) followed by a river word (航道,
        两岸 …) or after 沿/跨 is the river.

        The names are found by one Aho-Corasick automaton over every surface form and
        guard word (built once per gazetteer; ``pyahocorasick``), and each text is read
        once (kept per gazetteer; :meth:`find_many` reads many texts in one pass of the
        automaton); without ``pyahocorasick``, or for a text with
        combining marks, every length of name is tried at every position (the reference
        reading, :meth:`_find_reference`: the same matches).

        Examples
        --------
        >>> [m.surface for m in default_gazetteer().find("柳州市柳东新区雒容镇某路")]
        ['柳州市柳东新区', '雒容镇']
        >>> [m.surface for m in default_gazetteer().find("一汽解放柳州基地")]
        ['柳州']
        """
        scan = self._scan()
        try:
            done = scan.found.get(text)
        except TypeError:  # an unhashable text: read, not kept
            return self._read(*self._candidates(normalise_text(text), scan), scan)
        if done is None:
            if len(scan.found) >= _FOUND_MAX:
                scan.found.clear()
            done = scan.found[text] = tuple(self._read(*self._candidates(normalise_text(text), scan), scan))
        return list(done)

    def _forget_texts(self) -> None:
        """Forget the texts read (:meth:`find`, :func:`gis.geocode.geocode`); the automaton and name rules stay."""
        scan = self.__dict__.get("_scan_state")
        if scan is not None:
            scan.found.clear()
            scan.normal.clear()
        self.__dict__.pop("_geocode_memo", None)
        self.__dict__.pop("_decided_memo", None)  # what gis._geocode_match decided per set of matches

    def _find_reference(self, text: str) -> list[Match]:
        """:meth:`find` by trying every length of name at every position of the text (slow; the tests' reference)."""
        text = normalise_text(text)
        return self._read(text, *self._candidates_reference(text), self._scan())

    def _scan(self) -> "_Scan":
        """The automaton and the per-name rules of this gazetteer, built once (again if names are added)."""
        version = (len(self.places), len(self.index), self.guard_words, self.kind_priority)
        scan = self.__dict__.get("_scan_state")
        if scan is None or scan.version != version:
            scan = _Scan(version, *_automaton(self.index, self.guard_words),
                         sorted({len(s) for s in self.index}, reverse=True))
            self.__dict__["_scan_state"] = scan
        return scan

    def _candidates_reference(self, text: str) -> tuple[dict[int, list[tuple[int, str]]], list[tuple[int, int]]]:
        """The names of the index at each position of ``text`` (longest first), and the guard words' spans."""
        cands: dict[int, list[tuple[int, str]]] = {}
        n, lengths = len(text), self._scan().lengths
        for i in range(n):
            for length in lengths:
                if i + length <= n:
                    surface = index_key(text[i:i + length])
                    if surface in self.index:
                        cands.setdefault(i, []).append((length, surface))
        return cands, self._guards(text)

    def _candidates(self, text: str, scan: "_Scan") -> tuple[str, dict[int, list[tuple[int, str]]],
                                                              list[tuple[int, int]]]:
        """``text`` and what :meth:`_candidates_reference` finds in it, by the automaton when it can."""
        if scan.automaton is None or any(map(unicodedata.combining, text)):
            # a substring of an NFKC text with combining marks may normalise otherwise: the reference reads it
            return (text, *self._candidates_reference(text))
        cands: dict[int, list[tuple[int, str]]] = {}
        guards: list[tuple[int, int]] = []
        upper = _ASCII_UPPER.search(text) is not None
        for end, (length, is_key, is_ascii, is_guard) in scan.automaton.iter(text.translate(scan.letters)):
            start = end + 1 - length
            if is_guard:
                guards.append((start, end + 1))
            if is_key and not (is_ascii and upper):
                cands.setdefault(start, []).append((length, text[start:end + 1]))
        if upper:  # Latin names match whatever their case: the ASCII letters of the text in lower case
            lowered = text.translate(_ASCII_LOWER)
            for end, (length, is_key, is_ascii, _) in scan.automaton.iter(lowered.translate(scan.letters)):
                if is_key and is_ascii:
                    start = end + 1 - length
                    cands.setdefault(start, []).append((length, lowered[start:end + 1]))
        for found in cands.values():
            found.sort(reverse=True)
        return text, cands, guards

    def find_many(self, texts: Iterable[Any]) -> list[list[Match]]:
        """:meth:`find` of each text; the texts not read before are read together, in one pass of the automaton.

        The same matches as :meth:`find` text by text, kept the same way, without starting the automaton once
        per text (a table's column of distinct addresses).

        Examples
        --------
        >>> [[m.surface for m in ms] for ms in default_gazetteer().find_many(["鹿寨县江口作业区", "某路1号", "雒容镇"])]
        [['鹿寨县', '江口作业区'], [], ['雒容镇']]
        """
        texts = list(texts)
        self._read_many(texts)
        return [self.find(t) for t in texts]

    def _found_many(self, texts: list[str]) -> list[tuple[Match, ...]]:
        """The matches of each text as kept (tuples, not copied): :meth:`find_many` for callers that only read them."""
        self._read_many(texts)
        found = self._scan().found
        get = found.get
        out = []
        for t in texts:
            done = get(t)
            out.append(done if done is not None else tuple(self.find(t)))
        return out

    def _read_many(self, texts: Iterable[Any]) -> None:
        """Read the texts not read before together and keep their matches (:meth:`find_many` without the lists)."""
        scan = self._scan()
        found = scan.found
        # (normalised here without normalise_text's cache: a table's texts are mostly met once)
        todo = {t: "".join(unicodedata.normalize("NFKC", t).split()) for t in dict.fromkeys(texts)
                if type(t) is str and t not in found}
        if todo and scan.automaton is not None:
            self._read_together(todo, scan)
            scan.normal.update(todo)

    def _normal_many(self, texts: Iterable[str]) -> list[str]:
        """:func:`normalise_text` of each text, those read together (:meth:`_read_many`) as they were then."""
        normal = self._scan().normal
        return [normal[t] if t in normal else normalise_text(t) for t in texts]

    def _read_together(self, todo: dict[str, str], scan: "_Scan") -> None:
        """Keep the matches of the texts ``todo`` (raw → normalised), read joined by the sentinel (in no name)."""
        if len(scan.found) + len(todo) >= _FOUND_MAX:
            scan.found.clear()
            scan.normal.clear()
        norms = list(todo.values())
        if any(map(unicodedata.combining, set("".join(norms)))):  # these texts are read one by one (find)
            todo = {raw: t for raw, t in todo.items() if not any(map(unicodedata.combining, t))}
            norms = list(todo.values())
        starts, at = [], 0
        for t in norms:
            starts.append(at)
            at += len(t) + 1
        joined = scan.sentinel.join(norms)
        # per text (by its position in ``norms``, only those with a name or guard word): names and guard words
        cands: dict[int, dict[int, list[tuple[int, str]]]] = {}
        guards: dict[int, list[tuple[int, int]]] = {}
        upper = _ASCII_UPPER.search(joined) is not None
        up = [_ASCII_UPPER.search(t) is not None for t in norms] if upper else None
        for end, (length, is_key, is_ascii, is_guard) in scan.automaton.iter(_translate(joined, scan)):
            start = end + 1 - length
            k = bisect.bisect_right(starts, start) - 1
            i = start - starts[k]
            if is_guard:
                guards.setdefault(k, []).append((i, i + length))
            if is_key and not (is_ascii and up is not None and up[k]):
                cands.setdefault(k, {}).setdefault(i, []).append((length, joined[start:end + 1]))
        if upper:  # Latin names match whatever their case: the ASCII letters of the texts in lower case
            lowered = joined.translate(_ASCII_LOWER)
            for end, (length, is_key, is_ascii, _) in scan.automaton.iter(_translate(lowered, scan)):
                if is_key and is_ascii:
                    start = end + 1 - length
                    k = bisect.bisect_right(starts, start) - 1
                    if up[k]:
                        cands.setdefault(k, {}).setdefault(start - starts[k], []).append(
                            (length, lowered[start:end + 1]))
        raws = list(todo)
        scan.found.update(dict.fromkeys(raws, ()))  # no name in the text (a guard word alone hides nothing)
        for k, c in cands.items():
            for found in c.values():
                found.sort(reverse=True)
            scan.found[raws[k]] = tuple(self._read(norms[k], c, guards.get(k, []), scan))

    def _rules_of(self, surface: str, scan: "_Scan") -> "_NameRules":
        """What :meth:`find` needs to know of the index key ``surface``, worked out once per gazetteer."""
        rules = scan.names.get(surface)
        if rules is None:
            entries = self.lookup_entries(surface)
            rules = scan.names[surface] = _NameRules(
                entries=tuple(entries),
                short_town=all(v == "short" and p.kind == "township" for p, v in entries),
                short_admin=all(v.startswith("short_admin") for _, v in entries),
                rivers=tuple(self.places[k] for k, _ in self.index[surface] if self.places[k].kind == "river"),
                vias=";".join(sorted({via for _, via in entries})))
        return rules

    def _read(self, text: str, cands: dict[int, list[tuple[int, str]]], guards: list[tuple[int, int]],
              scan: "_Scan") -> list[Match]:
        """The matches of :meth:`find`: at each position the longest candidate name that the rules let stand."""
        out: list[Match] = []
        starts = sorted(cands)
        i, n = 0, len(text)
        while i < n:
            for length, surface in cands.get(i, ()):
                j = i + length
                if any(a < j and i < b and not (i <= a and b <= j and (b - a) < length) for a, b in guards):
                    continue  # inside a guard word (a longer place name containing it still counts)
                rules = self._rules_of(surface, scan)
                entries = rules.entries
                if rules.short_town and self.short_not_before and text[j:].startswith(self.short_not_before):
                    continue
                if rules.short_town and not self._is_token(text, i, j, out[-1] if out else None):
                    continue
                if rules.short_admin and not self._admin_short_ok(text, i, j, entries, out[-1] if out else None):
                    continue
                if rules.rivers and entries[0][0].kind != "river" and (
                        text[j:].startswith(self.river_after) or text[:i].endswith(self.river_before)):
                    out.append(Match(i, j, text[i:j], rules.rivers, "river_context"))
                    i = j
                    break
                out.append(Match(i, j, text[i:j], tuple(p for p, _ in entries), rules.vias))
                i = j
                break
            else:  # no name stands here: on to the next position where one starts
                k = bisect.bisect_right(starts, i)
                i = starts[k] if k < len(starts) else n
        return out

    def to_frame(self) -> gpd.GeoDataFrame:
        """The places as a GeoDataFrame (points in EPSG:4326; None where a place has no point)."""
        rows = [p.__dict__ for p in self.places]
        geom = [Point(p.lon, p.lat) if p.has_point else None for p in self.places]
        return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geom, crs="EPSG:4326")

    # -- construction from the shipped layers ------------------------------
    @classmethod
    def from_layers(cls, *, root: str | Path | None = None) -> "Gazetteer":
        """Build the gazetteer from the layers under ``root`` (default: the installed layers)."""
        root = Path(root) if root is not None else layers_dir()
        rules = read_yaml(root / "gazetteer" / "aliases.yaml")
        tokens = rules.get("place_tokens") or {}
        rivers = rules.get("river_context") or {}
        gaz = cls(kind_priority=tuple(rules.get("kind_priority", [])),
                  short_not_before=tuple(rules.get("short_form_not_before", [])),
                  guard_words=tuple(normalise_text(w) for w in rules.get("guard_words", [])),
                  token_after=tuple(tokens.get("after", [])), token_before=tuple(tokens.get("before", [])),
                  token_separators=str(tokens.get("separators", "")),
                  river_after=tuple(rivers.get("after", [])), river_before=tuple(rivers.get("before", [])),
                  city_within=tuple((rules.get("city") or {}).get("within", [])))
        kinds_path = root / "gazetteer" / "osm_kinds.yaml"
        if kinds_path.exists():
            gaz.osm_compatible = tuple((read_yaml(kinds_path) or {}).get("compatible", []))
        layers: dict[str, gpd.GeoDataFrame] = {}
        missing = []
        for name in _BASE_LAYERS:
            gdf = _load_optional(root, name)
            if gdf is None:
                missing.append(name)
            else:
                layers[name] = gdf
        gaz.missing_layers = tuple(missing)
        from ._gazetteer_sources import Builder  # imports this module (Place, Gazetteer): imported here

        Builder(gaz, rules, layers, root).build()
        return gaz


#: Texts whose matches a gazetteer keeps (then it starts again).
_FOUND_MAX = 200_000
_ASCII_UPPER = re.compile("[A-Z]")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class _NameRules:
    """An index key as :meth:`Gazetteer.find` reads it: the places of the winning kind, and which rules apply."""

    entries: tuple[tuple[Place, str], ...]
    short_town: bool
    short_admin: bool
    rivers: tuple[Place, ...]
    vias: str


@dataclass
class _Scan:
    """What :meth:`Gazetteer.find` builds once per gazetteer: the automaton, the name lengths, the texts read."""

    version: tuple
    automaton: Any
    #: The ``str.translate`` table and the sentinel letter of the automaton (see :func:`_automaton`).
    letters: list[int] | None
    sentinel: str
    lengths: list[int]
    letter_array: np.ndarray | None = None
    names: dict[str, _NameRules] = field(default_factory=dict)
    entries: dict[str, tuple[tuple[Place, str], ...]] = field(default_factory=dict)
    found: dict[Any, tuple[Match, ...]] = field(default_factory=dict)
    #: The normalised texts of those read together (:meth:`Gazetteer._read_many`), raw → normalised.
    normal: dict[str, str] = field(default_factory=dict)


def _automaton(index: dict[str, Any], guard_words: tuple[str, ...]) -> tuple[Any, list[int] | None, str]:
    """One Aho-Corasick automaton of the index keys and the guard words (None without ``pyahocorasick``), its letters.

    Each word's value is ``(length, is an index key, is ASCII, is a guard word)``.  The automaton looks a
    letter up among the first letters of its words one by one: a text is read with every letter that is in
    no word as one sentinel letter, the first one tried (``letters``: the ``str.translate`` table doing it,
    for the Basic Multilingual Plane; the sentinel is returned too: texts joined by it are read together).
    """
    try:
        import ahocorasick
    except ImportError:  # the reference reading (every length at every position) does the same, slower
        return None, None, ""
    guards = set(guard_words)
    words = sorted(w for w in set(index) | guards if w)
    if not words:
        return None, None, ""
    alphabet = set("".join(words))
    sentinel, never = [chr(c) for c in range(1, 0xD800) if chr(c) not in alphabet][:2]
    automaton = ahocorasick.Automaton()
    automaton.add_word(sentinel + never, (2, False, False, False))  # ``never`` is read as the sentinel: no match
    for word in words:
        automaton.add_word(word, (len(word), word in index, word.isascii(), word in guards))
    automaton.make_automaton()
    letters = [ord(sentinel)] * 0x10000
    for c in alphabet:
        if ord(c) < 0x10000:
            letters[ord(c)] = ord(c)
    return automaton, letters, sentinel


def _translate(text: str, scan: "_Scan") -> str:
    """``text.translate(scan.letters)`` of a long text (texts joined), by one lookup of all its code points."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if scan.letter_array is None:
        scan.letter_array = np.asarray(scan.letters, dtype=np.uint32)
    if codes.size and codes.max() >= 0x10000:  # beyond the table: kept as they are
        read = np.where(codes < 0x10000, scan.letter_array[np.minimum(codes, 0xFFFF)], codes)
    else:
        read = scan.letter_array[codes]
    return read.astype(np.uint32).tobytes().decode("utf-32-le")


def _load_optional(root: Path, name: str) -> gpd.GeoDataFrame | None:
    """Layer ``name`` of the layers folder ``root``, or None when it has no catalogue entry or no file."""
    try:
        return load_layer(name, root=root)
    except LayerError:
        return None


@functools.lru_cache(maxsize=2)
def _cached(root: str) -> Gazetteer:
    return Gazetteer.from_layers(root=root)


def default_gazetteer() -> Gazetteer:
    """The gazetteer of the installed layers (built once per layers folder)."""
    return _cached(str(layers_dir()))
