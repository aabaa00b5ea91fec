"""Units written in table headers: 总投资(万元) / 总投资（亿元） / 投资(元), 用地面积(亩) / 面积(公顷) / 占地(平方米) / (km²).

The table is data (``layers/units.yaml``): for each quantity (``investment``, ``area``) the words that
name it, and its units with the words that write them and their size in the quantity's base unit
(万元; m²).  :func:`header_unit` reads one header; :func:`unit_columns` finds the columns of a quantity
in a table; :func:`to_base` converts cells.  :mod:`gis.geocode` (``investment_wan``, ``area_ha``,
``area_mu``) and :mod:`gis.review` (the stated area of a project) both read headers through it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from ._errors import LayerError
from .layers import layers_dir, read_yaml

__all__ = ["HeaderUnit", "header_unit", "unit_columns", "unit_factors", "to_base", "numbers"]


@dataclass(frozen=True)
class HeaderUnit:
    """What a header says: the ``quantity`` (investment / area), its ``unit`` (wan, yi, mu, ha …) and ``factor``
    (the size of one unit in the quantity's base unit: 万元 for investment, m² for area)."""

    quantity: str
    unit: str
    factor: float


def _table_path() -> Path:
    path = layers_dir() / "units.yaml"
    return path if path.exists() else Path(str(resources.files("gis._layers"))) / "units.yaml"


@functools.lru_cache(maxsize=4)
def _table(path: str) -> dict[str, dict[str, Any]]:
    data = read_yaml(Path(path)) or {}
    out = {}
    for quantity, spec in data.items():
        units = []
        for u in spec.get("units", []):
            try:
                factor = float(Fraction(str(u["base"])))
            except (KeyError, ValueError, ZeroDivisionError) as exc:
                raise LayerError(f"{path}: {quantity} unit {u.get('unit')!r}: base {u.get('base')!r} is not a "
                                 "number or a fraction a/b.") from exc
            units.extend((_norm(w), u["unit"], factor) for w in u.get("words", []))
        units.sort(key=lambda t: -len(t[0]))
        out[quantity] = {"base": spec.get("base"), "words": [_norm(w) for w in spec.get("words", [])], "units": units}
    return out


def _norm(text: Any) -> str:
    return "".join(str(text).replace("（", "(").replace("）", ")").split()).casefold()


def unit_factors(quantity: str) -> dict[str, float]:
    """The units of ``quantity`` and their size in its base unit.

    Examples
    --------
    >>> f = unit_factors("area"); f["ha"], round(f["mu"], 4), f["km2"]
    (10000.0, 666.6667, 1000000.0)
    """
    return {unit: factor for _, unit, factor in _table(str(_table_path()))[quantity]["units"]}


def header_unit(header: Any, *, quantity: str | None = None) -> HeaderUnit | None:
    """The quantity and unit a header writes, or None.

    The unit is the text in the header's last brackets (either width), else its end
    after a quantity word; a bare unit (``亩``, ``公顷``, ``area_ha``, ``km²``) counts
    for the area.  ``quantity`` restricts the answer to one quantity.

    Examples
    --------
    >>> header_unit("总投资(万元)")
    HeaderUnit(quantity='investment', unit='wan', factor=1.0)
    >>> header_unit("总投资（亿元）").unit, header_unit("投资(元)").unit, header_unit("用地面积(亩)").unit
    ('yi', 'yuan', 'mu')
    >>> header_unit("面积(km²)").unit, header_unit("area_ha").unit, header_unit("占地(平方米)").unit
    ('km2', 'ha', 'm2')
    >>> header_unit("项目名称") is None, header_unit("面积") is None
    (True, True)
    """
    n = _norm(header)
    table = _table(str(_table_path()))
    bracket = re.search(r"\(([^()]*)\)\s*$", n)
    unit_text = bracket.group(1) if bracket else None
    stem = n[: bracket.start()] if bracket else n
    for q, spec in table.items():
        if quantity is not None and q != quantity:
            continue
        named = any(w in stem for w in spec["words"])
        for word, unit, factor in spec["units"]:
            if unit_text is not None:
                if unit_text == word and (named or q == "area"):
                    return HeaderUnit(q, unit, factor)
            elif named and stem.endswith(word) and not any(stem == w for w in spec["words"]):
                return HeaderUnit(q, unit, factor)
            elif q == "area" and (stem == word or re.fullmatch(rf"(area|面积)[_\-]?{re.escape(word)}", stem)):
                return HeaderUnit(q, unit, factor)
    return None


def unit_columns(columns: Iterable[Any], quantity: str) -> list[tuple[Any, HeaderUnit]]:
    """The columns whose header writes a unit of ``quantity``, in table order.

    Examples
    --------
    >>> unit_columns(["项目名称", "总投资(万元)", "用地面积(亩)"], "area")
    [('用地面积(亩)', HeaderUnit(quantity='area', unit='mu', factor=666.6666666666666))]
    """
    return [(c, hu) for c in columns if (hu := header_unit(c, quantity=quantity)) is not None]


def numbers(series: pd.Series) -> np.ndarray:
    """Cells as floats: thousands separators and full-width digits read, blank or text = NaN."""
    text = series.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else
                      "".join(str(v).split())).astype(str)
    import unicodedata

    text = text.map(lambda t: unicodedata.normalize("NFKC", t).replace(",", ""))
    return pd.to_numeric(text.where(text != ""), errors="coerce").to_numpy(dtype=float)


def to_base(series: pd.Series, hu: HeaderUnit) -> np.ndarray:
    """A column's cells in the base unit of its quantity (万元; m²)."""
    return numbers(series) * hu.factor
