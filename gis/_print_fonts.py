"""The fonts a printed page embeds: small TrueType fonts holding only the glyphs the page uses.

The system's CJK font is usually an OpenType/CFF collection of 20 MB and 65,000 glyphs (Debian
``fonts-noto-cjk``).  Embedding it the matplotlib way costs two things on every PDF: fontTools re-reads and
subsets the whole collection (about 10 s per page on a loaded machine), and the subset is CFF data declared as a
TrueType font file, so poppler warns "Mismatch between font type and embedded font file" on every page.

:func:`embed_page_fonts` is called just before a page is saved: it collects the characters of every text on the
figure, draws each one once per process from the system font (its outlines converted to TrueType quadratic curves,
within 1 font unit of the original), writes a TrueType font of exactly those glyphs with the same metrics (so the
layout measured while drawing does not change) and points every text at it.  matplotlib then subsets a font of a
few hundred glyphs (milliseconds) and embeds real TrueType data.  The source font is opened once per process; a
second page only converts the characters it adds.  Fonts that already have TrueType outlines are left alone.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

__all__ = ["embed_page_fonts"]

_LOCK = threading.Lock()
_SOURCES: dict[tuple[str, int], "_Source | None"] = {}
_BASE = {chr(c) for c in range(0x20, 0x7F)}  # ASCII is always there: matplotlib measures line height with "lp"


class _Source:
    """One face of a CFF-outlined font file, opened lazily once per process, with its converted glyphs."""

    def __init__(self, path: str, index: int):
        from fontTools.ttLib import TTFont

        self.path, self.index = path, index
        self.font = TTFont(path, fontNumber=index, lazy=True)
        self.cmap = self.font.getBestCmap()
        self.glyph_set = self.font.getGlyphSet()
        self.glyphs: dict[str, Any] = {}  # glyph name -> fontTools glyf Glyph (quadratic)
        self.built: dict[frozenset[str], str] = {}  # the characters of a written font -> its file

    def _glyph(self, name: str) -> Any:
        from fontTools.pens.cu2quPen import Cu2QuPen
        from fontTools.pens.ttGlyphPen import TTGlyphPen

        if name not in self.glyphs:
            pen = TTGlyphPen(None)
            self.glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            self.glyphs[name] = pen.glyph()
        return self.glyphs[name]

    def font_file(self, chars: set[str], folder: Path) -> str:
        """A TrueType font of ``chars`` (those this face has) with this face's metrics and names."""
        from fontTools.fontBuilder import FontBuilder

        chars = {c for c in chars | _BASE if ord(c) in self.cmap}
        key = frozenset(chars)
        if key in self.built:
            return self.built[key]
        src = self.font
        names = [".notdef"] + sorted({self.cmap[ord(c)] for c in chars} - {".notdef"})
        cmap = {ord(c): self.cmap[ord(c)] for c in chars}
        glyphs = {n: self._glyph(n) for n in names}
        hmtx = src["hmtx"].metrics
        fb = FontBuilder(src["head"].unitsPerEm, isTTF=True)
        fb.setupGlyphOrder(names)
        fb.setupCharacterMap(cmap)
        fb.setupGlyf(glyphs)
        glyf = fb.font["glyf"]
        fb.setupHorizontalMetrics({n: (hmtx[n][0], getattr(glyf[n], "xMin", 0)) for n in names})
        hhea = src["hhea"]
        fb.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent, lineGap=hhea.lineGap)
        family = str(src["name"].getDebugName(1) or "CJK")
        style = str(src["name"].getDebugName(2) or "Regular")
        digest = hashlib.sha1(("".join(sorted(chars)) + self.path + str(self.index)).encode("utf-8")).hexdigest()[:8]
        ps = "".join(ch for ch in f"{family}-{style}" if ch.isalnum() or ch == "-") + f"-lz{digest}"
        fb.setupNameTable({"familyName": family, "styleName": style, "psName": ps, "uniqueFontIdentifier": ps})
        os2 = src["OS/2"]
        fb.setupOS2(sTypoAscender=os2.sTypoAscender, sTypoDescender=os2.sTypoDescender,
                    sTypoLineGap=os2.sTypoLineGap, usWinAscent=os2.usWinAscent, usWinDescent=os2.usWinDescent,
                    usWeightClass=os2.usWeightClass, fsType=0)
        fb.setupPost()
        fb.font["head"].macStyle = src["head"].macStyle
        out = folder / f"{ps}.ttf"
        fb.save(str(out))
        self.built[key] = str(out)
        return str(out)


def _source(path: str, index: int) -> _Source | None:
    """The converter for a font face, or None when the face already has TrueType outlines (or cannot be read)."""
    key = (path, index)
    if key not in _SOURCES:
        try:
            from fontTools.ttLib import TTFont

            probe = TTFont(path, fontNumber=index, lazy=True)
            _SOURCES[key] = _Source(path, index) if "CFF " in probe else None
        except Exception:  # noqa: BLE001 - an unreadable font is embedded the matplotlib way
            _SOURCES[key] = None
    return _SOURCES[key]


_FOLDER: list[Path] = []


def _folder() -> Path:
    """The process's folder of page fonts, removed when the process ends (no temporary files left behind)."""
    if not _FOLDER:
        import atexit
        import shutil

        _FOLDER.append(Path(tempfile.mkdtemp(prefix="lz-print-fonts-")))
        atexit.register(shutil.rmtree, _FOLDER[0], ignore_errors=True)
    return _FOLDER[0]


def embed_page_fonts(fig: Any) -> None:
    """Point every text of ``fig`` whose font has CFF outlines at a TrueType font of just the page's glyphs.

    Parameters
    ----------
    fig
        The matplotlib figure, fully drawn (called just before it is saved).
    """
    from matplotlib import font_manager
    from matplotlib.text import Text

    texts = [t for t in fig.findobj(Text) if t.get_text()]
    by_face: dict[tuple[str, int], list[Any]] = {}
    for t in texts:
        found = font_manager.findfont(t.get_fontproperties())
        path = os.fspath(found)
        index = int(getattr(found, "face_index", 0) or 0)
        by_face.setdefault((path, index), []).append(t)
    with _LOCK:
        for (path, index), members in by_face.items():
            src = _source(path, index)
            if src is None:
                continue
            chars = set("".join(t.get_text() for t in members))
            out = src.font_file(chars, _folder())
            for t in members:
                props = t.get_fontproperties().copy()
                props.set_file(out)
                t.set_fontproperties(props)
