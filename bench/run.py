"""Benchmark of the proximity and buffer analyses; writes bench/results.md.

Run from the repository root::

    python bench/run.py            # full: 1e4..1e6 points x 1e2..1e4 facilities (a few minutes)
    python bench/run.py --quick    # small sizes, a few seconds

Points and facilities are uniform over the municipality's bounding box, in
the analysis CRS.  Each public call is timed against the raw kernel of the
same task measured in the same run (best of N, interleaved): scipy cKDTree
on plane coordinates (build + ``query(k=1)`` / ``query(k=5)`` with all cores,
``sparse_distance_matrix`` for within-a-radius) and ``shapely.buffer`` for
buffers.  The public calls include input checks, the geodesic correction and
the proof that the nearest found is the geodesically nearest.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

from _machine import cpu_model  # bench/ is on sys.path when a script here runs

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy
import shapely
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gis  # noqa: E402
from gis._io import write_text  # noqa: E402
from gis.crs import city_bounds  # noqa: E402


def points(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = city_bounds()
    lon, lat = rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)
    x, y = pyproj.Transformer.from_crs(4326, gis.settings.analysis_crs, always_xy=True).transform(lon, lat)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=gis.settings.analysis_crs)


def corridors(seed: int = 7, n: int = 60) -> gpd.GeoDataFrame:
    path = ROOT / "layers" / "plans" / "corridors.geojson"
    if path.exists():
        gdf = gpd.read_file(path)
        return gdf.to_crs(gis.settings.analysis_crs)
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = city_bounds()
    lines, modes = [], []
    for i in range(n):
        k = int(rng.integers(5, 20))
        start = np.array([rng.uniform(minx, maxx), rng.uniform(miny, maxy)])
        steps = rng.normal(0, 0.05, (k, 2)) + rng.normal(0, 0.03, 2)
        lines.append(shapely.LineString(start + np.cumsum(steps, axis=0)))
        modes.append(["highway", "railway", "waterway"][i % 3])
    return gpd.GeoDataFrame({"mode": modes}, geometry=lines, crs=4326).to_crs(gis.settings.analysis_crs)


def best(fn, repeat: int) -> float:
    return best_wall_cpu(fn, repeat)[0]


def best_wall_cpu(fn, repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (``time.process_time``: every thread of the process) of ``repeat`` runs."""
    times, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(times), min(cpu)


#: CPU times of the last :func:`paired` call (kernel, public).
LAST_CPU: list[float] = [float("nan"), float("nan")]


def paired(kernel, public, repeat: int) -> tuple[float, float]:
    """Interleave kernel and public call runs; best wall time of each (best CPU times in ``LAST_CPU``)."""
    tk, tp, ck, cp = [], [], [], []
    for _ in range(repeat):
        w, c = best_wall_cpu(kernel, 1)
        tk.append(w)
        ck.append(c)
        w, c = best_wall_cpu(public, 1)
        tp.append(w)
        cp.append(c)
    LAST_CPU[:] = [min(ck), min(cp)]
    return min(tk), min(tp)


def row(task: str, n: int, m: int, tk: float, tp: float) -> dict:
    """A result row with the wall times and the CPU times of the last :func:`paired` call."""
    return {"task": task, "points": n, "facilities": m, "kernel_s": tk, "public_s": tp, "ratio": tp / tk,
            "cpu_ratio": LAST_CPU[1] / LAST_CPU[0] if LAST_CPU[0] > 0 else float("nan")}


def machine() -> list[str]:
    cpu = cpu_model()
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas_s = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # noqa: BLE001 - informational only
        blas_s = "unknown"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"- CPU: {cpu}, {cores} cores usable ({os.cpu_count()} logical)",
        f"- Python {platform.python_version()} on {platform.system()} {platform.release()}",
        f"- numpy {np.__version__} (BLAS: {blas_s}), scipy {scipy.__version__}, shapely {shapely.__version__}, "
        f"geopandas {gpd.__version__}, pyproj {pyproj.__version__}",
        f"- analysis CRS {gis.settings.analysis_crs}; inputs already in it (reprojection from lon/lat not timed)",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--out", default=str(ROOT / "bench" / ("results-quick.md" if "--quick" in sys.argv else "results.md")))
    ap.add_argument("--only", default="grid,many,reference,buffers",
                    help="comma separated parts to run: grid (the points x facilities table), many (nearest on "
                         "100,000 facilities), reference (geopandas), buffers")
    args = ap.parse_args()
    only = set(args.only.split(","))
    load_start = os.getloadavg()
    ns = [10**3, 10**4] if args.quick else [10**4, 10**5, 10**6]
    ms = [10**2, 10**3] if args.quick else [10**2, 10**3, 10**4]
    warnings.simplefilter("ignore")
    rows = []
    for m in ms if "grid" in only else []:
        targets = points(m, 2)
        txy = shapely.get_coordinates(targets.geometry.values)
        for n in ns:
            origins = points(n, 1)
            oxy = shapely.get_coordinates(origins.geometry.values)
            rep = 5 if n * m <= 10**8 else 3
            gis.nearest(origins.iloc[:10], targets)  # warm caches

            def k1():
                cKDTree(txy).query(oxy, k=1, workers=-1)

            def k5():
                cKDTree(txy).query(oxy, k=5, workers=-1)

            def kw():
                cKDTree(oxy).sparse_distance_matrix(cKDTree(txy), 5000.0, output_type="ndarray")

            tasks = [
                ("nearest", k1, lambda: gis.nearest(origins, targets)),
                ("k-nearest (k=5)", k5, lambda: gis.nearest(origins, targets, k=5)),
                ("within 5 km", kw, lambda: gis.within(origins, targets, 5000)),
                ("within 5 km, sort=False", kw, lambda: gis.within(origins, targets, 5000, sort=False)),
            ]
            for name, kern, pub in tasks:
                r = rep if not name.startswith("within") else max(2, rep - 2)
                tk, tp = paired(kern, pub, r)
                rows.append(row(name, n, m, tk, tp))
                print(f"{name:16s} {n:>8d} x {m:>6d}: kernel {tk:8.3f} s  public {tp:8.3f} s  x{tp / tk:5.2f}"
                      f"  CPU x{rows[-1]['cpu_ratio']:5.2f}", flush=True)
    # nearest against many facilities (targets deduplicated by a hash; no grid pre-pass where it cannot pay)
    m_many = 10**4 if args.quick else 10**5
    to_plane = pyproj.Transformer.from_crs(4326, gis.settings.analysis_crs, always_xy=True)
    targets = points(m_many, 2)
    txy = shapely.get_coordinates(targets.geometry.values)
    targets_ll = targets.to_crs(4326)
    tll = shapely.get_coordinates(targets_ll.geometry.values)
    for n in ns if "many" in only else []:
        origins = points(n, 1)
        oxy = shapely.get_coordinates(origins.geometry.values)
        origins_ll = origins.to_crs(4326)
        oll = shapely.get_coordinates(origins_ll.geometry.values)
        gis.nearest(origins_ll.iloc[:10], targets_ll)  # warm caches

        def k1_many():
            cKDTree(txy).query(oxy, k=1, workers=-1)

        def k1_projected():
            t_xy = np.column_stack(to_plane.transform(tll[:, 0], tll[:, 1]))
            o_xy = np.column_stack(to_plane.transform(oll[:, 0], oll[:, 1]))
            cKDTree(t_xy).query(o_xy, k=1, workers=-1)

        rep = 5 if n <= 10**5 else 3
        for name, kern, pub in (
            ("nearest", k1_many, lambda: gis.nearest(origins, targets)),
            ("nearest, lon/lat inputs (both project)", k1_projected, lambda: gis.nearest(origins_ll, targets_ll)),
        ):
            tk, tp = paired(kern, pub, rep)
            rows.append(row(name, n, m_many, tk, tp))
            print(f"{name:16s} {n:>8d} x {m_many:>6d}: kernel {tk:8.3f} s  public {tp:8.3f} s  x{tp / tk:5.2f}"
                  f"  CPU x{rows[-1]['cpu_ratio']:5.2f}", flush=True)
    # reference: geopandas sjoin_nearest on the headline size
    n_ref, m_ref = (ns[-1], 10**3) if not args.quick else (ns[-1], ms[-1])
    if "reference" in only:
        origins, targets = points(n_ref, 1), points(m_ref, 2)
        oxy, txy = shapely.get_coordinates(origins.geometry.values), shapely.get_coordinates(targets.geometry.values)
        tk, ck = best_wall_cpu(lambda: cKDTree(txy).query(oxy, k=1, workers=-1), 3)
        ts, cs = best_wall_cpu(lambda: gpd.sjoin_nearest(origins, targets, distance_col="d"), 2)
        rows.append({"task": "geopandas sjoin_nearest (reference)", "points": n_ref, "facilities": m_ref,
                     "kernel_s": tk, "public_s": ts, "ratio": ts / tk, "cpu_ratio": cs / ck})
    lines = corridors() if "buffers" in only else None
    if lines is not None:
        # buffers of all corridors
        lines["group"] = lines["mode"] if "mode" in lines.columns else "all"
        geoms = np.asarray(lines.geometry.values, dtype=object)
        dists = [5000.0, 10000.0, 20000.0]

        groups = [np.flatnonzero(lines["group"].to_numpy() == g) for g in pd.unique(lines["group"])]

        def raw_buffers(dissolve: str = "none") -> None:
            for d in dists:
                b = shapely.buffer(geoms, d, quad_segs=16)
                if dissolve == "ring":
                    shapely.union_all(b)
                elif dissolve == "group":
                    for members in groups:
                        shapely.union_all(b[members])

        for dissolve in ("none", "ring", "group"):
            by = "group" if dissolve == "group" else None
            tk, tp = paired(lambda: raw_buffers(dissolve),
                            lambda: gis.buffer_rings(lines, dists, dissolve=dissolve, by=by), 3)
            rows.append(row(f"buffer_rings 5/10/20 km, dissolve={dissolve}", len(lines), 0, tk, tp))
            print(f"buffers dissolve={dissolve}: kernel {tk:.3f} s public {tp:.3f} s x{tp / tk:.2f}", flush=True)
    table = pd.DataFrame(rows)
    load_end = os.getloadavg()
    lines_md = [
        "# Benchmark: proximity and buffers",
        "",
        f"`python bench/run.py{' --quick' if args.quick else ''}"
        f"{'' if args.only == ap.get_default('only') else ' --only ' + args.only}`, {time.strftime('%Y-%m-%d %H:%M')}.",
        "",
        "## Machine",
        "",
        *machine(),
        f"- load average (1/5/15 min) at start {' / '.join(f'{v:.2f}' for v in load_start)}, "
        f"at end {' / '.join(f'{v:.2f}' for v in load_end)}",
        "",
        "## Results",
        "",
        "Times are the best of several interleaved runs.  *kernel*: the raw scipy cKDTree call on plane",
        "coordinates for the same task (build + query with all cores; `sparse_distance_matrix` for within),",
        "or raw `shapely.buffer` of the same lines at the same distances for buffers (plus `shapely.union_all`",
        "per distance, and per group, for the dissolved ones: the union is the bulk of that work).",
        "*ratio* = public / kernel (wall); *CPU ratio*: the same with the best CPU times of the process",
        "(`time.process_time`, every thread), steadier than the wall clock on a loaded machine.",
        "Rows with 100,000 facilities: nearest only; *lon/lat inputs*: both layers in EPSG:4326, the kernel",
        "projects both with pyproj before its tree, the public call projects them itself.",
        "The public calls take GeoDataFrames and return DataFrames with geodesic `dist_m`, ties and",
        "uncertainty columns; for nearest, the geodesically nearest target is proven for every origin.",
        "within sorts its pairs by origin then distance unless `sort=False`.",
        "Buffers: corridors are " + ("the corridor layer" if (ROOT / "layers/plans/corridors.geojson").exists()
                                     else f"{0 if lines is None else len(lines)} synthetic polylines (the corridor layer was not built yet)")
        + "; the public call includes geodesic radii, ring differences, dissolves and ellipsoidal areas.",
        "",
        "| task | points | facilities | kernel (s) | public (s) | ratio | CPU ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines_md.append(f"| {r['task']} | {r['points']:,} | {r['facilities']:,} | {r['kernel_s']:.3f} | "
                        f"{r['public_s']:.3f} | {r['ratio']:.2f} | {r['cpu_ratio']:.2f} |")
    lines_md += [
        "",
        "The machine is shared with other work while benchmarks run, so single timings are noisy;",
        "ratios come from interleaved runs and are the figure to compare.",
        "",
    ]
    out = Path(args.out)
    if out.exists():  # keep the hand-written sections: the goals above "## Machine", the history below the table
        old = out.read_text(encoding="utf-8")
        first, machine_at = old.find("\n## "), old.find("\n## Machine")
        if 0 <= first < machine_at:
            at = lines_md.index("## Machine")
            lines_md[at:at] = [old[first + 1: machine_at + 1].rstrip("\n"), ""]
        if "\n## History" in old:
            lines_md += [old[old.index("\n## History") + 1:].rstrip("\n"), ""]
    write_text(args.out, "\n".join(lines_md))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
