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
(:mod:`gis.printmap`).

What makes the page safe to hand to anyone:

- *offline*: Leaflet and the map's own script and style are inlined
  (:mod:`gis._assets`); the default basemap fetches nothing.  OpenStreetMap,
  Tianditu and Gaode tiles are only requested when a user switches to them;
- *escaped*: every attribute value, column name, layer title and text that
  reaches the page is HTML-escaped here, in Python, and reaches folium's Jinja
  rendering only as a value, never as template source (:mod:`gis._html`);
- *GCJ-02 aware*: Gaode tiles are drawn in GCJ-02, so while the Gaode basemap
  is active the overlays are shifted to GCJ-02 for display (with the same
  closed form as :func:`gis.datum.wgs84_to_gcj02`) and a notice says so;
- *small*: geometry is simplified for display in the analysis CRS, coordinates
  are rounded to 1e-5 degree (about a metre) and Chinese text is not
  \\u-escaped.
"""

from __future__ import annotations

import hashlib

import html
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _assets, _html
from ._errors import InputError, require
from ._io import atomic_write
from ._mapstyle import cite, map_styles, plan_titles, resolve_basemaps
from .crs import detect_crs, to_analysis_crs

__all__ = ["make_map", "save_map", "map_html", "read_user_layer"]

_DECIMALS = 5  # 1e-5 degree: about 1.1 m north-south and 1.0 m east-west at Liuzhou
_NAME_COLUMNS = ("name", "名称", "项目名称", "title", "label", "NAME", "Name")
_COLOR = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20})$")
_DASH = re.compile(r"^[0-9., ]{1,30}$")
_MAX_USER_FIELDS = 20
_MAX_CLASSES = 8  # legend entries of one categorized layer, "其他" included
_SHAPES = ("circle", "star", "diamond", "square", "triangle")
_PANES = ("below", "above")


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if np.ndim(value) == 0 else False
    except (TypeError, ValueError):
        return False


def _distance_zh(metres: float) -> str:
    """A distance as officials read it: metres below 1 km, else kilometres to two significant digits.

    >>> _distance_zh(800.0), _distance_zh(1500.0), _distance_zh(187005.0)
    ('800 米', '1.5 千米', '190 千米')
    """
    if metres < 1000:
        return f"{metres:.0f} 米"
    km = float(f"{metres / 1000:.2g}")
    return f"{km:g} 千米"


_ENGLISH_WORD = re.compile(r"\b[a-z]{2,}\b")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _chinese_only(text: Any) -> str | None:
    """The Chinese parts of a description: clauses holding English prose (transcriber notes) are left out.

    >>> _chinese_only("一级农产品综合批发市场；87.5亿元 is the 西鹅 part only (LOG-S-001). 二期果蔬交易区")
    '一级农产品综合批发市场；二期果蔬交易区'
    """
    if text is None or _is_missing(text):
        return None
    clauses = re.split(r"(?:；|;|(?<=[.。])\s+)", str(text))
    keep = [c.strip() for c in clauses if c.strip() and _CJK.search(c) and not _ENGLISH_WORD.search(c)]
    return "；".join(keep) or None


def _fmt(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.6g}" if abs(v) < 1 else f"{v:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value).strip()


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


# ---------------------------------------------------------------- layers → page data


def _kind(geoms: gpd.GeoSeries) -> str:
    types = set(geoms.geom_type.dropna())
    if types <= {"Point", "MultiPoint"}:
        return "point"
    if types <= {"LineString", "MultiLineString", "LinearRing"}:
        return "line"
    return "polygon"


def _clean_style(style: Mapping[str, Any] | None, *, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in dict(style or {}).items():
        if value is None:
            continue
        if key in ("color", "fill_color"):
            if not _COLOR.match(str(value)):
                raise InputError(f"{where}: style {key}={value!r} is not a colour; use '#rrggbb' or a CSS colour name.")
            out[key] = str(value)
        elif key == "dash":
            if not _DASH.match(str(value)):
                raise InputError(f"{where}: style dash={value!r} must be numbers such as '6 4'.")
            out[key] = str(value)
        elif key in ("weight", "radius", "fill_opacity", "opacity"):
            out[key] = float(value)
    return out


def _display_geometry(gdf: gpd.GeoDataFrame, *, simplify_m: float, where: str) -> gpd.GeoSeries:
    if gdf.crs is None:
        gdf = gdf.set_crs(detect_crs(gdf, layer=where))
    geoms = gdf.geometry
    keep = ~(geoms.isna() | geoms.is_empty)
    gdf = gdf[keep]
    if simplify_m > 0 and not (gdf.geom_type.isin(["Point", "MultiPoint"])).all():
        metric = to_analysis_crs(gdf[[gdf.geometry.name]], layer=where)
        simple = shapely.simplify(np.asarray(metric.geometry.values), simplify_m, preserve_topology=True)
        out = gpd.GeoSeries(simple, index=gdf.index, crs=metric.crs).to_crs("EPSG:4326")
    else:
        out = gdf.geometry.to_crs("EPSG:4326")
    rounded = shapely.transform(np.asarray(out.values), lambda c: np.round(c, _DECIMALS))
    return gpd.GeoSeries(rounded, index=out.index, crs="EPSG:4326")


def _tokens(value: Any, split: str | None) -> list[str]:
    if _is_missing(value) or str(value).strip() == "":
        return []
    text = _fmt(value)
    return [t.strip() for t in text.split(split)] if split else [text]


def _categories(
    rows: pd.DataFrame, rules: Mapping[str, Any] | None, *, where: str
) -> tuple[list[int | None], list[dict[str, Any]]]:
    """Each row's class (index into the returned classes) and the classes used, in rule order.

    ``rules``: ``field``, optional ``split`` (a separator: the value is a list such as
    ``重点镇乡、产业重镇``), ``items`` (``label``, ``values`` and style keys; the first item in
    rule order matching any of a row's values wins), ``other`` (rows whose value matches no
    item) and ``empty`` (rows without a value; defaults to ``other``).
    """
    if not rules:
        return [None] * len(rows), []
    field, split = rules.get("field"), rules.get("split")
    items = [dict(i) for i in rules.get("items") or []]
    fallbacks = [dict(rules[k]) for k in ("other", "empty") if rules.get(k)]
    if not field or not items:
        raise InputError(f"{where}: a classes rule needs field and items (label, values, style) in map_styles.yaml.")
    if len(items) + len(fallbacks) > _MAX_CLASSES:
        raise InputError(f"{where}: {len(items) + len(fallbacks)} classes on {field!r}; keep at most {_MAX_CLASSES} "
                         "legend entries, merge the rest into other (其他).")
    other = len(items) if rules.get("other") else None
    empty = len(items) + (1 if rules.get("other") else 0) if rules.get("empty") else other
    lookup: dict[str, int] = {}
    for k, item in enumerate(items):
        for v in item.get("values") or []:
            lookup.setdefault(str(v), k)
    codes: list[int | None] = []
    values = rows[field] if field in rows.columns else pd.Series([None] * len(rows), index=rows.index)
    for value in values:
        tokens = _tokens(value, split)
        hits = [lookup[t] for t in tokens if t in lookup]
        codes.append(min(hits) if hits else (other if tokens else empty))
    defined = items + fallbacks
    used = sorted({c for c in codes if c is not None})
    remap = {c: n for n, c in enumerate(used)}
    classes = [{"label": _esc(defined[c]["label"]),
                "style": _clean_style({k: v for k, v in defined[c].items() if k not in ("label", "values")},
                                      where=where)} for c in used]
    return [None if c is None else remap[c] for c in codes], classes


def _marks(
    rows: pd.DataFrame, rules: Sequence[Mapping[str, Any]] | None, *, where: str
) -> tuple[list[list[int]], list[dict[str, Any]]]:
    """Each row's marks (style overrides such as a ring for key towns) and the marks used."""
    per_row: list[list[int]] = [[] for _ in range(len(rows))]
    used: list[dict[str, Any]] = []
    for rule in rules or []:
        field, wanted = rule.get("field"), {str(v) for v in rule.get("values") or []}
        if field not in rows.columns:
            continue
        hit = [bool(wanted & set(_tokens(v, rule.get("split")))) for v in rows[field]]
        if not any(hit):
            continue
        k = len(used)
        used.append({"label": _esc(rule.get("label", field)), "legend": bool(rule.get("legend", True)),
                     "style": _clean_style(rule.get("style"), where=where)})
        for marks, h in zip(per_row, hit):
            if h:
                marks.append(k)
    return per_row, used


def _derived(row: Mapping[str, Any], key: str, styles: Mapping[str, Any]) -> Any:
    """A popup value, combining columns where the label stands for several."""
    get = lambda k: None if _is_missing(row.get(k)) else row.get(k)  # noqa: E731
    if key == "status":
        return get("status_zh") or styles["status_zh"].get(get("status"), get("status"))
    if key == "source":
        if get("plan_title") and get("section") and not str(get("section")).startswith(str(get("plan_title"))):
            return f"{get('plan_title')}{get('section')}"
        if get("source_file") or get("section"):
            return cite(get("source_file"), get("section"), titles=styles.get("_plan_titles"))[0]
        return get("source")
    if key == "source_ref":
        return get("source_file")
    if key == "description":
        return _chinese_only(get("description"))
    if key == "location":
        level, precision = get("geocode_level"), get("precision_m")
        if level is None and precision is None:
            return None
        text = styles["geocode_level_zh"].get(level, level) or ""
        if precision is not None:
            distance = _distance_zh(float(precision))
            text += f"(约 {distance})" if text else f"约 {distance}"
        return text
    if key == "geometry_basis":
        basis = get("geometry_basis")
        return styles["geometry_basis_zh"].get(basis, basis)
    value = get(key)
    words = styles.get("value_zh", {}).get(key)
    if words and value is not None and not isinstance(value, (list, dict)):
        return words.get(str(value), value)
    return value


def _place_name(row: Mapping[str, Any], level: str | None, styles: Mapping[str, Any]) -> str:
    """The place a coarsely located feature stands at: the city, its county, or the township it names."""
    if level == "city":
        return styles["texts"].get("city_name", "柳州市")
    county = row.get("county")
    if level == "county" and not _is_missing(county) and str(county).strip():
        return str(county).strip()
    matched = row.get("matched")
    if not _is_missing(matched) and str(matched).strip():
        text = str(matched).split("；")[0].split("→")[-1].split(":")[0].strip()
        if text.startswith("name"):
            text = text[4:]
        if text:
            return text
    return "" if _is_missing(county) else str(county)


def _layer_spec(
    gdf: gpd.GeoDataFrame,
    info: Mapping[str, Any],
    *,
    index: int,
    styles: Mapping[str, Any],
    simplify_m: float,
    all_fields: bool,
) -> dict[str, Any] | None:
    title = str(info.get("title") or f"图层{index + 1}")
    where = f"layer {title!r}"
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{where}: expected a GeoDataFrame or a layer name, got {type(gdf).__name__}.")
    geoms = _display_geometry(gdf, simplify_m=simplify_m, where=where)
    if geoms.empty:
        return None
    rows = gdf.loc[geoms.index]
    kind = info.get("kind") or _kind(geoms)
    kind = {"points": "point", "lines": "line", "polygons": "polygon"}.get(kind, kind)
    if kind not in ("point", "line", "polygon"):
        kind = _kind(geoms)
    style = {**styles["default_style"][kind], **_clean_style(info.get("style"), where=where)}

    labels: dict[str, str] = styles["fields"]
    columns = [c for c in rows.columns if c != rows.geometry.name]
    present = set(columns)
    derived_sources = {
        "status": {"status", "status_zh"},
        "source": {"source_file", "section"},
        "location": {"geocode_level", "precision_m"},
        "source_ref": {"source_file"},
    }
    fields = [k for k in labels if k in present or derived_sources.get(k, set()) & present]
    extra: list[str] = []
    if all_fields:
        used = set(fields) | {c for k in fields for c in derived_sources.get(k, ())}
        extra = [c for c in columns if c not in used][:_MAX_USER_FIELDS]
    name_col = "name" if "name" in present else next((c for c in _NAME_COLUMNS if c in present), None)

    codes, classes = _categories(rows, info.get("classes"), where=where)
    row_marks, marks = _marks(rows, info.get("marks"), where=where)
    shape = info.get("shape")
    if shape is not None and shape not in _SHAPES:
        raise InputError(f"{where}: shape={shape!r}; use one of {', '.join(_SHAPES)}.")
    pane = info.get("z")
    if pane is not None and pane not in _PANES:
        raise InputError(f"{where}: z={pane!r}; use 'below' (under other overlays) or 'above'.")

    honest = styles.get("honest_symbols") or {}
    ghost_levels = set(honest.get("levels") or [])
    exempt = info.get("name") in set(honest.get("exempt_layers") or []) or not info.get("honest", True)
    level_words = honest.get("level_words") or {}
    status_groups = {str(v): k for k, item in enumerate((styles.get("filters") or {}).get("status") or [])
                     for v in item.get("values") or []}
    features, print_props = [], []
    schematic_seen, real_seen = False, False
    records = rows.drop(columns=rows.geometry.name).to_dict("records")
    for geom_json, row, code, mark in zip(shapely.to_geojson(np.asarray(geoms.values)), records, codes, row_marks):
        props: dict[str, Any] = {}
        if code is not None:
            props["_c"] = code
        if mark:
            props["_m"] = mark
        if name_col is not None and not _is_missing(row.get(name_col)):
            props["name"] = _esc(_fmt(row[name_col]))
        for key in fields:
            value = _derived(row, key, styles)
            if not _is_missing(value) and _fmt(value) != "":
                props[key] = _esc(_fmt(value))
        for i, col in enumerate(extra):
            value = row.get(col)
            if not _is_missing(value) and _fmt(value) != "":
                props[f"c{i}"] = _esc(_fmt(value))
        if row.get("status") is not None and str(row.get("status")) in status_groups:
            props["_st"] = status_groups[str(row["status"])]
        if not _is_missing(row.get("county")) and str(row.get("county")).strip():
            props["_co"] = _esc(str(row["county"]).strip())
        level = None if _is_missing(row.get("geocode_level")) else str(row.get("geocode_level"))
        if not _is_missing(row.get("precision_m")):
            props["_p"] = round(float(row["precision_m"]))
        if kind == "point" and not exempt and level in ghost_levels:
            props["_g"] = 1
            props["_lv"] = _esc(level_words.get(level, level))
            props["_pl"] = _esc(_place_name(row, level, styles))
        if kind == "line" and "geometry_basis" in present:
            if row.get("geometry_basis") == "schematic":
                props["_schematic"] = 1
                schematic_seen = True
            else:
                real_seen = True
        print_props.append(props)
        features.append(
            '{"type":"Feature","geometry":' + geom_json + ',"properties":'
            + json.dumps(props, ensure_ascii=False, separators=(",", ":")) + "}"
        )
    field_pairs = [[k, _esc(labels[k])] for k in fields if k != "name"] + [
        [f"c{i}", _esc(labels.get(str(c), c))] for i, c in enumerate(extra)
    ]
    if name_col is not None:
        field_pairs.insert(0, ["name", _esc(labels["name"])])
    texts = styles["texts"]
    variants = []
    if schematic_seen:
        variants = [{"label": "(示意线)", "schematic": True, "note": _esc(texts.get("schematic_line", "示意线"))}]
        if real_seen:
            variants.append({"label": "(实际线位)", "schematic": False, "note": _esc(texts.get("real_line", "实际线位"))})
    # an outline without fill draws nothing inside: it must not catch the clicks meant for what lies under it
    fills = [style.get("fill_opacity", 0.2)] + [c["style"].get("fill_opacity", style.get("fill_opacity", 0.2))
                                                for c in classes]
    interactive = not (kind == "polygon" and max(float(f or 0) for f in fills) <= 0.01)
    # context geography (roads, railways, township areas, rivers): many features drawn as one canvas under the
    # plan layers; it names places by its labels and catches no clicks (search still finds it)
    context = bool(info.get("context"))
    if context:
        interactive = False
    return {
        "id": f"l{index}",
        "name": _esc(info.get("name") or ""),
        "interactive": interactive,
        "context": context,
        "honest": not exempt,
        "_print": {"geoms": geoms, "props": print_props, "info": dict(info)},
        "title": _esc(title),
        "group": _esc(info.get("group") or styles["user_group"]),
        "kind": kind,
        "style": style,
        "show": bool(info.get("show", True)),
        "legend": bool(info.get("legend", True)),
        "variants": variants,
        "classes": classes,
        "marks": marks,
        "shape": None if shape in (None, "circle") else shape,
        "pane": pane,
        "fields": field_pairs,
        "data": '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}",
        "bounds": [float(v) for v in geoms.total_bounds],
    }


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


def _hex(colour: str) -> tuple[int, int, int] | None:
    c = colour.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    try:
        return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)
    except (ValueError, IndexError):
        return None


def _free_colour(palette: Sequence[str], used: Iterable[str]) -> str:
    """The palette colour farthest (RGB distance) from every colour already on the map.

    >>> _free_colour(["#ff0000", "#00ff00"], ["#ee1111"])
    '#00ff00'
    """
    taken = [rgb for rgb in (_hex(u) for u in used) if rgb]
    def gap(c: str) -> float:
        rgb = _hex(c)
        return min((sum((a - b) ** 2 for a, b in zip(rgb, t)) for t in taken), default=1e9) if rgb else -1
    return max(palette, key=gap)


def _colours_of(spec: Mapping[str, Any]) -> list[str]:
    out = [spec["style"].get(k) for k in ("color", "fill_color")]
    for c in spec.get("classes") or []:
        out += [c["style"].get(k) for k in ("color", "fill_color")]
    return [c for c in out if isinstance(c, str) and c.startswith("#")]


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
    title: str = "柳州市空间规划图",
    note: str | None = None,
    structure: gpd.GeoDataFrame | str | None = None,
    add: Sequence[str | os.PathLike | gpd.GeoDataFrame] | None = None,
    base: Sequence[Any] | None = None,
    basemaps: Sequence[str] = ("osm", "tianditu", "gaode"),
    simplify_m: float = 30.0,
):
    """Build a self-contained offline web map.

    Parameters
    ----------
    layers : sequence of str, GeoDataFrame or (GeoDataFrame, dict)
        Overlays in drawing order: shipped layer names (:func:`gis.load_layer`), GeoDataFrames
        (analysis results, your own data) or pairs of either and its presentation
        (``title``, ``group``, ``style``, ``kind``, ``show``, ``legend``, ``source``, ``licence``,
        ``attribution``, and ``classes`` / ``marks`` / ``shape`` / ``z`` as in ``layer_styles`` of
        ``layers/map_styles.yaml``).  A GeoDataFrame's ``attrs["layer"]`` supplies the same keys;
        a layer whose ``name`` (or ``layer_style``) has an entry in ``layer_styles`` gets its
        categorized style from there (keys given here win, except the style of that entry).
    title : str
        The map's title, shown on the page and as the window title.
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

    Returns
    -------
    folium.Map
        Write it with :func:`save_map`; every asset is inlined.
    """
    folium = require("folium", extra="maps", feature="web maps")

    styles = map_styles()
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
    group_order = list(dict.fromkeys(str(info.get("group")) for _, info, _ in overlays))
    overlays.sort(key=lambda e: group_order.index(str(e[1].get("group"))))
    entries.extend(overlays)
    for path in add or []:
        gdf = path if isinstance(path, gpd.GeoDataFrame) else read_user_layer(path)  # already read (lzgis map)
        info = dict(gdf.attrs["layer"])
        info.setdefault("group", styles["user_group"])
        entries.append((gdf, info, True))

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
        spec["fit"] = bool(info.get("fit")) if base_items else True
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
    labels = _labels(structure_parts, styles)

    if specs:
        b = np.array([s["bounds"] for s in specs])
        center = [float((b[:, 1].min() + b[:, 3].max()) / 2), float((b[:, 0].min() + b[:, 2].max()) / 2)]
    else:
        center = [24.33, 109.42]
    fmap = folium.Map(location=center, zoom_start=9, tiles=None, attribution_control=False, zoom_snap=0.25,
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
        "labels": labels,
        "credits": credits,
        "filters": {"status": [_esc(item["label"]) for item in (styles.get("filters") or {}).get("status") or []],
                    "counties": counties},
        "honest": {"hollow": _esc(honest.get("legend_hollow", "")), "solid": _esc(honest.get("legend_solid", ""))},
        "attribution_prefix": _esc(f"Leaflet {_assets.LEAFLET_VERSION}"),
        **{k: _esc(texts[k]) for k in ("legend_title", "credits_title", "search_placeholder", "search_none",
                                        "fullscreen_text", "fullscreen_label", "gcj02_notice", "north",
                                        "status_filter", "county_filter", "county_all", "place_count", "place_same", "place_one", "place_near",
                                        "place_range", "back_to_list")},
    }
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
    fmap.lz_print = {"title": title, "note": note, "date": date, "specs": specs, "labels": labels,
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
