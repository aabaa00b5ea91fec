"""One legend model for screen and paper.

The web map (``map.js``) and the print page (:mod:`gis._print_furniture`) both draw their legend from
the rows built here, once, from the layer specs of :mod:`gis._layerspec`; they differ only in how a
row is drawn and in which layers count as drawn (the web map: the layers switched on; paper: the layers
with features on the page).

Conventions (one place for both):

- a layer's rows follow its group heading; a group heading is shown when one of its layers is;
- a categorised layer (``classes``) gives its title as a sub-heading, one indented row per class, then one
  grey row per line variant (示意线 / 实际线位), dashed when schematic;
- an uncategorised layer gives one row per variant (its title + the variant's label), dashed when schematic;
- a mark (e.g. 市外 features) is a row of the layer's symbol with the mark's style; points are drawn hollow
  (white fill) so that the mark is what shows; a mark is dashed only when its style is;
- the honest-symbol rows (hollow = located only to a township/county/city, solid = a real place) come last
  under their own heading, shown only when a drawn layer has counted (aggregated) symbols.

Texts stay as the specs hold them (HTML-escaped for the web map); paper unescapes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: Dash pattern of schematic geometry (on paper, in points of line width; the web map draws any dash its way).
SCHEMATIC_DASH = "8 6"
#: Colour of the variant rows of a categorised layer (the variant is a line style, not a class).
VARIANT_COLOUR = "#555555"


def _merged(*styles: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for st in styles:
        out.update({k: v for k, v in (st or {}).items() if v is not None})
    return out


def _dashed(style: dict[str, Any], schematic: bool) -> dict[str, Any]:
    """``style`` dashed when schematic (its own dash, else :data:`SCHEMATIC_DASH`), solid otherwise."""
    if schematic:
        style["dash"] = style.get("dash") or SCHEMATIC_DASH
    else:
        style.pop("dash", None)
    return style


def _row(spec: Mapping[str, Any], style: dict[str, Any], text: str, *, indent: bool) -> dict[str, Any]:
    return {"role": "symbol", "text": text, "kind": spec["kind"], "shape": spec.get("shape"), "style": style,
            "indent": indent}


def layer_rows(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The legend rows of one layer spec (without its group heading).

    Parameters
    ----------
    spec : mapping
        A layer spec of :mod:`gis._layerspec` (``kind``, ``title``, ``style`` and optional ``classes``,
        ``variants``, ``marks``, ``shape``).

    Returns
    -------
    list of dict
        Rows with ``role`` (``"sub"`` or ``"symbol"``), ``text`` and, for symbols, ``kind``, ``shape``,
        ``style`` (merged; ``dash`` set when the row is dashed) and ``indent``.

    Examples
    --------
    >>> spec = {"kind": "line", "title": "高速公路", "style": {"color": "#c00", "weight": 3},
    ...         "variants": [{"label": "(示意线)", "schematic": True, "note": "示意线"},
    ...                      {"label": "(实际线位)", "schematic": False, "note": "实际线位"}]}
    >>> [(r["text"], r["style"].get("dash")) for r in layer_rows(spec)]
    [('高速公路(示意线)', '8 6'), ('高速公路(实际线位)', None)]
    >>> spec["classes"] = [{"label": "规划", "style": {"color": "#d33"}}]
    >>> [(r["role"], r["text"], r["style"].get("color") if r["role"] == "symbol" else None) for r in layer_rows(spec)]
    [('sub', '高速公路', None), ('symbol', '规划', '#d33'), ('symbol', '示意线', '#555555'), ('symbol', '实际线位', '#555555')]
    """
    style = spec.get("style") or {}
    rows: list[dict[str, Any]] = []
    variants = spec.get("variants") or []
    if spec.get("classes"):
        rows.append({"role": "sub", "text": spec["title"]})
        for c in spec["classes"]:
            rows.append(_row(spec, _merged(style, c.get("style")), c["label"], indent=True))
        for v in variants:
            rows.append(_row(spec, _dashed(_merged(style, {"color": VARIANT_COLOUR}), bool(v.get("schematic"))),
                             v.get("note", ""), indent=True))
    else:
        for v in variants or [{"label": "", "schematic": bool(style.get("dash"))}]:
            rows.append(_row(spec, _dashed(_merged(style), bool(v.get("schematic"))),
                             spec["title"] + v.get("label", ""), indent=False))
    for m in spec.get("marks") or []:
        if m.get("legend", True) is False:
            continue
        plain = {} if spec["kind"] == "polygon" else {"fill_color": "#ffffff"}
        rows.append(_row(spec, _merged(style, plain, m.get("style")), m["label"], indent=True))
    return rows


def legend_model(specs: Sequence[Mapping[str, Any]], *, honest: Mapping[str, Any] | None = None,
                 heading: str = "符号") -> dict[str, Any]:
    """The legend of a page: one entry per layer that has a legend, and the honest-symbol rows.

    Parameters
    ----------
    specs : sequence of mapping
        The page's layer specs, in drawing order.
    honest : mapping, optional
        ``legend_hollow`` / ``legend_solid`` texts (``honest_symbols`` of ``layers/map_styles.yaml``).
    heading : str
        Heading of the honest-symbol rows.

    Returns
    -------
    dict
        ``{"entries": [{"layer": k, "group": str, "rows": [...]}, ...], "honest": {"heading", "hollow", "solid"}}``;
        ``layer`` is the spec's position, so a consumer filters the entries by what it draws.
    """
    entries = [{"layer": k, "group": spec.get("group") or "", "rows": layer_rows(spec)}
               for k, spec in enumerate(specs) if spec.get("legend") is not False]
    honest = honest or {}
    return {"entries": entries,
            "honest": {"heading": heading, "hollow": honest.get("legend_hollow", ""),
                       "solid": honest.get("legend_solid", "")}}


def shown_rows(model: Mapping[str, Any], shown: Iterable[int], *, aggregates: bool) -> list[dict[str, Any]]:
    """The rows to draw, in order, with group headings, for the layers in ``shown``.

    This is the walk ``map.js`` does in the browser (``legendHtml``), for paper.

    Examples
    --------
    >>> model = legend_model([{"kind": "point", "title": "机场", "group": "交通", "style": {}},
    ...                       {"kind": "line", "title": "铁路", "group": "交通", "style": {}},
    ...                       {"kind": "polygon", "title": "区县", "group": "行政区划", "style": {}}],
    ...                      honest={"legend_hollow": "空心", "legend_solid": "实心"})
    >>> [(r["role"], r["text"]) for r in shown_rows(model, {1, 2}, aggregates=True)]
    [('group', '交通'), ('symbol', '铁路'), ('group', '行政区划'), ('symbol', '区县'), ('group', '符号'), ('hollow', '空心'), ('solid', '实心')]
    """
    shown = set(shown)
    out: list[dict[str, Any]] = []
    group = None
    for entry in model["entries"]:
        if entry["layer"] not in shown or not entry["rows"]:
            continue
        if entry["group"] != group:
            group = entry["group"]
            out.append({"role": "group", "text": group})
        out.extend(entry["rows"])
    if aggregates:
        h = model["honest"]
        out += [{"role": "group", "text": h["heading"]}, {"role": "hollow", "text": h["hollow"]},
                {"role": "solid", "text": h["solid"]}]
    return out
