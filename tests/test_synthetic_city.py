"""Another city by data alone: a made-up 示例市 near 112.9°E 28.2°N, run through geocode, nearest, drive, map, review.

The test writes a layers folder (city.yaml, a catalogue, two counties, five townships, a few roads, a gazetteer rule
file) into tmp_path, points ``gis.settings.layers_dir`` at it and runs the command line.  The answers must be the
synthetic city's (township points, geodesic distances, finite drive times, its own map title and CRS) and no output
may name 柳州 / Liuzhou.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import yaml
from click.testing import CliRunner
from shapely.geometry import LineString, Point, box

import gis
import gis.city
import gis.crs
from gis.cli.main import cli

SHIPPED = Path(__file__).resolve().parents[1] / "layers"

CITY_YAML = """\
name: 示例市
short_name: 示例
name_en: Shili
adcode: "439900"
province: 示例省
bounds: [112.60, 27.90, 113.20, 28.50]
centre: [112.90, 28.20]
# 112.6-113.2°E lies in the CGCS2000 3-degree zone of CM 114°E (112.5-115.5°E): EPSG:4547
analysis_crs: EPSG:4547
local_crs: [EPSG:4547]
map: {title: 示例市空间规划图, zoom: 10}
texts:
  city_name: 示例市
  city_outside: 示例市域外
  print_crs: 坐标系 CGCS2000 / 3度带高斯-克吕格投影(中央经线 114°E, EPSG:4547)
  boundary_caveat: 本图为示例市的规划示意图, 行政界线为虚构数据, 未经审图(无审图号)。
"""

#: name → (lon, lat, county)
TOWNSHIPS = {
    "东湖镇": (112.70, 28.10, "甲区"),
    "西山乡": (112.75, 28.35, "甲区"),
    "南桥镇": (113.00, 28.05, "乙县"),
    "北港街道": (113.10, 28.40, "乙县"),
    "青石镇": (112.95, 28.25, "乙县"),
}
COUNTIES = {"甲区": box(112.60, 27.90, 112.90, 28.50), "乙县": box(112.90, 27.90, 113.20, 28.50)}


def _entry(name: str, file: str, title: str, kind: str) -> dict:
    return {"name": name, "file": file, "title": title, "group": "示例", "kind": kind,
            "source": "synthetic (tests/test_synthetic_city.py)", "licence": "CC0", "attribution": "synthetic"}


def _write_layers(root: Path) -> None:
    # the city-neutral configuration is the shipped one
    for name in ("map_styles.yaml", "basemaps.yaml", "units.yaml", "columns.yaml", "plan_titles.yaml"):
        shutil.copy(SHIPPED / name, root / name)
    shutil.copytree(SHIPPED / "network", root / "network")
    (root / "city.yaml").write_text(CITY_YAML, encoding="utf-8")
    (root / "catalog").mkdir()
    (root / "base").mkdir()
    (root / "gazetteer").mkdir()
    shutil.copy(SHIPPED / "gazetteer" / "finer_places.yaml", root / "gazetteer")  # words of Chinese addresses
    shipped_rules = yaml.safe_load((SHIPPED / "gazetteer" / "aliases.yaml").read_text(encoding="utf-8"))
    rules = {"city": {"name": "示例市", "variants": ["示例"], "seat_county": "甲区", "within": ["示例省"]},
             "short_forms": shipped_rules["short_forms"], "county_short_with_xian": True,
             "kind_priority": shipped_rules["kind_priority"],
             "default_precision_m": shipped_rules["default_precision_m"]}
    (root / "gazetteer" / "aliases.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")

    layers = {
        "city": (gpd.GeoDataFrame({"name": ["示例市"], "adcode": ["439900"]},
                                  geometry=[box(112.60, 27.90, 113.20, 28.50)], crs=4326), "示例市界", "polygon"),
        "counties": (gpd.GeoDataFrame({"name": list(COUNTIES), "short_name": ["甲", "乙"],
                                       "adcode": ["439901", "439902"]},
                                      geometry=list(COUNTIES.values()), crs=4326), "区县界", "polygon"),
        "townships": (gpd.GeoDataFrame({"name": list(TOWNSHIPS), "county": [v[2] for v in TOWNSHIPS.values()],
                                        "geocode_level": "township", "precision_m": 1500.0},
                                       geometry=[Point(v[0], v[1]) for v in TOWNSHIPS.values()], crs=4326),
                      "乡镇(街道)驻地", "point"),
    }
    pts = {k: (v[0], v[1]) for k, v in TOWNSHIPS.items()}
    pairs = [("东湖镇", "西山乡"), ("东湖镇", "南桥镇"), ("西山乡", "青石镇"), ("青石镇", "南桥镇"),
             ("青石镇", "北港街道"), ("南桥镇", "北港街道")]
    lines = [LineString([pts[a], ((pts[a][0] + pts[b][0]) / 2, (pts[a][1] + pts[b][1]) / 2 + 0.01), pts[b]])
             for a, b in pairs]
    layers["roads"] = (gpd.GeoDataFrame({"road_class": "main_road", "name": [f"{a}—{b}" for a, b in pairs]},
                                        geometry=lines, crs=4326), "主要道路", "line")
    for name, (gdf, title, kind) in layers.items():
        gdf.to_file(root / "base" / f"{name}.geojson", driver="GeoJSON")
        (root / "catalog" / f"{name}.yaml").write_text(
            yaml.safe_dump(_entry(name, f"base/{name}.geojson", title, kind), allow_unicode=True), encoding="utf-8")


@pytest.fixture()
def city_dir(tmp_path, monkeypatch):
    root = tmp_path / "layers"
    root.mkdir()
    _write_layers(root)
    monkeypatch.setattr(gis.settings, "layers_dir", root)
    # the analysis CRS follows the profile unless one is set: unset it for the test, put it back after
    pinned = vars(gis.settings).pop("analysis_crs", None)
    yield root
    if pinned is not None:
        gis.settings.analysis_crs = pinned


def _invoke(*args: str) -> None:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV the command line wrote, its Chinese titles back to the machine names."""
    from gis._columns import column_title

    df = pd.read_csv(path, encoding="utf-8-sig")
    names = {column_title(c): c for c in ("status", "geocode_level", "lon", "lat", "target_name", "dist_m",
                                           "minutes", "road_km", "origin_name")}
    return df.rename(columns={c: names.get(c, c) for c in df.columns})


def _texts(folder: Path) -> dict[str, str]:
    """Every output file's text: HTML/CSV/JSON as read, PDF through pdftotext, workbooks cell by cell."""
    from openpyxl import load_workbook

    out = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            out[path.name] = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                                            capture_output=True, text=True).stdout
        elif suffix == ".xlsx":
            wb = load_workbook(path, read_only=True)
            out[path.name] = "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                                       for c in row if c is not None)
        elif suffix in (".html", ".csv", ".json", ".geojson", ".txt", ".md"):
            out[path.name] = path.read_text(encoding="utf-8")
    return out


def test_the_profile_of_the_layers_folder_is_used(city_dir):
    assert gis.city.profile().name == "示例市"
    assert gis.settings.analysis_crs == "EPSG:4547" and gis.crs.analysis_crs().to_epsg() == 4547
    assert bool(gis.crs.in_city([112.9], [28.2])[0]) and not bool(gis.crs.in_city([109.4], [24.3])[0])
    assert sorted(gis.load_layer("townships")["name"]) == sorted(TOWNSHIPS)


def test_a_synthetic_city_runs_end_to_end_without_naming_liuzhou(city_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # geocode: a table of addresses naming the townships
    table = pd.DataFrame({"项目名称": ["甲项目", "乙项目", "丙项目", "丁项目"],
                          "建设地点": ["甲区东湖镇", "乙县南桥镇", "北港街道", "示例市乙县青石镇"]})
    table.to_csv(tmp_path / "projects.csv", index=False, encoding="utf-8")
    _invoke("geocode", str(tmp_path / "projects.csv"), "-o", str(out / "geocoded.csv"))
    report = _read_csv(out / "geocoded.report.csv")
    from gis._columns import value_title

    assert list(report["status"]) == [value_title("status", "matched")] * 4 == ["已定位"] * 4
    assert list(report["geocode_level"]) == [value_title("geocode_level", "township")] * 4
    for (_, row), town in zip(report.iterrows(), ["东湖镇", "南桥镇", "北港街道", "青石镇"]):
        lon, lat, _ = TOWNSHIPS[town]
        assert (row["lon"], row["lat"]) == pytest.approx((lon, lat), abs=1e-9), town

    # nearest: own points to the townships, geodesic metres
    origins = pd.DataFrame({"名称": ["甲点", "乙点", "丙点"], "lon": [112.72, 113.05, 112.93],
                            "lat": [28.12, 28.30, 28.22]})
    origins.to_csv(tmp_path / "points.csv", index=False, encoding="utf-8")
    _invoke("nearest", str(tmp_path / "points.csv"), "townships", "-o", str(out / "nearest.csv"))
    near = _read_csv(out / "nearest.csv")
    geod = pyproj.Geod(ellps="WGS84")
    for (_, o), (_, r) in zip(origins.iterrows(), near.iterrows()):
        dists = {t: geod.inv(o["lon"], o["lat"], v[0], v[1])[2] for t, v in TOWNSHIPS.items()}
        best = min(dists, key=dists.get)
        assert r["target_name"] == best
        assert r["dist_m"] == pytest.approx(dists[best], abs=0.01)

    # drive on the synthetic roads
    _invoke("drive", str(tmp_path / "points.csv"), "townships", "-o", str(out / "drive.csv"))
    drive = _read_csv(out / "drive.csv")
    assert len(drive) == 3 and np.isfinite(drive["minutes"]).all() and (drive["minutes"] > 0).all()
    # 乙点 drives on the synthetic roads to 北港街道: not the straight access line, and no shorter than the geodesic
    by_road = drive.set_index(drive.columns[0]).loc["乙点"]
    assert not bool(by_road["direct"]) and by_road["target"] == "北港街道"
    straight_km = geod.inv(113.05, 28.30, *TOWNSHIPS["北港街道"][:2])[2] / 1000
    assert by_road["road_km"] >= straight_km

    # maps: HTML and PDF with the city's title, CRS line and caveat
    gpd.GeoDataFrame(origins, geometry=gpd.points_from_xy(origins["lon"], origins["lat"]), crs=4326).to_file(
        tmp_path / "points.geojson", driver="GeoJSON")
    _invoke("map", "--layer", "townships", "--layer", "roads", "--add", str(tmp_path / "points.geojson"),
            "-o", str(out / "map.html"))
    _invoke("map", "--layer", "townships", "--layer", "roads", "-o", str(out / "map.pdf"), "--paper", "A4")

    # review: footprints against a zones polygon
    zones = gpd.GeoDataFrame({"类型": ["生态保护红线"]}, geometry=[box(112.68, 28.08, 112.74, 28.14)], crs=4326)
    zones.to_file(tmp_path / "zones.geojson", driver="GeoJSON")
    footprints = gpd.GeoDataFrame({"项目名称": ["甲地块", "乙地块"]},
                                  geometry=[box(112.71, 28.11, 112.72, 28.12), box(113.0, 28.3, 113.01, 28.31)],
                                  crs=4326)
    footprints.to_file(tmp_path / "footprints.geojson", driver="GeoJSON")
    _invoke("review", str(tmp_path / "footprints.geojson"), "--zones", str(tmp_path / "zones.geojson"),
            "--zone-field", "类型", "-o", str(out / "review.xlsx"))
    result = gis.review(footprints, zones, zone_field="类型").set_index("project")
    assert result.loc["甲地块", "verdict"] == "inside" and result.loc["乙地块", "verdict"] == "clear"
    geod_ha = abs(pyproj.Geod(ellps="GRS80").geometry_area_perimeter(footprints.geometry[0])[0]) / 1e4
    assert result.loc["甲地块", "area_ha"] == pytest.approx(geod_ha, rel=1e-3)

    texts = _texts(out)
    assert {"map.html", "map.pdf", "review.xlsx", "nearest.csv", "drive.csv", "geocoded.csv"} <= set(texts)
    assert "示例市空间规划图" in texts["map.html"] and "示例市空间规划图" in texts["map.pdf"]
    assert "EPSG:4547" in texts["map.pdf"] and "未经审图" in texts["map.pdf"]
    for name, text in texts.items():
        assert "柳州" not in text and "Liuzhou" not in text, f"{name} names Liuzhou"
