"""Isochrones on a grid against GEOS's exact union of the same pieces (gis/_isochrone_shapes.py)."""

import numpy as np
import shapely
import pytest

import gis
from gis._isochrone_shapes import CELLS, capsule_rings, union_exact, union_grid


@pytest.fixture(scope="module")
def seats_both_ways():
    net = gis.travel_network(gis.load_layer("roads"))
    towns = gis.load_layer("townships")
    seats = towns[towns["name"].isin(["大埔镇", "鹿寨镇", "拉堡镇", "长安镇", "古宜镇", "融水镇"])]
    kw = dict(covers=towns)
    return (gis.isochrones(net, seats, [30, 60], method="grid", **kw),
            gis.isochrones(net, seats, [30, 60], method="exact", **kw))


def test_grid_isochrones_keep_the_exact_area_within_one_percent(seats_both_ways):
    grid, exact = seats_both_ways
    assert len(grid) == 12 and (grid["minutes"].to_numpy() == exact["minutes"].to_numpy()).all()
    diff = (grid["area_km2"] - exact["area_km2"]).abs() / exact["area_km2"]
    assert diff.max() < 0.01, diff.max()
    assert grid.is_valid.all() and (grid.geom_type == "Polygon").any()
    # the same seats are covered, but for the few within a cell of the exact edge (3 of 68 at most here)
    assert ((grid["n_covered"] - exact["n_covered"]).abs() <= 1 + 0.05 * exact["n_covered"]).all()
    # on one origin's grid, the 60-minute area holds the 30-minute one
    for i in grid["origin_index"].unique():
        by = grid[grid["origin_index"] == i].set_index("minutes").geometry
        assert by[60].buffer(1e-9).contains(by[30])


def test_the_default_chooses_the_exact_union_for_few_pieces_and_the_grid_for_many(seats_both_ways):
    from gis.routing import AUTO_EXACT_PIECES

    grid, exact = seats_both_ways
    net = gis.travel_network(gis.load_layer("roads"))
    towns = gis.load_layer("townships")
    # six seats: a few thousand pieces in all, GEOS's exact union (smooth edges on the maps)
    auto = gis.isochrones(net, towns.loc[grid["origin_index"].unique()], [30, 60])
    assert np.allclose(auto["area_km2"], exact["area_km2"]) and not np.allclose(auto["area_km2"], grid["area_km2"])
    # all 118 seats: over AUTO_EXACT_PIECES pieces, the grid for every seat with more than 64
    auto_all = gis.isochrones(net, towns, [30])
    grid_all = gis.isochrones(net, towns, [30], method="grid")
    assert AUTO_EXACT_PIECES < 50 * len(towns)
    exact_all = gis.isochrones(net, towns, [30], method="exact")
    as_grid = np.isclose(auto_all["area_km2"], grid_all["area_km2"], rtol=1e-12)
    as_exact = np.isclose(auto_all["area_km2"], exact_all["area_km2"], rtol=1e-12)
    assert len(auto_all) == 118 and (as_grid | as_exact).all()
    assert as_grid.sum() >= 50 and (~as_grid).sum() >= 20  # seats with many pieces on the grid, the others exact
    with pytest.raises(gis.InputError, match="method: must be"):
        gis.isochrones(net, towns.iloc[:2], [30], method="raster")


def test_union_grid_of_two_disks_on_a_fine_grid():
    c = np.array([[0.0, 0.0], [3000.0, 0.0]])
    rings = [capsule_rings(c[:1], np.array([1000.0]), c[1:], np.array([500.0]), k=32)]
    exact = union_exact(rings)
    cell = 1000 / CELLS
    grid = union_grid(rings, cell=cell)
    assert grid.area == pytest.approx(exact.area, rel=0.005)
    assert grid.symmetric_difference(exact).area < exact.length * cell  # within a cell of the edge


def test_cells_touching_at_corners_give_valid_polygons_of_exactly_the_filled_cells():
    from gis._isochrone_shapes import _cells_polygons

    blocks = [
        ["#.", ".#"],  # two cells meeting at a corner: two polygons
        ["###", "#.#", "##.", "..."],  # a ring closed at a corner: a hole touching the shell
        ["####", "#.##", "##.#", "####"],  # two holes meeting at a corner
    ]
    rows = [np.array([[c == "#" for c in r] for r in b]) for b in blocks]
    width = max(r.shape[1] for r in rows) + 2
    height = np.array([len(r) for r in rows])
    top = 1 + np.cumsum(height + 1) - (height + 1)
    mask = np.zeros((int(top[-1] + height[-1] + 1), width), bool)
    for t, r in zip(top, rows):
        mask[t:t + len(r), 1:1 + r.shape[1]] = r
    zero = np.zeros(len(rows))
    out = _cells_polygons(mask, top, height, zero, -top.astype(float), np.ones(len(rows)))
    assert shapely.is_valid(out).all()
    assert list(shapely.area(out)) == [float(r.sum()) for r in rows]
    assert list(shapely.get_num_geometries(out)) == [2, 1, 1]
    assert list(shapely.get_num_interior_rings(out[1:])) == [1, 2]


def test_capsule_rings_of_nested_disks_are_the_bigger_disk_and_others_keep_their_tangents():
    c0 = np.array([[0.0, 0.0], [0.0, 0.0]])
    c1 = np.array([[1.0, 0.0], [30.0, 0.0]])
    r0, r1 = np.array([10.0, 10.0]), np.array([2.0, 5.0])
    rings = capsule_rings(c0, r0, c1, r1, k=8)
    assert rings.shape == (2, 19, 2) and (rings[:, 0] == rings[:, -1]).all()
    # the first pair: disk 1 inside disk 0, the ring is disk 0's circle
    assert np.allclose(np.hypot(*rings[0].T), 10.0)
    assert shapely.Polygon(rings[0]).area == pytest.approx(10.0 ** 2 * 18 / 2 * np.sin(2 * np.pi / 18))
    # the second: the hull of both disks, as wide as the bigger one and as long as both
    hull = shapely.Polygon(rings[1])
    assert hull.is_valid and hull.bounds[0] == pytest.approx(-10.0) and hull.bounds[2] == pytest.approx(35.0)
