"""Access legs and transfers found with KD-trees equal a brute-force scan of every node, on small networks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import gis
from gis import _validate
from gis.network import _PLANE_SLACK, _access_legs, _unique_rows
from gis.routing import travel_times


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


def grid_lines(n_side: int, *, broken: bool, seed: int) -> gpd.GeoDataFrame:
    """A jittered grid of short roads near Liuzhou; ``broken``: no two lines share a vertex (each its own unit)."""
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
    return gpd.GeoDataFrame({"highway": ["primary"] * len(geoms)}, geometry=geoms, crs=4326)


@pytest.mark.parametrize("broken", [False, True])
@pytest.mark.parametrize("radius", [0.0, 800.0])
def test_access_legs_equal_brute_force(broken, radius):
    net = gis.travel_network(grid_lines(7, broken=broken, seed=3))
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
    net = gis.travel_network(grid_lines(5, broken=True, seed=8))
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


def test_unique_rows_equals_numpy():
    rng = np.random.default_rng(1)
    a = rng.integers(-50, 50, (500, 2))
    for kw in ({}, {"return_index": True, "return_inverse": True}):
        got, want = _unique_rows(a, **kw), np.unique(a, axis=0, **kw)
        for g, w in zip(got if kw else [got], want if kw else [want]):
            assert np.array_equal(np.ravel(g), np.ravel(w))
