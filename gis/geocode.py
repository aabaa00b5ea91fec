"""Offline geocoding of Chinese place names and of planners' project tables.

:func:`geocode` finds the place names in a free text ("鹿寨港江口作业区",
"柳州市柳东新区雒容镇某路") with the project's gazetteer
(:mod:`gis.gazetteer`), resolves names shared by several places with a county
named in the same text (or the ``county`` argument) and otherwise reports them
as ambiguous with their candidates; it never guesses.  A text naming a
province, prefecture or county outside Liuzhou is placed there or reported
(``outside=True``), never at a Liuzhou namesake.  ``precision_m`` is the radius
within which the named thing lies (a township's estimated extent, not its
seat's accuracy; see :mod:`gis.gazetteer`).

:func:`geocode_table` runs over a CSV (read by :func:`gis.readers.read_table`:
UTF-8, UTF-16/32 by BOM, GBK, or the ``encoding=`` given, e.g. GB18030 or Big5)
or Excel table of projects: every row ends up ``matched``, ``ambiguous``,
``unmatched`` or ``skipped`` in the report, none is dropped.  ``skipped`` is a
total row (合计/小计/总计 in the name, or numbers that are the sums of the rows
above): it is in the report (reason 合计行，不是项目) but not in the layer.
A finer place the text names that the gazetteer lacks is corrected when it is
one character away from exactly one township or village of the named county
(flag ``corrected``) or flagged ``unrecognised:<word>`` (see :func:`geocode`).  Rows that carry coordinates keep
them (converted from their datum to WGS-84; out-of-area and swapped lon/lat
are flagged), and an overrides file wins over everything else.  Otherwise the
place column is primary; the project name is read only to break a tie between
the candidates of an ambiguous place (a county or town it names) or when the
place is empty or names no known place; the report's ``decided_by`` says which
column decided and ``matched`` entries read from the name start with ``name:``.
A landmark the name names (an OpenStreetMap site, ``osm_id`` in the report)
refines a coarser place or anchor when it lies within that place's radius and
its kind fits the feature (``layers/gazetteer/osm_kinds.yaml``); this is
``decided_by="place+name"``.  A county the address names beats a town the
project name repeats.

Overrides file
--------------
CSV or YAML with one entry per place to fix::

    name,lon,lat,datum          # a point (datum: wgs84 / cgcs2000 / gcj02 / bd09; default wgs84)
    柳州螺蛳粉产业园,109.41,24.23,gcj02
    name,anchor                 # or an anchor: any name the gazetteer knows
    某某物流园,雒容镇

(YAML: a list of mappings with the same keys.)  A point override may declare
``precision_m``; otherwise, like a row's own coordinates, it gets
:func:`coordinate_precision_m` (the rounding its decimals imply, at least 30 m).  ``name`` is compared, after
whitespace is removed, with the row's name column, then with its place column.
A row that an override matches gets that point and ``method="override"`` in the
report, whatever its own coordinates or place text say.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from . import datum as _datum
from ._errors import InputError
from ._progress import track
from ._geocode_match import (DECIDED_BY, STATUSES, GeocodeResult, geocode, inert_names, kind_compatible,
                             place_signatures)
from ._geocode_match import _geocode_row  # noqa: F401  (gis.layer_pipeline reads table rows with it)
from ._geocode_report import _flag_gcj02, _flag_unreadable, _table_record, report_frames, skipped_record
from ._geocode_table import (ANCHOR_COLUMNS, COORDINATE_FLOOR_M, COUNTY_COLUMNS, DATUM_COLUMNS, LABEL_FALLBACK,
                             LAT_COLUMNS, LON_COLUMNS, NAME_COLUMNS, PLACE_COLUMNS, _pick, check_coordinates,
                             coordinate_precision_m, label_column, read_overrides, read_table, total_rows,
                             unit_outputs)
from .gazetteer import Gazetteer, default_gazetteer, normalise_text
from .readers import spreadsheet_rows

#: Statuses of a table row in the report: those of :func:`geocode`, and ``skipped`` (a total row, not a project).
TABLE_STATUSES = (*STATUSES, "skipped")

__all__ = ["geocode", "geocode_table", "GeocodeResult", "STATUSES", "TABLE_STATUSES", "DECIDED_BY", "NAME_COLUMNS", "PLACE_COLUMNS",
           "LON_COLUMNS", "LAT_COLUMNS", "COUNTY_COLUMNS", "ANCHOR_COLUMNS", "DATUM_COLUMNS", "COORDINATE_FLOOR_M",
           "LABEL_FALLBACK", "label_column", "read_table", "read_overrides", "coordinate_precision_m",
           "check_coordinates", "kind_compatible"]


#: Stands for a row's place where a shared decision quotes it (a private-use character: in no table).
_MARK = "\ue000"
#: A memo entry: texts of this signature are decided one by one (the decision quotes its place otherwise).
_ALONE = ("alone",)


def _template(record: dict[str, Any], place: str, place_text: str) -> tuple[dict[str, Any], tuple[str, ...]] | None:
    """A report record shared by the place texts of one signature, and its fields quoting the place (``'…'``).

    The quotations of ``place`` (its ``repr``, as :func:`gis._geocode_match._geocode_row` writes it) are marked
    to be replaced by each row's own; None when a text of the record holds the place (raw or normalised)
    otherwise: the decision is then not shared.
    """
    said = repr(place)
    out, quoted = {}, []
    for field, value in record.items():
        if type(value) is str and field not in ("name", "place", "row"):
            if _MARK in value:
                return None
            if said in value:
                value = value.replace(said, _MARK)
                quoted.append(field)
            if place in value or place_text in value:
                return None
        out[field] = value
    return out, tuple(quoted)


def geocode_table(
    path_or_df: str | os.PathLike | pd.DataFrame,
    *,
    name_col: str | None = None,
    place_col: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    county_col: str | None = None,
    anchor_col: str | None = None,
    datum: str = "wgs84",
    overrides: str | os.PathLike | pd.DataFrame | list[dict] | None = None,
    sheet: str | int = 0,
    encoding: str | None = None,
    gazetteer: Gazetteer | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Geocode a table of projects; every row is accounted for.

    Parameters
    ----------
    path_or_df
        A CSV (by its byte-order mark, else UTF-8, else GBK: detected and
        reported, see :func:`gis.readers.read_table`) or Excel file, or a DataFrame.
        Values are read as text (coordinates keep their written decimals).
    name_col, place_col, lon_col, lat_col, county_col, anchor_col
        Column names; by default recognised among the usual Chinese headers
        (项目名称/名称, 建设地点/地点/地址, 经度, 纬度, 县区 …).  A name or a place
        column is required.
    datum
        Datum of the lon/lat columns (wgs84 / cgcs2000 / gcj02 / bd09); a
        ``datum``/``坐标系`` column overrides it per row.
    overrides
        Overrides file or records (see the module docstring); wins over
        everything else.
    sheet
        Excel sheet name or number.
    encoding
        Text encoding of a CSV file (a Python codec name: ``"gb18030"``,
        ``"big5"``, ``"utf-16-le"`` …); default ``None`` detects it.

    Returns
    -------
    (GeoDataFrame, DataFrame)
        The input rows (same index, all columns) but the total rows (``skipped``), with a point geometry
        (None unless matched) and ``geocode_status``, ``geocode_level``,
        ``precision_m``, ``geocode_method``, ``geocode_decided_by``, ``flags`` and ``outside_liuzhou``
        (as in the report), and, when a header writes the unit (``layers/units.yaml``: 总投资(万元),
        总投资（亿元）, 用地面积(亩), 面积(公顷), 占地(平方米) …), ``investment_wan`` (万元) and
        ``area_ha``/``area_mu`` (a column of the table with that name is never overwritten; ``flags``
        and ``outside_liuzhou`` become ``geocode_flags``/``geocode_outside_liuzhou`` then); and the
        report, one row per input row: ``row`` (its spreadsheet row, header = row 1), ``name``, ``place``, ``status``, ``method``
        (override / coordinates / gazetteer), ``decided_by`` (the column that
        decided: override / coordinates / anchor / place / place+name / name /
        county, empty when not matched), ``geocode_level``,
        ``precision_m``, ``lon``, ``lat``, ``matched``, ``candidates``,
        ``flags`` (``outside_liuzhou``: the text names a place outside Liuzhou; ``corrected``: a
        township/village name one character off was corrected (the reason says 更正错字：进得镇 → 进德镇);
        ``unrecognised:<word>``: a finer place the text names is not known, the point is coarser (the
        reason says 未识别：…); ``total_row``: a 合计 row, status ``skipped``; ``swapped_corrected``,
        ``out_of_area``, ``bad_coordinates``: a coordinate cell is written but unreadable (text, NaN, inf,
        one of the pair empty, a formula without a saved value) and the row was placed by its text or not
        at all; ``gcj02_suspected``: the table's coordinates sit where GCJ-02 ones of the places its text
        names would, with a warning), ``reason_zh`` (the reason in Chinese, built from the row's status,
        method, level, matches and flags: what was decided and what to do), ``reason`` (in English, with the
        details), ``osm_id`` (the OpenStreetMap element of an OSM landmark, else empty).
        ``report.attrs["encoding"]`` says how the file was read.  The report keeps these machine names and
        codes; written with :func:`gis.export.export` (``lzgis geocode`` writes ``<name>.report.csv``) it
        shows the Chinese titles of ``layers/columns.yaml`` (行号, 名称, 地点, 定位状态 …, 原因, 原因（英文）)
        and its codes in Chinese (``matched`` → 已定位, ``gazetteer`` → 地名库, ``township`` → 乡镇 …),
        because ``report.attrs["for_reading"]`` is set.
    """
    gaz = gazetteer or default_gazetteer()
    df, encoding = read_table(path_or_df, sheet=sheet, encoding=encoding)
    where = str(path_or_df) if not isinstance(path_or_df, pd.DataFrame) else "table"
    row_numbers = spreadsheet_rows(df, list(range(len(df))))
    formula_rows: dict[int, list[str]] = {}
    for r, c, t in df.attrs.get("formula_cells", []):
        formula_rows.setdefault(r, []).append(f"{c} {t}")
    cols = [str(c) for c in df.columns]
    df.columns = cols
    place_c = _pick(cols, place_col, PLACE_COLUMNS, what="place", where=where, required=False)
    name_c = _pick(cols, name_col, NAME_COLUMNS, what="name", where=where, required=place_c is None)
    lon_c = _pick(cols, lon_col, LON_COLUMNS, what="lon", where=where, required=False)
    lat_c = _pick(cols, lat_col, LAT_COLUMNS, what="lat", where=where, required=False)
    if (lon_c is None) != (lat_c is None):
        raise InputError(f"{where}: has a {'lon' if lon_c else 'lat'} column but no "
                         f"{'lat' if lon_c else 'lon'} column; columns found: {', '.join(cols)}.")
    county_c = _pick(cols, county_col, COUNTY_COLUMNS, what="county", where=where, required=False)
    anchor_c = _pick(cols, anchor_col, ANCHOR_COLUMNS, what="anchor", where=where, required=False)
    datum_c = _pick(cols, None, DATUM_COLUMNS, what="datum", where=where, required=False)
    default_datum = _datum.normalise_datum(datum)
    ovr = read_overrides(overrides, gazetteer=gaz) if overrides is not None else {}

    def texts(col: str | None) -> list[str]:
        """One column as stripped text, "" for a missing cell: read once, not row by row."""
        if col is None:
            return [""] * len(df)
        return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip() for v in df[col].tolist()]

    def raw(col: str | None) -> list[Any]:
        return df[col].tolist() if col is not None else [None] * len(df)

    # rows that say the same thing are geocoded once (tables repeat places, counties and whole rows); a project
    # name that is only a label (it names no place, no finer place, no landmark kind word, no override) does not
    # take part: rows differing in such names alone are placed once, and each keeps its own name
    memo: dict[tuple, Any] = {}  # key → (record, the fields quoting the place), or _ALONE
    first_label: list[str] = []  # the first label met (and normalised): read for every label, its geocode read once

    repeats = ("label", True)  # the key of a label that repeats the place: what alone matters of it
    other = ("label", False)  # and of one that does not

    records = []
    names, places, anchors = texts(name_c), texts(place_c), texts(anchor_c)
    # the distinct texts of the table read by the gazetteer together (kept: each row's reading finds them read)
    gaz._read_many([*names, *places, *anchors])
    labels = inert_names(names, gaz)
    distinct = list(dict.fromkeys([*names, *places]))
    normal = dict(zip(distinct, gaz._normal_many(distinct)))  # each distinct text normalised once
    # the place texts that are decided alike (the same names, nothing finer between them): one decision each
    signatures = place_signatures(places, gaz)
    if ovr:  # a place with an override decides alone
        signatures = {p: None if normalise_text(p) in ovr else s for p, s in signatures.items()}
    if ovr:  # a name with an override is never a label
        labels = {n: inert and normalise_text(n) not in ovr for n, inert in labels.items()}
    columns = zip(row_numbers, names, places, texts(county_c), anchors, texts(datum_c), raw(lon_c), raw(lat_c))
    totals = total_rows(df, name_col=name_c, exclude=[c for c in (lon_c, lat_c, datum_c) if c is not None])
    rows = track(columns, f"定位 {'表格' if isinstance(path_or_df, pd.DataFrame) else os.path.basename(where)}",
                 total=len(row_numbers), unit="行")
    for position, (row_number, name, place, county_text, anchor, datum_text, lon_cell, lat_cell) in enumerate(rows):
        if position in totals:
            records.append(skipped_record(row_number, name, place, totals[position]))
            continue
        # ``name`` in the memo key, or what alone matters of it when it is a label (whether it repeats the place)
        inert = labels[name]
        name_text, place_text = normal[name], normal[place]
        if inert and not first_label:
            first_label.extend((name, name_text))
        if inert:
            said = repeats if name == place or name_text == place_text else other
            # what the place says of the name read: whether the first label repeats it
            same = said is other and first_label[1] == place_text
        else:
            said = name
            same = name_text == place_text
        # the place text, or its signature when texts of it are decided alike (see place_signatures)
        signature = signatures[place]
        key: tuple | None = (said, place if signature is None else signature, same, county_text, anchor, datum_text,
                             lon_cell, lat_cell)
        try:
            got = memo.get(key)  # type: ignore[arg-type]
        except TypeError:  # an unhashable cell (a list in a DataFrame): no reuse
            key, got = None, None
        if got is _ALONE:  # texts of this signature are decided one by one
            key = (said, place, same, county_text, anchor, datum_text, lon_cell, lat_cell)
            got = memo.get(key)
        if got is None:
            # the name read: the first label for a label that does not repeat the place
            read = first_label[0] if said is other and first_label[1] != place_text else name
            done = _table_record(row_number, read, place, county_text or None, anchor, datum_text, lon_cell,
                                 lat_cell, lon_c=lon_c, lat_c=lat_c, ovr=ovr, default_datum=default_datum,
                                 where=where, gaz=gaz)
            got = (done, ())
            if key is not None and signature is not None and key[1] is signature:
                shared = _template(done, place, place_text)
                if shared is None:  # the decision quotes the place otherwise: each text of it decides alone
                    memo[key] = _ALONE
                    key = (said, place, same, county_text, anchor, datum_text, lon_cell, lat_cell)
                else:
                    got = shared
            if key is not None:
                memo[key] = got
        done, quoted = got
        rec = done.copy()
        if quoted:  # the decision's words quoting the place (the place '…' names no known place): this row's
            said_place = repr(place)
            for field in quoted:
                rec[field] = rec[field].replace(_MARK, said_place)
        rec["row"] = row_number
        rec["name"] = name
        rec["place"] = place
        formula = formula_rows.get(row_number, [])
        if formula and rec["method"] != "override":
            _flag_unreadable(rec, formula)
        records.append(rec)
    _flag_gcj02(records, where=where)
    bad_rows = [rec["row"] for rec in records if "bad_coordinates" in rec["flags"]]
    if bad_rows:
        warnings.warn(f"{where}: {len(bad_rows)} row(s) have coordinate cells that cannot be read "
                      f"(rows {', '.join(map(str, bad_rows[:10]))}{' …' if len(bad_rows) > 10 else ''}, "
                      "spreadsheet numbering); see their reason in the report.", UserWarning, stacklevel=2)
    if totals:
        shown = ", ".join(str(row_numbers[p]) for p in sorted(totals)[:10])
        warnings.warn(f"{where}: {len(totals)} total row(s) (合计/小计 or sums of the rows above: rows {shown}, "
                      "spreadsheet numbering) are not projects: status skipped in the report, not in the layer.",
                      UserWarning, stacklevel=2)
    quantities, notes = unit_outputs(df)
    out, report = report_frames(df, records, encoding=encoding, extra=quantities)
    out.attrs["unit_notes"] = notes
    return out, report
