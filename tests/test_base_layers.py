"""The shipped base layers, loaded as a user would, checked against independent facts."""

from __future__ import annotations

import json

import numpy as np
import pyproj
import pytest
import shapely

import gis
from gis.layer_pipeline import _boundaries
from gis.layers import catalog, layers_dir

LIUZHOU = {
    "450202": ("城中区", "城中", "区"), "450203": ("鱼峰区", "鱼峰", "区"), "450204": ("柳南区", "柳南", "区"),
    "450205": ("柳北区", "柳北", "区"), "450206": ("柳江区", "柳江", "区"), "450222": ("柳城县", "柳城", "县"),
    "450223": ("鹿寨县", "鹿寨", "县"), "450224": ("融安县", "融安", "县"),
    "450225": ("融水苗族自治县", "融水", "自治县"), "450226": ("三江侗族自治县", "三江", "自治县"),
}
GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def counties():
    return gis.load_layer("counties")


@pytest.fixture(scope="module")
def towns():
    return gis.load_layer("townships")


@pytest.fixture(scope="module")
def report():
    with open(layers_dir() / "base" / "build_report.json", encoding="utf-8") as fh:
        return json.load(fh)


def test_catalogue_lists_base_layers_with_files():
    t = gis.list_layers().set_index("name")
    for name in ("city", "counties", "counties_web", "neighbours", "townships", "county_seats", "villages",
                 "railway_stations", "airports", "rivers"):
        assert t.loc[name, "exists"], name
    assert t.loc["townships", "title"] == "乡镇(街道)驻地"
    assert t.loc["counties", "title"] == "区县界"


def test_counties_are_the_ten_units(counties):
    assert counties.crs.to_epsg() == 4326
    got = {r.adcode: (r.name, r.short_name, r.kind) for r in counties.itertuples()}
    assert got == LIUZHOU
    assert (counties["parent_adcode"] == "450200").all()
    assert shapely.coverage_is_valid(counties.geometry.values)


def test_counties_tile_the_city(counties):
    city = gis.load_layer("city").geometry.iloc[0]
    union = shapely.union_all(counties.geometry.values)
    # geodesic area of the symmetric difference: the counties tile the city outline
    diff = abs(GEOD.geometry_area_perimeter(union.symmetric_difference(city))[0])
    total = abs(GEOD.geometry_area_perimeter(city)[0])
    assert diff / total < 1e-4
    assert 18_000 < total / 1e6 < 19_500  # 柳州市 is about 18,600 km²


def test_counties_web_is_smaller_and_close(counties):
    web = gis.load_layer("counties_web")
    assert list(web["adcode"]) == list(counties["adcode"])
    assert shapely.get_num_coordinates(web.geometry.values).sum() < shapely.get_num_coordinates(counties.geometry.values).sum()
    a = counties.to_crs("EPSG:4545").geometry.values
    b = web.to_crs("EPSG:4545").geometry.values
    assert (shapely.hausdorff_distance(a, b) < 300).all()
    assert shapely.coverage_is_valid(web.geometry.values)


def test_layer_files_are_small_and_rounded():
    base = layers_dir() / "base"
    assert (base / "counties.geojson").stat().st_size + (base / "counties_web.geojson").stat().st_size < 2_000_000
    text = (base / "counties.geojson").read_text(encoding="utf-8")
    assert "城中区" in text and "\\u" not in text
    coords = shapely.get_coordinates(gis.load_layer("counties").geometry.values)
    assert np.allclose(coords, np.round(coords, 6), atol=1e-9)


def test_townships_118_unique(towns):
    assert len(towns) == 118
    assert towns["code"].is_unique and towns["code"].str.fullmatch(r"4502\d{8}").all()
    assert towns["name"].is_unique  # each township once, managing-district towns included
    assert towns["kind"].value_counts().to_dict() == {"镇": 53, "乡": 33, "街道": 32}
    assert set(towns["geocode_level"]) <= {"township", "county"}
    assert (towns["precision_m"] >= 800).all()
    assert towns[["location_basis", "source", "change_since_2016"]].notna().all().all()


def test_township_points_inside_their_county(towns, counties, report):
    by_name = counties.set_index("name").geometry
    outside = [r.name for r in towns.itertuples() if not by_name.loc[r.county].contains(r.geometry)]
    # the build report lists exceptions; currently there are none
    assert outside == [r["name"] for r in report["township_points_outside_county"]] == []


def test_amap_points_are_converted(towns):
    # 拉堡镇: Vonng GCJ-02 centre 109.328635, 24.259322 → WGS-84 ≈ 550 m away, south-west-ish (−E, +N)
    r = towns.set_index("name").loc["拉堡镇"]
    az, _, d = GEOD.inv(109.328635, 24.259322, r.geometry.x, r.geometry.y)
    assert 500 < d < 600
    assert d * np.sin(np.radians(az)) < -400 and d * np.cos(np.radians(az)) > 250
    assert r["location_basis"] == "amap_area_centre" and r["precision_m"] == 1500


def test_changes_since_2016_flagged(towns):
    t = towns.set_index("name")
    assert "moved 柳江区→鱼峰区" in t.loc["里雍镇", "change_since_2016"] and t.loc["里雍镇", "county"] == "鱼峰区"
    assert "moved 柳江区→柳南区" in t.loc["洛满镇", "change_since_2016"] and t.loc["洛满镇", "county"] == "柳南区"
    assert "moved 柳江区→柳南区" in t.loc["流山镇", "change_since_2016"]
    assert "renamed 马山乡→马山镇" in t.loc["马山镇", "change_since_2016"]
    assert t.loc["拉堡镇", "change_since_2016"] == "unchanged"


def test_not_current_units_reported(report):
    names = {r["name"] for r in report["townships"]["not_current_2016"]}
    assert names == {"新兴工业园", "新兴农场", "水上街道办事处"}


def test_managing_districts(towns):
    md = towns[towns["managing_district"].notna()].set_index("name")
    assert md["managing_district"].to_dict() == {
        "洛埠镇": "柳东新区", "雒容镇": "柳东新区", "石碑坪镇": "北部生态新区", "沙塘镇": "北部生态新区"}
    assert md["county"].to_dict() == {"洛埠镇": "鱼峰区", "雒容镇": "鱼峰区", "石碑坪镇": "柳北区", "沙塘镇": "柳北区"}
    assert md["managing_source"].str.contains("004_9db75a2811220992.txt").all()


def test_fallbacks_are_honest(towns):
    fb = towns[towns["location_basis"] != "amap_area_centre"]
    assert len(fb) == 14
    assert (fb["precision_m"] >= 2000).all()
    baisha = towns.set_index("name").loc["白沙镇"]
    assert baisha["geocode_level"] == "county" and baisha["precision_m"] >= 10_000


@pytest.fixture(scope="module")
def seats():
    return gis.load_layer("county_seats").set_index("name")


def test_county_seats_lie_in_their_county(seats, counties):
    assert seats.crs.to_epsg() == 4326 and len(seats) == 10
    assert dict(zip(seats["adcode"], seats.index)) == {a: v[0] for a, v in LIUZHOU.items()}
    polys = counties.set_index("name").geometry
    for name, row in seats.iterrows():
        assert polys.loc[name].contains(row.geometry), name
    assert (seats["precision_m"] == 1000).all() and (seats["geocode_level"] == "county").all()
    assert (seats["location_basis"] == "Amap district centre (county government seat), GCJ-02 converted").all()
    assert "CC BY 4.0" in catalog()["county_seats"]["licence"]


def test_county_seat_is_the_converted_amap_district_centre(seats):
    # 鹿寨县 county row of Vonng 450223.csv: 109.750638, 24.472897 (GCJ-02); the shift here is ≈ 550 m
    r = seats.loc["鹿寨县"]
    az, _, d = GEOD.inv(109.750638, 24.472897, r.geometry.x, r.geometry.y)
    assert 500 < d < 600 and d * np.sin(np.radians(az)) < -400


@pytest.mark.parametrize("county, town, max_m", [
    ("鹿寨县", "鹿寨镇", 3000), ("柳城县", "大埔镇", 3000), ("融安县", "长安镇", 3000),
    ("融水苗族自治县", "融水镇", 3000), ("三江侗族自治县", "古宜镇", 3000), ("柳江区", "拉堡镇", 3000),
])
def test_county_seat_is_at_the_county_town(seats, towns, county, town, max_m):
    seat = seats.loc[county].geometry
    t = towns.set_index("name").loc[town].geometry
    d = GEOD.inv(seat.x, seat.y, t.x, t.y)[2]
    assert d < max_m
    assert seats.loc[county, "seat_township"] == town
    assert seats.loc[county, "nearest_township_dist_m"] == pytest.approx(d, abs=0.5)


def test_luzhai_seat_fixes_the_polygon_point(seats, towns, counties):
    # the issue: 鹿寨县 was placed at the representative point of its polygon, ~16 km from 鹿寨镇
    t = towns.set_index("name").loc["鹿寨镇"].geometry
    rep = counties.set_index("name").loc["鹿寨县"].geometry.representative_point()
    seat = seats.loc["鹿寨县"].geometry
    assert GEOD.inv(rep.x, rep.y, t.x, t.y)[2] > 10_000
    assert GEOD.inv(seat.x, seat.y, t.x, t.y)[2] < 3_000


def test_seat_town_is_named_only_when_close_and_in_the_county(seats, towns):
    t = towns[towns["location_basis"] == "amap_area_centre"]
    for name, row in seats.iterrows():
        d = GEOD.inv(np.full(len(t), row.geometry.x), np.full(len(t), row.geometry.y),
                     t.geometry.x.to_numpy(), t.geometry.y.to_numpy())[2]
        k = int(np.argmin(d))  # brute force nearest
        assert row["nearest_township"] == t["name"].iloc[k]
        expected = t["name"].iloc[k] if d[k] <= 3000 and t["county"].iloc[k] == name else None
        assert (row["seat_township"] if isinstance(row["seat_township"], str) else None) == expected, name


def test_township_known_only_to_its_county_is_at_the_seat(towns, seats, counties):
    baisha = towns.set_index("name").loc["白沙镇"]
    assert baisha["location_basis"] == "county_seat"
    seat = seats.loc["鱼峰区"].geometry
    assert GEOD.inv(baisha.geometry.x, baisha.geometry.y, seat.x, seat.y)[2] < 1
    poly = counties.set_index("name").loc["鱼峰区"].geometry
    far = max(GEOD.inv(seat.x, seat.y, x, y)[2] for x, y in np.asarray(poly.convex_hull.exterior.coords))
    assert far <= baisha["precision_m"] < far + 1000


def test_villages_gazetteer():
    v = gis.load_layer("villages")
    assert len(v) == 176 and v["code"].is_unique
    assert (v["geocode_level"] == "village").all()
    assert v["township_code"].notna().all()
    towns = set(gis.load_layer("townships")["code"])
    assert set(v["township_code"]) <= towns
    minx, miny, maxx, maxy = gis.crs.city_bounds()
    assert v.geometry.x.between(minx, maxx).all() and v.geometry.y.between(miny, maxy).all()


def test_transport_and_rivers():
    st = gis.load_layer("railway_stations").set_index("name", drop=False)
    # 柳州站: OSM node; the station building is at about 109.383E 24.311N
    assert GEOD.inv(st.loc["柳州"].geometry.x, st.loc["柳州"].geometry.y, 109.383, 24.311)[2] < 300
    assert st["in_liuzhou"].sum() >= 40
    ap = gis.load_layer("airports").iloc[0]
    assert ap["name"] == "柳州白莲机场"
    # Bailian airport lies about 12-15 km south of the city centre
    assert 8_000 < GEOD.inv(109.41, 24.32, ap.geometry.x, ap.geometry.y)[2] < 20_000
    rivers = gis.load_layer("rivers")
    assert {"柳江", "融江", "都柳江", "红水河"} <= set(rivers["name"])
    assert (rivers["geometry_basis"] == "river_centreline").all()


def test_neighbours(report):
    n = gis.load_layer("neighbours")
    assert set(n.loc[n["level"] == "city", "name"]) == {"来宾市", "河池市"}
    assert n.loc[n["level"] == "county", "city_name"].value_counts().to_dict() == {"河池市": 11, "来宾市": 6}


def test_independent_boundary_check_recomputed(report):
    res = _boundaries.boundary_check()
    conv, raw = res["converted"], res["unconverted"]
    # converted polygons agree far better than the ~550 m GCJ offset
    assert conv["median_m"] < 120 and raw["median_m"] > 300
    assert np.hypot(conv["shift_east_m"], conv["shift_north_m"]) < 50
    assert raw["shift_east_m"] == pytest.approx(467, abs=40) and raw["shift_north_m"] == pytest.approx(-297, abs=40)
    # the committed report holds the same numbers
    assert report["boundary_check"]["converted"]["median_m"] == pytest.approx(conv["median_m"], rel=1e-6)
    assert report["boundary_check"]["unconverted"]["shift_east_m"] == pytest.approx(raw["shift_east_m"], rel=1e-6)
