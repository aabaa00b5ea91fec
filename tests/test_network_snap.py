"""Access legs found with KD-trees equal a brute-force scan, on small networks: the nodes of lines joined at their
nodes (plan corridors), the snap onto the nearest edge of roads; travel times on the snap equal a hand computation."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

import gis
from gis import _validate
from gis.network import _PLANE_SLACK, _access_legs, _snap_edges, _unique_rows
from gis.routing import nearest_by_time, travel_times


def brute_legs(net, xy: np.ndarray, radius: float, reach: np.ndarray) -> set[tuple[int, int]]:
    """Every node within the radius, and the first nearest node of every unit, scanning all of them."""
    legs = set()
    for p, (x, y) in enumerate(xy):
        d_all = np.hypot(net.nodes_xy[:, 0] - x, net.nodes_xy[:, 1] - y)
        legs |= {(p, int(k)) for k in np.flatnonzero(d_all <= radius)}
        for u in range(len(net.line_starts) - 1):
            nodes = net.line_nodes[net.line_starts[u]:net.line_starts[u + 1]]
            if len(nodes) == 0:
                continue
            d = d_all[nodes]
            if d.min() <= reach[p] * _PLANE_SLACK:
                legs.add((p, int(nodes[np.argmin(d)])))
    return legs


def grid_lines(n_side: int, *, broken: bool, seed: int, corridor: bool = False) -> gpd.GeoDataFrame:
    """A jittered grid of short roads near Liuzhou; ``broken``: no two lines share a vertex (each its own unit);
    ``corridor``: plan-corridor expressways (``mode``), joined at their nodes, instead of roads."""
    rng = np.random.default_rng(seed)
    step = 0.01
    xs = 109.3 + np.arange(n_side) * step
    ys = 24.2 + np.arange(n_side) * step
    lines = []
    for i in range(n_side - 1):
        for j in range(n_side):
            a, b = (xs[i], ys[j]), (xs[i + 1], ys[j])
            lines.append([a, b])
            lines.append([(ys[j] - 24.2 + 109.3, xs[i] - 109.3 + 24.2), (ys[j] - 24.2 + 109.3, xs[i + 1] - 109.3 + 24.2)])
    geoms = []
    for a, b in lines:
        a, b = np.array(a), np.array(b)
        if broken:  # pull both ends in so that nothing meets
            a, b = a + (b - a) * 0.1, b - (b - a) * 0.1
        mid = (a + b) / 2 + rng.normal(0, step * 0.1, 2)
        geoms.append(shapely.linestrings([a, mid, b]))
    if corridor:
        return gpd.GeoDataFrame({"mode": ["expressway"] * len(geoms)}, geometry=geoms, crs=4326)
    return gpd.GeoDataFrame({"highway": ["primary"] * len(geoms)}, geometry=geoms, crs=4326)


@pytest.mark.parametrize("broken", [False, True])
@pytest.mark.parametrize("radius", [0.0, 800.0])
def test_access_legs_equal_brute_force(broken, radius):
    # lines joined at their nodes (the snap onto roads is tested below)
    net = gis.travel_network(grid_lines(7, broken=broken, seed=3, corridor=True), join_lines=True)
    sizes = np.diff(net.line_starts)
    assert (sizes.max() >= 32) != broken  # both the per-unit trees and the shared tree of small units are used
    rng = np.random.default_rng(4)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(rng.uniform(109.25, 109.42, 60),
                                                        rng.uniform(24.15, 24.32, 60)), crs=4326)
    # points exactly half-way between two nodes: ties go to the lower node, as the scan's
    mid = (net.nodes_xy[net.edges["u"].to_numpy()[:5]] + net.nodes_xy[net.edges["v"].to_numpy()[:5]]) / 2
    layer = _validate.layer(pts, name="p")
    xy = np.r_[layer.xy, mid]
    for reach in (np.full(len(xy), 3000.0), rng.uniform(100, 20000, len(xy))):
        fake = type("L", (), {"xy": xy, "name": "p"})()
        p, nd, minutes = _access_legs(net, fake, access_speed_kmh=30.0, access_radius_m=radius, reach_m=reach)
        want = {leg for leg in brute_legs(net, xy, radius, reach)}
        d = gis._geodesic.geodesic_distance(xy[[a for a, _ in want], 0], xy[[a for a, _ in want], 1],
                                            net.nodes_xy[[b for _, b in want], 0],
                                            net.nodes_xy[[b for _, b in want], 1], net.crs)
        want = {leg for leg, dist in zip(want, d) if dist < reach[leg[0]]}
        assert set(zip(p.tolist(), nd.tolist())) == want
        assert len(p) == len(want) and (minutes > 0).all()


def test_travel_times_on_broken_lines_match_hand_search():
    """On lines that never meet, a trip is leg - one line - leg: the legs the trees find give the same times."""
    net = gis.travel_network(grid_lines(5, broken=True, seed=8, corridor=True), join_lines=True)
    rng = np.random.default_rng(9)
    o = gpd.GeoDataFrame(geometry=gpd.points_from_xy(rng.uniform(109.3, 109.34, 8), rng.uniform(24.2, 24.24, 8)),
                         crs=4326)
    t = gpd.GeoDataFrame(geometry=gpd.points_from_xy(rng.uniform(109.3, 109.34, 5), rng.uniform(24.2, 24.24, 5)),
                         crs=4326)
    got = travel_times(net, o, t, access_radius_m=0.0).to_numpy()
    # by hand: the direct trip, or walk to the nearest node of a line, ride it, walk from its other node
    ox, tx = _validate.layer(o, name="o").xy, _validate.layer(t, name="t").xy
    geo = gis._geodesic.geodesic_distance
    mpm = 30.0 * 1000 / 60
    from scipy.sparse.csgraph import dijkstra
    d_net = dijkstra(net.graph, directed=False)
    want = np.empty((len(o), len(t)))
    for i in range(len(o)):
        for j in range(len(t)):
            best = geo(ox[i:i + 1, 0], ox[i:i + 1, 1], tx[j:j + 1, 0], tx[j:j + 1, 1], net.crs)[0] / mpm
            for u in range(len(net.line_starts) - 1):
                nodes = net.line_nodes[net.line_starts[u]:net.line_starts[u + 1]]
                a = nodes[np.argmin(np.hypot(*(net.nodes_xy[nodes] - ox[i]).T))]
                b = nodes[np.argmin(np.hypot(*(net.nodes_xy[nodes] - tx[j]).T))]
                walk = (geo(ox[i:i + 1, 0], ox[i:i + 1, 1], net.nodes_xy[[a], 0], net.nodes_xy[[a], 1], net.crs)[0]
                        + geo(tx[j:j + 1, 0], tx[j:j + 1, 1], net.nodes_xy[[b], 0], net.nodes_xy[[b], 1],
                              net.crs)[0]) / mpm
                best = min(best, walk + (d_net[a, b] if a != b else 0.0))
            want[i, j] = best
    assert np.allclose(got, want, rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("broken", [False, True])
def test_snap_equals_a_scan_of_every_edge(broken):
    net = gis.travel_network(grid_lines(9, broken=broken, seed=5))
    rng = np.random.default_rng(6)
    lo, hi = net.nodes_xy.min(axis=0), net.nodes_xy.max(axis=0)
    e = net.edges
    a, b = net.nodes_xy[e["u"].to_numpy()], net.nodes_xy[e["v"].to_numpy()]
    # random points, points far outside, the nodes themselves (ties between the edges that meet there)
    # and points on the edges
    xy = np.r_[rng.uniform(lo - 2000, hi + 2000, (400, 2)), rng.uniform(lo - 50_000, lo - 40_000, (20, 2)),
               net.nodes_xy[:30], a[:30] + (b[:30] - a[:30]) * 0.37]
    got_row, got_frac, got_d = _snap_edges(net, xy)
    row, frac, q = hand_snap(net, xy)
    assert np.array_equal(got_row, row)
    assert np.allclose(got_frac, frac, atol=1e-9) and np.allclose(got_d, np.hypot(*(xy - q).T), atol=1e-6)


def test_unique_rows_equals_numpy():
    rng = np.random.default_rng(1)
    a = rng.integers(-50, 50, (500, 2))
    for kw in ({}, {"return_index": True, "return_inverse": True}):
        got, want = _unique_rows(a, **kw), np.unique(a, axis=0, **kw)
        for g, w in zip(got if kw else [got], want if kw else [want]):
            assert np.array_equal(np.ravel(g), np.ravel(w))


# --- snap by tree: travel times equal a hand computation on the same snap ------------------------------------------

def hand_snap(net, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest edge of every point by a scan of all segments (shapely), ties to the lowest edge row:
    ``(edge row, position along u → v, snapped xy)``."""
    e = net.edges
    segs = shapely.linestrings(np.stack([net.nodes_xy[e["u"]], net.nodes_xy[e["v"]]], axis=1))
    d = shapely.distance(shapely.points(xy)[:, None], segs[None, :])
    row = np.argmin(d, axis=1)  # the first minimum: the lowest row
    frac = shapely.line_locate_point(segs[row], shapely.points(xy), normalized=True)
    q = shapely.get_coordinates(shapely.line_interpolate_point(segs[row], frac, normalized=True))
    return row, frac, q


def test_travel_times_equal_a_hand_computation_on_the_same_snap():
    """Shipped roads, 300 points: snap by a scan of every edge, walk on pyproj.Geod, Dijkstra on a graph built
    by hand from the edge table; origins and targets on one same edge travel along it."""
    roads = gis.load_layer("roads")
    net = gis.travel_network(roads)
    rng = np.random.default_rng(21)
    lo, hi = net.nodes_xy.min(axis=0), net.nodes_xy.max(axis=0)
    o_xy = rng.uniform(lo, hi, (200, 2))
    t_xy = rng.uniform(lo, hi, (60, 2))
    # 40 targets next to an origin's edge: 20 on the same edge (either side), 20 exactly on it
    row, frac, q = hand_snap(net, o_xy[:40])
    e = net.edges
    a, b = net.nodes_xy[e["u"].to_numpy()[row]], net.nodes_xy[e["v"].to_numpy()[row]]
    f2 = np.clip(frac + rng.uniform(-0.3, 0.3, 40), 0.02, 0.98)
    normal = np.c_[-(b - a)[:, 1], (b - a)[:, 0]] / np.hypot(*(b - a).T)[:, None]
    off = np.where(np.arange(40) < 20, rng.uniform(-300, 300, 40), 0.0)
    t_xy = np.r_[t_xy, a + (b - a) * f2[:, None] + normal * off[:, None]]
    to_ll = pyproj.Transformer.from_crs(net.crs, 4326, always_xy=True)
    o = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*to_ll.transform(o_xy[:, 0], o_xy[:, 1])), crs=4326)
    t = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*to_ll.transform(t_xy[:, 0], t_xy[:, 1])), crs=4326)
    got = travel_times(net, o, t).to_numpy()
    # the same points as the library sees them (lon/lat round trip)
    ox, tx = _validate.layer(o, name="o").xy, _validate.layer(t, name="t").xy
    geod = net.crs.get_geod()

    def walk_m(p, r):
        (x1, y1), (x2, y2) = to_ll.transform(p[:, 0], p[:, 1]), to_ll.transform(r[:, 0], r[:, 1])
        return geod.inv(x1, y1, x2, y2)[2]

    mpm = 30.0 * 1000 / 60
    u, v, minutes = e["u"].to_numpy(), e["v"].to_numpy(), e["minutes"].to_numpy()
    w = {}
    for a_, b_, m_ in zip(u, v, minutes):
        key = (min(a_, b_), max(a_, b_))
        w[key] = min(w.get(key, np.inf), m_)
    keys = np.array(list(w))
    g = csr_matrix((list(w.values()), (keys[:, 0], keys[:, 1])), shape=(net.n_nodes, net.n_nodes))
    d_net = dijkstra(g, directed=False)
    ends = {}
    for name, xy in (("o", ox), ("t", tx)):
        r, f, qq = hand_snap(net, xy)
        acc = walk_m(xy, qq) / mpm
        ends[name] = (r, f, np.c_[acc + f * minutes[r], acc + (1 - f) * minutes[r]], np.c_[u[r], v[r]], acc)
    ro, fo, mo, no, ao = ends["o"]
    rt, ft, mt, nt, at = ends["t"]
    want = np.full((len(ox), len(tx)), np.inf)
    for i in range(2):
        for j in range(2):
            want = np.minimum(want, mo[:, i, None] + d_net[no[:, i, None], nt[None, :, j]] + mt[None, :, j])
    same = ro[:, None] == rt[None, :]
    along = ao[:, None] + np.abs(fo[:, None] - ft[None, :]) * minutes[ro][:, None] + at[None, :]
    want = np.where(same, np.minimum(want, along), want)
    oi, ti = np.repeat(np.arange(len(ox)), len(tx)), np.tile(np.arange(len(tx)), len(ox))
    direct = walk_m(ox[oi], tx[ti]).reshape(len(ox), len(tx)) / mpm
    want = np.minimum(want, direct)
    assert same.sum() >= 40 and (want[same] < direct[same]).any()  # trips along one edge are tested
    assert np.allclose(got, want, rtol=1e-6, atol=1e-6)
    # the quickest target of each origin is the matrix's, found by one multi-source search
    near = nearest_by_time(net, o, t)
    assert np.allclose(near["minutes"], want.min(axis=1), rtol=1e-6, atol=1e-6)


def test_a_point_snapped_mid_edge_travels_along_it_both_ways():
    # one 60 km road at 60 km/h, no node near the town in its middle: the snap is the only way on
    road = gpd.GeoDataFrame({"speed": [60.0]}, geometry=[shapely.LineString([(109.0, 24.3), (109.6, 24.3)])],
                            crs=4326)
    net = gis.travel_network(road, speed_kmh_by="speed")
    mid = net.nodes_xy.mean(axis=0)
    to_ll = pyproj.Transformer.from_crs(net.crs, 4326, always_xy=True)
    along = (net.nodes_xy[1] - net.nodes_xy[0]) / np.hypot(*(net.nodes_xy[1] - net.nodes_xy[0]))
    town = gpd.GeoDataFrame(geometry=[shapely.Point(to_ll.transform(*mid))], crs=4326)
    far = gpd.GeoDataFrame(geometry=[shapely.Point(to_ll.transform(*(mid + along * 8000)))], crs=4326)
    # 8 km along the road at 60 km/h (the road has no detour factor): 8 minutes, through no node
    assert travel_times(net, town, far, access_speed_kmh=1.0).iloc[0, 0] == pytest.approx(8.0, rel=2e-3)
    # 10 minutes reach 10 km each way along the road, not only the walking disk around the town
    iso = gis.isochrones(net, town, [10], access_speed_kmh=1.0).to_crs(net.crs)
    xmin, _, xmax, _ = iso.total_bounds
    assert (xmax - xmin) == pytest.approx(20_000, rel=5e-3)
