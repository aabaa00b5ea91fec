"""Maps of a siting review: project footprints over control zones, and ranked candidate sites.

Both are ordinary :func:`gis.make_map` pages (offline, escaped).  Colours and
labels come from the ``review`` block of ``layers/map_styles.yaml``.  Zones
marked as examples (an ``example`` column that is true, as in the shipped
``zones_example`` layer) are titled as synthetic on the map, and so is the map.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ._mapstyle import map_styles
from .review import _VERDICTS_ZH, VERDICTS
from .webmap import make_map

__all__ = ["review_map", "site_map", "is_example"]

_ORDER = {v: i for i, v in enumerate(VERDICTS)}  # the most serious first


def is_example(zones: pd.DataFrame) -> bool:
    """True when the zones say they are synthetic examples (an ``example`` column holding true)."""
    if "example" not in zones.columns:
        return False
    return bool(zones["example"].fillna(False).astype(bool).any())


def _verdict_rule(styles: dict[str, Any], field: str = "verdict") -> dict[str, Any]:
    items = [{"label": v["label"], "values": [v["value"]],
              **{k: x for k, x in v.items() if k not in ("label", "value")}} for v in styles["review"]["verdicts"]]
    return {"field": field, "items": items}


def worst_verdicts(result: pd.DataFrame) -> pd.DataFrame:
    """Per project row of a :func:`gis.review` table: the most serious verdict and where it comes from.

    A row without a position (unplaced, verdict empty) keeps an empty verdict and touches no class.
    """
    order = result["verdict"].map(_ORDER)
    worst = result.assign(_o=order).sort_values(["source_index", "_o"], kind="stable").drop_duplicates("source_index")
    touched = result[result["verdict"].notna() & (result["verdict"] != "clear")].groupby("source_index")["zone_class"].agg(lambda s: "、".join(s))
    return pd.DataFrame({"verdict": worst.set_index("source_index")["verdict"],
                         "classes": touched}).fillna({"classes": ""})


def review_map(result: gpd.GeoDataFrame, footprints: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *,
               zone_field: str | None = None, title: str = "选址与合规性审查", labels: pd.DataFrame | None = None):
    """A web map of project footprints (coloured by their most serious verdict) over the zones, one layer per class.

    Parameters
    ----------
    result : GeoDataFrame
        From :func:`gis.review` (per row × class).
    footprints : GeoDataFrame
        From :func:`gis.footprints` of the same projects (aligned to their index).
    zones : GeoDataFrame
        The zones reviewed against.
    zone_field : str, optional
        Their class column.
    labels : DataFrame, optional
        Columns to show in the footprints' popups (aligned to the projects' index), e.g. name and option.

    Returns
    -------
    folium.Map
        Write it with :func:`gis.save_map`; it opens on the footprints (not the whole city).
    """
    styles = map_styles()
    conf = styles["review"]
    example = is_example(zones)
    suffix = conf["example_suffix"] if example else ""
    layers: list[Any] = []
    z = zones.to_crs("EPSG:4326")
    classes = list(dict.fromkeys(z[zone_field].astype(str))) if zone_field else [None]
    palette = conf["zone_palette"]
    for i, cls in enumerate(classes):
        part = z if cls is None else z[z[zone_field].astype(str) == cls]
        colour = palette[i % len(palette)]
        layers.append((part, {"title": f"{cls or '管控分区'}{suffix}", "group": conf["zones_group"], "kind": "polygon",
                              "style": {"color": colour, "fill_color": colour, **conf["zone_style"]}}))
    worst = worst_verdicts(result)
    fp = footprints.to_crs("EPSG:4326")
    table = pd.DataFrame(index=fp.index)
    if labels is not None:
        table = table.join(labels)
    table["verdict"] = worst["verdict"].reindex(fp.index).to_numpy()
    table["审查结论"] = [_VERDICTS_ZH[v] for v in table["verdict"]]
    table["涉及分区"] = worst["classes"].reindex(fp.index).fillna("").to_numpy()
    table["用地(公顷)"] = fp["footprint_ha"].round(2).to_numpy()
    table["用地(亩)"] = fp["footprint_mu"].round(1).to_numpy()
    table["精度(米)"] = fp["precision_m"].to_numpy()
    shown = gpd.GeoDataFrame(table, geometry=fp.geometry.values, crs="EPSG:4326")
    basis = fp["footprint_basis"].to_numpy()
    for key, text in (("polygon", "用地范围"), ("disk_from_area", "按面积折算的用地（估算圆）"), ("point", "点位（无面积）")):
        part = shown[basis == key]
        if len(part):
            layers.append((part, {"title": text, "group": conf["footprints_group"], "classes": _verdict_rule(styles),
                                  "kind": "point" if key == "point" else "polygon", "fit": True, "named": True}))
    note = "审查结论按位置精度(precision_m)判定：占用 = 任何可能位置都重叠；可能涉及 = 仅部分可能位置重叠。"
    if example:
        note = "示例数据：管控分区为虚构，非真实三区三线。" + note
    return make_map(layers, title=title + (" （示例）" if example else ""), note=note)


def site_map(ranked: gpd.GeoDataFrame, *, title: str = "候选选址评价", context: list[Any] | None = None,
             top: int = 10):
    """A web map of scored candidates (:func:`gis.site_suitability`): those passing every criterion stand out.

    ``context``: further layers (exclusion zones, targets) drawn under the candidates.
    The map opens on the candidates (not the whole city).
    """
    styles = map_styles()
    conf = styles["review"]
    g = ranked.to_crs("EPSG:4326").copy()
    g["all_pass"] = g["all_pass"].astype(bool)
    g = g.assign(_pass=np.where(g["all_pass"], "true", "false"))
    items = [{"label": v["label"], "values": [str(v["value"]).lower()],
              **{k: x for k, x in v.items() if k not in ("label", "value")}} for v in conf["site"]]
    layers: list[Any] = list(context or [])
    layers.append((g, {"title": "候选点（按条件评价）", "group": conf["candidates_group"], "kind": "point",
                       "classes": {"field": "_pass", "items": items}, "fit": True}))
    best = g.nsmallest(min(top, len(g)), "rank")
    layers.append((best, {"title": f"排名前 {len(best)} 位", "group": conf["candidates_group"], "kind": "point",
                          "shape": "star", "style": {"color": "#b2182b", "fill_color": "#fee08b", "radius": 8}}))
    return make_map(layers, title=title)
