"""The shipped layers: where they are, what they are, and loading them.

Every layer is a GeoJSON file in lon/lat (WGS-84) under ``layers/`` plus a
catalogue entry ``layers/catalog/<name>.yaml`` that says what it is::

    name: townships                # the id used by load_layer()
    file: base/townships.geojson   # relative to layers/
    title: 乡镇(街道)驻地            # Chinese title for legends and layer controls
    group: 乡镇                    # layer-control group
    kind: point                    # point / line / polygon
    description: ...
    source: ...                    # where the data comes from
    licence: CC BY 4.0
    attribution: ...
    style: {color: "#...", weight: 2, dash: null, radius: 4, fill_opacity: 0.2}

Planning semantics (titles, groups, styles) are data here, not code.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import yaml

from . import city
from ._errors import LayerError

_REQUIRED_KEYS = ("name", "file", "title", "group", "kind", "source", "licence", "attribution")


def layers_dir() -> Path:
    """The folder shipped layers are read from (``gis.settings.layers_dir`` or the installed copy)."""
    return city.layers_root()


def read_yaml(path: Path) -> Any:
    """Read a UTF-8 YAML file, naming the file in any error."""
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError as exc:
        raise LayerError(f"{path}: file not found.") from exc
    except yaml.YAMLError as exc:
        raise LayerError(f"{path}: is not valid YAML ({exc}). Fix the syntax at the position shown.") from exc


@functools.lru_cache(maxsize=4)
def _catalog(root: Path) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    for path in sorted((root / "catalog").glob("*.yaml")):
        entry = read_yaml(path)
        if not isinstance(entry, dict):
            raise LayerError(f"{path}: a catalogue entry must be a mapping with keys {', '.join(_REQUIRED_KEYS)}.")
        missing = [k for k in _REQUIRED_KEYS if not entry.get(k)]
        if missing:
            raise LayerError(f"{path}: catalogue entry lacks {', '.join(missing)}; add them.")
        entries[entry["name"]] = entry
    return entries


def catalog(*, root: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """All catalogue entries by layer name (of the layers folder ``root``; default: :func:`layers_dir`)."""
    return _catalog(Path(root) if root is not None else layers_dir())


def _title_key(text: str) -> str:
    """A title as compared: NFKC (full-width brackets are ASCII ones), no spaces, case-folded."""
    return unicodedata.normalize("NFKC", str(text)).replace(" ", "").casefold()


def resolve_layer_name(name: str, *, root: str | Path | None = None) -> str:
    """The machine name of a layer given by its name or by its Chinese title (or an unambiguous part of it).

    Tried in order, the first step that finds exactly one layer wins: the machine name; the whole
    ``title`` of the catalogue (full- or half-width brackets alike); the title without its bracketed
    remark (``铁路`` for ``铁路(OSM 路网图, …)``); titles beginning with ``name``; titles containing it.
    A step that finds several layers is an error listing them with their machine names.

    Raises
    ------
    LayerError
        No layer matches (the known layers are listed, with their titles), or several do.

    Examples
    --------
    >>> resolve_layer_name("物流"), resolve_layer_name("乡镇（街道）驻地"), resolve_layer_name("townships")
    ('logistics', 'townships', 'townships')
    """
    entries = catalog(root=root)
    if name in entries:
        return name
    key = _title_key(name)
    titles = {n: _title_key(e.get("title", "")) for n, e in entries.items()}
    bases = {n: re.split(r"[(\[]", t, maxsplit=1)[0] for n, t in titles.items()}
    steps = (("title", lambda n: titles[n] == key), ("title", lambda n: bases[n] == key),
             ("title beginning", lambda n: titles[n].startswith(key)), ("title containing", lambda n: key in titles[n]))
    for what, test in steps if key else ():
        hits = [n for n in entries if test(n)]
        if len(hits) == 1:
            return hits[0]
        if hits:
            listed = ", ".join(f"{n} ({entries[n]['title']})" for n in sorted(hits))
            raise LayerError(f"layer {name!r} is ambiguous: {len(hits)} layers have a {what} {name!r}: {listed}. "
                             "Give the machine name or the whole title.")
    known = ", ".join(f"{n} ({e['title']})" for n, e in sorted(entries.items()))
    raise LayerError(f"unknown layer {name!r}. Known layers: {known or '(none)'}. See gis.list_layers() "
                     "(`lzgis layers`).")


def layer_info(name: str, *, root: str | Path | None = None) -> dict[str, Any]:
    """The catalogue entry of one layer, by machine name or Chinese title (:func:`resolve_layer_name`).

    Raises :class:`LayerError` naming the known layers, or the candidates of an ambiguous title.
    """
    return catalog(root=root)[resolve_layer_name(name, root=root)]


def list_layers() -> pd.DataFrame:
    """A table of the shipped layers: name, Chinese title, group, kind, features, licence.

    Examples
    --------
    >>> t = list_layers()
    >>> {"counties", "townships"} <= set(t["name"])
    True
    """
    rows = []
    for name, entry in catalog().items():
        path = layers_dir() / entry["file"]
        rows.append({
            "name": name,
            "title": entry["title"],
            "group": entry["group"],
            "kind": entry["kind"],
            "file": entry["file"],
            "exists": path.exists(),
            "licence": entry["licence"],
        })
    return pd.DataFrame(rows, columns=["name", "title", "group", "kind", "file", "exists", "licence"])


def load_layer(name: str, *, root: str | Path | None = None) -> gpd.GeoDataFrame:
    """Load a shipped layer as a GeoDataFrame in EPSG:4326.

    ``name`` is the machine name (``logistics``) or the Chinese title, whole or an unambiguous part
    (``物流枢纽与园区``, ``物流``; see :func:`resolve_layer_name`).  The catalogue entry is attached as
    ``gdf.attrs["layer"]``.  ``root`` is
    another layers folder to read from (a build in progress, a test copy);
    default :func:`layers_dir`.

    Examples
    --------
    >>> towns = load_layer("townships")
    >>> len(towns)
    118
    """
    entry = layer_info(name, root=root)
    path = (Path(root) if root is not None else layers_dir()) / entry["file"]
    if not path.exists():
        raise LayerError(
            f"layer {entry['name']!r}: its file {path} is missing. Rebuild the layers with "
            "`python -m gis.layer_pipeline` from a source checkout, or reinstall liuzhou-gis."
        )
    gdf = gpd.read_file(path, engine="pyogrio")
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    gdf.attrs["layer"] = dict(entry)
    return gdf
