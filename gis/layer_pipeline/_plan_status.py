"""The status of a plan row: the status words of ``layers/sources/status_words.yaml``, the word of a row without
one, and one status per entity (:mod:`gis.layer_pipeline.plans`)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import geopandas as gpd

from .._errors import LayerError
from ..gazetteer import normalise_text
from ..layers import layers_dir, read_yaml
from ._plan_links import LINKED_LAYERS
from ._plan_rows import _clean, name_key

STATUS_CLASSES = ("existing", "under_construction", "planned", "reserve", "unknown")


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


#: The order of the status classes: the most advanced state a source reports wins (:func:`share_status`).
STATUS_ORDER = {"existing": 4, "under_construction": 3, "planned": 2, "reserve": 1, "unknown": 0}


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
