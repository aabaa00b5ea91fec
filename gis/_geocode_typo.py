"""Finer place names the gazetteer does not know: find them in a text, and the one-character slips they may be.

Private to :mod:`gis.geocode` (:func:`gis.geocode.geocode` says what happens to them).  A text naming a
township, village or area (a word ending in 镇/乡/街道/村/社区/片区/园区/开发区 …, the table
``layers/gazetteer/finer_places.yaml``) that no gazetteer name covers has an *unread* finer place.  It
may be a slip of a township or village of the county the text names: :func:`slip_candidates` lists those
one character away (townships: one substituted, inserted or deleted character; villages, many per county:
only a character of the same reading, by :mod:`pypinyin`, or a variant).
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .gazetteer import LEVEL_RANK, Gazetteer, Match, Place, normalise_text
from .layers import layers_dir, read_yaml


@dataclass(frozen=True)
class Unread:
    """A finer place word of a text that no gazetteer name covers: ``word`` (its suffix included) and its rules."""

    word: str
    suffix: str
    level: str
    correct_to: str = ""
    edit: str = ""


@dataclass(frozen=True)
class _Rules:
    suffixes: tuple[dict, ...]
    not_before: tuple[str, ...]
    boundary: str
    generic: frozenset[str]
    separators: str
    #: The first characters of the suffixes: a position starting with none of them ends no finer place.
    first_chars: frozenset[str]
    #: Any character that is a separator, a boundary or a suffix's first: the positions worth a look.
    stops: re.Pattern
    #: Any suffix's first character.
    suffix_start: re.Pattern
    #: The suffixes by their first character (longest first, as ``suffixes``).
    by_first: dict[str, tuple[dict, ...]]


@functools.lru_cache(maxsize=4)
def _rules(root: str, separators: str) -> _Rules:
    data = read_yaml(Path(root) / "gazetteer" / "finer_places.yaml") or {}
    suffixes = sorted(data.get("suffixes", []), key=lambda s: -len(s["word"]))
    first = frozenset(s["word"][0] for s in suffixes)
    boundary = str(data.get("boundary_chars", ""))
    chars = sorted(first | set(boundary) | set(separators))
    stops = re.compile("[" + "".join(re.escape(c) for c in chars) + "]" if chars else "(?!)")
    return _Rules(tuple(suffixes), tuple(data.get("not_before", [])), boundary,
                  frozenset(data.get("generic_stems", [])), separators, first, stops,
                  re.compile("[" + "".join(re.escape(c) for c in sorted(first)) + "]" if first else "(?!)"),
                  {c: tuple(s for s in suffixes if s["word"][0] == c) for c in first})


def may_name_finer(text: str, gaz: Gazetteer, *, root: str | None = None) -> bool:
    """Whether ``text`` (normalised) has a character a finer place word may end with: else :func:`unread_places` is [].

    ``root``: the layers folder in use (as text), when the caller knows it (default :func:`gis.layers.layers_dir`).

    Examples
    --------
    >>> from gis.gazetteer import default_gazetteer
    >>> may_name_finer("柳江区进得镇", default_gazetteer()), may_name_finer("柳北区某路1号地块", default_gazetteer())
    (True, False)
    """
    return _rules(root or str(layers_dir()), gaz.token_separators).suffix_start.search(text) is not None


def finer_start(gaz: Gazetteer) -> re.Pattern:
    """The pattern of the characters a finer place word may end with (:func:`may_name_finer` is its search)."""
    return _rules(str(layers_dir()), gaz.token_separators).suffix_start


def unread_places(text: str, matches: Iterable[Match], gaz: Gazetteer) -> list[Unread]:
    """The finer place words of ``text`` (normalised) outside every gazetteer match, in reading order.

    Examples
    --------
    >>> from gis.gazetteer import default_gazetteer
    >>> gaz = default_gazetteer()
    >>> [u.word for u in unread_places("柳江区进得镇", gaz.find("柳江区进得镇"), gaz)]
    ['进得镇']
    >>> unread_places("柳江区乡村振兴示范带", gaz.find("柳江区乡村振兴示范带"), gaz)
    []
    """
    rules = _rules(str(layers_dir()), gaz.token_separators)
    text = normalise_text(text)
    if rules.suffix_start.search(text) is None:  # no suffix begins anywhere: no finer place word
        return []
    covered = [False] * len(text)
    for m in matches:
        for k in range(m.start, min(m.end, len(text))):
            covered[k] = True
    out: list[Unread] = []
    start = 0  # where the current name may begin: after a match, a separator or a boundary character
    i = 0
    # the positions where something can happen (a match, a separator, a boundary, a suffix's first character)
    stops = sorted({k for k, c in enumerate(covered) if c} | {m.start() for m in rules.stops.finditer(text)})
    while i < len(text):
        k = bisect.bisect_left(stops, i)
        if k == len(stops):  # nothing further can start or end a finer place
            break
        i = stops[k]
        if covered[i] or text[i] in rules.separators:
            start, i = i + 1, i + 1
            continue
        hit = next((s for s in rules.by_first.get(text[i], ()) if text.startswith(s["word"], i)
                    and True not in covered[i:i + len(s["word"])]), None)
        if hit is None:
            if text[i] in rules.boundary:
                start = i + 1
            i += 1
            continue
        j = i + len(hit["word"])
        stem = text[start:i]
        if text[j:].startswith(rules.not_before):  # 乡村, 城镇化: a common word, not a name's end
            i += 1
            continue
        if len(stem) < 2 or stem in rules.generic:  # 乡镇, 工业园区: a word for any place, not a name
            start, i = j, j
            continue
        if text[start:j] in gaz.index:  # a name the gazetteer knows (not taken in this text): not unknown
            start, i = j, j
            continue
        out.append(Unread(text[start:j], hit["word"], hit["level"], hit.get("correct_to", ""), hit.get("edit", "")))
        start, i = j, j
    return out


def finer_than(u: Unread, level: str | None) -> bool:
    """Whether the unread word names a place finer than a result at ``level`` (None: not placed)."""
    return level is None or LEVEL_RANK[u.level] < LEVEL_RANK[level]


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by exactly one substituted, inserted or deleted character."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:k] + long_[k + 1:] == short for k in range(len(long_)))


@functools.lru_cache(maxsize=4096)
def _readings(ch: str) -> frozenset[str]:
    """The toneless pinyin readings of one character (empty when pypinyin does not know it)."""
    from pypinyin import Style, pinyin  # imported when a slip is looked for: the geocoder runs without it otherwise

    got = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    return frozenset(got[0]) if got else frozenset()


def homophone_slip(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ in one character only, the two read alike (a homophone or variant).

    Examples
    --------
    >>> homophone_slip("进得镇", "进德镇"), homophone_slip("黄免镇", "黄冕镇"), homophone_slip("大塘村", "六塘村")
    (True, True, False)
    """
    if len(a) != len(b):
        return False
    diff = [(x, y) for x, y in zip(a, b) if x != y]
    return len(diff) == 1 and bool(_readings(diff[0][0]) & _readings(diff[0][1]))


def slip_candidates(u: Unread, scope: list[Place]) -> list[Place]:
    """The places of ``scope`` (of kind ``u.correct_to``) that ``u.word`` is a one-character slip of."""
    if not u.correct_to:
        return []
    test = homophone_slip if u.edit == "homophone" else _one_edit
    found = [p for p in scope if p.kind == u.correct_to and p.has_point and test(u.word, p.name)]
    return list({(p.name, p.county, p.township): p for p in found}.values())


def slip_note(u: Unread, p: Place) -> str:
    """What kind of slip ``u.word`` → ``p.name`` is, in Chinese."""
    return "同音字" if homophone_slip(u.word, p.name) else "相差一字"
