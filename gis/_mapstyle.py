"""Presentation data of the web maps, read from ``layers/map_styles.yaml`` and ``layers/basemaps.yaml``.

Chinese labels, structure styles and basemap definitions are data; this module
only reads them and fills in the Tianditu key from the environment.
"""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Mapping, Sequence
from typing import Any

from . import settings
from ._errors import InputError, LayerError
from .city import profile
from .layers import layers_dir, read_yaml


def map_styles() -> dict[str, Any]:
    """The contents of ``layers/map_styles.yaml``, its ``texts`` completed by the city profile's (``city.yaml``).

    Examples
    --------
    >>> map_styles()["fields"]["name"]
    '名称'
    """
    data = read_yaml(layers_dir() / "map_styles.yaml")
    missing = [k for k in ("fields", "structure_roles", "default_style", "texts") if k not in (data or {})]
    if missing:
        raise LayerError(f"layers/map_styles.yaml lacks {', '.join(missing)}; restore them from the repository.")
    # the city's own texts (name, 审图号 caveat, CRS line …) come from its profile, city.yaml
    return {**data, "texts": {**data["texts"], **profile().texts}}


def column_titles() -> dict[str, dict[str, Any]]:
    """Chinese titles and value words of machine column names (``layers/columns.yaml``, read by
    :mod:`gis._columns`): ``columns`` (exact name → ``{title, …}``) and ``values`` (name → code → word).

    Examples
    --------
    >>> t = column_titles()
    >>> t["columns"]["geocode_status"]["title"], t["values"]["geocode_status"]["matched"]
    ('定位状态', '已定位')
    """
    from ._columns import _data

    data = _data()
    values = {str(k): {str(c): str(w) for c, w in dict(v).items()} for k, v in data["values"].items()}
    return {"columns": dict(data["columns"]), "values": values}


def basemap_catalog() -> dict[str, dict[str, Any]]:
    """The basemaps of ``layers/basemaps.yaml`` by id, in file order (the first is the offline default)."""
    data = read_yaml(layers_dir() / "basemaps.yaml")
    if not isinstance(data, dict) or not data:
        raise LayerError("layers/basemaps.yaml must map basemap ids to {title, datum, tiles}.")
    return data


def resolve_basemaps(names: Sequence[str], *, texts: Mapping[str, Any] | None = None
                     ) -> tuple[list[dict[str, Any]], list[str]]:
    """The basemaps to offer, the offline one first, with keys filled in from the environment.

    Returns the basemap definitions and notes for the credits (e.g. a
    basemap left out because its key is not set).  A key is read from the
    environment variable named by ``gis.settings.<key_env>`` and appears only
    inside tile URLs.  ``texts`` are the ``texts`` of :func:`map_styles` when the caller has read them.

    Examples
    --------
    >>> import os
    >>> os.environ.pop(settings.tianditu_key_env, None) and None
    >>> bases, notes = resolve_basemaps(["osm", "tianditu"])
    >>> [b["id"] for b in bases], "TIANDITU_KEY" in notes[0]
    (['offline', 'osm'], True)
    """
    catalog = basemap_catalog()
    offline_id = next(iter(catalog))
    unknown = [n for n in names if n not in catalog]
    if unknown:
        raise InputError(
            f"basemaps: unknown basemap(s) {', '.join(map(repr, unknown))}; use any of "
            f"{', '.join(k for k in catalog if k != offline_id)} (see layers/basemaps.yaml)."
        )
    texts = map_styles()["texts"] if texts is None else texts
    out: list[dict[str, Any]] = []
    notes: list[str] = []
    for name in [offline_id, *[n for n in dict.fromkeys(names) if n != offline_id]]:
        entry = dict(catalog[name])
        tiles = [dict(t) for t in entry.get("tiles") or []]
        key_setting = entry.get("key_env")
        if key_setting:
            env = getattr(settings, key_setting)
            key = os.environ.get(env, "").strip()
            if not key:
                notes.append(texts["tianditu_missing"].format(env=env))
                continue
            for t in tiles:
                t["url"] = t["url"].replace("{key}", key)
        out.append({"id": name, "title": entry["title"], "datum": entry.get("datum", "wgs84"), "tiles": tiles})
    return out, notes


def plan_titles() -> dict[str, dict[str, Any]]:
    """The plan documents by seed file (``layers/plan_titles.yaml``): title, issuer, per-section titles."""
    path = layers_dir() / "plan_titles.yaml"
    return copy.deepcopy(_plan_titles(str(path), path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=4)
def _plan_titles(path: str, _mtime: int) -> dict[str, dict[str, Any]]:
    from pathlib import Path

    data = read_yaml(Path(path)) or {}
    files = data.get("files")
    if not isinstance(files, dict):
        raise LayerError("layers/plan_titles.yaml must hold files: {seed file: {title, issuer, sections}}.")
    return files


def _split(text: Any) -> list[str]:
    if text is None or (isinstance(text, float) and text != text):
        return []
    return [p.strip() for p in str(text).replace(";", "；").split("；") if p.strip()]


def cite(source_file: Any, section: Any, *, titles: dict[str, dict[str, Any]] | None = None) -> tuple[str, str]:
    """A feature's source as officials cite it: document title and section, and the seed file(s) as reference.

    ``section`` may list several places separated by ``；``, each starting with the short name of the plan
    (``物流规划·专栏5-1``); a file holding several plans gives each its own title.

    Returns
    -------
    (citation, reference)
        e.g. ``('《柳州市物流业发展“十四五”规划》专栏4-1', '002_cea03bdf2b5fe175.txt')``.

    Examples
    --------
    >>> cite("002_cea03bdf2b5fe175.txt", "物流规划·专栏4-1；物流规划·第三章第一节")[0]
    '《柳州市物流业发展“十四五”规划》专栏4-1、第三章第一节'
    >>> cite("004_9db75a2811220992.txt", "柳州市新型城镇化规划（2021—2035年）第二篇")[0]
    '《柳州市新型城镇化规划(2021—2035年)》第二篇'
    >>> cite("unknown.txt", "第一章")
    ('unknown.txt 第一章', 'unknown.txt')
    """
    titles = plan_titles() if titles is None else titles
    files = _split(source_file)
    parts = _split(section)
    by_title: dict[str, list[str]] = {}

    def add(title: str, rest: str) -> None:
        by_title.setdefault(title, [])
        rest = rest.strip(" ·")
        if rest and rest not in by_title[title]:
            by_title[title].append(rest)

    for part in parts or [""]:
        placed = False
        for f in files:
            entry = titles.get(f) or {}
            head, _, tail = part.partition("·")
            sections = entry.get("sections") or {}
            if head in sections:
                add(sections[head], tail)
                placed = True
            elif head in (entry.get("nicknames") or []):
                add(entry["title"], tail)
                placed = True
            else:
                for title in sections.values():
                    bare = title.strip("《》")
                    norm = part.replace("（", "(").replace("）", ")")
                    if norm.startswith(bare):
                        add(title, norm[len(bare):])
                        placed = True
                        break
            if placed:
                break
        if not placed:
            known = [titles[f]["title"] for f in files if f in titles]
            if known and len(files) == 1:
                add(known[0], part)
            elif part or not known:
                add(" ".join(files), part)
            else:
                for t in known:
                    add(t, "")
    citation = "；".join((t + (" " if not t.endswith("》") and not t.endswith(")") else "") + "、".join(r)).strip()
                        for t, r in by_title.items())
    return citation, "、".join(files)
