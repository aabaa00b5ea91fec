"""Presentation data of the web maps, read from ``layers/map_styles.yaml`` and ``layers/basemaps.yaml``.

Chinese labels, structure styles and basemap definitions are data; this module
only reads them and fills in the Tianditu key from the environment.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from . import settings
from ._errors import InputError, LayerError
from .layers import layers_dir, read_yaml


def map_styles() -> dict[str, Any]:
    """The contents of ``layers/map_styles.yaml``.

    Examples
    --------
    >>> map_styles()["fields"]["name"]
    '名称'
    """
    data = read_yaml(layers_dir() / "map_styles.yaml")
    missing = [k for k in ("fields", "structure_roles", "default_style", "texts") if k not in (data or {})]
    if missing:
        raise LayerError(f"layers/map_styles.yaml lacks {', '.join(missing)}; restore them from the repository.")
    return data


def basemap_catalog() -> dict[str, dict[str, Any]]:
    """The basemaps of ``layers/basemaps.yaml`` by id, in file order (the first is the offline default)."""
    data = read_yaml(layers_dir() / "basemaps.yaml")
    if not isinstance(data, dict) or not data:
        raise LayerError("layers/basemaps.yaml must map basemap ids to {title, datum, tiles}.")
    return data


def resolve_basemaps(names: Sequence[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """The basemaps to offer, the offline one first, with keys filled in from the environment.

    Returns the basemap definitions and notes for the credits (e.g. a
    basemap left out because its key is not set).  A key is read from the
    environment variable named by ``gis.settings.<key_env>`` and appears only
    inside tile URLs.

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
    texts = map_styles()["texts"]
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
