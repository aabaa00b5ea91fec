"""Buffers against independent computations: pyproj.Geod areas and distances, analytical circles."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point

import gis
from gis._errors import InputError
from gis._geodesic import geodesic_area

GEOD = pyproj.Geod(ellps="GRS80")


@pytest.fixture(scope="module")
def features():
    return gpd.GeoDataFrame(
        {"name": ["站", "园", "路"], "county": ["城中区", "城中区", "柳城县"]},
        geometry=[Point(109.405, 24.307), Point(109.9, 25.8),
                  LineString([(108.9, 24.5), (109.5, 24.6), (110.1, 24.7)])],
        crs="EPSG:4326",
    )


def test_rings_of_a_point_have_the_analytical_area_and_geodesic_radius(features):
    b = gis.buffer_rings(features.iloc[:2], [5000, 10000], quad_segs=128)
    assert b.crs == features.crs
    assert b["source_index"].tolist() == [0, 0, 1, 1]
    # polygon of 512 vertices inscribed in a circle: area = pi r^2 * sin(2pi/n)/(2pi/n)
    shrink = np.sin(2 * np.pi / 512) / (2 * np.pi / 512)
    expected_km2 = np.array([25, 75, 25, 75]) * np.pi * shrink
    assert np.allclose(b["area_km2"], expected_km2, rtol=2e-6)
    assert np.allclose(b["area_ha"], b["area_km2"] * 100)
    outer = b.geometry.iloc[1].exterior.coords[:]
    lon, lat = np.array(outer).T
    s = GEOD.inv(np.full(len(lon), 109.405), np.full(len(lon), 24.307), lon, lat)[2]
    assert np.abs(s - 10000).max() < 1.0  # the plane buffer of the raw radius would be ~2.5 m short


def test_areas_agree_with_geod_polygon_areas(features):
    b = gis.buffer_rings(features, [3000, 8000], dissolve="none")
    for geom, km2 in zip(b.geometry, b["area_km2"]):
        assert km2 * 1e6 == pytest.approx(abs(GEOD.geometry_area_perimeter(geom)[0]), rel=2e-6)


def test_geodesic_area_of_polygons_with_holes_and_parts():
    crs = gis.analysis_crs()
    to_ll = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    outer = shapely.Point(640000, 2700000).buffer(20000)
    hole = shapely.Point(645000, 2700000).buffer(5000)
    donut = shapely.Polygon(outer.exterior.coords[::-1], [hole.exterior.coords])  # odd orientations
    multi = shapely.MultiPolygon([donut, shapely.box(400000, 2800000, 420000, 2810000)])
    got = geodesic_area(np.array([donut, multi], dtype=object), crs)
    for geom, a in zip([donut, multi], got):
        ll = shapely.transform(geom, lambda xy: np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1])))
        assert a == pytest.approx(abs(GEOD.geometry_area_perimeter(ll)[0]), rel=1e-6)


def test_disks_and_dissolves(features):
    disks = gis.buffer_rings(features, [2000, 6000], rings=False, dissolve="ring")
    assert disks["ring_inner_m"].tolist() == [0.0, 0.0]
    rings = gis.buffer_rings(features, [2000, 6000], dissolve="ring")
    # ring 2 = disk 6 km minus disk 2 km, so their areas add up
    assert rings["area_km2"].sum() == pytest.approx(disks["area_km2"].iloc[1], rel=1e-6)
    grouped = gis.buffer_rings(features, [2000], dissolve="group", by="county")
    assert grouped["county"].tolist() == ["城中区", "柳城县"]
    per_feature = gis.buffer_rings(features, [2000])
    # the two 城中区 features are far apart, so their union has the sum of their areas
    assert grouped["area_km2"].iloc[0] == pytest.approx(per_feature["area_km2"].iloc[:2].sum(), rel=1e-6)


def test_input_is_not_mutated(features):
    before = features.copy()
    gis.buffer_rings(features, [1000])
    assert features.equals(before) and features.crs == before.crs


def test_bad_input(features):
    with pytest.raises(InputError, match="distances_m: .*strictly increasing"):
        gis.buffer_rings(features, [5000, 2000])
    with pytest.raises(InputError, match="distances_m: must be a finite, positive"):
        gis.buffer_rings(features, [-1])
    with pytest.raises(InputError, match="distances_m"):
        gis.buffer_rings(features, [float("nan")])
    with pytest.raises(InputError, match="gdf: has no column 'zone'"):
        gis.buffer_rings(features, [1000], dissolve="group", by="zone")
    with pytest.raises(InputError, match="dissolve='group' needs by="):
        gis.buffer_rings(features, [1000], dissolve="group")
    with pytest.raises(InputError, match="gdf: the layer is empty"):
        gis.buffer_rings(features.iloc[:0], [1000])


def test_input_columns_that_clash_with_ring_columns_are_kept_renamed():
    import warnings as _w

    import geopandas as gpd
    from shapely.geometry import Point

    from gis.buffer import buffer_rings as _rings

    park = gpd.GeoDataFrame({"name": ["园区"], "area_km2": [3.5]}, geometry=[Point(109.4, 24.3)], crs="EPSG:4326")
    with _w.catch_warnings(record=True) as caught:
        _w.simplefilter("always")
        out = _rings(park, [1000])
    assert any("area_km2" in str(w.message) for w in caught)
    assert list(out.columns).count("area_km2") == 1
    assert out["area_km2_source"].tolist() == [3.5]
    assert abs(out["area_km2"].iloc[0] - 3.14159) < 0.01  # pi * 1 km^2
    assert park.columns.tolist() == ["name", "area_km2", "geometry"]  # input untouched


def test_scaled_buffer_refuses_lon_lat_and_reaches_the_geodesic_distance_in_metres():
    from gis._errors import CRSError
    from gis.buffer import scaled_buffer

    hub = gpd.GeoSeries([Point(109.405, 24.307), Point(110.1, 25.9)], index=["站", "园"], crs="EPSG:4326")
    with pytest.raises(CRSError, match=r"scaled_buffer: layer 'geoms' is in EPSG:4326, a geographic CRS "
                                       r"\(degrees\).*gis.to_analysis_crs\(gdf\)"):
        scaled_buffer(hub, 1000)
    with pytest.raises(CRSError, match="has no CRS"):
        scaled_buffer(gpd.GeoSeries([Point(642130, 2689231)]), 1000)
    # in EPSG:4546 (another zone than the analysis CRS), the scale factor of that CRS is used
    for crs in ("EPSG:4545", "EPSG:4546"):
        disks = scaled_buffer(hub.to_crs(crs), [1000, 3000], quad_segs=64)
        assert disks.index.tolist() == ["站", "园"] and disks.crs == hub.to_crs(crs).crs
        ring = shapely.get_coordinates(disks.to_crs(4326).boundary.values)
        counts = shapely.get_num_coordinates(disks.boundary.values)
        for i, (lon, lat) in enumerate(zip(hub.x, hub.y)):
            pts = ring[counts[:i].sum(): counts[: i + 1].sum()]
            _, _, s = GEOD.inv(np.full(len(pts), lon), np.full(len(pts), lat), pts[:, 0], pts[:, 1])
            assert np.abs(s - [1000, 3000][i]).max() < 0.05


def test_area_functions_refuse_lon_lat_and_match_geod():
    from gis._errors import CRSError
    from gis.coverage import geodesic_area as area, geodesic_length as length

    park = gpd.GeoSeries([shapely.segmentize(shapely.box(109.40, 24.30, 109.45, 24.35), 0.005)], crs="EPSG:4326")
    for fn in (area, length):
        with pytest.raises(CRSError, match=r"is in EPSG:4326, a geographic CRS.*reproject first"):
            fn(park)
        with pytest.raises(CRSError, match="degrees"):
            fn(gpd.GeoDataFrame(geometry=park))
    projected = gis.to_analysis_crs(park)
    assert area(projected).iloc[0] == pytest.approx(abs(GEOD.geometry_area_perimeter(park.iloc[0])[0]), rel=1e-6)
    assert length(projected).iloc[0] == pytest.approx(GEOD.geometry_area_perimeter(park.iloc[0])[1], rel=1e-5)
    assert area(projected).name == "area_m2" and length(projected).name == "length_m"
    with pytest.raises(CRSError, match="degrees, not metres"):  # the private kernel refuses too
        geodesic_area(np.asarray(park.values), park.crs)


@pytest.mark.parametrize("kwargs", [dict(dissolve="none"), dict(dissolve="none", rings=False),
                                    dict(dissolve="ring"), dict(dissolve="group", by="county")])
def test_buffer_rings_in_chunks_equals_all_at_once(monkeypatch, kwargs):
    """Memory: features are buffered a chunk at a time; the result is the one of all at once (issue 18)."""
    import shapely

    from gis import buffer as buffer_module

    rng = np.random.default_rng(7)
    n = 3000
    pts = gpd.GeoDataFrame({"county": rng.choice(["柳城县", "鹿寨县", "融安县"], n)},
                           geometry=gpd.points_from_xy(rng.uniform(109.2, 109.6, n), rng.uniform(24.2, 24.5, n)),
                           crs="EPSG:4326")
    monkeypatch.setattr(buffer_module, "_CHUNK", 10**9)
    whole = buffer_module.buffer_rings(pts, [500, 1000], quad_segs=8, **kwargs)
    monkeypatch.setattr(buffer_module, "_CHUNK", 700)
    chunked = buffer_module.buffer_rings(pts, [500, 1000], quad_segs=8, **kwargs)
    assert whole.crs == chunked.crs == pts.crs
    pd.testing.assert_frame_equal(whole.drop(columns=["geometry", "area_km2", "area_ha"]),
                                  chunked.drop(columns=["geometry", "area_km2", "area_ha"]))
    a, b = np.asarray(whole.geometry.values), np.asarray(chunked.geometry.values)
    if kwargs["dissolve"] == "none":  # per feature: the very same polygons and areas
        assert shapely.equals_exact(a, b, tolerance=0).all()
        assert (whole["area_km2"].to_numpy() == chunked["area_km2"].to_numpy()).all()
    else:  # unions of partial unions: the same polygons up to vertex order and 1e-9 m
        assert shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=1e-9).all()
        np.testing.assert_allclose(whole["area_km2"], chunked["area_km2"], rtol=1e-12)
