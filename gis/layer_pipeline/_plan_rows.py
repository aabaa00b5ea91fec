"""The source tables of the plan layers: reading a table, cleaning a cell, the unlocated rows, name keys and
the Chinese / English split of a description (``layers/sources/`` → :mod:`gis.layer_pipeline.plans`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..gazetteer import normalise_text

POINT_LAYERS = ("projects", "logistics", "characteristic_towns", "facilities")
FEATURE_COLUMNS = ["name", "category", "county", "status", "status_zh", "source_file", "section",
                   "geocode_level", "precision_m", "matched", "geocode_basis", "source_table", "source_row"]


def _clean(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return str(v).strip()


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


class _Unlocated:
    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []
        #: id → (layer, feature fields without location) of unlocated point-table rows, for :func:`share_locations`
        self.records: dict[str, tuple[str, dict[str, Any]]] = {}

    def add(self, table: str, row: int, ident: str, name: str, place: str, reason: str, candidates: str = "",
            *, layer: str = "", record: dict[str, Any] | None = None) -> None:
        self.rows.append({"table": table, "row": str(row), "id": ident, "name": name, "place": place,
                          "reason": reason, "candidates": candidates})
        if record is not None and ident:
            self.records[ident] = (layer, record)

    def remove(self, ident: str) -> None:
        self.rows = [r for r in self.rows if r["id"] != ident]
        self.records.pop(ident, None)


def _short(name: str) -> str:
    for suffix in ("苗族自治县", "侗族自治县", "自治县", "市", "县", "区", "镇", "乡", "街道"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


_CITY_INSERT = re.compile(r"\((?:广西)?柳州市?\)")
_DASHES = re.compile(r"[—–－‐-]+")


def name_key(name: Any) -> str:
    """The name with the city prefix, a "（柳州）" insert and a trailing 项目/工程 removed, for matching one entity across
    tables (full-width/half-width brackets and whitespace are normalised first).

    Examples
    --------
    >>> name_key("柳州保税物流中心（B型）") == name_key("柳州保税物流中心(B型)项目") == "保税物流中心(B型)"
    True
    >>> name_key("中国移动（柳州）数据中心") == name_key("中国移动 (柳州) 数据中心") == "中国移动数据中心"
    True
    """
    key = _DASHES.sub("-", _CITY_INSERT.sub("", normalise_text(name)))
    for prefix in ("广西柳州市", "广西柳州", "柳州市", "柳州"):
        if key.startswith(prefix) and len(key) - len(prefix) >= 4:
            key = key[len(prefix):]
            break
    for suffix in ("建设项目", "项目", "工程"):
        if key.endswith(suffix) and len(key) - len(suffix) >= 4:
            key = key[: -len(suffix)]
            break
    return key


_CLAUSE = re.compile(r"(?<=[；;])\s*|(?<=[.。])\s+(?=[A-Za-z(（\u4e00-\u9fff])|(?<=\.)(?=[\u4e00-\u9fff])")
_ASCII_WORD = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,}(?![A-Za-z])")
#: Latin words that are names or units in a Chinese clause, not English prose.
_NOT_ENGLISH = {"KD", "JIT", "AI", "RRT", "RCEP", "CEPA", "LOG", "URB", "CE", "HT", "CH", "RAIL", "EXP", "HWY", "WAT",
                "AIR", "PIPE", "RD", "AX", "OCR", "GDP", "km", "mu", "m²", "MW", "kV", "TEU", "LNG", "IT", "EPC",
                "PPP", "B", "II", "III", "IV", "ASEAN", "G", "S", "Y", "DC", "AGV", "VR", "AR", "IDC", "CBD"}


def split_description(text: Any) -> tuple[str, str]:
    """The Chinese description and the internal (English) transcriber notes of a source description.

    The text is cut into clauses at ；/; and at a full stop followed by a space or a Chinese character; a clause with
    an English word (a Latin word of two letters or more that is not upper case — codes such as KD, LOG, RRT — nor a
    unit such as km) is a transcriber note.  Chinese clauses are joined with "；", notes with "; ".

    Examples
    --------
    >>> split_description("附件 柳南区表 序号1；总建筑面积约69.15万m²；87.5亿元 is the base part only (LOG-S-001)")
    ('附件 柳南区表 序号1；总建筑面积约69.15万m²', '87.5亿元 is the base part only (LOG-S-001)')
    >>> split_description("中欧班列常态化运行")
    ('中欧班列常态化运行', '')
    """
    zh, en = [], []
    for clause in _CLAUSE.split(_clean(text)):
        c = clause.strip().strip("；;").strip()
        if not c:
            continue
        words = [w for w in _ASCII_WORD.findall(c) if not w.isupper() and w not in _NOT_ENGLISH]
        (en if words else zh).append(c)
    return "；".join(zh), "; ".join(en)


def chinese_descriptions(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy whose ``description`` holds only the Chinese clauses; English notes move to ``note_internal``."""
    out = gdf.copy()
    if "description" not in out.columns:
        return out
    parts = [split_description(d) for d in out["description"]]
    out["description"] = [p[0] for p in parts]
    out["note_internal"] = [p[1] for p in parts]
    return out
