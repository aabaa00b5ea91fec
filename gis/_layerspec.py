"""A layer turned into what the web map (and the printed map) draws: its spec.

:func:`_layer_spec` takes one GeoDataFrame and its presentation (``title``, ``group``,
``style``, ``classes``, ``marks``, ``shape``, ``z`` …; see :func:`gis.webmap.make_map`)
and returns the layer's drawn spec: its display geometry (simplified in the analysis
CRS, rounded to 1e-5 degree) as GeoJSON text, the cleaned style, the categorized
classes and marks of the legend, the popup fields in Chinese, and the properties of
counted (hollow) symbols for points placed only to a township, county or the city.
Every text that reaches the page is HTML-escaped here (:func:`_esc`).

Page assembly (the folium map, basemaps, inlined assets, the page script) is
:mod:`gis.webmap`.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import InputError
from ._geocode_table import label_column
from ._mapstyle import cite, column_titles
from .city import profile
from .crs import detect_crs, to_analysis_crs


_DECIMALS = 5  # 1e-5 degree: about 1.1 m north-south and 1.0 m east-west at Liuzhou
_OUTSIDE_STYLE = {"color": "#7f7f7f", "fill_color": "#c8c8c8"}  # features of a user layer outside the city
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


def _fmt_typed(value: Any) -> str:
    """A user's value as typed: integers stored as float without ``.0``, other numbers unrounded, no separators.

    >>> _fmt_typed(85000.0), _fmt_typed(1234.5678), _fmt_typed(0.1 + 0.2), _fmt_typed(True), _fmt_typed(" x ")
    ('85000', '1234.5678', '0.3', '是', 'x')
    """
    if isinstance(value, (float, np.floating)) and not isinstance(value, bool):
        v = float(value)
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.12g}"
    return _fmt(value)


_TRUE = {"true", "1", "yes", "是", "y", "t"}


def _is_outside(row: Mapping[str, Any]) -> bool:
    """A feature flagged ``outside_liuzhou`` by the geocoder (a boolean column or the ``flags`` list)."""
    for column in ("outside_liuzhou", "geocode_outside_liuzhou"):
        value = row.get(column)
        if not _is_missing(value) and (value is True or str(value).strip().lower() in _TRUE):
            return True
    for column in ("flags", "geocode_flags"):
        value = row.get(column)
        if not _is_missing(value) and "outside_liuzhou" in {t.strip() for t in str(value).split(";")}:
            return True
    return False


def _coded_columns(rows: pd.DataFrame, columns: Sequence[str]) -> dict[str, tuple[str, dict[str, str]]]:
    """Columns of a user layer shown with their Chinese title and value words (``layers/columns.yaml``): a
    column with a value table counts only when every value it holds is one of its codes (``status`` of a
    geocoded table: matched → 已定位; a project table's own ``status`` keeps the map's words)."""
    table = column_titles()
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for column in columns:
        spec = table["columns"].get(str(column))
        if spec is None:
            continue
        words = table["values"].get(str(column), {})
        if words:
            seen = {t.strip() for v in rows[column] if not _is_missing(v) and not isinstance(v, (bool, np.bool_))
                    for t in str(v).split(";") if t.strip()}
            if not seen <= set(words):
                continue
        out[str(column)] = (str(spec["title"]), words)
    return out


def _coded_value(value: Any, words: Mapping[str, str]) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else ""
    if words:
        return "；".join(words.get(t.strip(), t.strip()) for t in str(value).split(";") if t.strip())
    return _fmt_typed(value)


# ---------------------------------------------------------------- a layer's spec


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
        return styles["texts"].get("city_name") or profile().name
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
    # a user's file (lzgis map --add): its own columns, the geocoder's in Chinese, numbers as typed, labels
    user_file = bool(info.get("user_file"))
    coded = _coded_columns(rows, columns) if user_file else {}
    fields = [k for k in labels if (k in present or derived_sources.get(k, set()) & present)
              and not (k in coded or (k == "location" and {"geocode_level", "precision_m"} & set(coded)))]
    extra: list[str] = []
    if all_fields:
        used = set(fields) | {c for k in fields for c in derived_sources.get(k, ()) if c not in coded}
        extra = [c for c in columns if c not in used][:_MAX_USER_FIELDS]
    chosen = info.get("label")
    if chosen is not None and str(chosen) not in present:
        raise InputError(f"{where}: label column {chosen!r} is not in the layer; its columns are "
                         f"{', '.join(map(str, columns))} (choose one with --label / label=).")
    name_col = str(chosen) if chosen is not None else label_column(columns)
    if user_file and all_fields and name_col is not None and name_col != "name":  # shown once, as 名称, first
        extra = [c for c in columns if c not in used and c != name_col][:_MAX_USER_FIELDS]

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
    outside_mark = None
    if user_file and any(_is_outside(r) for r in records):  # grey, named 市外 in the legend, not in the extent
        outside_mark = len(marks)
        marks.append({"label": _esc(f"{title}({styles['texts'].get('outside', '市外')})"), "legend": True,
                      "style": dict(_OUTSIDE_STYLE)})
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
            if _is_missing(value):
                continue
            if col in coded:
                text = _coded_value(value, coded[col][1])
            else:
                text = _fmt_typed(value) if user_file else _fmt(value)
            if text != "":
                props[f"c{i}"] = _esc(text)
        if outside_mark is not None and _is_outside(row):
            props["_out"] = 1
            props["_m"] = [*props.get("_m", []), outside_mark]
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
        [f"c{i}", _esc(coded[c][0] if c in coded else labels.get(str(c), c))] for i, c in enumerate(extra)
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
    extra_keys: dict[str, Any] = {}
    # its features are named on the map (gis.webmap: labels or a numbered key): a user's file unless told not to,
    # and a layer that asks for it (``named``: the review's project footprints)
    if ((user_file and info.get("labels", True)) or info.get("named")) and name_col is not None:
        extra_keys["labelled"] = True
    inside = np.array([not p.get("_out") for p in print_props], dtype=bool)
    box_geoms = geoms
    if not inside.all():
        extra_keys["n_outside"] = int((~inside).sum())
        if inside.any():  # the map opens on the features inside the city; those outside do not widen it
            box_geoms = geoms[inside]
            extra_keys["box"] = [float(v) for v in box_geoms.total_bounds]
        else:
            extra_keys["box"] = None
    return {
        **extra_keys,
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
        "bounds": [float(v) for v in box_geoms.total_bounds],
    }


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
