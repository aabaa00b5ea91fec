"""QGIS styles for exported GeoPackages: the web map's look, Chinese legend labels and field titles.

:func:`style_geopackage` adds to a GeoPackage written by :func:`gis.export.export`:

* a ``layer_styles`` table (the schema QGIS itself writes) holding one default
  style (``useAsDefault = 1``) whose QML (:func:`layer_qml`) comes from
  ``layers/map_styles.yaml``: a categorised renderer by the field the web map
  colours by (projects by ``status`` …, legend labels in Chinese), a
  rule-based one where a field lists several values (``tags`` split by
  ``、``), else the layer's single symbol; and the Chinese field titles as
  QGIS aliases;
* the GeoPackage schema extension: ``gpkg_data_columns`` rows giving each field
  its Chinese title (``name`` and ``title``), registered in ``gpkg_extensions``.

Machine field names stay as they are.  Titles come from the popup labels
(``fields``) of ``layers/map_styles.yaml``, else from ``layers/columns.yaml``
(:mod:`gis._columns`).  Presentation only: nothing here changes the data.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import geopandas as gpd

from ._columns import column_title
from ._mapstyle import map_styles

_PX_MM = 0.2646  # one CSS pixel (1/96 inch) in millimetres
_SHAPES = {"circle": "circle", "star": "star", "diamond": "diamond", "square": "square", "triangle": "triangle"}
QGIS_VERSION = "3.22.16-Białowieża"


def column_titles(columns: list[str]) -> dict[str, str]:
    """Chinese titles of ``columns`` that have one: the web map's field labels, else ``layers/columns.yaml``.

    The popup labels (``fields`` of ``layers/map_styles.yaml``) come first
    because they name what the shipped layers' fields mean (``status`` is a
    project's 状态 there, a geocoding status in the column table); every other
    column gets its title from :func:`gis._columns.column_title`.

    Examples
    --------
    >>> t = column_titles(["name", "status", "area_ha", "no_such_column"])
    >>> t["status"], t["area_ha"], "no_such_column" in t
    ('状态', '面积（公顷）', False)
    """
    popup = map_styles().get("fields") or {}
    titles: dict[str, str] = {}
    for column in columns:
        title = popup.get(column) or column_title(column)
        if title:
            titles[column] = str(title)
    return titles


def _rgba(color: str | None, opacity: float = 1.0) -> str:
    text = (color or "#3366cc").lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    r, g, b = (int(text[i:i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(max(0.0, min(1.0, float(opacity))) * 255)}"


def _props(values: dict[str, Any]) -> str:
    return "".join(f"<prop k={quoteattr(k)} v={quoteattr(str(v))}/>" for k, v in values.items())


def _symbol(kind: str, style: dict[str, Any], *, name: str, shape: str = "circle") -> str:
    """One QGIS symbol (``marker`` / ``line`` / ``fill``) from a web-map style (colours, px widths, opacity)."""
    color = style.get("color")
    fill = style.get("fill_color") or color
    opacity = float(style.get("opacity", 1.0) if style.get("opacity") is not None else 1.0)
    fill_opacity = float(style.get("fill_opacity", 0.2) if style.get("fill_opacity") is not None else 0.2)
    weight_mm = round(float(style.get("weight", 1) or 0) * _PX_MM, 3)
    if kind == "point":
        size = round(2 * float(style.get("radius", 5)) * _PX_MM, 3)
        layer = ("SimpleMarker", {"name": _SHAPES.get(shape, "circle"), "color": _rgba(fill, fill_opacity),
                                  "outline_color": _rgba(color, opacity), "outline_width": weight_mm,
                                  "outline_width_unit": "MM", "outline_style": "solid", "size": size,
                                  "size_unit": "MM", "angle": 0})
        symbol_type = "marker"
    elif kind == "line":
        dash = style.get("dash")
        props = {"line_color": _rgba(color, opacity), "line_width": weight_mm or 0.26, "line_width_unit": "MM",
                 "line_style": "solid", "capstyle": "round", "joinstyle": "round"}
        if dash:
            props.update({"use_custom_dash": 1, "customdash_unit": "MM",
                          "customdash": ";".join(str(round(float(d) * _PX_MM, 3)) for d in str(dash).split())})
        layer = ("SimpleLine", props)
        symbol_type = "line"
    else:
        dash = style.get("dash")
        layer = ("SimpleFill", {"color": _rgba(fill, fill_opacity), "style": "solid",
                                "outline_color": _rgba(color, opacity), "outline_width": weight_mm,
                                "outline_width_unit": "MM", "outline_style": "dash" if dash else "solid"})
        symbol_type = "fill"
    return (f'<symbol type="{symbol_type}" name={quoteattr(name)} alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="{layer[0]}" enabled="1" pass="0" locked="0">{_props(layer[1])}</layer></symbol>')


def _kind(frame: gpd.GeoDataFrame) -> str:
    types = set(frame.geometry.geom_type.dropna())
    if types and types <= {"Point", "MultiPoint"}:
        return "point"
    if types and types <= {"LineString", "MultiLineString", "LinearRing"}:
        return "line"
    return "polygon"


def _sql_text(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _field(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _renderer(frame: gpd.GeoDataFrame, kind: str, base: dict[str, Any], spec: dict[str, Any] | None,
              shape: str) -> str:
    """The ``<renderer-v2>`` element: categorised, rule-based (for split fields) or single symbol."""
    classes = (spec or {}).get("classes")
    if not classes or classes.get("field") not in frame.columns:
        return (f'<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
                f'<symbols>{_symbol(kind, base, name="0", shape=shape)}</symbols></renderer-v2>')
    field = str(classes["field"])
    items = list(classes.get("items") or [])
    other = classes.get("other")
    split = classes.get("split")
    symbols: list[str] = []
    if not split:
        categories = []
        for item in items:
            values = list(item.get("values") or [])
            for value in values:
                key = str(len(symbols))
                label = item["label"] if len(values) == 1 else f"{item['label']}:{value}"
                symbols.append(_symbol(kind, {**base, **item}, name=key, shape=shape))
                categories.append(f'<category value={quoteattr(str(value))} symbol="{key}" '
                                  f'label={quoteattr(label)} render="true"/>')
        if other:  # an empty value is QGIS's "all other values"
            key = str(len(symbols))
            symbols.append(_symbol(kind, {**base, **other}, name=key, shape=shape))
            categories.append(f'<category value="" symbol="{key}" label={quoteattr(other["label"])} render="true"/>')
        return (f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} symbollevels="0" '
                f'enableorderby="0" forceraster="0"><categories>{"".join(categories)}</categories>'
                f'<symbols>{"".join(symbols)}</symbols></renderer-v2>')
    # A field listing several values (split by `split`): the first item matching any value wins, as on the web map.
    rules = []
    earlier: list[str] = []
    joined = f"{_sql_text(split)} || {_field(field)} || {_sql_text(split)}"
    for item in items:
        match = " OR ".join(f"strpos({joined}, {_sql_text(split + str(v) + split)}) > 0"
                            for v in item.get("values") or [])
        condition = f"({match})" + "".join(f" AND NOT ({e})" for e in earlier)
        earlier.append(match)
        key = str(len(symbols))
        symbols.append(_symbol(kind, {**base, **item}, name=key, shape=shape))
        rules.append(f'<rule key="r{key}" symbol="{key}" label={quoteattr(item["label"])} '
                     f'filter={quoteattr(condition)}/>')
    empty_test = f"({_field(field)} IS NULL OR trim({_field(field)}) = '')"
    if classes.get("empty"):
        key = str(len(symbols))
        symbols.append(_symbol(kind, {**base, **classes["empty"]}, name=key, shape=shape))
        rules.append(f'<rule key="r{key}" symbol="{key}" label={quoteattr(classes["empty"]["label"])} '
                     f'filter={quoteattr(empty_test)}/>')
        earlier.append(empty_test)
    if other:
        key = str(len(symbols))
        symbols.append(_symbol(kind, {**base, **other}, name=key, shape=shape))
        rules.append(f'<rule key="r{key}" symbol="{key}" label={quoteattr(other["label"])} filter="ELSE"/>')
    return (f'<renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" forceraster="0">'
            f'<rules key="root">{"".join(rules)}</rules><symbols>{"".join(symbols)}</symbols></renderer-v2>')


def layer_qml(frame: gpd.GeoDataFrame, *, catalogue: dict[str, Any] | None = None) -> str:
    """The QML of a layer: symbols and legend of the web map (``layers/map_styles.yaml``), Chinese aliases.

    ``catalogue`` is the shipped layer's catalogue entry (its ``name`` picks the
    style in ``layer_styles`` of map_styles.yaml, its ``style`` the base symbol);
    other layers get the default style of their geometry kind.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame({"status": ["planned"]}, geometry=[Point(109.4, 24.3)], crs="EPSG:4326")
    >>> qml = layer_qml(g, catalogue={"name": "projects"})
    >>> 'type="categorizedSymbol"' in qml, 'label="规划(新建、推进等)"' in qml, 'name="状态"' in qml
    (True, True, True)
    """
    styles = map_styles()
    kind = _kind(frame)
    name = (catalogue or {}).get("name")
    spec = (styles.get("layer_styles") or {}).get(name) if name else None
    base = {**(styles.get("default_style") or {}).get(kind, {}), **((catalogue or {}).get("style") or {}),
            **((spec or {}).get("style") or {})}
    shape = str((spec or {}).get("shape", "circle"))
    geometry = frame.geometry.name
    columns = [c for c in frame.columns if c != geometry]
    titles = column_titles(columns)
    aliases = "".join(f'<alias field={quoteattr(c)} index="{i}" name={quoteattr(titles.get(c, ""))}/>'
                      for i, c in enumerate(columns))
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            f'<qgis version="{QGIS_VERSION}" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0">'
            f"{_renderer(frame, kind, base, spec, shape)}"
            f"<aliases>{aliases}</aliases>"
            "<layerGeometryType>" + {"point": "0", "line": "1", "polygon": "2"}[kind] + "</layerGeometryType>"
            "</qgis>\n")


_LAYER_STYLES = """CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
  useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"""
_DATA_COLUMNS = """CREATE TABLE IF NOT EXISTS gpkg_data_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, mime_type TEXT,
  constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
  CONSTRAINT gdc_tn UNIQUE (table_name, name))"""
_CONSTRAINTS = """CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (
  constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN,
  max NUMERIC, max_is_inclusive BOOLEAN, description TEXT,
  CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))"""
_SCHEMA_URL = "http://www.geopackage.org/spec/#extension_schema"


def style_geopackage(path: str | Path, frame: gpd.GeoDataFrame, *, layer: str,
                     catalogue: dict[str, Any] | None = None) -> None:
    """Store the QGIS default style and the Chinese field titles of ``layer`` in the GeoPackage ``path``.

    Parameters
    ----------
    path : path-like
        A GeoPackage just written (before it is published).
    frame : GeoDataFrame
        The data written as ``layer`` (its columns and geometry kind).
    layer : str
        The layer (table) name in the file.
    catalogue : dict, optional
        The catalogue entry of a shipped layer (:func:`gis.layers.load_layer` attrs).
    """
    qml = layer_qml(frame, catalogue=catalogue)
    geometry_column = "geom"
    stamp = _dt.datetime.now(_dt.timezone.utc)
    now = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"  # GeoPackage DATETIME
    title = (catalogue or {}).get("title") or layer
    columns = [c for c in frame.columns if c != frame.geometry.name]
    titles = column_titles(columns)
    with sqlite3.connect(str(path)) as db:
        row = db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)).fetchone()
        if row:
            geometry_column = row[0]
        db.execute(_LAYER_STYLES)
        db.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                   "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                   "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'liuzhou-gis', NULL, ?)",
                   (layer, geometry_column, layer, qml, f"{title}(liuzhou-gis 导出,样式同网页地图)", now))
        db.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, "
                   "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS styles', ?)", (now,))
        db.execute(_DATA_COLUMNS)
        db.execute(_CONSTRAINTS)
        used: set[str] = set()
        for column in columns:
            if column not in titles:
                continue
            text = titles[column]
            name = text if text not in used else f"{text}({column})"
            used.add(name)
            db.execute("INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title) "
                       "VALUES (?, ?, ?, ?)", (layer, column, name, text))
        db.execute("CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
                   "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
                   "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))")
        for table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
            if not db.execute("SELECT 1 FROM gpkg_extensions WHERE table_name = ? AND extension_name = "
                              "'gpkg_schema'", (table,)).fetchone():
                db.execute("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, "
                           "scope) VALUES (?, NULL, 'gpkg_schema', ?, 'read-write')", (table, _SCHEMA_URL))
