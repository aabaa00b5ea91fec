"""The geocoding report of a table: one record per row (override, coordinates or gazetteer), its flags, the frames.

Private to :mod:`gis.geocode` (:func:`gis.geocode.geocode_table` documents the report's columns).
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import datum as _datum
from ._columns import value_title
from .city import profile
from ._geocode_match import _geocode_row
from ._geocode_table import _bad_coordinate_cells, _num, check_coordinates, coordinate_precision_m
from .gazetteer import Gazetteer, normalise_text

#: Columns of the report, in order.
REPORT_COLUMNS = ["row", "name", "place", "status", "method", "decided_by", "geocode_level", "precision_m", "lon",
                  "lat", "matched", "candidates", "flags", "reason_zh", "reason", "osm_id"]

#: What each flag adds to the Chinese reason ({outside}: the city profile's 市域外 wording).
_FLAG_REASONS_ZH = {
    "outside_liuzhou": "文字所指地点在{outside}",
    "swapped_corrected": "表中经度、纬度填反，已按正确顺序使用",
    "out_of_area": "坐标在{outside}，请核对",
    "gcj02_suspected": "坐标与文字所指地点的偏移和高德/腾讯（GCJ-02）坐标一致；如坐标从高德/腾讯地图复制，请声明坐标系 gcj02",
}


#: The fields of a record :func:`reason_zh` reads, but the place and the name (read only for a row not located).
_ZH_FIELDS = ("status", "method", "_zh", "flags", "precision_m", "geocode_level", "matched", "decided_by", "candidates")


def reason_zh(rec: dict[str, Any]) -> str:
    """The reason of a report row in Chinese, built from its fields (status, method, level, matches, flags).

    The English ``reason`` keeps the details (the exact cells, the gazetteer's basis); this one says what
    was decided and what to do.

    Examples
    --------
    >>> reason_zh({"status": "ambiguous", "method": "gazetteer", "candidates": "新兴村(柳江区); 新兴村(鹿寨县)",
    ...            "flags": ""})
    '地名有多个同名地点（新兴村(柳江区)、新兴村(鹿寨县)），无法确定：请在地点中写明县区或乡镇，或填写坐标'
    """
    status, method = rec.get("status"), rec.get("method")
    note = str(rec.get("_zh") or "")  # a correction (更正错字：…) or a word not read (未识别：…), a total row's reason
    if status == "skipped":
        return note or "合计行，不是项目"
    flags = [f for f in str(rec.get("flags") or "").split(";") if f]
    precision = rec.get("precision_m")
    around = (f"，位置精度约 {float(precision):.0f} 米"
              if isinstance(precision, (int, float)) and precision == precision else "")
    level = rec.get("geocode_level")
    level_zh = value_title("geocode_level", level) if level else ""
    parts = []
    if method == "override":
        parts.append(f"采用覆盖文件中人工核定的位置{around}")
    elif method == "coordinates":
        parts.append(f"采用表中坐标{around}")
    elif status == "matched":
        matched = "、".join(m.strip().replace("name:", "名称:") for m in str(rec.get("matched") or "").split(";")
                           if m.strip())
        by = value_title("decided_by", rec.get("decided_by")) or "地名"
        at = f"，定位到{level_zh}级" if level_zh else ""
        parts.append(f"按{by}匹配到「{matched}」{at}{around}" if matched else f"按{by}定位{at}{around}")
    elif status == "ambiguous":
        candidates = "、".join(c.strip() for c in str(rec.get("candidates") or "").split(";") if c.strip())
        parts.append(f"地名有多个同名地点（{candidates}），无法确定：请在地点中写明县区或乡镇，或填写坐标")
    elif "outside_liuzhou" in flags:
        parts.append(f"文字所指地点在{profile().outside_text}，未定位")
    elif rec.get("place") or rec.get("name"):
        parts.append(f"地名库中找不到「{rec.get('place') or rec.get('name')}」所指的地点：请写明乡镇、村或地标名称，"
                     "或填写坐标")
    else:
        parts.append("名称和地点都为空：请填写地点或坐标")
    if "bad_coordinates" in flags:
        parts.append("坐标单元格无法读取，" + ("已改按文字定位" if status == "matched" and method == "gazetteer"
                                             else "未按坐标定位"))
    parts += [_FLAG_REASONS_ZH[f].format(outside=profile().outside_text) for f in flags
              if f in _FLAG_REASONS_ZH and not (f == "outside_liuzhou" and status != "matched")]
    return "；".join([*([note] if note else []), *parts])


#: Stands for a row's place (or name) in a reason built once for several rows (a private-use character).
_MARK = "\ue000"


def _flag_unreadable(rec: dict[str, Any], cells: list[str]) -> None:
    """Flag a report row ``bad_coordinates``: its coordinate ``cells`` (described) cannot be read."""
    rec["flags"] = ";".join(f for f in (rec["flags"], "bad_coordinates") if f)
    rec["reason"] = (f"coordinate cells unreadable ({'; '.join(cells)}), so "
                     + ("placed by its text instead: " if rec["status"] == "matched" else "")
                     + rec["reason"])


def _flag_gcj02(records: list[dict[str, Any]], *, where: str) -> None:
    """Flag a table whose WGS-84 coordinates sit where GCJ-02 ones would: ~550 m from the places its text names.

    For each row with coordinates declared WGS-84/CGCS2000 and a place found from its text, the displacement
    (coordinates − text place) is judged by :func:`gis.datum.gcj02_displacement_test`; each agreeing row of a
    flagged table gets the flag ``gcj02_suspected``.
    """
    rows = [r for r in records if r.get("_text") and r.get("_datum") in ("wgs84", "cgcs2000")]
    verdict = _datum.gcj02_displacement_test([r["_text"][0] for r in rows], [r["_text"][1] for r in rows],
                                             [r["lon"] for r in rows], [r["lat"] for r in rows])
    if not verdict.suspected:
        return
    agreeing = []
    for r, agrees in zip(rows, verdict.agreeing):
        if agrees:
            r["flags"] = ";".join(f for f in (r["flags"], "gcj02_suspected") if f)
            r["reason"] += ("; these coordinates sit where GCJ-02 (Amap/Tencent) coordinates of the place its text "
                            "names would: if they were copied from 高德/腾讯 maps, declare the datum gcj02")
            agreeing.append(r["row"])
    warnings.warn(
        f"{where}: the coordinates of {verdict.n} rows sit on average {verdict.mean_m:.0f} m from the places their "
        f"text names, towards {verdict.bearing_deg:.0f}° (the GCJ-02 offset here is {verdict.offset_m:.0f} m towards "
        f"{verdict.offset_bearing_deg:.0f}°): they look like GCJ-02 (Amap/Tencent) "
        f"coordinates declared WGS-84. Rows {', '.join(map(str, agreeing[:10]))} are flagged gcj02_suspected; "
        "if they were copied from 高德/腾讯 maps, declare it (--datum gcj02, datum='gcj02' or a 坐标系 column).",
        UserWarning, stacklevel=3)


def _unread_notes(note: str) -> list[str]:
    """The words-not-read parts (未识别：…) of a result's Chinese note; its corrections already lead its reason."""
    return [n for n in note.split("；") if n.startswith("未识别")]


def _table_record(idx: Any, name: str, place: str, county: str | None, anchor: str, datum_text: str,
                  lon_cell: Any, lat_cell: Any, *, lon_c: str | None, lat_c: str | None,
                  ovr: dict[str, dict[str, Any]], default_datum: str, where: str,
                  gaz: Gazetteer) -> dict[str, Any]:
    """The report fields (all but ``row``) of one table row: override, else coordinates, else the gazetteer.

    Private keys ``_datum`` and ``_text`` (the place its text names) feed the GCJ-02 check and are
    removed by the caller.
    """
    lon, lat = _num(lon_cell), _num(lat_cell)
    key = next((k for k in (normalise_text(name), normalise_text(place)) if k and k in ovr), None) if ovr else None
    if key is not None:
        o = ovr[key]
        rec = {"name": name, "place": place, "status": "matched", "method": "override", "decided_by": "override",
               "geocode_level": o["geocode_level"], "precision_m": o["precision_m"], "lon": o["lon"], "lat": o["lat"],
               "matched": "", "candidates": "", "flags": "", "reason": f"override for {key}: {o['reason']}",
               "osm_id": ""}
    elif lon is not None and lat is not None:
        d = _datum.normalise_datum(datum_text or default_datum, where=f"{where} row {idx} datum")
        lon, lat, flags = check_coordinates(lon, lat)
        wlon, wlat = _datum.convert([lon], [lat], src=d, dst="wgs84")
        lon_text, lat_text = (lat_cell, lon_cell) if "swapped_corrected" in flags else (lon_cell, lat_cell)
        rec = {"name": name, "place": place, "status": "matched", "method": "coordinates",
               "decided_by": "coordinates", "geocode_level": "landmark",
               "precision_m": coordinate_precision_m(lon_text, lat_text), "lon": float(wlon[0]),
               "lat": float(wlat[0]), "matched": "", "candidates": "", "flags": ";".join(flags),
               "reason": f"coordinates of the table ({d} → wgs84)"
               + ("; lat and lon were swapped in the table and are corrected" if "swapped_corrected" in flags else "")
               + (f"; outside the municipality of {profile().name_en}: check them" if "out_of_area" in flags else ""),
               "osm_id": "", "_datum": d}
    else:
        r = _geocode_row(name, place, anchor, county, gaz)
        note = r.note
        rec = {"name": name, "place": place, "status": r.status, "method": "gazetteer", "decided_by": r.decided_by,
               "geocode_level": r.geocode_level, "precision_m": r.precision_m, "lon": r.lon, "lat": r.lat,
               "matched": "; ".join(r.matched), "candidates": "; ".join(r.candidates),
               "flags": ";".join((*(["outside_liuzhou"] if r.outside else []), *r.flags)),
               "reason": "; ".join(x for x in (*_unread_notes(note), r.reason) if x) if note else r.reason,
               "osm_id": r.osm_id, "_zh": note}
    if lon_c and lat_c:
        bad_cells = _bad_coordinate_cells({lon_c: lon_cell, lat_c: lat_cell}, lon_c, lat_c, lon, lat)
        if bad_cells and key is None:
            _flag_unreadable(rec, bad_cells)
    if rec["method"] == "coordinates" and (name or place):
        text = _geocode_row(name, place, anchor, county, gaz)
        if text.status == "matched" and text.precision_m is not None:
            rec["_text"] = (text.lon, text.lat, float(text.precision_m))
    return rec


def skipped_record(row: int, name: str, place: str, reason: str) -> dict[str, Any]:
    """The report record of a row that is not a project (a 合计 row): status ``skipped``, flag ``total_row``."""
    return {"row": row, "name": name, "place": place, "status": "skipped", "method": "", "decided_by": "",
            "geocode_level": None, "precision_m": None, "lon": None, "lat": None, "matched": "", "candidates": "",
            "flags": "total_row", "reason": "a total row (合计/小计, or the sums of the rows above): not a project",
            "_zh": reason, "osm_id": ""}


def report_frames(df: pd.DataFrame, records: list[dict[str, Any]], *, encoding: str,
                  extra: dict[str, np.ndarray] | None = None) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The geocoded table (``df``'s rows with points and ``geocode_*`` columns) and the report, from the records.

    Rows ``skipped`` (total rows) are in the report only, not in the table.  ``extra``: more columns
    of the table (the normalised ``investment_wan``, ``area_ha`` … of every input row), added after
    the ``geocode_*`` ones.  The records' private keys (``_text``, ``_datum``, ``_zh``) are not in the report.
    """
    said: dict[tuple, str] = {}  # rows that say the same thing get the same reason, built once
    for rec in records:
        # the fields reason_zh reads (the place and the name only for a row not located: 地名库中找不到「…」,
        # where the reason is built once with a mark for the text, each row's own text put in its place)
        get = rec.get
        key: tuple | None = tuple(map(get, _ZH_FIELDS))
        quoted = get("place") or get("name") if get("status") == "unmatched" else None
        if quoted is not None:
            if quoted and isinstance(quoted, str) and _MARK not in quoted and _MARK not in str(get("_zh") or ""):
                key = (*key, _MARK)  # type: ignore[misc]
            else:
                key, quoted = (*key, get("place"), get("name")), None  # type: ignore[misc]
        try:
            zh = said.get(key)  # type: ignore[arg-type]
        except TypeError:  # an unhashable value: no reuse
            key, zh = None, None
        if zh is None:
            zh = reason_zh({**rec, "place": _MARK, "name": ""} if quoted is not None else rec)
            if key is not None:
                said[key] = zh
        if quoted is not None:
            zh = zh.replace(_MARK, quoted)
        rec["reason_zh"] = zh
    report = pd.DataFrame(records, columns=REPORT_COLUMNS)  # only these columns: the private keys stay out
    report.attrs["encoding"] = encoding
    report.attrs["for_reading"] = True  # written (gis.export) with Chinese titles and codes
    matched = (report["status"] == "matched").to_numpy()
    geoms = np.full(len(report), None, dtype=object)
    if matched.any():
        geoms[matched] = shapely.points(report["lon"].to_numpy(dtype=float)[matched],
                                        report["lat"].to_numpy(dtype=float)[matched])
    flags = report["flags"].fillna("").astype(str).to_numpy()
    outside = {f: "outside_liuzhou" in f.split(";") for f in set(flags.tolist())}  # each distinct flags once
    # the report's flags and the outside flag stay on the features (a column of the table keeps its name)
    added = {"geocode_status": report["status"].to_numpy(), "geocode_level": report["geocode_level"].to_numpy(),
             "precision_m": report["precision_m"].to_numpy(), "geocode_method": report["method"].to_numpy(),
             "geocode_decided_by": report["decided_by"].to_numpy(),
             "flags" if "flags" not in df.columns else "geocode_flags": flags,
             "outside_liuzhou" if "outside_liuzhou" not in df.columns else "geocode_outside_liuzhou":
                 np.array([outside[f] for f in flags.tolist()], dtype=bool if len(flags) else object)}
    added.update({column: values for column, values in (extra or {}).items() if column not in df.columns})
    if df.columns.is_unique and df.index.is_unique and not df.columns.isin(["geometry", *added]).any():
        # the new columns made at once, after the table's (as set one by one below)
        new = pd.DataFrame({"geometry": geoms, **added}, index=df.index)
        out = gpd.GeoDataFrame(pd.concat([df, new], axis=1), geometry="geometry", crs="EPSG:4326")
        out.attrs = copy.deepcopy(df.attrs)  # as df.copy() keeps them
    else:  # a column of the table is written over where it stands
        out = gpd.GeoDataFrame(df.copy(), geometry=geoms, crs="EPSG:4326")
        for column, values in added.items():
            out[column] = values
    keep = (report["status"] != "skipped").to_numpy()
    if not keep.all():
        out = out[keep]
    out.attrs["encoding"] = encoding
    return out, report
