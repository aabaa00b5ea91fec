"""gis.review: overlap areas against an independent geodesic computation, verdicts under uncertainty, bad input."""

from __future__ import annotations

import json
import math
import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

import gis
from gis import review
from gis._errors import CRSError, InputError
from gis._review_overlay import _SMALL_ZONE
from gis.review import MU_M2, footprints

from cli_testing import invoke, one_error  # tests/cli_testing.py

GEOD = pyproj.Geod(ellps="GRS80")  # CGCS2000's ellipsoid
TO_M = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4545", always_xy=True)
TO_LL = pyproj.Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True)


def geod_m2(geom) -> float:
    """Ellipsoidal area of a lon/lat polygon, densified so its edges follow the projected straight lines."""
    return abs(GEOD.geometry_area_perimeter(shapely.segmentize(geom, 1e-4))[0])


def lonlat(geom_m):
    """A polygon drawn in EPSG:4545 metres, as lon/lat (densified, so straight in the plane)."""
    return shapely.transform(shapely.segmentize(geom_m, 50.0), lambda xy: np.column_stack(TO_LL.transform(xy[:, 0], xy[:, 1])))


X0, Y0 = TO_M.transform(109.60, 24.40)  # near 雒容


def zones_frame(specs):
    return gpd.GeoDataFrame({"类型": [s[0] for s in specs]}, geometry=[lonlat(s[1]) for s in specs], crs="EPSG:4326")


def test_overlap_area_matches_geod_on_the_intersection():
    zone_a = box(X0, Y0, X0 + 3000, Y0 + 2000)
    zone_b = Polygon([(X0 + 4000, Y0), (X0 + 7000, Y0 + 500), (X0 + 6000, Y0 + 3000)])
    zones = zones_frame([("农田", zone_a), ("红线", zone_b)])
    site_m = box(X0 + 2000, Y0 + 500, X0 + 5500, Y0 + 1500)
    site = gpd.GeoDataFrame({"name": ["甲"]}, geometry=[lonlat(site_m)], crs="EPSG:4326")
    r = review(site, zones, zone_field="类型").set_index("zone_class")
    fp = geod_m2(site.geometry.iloc[0])
    for cls in ("农田", "红线"):
        expect = geod_m2(shapely.intersection(site.geometry.iloc[0], zones.geometry[zones["类型"] == cls].iloc[0]))
        assert expect > 1e5
        assert r.loc[cls, "area_ha"] * 1e4 == pytest.approx(expect, rel=1e-3)
        assert r.loc[cls, "area_mu"] == pytest.approx(expect / (10000 / 15), rel=1e-3)
        assert r.loc[cls, "share_pct"] == pytest.approx(100 * expect / fp, rel=1e-3)
        assert r.loc[cls, "verdict"] == "inside"
    assert r["footprint_ha"].iloc[0] * 1e4 == pytest.approx(fp, rel=1e-3)


def test_a_footprint_straddling_two_overlapping_zones_of_one_class_counts_its_ground_once():
    z1 = box(X0, Y0, X0 + 3000, Y0 + 3000)
    z2 = box(X0 + 2000, Y0, X0 + 5000, Y0 + 3000)  # overlaps z1 in a 1 km strip
    zones = zones_frame([("永久基本农田", z1), ("永久基本农田", z2)])
    site_ll = lonlat(box(X0 + 1000, Y0 + 1000, X0 + 4000, Y0 + 2000))
    site = gpd.GeoDataFrame({"name": ["跨界"]}, geometry=[site_ll], crs="EPSG:4326")
    r = review(site, zones, zone_field="类型")
    assert len(r) == 1 and r["n_zones"].iloc[0] == 2
    once = geod_m2(shapely.intersection(site_ll, shapely.union_all(zones.geometry.values)))
    twice = sum(geod_m2(shapely.intersection(site_ll, z)) for z in zones.geometry)
    assert twice > once * 1.2
    assert r["area_ha"].iloc[0] * 1e4 == pytest.approx(once, rel=1e-3)
    assert r["share_pct"].iloc[0] == pytest.approx(100.0, rel=1e-3)
    per_feature = review(site, zones, zone_field="类型", by_feature=True)
    assert len(per_feature) == 2 and per_feature["area_ha"].sum() * 1e4 == pytest.approx(twice, rel=1e-3)


@pytest.mark.parametrize("densify_m", [None, 40.0])  # 5-vertex zones are united first; densified ones clipped first
def test_areas_over_many_overlapping_zones_are_within_0_1_percent_of_geod(densify_m):
    rng = np.random.default_rng(7)

    def squares(n, lo, hi):
        x, y, half = X0 + rng.uniform(0, 15000, n), Y0 + rng.uniform(0, 15000, n), rng.uniform(lo, hi, n) / 2
        return shapely.box(x - half, y - half, x + half, y + half)

    zg = squares(450, 800, 2500)
    if densify_m is not None:
        zg = shapely.segmentize(zg, densify_m)
    vertices = shapely.get_num_coordinates(zg)
    assert (vertices <= _SMALL_ZONE).all() if densify_m is None else \
        (vertices > _SMALL_ZONE).all()
    classes = np.array(["生态保护红线", "永久基本农田", "城镇开发边界"])[np.arange(len(zg)) % 3]
    zones = gpd.GeoDataFrame({"类型": classes}, geometry=zg, crs="EPSG:4545")
    fg = squares(120, 300, 1500)
    sites = gpd.GeoDataFrame({"name": [f"s{i}" for i in range(len(fg))]}, geometry=fg, crs="EPSG:4545")
    r = review(sites, zones, zone_field="类型")
    assert len(r) == 3 * len(fg) and (r["n_zones"] >= 2).sum() > 30  # many rows need the union of their zones
    checked = 0
    for row in r.itertuples():
        site = fg[row.row - 1]
        zc = zg[(classes == row.zone_class) & shapely.intersects(zg, site)]
        assert row.n_zones == len(zc)
        if not len(zc):
            assert row.area_ha == 0 and row.verdict == "clear" and row.dist_m > 0
            continue
        once = shapely.intersection(site, shapely.union_all(zc))
        expect = geod_m2(lonlat(once)) if shapely.area(once) > 0 else 0.0
        assert row.area_ha * 1e4 == pytest.approx(expect, rel=1e-3, abs=1e-3)
        assert row.footprint_ha * 1e4 == pytest.approx(geod_m2(lonlat(site)), rel=1e-3)
        assert shapely.area(shapely.symmetric_difference(row.geometry, once)) <= 1e-6 * shapely.area(site)
        assert row.verdict == ("inside" if expect > 0 else "clear")
        checked += 1
    assert checked > 150


def _point_east_of_zone(gap_m: float, **cols):
    zone = box(X0, Y0, X0 + 3000, Y0 + 3000)
    zones = zones_frame([("生态保护红线", zone)])
    r200 = math.sqrt(200 * MU_M2 / math.pi)
    lon, lat = TO_LL.transform(X0 + 3000 + r200 + gap_m, Y0 + 1500)
    pts = gpd.GeoDataFrame({"name": ["点"], "用地面积(亩)": [200.0], **cols}, geometry=[Point(lon, lat)],
                           crs="EPSG:4326")
    return pts, zones


def test_a_200_mu_point_near_a_zone_may_touch_with_5_km_uncertainty_and_is_clear_with_100_m():
    pts, zones = _point_east_of_zone(1000.0, precision_m=[5000.0])
    r = review(pts, zones, zone_field="类型")
    assert r["verdict"].tolist() == ["may_touch"] and r["verdict_zh"].tolist() == ["可能涉及"]
    assert r["area_ha"].iloc[0] == 0 and r["estimate"].iloc[0]
    # the gap reported is from the centre (the disk's edge is 1 km from the zone, its centre 1 km + r)
    assert r["dist_m"].iloc[0] == pytest.approx(1000 + math.sqrt(200 * MU_M2 / math.pi), abs=2.0)
    pts, zones = _point_east_of_zone(1000.0, precision_m=[100.0])
    assert review(pts, zones, zone_field="类型")["verdict"].tolist() == ["clear"]


def test_a_200_mu_point_inside_a_zone_is_inside_with_100_m_and_may_touch_with_5_km():
    zone = box(X0, Y0, X0 + 3000, Y0 + 3000)
    zones = zones_frame([("生态保护红线", zone)])
    lon, lat = TO_LL.transform(X0 + 1500, Y0 + 1500)
    pts = gpd.GeoDataFrame({"name": ["中"], "用地面积(亩)": [200.0], "precision_m": [100.0]},
                           geometry=[Point(lon, lat)], crs="EPSG:4326")
    r = review(pts, zones, zone_field="类型")
    assert r["verdict"].tolist() == ["inside"]
    assert r["footprint_mu"].iloc[0] == pytest.approx(200.0, rel=1e-3)
    assert r["area_mu"].iloc[0] == pytest.approx(200.0, rel=1e-3) and r["share_pct"].iloc[0] == pytest.approx(100, rel=1e-3)
    assert review(pts.assign(precision_m=5000.0), zones, zone_field="类型")["verdict"].tolist() == ["may_touch"]
    # the disk overlapping the edge (centre 100 m outside) with 100 m: every position overlaps
    lon, lat = TO_LL.transform(X0 + 3100, Y0 + 1500)
    edge = pts.set_geometry([Point(lon, lat)], crs="EPSG:4326")
    assert review(edge, zones, zone_field="类型")["verdict"].tolist() == ["inside"]
    assert review(edge.assign(precision_m=300.0), zones, zone_field="类型")["verdict"].tolist() == ["may_touch"]


def test_equal_area_disk_has_the_stated_area_on_the_ellipsoid():
    p = gpd.GeoDataFrame({"area_ha": [50.0]}, geometry=[Point(110.1, 25.9)], crs="EPSG:4326")  # far from CM 108E
    f = footprints(p)
    disk_ll = f.to_crs("EPSG:4326").geometry.iloc[0]
    assert geod_m2(disk_ll) == pytest.approx(50e4, rel=1e-4)
    assert f["radius_m"].iloc[0] == pytest.approx(math.sqrt(50e4 / math.pi))


def test_points_without_area_get_the_uncertainty_check_only():
    zone = box(X0, Y0, X0 + 3000, Y0 + 3000)
    zones = zones_frame([("城镇开发边界", zone)])
    spots = [(X0 + 1500, Y0 + 1500, 100.0), (X0 + 1500, Y0 + 1500, 2000.0), (X0 + 3500, Y0 + 1500, 1000.0),
             (X0 + 3500, Y0 + 1500, 200.0)]
    pts = gpd.GeoDataFrame({"precision_m": [s[2] for s in spots]},
                           geometry=[Point(*TO_LL.transform(s[0], s[1])) for s in spots], crs="EPSG:4326")
    r = review(pts, zones, zone_field="类型")
    assert r["verdict"].tolist() == ["inside", "may_touch", "may_touch", "clear"]
    assert r["area_ha"].isna().all() and (r["footprint_basis"] == "point").all()
    assert r["dist_m"].iloc[2] == pytest.approx(500.0, abs=1.0)


def test_polygon_with_precision_is_inside_only_when_every_shift_overlaps():
    zone = box(X0, Y0, X0 + 3000, Y0 + 3000)
    zones = zones_frame([("农田", zone)])
    sites = [box(X0 + 1000, Y0 + 1000, X0 + 2000, Y0 + 2000),   # deep inside
             box(X0 + 2970, Y0 + 1000, X0 + 4000, Y0 + 2000),   # a 30 m strip inside
             box(X0 + 3050, Y0 + 1000, X0 + 4000, Y0 + 2000),   # 50 m outside
             box(X0 + 3500, Y0 + 1000, X0 + 4000, Y0 + 2000)]   # 500 m outside
    g = gpd.GeoDataFrame({"precision_m": [100.0] * 4}, geometry=[lonlat(s) for s in sites], crs="EPSG:4326")
    assert review(g, zones, zone_field="类型")["verdict"].tolist() == ["inside", "may_touch", "may_touch", "clear"]
    exact = review(g.drop(columns="precision_m"), zones, zone_field="类型")
    assert exact["verdict"].tolist() == ["inside", "inside", "clear", "clear"]


def test_every_row_appears_once_per_class_and_options_keep_their_project():
    zones = gis.load_layer("zones_example")
    assert zones["名称"].str.startswith("示例").all() and zones["example"].all()
    seat = gis.load_layer("townships").set_index("name").geometry.loc["雒容镇"]
    x, y = TO_M.transform(seat.x, seat.y)
    rows = [("物流园", "方案A", x + 6000, y), ("物流园", "方案B", x - 6000, y - 5000), ("冷库", "方案A", x, y + 6000)]
    pts = gpd.GeoDataFrame({"项目": [r[0] for r in rows], "方案": [r[1] for r in rows], "用地面积(亩)": [300, 300, 80],
                            "precision_m": [50.0, 50.0, 50.0]},
                           geometry=[Point(*TO_LL.transform(r[2], r[3])) for r in rows], crs="EPSG:4326")
    r = review(pts, zones, zone_field="类型", option_field="方案")
    classes = list(dict.fromkeys(zones["类型"]))
    assert len(r) == 3 * len(classes) and r.attrs["review"]["zone_classes"] == classes
    assert r.groupby("source_index").size().tolist() == [len(classes)] * 3
    a = r[(r["project"] == "物流园") & (r["option"] == "方案A")].set_index("zone_class")
    # 方案A sits on the overlap of the two 永久基本农田 boxes east of 雒容 (3.5-6.5 and 5.5-8.5 km east)
    assert a.loc["永久基本农田", "verdict"] == "inside" and a.loc["永久基本农田", "n_zones"] == 2
    assert a.loc["永久基本农田", "share_pct"] == pytest.approx(100, rel=1e-3)
    assert a.loc["生态保护红线", "verdict"] == "clear"
    assert r[(r["project"] == "冷库")].set_index("zone_class").loc["生态保护红线", "verdict"] == "inside"


# ---------------------------------------------------------------- bad input


def _site():
    return gpd.GeoDataFrame({"name": ["甲"], "precision_m": [10.0]}, geometry=[Point(109.6, 24.4)], crs="EPSG:4326")


def test_zones_without_the_class_field_are_refused_naming_it():
    zones = zones_frame([("农田", box(X0, Y0, X0 + 100, Y0 + 100))])
    with pytest.raises(InputError, match=r"no column '分区类型'.*类型"):
        review(_site(), zones, zone_field="分区类型")


def test_invalid_zone_polygons_are_named_by_row():
    bow = Polygon([(109.60, 24.40), (109.62, 24.42), (109.62, 24.40), (109.60, 24.42)])
    zones = gpd.GeoDataFrame({"类型": ["a", "b"]}, geometry=[box(109.5, 24.3, 109.51, 24.31), bow], crs="EPSG:4326")
    with pytest.raises(InputError, match=r"zones: row 1 .*invalid polygons.*Self-intersection.*make_valid"):
        review(_site(), zones, zone_field="类型")


def test_zones_without_crs_are_refused():
    zones = gpd.GeoDataFrame({"类型": ["a"]}, geometry=[box(109.5, 24.3, 109.51, 24.31)])
    with pytest.raises(CRSError, match="zones: has no CRS"):
        review(_site(), zones, zone_field="类型")


def test_zones_declared_gcj02_are_converted_and_the_result_says_so():
    from gis.datum import wgs84_to_gcj02

    zone_wgs = lonlat(box(X0, Y0, X0 + 400, Y0 + 400))
    zone_gcj = shapely.transform(zone_wgs, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    zones = gpd.GeoDataFrame({"类型": ["农田"]}, geometry=[zone_gcj], crs="EPSG:4326")
    centre = zone_wgs.centroid
    site = gpd.GeoDataFrame({"precision_m": [10.0]}, geometry=[centre], crs="EPSG:4326")
    assert review(site, zones, zone_field="类型")["verdict"].tolist() == ["clear"]  # 550 m off when taken as WGS-84
    r = review(site, zones, zone_field="类型", zones_datum="gcj02")
    assert r["verdict"].tolist() == ["inside"]
    assert any("GCJ-02" in n and "gis.datum" in n for n in r.attrs["review"]["notes"])
    with pytest.raises(CRSError, match="projected CRS"):
        review(site, zones.to_crs("EPSG:4545"), zone_field="类型", zones_datum="gcj02")


@pytest.mark.parametrize("value, message", [("约200", r"row 'b'.*not a number.*'约200'"),
                                            (-5, r"row 'b'.*not positive \(-5\)")])
def test_bad_stated_areas_are_named_by_row_and_column(value, message):
    pts = gpd.GeoDataFrame({"用地面积(亩)": [100, value], "precision_m": [10.0, 10.0]},
                           geometry=[Point(109.6, 24.4), Point(109.61, 24.4)], crs="EPSG:4326", index=["a", "b"])
    zones = zones_frame([("农田", box(X0, Y0, X0 + 100, Y0 + 100))])
    with pytest.raises(InputError, match=r"column '用地面积\(亩\)'.*" + message):
        review(pts, zones, zone_field="类型")


def test_options_without_a_project_id_are_named_by_row():
    pts = gpd.GeoDataFrame({"项目": ["园区", None], "方案": ["A", "B"], "precision_m": [10.0, 10.0]},
                           geometry=[Point(109.6, 24.4), Point(109.61, 24.4)], crs="EPSG:4326")
    zones = zones_frame([("农田", box(X0, Y0, X0 + 100, Y0 + 100))])
    with pytest.raises(InputError, match=r"column '项目' \(project id\) is blank in row 1"):
        review(pts, zones, zone_field="类型", option_field="方案")
    with pytest.raises(InputError, match="need a project id column"):
        review(pts.drop(columns="项目"), zones, zone_field="类型", option_field="方案")


def test_lines_as_projects_are_refused():
    from shapely.geometry import LineString

    g = gpd.GeoDataFrame(geometry=[LineString([(109.6, 24.4), (109.7, 24.4)])], crs="EPSG:4326")
    zones = zones_frame([("农田", box(X0, Y0, X0 + 100, Y0 + 100))])
    with pytest.raises(InputError, match="LineString, not Point"):
        review(g, zones, zone_field="类型")


# ---------------------------------------------------------------- lzgis review / lzgis site


OPTIONS_CSV = """项目,方案,用地面积(亩),precision_m,经度,纬度
示例物流园,方案A,300,50,109.6604,24.4058
示例物流园,方案B,300,50,109.5910,24.4013
示例物流园,方案C,300,50,109.6950,24.4330
示例冷库,方案A,,50,109.6012,24.4600
"""


def test_cli_review_workbook_map_and_manifest(tmp_path):
    import json

    import openpyxl

    from gis.readers import read_vector

    table = tmp_path / "方案.csv"
    table.write_text(OPTIONS_CSV, encoding="utf-8")
    out = tmp_path / "out" / "审查.xlsx"
    res = invoke("review", str(table), "--zones", "zones_example", "--zone-field", "类型", "--option-field", "方案",
                  "-o", str(out))
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.parent.iterdir()) == ["manifest.json", "审查.html", "审查.pdf", "审查.xlsx"]
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["汇总", "明细", "方案比选", "说明", "字段说明"]
    for ws in book.worksheets:  # every sheet says the zones are synthetic
        assert any("示例" in str(c.value) and "虚构" in str(c.value) for row in ws.iter_rows(max_row=3) for c in row)
    summary = [dict(zip([c.value for c in book["汇总"][1]], [c.value for c in row])) for row in book["汇总"].iter_rows(min_row=2)]
    assert [r["行号"] for r in summary] == [2, 3, 4, 5]  # every input row, by spreadsheet row
    expect = review(read_vector(table), gis.load_layer("zones_example"), zone_field="类型", option_field="方案")
    a = expect[(expect["option"] == "方案A") & (expect["project"] == "示例物流园")].set_index("zone_class")
    assert summary[0]["永久基本农田 面积（公顷）"] == pytest.approx(a.loc["永久基本农田", "area_ha"])
    assert summary[0]["永久基本农田 结论"] == "占用" and summary[0]["结论"] == "占用"
    notes = {r[0].value: r[1].value for r in book["说明"].iter_rows(min_row=2)}
    assert "10000/15" in notes["面积单位"] and "EPSG:4545" in notes["分析坐标系"]
    page = (out.parent / "审查.html").read_text(encoding="utf-8")
    assert "示例" in page and "非真实三区三线" in page
    run = json.loads((out.parent / "manifest.json").read_text(encoding="utf-8"))["runs"][-1]
    assert run["verb"] == "review" and {i["name"] for i in run["inputs"]} == {str(table), "zones_example"}
    assert {o["path"] for o in run["outputs"]} == {"审查.xlsx", "审查.html", "审查.pdf"}
    assert all(o["sha256"] for o in run["outputs"])
    if shutil.which("pdftotext"):  # the printed map says the zones are an example, and names the projects, as text
        text = subprocess.run(["pdftotext", str(out.parent / "审查.pdf"), "-"], capture_output=True, text=True,
                              encoding="utf-8", check=True).stdout
        assert "示例" in text and "示例物流园" in text and "示例冷库" in text


def test_cli_review_csv_and_geopackage(tmp_path):
    import pyogrio

    table = tmp_path / "方案.csv"
    table.write_text(OPTIONS_CSV, encoding="utf-8")
    res = invoke("review", str(table), "--zones", "zones_example", "--zone-field", "类型", "--no-map",
                  "-o", str(tmp_path / "r.csv"))
    assert res.exit_code == 0, res.output
    rows = (tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 1 + 4 * 3 and not (tmp_path / "r.html").exists()
    res = invoke("review", str(table), "--zones", "zones_example", "--zone-field", "类型", "-o", str(tmp_path / "r.gpkg"))
    assert res.exit_code == 0, res.output
    assert [name for name, _ in pyogrio.list_layers(tmp_path / "r.gpkg")] == ["审查结果", "用地", "明细"]


def test_cli_review_bad_input_names_row_and_field_and_writes_nothing(tmp_path):
    table = tmp_path / "方案.csv"
    table.write_text(OPTIONS_CSV.replace(",300,50,109.5910", ",约300,50,109.5910"), encoding="utf-8")
    out = tmp_path / "out"
    res = invoke("review", str(table), "--zones", "zones_example", "--zone-field", "类型", "-o", str(out / "r.xlsx"))
    one_error(res, "row 3 (spreadsheet numbering", "用地面积(亩)", "约300")
    table.write_text(OPTIONS_CSV, encoding="utf-8")
    res = invoke("review", str(tmp_path / "方案.csv"), "--zones", "zones_example", "--zone-field", "分区", "-o",
                  str(out / "r.xlsx"))
    one_error(res, "no column '分区'")
    table.write_text(OPTIONS_CSV.replace("示例物流园,方案B", ",方案B"), encoding="utf-8")
    res = invoke("review", str(table), "--zones", "zones_example", "--zone-field", "类型", "--option-field", "方案",
                  "-o", str(out / "r.xlsx"))
    one_error(res, "'项目' (project id) is blank in row 3")
    # zones without CRS: a Shapefile without its .prj
    shp = tmp_path / "zones.shp"
    gis.load_layer("zones_example").to_file(shp, encoding="utf-8")
    shp.with_suffix(".prj").unlink()
    res = invoke("review", str(tmp_path / "方案.csv"), "--zones", str(shp), "-o", str(out / "r.xlsx"))
    one_error(res, "has no CRS")
    assert not out.exists() or not any(out.iterdir())


def test_cli_review_gcj02_zones_are_converted_and_said(tmp_path):
    import openpyxl

    from gis.datum import convert_gdf

    zones = convert_gdf(gis.load_layer("zones_example"), src="wgs84", dst="gcj02")
    path = tmp_path / "zones_gcj.geojson"
    zones.to_file(path)
    table = tmp_path / "方案.csv"
    table.write_text(OPTIONS_CSV, encoding="utf-8")
    res = invoke("review", str(table), "--zones", str(path), "--zone-field", "类型", "--zones-datum", "gcj02",
                  "--no-map", "-o", str(tmp_path / "r.xlsx"))
    assert res.exit_code == 0, res.output
    assert "GCJ-02" in res.stderr and "gis.datum" in res.stderr
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert any("GCJ-02" in str(r[1].value) for r in book["说明"].iter_rows(min_row=2))
    first = [c.value for c in book["汇总"][2]]
    header = [c.value for c in book["汇总"][1]]
    assert first[header.index("永久基本农田 结论")] == "占用"  # converted back onto the WGS-84 positions


def test_cli_site_grid_ranked_with_map(tmp_path):
    out = tmp_path / "候选.csv"
    res = invoke("site", "--grid", "城中区", "--spacing-m", "1500", "--near", "logistics:5000",
                  "--exclude", "zones_example:类型=生态保护红线", "--inside", "中心城区", "--weight", "logistics=2",
                  "-o", str(out))
    assert res.exit_code == 0, res.output
    import pandas as pd

    t = pd.read_csv(out, encoding="utf-8-sig")
    assert list(t["rank"]) == list(range(1, len(t) + 1)) and len(t) > 10
    for column in ("logistics_dist_m", "logistics_pass", "生态保护红线_dist_m", "中心城区_depth_m", "score"):
        assert column in t.columns
    assert (t["logistics_pass"] == (t["logistics_dist_m"] <= 5000)).all()
    assert (out.with_suffix(".html")).exists()
    res = invoke("site", "--grid", "城中区", "--near", "logistics", "-o", str(tmp_path / "x.csv"))
    one_error(res, "--near 'logistics': give LAYER:LIMIT")


def test_cli_site_says_how_well_its_targets_are_placed(tmp_path):
    import pandas as pd

    logistics = gis.load_layer("logistics")
    coarse = int(logistics["geocode_level"].isin(["county", "city"]).sum())
    out = tmp_path / "鹿寨.csv"
    res = invoke("site", "--grid", "鹿寨县", "--spacing-m", "5000", "--near", "logistics:10000",
                  "--far-from", "townships:500", "--no-map", "-o", str(out))
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out, encoding="utf-8-sig")
    # each criterion's nearest target carries its own precision_m, as the layer gives it
    precision = dict(zip(logistics["name"], logistics["precision_m"]))
    assert t["logistics_target_precision_m"].tolist() == [precision[n] for n in t["logistics_name"]]
    towns = dict(zip(gis.load_layer("townships")["name"], gis.load_layer("townships")["precision_m"]))
    assert t["townships_target_precision_m"].tolist() == [towns[n] for n in t["townships_name"]]
    # `nearest`'s warning when most targets are placed only by their county or city
    warned = f"{coarse} of {len(logistics)} targets in logistics are placed only by their county or city"
    assert (warned in res.stderr) == (coarse * 2 > len(logistics)), res.stderr
    # --max-target-precision-m keeps only the targets located at least that precisely
    res = invoke("site", "--grid", "鹿寨县", "--spacing-m", "5000", "--near", "logistics:10000",
                  "--max-target-precision-m", "5000", "--no-map", "-o", str(tmp_path / "精确.csv"))
    assert res.exit_code == 0, res.output
    kept = pd.read_csv(tmp_path / "精确.csv", encoding="utf-8-sig")
    assert (kept["logistics_target_precision_m"] <= 5000).all()
    assert set(kept["logistics_name"]) <= set(logistics.loc[logistics["precision_m"] <= 5000, "name"])
    assert f"{int((logistics['precision_m'] <= 5000).sum())} of {len(logistics)} targets in logistics" in res.stderr
    assert "placed only by their county or city" not in res.stderr


@pytest.mark.browser
def test_site_map_opens_on_the_candidates_and_leaves_them_where_they_are(chromium, tmp_path):
    from browser import open_page

    out = tmp_path / "鹿寨.csv"
    res = invoke("site", "--grid", "鹿寨县", "--spacing-m", "2000", "--near", "logistics:10000", "-o", str(out))
    assert res.exit_code == 0, res.output
    counties = gis.load_layer("counties")
    luzhai = gis.to_analysis_crs(counties[counties["name"] == "鹿寨县"]).union_all()
    with open_page(chromium, out.with_suffix(".html"), width=1366, height=768) as (page, log):
        # where each candidate symbol is drawn (its icon's centre, after any move apart), back in lon/lat, with
        # the metres one pixel spans there
        drawn = page.evaluate("""(() => { const map = lzState.map, box = map.getContainer().getBoundingClientRect();
            const out = [];
            lzState.records.filter(r => r.title.indexOf('候选点') === 0 || r.title.indexOf('排名前') === 0)
              .forEach(r => r.features.concat(r.clusters || []).filter(f => r.geo.hasLayer(f)).forEach(f => {
                let p;
                if (f._icon) { const b = f._icon.getBoundingClientRect();
                  p = L.point(b.left + b.width / 2 - box.left, b.top + b.height / 2 - box.top); }
                else { p = map.latLngToContainerPoint(f.getLatLng()); }
                const ll = map.containerPointToLatLng(p), ll2 = map.containerPointToLatLng(p.add([1, 0]));
                out.push([ll.lng, ll.lat, map.distance(ll, ll2), f._icon ? f._icon.offsetWidth : 2 * f.options.radius]);
              }));
            const b = map.getBounds();
            return {drawn: out, view: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]}; })()""")
    assert log.page_errors == [] and log.console_errors == []
    points = drawn["drawn"]
    assert len(points) > 20
    xy = gis.to_analysis_crs(gpd.GeoDataFrame(geometry=[Point(p[0], p[1]) for p in points], crs="EPSG:4326"))
    for p, geom in zip(points, xy.geometry):
        # every symbol is inside the county, at most one symbol size from where its members lie
        assert luzhai.buffer(p[2] * p[3]).contains(geom), (p, luzhai.distance(geom))
    outside = [p for p, geom in zip(points, xy.geometry) if not luzhai.contains(geom)]
    assert len(outside) <= len(points) // 10, outside
    # the map opens on the candidates: the view is about the county's extent, not the whole city's
    view = gis.to_analysis_crs(gpd.GeoDataFrame(geometry=[box(*drawn["view"])], crs="EPSG:4326")).geometry.iloc[0]
    city = gis.to_analysis_crs(gis.load_layer("city")).union_all()
    assert view.area < 0.6 * box(*city.bounds).area and view.contains(luzhai.envelope.buffer(-2000))


def _geocoded_sites():
    from shapely.geometry import Point

    return gpd.GeoDataFrame(
        {"项目名称": ["甲", "乙", "丙"], "用地面积(亩)": [150.0, 90.0, None], "precision_m": [100.0, None, 50.0],
         "geocode_status": ["matched", "unmatched", "matched"], "geocode_reason": ["", "湖南省怀化市：柳州市域外", ""]},
        geometry=[Point(109.41, 24.31), None, Point(109.55, 24.35)], crs="EPSG:4326")


def test_review_keeps_a_geocoded_tables_unplaced_rows_with_their_note():
    from shapely.geometry import box

    zones = gpd.GeoDataFrame({"类型": ["永久基本农田", "生态保护红线"]},
                             geometry=[box(109.40, 24.30, 109.42, 24.32), box(109.5, 24.3, 109.6, 24.4)],
                             crs="EPSG:4326")
    with pytest.warns(UserWarning, match=r"projects: 1 row\(s\) have no position"):
        r = gis.review(_geocoded_sites(), zones, zone_field="类型")
    assert r["project"].tolist() == ["甲", "甲", "乙", "乙", "丙", "丙"]  # input order, one row per class
    assert r["note"].tolist() == ["", "", "湖南省怀化市：柳州市域外", "湖南省怀化市：柳州市域外", "", ""]
    lost = r[r["project"] == "乙"]
    assert lost["area_ha"].isna().all() and lost["verdict"].isna().all() and (lost["verdict_zh"] == "").all()
    assert lost.geometry.is_empty.all()
    a = r[(r["project"] == "甲") & (r["zone_class"] == "永久基本农田")].iloc[0]
    assert a["area_ha"] == pytest.approx(10.0, rel=1e-6) and a["verdict"] == "inside"  # 150 亩 = 10 ha
    assert r.attrs["review"]["unplaced"] == 1 and r.attrs["review"]["projects"] == 3
    detail = gis.review(_geocoded_sites(), zones, zone_field="类型", by_feature=True)
    assert detail.loc[detail["project"] == "乙", "note"].tolist() == ["湖南省怀化市：柳州市域外"]
    with pytest.raises(gis.InputError, match="no geometry"):
        gis.review(_geocoded_sites(), zones, zone_field="类型", strict=True)
    # a layer that is not geocoded keeps refusing rows without geometry, naming them
    with pytest.raises(gis.InputError, match="no geometry"):
        gis.review(_geocoded_sites().drop(columns="geocode_status"), zones, zone_field="类型")
