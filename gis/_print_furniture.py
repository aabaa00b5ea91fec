"""The furniture of a printed 专题图 around and on the map: title and date, legend, scale bar
with its representative fraction, north arrow, and the sources / 审图号 caveat band.

:class:`_Furniture` is mixed into the page of :mod:`gis.printmap`, which owns the layout
(paper, the map and legend axes, the extent and its metres per millimetre) and draws the
layers and labels.  The symbol helpers (:func:`_rgba`, :func:`_dashes`, :data:`_MARKERS`)
are shared by both, so the legend draws exactly what the map does.
"""

from __future__ import annotations

import html
import math
import textwrap
from typing import Any

from ._legend import legend_model, shown_rows

_MARKERS = {None: "o", "circle": "o", "star": "*", "diamond": "D", "square": "s", "triangle": "^"}


def _text(value: Any) -> str:
    """Page text from the web map's configuration (which is HTML-escaped) back to plain text."""
    return html.unescape(str(value)) if value is not None else ""


def _dashes(dash: Any, weight: float) -> tuple[float, tuple[float, ...]] | str:
    if not dash:
        return "solid"
    nums = [float(x) for x in str(dash).replace(",", " ").split() if x]
    scale = max(weight, 0.5)
    return (0.0, tuple(n / scale for n in nums)) if nums else "solid"


class _Furniture:
    """Title, legend, scale bar, north arrow and credits of a page (mixed into ``gis.printmap._Page``).

    Uses the page's ``fig``, ``ax`` (the map), ``lax`` (the legend), ``k`` / :meth:`pt` (text scale),
    ``w_mm`` / ``h_mm``, ``map_box`` / ``legend_box``, ``extent`` / ``m_per_mm``, ``info``, ``styles``,
    ``texts`` and what :meth:`draw_layers` leaves (``drawn``, ``has_aggregates``).
    """

    def draw_furniture(self) -> None:
        """Scale bar with representative fraction, north arrow."""
        x0, y0, x1, y1 = self.extent
        width_m = (x1 - x0) * 0.22
        step = 10 ** math.floor(math.log10(width_m))
        for m in (5, 2, 1):
            if m * step <= width_m:
                length = m * step
                break
        n = 4
        bx, by = x0 + (x1 - x0) * 0.03, y0 + (y1 - y0) * 0.035
        bar_h = (y1 - y0) * 0.008
        from matplotlib.patches import Rectangle

        for i in range(n):
            self.ax.add_patch(Rectangle((bx + i * length / n, by), length / n, bar_h,
                                        facecolor="#000000" if i % 2 == 0 else "#ffffff", edgecolor="#000000",
                                        linewidth=0.6, zorder=7))
        unit, div = ("千米", 1000.0) if length >= 1000 else ("米", 1.0)
        for i in (0, n // 2, n):
            value = i * length / n / div
            self.ax.text(bx + i * length / n, by + bar_h * 1.6, f"{value:g}", ha="center", va="bottom",
                         fontsize=self.pt(7), zorder=7)
        self.ax.text(bx + length + (x1 - x0) * 0.01, by + bar_h / 2, unit, ha="left", va="center",
                     fontsize=self.pt(7), zorder=7)
        scale = self.m_per_mm * 1000.0
        nice = float(f"{scale:.2g}")
        self.ax.text(bx, by - bar_h * 1.2, f"比例尺 1:{nice:,.0f}(按 {self.info_paper} 纸张)", ha="left", va="top",
                     fontsize=self.pt(6.5), zorder=7)
        # north arrow (grid north of the Gauss-Kruger zone; true north differs by under 1° here)
        ax_ = self.ax
        nx, ny = 0.955, 0.90
        ax_.annotate("", xy=(nx, ny + 0.065), xytext=(nx, ny), xycoords="axes fraction",
                     arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=1.0", "color": "#111111",
                                 "linewidth": 1.6 * self.k}, zorder=8)
        ax_.text(nx, ny - 0.012, self.texts.get("north", "北"), transform=ax_.transAxes, ha="center", va="top",
                 fontsize=self.pt(11), fontweight="bold", zorder=8)

    # ------------------------------------------------------------ around the map

    def draw_title(self) -> None:
        fig = self.fig
        top = 1 - 8 * self.k / self.h_mm
        fig.text(0.5, top, _text(self.info["title"]), ha="center", va="top", fontsize=self.pt(20), fontweight="bold")
        # the map's note, then what the page leaves out (features of user layers outside the city)
        note = "　".join([_text(self.info["note"])] * bool(self.info.get("note")) + list(getattr(self, "notes", [])))
        if note:
            fig.text(0.5, top - 11.5 * self.k / self.h_mm, "\n".join(textwrap.wrap(note, 110)),
                     ha="center", va="top", fontsize=self.pt(7.5), color="#333333")
        fig.text(1 - 10 / self.w_mm, top, self.texts["date"].format(date=self.info["date"]), ha="right", va="top",
                 fontsize=self.pt(8), color="#333333")

    def legend_rows(self) -> list[tuple[str, Any, str]]:
        """(kind, (style, shape) or None, text) of the legend's layer and symbol rows, from the one legend model
        of screen and paper (:mod:`gis._legend`) for the layers with features on the page."""
        honest = self.styles.get("honest_symbols") or {}
        model = legend_model(self.drawn, honest=honest, heading=honest.get("legend_heading", "符号"))
        shown = {k for k, spec in enumerate(self.drawn) if spec["_print"]["props"]}
        rows: list[tuple[str, Any, str]] = []  # (kind, style-or-None, text)
        for row in shown_rows(model, shown, aggregates=bool(getattr(self, "has_aggregates", False))):
            role = row["role"]
            if role in ("group", "sub"):
                rows.append((role, None, _text(row["text"])))
            elif role == "hollow":
                rows.append(("hollow", ({"color": "#555555"}, None), _text(row["text"])))
            elif role == "solid":
                rows.append(("point", ({"color": "#333333", "fill_color": "#555555"}, None), _text(row["text"])))
            else:
                rows.append((row["kind"], (row["style"], row["shape"]), _text(row["text"])))
        return rows

    def draw_legend(self) -> None:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Rectangle

        ax = self.lax
        W, H = self.legend_box[2], self.legend_box[3]
        ax.add_patch(Rectangle((0, 0), W, H, facecolor="white", edgecolor="#666666", linewidth=0.6, clip_on=False))
        rows = self.legend_rows()
        key = list(getattr(self, "key", []))
        if key:  # features whose names had no room on the map: their numbers and names (编号 — 名称)
            rows.append(("group", None, _text(self.texts.get("label_key", "编号 — 名称"))))
            rows += [("key", number, name) for number, name in key]
        rows.insert(0, ("title", None, _text(self.texts["legend_title"])))
        # lay rows out in as many columns as needed; a group (its heading and rows) stays in one column
        fs = self.pt(7.0)
        while True:  # shrink the text while the columns needed would be too narrow
            line_mm = fs * 0.3528 * 1.55
            per_col = max(1, int((H - 4) / line_mm))
            places = _legend_places(rows, per_col)
            cols = max(col for col, _ in places) + 1
            if not (cols > 1 and W / cols < 42 * self.k and fs > 4.5):
                break
            fs *= 0.9
        col_w = W / cols
        wrap = max(8, int((col_w - 12) / (fs * 0.3528)))
        for (kind, st, text), (col, r) in zip(rows, places):
            x, y = col * col_w + 2.5, H - 3 - (r + 0.5) * line_mm
            label = text if len(text) <= wrap else text[: wrap - 1] + "…"
            if kind == "title":
                ax.text(x, y, label, fontsize=fs * 1.3, fontweight="bold", va="center")
                continue
            if kind == "key":  # the name is never cut: a long one is set smaller to fit its column
                tag = str(st)
                ax.text(x + 0.8, y, tag, fontsize=fs * 0.85, fontweight="bold", va="center", ha="left",
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "#444444",
                              "linewidth": 0.5})
                room_mm = col_w - 4.5 - 2.2 - len(tag) * fs * 0.3528 * 0.6
                ems = sum(1.0 if ord(ch) > 0x2E80 else 0.6 for ch in text)
                size = min(fs, room_mm / max(ems, 1) / 0.3528)
                ax.text(x + 2.6 + len(tag) * fs * 0.3528 * 0.6, y, text, fontsize=size, va="center")
                continue
            if kind in ("group", "sub"):
                ax.text(x, y, label, fontsize=fs, fontweight="bold" if kind == "group" else "normal",
                        color="#333333", va="center")
                continue
            style, shape = st
            sx = x + 1
            if kind == "polygon":
                ax.add_patch(Rectangle((sx, y - line_mm * 0.3), 7, line_mm * 0.6,
                                       facecolor=_rgba(style.get("fill_color") or style.get("color"),
                                                       max(float(style.get("fill_opacity", 0.2) or 0), 0.12)),
                                       edgecolor=style.get("color", "#333333"), linewidth=0.6,
                                       linestyle=_dashes(style.get("dash"), 0.6)))
            elif kind == "line":
                weight = float(style.get("weight", 2)) * 0.45
                ax.add_line(Line2D([sx, sx + 7], [y, y], color=_rgba(style.get("color"),
                                                                   float(style.get("opacity", 0.9) or 0.9)),
                                   linewidth=weight, linestyle=_dashes(style.get("dash"), weight)))
            else:
                hollow = kind == "hollow"
                marker = _MARKERS.get(shape, "o")
                ax.add_line(Line2D([sx + 3.5], [y], marker=marker, linestyle="none",
                                   markersize=(6.5 if hollow else 4.2) * self.k * (1.5 if marker == "*" else 1),
                                   markerfacecolor="#ffffff" if hollow else _rgba(style.get("fill_color")
                                                                                  or style.get("color"), 0.9),
                                   markeredgecolor=style.get("color", "#333333"), markeredgewidth=0.7))
            ax.text(sx + 9, y, label, fontsize=fs, va="center")

    def _credit_layout(self, margin: float) -> float:
        """Wrap the sources into two columns under the map; return the height (mm) of that band."""
        skip = {_text(self.texts[k]) for k in ("offline_note", "boundary_caveat") if k in self.texts}
        lines = [_text(self.texts["print_sources"]) + ":"]
        lines += [_text(c) for c in self.info["credits"] if _text(c) not in skip]
        lines.append(_text(self.texts["print_crs"]) + "。制图:liuzhou-gis。" +
                     self.texts["date"].format(date=self.info["date"]))
        self.credit_fs = self.pt(5.0)
        char_mm = self.credit_fs * 0.3528
        col_w = (self.w_mm - 2 * margin) / 2 - 4
        wrapped: list[str] = []
        for line in lines:  # CJK glyphs are one em wide, Latin about half: wrap by measured width
            wrapped += _wrap(line, col_w / char_mm) or [""]
        half = math.ceil(len(wrapped) / 2)
        self.credit_cols = [wrapped[:half], wrapped[half:]]
        self.credit_margin = margin
        caveat = _text(self.texts["boundary_caveat"])
        self.caveat_lines = _wrap(caveat, (self.w_mm - 2 * margin) / (self.pt(6.0) * 0.3528))
        line_mm = char_mm * 1.3
        return 6.0 + len(self.caveat_lines) * self.pt(6.0) * 0.3528 * 1.35 + half * line_mm + 4.0

    def draw_credits(self) -> None:
        m = self.credit_margin
        top = self.map_box[1] - 2.5
        for k, col in enumerate(self.credit_cols):
            self.fig.text((m + k * (self.w_mm - 2 * m) / 2) / self.w_mm, top / self.h_mm, "\n".join(col),
                          ha="left", va="top", fontsize=self.credit_fs, linespacing=1.3, color="#333333")
        self.fig.text(0.5, 4.0 / self.h_mm, "\n".join(self.caveat_lines), ha="center", va="bottom",
                      fontsize=self.pt(6.0), color="#8a1c1c", linespacing=1.35)


def _legend_places(rows: list[tuple[str, Any, str]], per_col: int) -> list[tuple[int, int]]:
    """(column, row) of each legend row: a group (a ``group`` row and the rows up to the next) starts a new
    column when it does not fit in what is left of the current one; only a group taller than a column splits.

    >>> rows = [("title", None, "图例"), ("group", None, "甲"), ("line", None, "a"), ("group", None, "乙"),
    ...         ("point", None, "b"), ("point", None, "c")]
    >>> _legend_places(rows, 4)
    [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    """
    blocks: list[list[int]] = []
    for k, (kind, _st, _text) in enumerate(rows):
        if kind in ("title", "group") or not blocks:
            blocks.append([k])
        else:
            blocks[-1].append(k)
    places: list[tuple[int, int]] = [(0, 0)] * len(rows)
    col, r = 0, 0
    for block in blocks:
        if r and r + len(block) > per_col:
            col, r = col + 1, 0
        for k in block:
            if r >= per_col:  # a group taller than a whole column
                col, r = col + 1, 0
            places[k] = (col, r)
            r += 1
    return places


def _wrap(text: str, width_em: float) -> list[str]:
    """Wrap mixed Chinese/Latin text to a width in ems (a CJK glyph is 1 em, other characters about 0.55)."""
    out, line, used = [], "", 0.0
    for ch in text:
        w = 1.0 if ord(ch) > 0x2E80 else 0.62
        if used + w > width_em and line:
            out.append(line)
            line, used = "", 0.0
        line += ch
        used += w
    if line:
        out.append(line)
    return out


def _rgba(colour: Any, alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba

    try:
        return to_rgba(colour or "#3366cc", alpha)
    except ValueError:
        return to_rgba("#3366cc", alpha)
