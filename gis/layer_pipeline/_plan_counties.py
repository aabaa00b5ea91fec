"""The county of a plan feature: the legal county a county cell names, new districts, and the county polygon
holding a located point (:mod:`gis.layer_pipeline.plans`)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from ..gazetteer import Gazetteer, normalise_text
from ._plan_rows import _clean, _short

#: New districts (administrative areas that are not counties) as the texts spell them → the name kept in ``new_district``.
NEW_DISTRICTS: dict[str, str] = {
    "阳和工业新区(北部生态新区)": "阳和工业新区(北部生态新区)",
    "柳州高新技术产业开发区": "柳州高新区",
    "柳州高新区": "柳州高新区",
    "柳东新区": "柳东新区",
    "北部生态新区": "北部生态新区",
    "阳和工业新区": "阳和工业新区",
}
#: Located places finer than a county: their point lies in the feature's county.
_FINE_LEVELS = ("landmark", "village", "township")


def new_district_of(text: Any) -> str:
    """The new district a county cell names (``""`` when it names none).

    Examples
    --------
    >>> new_district_of("柳州高新技术产业开发区"), new_district_of("阳和工业新区（北部生态新区）"), new_district_of("融水")
    ('柳州高新区', '阳和工业新区(北部生态新区)', '')
    """
    t = normalise_text(text)
    for words in sorted(NEW_DISTRICTS, key=len, reverse=True):
        if words in t:
            return NEW_DISTRICTS[words]
    return ""


def canonical_county(text: Any, counties: gpd.GeoDataFrame, gaz: Gazetteer | None = None) -> str:
    """The legal county name (one of the base ``counties``) a county cell names, or ``""``.

    The gazetteer's county aliases first (柳城 → 柳城县, 融水县 → 融水苗族自治县), then the base layer's
    ``short_name`` (the name without 区/县/自治县).

    Examples
    --------
    >>> from gis.layers import load_layer
    >>> c = load_layer("counties")
    >>> canonical_county("融水县", c), canonical_county("三江", c), canonical_county("鱼峰区", c), canonical_county("柳东新区", c)
    ('融水苗族自治县', '三江侗族自治县', '鱼峰区', '')
    """
    names = set(counties["name"])
    t = normalise_text(text)
    if not t:
        return ""
    if t in names:
        return t
    if gaz is not None:
        hits = {p.name for p in gaz.lookup(t) if p.kind == "county" and p.name in names}
        if len(hits) == 1:
            return hits.pop()
    short = _short(t)
    hits = {n for n, s in zip(counties["name"], counties["short_name"]) if s == short or _short(n) == short}
    return hits.pop() if len(hits) == 1 else ""


def _county_at(geom: Any, counties: gpd.GeoDataFrame) -> str:
    hit = counties[counties.geometry.covers(geom)]
    return str(hit.iloc[0]["name"]) if len(hit) == 1 else ""


def assign_counties(gdf: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, city: Any, *, gaz: Gazetteer | None = None,
                    by_id: dict[str, dict[str, str]] | None = None) -> gpd.GeoDataFrame:
    """A copy of a plan layer with ``county_text``, a canonical ``county``, ``new_district``, ``county_basis``,
    ``county_note`` and ``in_municipality``.

    ``county`` is one of the base ``counties`` names or empty.  ``county_basis``: ``text`` (the row's county cell
    names one county), ``located_point`` (the cell is empty or names a new district, and the feature is located at a
    township, village or landmark, or at the seat of the one county its place lies in: the county polygon holding
    its point), ``none`` (empty
    ``county``; ``county_note`` says why: a new district placed at its representative point, the city, outside Liuzhou,
    a line).  ``in_municipality``: the point lies in the city polygon (lines: intersect it).  Rows located through a
    logistics feature (corridor sites, ``_place_kind == "facility"``, id in ``_facility``) take that feature's values
    from ``by_id``.
    """
    out = gdf.copy()
    n = len(out)
    text = [(_clean(v)) for v in (out["county"] if "county" in out.columns else pd.Series([""] * n, index=out.index))]
    geoms = out.geometry.values
    inside = [bool(g is not None and (g.intersects(city) if g.geom_type != "Point" else city.covers(g))) for g in geoms]
    level = list(out["geocode_level"]) if "geocode_level" in out.columns else [""] * n
    kind = list(out["_place_kind"]) if "_place_kind" in out.columns else [""] * n
    place = list(out["_place"]) if "_place" in out.columns else [""] * n
    pcounty = list(out["_place_county"].fillna("")) if "_place_county" in out.columns else [""] * n
    fac = list(out["_facility"].fillna("")) if "_facility" in out.columns else [""] * n
    county, basis, district, note = [], [], [], []
    for t, g, lv, k, pl, pc, ins, fa in zip(text, geoms, level, kind, place, pcounty, inside, fac):
        nd = new_district_of(t)
        c, b, why = "", "none", ""
        # a county-level point is the seat of the county the place lies in: fine when that is one legal county
        fine = lv in _FINE_LEVELS or (lv == "county" and k != "new_district" and g is not None and g.geom_type == "Point"
                                      and canonical_county(pc, counties) not in ("", None)
                                      and canonical_county(pc, counties) == _county_at(g, counties))
        if g is None or g.geom_type != "Point":
            why = "a line: see its places" if not t else f"a line; the text says {t}"
            c = canonical_county(t, counties, gaz) if t and not nd else ""
            b = "text" if c else "none"
        elif k == "facility" and by_id and fa in by_id:
            f = by_id[fa]
            c, b, nd = f["county"], f["county_basis"], f["new_district"]
            why = f"as its logistics row {fa}" + (f" ({f['county_note']})" if f["county_note"] else "")
        elif nd:
            if fine and ins:
                c, b = _county_at(g, counties), "located_point"
                why = f"the text names the new district {nd}; county of its located {lv}"
            else:
                why = (f"the text names the new district {nd}, which is not a county, and the feature is located "
                       f"only at {pl or 'the district'} ({lv}), not at a township")
        elif t:
            c = canonical_county(t, counties, gaz)
            b = "text" if c else "none"
            why = "" if c else f"the text's county {t!r} is not one county"
        elif not ins:
            why = f"outside the municipality ({pl or lv})"
        elif k == "new_district":
            nd = new_district_of(pl) or pl
            why = f"located only at the new district {pl}, which is not a county"
        elif fine:
            c, b = _county_at(g, counties), "located_point"
            b = b if c else "none"
        else:
            why = f"located only at the {lv} ({pl})" if pl else f"located only at the {lv}"
        if b != "none" and not c:
            b = "none"
        county.append(c)
        basis.append(b)
        district.append(nd)
        note.append(why)
    out["county_text"] = text
    out["county"] = county
    out["new_district"] = district
    out["county_basis"] = basis
    out["county_note"] = note
    out["in_municipality"] = inside
    return out
