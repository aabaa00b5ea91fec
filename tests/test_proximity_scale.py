"""The fast paths of proximity at scale against brute-force geodesics (pyproj.Geod): within in chunks of origins
(several chunks, a reservation that falls short and grows, the radius band), k-nearest, and the point-file path."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest

import gis
import gis._nearestk_kernels as knn_kernels
import gis._proximity_kernels as proximity_kernels  # the chunk sizes live with the kernels of gis.proximity
import gis._within_kernels as within_kernels

GEOD = pyproj.Geod(ellps="GRS80")


def geod_matrix(olon, olat, tlon, tlat) -> np.ndarray:
    n, m = len(olon), len(tlon)
    return GEOD.inv(np.repeat(olon, m), np.repeat(olat, m), np.tile(tlon, n), np.tile(tlat, n))[2].reshape(n, m)


def frame(lon, lat, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def expected_pairs(d: np.ndarray, radius: float) -> pd.DataFrame:
    oi, ti = np.nonzero(d <= radius)
    want = pd.DataFrame({"o": oi, "t": ti, "s": d[oi, ti]})
    return want.sort_values(["o", "s", "t"], kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("k", [2, 5])
def test_k_nearest_rings_match_brute_force(monkeypatch, k):
    """As many targets as origins (no grid over the origins pays): the rings of the targets' grid settle most
    origins, the tree the rest (a duplicated target: ties); every rank as by Geod.inv."""
    calls = []
    rings = knn_kernels._nearestk_rings
    monkeypatch.setattr(knn_kernels, "_nearestk_rings", lambda *a: calls.append(r := rings(*a)) or r)
    rng = np.random.default_rng(6)
    olon, olat = rng.uniform(109.0, 109.8, 3000), rng.uniform(24.0, 24.8, 3000)
    tlon, tlat = rng.uniform(109.0, 109.8, 2000), rng.uniform(24.0, 24.8, 2000)
    tlon[7], tlat[7] = tlon[3], tlat[3]
    got = gis.nearest(frame(olon, olat), frame(tlon, tlat), k=k)
    assert calls and calls[0] is not None and 0 < calls[0].size < 3000 // 10  # the rings settled most
    d = geod_matrix(olon, olat, tlon, tlat)
    want = np.argsort(d, axis=1, kind="stable")[:, :k]
    wd = np.take_along_axis(d, want, axis=1)
    assert np.allclose(got["dist_m"].to_numpy().reshape(-1, k), wd, rtol=0, atol=1e-3)
    pos = got["target_index"].to_numpy().reshape(-1, k).astype(int)
    assert (pos == want).mean() > 0.999  # ties within 1 mm may swap
    gap = np.diff(np.take_along_axis(d, np.argsort(d, axis=1)[:, : k + 1], axis=1), axis=1)
    tied = np.zeros((3000, k), dtype=bool)
    tied[:, : k] |= gap[:, :k] <= 1e-3
    tied[:, 1:] |= gap[:, : k - 1] <= 1e-3
    assert (got["tie"].to_numpy().reshape(-1, k) == tied).all() and tied.any()


@pytest.fixture(scope="module")
def sparse_and_dense():
    """Even origins lie far from every target, odd ones among them (brute force for the odd ones only)."""
    rng = np.random.default_rng(5)
    n, m = 8192, 120
    olon = np.where(np.arange(n) % 2 == 0, 110.15, rng.uniform(109.3, 109.5, n))
    olat = np.where(np.arange(n) % 2 == 0, 25.95, rng.uniform(24.2, 24.4, n))
    tlon, tlat = rng.uniform(109.3, 109.5, m), rng.uniform(24.2, 24.4, m)
    d = np.full((n, m), np.inf)
    d[1::2] = geod_matrix(olon[1::2], olat[1::2], tlon, tlat)
    assert geod_matrix(olon[:1], olat[:1], tlon, tlat).min() > 100_000
    return olon, olat, tlon, tlat, d


@pytest.mark.parametrize("chunk_pairs", [64, 1 << 16])
def test_within_in_chunks_matches_brute_force_in_order(monkeypatch, sparse_and_dense, chunk_pairs):
    """The sampled estimate (every other origin) falls short, so the reservation grows; small chunks cut
    the origins into many pieces."""
    monkeypatch.setattr(within_kernels, "_WITHIN_CHUNK_PAIRS", chunk_pairs)
    olon, olat, tlon, tlat, d = sparse_and_dense
    radius = 3000.0
    got = gis.within(frame(olon, olat), frame(tlon, tlat), radius)
    want = expected_pairs(d, radius)
    assert len(got) == len(want)
    assert (got["origin_index"].to_numpy() == want["o"].to_numpy()).all()
    assert np.allclose(got["dist_m"], want["s"], rtol=1e-6, atol=1e-6)
    # targets tied within a micrometre may be listed in either order; otherwise the same target
    same = got["target_index"].to_numpy() == want["t"].to_numpy()
    assert same.mean() > 0.999 and np.allclose(d[got["origin_index"], got["target_index"]], got["dist_m"], rtol=1e-6)
    unsorted = gis.within(frame(olon, olat), frame(tlon, tlat), radius, sort=False)
    assert sorted(zip(unsorted["origin_index"], unsorted["target_index"])) == sorted(zip(want["o"], want["t"]))


def test_within_radius_band_decided_geodesically():
    """Pairs whose plane and geodesic lengths fall on either side of the radius are decided by the geodesic."""
    crs = gis.analysis_crs()
    fwd = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    inv = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    rng = np.random.default_rng(9)
    # targets 10 km east of each origin, far from the central meridian where the scale factor is largest
    olon, olat = rng.uniform(109.9, 110.1, 500), rng.uniform(24.0, 25.5, 500)
    x, y = fwd.transform(olon, olat)
    tlon, tlat = inv.transform(np.asarray(x) + rng.uniform(9990, 10010, 500), np.asarray(y))
    d = GEOD.inv(olon, olat, tlon, tlat)[2]
    radius = float(np.median(d))
    plane = np.hypot(np.asarray(fwd.transform(tlon, tlat)[0]) - x, 0)
    assert ((plane <= radius) != (d <= radius)).any()  # the band is populated: plane alone would be wrong
    got = gis.within(frame(olon, olat), frame(tlon, tlat).set_index(np.arange(500) + 10_000), radius)
    pairs = set(zip(got["origin_index"], got["target_index"] - 10_000))
    assert {(i, i) for i in np.flatnonzero(d <= radius)} <= pairs
    assert all(d[i] <= radius + 1e-3 for i, j in pairs if i == j)


@pytest.mark.parametrize("limit", [None, 4000.0])
def test_k_nearest_in_chunks_matches_brute_force(monkeypatch, sparse_and_dense, limit):
    monkeypatch.setattr(knn_kernels, "_NEARESTK_CHUNK", 1000)  # 9 chunks, the last one short
    olon, olat, tlon, tlat, d = sparse_and_dense
    rows = np.arange(1, 8192, 2)[:4000]  # origins among the targets
    got = gis.nearest(frame(olon[rows], olat[rows]), frame(tlon, tlat), k=5, max_distance_m=limit)
    dd = d[rows]
    want = np.argsort(dd, axis=1, kind="stable")[:, :5]
    wd = np.take_along_axis(dd, want, axis=1)
    keep = np.ones_like(wd, dtype=bool) if limit is None else wd <= limit
    assert len(got) == int(keep.sum())
    assert (got.index.get_level_values("origin_index").to_numpy() == np.nonzero(keep)[0]).all()
    assert (got.index.get_level_values("rank").to_numpy() == (np.nonzero(keep)[1] + 1)).all()
    assert np.allclose(got["dist_m"], wd[keep], rtol=1e-6)
    assert (got["target_index"].to_numpy() == want[keep]).mean() > 0.999  # ties within 1 mm may swap


@pytest.mark.parametrize("k", [2, 5])
def test_k_nearest_grid_prepass_matches_brute_force(monkeypatch, k):
    """Many origins on few targets: the grid pre-pass settles most origins; every rank as by Geod.inv."""
    calls = []
    grid = knn_kernels._grid_prepass
    monkeypatch.setattr(knn_kernels, "_grid_prepass", lambda *a: calls.append(r := grid(*a)) or r)
    rng = np.random.default_rng(5)
    olon, olat = rng.uniform(108.9, 110.0, 20_000), rng.uniform(24.0, 25.9, 20_000)
    tlon, tlat = rng.uniform(108.9, 110.0, 60), rng.uniform(24.0, 25.9, 60)
    tlon[7], tlat[7] = tlon[3], tlat[3]  # two targets at one place: a tie the pre-pass leaves to the rounds
    got = gis.nearest(frame(olon, olat), frame(tlon, tlat), k=k)
    assert calls and calls[0] is not None and 0 < calls[0].size < 20_000 // 4  # the pre-pass settled most
    d = geod_matrix(olon, olat, tlon, tlat)
    want = np.argsort(d, axis=1, kind="stable")[:, :k]
    wd = np.take_along_axis(d, want, axis=1)
    assert len(got) == 20_000 * k
    assert np.allclose(got["dist_m"].to_numpy().reshape(-1, k), wd, rtol=0, atol=1e-3)
    pos = got["target_index"].to_numpy().reshape(-1, k).astype(int)
    assert (pos == want).mean() > 0.999  # ties within 1 mm may swap
    gap = np.diff(np.take_along_axis(d, np.argsort(d, axis=1)[:, : k + 1], axis=1), axis=1)
    tied = np.zeros((20_000, k), dtype=bool)
    tied[:, : k] |= gap[:, :k] <= 1e-3
    tied[:, 1:] |= gap[:, : k - 1] <= 1e-3
    assert (got["tie"].to_numpy().reshape(-1, k) == tied).all()


@pytest.fixture(scope="module")
def point_files(tmp_path_factory):
    """2,000 points with a string index and precision_m, as WKB and GeoArrow GeoParquet; 60 targets."""
    folder = tmp_path_factory.mktemp("pointfiles")
    rng = np.random.default_rng(21)
    lon, lat = rng.uniform(108.8, 110.0, 2000), rng.uniform(24.0, 25.8, 2000)
    gdf = frame(lon, lat, precision_m=rng.choice([np.nan, 30.0, 800.0], 2000))
    gdf.index = pd.Index([f"h{i}" for i in range(2000)], name="home")
    gdf.to_parquet(folder / "wkb.parquet")
    gdf.to_parquet(folder / "arrow.parquet", geometry_encoding="geoarrow")
    gdf.reset_index(drop=True).to_parquet(folder / "groups.parquet", row_group_size=600)  # 4 row groups
    targets = frame(rng.uniform(108.8, 110.0, 60), rng.uniform(24.0, 25.8, 60))
    return folder, gdf, targets


@pytest.mark.parametrize("name", ["wkb", "arrow"])
def test_geoparquet_points_read_as_coordinates_give_the_same_answers(point_files, name):
    from gis.pointfile import read_points

    folder, gdf, targets = point_files
    path = folder / f"{name}.parquet"
    points = read_points(path)
    assert points is not None and points.index.equals(gdf.index)
    assert np.array_equal(points.xy, np.column_stack([gdf.geometry.x, gdf.geometry.y]))
    pd.testing.assert_frame_equal(gis.nearest(path, targets), gis.nearest(gdf, targets))
    pd.testing.assert_frame_equal(gis.nearest(str(path), targets, k=3), gis.nearest(gdf, targets, k=3))
    pd.testing.assert_frame_equal(gis.within(path, targets, 20_000), gis.within(gdf, targets, 20_000))
    d = geod_matrix(gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy(),
                    targets.geometry.x.to_numpy(), targets.geometry.y.to_numpy())
    got = gis.nearest(path, targets)
    assert (got["target_index"].to_numpy() == d.argmin(axis=1)).all()
    assert np.allclose(got["dist_m"], d.min(axis=1), rtol=1e-6)


def test_geoparquet_read_row_group_by_row_group_equals_the_whole_file(tmp_path, point_files):
    # the whole-file read decodes each row group's WKB into one array: same points, labels and columns
    from gis.pointfile import read_points

    folder, gdf, targets = point_files
    gdf.to_parquet(tmp_path / "labels.parquet", row_group_size=300)  # 7 row groups, string labels
    for path, want in ((folder / "groups.parquet", gdf.reset_index(drop=True)), (tmp_path / "labels.parquet", gdf)):
        points = read_points(path)
        assert points is not None and points.index.equals(want.index)
        assert np.array_equal(points.xy, np.column_stack([want.geometry.x, want.geometry.y]))
        assert np.array_equal(points.data["precision_m"].to_numpy(), want["precision_m"].to_numpy(), equal_nan=True)
        only = read_points(path, columns=["precision_m"])
        assert list(only.data.columns) == ["precision_m"] and only.index.equals(want.index)
        pd.testing.assert_frame_equal(gis.nearest(path, targets), gis.nearest(want, targets))
    mixed = gdf.iloc[:900].copy()
    mixed.loc["h700", "geometry"] = mixed.geometry["h700"].buffer(0.01)  # a polygon in the third row group
    mixed.to_parquet(tmp_path / "mixed.parquet", row_group_size=300)
    assert read_points(tmp_path / "mixed.parquet") is None


def test_geoparquet_of_other_geometries_or_empty_points_takes_the_checked_path(tmp_path, point_files):
    from gis.pointfile import read_points

    _, gdf, targets = point_files
    lines = gpd.GeoDataFrame(geometry=[gpd.points_from_xy([109.0], [24.5])[0].buffer(0.01).exterior],
                             crs="EPSG:4326")
    lines.to_parquet(tmp_path / "lines.parquet")
    assert read_points(tmp_path / "lines.parquet") is None
    assert len(gis.within(tmp_path / "lines.parquet", targets, 50_000)) == len(gis.within(lines, targets, 50_000))
    empty = gdf.iloc[:5].copy()
    empty.loc["h3", "geometry"] = gpd.points_from_xy([np.nan], [np.nan])[0]
    empty.to_parquet(tmp_path / "empty.parquet")
    with pytest.raises(gis.InputError, match="origins: rows 'h3' have no geometry"):
        gis.nearest(tmp_path / "empty.parquet", targets)
    with pytest.raises(gis.InputError, match="GeoParquet"):
        gis.nearest(tmp_path / "points.csv", targets)


def test_partitioned_reads_row_groups_as_coordinates(point_files):
    pytest.importorskip("dask_geopandas")
    from gis import partitioned

    folder, gdf, targets = point_files
    path = folder / "groups.parquet"
    lazy = partitioned.nearest(path, targets)
    assert lazy.npartitions == 4
    pd.testing.assert_frame_equal(lazy.compute(), gis.nearest(gdf.reset_index(drop=True), targets))
    got = partitioned.within(path, targets, 15_000).compute().reset_index(drop=True)
    pd.testing.assert_frame_equal(got, gis.within(gdf.reset_index(drop=True), targets, 15_000))


def test_within_ties_in_target_order_across_threads_and_chunks(monkeypatch):
    """Coincident targets (equal distances) are listed in target order, whatever chunk or thread an origin is in."""
    monkeypatch.setattr(within_kernels, "_WITHIN_CHUNK_PAIRS", 256)  # many chunks, written by several threads
    rng = np.random.default_rng(12)
    tlon, tlat = rng.uniform(109.3, 109.5, 40), rng.uniform(24.2, 24.4, 40)
    # targets 40..79 repeat 0..39 backwards: every distance comes twice, to a target and to its copy
    tlon, tlat = np.r_[tlon, tlon[::-1]], np.r_[tlat, tlat[::-1]]
    olon, olat = rng.uniform(109.3, 109.5, 600), rng.uniform(24.2, 24.4, 600)
    got = gis.within(frame(olon, olat), frame(tlon, tlat), 4000.0)
    d = geod_matrix(olon, olat, tlon, tlat)
    want = expected_pairs(d, 4000.0)
    assert len(got) == len(want) > 1000
    assert (got["origin_index"].to_numpy() == want["o"].to_numpy()).all()
    assert np.allclose(got["dist_m"], want["s"], rtol=1e-6)
    o, t, s = got["origin_index"].to_numpy(), got["target_index"].to_numpy(), got["dist_m"].to_numpy()
    pair_of = np.where(t < 40, t, 79 - t)  # a target and its copy share this
    # each copy right after its original, with the same distance to the last bit
    assert (pair_of[0::2] == pair_of[1::2]).all() and (o[0::2] == o[1::2]).all()
    assert (t[0::2] < t[1::2]).all() and (s[0::2] == s[1::2]).all()
    assert (np.diff(s)[o[1:] == o[:-1]] >= 0).all()


def test_within_error_in_one_chunk_reaches_the_caller(monkeypatch):
    """A chunk that fails stops the others (no thread left waiting for its turn) and the error is raised."""
    monkeypatch.setattr(within_kernels, "_WITHIN_CHUNK_PAIRS", 64)
    calls = []

    def failing(*args):
        calls.append(args[:2])
        if len(calls) == 3:
            raise MemoryError("chunk 3")
        return original(*args)

    original = within_kernels.pairs_within  # the compiled loop of one chunk
    monkeypatch.setattr(within_kernels, "pairs_within", failing)
    rng = np.random.default_rng(2)
    o = frame(rng.uniform(109.3, 109.5, 400), rng.uniform(24.2, 24.4, 400))
    t = frame(rng.uniform(109.3, 109.5, 50), rng.uniform(24.2, 24.4, 50))
    with pytest.raises(MemoryError, match="chunk 3"):
        gis.within(o, t, 3000.0)


def test_settings_workers_changes_threads_not_results(monkeypatch):
    """``gis.settings.workers = 1`` runs the kernels on one thread; nearest, k-nearest and within give the same."""
    monkeypatch.setattr(within_kernels, "_WITHIN_CHUNK_PAIRS", 256)  # many chunks: threads when allowed
    monkeypatch.setattr(proximity_kernels, "_THREADS_FROM", 256)  # the blocks of nearest on threads too
    rng = np.random.default_rng(21)
    o = frame(rng.uniform(109.2, 109.6, 3000), rng.uniform(24.1, 24.5, 3000))
    t = frame(rng.uniform(109.2, 109.6, 300), rng.uniform(24.1, 24.5, 300))
    calls = []
    started = within_kernels.ThreadPoolExecutor
    for module in (within_kernels, proximity_kernels):
        monkeypatch.setattr(module, "ThreadPoolExecutor", lambda *a, **kw: calls.append(kw) or started(*a, **kw))
    monkeypatch.setattr(gis.settings, "workers", -1)
    many = [gis.nearest(o, t), gis.nearest(o, t, k=5), gis.within(o, t, 3000.0)]
    assert len(calls) >= (3 if proximity_kernels._threads() > 1 else 0)  # k = 1, k = 5 and within on pools
    calls.clear()
    monkeypatch.setattr(gis.settings, "workers", 1)
    one = [gis.nearest(o, t), gis.nearest(o, t, k=5), gis.within(o, t, 3000.0)]
    assert calls == []  # one thread: no pool
    for a, b in zip(many, one):
        pd.testing.assert_frame_equal(a, b)
    assert len(one[2]) > 10_000


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_settings_workers_refuses_what_is_not_a_thread_count(monkeypatch, bad):
    monkeypatch.setattr(gis.settings, "workers", bad)
    rng = np.random.default_rng(3)
    o = frame(rng.uniform(109.2, 109.6, 50), rng.uniform(24.1, 24.5, 50))
    with pytest.raises(gis.InputError, match=r"gis\.settings\.workers is .*: it must be -1 .* at least 1"):
        gis.nearest(o, o)


def test_within_many_pairs_per_origin_ties_in_target_order():
    """Origins with more pairs than the compiled loop's insertion sort takes (24): ordered by distance, then
    target, ties (targets copied three times) included."""
    rng = np.random.default_rng(31)
    lon, lat = rng.uniform(109.3, 109.5, 60), rng.uniform(24.2, 24.4, 60)
    tlon, tlat = np.r_[lon, lon[::-1], lon], np.r_[lat, lat[::-1], lat]  # target t, 119 - t and t + 120 coincide
    olon, olat = rng.uniform(109.3, 109.5, 300), rng.uniform(24.2, 24.4, 300)
    got = gis.within(frame(olon, olat), frame(tlon, tlat), 9000.0)
    want = expected_pairs(geod_matrix(olon, olat, tlon, tlat), 9000.0)
    per_origin = got.groupby("origin_index").size()
    assert per_origin.max() > 60 and len(got) == len(want)
    o, t, s = got["origin_index"].to_numpy(), got["target_index"].to_numpy(), got["dist_m"].to_numpy()
    assert (o == want["o"].to_numpy()).all() and np.allclose(s, want["s"], rtol=1e-6)
    same_origin = o[1:] == o[:-1]
    assert (np.diff(s)[same_origin] >= 0).all()
    tied = same_origin & (s[1:] == s[:-1])
    assert tied.sum() >= 2 * len(per_origin) and (t[1:][tied] > t[:-1][tied]).all()


def test_within_compiled_loop_agrees_with_the_tree_walk(monkeypatch):
    """The compiled grid loop (points within the series' domain) and scipy's dual-tree walk (the way for any
    other CRS or point, with the full geodesic) give the same pairs in the same order, distances within 1 mm
    (the loop takes each point's scale at the reference latitude, as the NumPy correction did: < 0.2 mm here)."""
    rng = np.random.default_rng(8)
    o = frame(rng.uniform(109.0, 109.8, 3000), rng.uniform(24.0, 24.6, 3000))
    t = frame(rng.uniform(109.0, 109.8, 500), rng.uniform(24.0, 24.6, 500))
    fast = gis.within(o, t, 6000.0)
    monkeypatch.setattr(within_kernels, "outside_domain", lambda tm, X: True)  # as if a point lay beyond
    walked = gis.within(o, t, 6000.0)
    assert len(fast) == len(walked) > 10_000
    for column in ("origin_index", "target_index"):
        assert (fast[column].to_numpy() == walked[column].to_numpy()).all()
    gap = np.abs(fast["dist_m"].to_numpy() - walked["dist_m"].to_numpy())
    assert 0 < gap.max() < 1e-3
