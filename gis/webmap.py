"""Self-contained offline web maps: one HTML file that opens by double-click with no internet.

:func:`make_map` draws the administrative polygons (the offline basemap), a
planning structure (core / wings / clusters / nodes), any shipped layer or
GeoDataFrame (plan layers, analysis results) and user files over each other,
with a grouped layer control in Chinese, Chinese popups, a legend of what is drawn,
search by name, filters by status and county, permanent labels that avoid one another,
a scale bar, a north arrow, full screen, a title, the map's date and a note of sources
and licences (plan documents by title, ``layers/plan_titles.yaml``).  Points placed only
to a township, county or the city are drawn as hollow counted symbols (one per place,
listing them); areas lie under lines, lines under points, and unfilled outlines catch no
clicks.  :func:`save_map` writes it as HTML, or as a print-ready PDF/PNG
(:mod:`gis.printmap`).  This module assembles the page; what each layer draws
(styles, classes, popups, counted symbols) is its spec, :mod:`gis._layerspec`.

What makes the page safe to hand to anyone:

- *offline*: Leaflet and the map's own script and style are inlined
  (:mod:`gis._assets`); the default basemap fetches nothing.  OpenStreetMap,
  Tianditu and Gaode tiles are only requested when a user switches to them;
- *escaped*: every attribute value, column name, layer title and text that
  reaches the page is HTML-escaped in Python (here and in :mod:`gis._layerspec`),
  and reaches folium's Jinja rendering only as a value, never as template source
  (:mod:`gis._html`);
- *GCJ-02 aware*: Gaode tiles are drawn in GCJ-02, so while the Gaode basemap
  is active the overlays are shifted to GCJ-02 for display (with the same
  closed form as :func:`gis.datum.wgs84_to_gcj02`) and a notice says so;
- *small*: geometry is simplified for display in the analysis CRS, coordinates
  are rounded to 1e-5 degree (about a metre) and Chinese text is not
  \\u-escaped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from . import _assets, _html
from ._errors import InputError, require
from ._io import atomic_write
from ._layerspec import _DECIMALS, _colours_of, _esc, _free_colour, _is_missing, _layer_spec
from ._layerspec import _categories as _categories  # noqa: F401 - tests reach these through gis.webmap
from ._layerspec import _display_geometry as _display_geometry  # noqa: F401
from ._layerspec import _marks as _marks  # noqa: F401
from ._legend import legend_model
from ._mapstyle import cite, map_styles, plan_titles, resolve_basemaps
from .city import profile
from .crs import detect_crs

__all__ = ["make_map", "save_map", "map_html", "read_user_layer"]


# ---------------------------------------------------------------- user files


def read_user_layer(path: str | os.PathLike, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """A user's vector file for the map, in EPSG:4326, titled by its file name.

    Reading (GeoPackage, GeoJSON, Shapefile, CSV/Excel with lon/lat columns, encodings) is
    :func:`gis.readers.read_vector`; a file without an identifiable CRS is refused there.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "我的点.csv"
    >>> _ = p.write_text("名称,经度,纬度\\n柳州站,109.43,24.33\\n", encoding="utf-8")
    >>> g = read_user_layer(p)
    >>> g.attrs["layer"]["title"], g.crs.to_epsg()
    ('我的点', 4326)
    """
    from .readers import read_vector

    path = Path(path)
    gdf = read_vector(path, layer=layer)
    if gdf.crs is None:
        gdf = gdf.set_crs(detect_crs(gdf, layer=str(path)))
    gdf = gdf.to_crs("EPSG:4326")
    gdf.attrs["layer"] = {"title": _data_title(path, layer) or (path.stem if layer is None else f"{path.stem}:{layer}"),
                          "source": path.name}
    return gdf


def _data_title(path: Path, layer: str | None) -> str | None:
    """A user layer's own title: a GeoJSON's ``name``/``title`` member, or a GeoPackage layer's
    description or identifier (its name when the file holds several layers); ``None`` when the data has none."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".geojson", ".json"):
            with open(path, encoding="utf-8-sig") as fh:
                head = json.load(fh)
            for key in ("title", "name"):
                if isinstance(head.get(key), str) and head[key].strip():
                    return head[key].strip()
        elif suffix == ".gpkg":
            import sqlite3

            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
                rows = con.execute("SELECT table_name, identifier, description FROM gpkg_contents "
                                   "WHERE data_type = 'features'").fetchall()
            for table, identifier, description in rows:
                if layer is None or table == layer:
                    for text in (description, identifier, table if len(rows) > 1 or layer else None):
                        if text and str(text).strip() and str(text).strip() != path.stem:
                            return str(text).strip()
    except (OSError, ValueError, AttributeError):
        return None
    except Exception:  # noqa: BLE001 - a malformed container only loses its title; reading it reports the rest
        return None
    return None


# ---------------------------------------------------------------- layers, labels and credits of the page


def _as_layer(item: Any, *, where: str) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    if isinstance(item, str):
        from .layers import load_layer

        gdf = load_layer(item)
        return gdf, dict(gdf.attrs.get("layer", {}))
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Mapping):
        gdf, info = _as_layer(item[0], where=where)
        return gdf, {**info, **dict(item[1])}
    if isinstance(item, gpd.GeoDataFrame):
        return item, dict(item.attrs.get("layer", {}))
    raise InputError(
        f"{where}: expected a layer name, a GeoDataFrame or (either, {{'title': …}}), got {type(item).__name__}."
    )


def _structure_layers(structure: Any, styles: Mapping[str, Any]) -> list[tuple[gpd.GeoDataFrame, dict[str, Any]]]:
    """One layer per role of a structure (圈 / 核 / 翼 / 组团 / 支点 / 轴 …), in the structure's own order.

    A role's style comes from the structure's style columns (first element of the role), falling back
    to ``structure_roles`` of ``layers/map_styles.yaml``.
    """
    if isinstance(structure, str):
        from .structure import structure as load_structure

        gdf = load_structure(structure)
    elif isinstance(structure, gpd.GeoDataFrame):
        gdf = structure
    else:
        raise InputError(f"structure: expected a structure name or a GeoDataFrame, got {type(structure).__name__}.")
    meta = dict(gdf.attrs.get("structure", {}) or gdf.attrs.get("layer", {}) or {})
    group = f"{styles['structure_group']}:{meta['name']}" if meta.get("name") else styles["structure_group"]
    credit: dict[str, Any] = {"attribution": meta.get("title")}
    citation = (cite(meta.get("source_file"), meta.get("section"), titles=styles.get("_plan_titles"))[0]
                if meta.get("source_file") else "")
    plans = _TITLE.findall(citation)
    if plans:
        credit["plans"] = plans[:1]
        # an element's section ("第二篇 第三章 …") belongs to the structure's plan, not to the whole 公报 file
        if "section" in gdf.columns:
            gdf = gdf.assign(plan_title=plans[0])
    elif meta.get("source_file"):
        credit["source"] = " ".join(str(meta[k]) for k in ("source_file", "section") if meta.get(k))
    if "role" not in gdf.columns:
        return [(gdf, {"title": meta.get("title") or group, "group": group, **credit})]
    roles = styles["structure_roles"]
    elements = styles.get("structure_elements") or {}
    style_keys = ("color", "fill_color", "weight", "dash", "opacity", "fill_opacity", "radius")
    out = []
    for role in dict.fromkeys(gdf["role"].dropna().astype(str)):
        part = gdf[gdf["role"].astype(str) == role]
        preset = roles.get(role, {})
        first = part.iloc[0]
        style = {**preset.get("style", {}),
                 **{k: first[k] for k in style_keys if k in part.columns and not _is_missing(first[k])}}
        info: dict[str, Any] = {"title": preset.get("title", role), "group": group, "style": style,
                                "honest": False, **credit}
        colours = (elements.get(role) or {}).get("colours")
        names = list(dict.fromkeys(part["name"].astype(str))) if "name" in part.columns else []
        if colours and 1 < len(names) <= len(colours):  # each 翼 / 组团 its own colour, named in the legend
            info["classes"] = {"field": "name", "items": [
                {"label": n, "values": [n], "color": c, "fill_color": c} for n, c in zip(names, colours)]}
        out.append((part, info))
    return out


def _anchor(geom: shapely.Geometry) -> tuple[float, float]:
    """Where a label sits: a point itself, else the centre of the largest circle inside the (largest) polygon."""
    if geom.geom_type == "Point":
        return float(geom.x), float(geom.y)
    if geom.geom_type == "MultiPolygon":
        geom = max(geom.geoms, key=lambda g: g.area)
    if geom.geom_type == "Polygon":
        from shapely.ops import polylabel

        p = polylabel(geom, tolerance=0.002)
    else:
        p = geom.representative_point()
    return round(float(p.x), _DECIMALS), round(float(p.y), _DECIMALS)


def _labels(structure_parts: Sequence[tuple[gpd.GeoDataFrame, dict[str, Any]]],
            styles: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Permanent labels: districts/counties, the structure's elements, county seats and towns (``labels`` and
    ``structure_elements`` of ``layers/map_styles.yaml``).  Text is escaped; positions are lon/lat."""
    from .layers import catalog, load_layer

    elements = styles.get("structure_elements") or {}
    out: list[dict[str, Any]] = []
    element_names: set[str] = set()
    for part, _info in structure_parts:
        if "role" not in part.columns or "name" not in part.columns:
            continue
        for row in part.to_crs("EPSG:4326").itertuples():
            rule = elements.get(str(row.role))
            if not rule or row.geometry is None or row.geometry.is_empty:
                continue
            name = str(row.name)
            point = row.geometry.geom_type in ("Point", "MultiPoint")
            word = str(rule.get("label", row.role))
            text = name if point or name.endswith(word) else f"{name}({word})"
            element_names.add(name)
            lon, lat = _anchor(row.geometry)
            out.append({"t": _esc(text), "ll": [lon, lat], "p": int(rule.get("priority", 5)),
                        "z": int(rule.get("min_zoom", 0)), "c": "node" if point else "element", "pr": True})
    known = catalog()
    for rule in styles.get("labels") or []:
        if rule.get("layer") not in known:
            continue
        gdf = load_layer(rule["layer"])
        field = rule.get("field", "name")
        if field not in gdf.columns:
            continue
        for value, geom in zip(gdf[field], gdf.geometry):
            if _is_missing(value) or geom is None or geom.is_empty or str(value) in element_names:
                continue
            lon, lat = _anchor(geom)
            out.append({"t": _esc(str(value)), "ll": [lon, lat], "p": int(rule.get("priority", 1)),
                        "z": int(rule.get("min_zoom", 0)), "c": str(rule.get("class", "place")),
                        "pr": bool(rule.get("print", False))})
    # one label per name: a town that is also a county seat (or a 支点) is named once, by the higher priority
    out.sort(key=lambda lb: -lb["p"])
    seen: set[str] = set()
    unique = []
    for lb in out:
        if lb["t"] not in seen:
            seen.add(lb["t"])
            unique.append(lb)
    return unique


def _user_labels(specs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Labels of the features of user layers (``labelled`` specs): the (escaped) name at the feature's anchor,
    class ``user``, with ``f`` = [layer, feature] (the spec's position and the feature's in its data)."""
    out: list[dict[str, Any]] = []
    for k, spec in enumerate(specs):
        if not spec.get("labelled"):
            continue
        for i, (geom, props) in enumerate(zip(spec["_print"]["geoms"], spec["_print"]["props"])):
            if not props.get("name") or geom is None or geom.is_empty:
                continue
            lon, lat = _anchor(geom if geom.geom_type != "MultiPoint" else geom.geoms[0])
            out.append({"t": props["name"], "ll": [round(lon, _DECIMALS), round(lat, _DECIMALS)], "p": 4, "z": 0,
                        "c": "user", "pr": True, "f": [k, i], **({"o": 1} if props.get("_out") else {})})
    return out


def _base_layers(base: Iterable[Any] | None, styles: Mapping[str, Any]) -> list[Any]:
    if base is not None:
        return list(base)
    from .layers import catalog

    known = catalog()
    return [name for name in styles.get("base_layers", []) if name in known]


def _context_layers(styles: Mapping[str, Any], skip: set[str]) -> list[Any]:
    """The geography drawn in every map when shipped (``context_layers``): rivers, roads, railways, township areas."""
    from .layers import catalog

    known = catalog()
    return [name for name in styles.get("context_layers", []) if name in known and name not in skip]


_TITLE = re.compile(r"《[^》]+》(?:\(\d{4}\))?")


def _plan_titles_of(gdf: gpd.GeoDataFrame, titles: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """The plan documents a layer's features cite, by title, in order of first use."""
    if "source_file" not in gdf.columns:
        return []
    titles = plan_titles() if titles is None else titles
    seen: dict[str, None] = {}
    pairs = gdf[[c for c in ("source_file", "section") if c in gdf.columns]].astype(str).drop_duplicates()
    for row in pairs.itertuples(index=False):
        citation = cite(row[0], row[1] if len(row) > 1 else None, titles=titles)[0]
        for t in _TITLE.findall(citation):
            seen.setdefault(t, None)
    return list(seen)


def _map_date() -> str:
    """Today (or ``SOURCE_DATE_EPOCH`` for reproducible builds) as YYYY-MM-DD."""
    import datetime as _dt

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    day = _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).date() if epoch else _dt.date.today()
    return day.isoformat()


# ---------------------------------------------------------------- the map


def make_map(
    layers: Sequence[Any] = (),
    *,
    title: str | None = None,
    note: str | None = None,
    structure: gpd.GeoDataFrame | str | None = None,
    add: Sequence[str | os.PathLike | gpd.GeoDataFrame] | None = None,
    base: Sequence[Any] | None = None,
    basemaps: Sequence[str] = ("osm", "tianditu", "gaode"),
    simplify_m: float = 30.0,
    label: str | None = None,
    labels: bool = True,
    titles: Sequence[str | None] | None = None,
):
    """Build a self-contained offline web map.

    Parameters
    ----------
    layers : sequence of str, GeoDataFrame or (GeoDataFrame, dict)
        Overlays in drawing order: shipped layer names (:func:`gis.load_layer`), GeoDataFrames
        (analysis results, your own data) or pairs of either and its presentation
        (``title``, ``group``, ``style``, ``kind``, ``show``, ``legend``, ``source``, ``licence``, ``fit``
        (the map opens on the layers given ``fit=True``, else on the administrative basemap),
        ``attribution``, and ``classes`` / ``marks`` / ``shape`` / ``z`` as in ``layer_styles`` of
        ``layers/map_styles.yaml``).  A GeoDataFrame's ``attrs["layer"]`` supplies the same keys;
        a layer whose ``name`` (or ``layer_style``) has an entry in ``layer_styles`` gets its
        categorized style from there (keys given here win, except the style of that entry).
    title : str, optional
        The map's title, shown on the page and as the window title; default the city profile's
        (``map.title`` of ``city.yaml``: 柳州市空间规划图).
    note : str, optional
        A short reading note shown under the title (what dashed or faded lines mean …).
    structure : str or GeoDataFrame, optional
        A planning structure (:func:`gis.structure` name or its GeoDataFrame with a ``role``
        column: core / wing / cluster / node …), drawn as one styled layer per role.
    add : sequence of path-like or GeoDataFrame, optional
        User files (GeoPackage, GeoJSON, Shapefile, CSV with lon/lat), drawn on top, each with
        all its attributes in the popup; or such a file already read by :func:`read_user_layer`.
    base : sequence, optional
        The administrative polygons drawn first as the offline basemap; by default the
        ``base_layers`` of ``layers/map_styles.yaml`` that are shipped.
    basemaps : sequence of str
        Online basemaps offered besides the offline default, from ``layers/basemaps.yaml``
        (``osm``, ``tianditu``, ``gaode``).  Tianditu needs its key in the environment variable
        named by ``gis.settings.tianditu_key_env``; without it, it is left out with a note.
    simplify_m : float
        Display simplification tolerance in metres (analysis CRS); 0 keeps every vertex.
    label : str, optional
        The column that names the features of the ``add`` layers; by default the first of ``name``, the
        geocoder's name columns (项目名称, 名称 …) and ``title`` (:func:`gis.geocode.label_column`).
    labels : bool
        Name the features of the ``add`` layers on the map (default).  Where names would collide (at the
        opening zoom of the web map; on the printed page by the extents of the text) a feature gets a
        number instead, listed in a key (编号 — 名称): a panel of the web map, the margin of the page.
    titles : sequence of str, optional
        The legend titles of the ``add`` layers, in order (``None`` keeps the file's own title or name).

    Returns
    -------
    folium.Map
        Write it with :func:`save_map`; every asset is inlined.
    """
    folium = require("folium", extra="maps", feature="web maps")

    styles = map_styles()
    title = profile().map_title if title is None else title
    styles["_plan_titles"] = plan_titles()
    texts = styles["texts"]
    entries: list[tuple[gpd.GeoDataFrame, dict[str, Any], bool]] = []
    base_items = _base_layers(base, styles)
    for i, item in enumerate(base_items):
        gdf, info = _as_layer(item, where=f"base[{i}]")
        info.setdefault("legend", True)
        info["fit"] = True
        entries.append((gdf, info, False))
    layer_styles = styles.get("layer_styles", {})
    names_given = {item for item in layers if isinstance(item, str)} | {
        item[0] for item in layers if isinstance(item, tuple) and isinstance(item[0], str)}
    if base is None:  # the shipped geography (rivers, roads, railways, township areas) under the plan layers
        for name in _context_layers(styles, skip={str(b) for b in base_items} | names_given):
            gdf, info = _as_layer(name, where=f"context {name}")
            preset = layer_styles.get(name) or {}
            info = {**info, **{k: v for k, v in preset.items() if k != "style"},
                    "style": {**dict(info.get("style") or {}), **dict(preset.get("style") or {})},
                    "group": styles.get("context_group", "地理底图"), "context": True}
            entries.append((gdf, info, False))
    structure_parts = _structure_layers(structure, styles) if structure is not None else []
    entries.extend((gdf, info, False) for gdf, info in structure_parts)
    overlays = []
    for i, item in enumerate(layers):
        gdf, info = _as_layer(item, where=f"layers[{i}]")
        preset = layer_styles.get(info.get("layer_style") or info.get("name")) or {}
        info = {**preset, **info, "style": {**dict(info.get("style") or {}), **dict(preset.get("style") or {})}}
        overlays.append((gdf, info, not info.get("group") or bool(info.get("user"))))
    # keep each group's layers together in the layer control and legend (first appearance decides the order)
    if any(info.get("fit") for _, info, _ in overlays):  # the map opens on these layers, not the whole city
        entries = [(gdf, {**info, "fit": False}, a) for gdf, info, a in entries]
    group_order = list(dict.fromkeys(str(info.get("group")) for _, info, _ in overlays))
    overlays.sort(key=lambda e: group_order.index(str(e[1].get("group"))))
    entries.extend(overlays)
    add = list(add or [])
    if titles is not None and len(titles) > len(add):
        raise InputError(f"titles: {len(titles)} titles for {len(add)} added layers; give one title per --add "
                         "file (in the same order), or fewer.")
    for k, path in enumerate(add):
        gdf = path if isinstance(path, gpd.GeoDataFrame) else read_user_layer(path)  # already read (lzgis map)
        info = dict(gdf.attrs.get("layer") or {})
        info.setdefault("title", f"图层{k + 1}")
        if titles is not None and k < len(titles) and titles[k] is not None and str(titles[k]).strip():
            info["title"] = str(titles[k]).strip()
        info.setdefault("group", styles["user_group"])
        info.update(user_file=True, label=label, labels=bool(labels))
        entries.append((gdf, info, True))

    fit_given = any(info.get("fit") for _, info, _ in overlays)
    specs: list[dict[str, Any]] = []
    by_content: dict[str, list[str]] = {}
    for i, (gdf, info, all_fields) in enumerate(entries):
        if all_fields and not (info.get("style") or {}).get("color"):
            # a user layer: the palette colour farthest from every colour already drawn
            used = [c for s in specs for c in _colours_of(s)]
            info = {**info, "style": {**dict(info.get("style") or {}),
                                      "color": _free_colour(styles["user_palette"], used)}}
        spec = _layer_spec(gdf, info, index=i, styles=styles, simplify_m=simplify_m, all_fields=all_fields)
        if spec is None:
            continue
        # open on the administrative basemap, not on whatever reaches farthest (corridors run to Guangzhou)
        spec["fit"] = bool(info.get("fit")) if base_items or fit_given else True
        specs.append(spec)
        plans = info.get("plans") or _plan_titles_of(gdf, styles["_plan_titles"])
        parts = [info.get(k) for k in ("attribution", "source") if info.get(k)]
        if plans:
            parts = [texts.get("plan_basis", "依据{titles}").format(titles="、".join(plans))] + parts[:1]
        if parts:
            content = ";".join(str(p) for p in parts) + (f"({info['licence']})" if info.get("licence") else "")
            by_content.setdefault(content, [])
            if str(info.get("title", "")) not in by_content[content]:
                by_content[content].append(str(info.get("title", "")))
    # one line per source: the layers it stands for, then the source and its licence
    credits = [_esc(f"{'、'.join(t for t in titles if t)}:{content}") for content, titles in by_content.items()]

    layer_credits = list(credits)
    bases, notes = resolve_basemaps(basemaps, texts=texts)
    for b in bases[1:]:
        attribution = "; ".join(t["attribution"] for t in b["tiles"] if t.get("attribution"))
        credits.append(_esc(f"{b['title']}:{attribution}"))
    credits += [_esc(n) for n in notes]
    credits.append(_esc(texts["offline_note"]))
    credits.append(_esc(texts["boundary_caveat"]))
    credits.append(_esc(texts["leaflet"].format(version=_assets.LEAFLET_VERSION, package=_assets.LEAFLET_PACKAGE,
                                               pin=_assets.LEAFLET_PIN)))
    date = _map_date()
    place_labels = _labels(structure_parts, styles) + _user_labels(specs)

    if specs:
        b = np.array([s["bounds"] for s in specs])
        center = [float((b[:, 1].min() + b[:, 3].max()) / 2), float((b[:, 0].min() + b[:, 2].max()) / 2)]
    else:
        center = [profile().centre[1], profile().centre[0]]
    fmap = folium.Map(location=center, zoom_start=profile().map_zoom,
                      tiles=None, attribution_control=False, zoom_snap=0.25,
                      zoom_delta=0.5)
    fmap.default_js = []
    fmap.default_css = []

    honest = styles.get("honest_symbols") or {}
    counties = sorted({p["_co"] for s in specs for p in s["_print"]["props"] if p.get("_co")},
                      key=lambda c: (len(c) > 4, c))
    config = {
        "title": _esc(title),
        "note": _esc(note) if note else None,
        "date": _esc(texts["date"].format(date=date)),
        "basemaps": [{"id": b["id"], "title": _esc(b["title"]), "datum": b["datum"],
                      "tiles": [{"url": t["url"], "subdomains": str(t.get("subdomains", "abc")),
                                 "max_zoom": int(t.get("max_zoom", 18)), "attribution": _esc(t.get("attribution", ""))}
                                for t in b["tiles"]]} for b in bases],
        "layers": [{k: v for k, v in s.items() if k not in ("data", "bounds", "_print")} for s in specs],
        "labels": place_labels,
        "credits": credits,
        "filters": {"status": [_esc(item["label"]) for item in (styles.get("filters") or {}).get("status") or []],
                    "counties": counties},
        # the one legend model of screen and paper (gis._legend); map.js draws the entries of the layers shown
        "legend": legend_model(specs, honest={k: _esc(v) for k, v in honest.items() if isinstance(v, str)},
                               heading=_esc(honest.get("legend_heading", "符号"))),
        "attribution_prefix": _esc(f"Leaflet {_assets.LEAFLET_VERSION}"),
        **{k: _esc(texts[k]) for k in ("legend_title", "legend_toggle", "credits_title", "search_placeholder", "search_none",
                                        "fullscreen_text", "fullscreen_label", "gcj02_notice", "north",
                                        "status_filter", "county_filter", "county_all", "place_count", "place_same", "place_same_here",
                                        "place_count_here", "place_near",
                                        "place_range", "back_to_list")},
    }
    if any(s.get("labelled") for s in specs):
        config["label_key"] = _esc(texts.get("label_key", "编号 — 名称"))
    config_json = json.dumps(config, ensure_ascii=False, separators=(",", ":"))
    # The feature collections are already JSON text; splice them in without re-encoding.
    data_json = "[" + ",".join(s["data"] for s in specs) + "]"
    # folium names the map element with a random uuid; derive it from the content so a rebuild of
    # unchanged data gives a byte-identical file (reviewable diffs of maps/).
    fmap._id = hashlib.sha256((config_json + data_json).encode("utf-8")).hexdigest()[:32]
    # User text is data: it is spliced in by concatenation (never %-formatting or str.format) and
    # reaches Jinja only as the *value* of ``this.code`` / ``this.html``, never as template source.
    script_head = f"(function(){{var cfg={config_json};var data={data_json};"
    script_tail = "cfg.layers.forEach(function(l,i){l.data=data[i];});lzMap("

    def _script(map_name: str) -> str:
        return _assets.safe_inline_script(script_head + script_tail + map_name + ",cfg);})();")

    header = (
        f"<title>{_esc(title)}</title>\n"
        f"<style>{_assets.leaflet_css()}</style>\n<style>{_assets.map_css()}</style>\n"
        f"<script>{_assets.leaflet_js()}</script>\n<script>{_assets.map_js()}</script>\n"
    )
    fmap.get_root().header.add_child(_html.raw_element(header, name="LzAssets"), name="lz_assets", index=0)
    fmap.add_child(_html.map_script(_script), name="lz_offline_map")
    fmap.lz_layers = [s["title"] for s in specs]  # the (escaped) overlay titles, for checks and tests
    # what the print renderer (gis.printmap) draws: the same layers, styles, labels and credits
    fmap.lz_print = {"title": title, "note": note, "date": date, "specs": specs, "labels": place_labels,
                     "credits": layer_credits, "styles": styles}
    return fmap


_REMOTE_FETCH = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""",
                           re.IGNORECASE)


def map_html(fmap) -> str:
    """The page of a map made by :func:`make_map`, checked to load nothing from the network."""
    page = fmap.get_root().render()
    hit = _REMOTE_FETCH.search(page)
    if hit:
        raise InputError(
            f"the map would fetch {page[hit.start():hit.start() + 120]!r} from the network; "
            "remove the element that adds it (folium plugins bring CDN assets)."
        )
    return page


def save_map(fmap, path: str | os.PathLike, *, paper: str = "A3", orientation: str = "landscape",
             dpi: int = 200) -> Path:
    """Write a map made by :func:`make_map`: a self-contained HTML page, or a print-ready PDF / PNG 专题图.

    The kind follows the file name: ``.html``/``.htm`` the offline web map; ``.pdf`` or ``.png`` the printed
    map (:func:`gis.printmap.print_map`: title, legend, scale bar, north arrow, labels, sources, date; no
    browser needed).  Written atomically.

    Parameters
    ----------
    paper, orientation, dpi
        For PDF / PNG only: ISO paper ``A4`` / ``A3`` / ``A1``, ``landscape`` or ``portrait``, PNG resolution.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    suffix = Path(path).suffix.lower()
    if suffix in (".pdf", ".png"):
        from .printmap import print_map

        return print_map(fmap, path, paper=paper, orientation=orientation, dpi=dpi)
    if suffix not in (".html", ".htm"):
        raise InputError(f"save_map: {Path(path).name}: name the file *.html (web map), *.pdf or *.png (print).")
    page = map_html(fmap)
    with atomic_write(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return Path(path)
