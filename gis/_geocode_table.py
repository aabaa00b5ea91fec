"""Reading planners' project tables: the columns, the cells, the coordinates and the overrides file.

Private to :mod:`gis.geocode` (:func:`gis.geocode.geocode_table`), which re-exports the public names and
describes the overrides file.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd

from . import datum as _datum
from . import units
from ._errors import InputError
from ._geocode_match import geocode
from .city import profile
from .crs import in_city as in_liuzhou
from .gazetteer import Gazetteer, default_gazetteer, normalise_text
from .readers import read_table as read_any_table


#: Column names recognised in planners' tables, most specific first.
NAME_COLUMNS = ("项目名称", "名称", "项目", "工程名称", "name", "项目名")
PLACE_COLUMNS = ("建设地点", "地点", "地址", "项目地址", "位置", "项目位置", "建设地址", "所在地", "选址", "place", "address", "location")
LON_COLUMNS = ("经度", "lon", "lng", "longitude", "x", "东经")
LAT_COLUMNS = ("纬度", "lat", "latitude", "y", "北纬")
COUNTY_COLUMNS = ("县区", "县(区)", "县（区）", "区县", "所在县区", "所属县区", "county", "所属区域")
ANCHOR_COLUMNS = ("anchor", "锚点")
DATUM_COLUMNS = ("datum", "坐标系")
#: After ``name`` and :data:`NAME_COLUMNS`: columns that name features when a table has no name column.
LABEL_FALLBACK = ("title", "标题", "label")


def label_column(columns: Any, *, geometry: str | None = None) -> str | None:
    """The column that names the features: ``name``, else :data:`NAME_COLUMNS`, else ``title``/``标题``/``label``.

    Compared after NFKC and whitespace removal, case-insensitively; the one list of name columns used by the
    geocoder, the command line (labels of tables) and the maps (labels and popups).

    Examples
    --------
    >>> label_column(["编号", "工程名称", "地点"]), label_column(["Name", "x"]), label_column(["a"])
    ('工程名称', 'Name', None)
    """
    found: dict[str, str] = {}
    for column in columns:
        if column != geometry:
            found.setdefault(normalise_text(str(column)).lower(), column)
    for candidate in ("name", *NAME_COLUMNS, *LABEL_FALLBACK):
        hit = found.get(normalise_text(candidate).lower())
        if hit is not None:
            return hit
    return None


def read_table(path_or_df: str | os.PathLike | pd.DataFrame, *, sheet: str | int = 0,
               encoding: str | None = None) -> tuple[pd.DataFrame, str]:
    """Read a CSV or Excel table with every value kept as text; return it and the encoding that decoded it.

    A thin layer over :func:`gis.readers.read_table` (``as_text=True``): CSV is
    decoded by its byte-order mark, else as UTF-8, else GBK with a warning,
    or with ``encoding`` when given (``"gb18030"`` for characters beyond GBK).
    The label is that of :func:`gis.readers.decode_text` (``"UTF-8"``,
    ``"GBK"``, ``"UTF-16"`` …), ``"excel"`` for a workbook, ``"dataframe"``
    for a DataFrame (copied).
    """
    if isinstance(path_or_df, pd.DataFrame):
        return path_or_df.copy(), "dataframe"
    df = read_any_table(path_or_df, sheet=sheet, encoding=encoding, as_text=True)
    return df, df.attrs["source"]["encoding"] or "excel"


def _pick(columns: list[str], given: str | None, candidates: tuple[str, ...], *, what: str, where: str,
          required: bool) -> str | None:
    if given is not None:
        if given not in columns:
            raise InputError(f"{where}: has no column {given!r} ({what}); columns found: {', '.join(map(str, columns))}.")
        return given
    norm = {normalise_text(c).lower(): c for c in columns}
    for cand in candidates:
        if normalise_text(cand).lower() in norm:
            return norm[normalise_text(cand).lower()]
    if required:
        raise InputError(f"{where}: no {what} column; looked for {', '.join(candidates)}; columns found: "
                         f"{', '.join(map(str, columns))}. Name it with {what}_col=...")
    return None


def read_overrides(path: str | os.PathLike | pd.DataFrame | list[dict],
                   *, gazetteer: Gazetteer | None = None) -> dict[str, dict[str, Any]]:
    """Read an overrides file (see :mod:`gis.geocode`) into {normalised name: entry}.

    Each entry has ``lon``, ``lat`` (WGS-84), ``geocode_level``, ``precision_m``,
    ``reason``.  Problems of all entries are reported together.
    """
    gaz = gazetteer or default_gazetteer()
    where = str(path) if not isinstance(path, (pd.DataFrame, list)) else "overrides"
    if isinstance(path, pd.DataFrame):
        rows = path.to_dict("records")
    elif isinstance(path, list):
        rows = path
    elif Path(path).suffix.lower() in (".yaml", ".yml"):
        from .layers import read_yaml

        loaded = read_yaml(Path(path))
        rows = loaded if isinstance(loaded, list) else [
            {"name": k, **(v if isinstance(v, dict) else {"anchor": v})} for k, v in (loaded or {}).items()]
    else:
        rows = read_table(path)[0].to_dict("records")
    out: dict[str, dict[str, Any]] = {}
    problems = []
    for i, row in enumerate(rows, start=1):
        row = {k: v for k, v in row.items() if v is not None and not (isinstance(v, float) and np.isnan(v)) and str(v).strip() != ""}
        name = normalise_text(row.get("name", ""))
        if not name:
            problems.append(f"entry {i}: no name")
            continue
        if "lon" in row and "lat" in row:
            lon, lat = _num(row["lon"]), _num(row["lat"])
            if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
                swapped = lon is not None and lat is not None and bool(in_liuzhou([lat], [lon])[0])
                problems.append(f"entry {i} ({name}): lon {row['lon']!r}, lat {row['lat']!r} are not a valid position "
                                "(decimal degrees, lon -180..180, lat -90..90)"
                                + (" (lat and lon swapped?)" if swapped else ""))
                continue
            outside = "" if bool(in_liuzhou([lon], [lat], margin_deg=0.5)[0]) else \
                f"; outside the municipality of {profile().name_en}: check it"
            try:
                d = row.get("datum", "wgs84")
                lo, la = _datum.convert([lon], [lat], src=d, dst="wgs84")
            except (ValueError, _datum.DatumError) as exc:
                problems.append(f"entry {i} ({name}): bad lon/lat/datum ({exc})")
                continue
            declared = _num(row.get("precision_m"))
            precision = declared if declared is not None else coordinate_precision_m(row["lon"], row["lat"])
            out[name] = {"lon": float(lo[0]), "lat": float(la[0]), "geocode_level": row.get("geocode_level", "landmark"),
                         "precision_m": precision,
                         "reason": f"override point ({d}); precision "
                                   f"{'declared' if declared is not None else 'from its decimals'}{outside}"}
        elif "anchor" in row:
            r = geocode(str(row["anchor"]), county=row.get("county"), gazetteer=gaz)
            if r.status != "matched":
                problems.append(f"entry {i} ({name}): anchor {row['anchor']!r} is {r.status} ({r.reason})")
                continue
            out[name] = {"lon": r.lon, "lat": r.lat, "geocode_level": r.geocode_level, "precision_m": r.precision_m,
                         "reason": f"override anchor {row['anchor']} → {r.place}"}
        else:
            problems.append(f"entry {i} ({name}): needs lon and lat, or anchor")
    if problems:
        raise InputError(f"{where}: " + "; ".join(problems) + ". Fix these entries.")
    return out


def _num(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(unicodedata.normalize("NFKC", str(v)).strip().replace("−", "-"))
    except ValueError:
        return None
    return f if np.isfinite(f) else None


#: Smallest precision claimed for a point given as coordinates (m): a point read off a map or a GPS fix.
COORDINATE_FLOOR_M = 30.0


def _decimals(text: Any) -> int | None:
    t = str(text).strip()
    if not t or "e" in t.lower():
        return None
    return len(t.split(".", 1)[1]) if "." in t else 0


def coordinate_precision_m(lon: Any, lat: Any, *, floor_m: float = COORDINATE_FLOOR_M) -> float:
    """The honest precision (m) of a point written as ``lon``, ``lat``: the rounding its decimals imply, at least ``floor_m``.

    A value written with *d* decimals lies within half a unit of the last decimal
    (0.5·10⁻ᵈ degrees) of the true one in each axis; the precision is the
    distance from the centre to a corner of that cell (metres per degree of the
    WGS-84 ellipsoid at the latitude), never less than ``floor_m`` (30 m: map
    reading or GPS).  The coarser of the two coordinates counts.  Values that
    are not plain decimals (exponent notation) get ``floor_m``.

    Examples
    --------
    >>> coordinate_precision_m("109.41", "24.31")   # 0.005° cells: about 750 m
    751.0
    >>> coordinate_precision_m("109.412345", "24.312345")
    30.0
    """
    dl, dp = _decimals(lon), _decimals(lat)
    lat_f = _num(lat)
    if dl is None or dp is None or lat_f is None:
        return float(floor_m)
    half = 0.5 * 10.0 ** -min(dl, dp)
    phi = np.radians(lat_f)
    m_lat = 111132.954 - 559.822 * np.cos(2 * phi) + 1.175 * np.cos(4 * phi)
    m_lon = 111412.84 * np.cos(phi) - 93.5 * np.cos(3 * phi)
    return float(max(floor_m, round(float(np.hypot(half * m_lat, half * m_lon)))))


def check_coordinates(lon: float, lat: float) -> tuple[float, float, list[str]]:
    """Flag coordinates outside Liuzhou, correcting lat/lon swapped when that puts them inside.

    Examples
    --------
    >>> check_coordinates(24.31, 109.41)
    (109.41, 24.31, ['swapped_corrected'])
    >>> check_coordinates(116.4, 39.9)[2]
    ['out_of_area']
    """
    if bool(in_liuzhou([lon], [lat])[0]):
        return lon, lat, []
    if bool(in_liuzhou([lat], [lon])[0]):
        return lat, lon, ["swapped_corrected"]
    return lon, lat, ["out_of_area"]


def _bad_coordinate_cells(cells: dict[str, Any], lon_c: str | None, lat_c: str | None, lon: float | None,
                          lat: float | None) -> list[str]:
    """The coordinate cells of a row that are written but cannot be used (text, NaN, inf, one of the pair empty)."""
    if lon_c is None or lat_c is None:
        return []
    written = {c: not (v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "")
               for c, v in cells.items()}
    if not any(written.values()):
        return []
    bad = []
    for column, value in ((lon_c, lon), (lat_c, lat)):
        if value is None:
            bad.append(f"{column} {cells[column]!r} is not a finite number" if written[column] else f"{column} is empty")
    return bad


#: Names of the rows that total a table (合计, 小计, 总计; spaces inside are ignored: 合 计).
_TOTAL_NAME = re.compile(r"^(合计|小计|总计|共计|累计)([:：(（].*)?$")
#: Reason (shown to people) of a total row's ``skipped`` status.
TOTAL_REASON = "合计行，不是项目"


def total_rows(df: pd.DataFrame, *, name_col: str | None, exclude: Iterable[str] = ()) -> dict[int, str]:
    """The rows of ``df`` (positions) that total the table, each with the reason it is taken as one.

    A row is a total when its name (the name column, else the first text column) is
    合计/小计/总计 …, or when it has at least two numeric cells and every numeric cell
    equals the sum of the data rows above it (since the previous total row; at least
    two of them).  Numeric columns are those whose written cells are all numbers
    (``exclude``: coordinate columns).

    Examples
    --------
    >>> t = pd.DataFrame({"项目名称": ["甲", "乙", ""], "总投资(万元)": ["100", "50", "150"], "用地面积(亩)": ["10", "20", "30"]})
    >>> total_rows(t, name_col="项目名称")
    {2: '合计行，不是项目（总投资(万元)、用地面积(亩)等于上方2行之和）'}
    """
    if df.empty:
        return {}
    seen: dict[Any, str] = {}  # tables repeat their cells: each distinct cell is normalised once

    def norm(v: Any) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return ""
        try:
            out = seen.get(v)
        except TypeError:  # an unhashable cell
            return normalise_text(v)
        if out is None:
            out = seen[v] = normalise_text(v)
        return out

    def column(c: Any) -> list[str]:
        """One column's cells normalised: each distinct cell once, no pandas call per cell."""
        cells = df[c].tolist()
        try:
            distinct = {v: norm(v) for v in dict.fromkeys(cells)}
        except TypeError:  # an unhashable cell
            return [norm(v) for v in cells]
        return [distinct[v] for v in cells]

    def written(c: Any) -> Iterator[str]:
        """The distinct written cells of column ``c`` normalised, in order, normalised as they are read."""
        cells = df[c].tolist()
        try:
            cells = list(dict.fromkeys(cells))
        except TypeError:  # an unhashable cell
            pass
        met: set[str] = set()
        for v in cells:
            x = norm(v)
            if x != "" and x not in met:
                met.add(x)
                yield x

    def written_numbers(c: Any, *, stop_at_number: bool) -> np.ndarray | None:
        """:func:`gis.units.numbers` of the distinct written cells of a column, read in growing chunks: None as
        soon as one is text (or, with ``stop_at_number``, a number): all that is asked is whether all are numbers
        (or none is); the cells after it are not even normalised."""
        distinct = written(c)
        got, size = [], 64
        while True:
            cells = list(itertools.islice(distinct, size))
            if not cells:
                break
            chunk = units.numbers(pd.Series(cells))
            bad = ~np.isnan(chunk) if stop_at_number else np.isnan(chunk)
            if bad.any():
                return None
            got.append(chunk)
            size *= 4
        if not got:
            return None
        return np.concatenate(got) if not stop_at_number else np.empty(0)

    text: dict[Any, list[str]] = {}  # the columns read whole (normalised), when they are

    def whole(c: Any) -> list[str]:
        if c not in text:
            text[c] = column(c)
        return text[c]

    label_col = name_col if name_col is not None else next(
        (c for c in df.columns if c not in exclude and written_numbers(c, stop_at_number=True) is not None),
        None)
    numeric = []
    cells: dict[Any, list[float]] = {}  # plain floats: no numpy scalar per row
    for c in df.columns:
        if c in exclude or c == label_col:
            continue
        found = written_numbers(c, stop_at_number=False)
        if found is None:  # nothing written, or a cell that is not a number
            continue
        lut = dict(zip(written(c), found.tolist()))
        lut[""] = math.nan
        cells[c] = [lut[x] for x in whole(c)]
        numeric.append(c)
    labels = whole(label_col) if label_col is not None else [""] * len(df)
    if not numeric:  # only the names can say total
        named = {x for x in dict.fromkeys(labels) if _TOTAL_NAME.match(x)}
        return {i: f"{TOTAL_REASON}（{label_col}为“{label}”）" for i, label in enumerate(labels) if label in named}
    out: dict[int, str] = {}
    sums = {c: 0.0 for c in numeric}
    n_data = 0
    for i, label in enumerate(labels):
        if _TOTAL_NAME.match(label):
            out[i] = f"{TOTAL_REASON}（{label_col}为“{label}”）"
        else:
            written = [c for c in numeric if math.isfinite(cells[c][i])]
            # |a - b| <= atol + rtol * |b|: numpy.isclose(a, b, rtol=1e-9, atol=0.005) on finite numbers
            if n_data >= 2 and len(written) >= 2 and all(
                    abs(cells[c][i] - sums[c]) <= 0.005 + 1e-9 * abs(sums[c]) for c in written):
                out[i] = f"{TOTAL_REASON}（{'、'.join(written)}等于上方{n_data}行之和）"
        if i in out:
            sums, n_data = {c: 0.0 for c in numeric}, 0
            continue
        n_data += 1
        for c in numeric:
            if math.isfinite(cells[c][i]):
                sums[c] += cells[c][i]
    return out


#: The normalised columns :func:`gis.geocode.geocode_table` adds: quantity → [(column, factor from the base unit)].
UNIT_OUTPUTS = {"investment": [("investment_wan", 1.0)],
                "area": [("area_ha", 1e-4), ("area_mu", 15.0 / 10000.0)]}


def unit_outputs(df: pd.DataFrame) -> tuple[dict[str, np.ndarray], list[str]]:
    """The normalised quantity columns of a table (``investment_wan``, ``area_ha``, ``area_mu``) and notes.

    The first column whose header writes a unit (``layers/units.yaml``) of the quantity
    is read (总投资 before other investment columns); a column the table already has
    is never overwritten (a note says so).
    """
    cols = [c for c in df.columns]
    out: dict[str, np.ndarray] = {}
    notes = []
    for quantity, targets in UNIT_OUTPUTS.items():
        found = units.unit_columns(cols, quantity)
        if not found:
            continue
        found.sort(key=lambda cu: 0 if "总" in str(cu[0]) or "用地" in str(cu[0]) else 1)
        col, hu = found[0]
        base = units.to_base(df[col], hu)
        for target, factor in targets:
            if target in cols:
                notes.append(f"{target}: the table has this column already; not overwritten")
                continue
            out[target] = base * factor
        if len(found) > 1:
            notes.append(f"{quantity}: read from {col} (also found: {', '.join(str(c) for c, _ in found[1:])})")
    return out, notes
