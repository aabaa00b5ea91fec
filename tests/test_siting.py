"""Option comparison (方案比选), candidate grids and site suitability, checked against brute force with pyproj.Geod."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from shapely.geometry import LineString, Point

import gis
from gis._errors import InputError

GEOD = pyproj.Geod(ellps="GRS80")
TO_M = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4545", always_xy=True)
TO_LL = pyproj.Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True)


def geod_dist(p, q) -> float:
    return GEOD.inv(p.x, p.y, q.x, q.y)[2]


@pytest.fixture(scope="module")
def options():
    seat = gis.load_layer("townships").set_index("name").geometry
    x, y = TO_M.transform(seat.loc["雒容镇"].x, seat.loc["雒容镇"].y)
    lz = gis.load_layer("townships").set_index("name").geometry.loc["鹿寨镇"]
    rows = [("物流园", "方案A", TO_LL.transform(x + 6000, y)),      # on the overlapping 永久基本农田 (示例)
            ("物流园", "方案B", TO_LL.transform(x + 9500, y + 3000)),  # clear of every example zone
            ("物流园", "方案C", (lz.x + 0.01, lz.y + 0.01))]          # 鹿寨, clear
    return gpd.GeoDataFrame({"项目": [r[0] for r in rows], "方案": [r[1] for r in rows],
                             "用地面积(亩)": [300.0, 300.0, 300.0], "precision_m": [50.0] * 3},
                            geometry=[Point(*r[2]) for r in rows], crs="EPSG:4326")


def test_options_side_by_side_are_ranked_and_every_number_traces(options):
    zones = gis.load_layer("zones_example")
    c = gis.compare_options(options, zones, zone_field="类型", option_field="方案", roads=None)
    assert len(c) == 3 and sorted(c["source_index"]) == [0, 1, 2]
    by = c.set_index("option")
    assert by.loc["方案A", "永久基本农田_verdict"] == "inside"
    assert by.loc["方案A", "avoid_ha"] == pytest.approx(300 / 15, rel=1e-3)  # 300 亩 = 20 ha, all on 农田
    assert by.loc["方案B", "avoid_ha"] == 0 and by.loc["方案C", "avoid_ha"] == 0
    assert by.loc["方案A", "rank"] == 3  # the only one occupying a zone comes last
    assert set(by.loc[["方案B", "方案C"], "rank"]) == {1, 2}
    assert by.loc["方案B", "node_dist_m"] <= by.loc["方案C", "node_dist_m"] if by.loc["方案B", "rank"] == 1 \
        else by.loc["方案C", "node_dist_m"] <= by.loc["方案B", "node_dist_m"]
    # the nearest node and its distance, by brute force over every node with pyproj.Geod
    nodes = gis.load_layer("logistics")
    for i, row in c.iterrows():
        p = options.geometry.iloc[row["source_index"]]
        d = np.array([geod_dist(p, q) for q in nodes.geometry])
        assert row["node_dist_m"] == pytest.approx(d.min(), abs=0.01)
        assert row["node_name"] in set(nodes["name"][np.isclose(d, d.min(), atol=0.01)])
        assert row["node_precision_m"] == nodes["precision_m"][np.argmin(d)]
    assert by.loc["方案A", "structure_element"] == "中心城区" and by.loc["方案A", "structure_role"] == "核"
    assert by.loc["方案C", "structure_element"] == "鹿寨县" and by.loc["方案C", "county"] == "鹿寨县"
    assert "drive_min" not in c.columns and any("skipped" in n for n in c.attrs["notes"])
    assert c.attrs["ranking"].startswith("within each project: avoid_ha ascending")


def test_drive_time_to_the_county_seat_when_roads_are_given(options):
    seats = gis.load_layer("county_seats").set_index("name")
    lz = seats.geometry.loc["鹿寨县"]
    c_opt = options.geometry.iloc[2]
    road = gpd.GeoDataFrame({"speed_kmh": [60.0]}, geometry=[LineString([(c_opt.x, c_opt.y), (lz.x, lz.y)])],
                            crs="EPSG:4326")
    c = gis.compare_options(options, option_field="方案", roads=road).set_index("option")
    assert c.loc["方案C", "seat_name"] == "鹿寨县"
    km = geod_dist(c_opt, lz) / 1000
    assert c.loc["方案C", "drive_min"] == pytest.approx(km / 60 * 60, rel=0.01)  # straight road at 60 km/h


def test_candidate_grid_covers_the_county_at_the_spacing():
    g = gis.candidate_grid("城中区", spacing_m=1000)
    county = gis.load_layer("counties").set_index("name").geometry.loc["城中区"]
    assert g.within(county).all()
    x, y = TO_M.transform(g.geometry.x.to_numpy(), g.geometry.y.to_numpy())
    assert np.allclose(np.mod(x + 1e-6, 1000), 0, atol=1e-3) and np.allclose(np.mod(y + 1e-6, 1000), 0, atol=1e-3)
    area_km2 = abs(GEOD.geometry_area_perimeter(county)[0]) / 1e6
    assert abs(len(g) - area_km2) < 0.2 * area_km2
    with pytest.raises(InputError, match="neither a county"):
        gis.candidate_grid("火星", spacing_m=1000)


def test_site_suitability_values_pass_fail_and_rank():
    zones = gis.load_layer("zones_example")
    red = zones[zones["类型"] == "生态保护红线"]
    seat = gis.load_layer("townships").set_index("name").geometry.loc["雒容镇"]
    x, y = TO_M.transform(seat.x, seat.y)
    spots = [(x, y + 6000, 10.0),      # in the 红线 circle
             (x, y + 8100, 200.0),     # 100 m outside it, uncertain by 200 m
             (x, y + 9000, 10.0),      # 1 km outside
             (x + 60000, y + 60000, 10.0)]  # far from everything
    cands = gpd.GeoDataFrame({"name": ["a", "b", "c", "d"], "precision_m": [s[2] for s in spots]},
                             geometry=[Point(*TO_LL.transform(s[0], s[1])) for s in spots], crs="EPSG:4326")
    stations = gis.load_layer("railway_stations")
    s = gis.site_suitability(cands, near={"车站": (stations, 15000)}, exclude={"红线": red},
                             weights={"车站": 1, "红线": 3}).set_index("name")
    for name, p in zip(cands["name"], cands.geometry):
        d = min(geod_dist(p, q) for q in stations.geometry)
        assert s.loc[name, "车站_dist_m"] == pytest.approx(d, abs=0.01)
        assert s.loc[name, "车站_pass"] == (d <= 15000)
    assert s.loc["a", "红线_dist_m"] == 0 and not s.loc["a", "红线_pass"]
    assert s.loc["b", "红线_dist_m"] == pytest.approx(100, abs=2) and not s.loc["b", "红线_pass"]
    assert s.loc["c", "红线_pass"] and s.loc["d", "红线_pass"]
    assert s.loc["c", "score"] == 100.0 or not s.loc["c", "车站_pass"]
    assert s.loc["a", "score"] == pytest.approx(25.0 if s.loc["a", "车站_pass"] else 0.0)
    ranked = s.sort_values("rank")
    assert list(ranked["all_pass"]) == sorted(ranked["all_pass"], reverse=True)
    assert s["rank"].tolist() == list(range(1, 5))


def test_site_criteria_are_checked():
    cands = gis.candidate_grid("城中区", spacing_m=3000)
    with pytest.raises(InputError, match="at least one criterion"):
        gis.site_suitability(cands)
    with pytest.raises(InputError, match="needs roads"):
        gis.site_suitability(cands, near={"物流": ("logistics", "30 min")})
    with pytest.raises(InputError, match="not a criterion label"):
        gis.site_suitability(cands, near={"物流": ("logistics", 5000)}, weights={"车站": 2})


def test_site_suitability_keeps_unplaced_geocoded_candidates_last():
    stations = gis.load_layer("railway_stations")
    cands = gpd.GeoDataFrame({"name": ["a", "b", "c"], "geocode_status": ["matched", "unmatched", "matched"],
                              "geocode_reason": ["", "", ""]},
                             geometry=[Point(109.40, 24.31), None, Point(109.62, 24.41)], crs="EPSG:4326")
    with pytest.warns(UserWarning, match=r"candidates: 1 row\(s\) have no position"):
        s = gis.site_suitability(cands, near={"车站": (stations, 15000)})
    assert s["name"].tolist()[-1] == "b" and s["rank"].tolist()[:2] == [1, 2] and s["rank"].isna().tolist()[-1]
    last = s.iloc[-1]
    assert last["note"] == "未定位" and not last["车站_pass"] and np.isnan(last["车站_dist_m"])
    assert (s["note"].iloc[:2] == "").all()
    with pytest.raises(InputError, match="no geometry"):
        gis.site_suitability(cands, near={"车站": (stations, 15000)}, strict=True)
