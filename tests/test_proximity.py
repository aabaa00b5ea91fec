"""Proximity against independent computations: pyproj.Geod distances and brute force."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point

import gis
from gis._errors import CRSError, InputError
from gis._geodesic import geodesic_distance

GEOD = pyproj.Geod(ellps="GRS80")  # CGCS2000 = GRS80 to 1e-10 in flattening


def random_points(n: int, seed: int, *, precision: bool = False) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(108.6, 110.2, n), rng.uniform(23.9, 26.0, n)
    data = {"precision_m": rng.uniform(0, 3000, n)} if precision else {}
    return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def geod_matrix(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> np.ndarray:
    ax, ay = a.geometry.x.to_numpy(), a.geometry.y.to_numpy()
    bx, by = b.geometry.x.to_numpy(), b.geometry.y.to_numpy()
    n, m = len(a), len(b)
    return GEOD.inv(np.repeat(ax, m), np.repeat(ay, m), np.tile(bx, n), np.tile(by, n))[2].reshape(n, m)


@pytest.fixture(scope="module")
def layers():
    o = random_points(2000, 1, precision=True)
    t = random_points(200, 2, precision=True).set_index(np.arange(200) * 10 + 7)
    return o, t, geod_matrix(o, t)


def test_geodesic_correction_within_a_ppm_of_geod():
    rng = np.random.default_rng(3)
    lon1, lat1 = rng.uniform(108.6, 110.2, 20000), rng.uniform(23.9, 26.0, 20000)
    lon2, lat2 = rng.uniform(108.6, 110.2, 20000), rng.uniform(23.9, 26.0, 20000)
    crs = gis.analysis_crs()
    fwd = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    (x1, y1), (x2, y2) = fwd.transform(lon1, lat1), fwd.transform(lon2, lat2)
    s = geodesic_distance(np.array(x1), np.array(y1), np.array(x2), np.array(y2), crs)
    g = GEOD.inv(lon1, lat1, lon2, lat2)[2]
    assert np.max(np.abs(s - g) / g) < 1e-6
    plane = np.hypot(np.subtract(x2, x1), np.subtract(y2, y1))
    assert np.max(np.abs(plane - g) / g) > 3e-4  # the correction matters here


def test_geodesic_falls_back_to_geod_far_from_the_central_meridian():
    crs = gis.analysis_crs()
    fwd = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x, y = fwd.transform([113.5, 114.0], [24.0, 24.5])  # > 500 km east of 108E
    s = geodesic_distance(np.array([x[0]]), np.array([y[0]]), np.array([x[1]]), np.array([y[1]]), crs)
    assert s[0] == pytest.approx(GEOD.inv(113.5, 24.0, 114.0, 24.5)[2], abs=0.01)


def test_nearest_is_the_geodesic_nearest(layers):
    o, t, g = layers
    r = gis.nearest(o, t)
    assert r.index.equals(o.index)
    best = g.argmin(axis=1)
    assert (r["target_index"].to_numpy() == t.index.to_numpy()[best]).all()
    assert np.abs(r["dist_m"].to_numpy() - g.min(axis=1)).max() < 0.5
    assert np.abs(r["dist_m"].to_numpy() - g.min(axis=1)).max() / g.min(axis=1).min() < 20e-6


def test_nearest_resolves_origins_where_plane_and_geodesic_disagree():
    # two targets symmetric about an origin's meridian-parallel line: equal in one sense, not the other.
    crs = gis.analysis_crs()
    fwd = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    back = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    ox, oy = fwd.transform(109.5, 24.5)
    # target A 10 km west, target B 10.0002 km east in the plane: B is farther in the plane but,
    # being farther from the central meridian (larger scale factor), nearer on the ellipsoid.
    ax, bx = ox - 10000.0, ox + 10000.2
    lon, lat = back.transform([ox, ax, bx], [oy, oy, oy])
    o = gpd.GeoDataFrame(geometry=[Point(lon[0], lat[0])], crs=4326)
    t = gpd.GeoDataFrame({"name": ["A", "B"]}, geometry=[Point(lon[1], lat[1]), Point(lon[2], lat[2])], crs=4326)
    g = geod_matrix(o, t)[0]
    assert g[1] < g[0]  # the premise
    r = gis.nearest(o, t)
    assert r["target_index"].iloc[0] == 1
    assert r["dist_m"].iloc[0] == pytest.approx(g[1], abs=0.01)


def test_k_nearest_matches_brute_force(layers):
    o, t, g = layers
    r = gis.nearest(o, t, k=4)
    assert list(r.index.names) == ["origin_index", "rank"]
    order = np.argsort(g, axis=1)[:, :4]
    got = r["target_index"].to_numpy().reshape(len(o), 4)
    assert (got == t.index.to_numpy()[order]).all()
    assert np.abs(r["dist_m"].to_numpy().reshape(len(o), 4) - np.sort(g, axis=1)[:, :4]).max() < 0.5


def test_max_distance_drops_far_targets(layers):
    o, t, g = layers
    r = gis.nearest(o, t, max_distance_m=4000)
    far = g.min(axis=1) > 4000
    assert r["target_index"].isna().to_numpy().tolist() == far.tolist()
    rk = gis.nearest(o, t, k=3, max_distance_m=6000)
    assert len(rk) == int(np.minimum((g <= 6000).sum(axis=1), 3).sum())


def test_ties_go_to_the_first_target_and_are_flagged():
    o = gpd.GeoDataFrame(geometry=[Point(109.4, 24.3), Point(109.5, 24.5)], crs=4326)
    t = gpd.GeoDataFrame({"name": ["b", "a", "c"]},
                         geometry=[Point(109.41, 24.31), Point(109.41, 24.31), Point(109.2, 24.9)],
                         crs=4326).set_index("name")
    r = gis.nearest(o, t)
    assert r["target_index"].tolist() == ["b", "b"]
    assert r["tie"].tolist() == [True, True]
    assert r["n_tied"].tolist() == [2, 2]
    r2 = gis.nearest(o, t, k=2)
    assert r2.loc[(0, 2), "target_index"] == "a" and bool(r2.loc[(0, 2), "tie"])
    assert "n_tied" not in r2.columns  # k > 1 lists the tied targets themselves


@pytest.mark.parametrize("shape", ["points", "polygons"])
def test_n_tied_counts_targets_at_the_nearest_distance_by_brute_force(shape):
    # many projects share a county seat: three targets at one point, two at another, the rest apart
    t = random_points(30, 7)
    seat_a, seat_b = t.geometry.iloc[0], t.geometry.iloc[1]
    t = t.set_geometry([seat_a, seat_b, seat_a, seat_b, seat_a, *t.geometry.iloc[5:]], crs=4326)
    t = t.set_index(np.arange(30)[::-1])  # labels descending: the first *position* wins, not the lowest label
    o = random_points(400, 8)
    if shape == "polygons":
        t = gis.to_analysis_crs(t)
        t = t.set_geometry(t.buffer(1.0, quad_segs=2)).to_crs(4326)
        o = o.iloc[:60]
    r = gis.nearest(o, t)
    if shape == "points":
        g = geod_matrix(o, t)
    else:
        g = np.array([[GEOD.inv(p.x, p.y, *shapely.shortest_line(p, q).coords[1])[2] if not q.contains(p) else 0.0
                       for q in t.geometry] for p in o.geometry])
    best = g.min(axis=1, keepdims=True)
    expected = ((g - best) <= 1e-3 + 1e-7 * best).sum(axis=1) if shape == "points" else None
    if shape == "points":
        assert r["n_tied"].tolist() == expected.tolist()
        assert (r["tie"] == (r["n_tied"] > 1)).all()
        first = t.index[g.argmin(axis=1)]  # argmin: the first position among equal minima
        assert (r["target_index"].to_numpy() == first.to_numpy()).all()
    else:  # the two seats (three and two tied buffers) vs the rest
        seat = np.isin(r["target_index"], [29, 28, 27, 26, 25])
        assert set(r.loc[seat, "n_tied"]) <= {2, 3} and (r.loc[~seat, "n_tied"] == 1).all()
        assert (r.loc[r["target_index"] == 29, "n_tied"] == 3).all()
    assert {3, 2, 1} <= set(r["n_tied"])


def test_k_larger_than_targets_warns_and_returns_all():
    o = random_points(5, 1)
    t = random_points(3, 2)
    with pytest.warns(UserWarning, match="only 3"):
        r = gis.nearest(o, t, k=10)
    assert len(r) == 15


def test_empty_layers_give_empty_or_unmatched_results():
    o = random_points(4, 1)
    empty = o.iloc[:0]
    r = gis.nearest(empty, o)
    assert len(r) == 0 and "dist_m" in r.columns
    with pytest.warns(UserWarning):
        r = gis.nearest(o, empty)
    assert r["target_index"].isna().all() and len(r) == 4
    assert len(gis.within(o, empty, 1000)) == 0
    assert gis.od_matrix(o, empty).shape == (4, 0)


def test_uncertainty_columns(layers):
    o, t, _ = layers
    r = gis.nearest(o, t)
    p_o = o["precision_m"].to_numpy()
    p_t = t.loc[r["target_index"], "precision_m"].to_numpy()
    assert np.allclose(r["uncertainty_m"], p_o + p_t)
    assert (r["within_uncertainty"] == (r["dist_m"] < p_o + p_t)).all()
    assert r["within_uncertainty"].any() and not r["within_uncertainty"].all()
    assert r["within_uncertainty"].isna().sum() == 0


def test_within_uncertainty_is_na_where_a_precision_is_unknown(layers):
    o, t, _ = layers
    o = o.copy()
    o.loc[o.index[:5], "precision_m"] = np.nan
    for r in (gis.nearest(o.iloc[:10], t), gis.within(o.iloc[:10], t, 20000).set_index("origin_index")):
        assert str(r["within_uncertainty"].dtype) == "boolean"
        unknown = r.index.isin(o.index[:5])
        assert r.loc[unknown, "within_uncertainty"].isna().all() and unknown.any()
        assert r.loc[~unknown, "within_uncertainty"].notna().all()
    far = gis.nearest(o.iloc[5:8], t, max_distance_m=1.0)  # no target: no distance, so unknown too
    assert far["within_uncertainty"].isna().all() and (far["n_tied"] == 0).all()


def test_lines_and_polygons_as_targets_brute_force():
    o = random_points(300, 5)
    rng = np.random.default_rng(6)
    lines = [LineString(np.c_[rng.uniform(108.6, 110.2, 4), rng.uniform(23.9, 26.0, 4)]) for _ in range(15)]
    t = gpd.GeoDataFrame(geometry=lines, crs=4326)
    r = gis.nearest(o, t)
    # brute force: plane closest points of every pair, geodesic by Geod.inv
    op = o.to_crs(gis.analysis_crs())
    tp = t.to_crs(gis.analysis_crs())
    back = pyproj.Transformer.from_crs(gis.analysis_crs(), 4326, always_xy=True)
    oi, ti = np.repeat(np.arange(300), 15), np.tile(np.arange(15), 300)
    seg = shapely.get_coordinates(shapely.shortest_line(op.geometry.values[oi], tp.geometry.values[ti])).reshape(-1, 2, 2)
    lon1, lat1 = back.transform(seg[:, 0, 0], seg[:, 0, 1])
    lon2, lat2 = back.transform(seg[:, 1, 0], seg[:, 1, 1])
    g = GEOD.inv(lon1, lat1, lon2, lat2)[2].reshape(300, 15)
    assert (r["target_index"].to_numpy() == g.argmin(axis=1)).all()
    assert np.abs(r["dist_m"].to_numpy() - g.min(axis=1)).max() < 0.05


def test_within_matches_brute_force_and_mixed_crs(layers):
    o, t, g = layers
    w = gis.within(o, t.to_crs(4546), 15000)  # targets in another CRS: both reprojected
    assert len(w) == int((g <= 15000).sum())
    rows = o.index.get_indexer(w["origin_index"])
    cols = t.index.get_indexer(w["target_index"])
    assert np.abs(w["dist_m"].to_numpy() - g[rows, cols]).max() < 0.5
    assert (np.diff(rows) >= 0).all()


def test_within_keeps_coincident_points():
    a = gpd.GeoDataFrame(geometry=[Point(109.4, 24.3)], crs=4326)
    w = gis.within(a, a, 10)
    assert w["dist_m"].tolist() == [0.0]


def test_od_matrix_matches_geod(layers):
    o, t, g = layers
    od = gis.od_matrix(o.iloc[:30], t)
    assert od.shape == (30, 200) and od.columns.equals(t.index)
    assert np.abs(od.to_numpy() - g[:30]).max() < 0.5


@pytest.mark.parametrize("bad, match", [
    (gpd.GeoDataFrame(geometry=[Point(109.4, 24.3)]), "origins: has no CRS"),
    (gpd.GeoDataFrame(geometry=[Point(109.4, 24.3)], crs=4545), "look like degrees"),
    (gpd.GeoDataFrame(geometry=[Point(642130.0, 2689231.0)], crs=4326), "are not degrees"),
])
def test_crs_problems_are_refused(bad, match):
    t = random_points(3, 2)
    with pytest.raises(CRSError, match=match):
        gis.nearest(bad, t)


def test_bad_inputs_name_the_layer_and_fix():
    o = random_points(3, 1)
    with pytest.raises(InputError, match="targets: rows 1 have no geometry"):
        gis.nearest(o, gpd.GeoDataFrame(geometry=[Point(109.4, 24.3), None], crs=4326))
    bow = shapely.Polygon([(109, 24), (109.1, 24.1), (109.1, 24), (109, 24.1)])
    with pytest.raises(InputError, match="targets: rows 0 have invalid geometries.*make_valid"):
        gis.nearest(o, gpd.GeoDataFrame(geometry=[bow], crs=4326))
    with pytest.raises(InputError, match="distance_m: must be a finite, non-negative"):
        gis.within(o, o, -5)
    with pytest.raises(InputError, match="distance_m"):
        gis.within(o, o, float("nan"))
    with pytest.raises(InputError, match="k: must be a positive integer"):
        gis.nearest(o, o, k=0)
    with pytest.raises(InputError, match="origins: expected a GeoDataFrame"):
        gis.nearest([1, 2], o)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(gis.nearest(o, o)) == 3


# --------------------------------------------------------------------------- large layers (grid pre-pass of nearest)


@pytest.fixture(scope="module")
def many():
    """Enough origins for the grid pre-pass of nearest; clustered and uniform; duplicated targets."""
    rng = np.random.default_rng(11)
    lon = np.r_[rng.uniform(108.6, 110.2, 4000), rng.normal(109.41, 0.02, 2000)]
    lat = np.r_[rng.uniform(23.9, 26.0, 4000), rng.normal(24.33, 0.02, 2000)]
    o = gpd.GeoDataFrame({"precision_m": rng.uniform(0, 50, lon.size)},
                         geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    t = random_points(40, 12)
    t = gpd.GeoDataFrame(geometry=np.r_[t.geometry.values, t.geometry.values[[3, 17]]], crs=4326)
    t.index = [f"f{i}" for i in range(len(t))]  # f40, f41 duplicate f3, f17
    return o, t, geod_matrix(o, t)


def test_nearest_on_many_origins_matches_brute_force(many):
    o, t, g = many
    r = gis.nearest(o, t)
    best = g.argmin(axis=1)  # first of equal minima: the earlier target of a duplicate
    assert (r["target_index"].to_numpy() == t.index.to_numpy()[best]).all()
    err = np.abs(r["dist_m"].to_numpy() - g.min(axis=1))
    assert err.max() < 0.5 and (err / np.maximum(g.min(axis=1), 1.0)).max() < 20e-6
    assert r["tie"].to_numpy().tolist() == np.isin(best, [3, 17]).tolist()
    rl = gis.nearest(o, t, max_distance_m=3000)
    far = g.min(axis=1) > 3000
    assert rl["target_index"].isna().to_numpy().tolist() == far.tolist()
    assert np.allclose(rl["dist_m"].to_numpy()[~far], g.min(axis=1)[~far], atol=0.5)


def test_grid_prepass_settles_most_origins_and_leaves_some_to_the_rings(many, monkeypatch):
    # 6,000 origins on 40 distinct targets: the grid over the origins settles most (k = 1); the rest, the
    # brute-force test above checks every answer
    import gis._proximity_kernels as kernels

    left = []
    grid = kernels._grid_prepass
    monkeypatch.setattr(kernels, "_grid_prepass", lambda *a: left.append(r := grid(*a)) or r)
    o, t, g = many
    r = gis.nearest(o, t)
    assert left and left[0] is not None and 0 < left[0].size < 0.2 * len(o)
    best = g.argmin(axis=1)
    assert (r["target_index"].to_numpy() == t.index.to_numpy()[best]).all()


def test_nearest_on_the_plane_bisector_picks_the_geodesically_nearer():
    # 3000 origins on the plane bisector of two targets 20 km apart east-west: equidistant in
    # the plane, but the eastern target (farther from the central meridian 108E, larger scale
    # factor) is geodesically nearer by ~0.1 m, more than the tie tolerance.
    crs = gis.analysis_crs()
    fwd = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    back = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    cx, cy = fwd.transform(109.5, 24.5)
    ys = cy + np.linspace(-30000.0, 30000.0, 3000)
    lon, lat = back.transform(np.full(ys.size, cx), ys)
    tl, ta = back.transform([cx - 10000.0, cx + 10000.0, cx, cx], [cy, cy, cy + 80000.0, cy - 80000.0])
    o = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    t = gpd.GeoDataFrame({"name": ["west", "east", "north", "south"]},
                         geometry=gpd.points_from_xy(tl, ta), crs=4326).set_index("name")
    g = geod_matrix(o, t)
    assert (g[:, 1] < g[:, 0] - 0.01).all() and (g.argmin(axis=1) == 1).all()  # the premise
    r = gis.nearest(o, t)
    assert (r["target_index"] == "east").all() and not r["tie"].any()
    assert np.abs(r["dist_m"].to_numpy() - g[:, 1]).max() < 0.01


def test_within_sorted_and_unsorted_give_the_same_pairs(layers):
    o, t, g = layers
    t2 = gpd.GeoDataFrame(geometry=np.r_[t.geometry.values, t.geometry.values[:20]], crs=t.crs)
    t2.index = np.arange(len(t2))[::-1] + 100  # labels descending: order must follow positions
    w = gis.within(o, t2, 12000)
    u = gis.within(o, t2, 12000, sort=False)
    key = ["origin_index", "target_index"]
    assert w.sort_values(key).reset_index(drop=True).equals(u.sort_values(key).reset_index(drop=True))
    gg = np.c_[g, g[:, :20]]
    assert len(w) == int((gg <= 12000).sum())
    rows = o.index.get_indexer(w["origin_index"])
    cols = t2.index.get_indexer(w["target_index"])
    assert (np.diff(rows) >= 0).all()
    same = np.diff(rows) == 0
    dd = np.diff(w["dist_m"].to_numpy())
    assert (dd[same] >= 0).all()
    assert (np.diff(cols)[same & (dd == 0)] > 0).all()  # a duplicate comes after its original
    assert (same & (dd == 0)).sum() > 0  # the premise: duplicates in reach
    assert np.abs(w["dist_m"].to_numpy() - gg[rows, cols]).max() < 0.5


def test_nearest_on_many_origins_far_from_the_central_meridian():
    # origins up to ~600 km east of 108E, where distances go through Geod.inv and the scale
    # bounds are widened: the grid pre-pass must stay right there too.
    rng = np.random.default_rng(21)
    o = gpd.GeoDataFrame(geometry=gpd.points_from_xy(rng.uniform(109.0, 114.0, 3000), rng.uniform(23.0, 25.0, 3000)),
                         crs=4326)
    t = gpd.GeoDataFrame(geometry=gpd.points_from_xy(rng.uniform(109.0, 114.0, 30), rng.uniform(23.0, 25.0, 30)),
                         crs=4326)
    g = geod_matrix(o, t)
    r = gis.nearest(o, t)
    assert (r["target_index"].to_numpy() == g.argmin(axis=1)).all()
    assert np.abs(r["dist_m"].to_numpy() - g.min(axis=1)).max() < 0.5


# --------------------------------------------------------------------------- deduplicated targets (a hash, no sort)


def test_unique_points_agree_with_a_sort_and_keep_first_appearance():
    from gis._proximity_kernels import _unique_points

    rng = np.random.default_rng(5)
    xy = rng.uniform(4e5, 6e5, (500, 2))
    xy = np.r_[xy, xy[[3, 3, 77]], [[0.0, 1.0], [-0.0, 1.0]]]  # 3 three times, 77 twice, 0.0 == -0.0
    uniq, first, counts = _unique_points(xy)
    ref_uniq, ref_first, ref_counts = np.unique(xy, axis=0, return_index=True, return_counts=True)
    order = np.argsort(ref_first)
    assert first.tolist() == ref_first[order].tolist() == sorted(first.tolist())
    assert (uniq == xy[first]).all() and (uniq == ref_uniq[order]).all()
    assert counts.tolist() == ref_counts[order].tolist()
    assert counts[first.tolist().index(3)] == 3 and counts[first.tolist().index(500 + 3)] == 2
    distinct = xy[:500]
    same, pos, none = _unique_points(distinct)  # all distinct: the targets themselves, in their order
    assert same is distinct and pos.tolist() == list(range(500)) and none is None
    for tiny in (np.zeros((0, 2)), np.array([[1.0, 2.0]])):
        u, f, c = _unique_points(tiny)
        assert len(u) == len(tiny) and f.tolist() == list(range(len(tiny))) and c is None
    # rows with NaN (never passed by the layer checks) compare by value, not as all different
    u, f, c = _unique_points(np.array([[np.nan, 1.0], [np.nan, 1.0], [2.0, 3.0]]))
    assert f.tolist() == [0, 2] and c.tolist() == [2, 1]


@pytest.mark.parametrize("n_origins", [300, 6000])  # tree only (few origins per target) and grid pre-pass
def test_nearest_with_duplicated_targets_flags_ties_and_keeps_the_first(n_origins):
    rng = np.random.default_rng(n_origins)
    o = random_points(n_origins, 31)
    base = random_points(60, 32)
    dup = [5, 5, 40]  # 5 three times, 40 twice
    t = gpd.GeoDataFrame(geometry=np.r_[base.geometry.values, base.geometry.values[dup]], crs=4326)
    t.index = rng.permutation(len(t)) * 3 + 1  # labels in no order: the first *position* wins
    g = geod_matrix(o, t)
    r = gis.nearest(o, t)
    best = g.argmin(axis=1)  # first of equal minima
    assert (r["target_index"].to_numpy() == t.index.to_numpy()[best]).all()
    # the documented accuracy: 0.2 ppm of Geod.inv (a millimetre within 5 km)
    assert (np.abs(r["dist_m"].to_numpy() - g.min(axis=1)) <= 1e-4 + 0.2e-6 * g.min(axis=1)).all()
    assert r["tie"].to_numpy().tolist() == np.isin(best, [5, 40]).tolist()
    expected_n = np.where(best == 5, 3, np.where(best == 40, 2, 1))
    assert r["n_tied"].to_numpy().tolist() == expected_n.tolist()
    assert np.isin(best, [5, 40]).any()  # the premise: some origins are nearest to a duplicated target


def test_nearest_with_many_distinct_targets_matches_brute_force():
    # as many targets as origins: no grid pre-pass, every origin through the tree; no duplicates
    o, t = random_points(1500, 41), random_points(1500, 42)
    g = geod_matrix(o, t)
    r = gis.nearest(o, t)
    assert (r["target_index"].to_numpy() == g.argmin(axis=1)).all()
    assert (np.abs(r["dist_m"].to_numpy() - g.min(axis=1)) <= 1e-4 + 0.2e-6 * g.min(axis=1)).all()
    assert not r["tie"].any() and (r["n_tied"] == 1).all()


def test_unplaced_targets_are_left_out_before_duplicates_are_merged():
    o = random_points(200, 51)
    base = random_points(20, 52)
    geoms = list(base.geometry.values) + [base.geometry.values[4], None]
    t = gpd.GeoDataFrame({"geocode_status": ["matched"] * 21 + ["unmatched"], "reason": [""] * 21 + ["无"]},
                         geometry=geoms, crs=4326)
    with pytest.warns(UserWarning, match="targets"):
        r = gis.nearest(o, t)
    g = geod_matrix(o, t.iloc[:21])
    best = g.argmin(axis=1)
    assert (r["target_index"].to_numpy() == best).all() and 21 not in set(r["target_index"])
    assert r["tie"].to_numpy().tolist() == (best == 4).tolist()


def test_k_nearest_fast_rows_and_re_ranked_rows_match_brute_force():
    # most rows take their plane order as it comes; rows near a duplicated target (equal plane
    # distances) and rows with nearly equal distances are re-ranked: both agree with Geod.inv
    o = random_points(3000, 61)
    base = random_points(80, 62)
    t = gpd.GeoDataFrame(geometry=np.r_[base.geometry.values, base.geometry.values[[7]]], crs=4326)
    g = geod_matrix(o, t)
    r = gis.nearest(o, t, k=5)
    got = r["target_index"].to_numpy().reshape(len(o), 5)
    ref = np.argsort(g, axis=1, kind="stable")[:, :5]  # equal distances: the earlier target first
    assert (got == ref).all()
    dist = r["dist_m"].to_numpy().reshape(len(o), 5)
    want = np.sort(g, axis=1)[:, :5]
    assert (np.abs(dist - want) <= 1e-4 + 0.2e-6 * want).all()
    tie = r["tie"].to_numpy().reshape(len(o), 5)
    assert tie.tolist() == np.isin(ref, [7, 80]).tolist()  # only the duplicate pair is tied
    assert np.isin(ref, [7, 80]).any()


@pytest.mark.parametrize("layout", ["even", "clustered", "collinear"])
def test_ring_search_finds_the_two_plane_nearest_as_the_tree_does(layout):
    """The compiled ring search against ``cKDTree.query(k=2)``: origins among the targets and beyond their
    box; those the rings do not reach (``_RING_MAX``: far away) go to the tree, and all of them do where
    the rings settle less than half of a sample (origins in empty country between clustered targets)."""
    from scipy.spatial import cKDTree

    from gis._proximity_kernels import _RING_MAX, _two_nearest

    rng = np.random.default_rng({"even": 1, "clustered": 2, "collinear": 3}[layout])
    if layout == "even":
        uniq = rng.uniform(0, 50_000, (3000, 2))
    elif layout == "clustered":  # three towns of 1,000 targets, 300 m across, in 50 km of country
        centres = np.array([[5_000.0, 5_000.0], [40_000.0, 10_000.0], [20_000.0, 45_000.0]])
        uniq = np.repeat(centres, 1000, axis=0) + rng.normal(0, 100, (3000, 2))
    else:  # every target on one east-west road: the box has no height
        uniq = np.column_stack([rng.uniform(0, 50_000, 3000), np.full(3000, 20_000.0)])
    uniq = uniq + [500_000.0, 2_700_000.0]
    of = rng.uniform(0, 50_000, (4000, 2))
    if layout == "collinear":  # along the road
        of[:, 1] = 20_000.0 + rng.uniform(-30, 30, 4000)
    of[:400] = rng.uniform(-20_000, 70_000, (400, 2))  # a tenth anywhere, beyond the box too
    of += [500_000.0, 2_700_000.0]
    asked = []

    class Tree(cKDTree):
        def query(self, x, *args, **kwargs):
            asked.append(len(x))
            return super().query(x, *args, **kwargs)

    def tree():
        return Tree(uniq)

    j1, d1, d2, _ = _two_nearest(of, uniq, tree)
    d, j = cKDTree(uniq).query(of, k=2)
    assert np.allclose(d1, d[:, 0], rtol=1e-12, atol=0) and np.allclose(d2, d[:, 1], rtol=1e-12, atol=0)
    clear = d[:, 1] > d[:, 0]
    assert (j1[clear] == j[clear, 0]).all()
    if layout == "clustered":  # most of a sample is beyond the rings' reach: the tree takes every origin
        assert asked == [len(of)]
    else:  # the rings settle most origins; those far from every target go to the tree
        assert 0 < sum(asked) < 0.1 * len(of) and _RING_MAX >= 1


def test_nearest_on_many_targets_settles_equidistant_origins_geodesically(monkeypatch):
    """900 targets on a 5 km lattice and 1,200 origins on the plane bisectors between east-west neighbours:
    every origin's two plane-nearest are equidistant, so each is ranked geodesically (the candidates
    from the grid's cells); the eastern one, farther from the central meridian, is nearer by centimetres."""
    crs = gis.analysis_crs()
    fwd = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    back = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    x0, y0 = fwd.transform(108.9, 24.0)
    gx, gy = np.meshgrid(np.arange(30) * 5000.0 + x0, np.arange(30) * 5000.0 + y0)
    rng = np.random.default_rng(4)
    i, k = rng.integers(0, 29, 1200), rng.integers(0, 30, 1200)
    ox = x0 + i * 5000.0 + 2500.0  # halfway between columns i and i + 1
    oy = y0 + k * 5000.0 + rng.uniform(-1000, 1000, 1200)
    t = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*back.transform(gx.ravel(), gy.ravel())), crs=4326)
    o = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*back.transform(ox, oy)), crs=4326)
    g = geod_matrix(o, t)
    east = k * 30 + i + 1
    part = np.sort(g, axis=1)
    assert (g.argmin(axis=1) == east).all() and (part[:, 1] - part[:, 0]).min() > 0.01  # the premise
    import gis._proximity_kernels as kernels

    ranked = []

    def spy(ox, *args):
        ranked.append(len(ox))
        return found(ox, *args)

    found = kernels.targets_within
    monkeypatch.setattr(kernels, "targets_within", spy)
    r = gis.nearest(o, t)
    assert sum(ranked) == 1200  # every origin's candidates gathered from the grid
    assert (r["target_index"].to_numpy() == east).all() and not r["tie"].any()
    assert np.abs(r["dist_m"].to_numpy() - part[:, 0]).max() < 1e-3
