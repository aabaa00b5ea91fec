"""CRS guards, zone-prefix detection and reprojection."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from shapely.geometry import Point

from gis import CRSError, settings
from gis.crs import detect_crs, require_projected, to_analysis_crs, transformer


def test_require_projected_refuses_degrees_and_says_the_fix():
    g = gpd.GeoDataFrame(geometry=[Point(109.4, 24.3)], crs="EPSG:4326")
    with pytest.raises(CRSError) as err:
        require_projected(g, operation="buffer", layer="stations")
    msg = str(err.value)
    assert "stations" in msg and "EPSG:4326" in msg and "to_analysis_crs" in msg


def test_require_projected_refuses_missing_crs():
    g = gpd.GeoDataFrame(geometry=[Point(642130, 2689231)])
    with pytest.raises(CRSError, match="no CRS.*set_crs"):
        require_projected(g, operation="buffer")


def test_require_projected_accepts_projected():
    g = gpd.GeoDataFrame(geometry=[Point(642130, 2689231)], crs="EPSG:4545")
    assert require_projected(g, operation="buffer") is None


def test_zone_36_prefix_detected_with_warning():
    g = gpd.GeoDataFrame(geometry=[Point(36_642_130.0, 2_689_231.0)])
    with pytest.warns(UserWarning, match="EPSG:4524"):
        assert detect_crs(g).to_epsg() == 4524


def test_zone_37_prefix_detected():
    g = gpd.GeoDataFrame(geometry=[Point(37_400_000.0, 2_700_000.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert detect_crs(g).to_epsg() == 4525


def test_six_digit_eastings_without_crs_refused():
    g = gpd.GeoDataFrame(geometry=[Point(642_130.0, 2_689_231.0)])
    with pytest.raises(CRSError, match="Refusing to guess"):
        to_analysis_crs(g)


def test_zone_prefixed_data_reprojects_to_the_same_place():
    # 36xxxxxx eastings are EPSG:4545 eastings + 36,000,000 (same CM 108E)
    g = gpd.GeoDataFrame(geometry=[Point(36_642_130.0, 2_689_231.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = to_analysis_crs(g).geometry.iloc[0]
    assert p.x == pytest.approx(642_130.0, abs=1e-3) and p.y == pytest.approx(2_689_231.0, abs=1e-3)


def test_to_analysis_crs_matches_pyproj():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(108.6, 110.2, 50), rng.uniform(23.9, 26.0, 50)
    g = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    out = to_analysis_crs(g)
    assert out.crs.to_epsg() == 4545
    x, y = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4545", always_xy=True).transform(lon, lat)
    assert np.allclose(out.geometry.x, x, atol=1e-6) and np.allclose(out.geometry.y, y, atol=1e-6)
    assert g.crs.to_epsg() == 4326  # input untouched


def test_to_analysis_crs_follows_settings(monkeypatch):
    monkeypatch.setattr(settings, "analysis_crs", "EPSG:4546")
    g = gpd.GeoDataFrame(geometry=[Point(109.6, 24.4)], crs="EPSG:4326")
    assert to_analysis_crs(g).crs.to_epsg() == 4546


def test_epsg4490_axis_order_handled():
    # EPSG:4490 is declared lat-first; transformer() must still take lon, lat
    x, y = transformer("EPSG:4490", "EPSG:4545").transform(109.4, 24.3)
    x2, y2 = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4545", always_xy=True).transform(109.4, 24.3)
    assert abs(x - x2) < 1 and abs(y - y2) < 1
    assert round(x) == 642130
    g = gpd.GeoDataFrame(geometry=[Point(109.4, 24.3)], crs="EPSG:4490")
    p = to_analysis_crs(g).geometry.iloc[0]
    assert abs(p.x - x2) < 1 and abs(p.y - y2) < 1
