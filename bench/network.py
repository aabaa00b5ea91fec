"""Benchmark of the road network: build, travel-time matrices, nearest-by-time, isochrones; writes bench/network.md.

Run from the repository root::

    python bench/network.py            # 1e4 origins included (about a minute)
    python bench/network.py --quick    # 118 and 1e3 origins only
    python bench/network.py --small    # tiny sizes, prints only (the smoke test in tests/test_bench_smoke.py)

Every figure is the median of ``--repeat`` runs (interleaved) and a ratio against its kernel measured in the same
process: snapping each source to its nearest node (one ``cKDTree.query``) and ONE multi-source
:func:`scipy.sparse.csgraph.dijkstra` (``min_only=True``) from them on the same graph, i.e. the least any
travel-time search on this network can cost.  A synthetic grid of about 1e6 separate road segments (a user's file)
is written to a GeoPackage and ``travel_network`` on it is timed against ``read_roads`` of that file, with its peak
memory.  The old way (one Dijkstra per origin on
the network plus a virtual node for every origin and target) is measured too.  It also writes the drive times from
the city centre to every county seat with their road distances (the quickest path's length on the chords times the
detour factor) next to the straight-line distances.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import platform
import sys
import time
import tracemalloc
from pathlib import Path

from _machine import cpu_model  # bench/ is on sys.path when a script here runs

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy
import shapely
from scipy.sparse.csgraph import dijkstra

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gis  # noqa: E402
from gis import _validate  # noqa: E402
from gis._io import write_text  # noqa: E402
from gis.network import _access, _access_legs, _snap_edges  # noqa: E402
from gis.routing import _direct_m, _same_edge, _with_access, nearest_by_time, travel_times  # noqa: E402

import network_calibration  # noqa: E402  (bench/ is on sys.path)

GEOD = pyproj.Geod(ellps="GRS80")


def cpu_timed(fn, repeat: int) -> tuple[float, float, object]:
    """Median wall and CPU (time.process_time) seconds of ``repeat`` runs, and the last result."""
    wall, cpu, out = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return float(np.median(wall)), float(np.median(cpu)), out


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median wall seconds of ``repeat`` runs and the last result (CPU seconds in ``timed.cpu``)."""
    wall, timed.cpu, out = cpu_timed(fn, repeat)
    return wall, out


def paired(fn, ref, repeat: int, *, warm: bool = True) -> dict:
    """``fn`` and its reference run interleaved ``repeat`` times (after one untimed run of each when ``warm``:
    the network's snapping tree is built on first use): medians of wall and CPU seconds, and the last results."""
    w, c, wr, cr = [], [], [], []
    out = ref_out = None
    if warm:
        ref(), fn()
    for _ in range(repeat):
        t, p = time.perf_counter(), time.process_time()
        ref_out = ref()
        wr.append(time.perf_counter() - t)
        cr.append(time.process_time() - p)
        t, p = time.perf_counter(), time.process_time()
        out = fn()
        w.append(time.perf_counter() - t)
        c.append(time.process_time() - p)
    med = lambda x: float(np.median(x))  # noqa: E731
    return {"seconds": med(w), "cpu": med(c), "ref_seconds": med(wr), "ref_cpu": med(cr),
            "out": out, "ref_out": ref_out}


def row(task: str, m: dict, reference: str) -> dict:
    return {"task": task, "seconds": m["seconds"], "kernel": m["ref_seconds"], "ratio": m["seconds"] / m["ref_seconds"],
            "cpu_s": m["cpu"], "kernel_cpu_s": m["ref_cpu"], "ratio (cpu)": m["cpu"] / m["ref_cpu"],
            "reference (kernel)": reference}


def random_points(n: int, seed: int) -> gpd.GeoDataFrame:
    """Points in the municipality (rejection sampling in its polygon)."""
    rng = np.random.default_rng(seed)
    city = gis.load_layer("city").union_all()
    minx, miny, maxx, maxy = city.bounds
    out = []
    while sum(len(o) for o in out) < n:
        x, y = rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)
        keep = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=4326).within(city).to_numpy()
        out.append(np.column_stack([x[keep], y[keep]]))
    xy = np.concatenate(out)[:n]
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=4326)


def _snap_legs(net, xy: np.ndarray, speed: float):
    """The library's snap (``_snap_edges``: one KD-tree query of edge samples, projected onto the edges) as
    ``(u, v, minutes to u, minutes to v)``: the plane access leg at access speed plus the edge's fraction."""
    e = net.edges
    row, frac, plane = _snap_edges(net, xy)
    m = e["minutes"].to_numpy()[row]
    walk = plane / (speed * 1000 / 60)
    return e["u"].to_numpy()[row], e["v"].to_numpy()[row], walk + frac * m, walk + (1 - frac) * m


def matrix_kernel(net, origins: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, speed: float = 30.0):
    """The matrix kernel: the same snap for origins and targets, ONE ``csgraph.dijkstra`` from the targets'
    snapped edges' end nodes, and the gather into the origins x targets matrix (min over the two ends)."""

    def run():
        o = _validate.layer(origins, name="origins")
        t = _validate.layer(targets, name="targets")
        ou, ov, oa, ob = _snap_legs(net, o.xy, speed)
        tu, tv, ta, tb = _snap_legs(net, t.xy, speed)
        src, inv = np.unique(np.r_[tu, tv], return_inverse=True)
        d = dijkstra(net.graph, directed=False, indices=src)
        k = len(t)
        to_t = np.minimum(d[inv[:k]] + ta[:, None], d[inv[k:]] + tb[:, None])  # (targets, nodes)
        return np.minimum(to_t[:, ou] + oa, to_t[:, ov] + ob).T
    return run


def kernel(net, origins: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, speed: float = 30.0):
    """The min-only kernel: the same snap for origins and targets, ONE multi-source Dijkstra (``min_only``) from
    the targets' snaps, and each origin's minimum over its two ends."""

    def run():
        o = _validate.layer(origins, name="origins")
        t = _validate.layer(targets, name="targets")
        ou, ov, oa, ob = _snap_legs(net, o.xy, speed)
        u, v, a, b = _snap_legs(net, t.xy, speed)
        legs = (np.r_[np.arange(len(t)), np.arange(len(t))], np.r_[u, v], np.r_[a, b])
        graph = _with_access(net, legs, (np.zeros(0, int),) * 2 + (np.zeros(0),), len(t), 0)
        d = dijkstra(graph, directed=True, indices=net.n_nodes + np.arange(len(t)), min_only=True)
        return np.minimum(d[ou] + oa, d[ov] + ob)
    return run


def synthetic_roads(n_edges: int, folder: Path) -> Path:
    """A GeoPackage of about ``n_edges`` separate two-vertex road segments on a 200 m grid (highway=residential)."""
    side = int(np.sqrt(n_edges / 2)) + 1
    step = 0.002
    i, j = np.meshgrid(np.arange(side - 1), np.arange(side), indexing="ij")
    x0, y0 = 109.0 + i.ravel() * step, 24.0 + j.ravel() * step
    h = np.stack([np.c_[x0, y0], np.c_[x0 + step, y0]], axis=1)
    v = np.stack([np.c_[109.0 + j.ravel() * step, 24.0 + i.ravel() * step],
                  np.c_[109.0 + j.ravel() * step, 24.0 + i.ravel() * step + step]], axis=1)
    lines = shapely.linestrings(np.concatenate([h, v]))
    path = folder / f"synthetic_{len(lines)}.gpkg"
    gpd.GeoDataFrame({"highway": np.full(len(lines), "residential")}, geometry=lines, crs=4326).to_file(
        path, engine="pyogrio")
    return path


def build_row(n_edges: int) -> dict:
    """``travel_network`` on a user's file of ``n_edges`` segments against reading that file (wall and CPU
    seconds, read and build interleaved, each once: the file is large), then the build's peak memory
    (traced in a separate run: tracing slows the build)."""
    from gis.network import read_roads
    with tempfile.TemporaryDirectory() as tmp:
        path = synthetic_roads(n_edges, Path(tmp))
        roads = read_roads(path)  # warm the file cache
        m = paired(lambda: gis.travel_network(roads), lambda: read_roads(path), 1, warm=False)
        net = m["out"]
        tracemalloc.start()
        gis.travel_network(roads)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return row(f"travel_network of a user file: {len(roads):,} separate segments, {net.n_nodes:,} nodes (build peak "
               f"{peak / 2**30:.2f} GiB traced, process max RSS {rss:.2f} GiB)", m, "read_roads of the file")


def dijkstra_only(net) -> float:
    """Seconds of one bare multi-source Dijkstra from every node of the network (no legs)."""
    return timed(lambda: dijkstra(net.graph, indices=np.arange(net.n_nodes), min_only=True), 5)[0]


def old_way(net, origins, targets, speed: float = 30.0, radius: float = 5000.0):
    """One Dijkstra per origin on a graph grown by a virtual node per origin and target (before this work)."""
    o = _validate.layer(origins, name="origins")
    t = _validate.layer(targets, name="targets")
    direct_m = _direct_m(o, t, net.crs)
    legs_o = _access_legs(net, o, access_speed_kmh=speed, access_radius_m=radius, reach_m=direct_m.max(axis=1))
    legs_t = _access_legs(net, t, access_speed_kmh=speed, access_radius_m=radius, reach_m=direct_m.max(axis=0))
    graph = _with_access(net, legs_o, legs_t, len(o), len(t))
    n = net.n_nodes
    direct = direct_m / (speed * 1000 / 60)
    out = np.empty((len(o), len(t)))
    block = max(1, 4_000_000 // graph.shape[0])
    for s in range(0, len(o), block):
        rows = np.arange(s, min(s + block, len(o)))
        dist = dijkstra(graph, directed=True, indices=n + rows, limit=float(direct[rows].max()))
        out[rows] = np.minimum(dist[:, n + len(o):], direct[rows])
    # an origin and a target snapped onto one same edge travel along it (through no node)
    a_o = _access(net, o, access_speed_kmh=speed, access_radius_m=radius, reach_m=direct_m.max(axis=1))
    a_t = _access(net, t, access_speed_kmh=speed, access_radius_m=radius, reach_m=direct_m.max(axis=0))
    po, pt, along, _ = _same_edge(net, a_o, a_t)
    out[po, pt] = np.minimum(out[po, pt], along)
    return out


def path_road_m(net, a_xy: np.ndarray, b_xy: np.ndarray) -> tuple[float, float]:
    """Minutes and road metres of the quickest node-to-node path between the nodes nearest two points."""
    ia = int(np.argmin(np.hypot(*(net.nodes_xy - a_xy).T)))
    ib = int(np.argmin(np.hypot(*(net.nodes_xy - b_xy).T)))
    dist, pred = dijkstra(net.graph, indices=ia, return_predecessors=True)
    e = net.edges
    road = {(min(u, v), max(u, v)): r for u, v, r in zip(e["u"], e["v"], e["road_m"])}
    total, k = 0.0, ib
    while k != ia:
        p = int(pred[k])
        total += road[(min(p, k), max(p, k))]
        k = p
    return float(dist[ib]), total


#: Published / commonly known drive times from the city centre, with their sources in layers/network/calibration.yaml.
PUBLISHED_MIN = {p["name"]: p["published_min"] for p in network_calibration.read_yaml(
    network_calibration.layers_dir() / network_calibration.CALIBRATION_FILE)["places"] if p["layer"] == "county_seats"}


def county_seat_table(net) -> pd.DataFrame:
    seats = gis.load_layer("county_seats")
    centre = seats[seats["name"] == "城中区"]
    tt = travel_times(net, centre, seats).iloc[0]
    to_m = gis.crs.transformer(4326, net.crs)
    c = np.array(to_m.transform(centre.geometry.x.iloc[0], centre.geometry.y.iloc[0]))
    rows = []
    for i, s in seats.iterrows():
        crow = GEOD.inv(centre.geometry.x.iloc[0], centre.geometry.y.iloc[0], s.geometry.x, s.geometry.y)[2]
        _, road = path_road_m(net, c, np.array(to_m.transform(s.geometry.x, s.geometry.y)))
        rows.append({"county_seat": s["name"], "seat_township": s.get("seat_township") or "",
                     "minutes": round(float(tt[i]), 0), "road_km (on the graph, x detour)": round(road / 1000, 1),
                     "straight_km": round(crow / 1000, 1),
                     "published (min, layers/network/calibration.yaml)": PUBLISHED_MIN.get(s["name"], "")})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--small", action="store_true", help="tiny sizes, print only (smoke test)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--build-edges", type=int, default=1_000_000)
    ap.add_argument("--only", choices=("all", "isochrones"), default="all",
                    help="isochrones: only the build, the min-only kernel and the isochrone rows, printed (no file)")
    args = ap.parse_args()
    rep = 1 if args.small else args.repeat
    load0 = os.getloadavg()
    roads = gis.load_layer("roads")
    towns = gis.load_layer("townships")
    if args.small:
        towns = towns.iloc[:5]
    rows = []

    t_build, net = timed(lambda: gis.travel_network(roads), rep)
    rows.append({"task": f"travel_network(roads): {len(roads)} edges, {net.n_nodes} nodes", "seconds": t_build,
                 "kernel": np.nan, "ratio": np.nan, "cpu_s": timed.cpu})
    MK, MIN = "matrix kernel", "min-only kernel"

    targets = random_points(10 if args.small else 100, 2)
    if args.only == "all":
        m = paired(lambda: travel_times(net, towns, targets), matrix_kernel(net, towns, targets), rep)
        rows.append(row("travel_times 118 seats x 100 targets", m, MK))
        tt = m["out"]
        m = paired(lambda: old_way(net, towns, targets), matrix_kernel(net, towns, targets), rep)
        assert np.allclose(tt.to_numpy(), m["out"], rtol=1e-6)  # geodesic reference-latitude noise: 1e-7
        rows.append(row("  the old way (one Dijkstra per origin, graph grown per origin)", m, MK))
        m = paired(lambda: nearest_by_time(net, towns, targets), kernel(net, towns, targets), rep)
        rows.append(row("nearest_by_time 118 seats, 100 targets", m, MIN))
    k118 = kernel(net, towns, towns)
    k118()
    t_k118, _ = timed(k118, rep)
    c_k118 = timed.cpu

    for bands in ([30], [30, 60]):
        label = " and ".join(map(str, bands))
        runs = {"grid": [], "exact": []}
        for _ in range(rep):  # interleaved: the grid (default) and GEOS's exact union of the same pieces
            for method in runs:
                runs[method].append(cpu_timed(lambda: gis.isochrones(net, towns, bands, method=method), 1))
        (wg, cg, grid), (we, ce, exact) = (min(runs[m], key=lambda r: r[1]) for m in ("grid", "exact"))
        wg, we = (float(np.median([r[0] for r in runs[m]])) for m in ("grid", "exact"))
        cg, ce = (float(np.median([r[1] for r in runs[m]])) for m in ("grid", "exact"))
        diff = ((grid["area_km2"] - exact["area_km2"]).abs() / exact["area_km2"] * 100).to_numpy()
        for task, w, c in ((f"isochrones of the 118 seats ({label} min), grid (default); area vs the exact union "
                            f"per isochrone: max {diff.max():.2f} %, mean {diff.mean():.3f} %", wg, cg),
                           (f"  the exact union (method='exact'); grid/exact CPU {cg / ce:.2f}", we, ce)):
            rows.append(row(task, {"seconds": w, "cpu": c, "ref_seconds": t_k118, "ref_cpu": c_k118},
                            MIN + " (seats to seats)"))

    if args.only == "isochrones":
        load1 = os.getloadavg()
        print(f"`python bench/network.py --only isochrones` on {cpu_model()}, {os.cpu_count()} cores; load average "
              f"{load0[0]:.1f} before, {load1[0]:.1f} after; median of {rep} interleaved runs\n")
        print(pd.DataFrame(rows).to_string(index=False))
        return
    sizes = [200] if args.small else [1000] if args.quick else [1000, 10_000]
    for n in sizes:
        o = random_points(n, 3)
        tracemalloc.start()
        travel_times(net, o, targets)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        m = paired(lambda: travel_times(net, o, targets), matrix_kernel(net, o, targets), rep)
        fast = m["out"]
        rows.append(row(f"travel_times {n:,} origins x 100 targets (peak {peak / 2**20:.0f} MiB)", m, MK))
        m = paired(lambda: nearest_by_time(net, o, targets), kernel(net, o, targets), rep)
        rows.append(row(f"nearest_by_time {n:,} origins, 100 targets", m, MIN))
        if (n <= 1000 or not args.quick) and not args.small:
            m = paired(lambda: old_way(net, o, targets), matrix_kernel(net, o, targets), 1, warm=False)
            assert np.allclose(fast.to_numpy(), m["out"], rtol=1e-6)
            rows.append(row(f"  the old way, {n:,} origins (1 run)", m, MK))
    rows.append(build_row(2_000 if args.small else args.build_edges))
    load1 = os.getloadavg()
    bare = dijkstra_only(net)
    table = pd.DataFrame(rows)
    seats = county_seat_table(net)
    t_cal = time.perf_counter()
    calibration = network_calibration.calibration_table(net)
    t_cal = time.perf_counter() - t_cal

    def md(df: pd.DataFrame) -> str:
        cols = list(df.columns)
        out = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
        for r in df.itertuples(index=False):
            out += "| " + " | ".join("" if (isinstance(v, float) and np.isnan(v)) else
                                     (f"{v:.3g}" if isinstance(v, float) else str(v)) for v in r) + " |\n"
        return out

    text = f"""# Road network benchmark

`python bench/network.py{' --quick' if args.quick else ''}` on {cpu_model()}, {os.cpu_count()} cores, Python
{platform.python_version()}, scipy {scipy.__version__}; load average {load0[0]:.1f} before, {load1[0]:.1f} after
(the machine is shared: absolute seconds are noisy, the ratios less so). Each row runs with its reference,
interleaved, median of {rep} runs (after one untimed run of each); `seconds` / `kernel` / `ratio` are wall time,
`cpu_s` / `kernel_cpu_s` / `ratio (cpu)` CPU time (`time.process_time`). With the load above, the CPU ratio is
the one to read.

Kernels (the `reference (kernel)` column says which one each row's ratios use):

* `matrix kernel` (travel_times rows) = the library's snap of the origins and the targets onto their nearest road
  edge (`gis.network._snap_edges`: one `cKDTree.query` of points sampled along the edges, projected onto them),
  ONE `scipy.sparse.csgraph.dijkstra` from the targets' snapped edges' end nodes, and the gather into the
  origins x targets matrix (min over each side's two end nodes). What the library adds: the geodesic access legs,
  direct trips at access speed where they can win, trips along one same edge, the pruning by reach.
* `min-only kernel` (nearest_by_time and isochrone rows) = the same snap, ONE multi-source Dijkstra
  (`min_only=True`) from the targets' snaps, and each origin's minimum over its two ends.
* the build row's reference is reading the file (`read_roads`).

The bare search is tiny on this graph ({bare * 1e3:.2f} ms from all {net.n_nodes} nodes at once). The network is
the shipped `roads` layer with the default speed model (`layers/network/speeds.yaml`). Origins of the 1e3/1e4 rows
are uniform in the municipality; targets are 100 such points.

{md(table)}
Reading: every point is snapped onto its nearest road edge (two legs, to the edge's end nodes); a matrix is
searched from its smaller side (100 Dijkstras from the targets on the fixed graph, then the minimum over each
origin's two legs), so 1e4 origins cost about the same as 118; `nearest_by_time` is one multi-source search. The
old way grew the graph by a node per origin and searched once per origin (same snap, same answers).
Isochrones join the reached corridor pieces (one per reached edge, built in one vectorised pass; pieces inside
the origin's disk and the reverse piece of an edge reached along it are left out). GEOS's exact union of several
hundred large overlapping pieces (`method="exact"`) cost seconds; the default (`method="auto"`, the grid for an
origin with more than 64 pieces) counts them on square cells of 1/50 of the origin's disk radius (300 m at 30 min,
600 m at 60 min at 30 km/h access; each piece marks where its edges cross each row of cell centres, a running sum
along the rows, in batches of about a million cells) and keeps every cell whose centre a piece covers; the area
difference against the exact union of every isochrone is in its row. Wall seconds are medians of interleaved
runs on the loaded machine; CPU seconds (`time.process_time`) are less noisy. The goal is "under a second" for
118 seats at 30 and at 30 + 60 minutes: compare the rows' CPU seconds.

## Drive times from the city centre (城中区 seat) to the county seats, on the shipped roads

The quickest path on the major-road graph with the default speeds; `road_km` is that path's chord length times the
detour factor (the model's road length). The last column is the published / commonly known time by car (sources in
`layers/network/calibration.yaml`); the speeds are calibrated against it (next section).

{md(seats)}
The long chords where the 三柳, 泉南 and other expressways run are inferred `through_road` (100 km/h, the
expressways' design speed); the extract has no road classes, so some national roads across open country get that
speed too. A user's OSM extract with `highway=motorway` uses its real classes (`gis.travel_network("extract.osm.pbf")`).

{network_calibration.section(calibration, load0=load0, load1=load1, seconds=t_cal)}"""
    if not args.small:
        write_text(ROOT / "bench" / "network.md", text)
    print(text)


if __name__ == "__main__":
    main()
