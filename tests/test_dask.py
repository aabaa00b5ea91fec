"""gis.partitioned: the dask-geopandas path gives exactly the in-memory answers."""

from __future__ import annotations

import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

import gis
from gis import partitioned
from gis._errors import InputError, MissingDependencyError

dgpd = pytest.importorskip("dask_geopandas")

GEOD = pyproj.Geod(ellps="GRS80")  # CGCS2000 uses the GRS80 ellipsoid (flattening differs by 1e-11 relative)


def assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal frames: labels, dtypes, targets, ties and flags exactly; ``dist_m`` to the kernel's 0.2 ppm.

    The in-memory kernel itself reports a distance through one of two equivalent formulas (the grid
    pre-pass or the tree pass, whichever settles the origin), and which one depends on the other origins
    of the call; so a partition's distances can differ from the whole layer's in the last ~1e-7.
    """
    pd.testing.assert_frame_equal(got.drop(columns="dist_m"), expected.drop(columns="dist_m"), check_exact=True)
    np.testing.assert_allclose(got["dist_m"], expected["dist_m"], rtol=2e-7, atol=0)
    np.testing.assert_array_equal(got["dist_m"].isna(), expected["dist_m"].isna())


@pytest.fixture(scope="module")
def origins() -> gpd.GeoDataFrame:
    """3000 points over Liuzhou in lon/lat (each partition is reprojected in the kernel), labelled by string."""
    rng = np.random.default_rng(11)
    lon, lat = rng.uniform(108.9, 110.0, 3000), rng.uniform(24.0, 26.0, 3000)
    return gpd.GeoDataFrame(
        {"precision_m": rng.choice([np.nan, 10.0, 500.0], 3000)},
        geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326",
        index=pd.Index([f"o{i:04d}" for i in range(3000)], name="home"),
    )


@pytest.fixture(scope="module")
def targets() -> gpd.GeoDataFrame:
    """40 facilities in the analysis CRS, one of them twice at the same place (a tie)."""
    rng = np.random.default_rng(12)
    lon, lat = rng.uniform(108.9, 110.0, 40), rng.uniform(24.0, 26.0, 40)
    lon[39], lat[39] = lon[0], lat[0]
    gdf = gpd.GeoDataFrame({"precision_m": np.full(40, 50.0)}, geometry=gpd.points_from_xy(lon, lat),
                           crs="EPSG:4326", index=pd.Index(np.arange(100, 140), name="facility"))
    return gdf.to_crs(gis.settings.analysis_crs)


@pytest.fixture(scope="module")
def dorigins(origins: gpd.GeoDataFrame):
    return dgpd.from_geopandas(origins, npartitions=4)


def test_nearest_k1_equals_in_memory_and_brute_force(dorigins, origins, targets) -> None:
    lazy = partitioned.nearest(dorigins, targets)
    assert lazy.npartitions == 4
    assert lazy.divisions == dorigins.divisions  # aligned to the origins' index
    got = lazy.compute()
    assert_same(got, gis.nearest(dorigins.compute(), targets))
    assert got.index.equals(origins.index)
    assert got["tie"].any()  # the doubled facility

    # independently: brute-force geodesic distances to every facility on the ellipsoid
    sample = origins.iloc[::37]
    t_ll = targets.to_crs(4326)
    olon, olat = sample.geometry.x.to_numpy(), sample.geometry.y.to_numpy()
    tlon, tlat = t_ll.geometry.x.to_numpy(), t_ll.geometry.y.to_numpy()
    _, _, s = GEOD.inv(np.repeat(olon, 40), np.repeat(olat, 40), np.tile(tlon, len(sample)),
                       np.tile(tlat, len(sample)))
    s = s.reshape(len(sample), 40)
    row = got.loc[sample.index]
    np.testing.assert_allclose(row["dist_m"], s.min(axis=1), rtol=1e-6)
    assert (row["target_index"].to_numpy() == targets.index[s.argmin(axis=1)]).all()
    np.testing.assert_array_equal(row["origin_precision_m"], sample["precision_m"])


def test_nearest_k3_equals_in_memory(dorigins, targets) -> None:
    got = partitioned.nearest(dorigins, targets, k=3).compute()
    assert list(got.columns[:2]) == ["rank", "target_index"]
    assert got.index.name == "origin_index"
    expected = gis.nearest(dorigins.compute(), targets, k=3)
    assert_same(got.set_index("rank", append=True), expected)
    assert len(got) == 3 * 3000


def test_nearest_max_distance_leaves_far_origins_empty(dorigins, targets) -> None:
    got = partitioned.nearest(dorigins, targets, max_distance_m=8000).compute()
    expected = gis.nearest(dorigins.compute(), targets, max_distance_m=8000)
    assert_same(got, expected)
    assert got["target_index"].isna().any() and got["target_index"].notna().any()
    assert (got["dist_m"].dropna() <= 8000).all()


def test_within_equals_in_memory_and_brute_force(dorigins, origins, targets) -> None:
    got = partitioned.within(dorigins, targets, 6000).compute().reset_index(drop=True)
    assert_same(got, gis.within(dorigins.compute(), targets, 6000))

    t_ll = targets.to_crs(4326)
    _, _, s = GEOD.inv(np.repeat(origins.geometry.x.to_numpy(), 40), np.repeat(origins.geometry.y.to_numpy(), 40),
                       np.tile(t_ll.geometry.x.to_numpy(), 3000), np.tile(t_ll.geometry.y.to_numpy(), 3000))
    s = s.reshape(3000, 40)
    assert len(got) == int((s <= 6000).sum()) > 0


def test_geoparquet_path_and_line_targets(tmp_path, origins, targets) -> None:
    """Origins read lazily from a folder of GeoParquet files; lines take the STRtree path."""
    folder = tmp_path / "homes"
    dgpd.from_geopandas(origins, npartitions=3).to_parquet(folder)
    roads = gpd.GeoDataFrame(
        {"name": ["东西", "南北"]},
        geometry=[shapely.LineString([(109.0, 24.3), (109.9, 24.35)]),
                  shapely.LineString([(109.4, 24.0), (109.45, 25.9)])], crs="EPSG:4326",
    )
    lazy = partitioned.nearest(folder, roads)
    assert lazy.npartitions == 3
    got = lazy.compute()
    assert_same(got, gis.nearest(gpd.read_parquet(folder), roads))
    assert set(got["target_index"]) == {0, 1}
    assert_same(
        partitioned.within(folder, roads, 3000, npartitions=2).compute().reset_index(drop=True),
        gis.within(gpd.read_parquet(folder), roads, 3000),
    )


def test_geodataframe_is_split(origins, targets) -> None:
    assert partitioned.partitions(origins).npartitions == 1  # fewer rows than ROWS_PER_PARTITION
    lazy = partitioned.nearest(origins, targets, npartitions=5)
    assert lazy.npartitions == 5
    assert_same(lazy.compute(), gis.nearest(origins, targets))


def test_bad_input_is_refused_before_computing(dorigins, origins, targets, tmp_path) -> None:
    with pytest.raises(InputError, match="origins: expected a dask_geopandas.GeoDataFrame"):
        partitioned.nearest(pd.DataFrame({"x": [1]}), targets)
    with pytest.raises(InputError, match="npartitions"):
        partitioned.nearest(origins, targets, npartitions=0)
    with pytest.raises(InputError, match="k: must be a positive integer"):
        partitioned.nearest(dorigins, targets, k=0)
    with pytest.raises(InputError, match="max_distance_m"):
        partitioned.nearest(dorigins, targets, max_distance_m=-1)
    with pytest.raises(InputError, match="distance_m"):
        partitioned.within(dorigins, targets, float("nan"))
    with pytest.raises(InputError, match="no such file"):
        partitioned.nearest(tmp_path / "missing.parquet", targets)
    with pytest.raises(gis.CRSError, match="targets"):
        partitioned.nearest(dorigins, targets.set_crs(None, allow_override=True).set_geometry(
            gpd.points_from_xy([1e9], [1e9]).repeat(40)))


def test_invalid_origin_rows_are_named_when_computed(origins, targets) -> None:
    bad = origins.iloc[:10].copy()
    bad.loc["o0007", "geometry"] = None
    lazy = partitioned.nearest(bad, targets, npartitions=2)
    with pytest.raises(InputError, match="o0007"):
        lazy.compute()


def test_missing_extra_names_it(monkeypatch, origins, targets) -> None:
    monkeypatch.setitem(sys.modules, "dask_geopandas", None)  # what an absent package looks like to import
    with pytest.raises(MissingDependencyError, match=r"liuzhou-gis\[dask\]"):
        partitioned.nearest(origins, targets)
