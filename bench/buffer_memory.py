"""Peak memory of ``gis.buffer_rings`` on many points, against the size of its result (issue 18, memory).

Each case runs in a fresh child process (``resource.getrusage`` high-water mark of resident memory, minus the
resident memory once the input is built), so one case's garbage cannot hide another's peak.  The points are
uniform lon/lat (EPSG:4326) over the municipality, as a user's table would be; the result comes back in
lon/lat too.

    python bench/buffer_memory.py                 # 1e6 points, 1 km, quad_segs 8, dissolve none and ring
    python bench/buffer_memory.py --points 200000 --distances 1000,2000
    python bench/buffer_memory.py --small         # a few thousand points: the script works (tests)

Prints a Markdown table: points, distances, dissolve, peak RSS above the input (MB), result size (MB: 16 bytes
per vertex plus its columns) and their ratio.  Writes nothing.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(n: int, distances: list[float], dissolve: str, quad_segs: int) -> dict:
    """One case in this (fresh) process."""
    import geopandas as gpd
    import numpy as np
    import shapely

    import gis
    from gis.crs import city_bounds

    rng = np.random.default_rng(18)
    west, south, east, north = city_bounds()
    lon, lat = rng.uniform(west, east, n), rng.uniform(south, north, n)
    points = gpd.GeoDataFrame({"id": np.arange(n)}, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    del lon, lat
    gc.collect()
    before = _rss_mb()
    t = time.perf_counter()
    result = gis.buffer_rings(points, distances, dissolve=dissolve, quad_segs=quad_segs)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    vertices = int(shapely.get_num_coordinates(np.asarray(result.geometry.values)).sum())
    columns = result.drop(columns=[result.geometry.name]).memory_usage(deep=True).sum()
    result_mb = (vertices * 16 + columns) / 2**20
    return {"points": n, "distances": distances, "dissolve": dissolve, "quad_segs": quad_segs, "rows": len(result),
            "peak_mb": peak, "result_mb": result_mb, "seconds": seconds}


def run_case(n: int, distances: list[float], dissolve: str, quad_segs: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(n), ",".join(map(str, distances)), dissolve,
                          str(quad_segs)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--distances", default="1000", help="metres, comma-separated (default 1000)")
    parser.add_argument("--dissolve", default="none,ring", help="cases, comma-separated (default none,ring)")
    parser.add_argument("--quad-segs", type=int, default=8,
                        help="segments per quarter circle (default 8: 33 vertices a disk, ~0.5 GB for 1e6 disks)")
    parser.add_argument("--small", action="store_true", help="2,000 points: check that the script works")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        n, dists, dissolve, quad_segs = args.child
        print(json.dumps(child(int(n), [float(d) for d in dists.split(",")], dissolve, int(quad_segs))))
        return 0
    n = 2_000 if args.small else args.points
    distances = [float(d) for d in args.distances.split(",")]
    print(f"gis.buffer_rings peak memory, {n:,} lon/lat points, quad_segs={args.quad_segs} "
          f"(load average {os.getloadavg()[0]:.2f})\n")
    print("| points | distances (m) | dissolve | rows | peak RSS above input (MB) | result (MB) | ratio | seconds |")
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    for dissolve in args.dissolve.split(","):
        r = run_case(n, distances, dissolve, args.quad_segs)
        print(f"| {r['points']:,} | {','.join(f'{d:g}' for d in r['distances'])} | {r['dissolve']} | {r['rows']:,} "
              f"| {r['peak_mb']:.0f} | {r['result_mb']:.1f} | {r['peak_mb'] / max(r['result_mb'], 1e-9):.2f} "
              f"| {r['seconds']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
