"""Print-ready 专题图: a map made by :func:`gis.webmap.make_map` as a PDF or PNG page, no browser needed.

The page is drawn with matplotlib from the same layers, styles, labels and credits as the web map:
title, date, the map in the analysis CRS (so the scale bar measures metres), a legend of what is
drawn, a scale bar with its representative fraction, a north arrow, permanent labels of the
districts/counties and the structure's elements (placed so they do not overlap), the data sources
and licences, the coordinate system and the 审图号 caveat for unofficial boundaries.

Text stays text: fonts are embedded as TrueType subsets (``pdf.fonttype = 42``), so the PDF
is searchable and its words can be selected.  The CJK font is found on the system (Debian
``fonts-noto-cjk``; Source Han, WenQuanYi, SimHei or Microsoft YaHei also work).  A CFF-outlined font
(Noto/Source Han) is embedded as a small TrueType font of just the page's glyphs, converted once per
process (:mod:`gis._print_fonts`): no 20 MB collection re-subset per page, no poppler font-type warning.
Each layer is drawn as one matplotlib collection (fills, outlines, lines, symbols), not one artist per feature.

Points placed only to a township, county or the city are drawn as one hollow counted symbol per
place, as on the web map.

This module lays the page out (paper, map and legend areas, extent and scale) and draws the layers and
labels; the furniture around them (title, legend, scale bar, north arrow, sources) is
:mod:`gis._print_furniture`.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._errors import InputError, MissingDependencyError, require
from ._io import atomic_write
from ._print_fonts import embed_page_fonts
from ._legend import _merged
from ._print_furniture import _MARKERS, _Furniture, _dashes, _rgba, _text

__all__ = ["print_map", "PAPER_MM", "cjk_font"]

PAPER_MM = {"A4": (297.0, 210.0), "A3": (420.0, 297.0), "A2": (594.0, 420.0), "A1": (841.0, 594.0)}
_MM = 1 / 25.4


def _font_table() -> dict[str, Any]:
    import yaml

    with open(Path(__file__).with_name("_static") / "fonts.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def font_files(platform: str, *, environ: Mapping[str, str], exists: Callable[[str], bool],
               home: str = "~") -> list[str]:
    """The CJK font files of ``platform`` (``sys.platform``: linux, win32, darwin) that exist, in order.

    A pure function of the platform and the files there are (``gis/_static/fonts.yaml`` names them):
    ``{WINDIR}`` is taken from ``environ``, ``~`` is ``home``; a path whose variable is not set is skipped.

    Examples
    --------
    >>> font_files("win32", environ={"WINDIR": "C:/Windows"}, exists=lambda p: p.endswith("simhei.ttf"))
    ['C:/Windows/Fonts/simhei.ttf']
    >>> font_files("darwin", environ={}, exists=lambda p: "PingFang" in p)
    ['/System/Library/Fonts/PingFang.ttc']
    """
    key = "win32" if platform.startswith("win") else "darwin" if platform == "darwin" else "linux"
    found = []
    for pattern in _font_table()["files"].get(key) or []:
        try:
            path = str(pattern).format_map(environ)
        except KeyError:  # e.g. LOCALAPPDATA not set
            continue
        if path.startswith("~"):
            path = home + path[1:]
        if exists(path):
            found.append(path)
    return found


def cjk_font() -> str:
    """The family name of a CJK font matplotlib can use; raises with the fix when there is none.

    The files of this operating system named in ``gis/_static/fonts.yaml`` (:func:`font_files`) are registered
    first, then the first known family of its list is taken.
    """
    require("matplotlib", extra="maps", feature="print maps (PDF/PNG)")
    from matplotlib import font_manager

    for path in font_files(sys.platform, environ=os.environ, exists=os.path.exists,
                           home=os.path.expanduser("~")):
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError):
            pass
    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in _font_table()["families"]:
        if family in names:
            return family
    raise MissingDependencyError(
        "print maps need a Chinese (CJK) font and none was found. Install one: on Debian/Ubuntu "
        "sudo apt-get install fonts-noto-cjk (scripts/setup.sh does this); on Windows and macOS the system's "
        "Microsoft YaHei / SimHei or PingFang / Hiragino are found by themselves (gis/_static/fonts.yaml)."
    )


def _feature_style(spec: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    st = dict(spec["style"])
    if spec.get("classes") and props.get("_c") is not None:
        st = _merged(st, spec["classes"][props["_c"]]["style"])
    for k in props.get("_m") or []:
        st = _merged(st, spec["marks"][k]["style"])
    return st


# label positions tried around the anchor, in half-widths (x) and heights (y)
_OFFSETS = ((0, 0), (0, -1), (0, 1), (1, 0), (-1, 0), (1, -1), (-1, -1), (1, 1), (-1, 1), (0, -2), (0, 2),
            (2, 0), (-2, 0), (2, -2), (-2, -2), (2, 2), (-2, 2), (0, -3), (0, 3), (3, 0), (-3, 0))


class _Page(_Furniture):
    """One printed page: figure, map axes in the analysis CRS, legend and credits areas (its furniture:
    :class:`gis._print_furniture._Furniture`)."""

    def __init__(self, fmap: Any, *, paper: str, orientation: str):
        plt = require("matplotlib.pyplot", extra="maps", feature="print maps (PDF/PNG)")
        import matplotlib

        self.info = getattr(fmap, "lz_print", None)
        if not self.info:
            raise InputError("save_map: only maps made by gis.make_map can be printed to PDF/PNG.")
        paper = paper.upper()
        if paper not in PAPER_MM:
            raise InputError(f"paper={paper!r}; use one of {', '.join(PAPER_MM)}.")
        if orientation not in ("landscape", "portrait"):
            raise InputError(f"orientation={orientation!r}; use 'landscape' or 'portrait'.")
        long_mm, short_mm = PAPER_MM[paper]
        self.w_mm, self.h_mm = (long_mm, short_mm) if orientation == "landscape" else (short_mm, long_mm)
        self.k = self.w_mm / 420.0 if orientation == "landscape" else self.h_mm / 420.0  # text scale vs A3
        family = cjk_font()
        matplotlib.rcParams.update({"pdf.fonttype": 42, "ps.fonttype": 42, "font.family": [family],
                                    "axes.unicode_minus": False, "svg.fonttype": "none"})
        self.plt = plt
        self.fig = plt.figure(figsize=(self.w_mm * _MM, self.h_mm * _MM))
        self.styles = self.info["styles"]
        self.texts = self.styles["texts"]
        margin = 10.0
        band = self._credit_layout(margin)
        if orientation == "landscape":
            legend_w = 100.0 * self.k
            map_box = (margin, band, self.w_mm - 2 * margin - legend_w - 4, self.h_mm - band - 26 * self.k)
            legend_box = (self.w_mm - margin - legend_w, band, legend_w, map_box[3])
        else:
            legend_h = 95.0 * self.k
            map_box = (margin, band + legend_h + 4, self.w_mm - 2 * margin,
                       self.h_mm - band - legend_h - 4 - 26 * self.k)
            legend_box = (margin, band, self.w_mm - 2 * margin, legend_h)
        self.map_box, self.legend_box = map_box, legend_box
        self.ax = self.fig.add_axes(self._frac(map_box))
        self.lax = self.fig.add_axes(self._frac(legend_box))
        self.lax.set_axis_off()
        self.lax.set_xlim(0, legend_box[2])
        self.lax.set_ylim(0, legend_box[3])

    def _frac(self, box: Sequence[float]) -> list[float]:
        x, y, w, h = box
        return [x / self.w_mm, y / self.h_mm, w / self.w_mm, h / self.h_mm]

    def pt(self, size: float) -> float:
        return size * self.k

    # ------------------------------------------------------------ map

    def draw_layers(self) -> None:
        from .settings import analysis_crs

        specs = [s for s in self.info["specs"] if s.get("show", True)]
        if not specs:
            raise InputError("print map: the map shows no layer; add a layer (or a structure) to print.")
        self.drawn = []
        projected = [s["_print"]["geoms"].to_crs(analysis_crs) for s in specs]  # once per layer
        fit = [g for s, g in zip(specs, projected) if s.get("fit")] or projected
        # features flagged 市外 do not widen the page (their layer's "box" is that of the others)
        fit = [g if not s.get("n_outside") else g[np.array([not p.get("_out") for p in s["_print"]["props"]], dtype=bool)]
               for s, g in zip([s for s in specs if s.get("fit")] or specs, fit)]
        fit = [g for g in fit if len(g)] or projected
        boxes = np.array([g.total_bounds for g in fit])
        x0, y0, x1, y1 = boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()
        self._extent(x0, y0, x1, y1)
        order = {"polygon": 0, "line": 1, "point": 2}
        for z, spec in sorted(enumerate(specs), key=lambda e: (0 if e[1].get("pane") == "below" else 1,
                                                                 order.get(e[1]["kind"], 1), e[0])):
            geoms = projected[z]
            props = spec["_print"]["props"]
            if spec["kind"] == "polygon":
                self._polygons(spec, geoms, props, z)
            elif spec["kind"] == "line":
                self._lines(spec, geoms, props, z)
            else:
                self._points(spec, geoms, props, z)
        self.ax.set_xlim(self.extent[0], self.extent[2])
        self.ax.set_ylim(self.extent[1], self.extent[3])
        self.drawn = specs  # the legend keeps the layers' own order (groups stay together)
        off = 0  # features of user layers flagged 市外 that fall off the page
        for spec, geoms in zip(specs, projected):
            if spec.get("n_outside"):
                off += sum(1 for g, p in zip(geoms, spec["_print"]["props"])
                           if p.get("_out") and g is not None and not g.is_empty
                           and not (x0 <= g.centroid.x <= x1 and y0 <= g.centroid.y <= y1))
        self.notes = [self.texts.get("outside_note", "{n} 个要素位于市外，未绘出").format(n=off)] if off else []
        self.ax.set_xticks([])
        self.ax.set_yticks([])
        for side in self.ax.spines.values():
            side.set_linewidth(0.8)

    def _extent(self, x0: float, y0: float, x1: float, y1: float) -> None:
        pad = 0.03 * max(x1 - x0, y1 - y0)
        x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
        box_w, box_h = self.map_box[2], self.map_box[3]
        if (x1 - x0) / (y1 - y0) < box_w / box_h:
            extra = (y1 - y0) * box_w / box_h - (x1 - x0)
            x0, x1 = x0 - extra / 2, x1 + extra / 2
        else:
            extra = (x1 - x0) * box_h / box_w - (y1 - y0)
            y0, y1 = y0 - extra / 2, y1 + extra / 2
        self.ax.set_xlim(x0, x1)
        self.ax.set_ylim(y0, y1)
        self.ax.set_aspect("equal", adjustable="box")
        self.extent = (x0, y0, x1, y1)
        self.m_per_mm = (x1 - x0) / box_w

    def _polygons(self, spec, geoms, props, z) -> None:
        """The layer's fills as one collection and its outlines as another (one artist per layer, not per feature)."""
        from matplotlib.collections import PathCollection
        from matplotlib.path import Path as MPath

        paths, fills, edges, widths, styles = [], [], [], [], []
        for geom, p in zip(geoms, props):
            st = _feature_style(spec, p)
            fill = _rgba(st.get("fill_color") or st.get("color"), float(st.get("fill_opacity", 0.2) or 0))
            weight = float(st.get("weight", 1.5)) * 0.5
            edge = _rgba(st.get("color"), float(st.get("opacity", 0.9) or 0.9))
            dash = _dashes(st.get("dash"), weight)
            for poly in getattr(geom, "geoms", [geom]):
                if poly.geom_type != "Polygon" or poly.is_empty:
                    continue
                rings = [np.asarray(ring.coords) for ring in [poly.exterior, *poly.interiors]]
                codes = np.concatenate([np.r_[MPath.MOVETO, np.full(len(c) - 2, MPath.LINETO), MPath.CLOSEPOLY]
                                        for c in rings]).astype(MPath.code_type)
                paths.append(MPath(np.concatenate(rings), codes))
                fills.append(fill)
                edges.append(edge)
                widths.append(weight)
                styles.append(dash)
        if not paths:
            return
        self.ax.add_collection(PathCollection(paths, facecolors=fills, edgecolors="none", linewidths=0,
                                              zorder=z * 0.001 + 1), autolim=False)
        self.ax.add_collection(PathCollection(paths, facecolors="none", edgecolors=edges, linewidths=widths,
                                              linestyles=styles, zorder=z * 0.001 + 1.5), autolim=False)

    def _lines(self, spec, geoms, props, z) -> None:
        """The layer's lines as one collection per cap style (solid lines round-capped, dashed ones butt)."""
        from matplotlib.collections import LineCollection

        parts: dict[bool, tuple[list, list, list, list]] = {True: ([], [], [], []), False: ([], [], [], [])}
        for geom, p in zip(geoms, props):
            st = _feature_style(spec, p)
            weight = float(st.get("weight", 2)) * 0.45
            dash = _dashes(st.get("dash") or ("8 6" if p.get("_schematic") else None), weight)
            colour = _rgba(st.get("color"), float(st.get("opacity", 0.9) or 0.9))
            segs, colours, widths, styles = parts[dash == "solid"]
            for line in getattr(geom, "geoms", [geom]):
                c = np.asarray(line.coords)[:, :2]
                if len(c) < 2:
                    continue
                segs.append(c)
                colours.append(colour)
                widths.append(weight)
                styles.append(dash)
        for solid, (segs, colours, widths, styles) in parts.items():
            if segs:
                lc = LineCollection(segs, colors=colours, linewidths=widths, linestyles=styles,
                                    capstyle="round" if solid else "butt", zorder=z * 0.001 + 2)
                self.ax.add_collection(lc, autolim=False)

    def _points(self, spec, geoms, props, z) -> None:
        groups: dict[tuple[float, float], list[int]] = {}
        plain: list[int] = []
        for i, (geom, p) in enumerate(zip(geoms, props)):
            if geom.geom_type != "Point":
                plain.append(i)
                continue
            groups.setdefault((round(geom.x, 1), round(geom.y, 1)), []).append(i)
        aggregates = []
        for key, members in groups.items():
            if spec.get("honest") and (len(members) > 1 or props[members[0]].get("_g")):
                aggregates.append((key, members))
            else:
                plain.extend(members)
        marker = _MARKERS.get(spec.get("shape"), "o")
        xs, ys, sizes, faces, edges, widths = [], [], [], [], [], []
        looks: dict[tuple, tuple] = {}  # features of one class and marks share one symbol: styled once
        items = geoms.to_numpy()
        for i in plain:  # one scatter (one collection) for the layer's plain symbols
            p = props[i]
            key = (p.get("_c"), tuple(p.get("_m") or ()))
            look = looks.get(key)
            if look is None:
                st = _feature_style(spec, p)
                look = looks[key] = (
                    (float(st.get("radius", 5)) * (2.2 if marker == "*" else 1.4) * self.k) ** 2,  # points²
                    _rgba(st.get("fill_color") or st.get("color"), float(st.get("fill_opacity", 0.85) or 0.85)),
                    _rgba(st.get("color", "#333333"), 1.0), min(float(st.get("weight", 1)), 2.0) * 0.6)
            for pt in getattr(items[i], "geoms", [items[i]]):
                xs.append(pt.x)
                ys.append(pt.y)
                sizes.append(look[0])
                faces.append(look[1])
                edges.append(look[2])
                widths.append(look[3])
        if xs:
            def one(values: list) -> Any:  # a single value when all agree: the PDF reuses one symbol
                return values[0] if len(looks) == 1 else values

            self.ax.scatter(xs, ys, s=one(sizes), marker=marker, facecolors=one(faces), edgecolors=one(edges),
                            linewidths=one(widths), zorder=3 + z * 0.001, plotnonfinite=False)
        self.has_aggregates = getattr(self, "has_aggregates", False) or bool(aggregates)
        for (x, y), members in aggregates:
            st = _feature_style(spec, props[members[0]])
            colour = st.get("color") if st.get("color") not in (None, "#ffffff") else st.get("fill_color", "#555555")
            hollow = all(props[i].get("_g") for i in members)
            n = len(members)
            size = (7 + 2.2 * math.log2(n)) * self.k if n > 1 else 5.5 * self.k
            self.ax.plot([x], [y], marker=marker, markersize=size, linestyle="none",
                         markerfacecolor=_rgba("#ffffff" if hollow else colour, 0.8 if hollow else 0.9),
                         markeredgecolor=colour, markeredgewidth=1.1 * self.k, zorder=4 + z * 0.001)
            if n > 1:
                self.ax.text(x, y, str(n), ha="center", va="center", fontsize=self.pt(5.5), fontweight="bold",
                             color=colour if hollow else "#ffffff", zorder=4.01 + z * 0.001)

    def draw_labels(self) -> None:
        """Permanent labels of counties and the structure (print-flagged), moved aside or left out on overlap."""
        import matplotlib.patheffects as pe
        from matplotlib.transforms import offset_copy

        from .crs import analysis_crs, transformer

        to_xy = transformer("EPSG:4326", analysis_crs())
        renderer = self.fig.canvas.get_renderer()
        placed: list[Any] = []
        sizes = {"county": 9.5, "element": 8.5, "node": 6.0, "seat": 6.0, "town": 5.5}
        colours = {"county": "#222222", "element": "#7b241c", "node": "#1f4e79"}
        self.labelled: list[str] = []
        x0, y0, x1, y1 = self.extent
        self.placed = placed  # the user layers' names avoid these (draw_user_labels)
        for lb in sorted([lb for lb in self.info["labels"] if lb.get("pr") and lb.get("c") != "user"],
                         key=lambda lb: -lb["p"]):
            x, y = to_xy.transform(*lb["ll"])
            if not (x0 <= x <= x1 and y0 <= y <= y1):
                continue
            size = self.pt(sizes.get(lb["c"], 6.0))
            text = self.ax.text(x, y, _text(lb["t"]), fontsize=size, ha="center", va="center",
                                color=colours.get(lb["c"], "#333333"),
                                fontweight="bold" if lb["c"] in ("county", "element") else "normal", zorder=6)
            ok = False
            bb = text.get_window_extent(renderer)
            w, h = bb.width, bb.height
            must = lb["p"] >= 9  # districts/counties and the structure's elements are always named
            best = None
            for dx, dy in _OFFSETS if must else _OFFSETS[:11]:
                text.set_transform(offset_copy(self.ax.transData, fig=self.fig, x=dx * (w / 2 + 4), y=dy * (h + 1),
                                               units="dots"))
                bb = text.get_window_extent(renderer)
                hits = sum(bb.overlaps(q) for q in placed)
                if best is None or hits < best[0]:
                    best = (hits, dx, dy)
                if not hits:
                    ok = True
                    break
            if not ok and must:  # no free place: the position overlapping the fewest labels
                text.set_transform(offset_copy(self.ax.transData, fig=self.fig, x=best[1] * (w / 2 + 4),
                                               y=best[2] * (h + 1), units="dots"))
                bb = text.get_window_extent(renderer)
                ok = True
            if ok:
                # a white halo drawn as outlines under the label; the label itself stays text (searchable)
                halo = self.ax.text(x, y, text.get_text(), fontsize=size, ha="center", va="center", color="white",
                                    fontweight=text.get_fontweight(), zorder=5.9, transform=text.get_transform())
                halo.set_path_effects([pe.withStroke(linewidth=2.2 * self.k, foreground="white")])
                placed.append(bb.expanded(1.05, 1.1))
                self.labelled.append(_text(lb["t"]))
            else:
                text.remove()


    def draw_user_labels(self) -> None:
        """Names of the features of user layers beside their symbols, avoiding the labels already placed and the
        other symbols; a feature whose name finds no free place gets a number, listed in the key (``self.key``,
        drawn with the legend).  Features at one spot share one tag (``3–5``)."""
        import matplotlib.patheffects as pe
        from matplotlib.transforms import Bbox

        from .crs import analysis_crs, transformer

        self.key: list[tuple[int, str]] = []
        users = [lb for lb in self.info["labels"] if lb.get("c") == "user"]
        if not users:
            return
        to_xy = transformer("EPSG:4326", analysis_crs())
        renderer = self.fig.canvas.get_renderer()
        placed: list[Any] = list(getattr(self, "placed", []))
        x0, y0, x1, y1 = self.extent
        frame = self.ax.get_window_extent(renderer)
        px = self.fig.dpi / 72.0
        r = 3.2 * self.k * px  # half a symbol, in dots
        todo = []
        for lb in users:
            x, y = to_xy.transform(*lb["ll"])
            if x0 <= x <= x1 and y0 <= y <= y1:
                dx, dy = self.ax.transData.transform((x, y))
                todo.append((lb, x, y))
                placed.append(Bbox([[dx - r, dy - r], [dx + r, dy + r]]))  # no name hides a symbol
        size = self.pt(6.0)
        failed: list[tuple[dict[str, Any], float, float]] = []
        for lb, x, y in todo:
            name = _text(lb["t"])
            text = self.ax.text(x, y, name, fontsize=size, ha="center", va="center", color="#1a1a1a", zorder=6.2)
            # the first place beside the symbol inside the frame that hides nothing (the text is left there)
            ok = next((bb for bb in self._beside(text, renderer, r=r, pad=1.5)
                       if frame.x0 <= bb.x0 and bb.x1 <= frame.x1 and frame.y0 <= bb.y0 and bb.y1 <= frame.y1
                       and not any(bb.overlaps(q) for q in placed)), None)
            if ok is None:
                text.remove()
                failed.append((lb, x, y))
                continue
            halo = self.ax.text(x, y, name, fontsize=size, ha="center", va="center", color="white", zorder=6.1,
                                transform=text.get_transform())
            halo.set_path_effects([pe.withStroke(linewidth=2.0 * self.k, foreground="white")])
            placed.append(ok.expanded(1.04, 1.08))
        # numbers: features at one spot numbered together, in the order their names come
        groups: dict[tuple[float, float], list[tuple[dict[str, Any], float, float]]] = {}
        for item in failed:
            groups.setdefault((round(item[1], 0), round(item[2], 0)), []).append(item)
        n = 0
        for members in groups.values():
            numbers = []
            for lb, _x, _y in members:
                n += 1
                numbers.append(n)
                self.key.append((n, _text(lb["t"])))
            tag = _number_tag(numbers)
            x, y = members[0][1], members[0][2]
            badge = self.ax.text(x, y, tag, fontsize=self.pt(5.5), ha="center", va="center", color="#1a1a1a",
                                 fontweight="bold", zorder=6.3,
                                 bbox={"boxstyle": "round,pad=0.18", "facecolor": "white", "edgecolor": "#444444",
                                       "linewidth": 0.5})
            # the place beside the symbol that hides the fewest names (the first that hides none)
            best = None
            for bb in self._beside(badge, renderer, r=r, pad=1.0):
                hits = sum(bb.overlaps(q) for q in placed)
                if best is None or hits < best[0]:
                    best = (hits, badge.get_transform(), bb)
                if not hits:
                    break
            badge.set_transform(best[1])
            placed.append(best[2])

    def _beside(self, artist: Any, renderer: Any, *, r: float, pad: float) -> Iterator[Any]:
        """Move ``artist`` (a text at a symbol) to each place of ``_USER_OFFSETS`` in turn, yielding its extent there.

        ``r`` is half the symbol and ``pad`` the gap beside it, in dots; the artist stays where the caller stops.
        """
        from matplotlib.transforms import offset_copy

        bb = artist.get_window_extent(renderer)
        w, h = bb.width, bb.height
        for ox, oy in _USER_OFFSETS:
            shift = (ox * (w / 2 + r + pad), oy * (h / 2 + r + 0.5))
            artist.set_transform(offset_copy(self.ax.transData, fig=self.fig, x=shift[0], y=shift[1], units="dots"))
            yield artist.get_window_extent(renderer)


# where a name (or a number) goes around its symbol: right, left, above, below, then the corners
_USER_OFFSETS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1))


def _number_tag(numbers: Sequence[int]) -> str:
    """The numbers of features at one spot: ``3``, ``3,4``, ``3–6``.

    >>> _number_tag([3]), _number_tag([3, 4]), _number_tag([3, 4, 5, 6])
    ('3', '3,4', '3–6')
    """
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}–{numbers[-1]}"
    return ",".join(str(k) for k in numbers)


def print_map(fmap: Any, path: str | os.PathLike, *, paper: str = "A3", orientation: str = "landscape",
              dpi: int = 200) -> Path:
    """Write a map made by :func:`gis.webmap.make_map` as a print-ready PDF or PNG page (atomically).

    Parameters
    ----------
    fmap
        The map (``gis.make_map(...)``).
    path
        ``*.pdf`` (vector, text stays text) or ``*.png`` (raster at ``dpi``).
    paper
        ISO size ``A4``, ``A3`` (default), ``A2`` or ``A1``.
    orientation
        ``landscape`` (default) or ``portrait``.
    dpi
        PNG resolution (the PDF is vector; its symbols and text do not depend on it).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "png"):
        raise InputError(f"print map: {path.name}: name the file *.pdf or *.png.")
    matplotlib = require("matplotlib", extra="maps", feature="print maps (PDF/PNG)")
    with matplotlib.rc_context({"text.parse_math": False}):  # user text is literal: "$5亿" is never mathtext
        return _render(fmap, path, fmt, paper=paper, orientation=orientation, dpi=dpi)


def _render(fmap: Any, path: Path, fmt: str, *, paper: str, orientation: str, dpi: int) -> Path:
    """Draw and save the page of :func:`print_map` (inside its matplotlib settings)."""
    page = _Page(fmap, paper=paper, orientation=orientation)
    page.info_paper = f"{paper.upper()}"
    try:
        page.draw_layers()
        page.draw_title()
        page.draw_furniture()
        page.draw_labels()
        page.draw_user_labels()
        page.draw_legend()
        page.draw_credits()
        meta = {"Title": _text(page.info["title"]), "Creator": "liuzhou-gis"}
        if fmt == "pdf":
            meta["CreationDate"] = None
        else:
            meta = {"Title": meta["Title"], "Software": "liuzhou-gis"}
        if fmt == "pdf":
            embed_page_fonts(page.fig)  # TrueType fonts of just this page's glyphs (fast, no poppler warning)
        with atomic_write(path) as tmp:
            page.fig.savefig(tmp, format=fmt, dpi=dpi if fmt == "png" else 72, metadata=meta)
    finally:
        page.plt.close(page.fig)
    return path
