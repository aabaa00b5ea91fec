"""Shared pieces of the re-extraction tests: where the seed texts are, and how rows and seed lines are read.

The seeds are found at ``$LZGIS_SHARED/seeds`` or ``../shared/seeds`` next to the repository; tests that need
them are marked :data:`needs_seeds` and skip (saying where they looked) when they are absent.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "layers" / "sources"
SEEDS = Path(os.environ.get("LZGIS_SHARED") or REPO.parent / "shared") / "seeds"
F000, F001 = "000_2e2a98b042eb9d21.txt", "001_0de2ed12fe4eddd8.txt"
F002, F004 = "002_cea03bdf2b5fe175.txt", "004_9db75a2811220992.txt"
#: Columns of the hand-transcribed point tables (layers/sources/*.csv).
POINT_HEADER = ["id", "name", "category", "type", "county", "place", "anchor", "status_zh", "role", "area_mu",
                "area_km2", "investment_yi", "period", "description", "source_file", "section", "source_line"]

needs_seeds = pytest.mark.skipif(not (SEEDS / F004).exists(), reason=f"seed texts not found at {SEEDS}")


def squash(text: str) -> str:
    """Text without any whitespace (the seeds break lines inside names)."""
    return re.sub(r"\s+", "", text)


def source_rows(name: str) -> list[dict[str, str]]:
    """The rows of one hand-transcribed table in layers/sources."""
    with open(SOURCES / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def seed_lines(name: str) -> list[str]:
    """The lines of one seed text (line n is item n - 1)."""
    return (SEEDS / name).read_text(encoding="utf-8").split("\n")


# -- the named entities of the 专栏 lists (issue 19 item 5) -------------------------------------------------------

#: What a named plan entity ends with (a project, a works, a park, a centre).
ENTITY_ENDS = ("项目", "工程", "园", "中心")
#: Words that open a list item's verb phrase: the entity's name is what follows the last of them.
_LEAD = ("重点推进", "重点推动", "重点建设", "加快推进", "加快建设", "规划增设", "积极打造", "聚力打造", "推进", "推动",
         "建设", "新建", "打造", "实施", "依托", "立足", "启动", "创建", "加快", "完善", "积极", "协同", "尽快", "改扩建",
         "扩建", "迁建", "争取", "引进", "以", "在")
_SPLIT = re.compile(r"[、，；。：:,;（）()“”\"《》]|及|和|与|等|或")
_ENTITY = re.compile(r"([\u4e00-\u9fff\w·—\-#]{2,40}?(?:" + "|".join(ENTITY_ENDS) + r"))(?:建设)?$")


def box_blocks(name: str) -> list[tuple[str, list[tuple[int, str]]]]:
    """The 专栏 of a seed: its title and its body lines ``(line number, text)``, headings inside it left out.

    A 专栏 runs from its heading to the next heading of a 篇/章/节, a figure or another 专栏.
    """
    out: list[tuple[str, list[tuple[int, str]]]] = []
    current: list[tuple[int, str]] | None = None
    for n, line in enumerate(seed_lines(name), start=1):
        head = re.match(r"^#+\s*(.*)", line)
        if head:
            title = head.group(1).strip()
            if "专栏" in title:
                current = []
                out.append((title, current))
            elif re.match(r"(第[一二三四五六七八九十]+[篇章节]|——|图)", title):
                current = None
            continue
        if current is not None and line.strip():
            current.append((n, line))
    return out


def box_entities(name: str) -> list[tuple[str, int, str]]:
    """Every 「…项目」/「…工程」/「…园」/「…中心」 item of the 专栏 lists of a seed: ``(专栏 title, line, name)``.

    Items are the pieces between list delimiters (、，；。 and 及/和/与/等/或); the name is what follows the item's
    last opening verb (推进, 建设, 打造 …) and ends with one of :data:`ENTITY_ENDS` (a trailing 建设 dropped).
    Generic items (一批…, 各县分别…) are left to the caller.
    """
    out = []
    for title, body in box_blocks(name):
        for n, line in body:
            line = re.sub(r"^\s*\d+[.、．]\s*", "", line)
            for piece in _SPLIT.split(line):
                piece = piece.strip()
                m = _ENTITY.search(piece)
                if not m:
                    continue
                text = m.group(1)
                for lead in _LEAD:  # what follows the last opening verb
                    k = text.rfind(lead)
                    if k >= 0 and len(text) - k - len(lead) >= 3 and not (lead == "在" and text[k + 1:k + 2] == "建"):
                        text = text[k + len(lead):]
                out.append((title, n, text))
    return out
