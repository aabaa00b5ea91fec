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

from _machine import cpu_model  # bench/ is on sys.path when a script here runs

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

    from gis.crs import city_bounds

    minx, miny, maxx, maxy = city_bounds()
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

    cpu = cpu_model()
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
    parser.add_argument("--from-log", metavar="LOG", help="rebuild the report from the JSON lines of an earlier run")
    parser.add_argument("--case", nargs=2, metavar=("FOLDER", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(Path(args.case[0]), args.case[1])))
        return

    from gis._io import write_text

    if args.from_log:
        text = Path(args.from_log).read_text(encoding="utf-8")
        rows = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        write_text(args.out, report(rows))
        print(f"wrote {args.out}")
        return
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
        "| N origins | path | wall s | µs/origin | of which read s | peak MiB | peak - base MiB | bytes/origin | rows | sum dist_m |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['n']:.0e} | {r['mode']} | failed: {r['error']} | | | | | | | |")
            continue
        extra = r["peak_mb"] - r["base_mb"]
        read = "" if r["read_s"] != r["read_s"] else f"{r['read_s']:.1f}"
        lines.append(
            f"| {r['n']:.0e} | {r['mode']} | {r['seconds']:.1f} | {r['seconds'] / r['n'] * 1e6:.2f} | {read} | {r['peak_mb']:.0f} | {extra:.0f} | "
            f"{extra * 2**20 / r['n']:.0f} | {r['rows']} | {r['checksum']:.6e} |"
        )
    lines += ["", *conclusions(rows)]
    return "\n".join(lines) + "\n"


def conclusions(rows: list[dict]) -> list[str]:
    """Where the partitioned path pays, computed from the table."""
    ok = [r for r in rows if "error" not in r]
    by = {(r["n"], r["mode"]): r for r in ok}
    ram_mib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    out = ["## Where it pays", ""]
    for n in sorted({r["n"] for r in ok}):
        mem = by.get((n, "in-memory"))
        if mem is None:
            continue
        parts = [f"{m}: {mem['seconds'] / by[(n, m)]['seconds']:.2f}x the in-memory speed, "
                 f"{(by[(n, m)]['peak_mb'] - by[(n, m)]['base_mb']) / (mem['peak_mb'] - mem['base_mb']):.2f}x its "
                 "memory above base" for m in MODES[1:] if (n, m) in by]
        out.append(f"- N = {n:.0e}: " + "; ".join(parts) + ".")
    largest = max((r["n"] for r in ok if r["mode"] == "in-memory"), default=None)
    if largest is not None:
        out.append("")
        for mode in MODES[:2]:
            r = by.get((largest, mode))
            if r is None:
                continue
            bpo = (r["peak_mb"] - r["base_mb"]) * 2**20 / largest
            n_max = (ram_mib - r["base_mb"]) * 2**20 / bpo
            out.append(f"- {mode}: {bpo:.0f} bytes per origin at N = {largest:.0e} (peak above base), so on "
                       f"this machine's {ram_mib / 1024:.1f} GiB it would run out of memory near "
                       f"N = {n_max:.1e} origins.")
        r = by.get((largest, "partitioned -> parquet"))
        if r is not None:
            out.append(f"- partitioned -> parquet: peak {r['peak_mb'] - r['base_mb']:.0f} MiB above base at "
                       f"N = {largest:.0e}, set by the partitions in flight (two threads x 1e6 origins), "
                       "not by N: bounded only by disk.")
    out += [
        "",
        "Reading the table.  The partitioned path runs the very same kernel on 1e6-origin pieces; what",
        "makes it faster from about 1e7 origins here is, as far as these runs show: (1) it decodes the",
        "GeoParquet (WKB to shapely points, the largest single cost: see the read column) and reprojects",
        "on both cores, one partition per thread, where `gpd.read_parquet` builds the geometries in one",
        "thread; (2) at 3e7 the in-memory path is slower *per origin* than at 1e6 (µs/origin column; at",
        "1e7 it was in one run of two), while every partition stays at 1e6 origins.  At 1e6 origins",
        "(one partition) the partitioned path only adds dask's overhead.",
        "",
        "So: below ~1e7 origins use `gis.nearest` (as fast or faster, a pandas frame directly).  From ~1e7",
        "the partitioned path is faster on this 2-core machine and needs a fraction of the memory; it is",
        "*required* once the in-memory path would not fit (the estimate above), and `.to_parquet()` keeps",
        "memory flat at any N.  On a cluster the same call runs on `dask.distributed` workers once a",
        "`Client` is open (partitions are independent; the facilities, tens of kB, go with each task), so",
        "it should scale with the workers' cores; that was not measured here (one 2-core machine).",
        "",
        "The `sum dist_m` column differs between the paths in the 12th significant digit: the kernel",
        "reports each distance by one of two equivalent formulas depending on the other origins of the",
        "call (module docstring of `gis.partitioned`), within its documented 0.2 ppm; targets are the same.",
    ]
    return out


if __name__ == "__main__":
    main()
