"""Benchmark of the compliance review (gis.review); writes bench/review.md.

Run from the repository root::

    python bench/review_run.py            # 1e3 x 1e4 .. 1e4 x 1e5 footprints x zone polygons (about a minute)
    python bench/review_run.py --quick    # the two smallest sizes
    python bench/review_run.py --small    # 100 x 1000, prints only (the smoke test in tests/test_bench_smoke.py)

Zones: random squares over the municipality's bounding box, in three classes,
overlapping each other, covering it about 1.5 deep at every size (460-1070 m
side at 1e5 zones, larger for fewer zones), so the work per footprint stays
the same and the time should grow linearly.
Footprints: random squares of 200-800 m side.  Both already in the analysis
CRS.  ``gis.review`` (input checks, per-class union of the zones a footprint
meets, ellipsoidal areas, verdicts, nearest-zone gaps) is timed against the
raw kernel in the same process: one STRtree ``query(predicate="intersects")``
over all zones, ``shapely.intersection`` of every pair and plane ``shapely.area``
(no union, no classes, no geodesic correction), best of N, interleaved; and against
``geopandas.overlay(how="intersection")`` of the same frames plus the plane area of its pieces (the usual
GeoPandas way to the overlap areas).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

from _machine import cpu_model  # bench/ is on sys.path when a script here runs

import geopandas as gpd
import numpy as np
import pyproj
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gis  # noqa: E402
from gis._io import write_text  # noqa: E402
from gis.crs import city_bounds  # noqa: E402


def squares(n: int, lo: float, hi: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = city_bounds()
    lon, lat = rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)
    x, y = pyproj.Transformer.from_crs(4326, gis.settings.analysis_crs, always_xy=True).transform(lon, lat)
    half = rng.uniform(lo, hi, n) / 2
    return shapely.box(x - half, y - half, x + half, y + half)


def timed(fn) -> tuple[float, float]:
    """Wall and CPU (``time.process_time``) seconds of one call."""
    t, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--small", action="store_true", help="100 x 1000, print only (smoke test)")
    ap.add_argument("--out", default=str(ROOT / "bench" / ("review-quick.md" if "--quick" in sys.argv else "review.md")))
    args = ap.parse_args()
    sizes = [(10**3, 10**4), (3 * 10**3, 3 * 10**4)] + ([] if args.quick else [(10**4, 10**5)])
    if args.small:
        sizes = [(100, 1000)]
    warnings.simplefilter("ignore")
    crs = gis.settings.analysis_crs
    load = os.getloadavg()
    rows = []
    for n, m in sizes:
        side = 765.0 * np.sqrt(1e5 / m)  # zones cover the box about 1.5 deep at every size
        zg = squares(m, 0.6 * side, 1.4 * side, 2)
        fg = squares(n, 200, 800, 1)
        zones = gpd.GeoDataFrame({"类型": np.array(["生态保护红线", "永久基本农田", "城镇开发边界"])[np.arange(m) % 3]},
                                 geometry=zg, crs=crs)
        sites = gpd.GeoDataFrame({"name": [f"p{i}" for i in range(n)]}, geometry=fg, crs=crs)

        def kernel():
            fi, zi = shapely.STRtree(zg).query(fg, predicate="intersects")
            return shapely.area(shapely.intersection(fg[fi], zg[zi])).sum()

        def public():
            return gis.review(sites, zones, zone_field="类型")

        def overlay():
            return gpd.overlay(sites, zones, how="intersection").area.sum()

        rep = 1 if args.small else 3
        tk, tp, to = [], [], []
        for _ in range(rep):
            tk.append(timed(kernel))
            tp.append(timed(public))
            to.append(timed(overlay))
        r = public()
        fi, _ = shapely.STRtree(zg).query(fg, predicate="intersects")
        wall = [min(t[0] for t in ts) for ts in (tk, tp, to)]
        cpu = [min(t[1] for t in ts) for ts in (tk, tp, to)]
        rows.append((n, m, len(fi), int((r["verdict"] == "inside").sum()), *wall, cpu[1] / cpu[2]))
        print(f"{n:>6} x {m:>7}: kernel {wall[0]:.2f} s, gis.review {wall[1]:.2f} s ({wall[1] / wall[0]:.1f}x), "
              f"overlay + area {wall[2]:.2f} s ({wall[1] / wall[2]:.2f}x; CPU {cpu[1] / cpu[2]:.2f}x)", flush=True)
    lines = [
        "# Compliance review benchmark (`python bench/review_run.py`)",
        "",
        "Times are the best of 3 interleaved runs, in wall-clock seconds; the CPU ratio is of the best CPU "
        "times (`time.process_time`) of the same runs, steadier on a loaded machine. *kernel*: STRtree intersects "
        "query + `shapely.intersection` + plane `shapely.area` over all pairs, nothing else. *gis.review*: the "
        "public call (checks, three classes, union per class of the zones each footprint meets, ellipsoidal "
        "areas, verdicts, nearest-zone gaps).",
        "",
        "*overlay*: `geopandas.overlay(sites, zones, how=\"intersection\")` and the plane area of its pieces.",
        "",
        "| footprints | zone polygons | pairs | inside (row × class) | kernel s | gis.review s | ratio | "
        "overlay + area s | ratio to overlay | CPU ratio to overlay | gis.review µs per pair |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, m, pairs, inside, tk, tp, to, cpu_ratio in rows:
        lines.append(f"| {n:,} | {m:,} | {pairs:,} | {inside:,} | {tk:.2f} | {tp:.2f} | {tp / tk:.1f} | "
                     f"{to:.2f} | {tp / to:.2f} | {cpu_ratio:.2f} | {tp / max(pairs, 1) * 1e6:.0f} |")
    end = os.getloadavg()
    lines += ["", "Pairs (footprint × zone polygon that intersect) per footprint grow with the zone count "
              "(smaller zones), so the time per pair is the measure of linear growth. Absolute times depend "
              "on the machine's load (shared by several jobs); the ratio to the kernel measured in the same "
              "run does not.", "", "Machine:", "", f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores; load average at start "
              f"{load[0]:.1f}, at the end {end[0]:.1f} (the machine is shared)",
              f"- shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), geopandas {gpd.__version__}",
              f"- analysis CRS {crs}; inputs already in it"]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.small:
        write_text(args.out, text)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
