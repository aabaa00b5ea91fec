"""In-memory gis.nearest against the dask-geopandas path (gis.partitioned); writes bench/dask.md.

Run from the repository root::

    python bench/dask_run.py                     # 1e6, 1e7, 3e7 origins x 1e3 facilities (~15 min)
    python bench/dask_run.py --sizes 1e6 --quick # one size, a minute

Origins are uniform over the municipality's bounding box in lon/lat
(EPSG:4326), written once as a GeoParquet dataset (one file per million rows)
in a temporary folder; facilities likewise, kept in memory.  Every case runs
in a fresh subprocess, so its peak resident memory (``ru_maxrss``) is its own;
each case includes reading the origins from the GeoParquet and reprojecting
them to the analysis CRS:

* ``in-memory``: ``gpd.read_parquet(folder)`` then ``gis.nearest`` (result in memory);
* ``partitioned -> memory``: ``gis.partitioned.nearest(folder, facilities).compute()``
  (dask threaded scheduler, one partition per file; result gathered in memory);
* ``partitioned -> parquet``: the same, ``.to_parquet(out)`` instead of ``.compute()``
  (result streamed to disk: nothing the size of N is ever held).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHUNK = 1_000_000
FACILITIES = 1_000
MODES = ("in-memory", "partitioned -> memory", "partitioned -> parquet")


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def write_inputs(folder: Path, n: int) -> None:
    """Origins as ``folder/origins/part.<i>.parquet`` (CHUNK rows each) and ``folder/facilities.parquet``."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from gis.crs import LIUZHOU_BOUNDS

    minx, miny, maxx, maxy = LIUZHOU_BOUNDS
    rng = np.random.default_rng(1)
    (folder / "origins").mkdir(parents=True)
    for i, start in enumerate(range(0, n, CHUNK)):
        m = min(CHUNK, n - start)
        gdf = gpd.GeoDataFrame(
            geometry=gpd.points_from_xy(rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)), crs="EPSG:4326",
            index=pd.RangeIndex(start, start + m),
        )
        gdf.to_parquet(folder / "origins" / f"part.{i:04d}.parquet")
    fac = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(rng.uniform(minx, maxx, FACILITIES), rng.uniform(miny, maxy, FACILITIES)),
        crs="EPSG:4326",
    )
    fac.to_parquet(folder / "facilities.parquet")


def run_case(folder: Path, mode: str) -> dict:
    """One case, in this process (called in a fresh subprocess by :func:`main`)."""
    import geopandas as gpd

    import gis
    from gis import partitioned

    facilities = gpd.read_parquet(folder / "facilities.parquet")
    gis.nearest(facilities.iloc[:10], facilities)  # load lazy modules and caches outside the timing
    if mode != "in-memory":
        partitioned.nearest(facilities.iloc[:10], facilities).compute()
    base = _maxrss_mb()
    t0 = time.perf_counter()
    if mode == "in-memory":
        origins = gpd.read_parquet(folder / "origins")
        t_read = time.perf_counter() - t0
        result = gis.nearest(origins, facilities)
        n, checksum = len(result), float(result["dist_m"].sum())
    elif mode == "partitioned -> memory":
        t_read = float("nan")
        result = partitioned.nearest(folder / "origins", facilities).compute()
        n, checksum = len(result), float(result["dist_m"].sum())
    else:
        t_read = float("nan")
        out = folder / "result"
        partitioned.nearest(folder / "origins", facilities).to_parquet(out)
        elapsed = time.perf_counter() - t0
        import pyarrow.parquet as pq

        table = pq.read_table(out, columns=["dist_m"])
        n, checksum = table.num_rows, float(table["dist_m"].to_numpy().sum())
        shutil.rmtree(out)
        return {"mode": mode, "seconds": elapsed, "read_s": t_read, "base_mb": base, "peak_mb": _maxrss_mb(),
                "rows": n, "checksum": checksum}
    elapsed = time.perf_counter() - t0
    return {"mode": mode, "seconds": elapsed, "read_s": t_read, "base_mb": base, "peak_mb": _maxrss_mb(),
            "rows": n, "checksum": checksum}


def machine() -> list[str]:
    import dask
    import dask_geopandas
    import geopandas as gpd
    import pandas as pd
    import pyarrow
    import shapely

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return [
        f"- CPU: {cpu}, {len(os.sched_getaffinity(0))} cores usable; RAM {ram_gb:.1f} GiB, no swap" if
        not Path("/proc/swaps").exists() or len(Path("/proc/swaps").read_text(encoding="utf-8").splitlines()) <= 1
        else f"- CPU: {cpu}, {len(os.sched_getaffinity(0))} cores usable; RAM {ram_gb:.1f} GiB",
        f"- Python {platform.python_version()}; geopandas {gpd.__version__}, pandas {pd.__version__}, "
        f"shapely {shapely.__version__}, pyarrow {pyarrow.__version__}, dask {dask.__version__}, "
        f"dask-geopandas {dask_geopandas.__version__} (threaded scheduler, default workers)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6,1e7,3e7", help="origin counts, comma-separated")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--out", default=str(ROOT / "bench" / "dask.md"))
    parser.add_argument("--case", nargs=2, metavar=("FOLDER", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(Path(args.case[0]), args.case[1])))
        return

    from gis._io import write_text

    sizes = [int(float(s)) for s in args.sizes.split(",")]
    modes = [m.strip() for m in args.modes.split(",")]
    rows = []
    for n in sizes:
        folder = Path(tempfile.mkdtemp(prefix="dask_bench_"))
        try:
            t = time.perf_counter()
            write_inputs(folder, n)
            size_mb = sum(f.stat().st_size for f in (folder / "origins").iterdir()) / 2**20
            print(f"N={n:.0e}: inputs written in {time.perf_counter() - t:.0f} s ({size_mb:.0f} MiB)", flush=True)
            for mode in modes:
                proc = subprocess.run([sys.executable, __file__, "--case", str(folder), mode],
                                      capture_output=True, text=True, encoding="utf-8")
                if proc.returncode != 0:
                    tail = proc.stderr.strip().splitlines()[-1:] or ["?"]
                    r = {"mode": mode, "error": f"exit {proc.returncode}: {tail[0]}"}
                else:
                    r = json.loads(proc.stdout.strip().splitlines()[-1])
                r.update(n=n, parquet_mb=size_mb)
                rows.append(r)
                print(json.dumps(r), flush=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    write_text(args.out, report(rows))
    print(f"wrote {args.out}")


def report(rows: list[dict]) -> str:
    lines = [
        "# Partitioned (dask-geopandas) nearest vs in-memory",
        "",
        "Generated by `python bench/dask_run.py`.  Nearest of 1e3 facilities for N origins, uniform over",
        "Liuzhou's bounding box in lon/lat, read from a GeoParquet dataset (one file per 1e6 rows) and",
        "reprojected to the analysis CRS in both paths.  Each case in a fresh process; wall time includes",
        "the read; peak = `ru_maxrss` of that process, base = the same after imports and warm-up.",
        "",
        *machine(),
        "",
        "| N origins | path | wall s | of which read s | peak MiB | peak - base MiB | bytes/origin | rows | sum dist_m |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['n']:.0e} | {r['mode']} | failed: {r['error']} | | | | | | |")
            continue
        extra = r["peak_mb"] - r["base_mb"]
        read = "" if r["read_s"] != r["read_s"] else f"{r['read_s']:.1f}"
        lines.append(
            f"| {r['n']:.0e} | {r['mode']} | {r['seconds']:.1f} | {read} | {r['peak_mb']:.0f} | {extra:.0f} | "
            f"{extra * 2**20 / r['n']:.0f} | {r['rows']} | {r['checksum']:.6e} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
