"""Scale benchmark (issue 14): the command line at a million rows, dense within, k-nearest, start-up,
GeoParquet points, memory and geocoding throughput; writes bench/scale.md.

Run from the repository root::

    python bench/scale.py              # 1e4..1e7 (about 20 minutes on 2 cores, ~8 GB at the peak)
    python bench/scale.py --quick      # 1e4..1e5, a minute
    python bench/scale.py --max-n 1e6  # leave out 1e7

Every figure is a ratio against the kernel of the same task (or the geopandas /
library way), measured in the same process, interleaved, median of ``--repeat``
runs (at least 3): scipy cKDTree on plane coordinates for nearest (build +
``query``, all cores), k-nearest and within (``sparse_distance_matrix``); for the
CLI, the library calls a script would make (``read_vector`` both inputs,
``gis.nearest``/``gis.within``, ``gis.export`` the result as CSV).  Memory runs in a
fresh process per task (``--child``): peak RSS above the process's RSS before the
call, and the tracemalloc peak (Python and numpy allocations; GEOS and
scipy's C++ buffers are invisible to it), against the size of the result.  The
load average is recorded at the start and end: the machine is shared.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from statistics import median

from _machine import cpu_model  # bench/ is on sys.path when a script here runs

import numpy as np
import pandas as pd
import pyproj

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gis  # noqa: E402
from gis.crs import city_bounds  # noqa: E402

LZGIS = Path(sys.executable).with_name("lzgis")


# ---------------------------------------------------------------- data

def lonlat(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = city_bounds()
    return rng.uniform(minx, maxx, n).round(6), rng.uniform(miny, maxy, n).round(6)


def plane(n: int, seed: int) -> np.ndarray:
    lon, lat = lonlat(n, seed)
    x, y = pyproj.Transformer.from_crs(4326, gis.settings.analysis_crs, always_xy=True).transform(lon, lat)
    return np.column_stack([x, y])


def frame(xy: np.ndarray):
    import geopandas as gpd

    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=gis.settings.analysis_crs)


def write_csv(path: Path, n: int, seed: int, prefix: str) -> None:
    lon, lat = lonlat(n, seed)
    pd.DataFrame({"名称": [f"{prefix}{i}" for i in range(n)], "经度": lon, "纬度": lat}).to_csv(path, index=False)


# ---------------------------------------------------------------- timing

class Seconds(float):
    """A median wall time that also carries the median CPU time (``time.process_time``, all threads)."""

    cpu: float

    @classmethod
    def of(cls, wall: list[float], cpu: list[float]) -> Seconds:
        out = cls(median(wall))
        out.cpu = median(cpu)
        return out


def paired(kernel, public, repeat: int) -> tuple[Seconds, Seconds]:
    """Interleaved runs of the kernel and the public call; the median wall (and CPU) time of each."""
    k, p, kc, pc = [], [], [], []
    for _ in range(repeat):
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        kernel()
        k.append(time.perf_counter() - t)
        kc.append(time.process_time() - c)
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        public()
        p.append(time.perf_counter() - t)
        pc.append(time.process_time() - c)
    return Seconds.of(k, kc), Seconds.of(p, pc)


def kernel_nearest(oxy, txy, k=1):
    from scipy.spatial import cKDTree

    return cKDTree(txy).query(oxy, k=k, workers=-1)


def knearest_kernel(oxy, txy, k=5):
    """``gis.nearest``'s k-nearest kernel on plane arrays (scale bounds and extent as it computes them)."""
    import pyproj
    from gis._geodesic import scale_bounds
    from gis._nearestk_kernels import _nearestk_points

    both = np.vstack([oxy, txy])
    k_lo, k_hi = scale_bounds(pyproj.CRS(gis.settings.analysis_crs), both[:, 0], both[:, 1])
    bounds = np.r_[oxy.min(axis=0), oxy.max(axis=0)]
    return _nearestk_points(oxy, txy, k, pyproj.CRS(gis.settings.analysis_crs), k_hi, None, k_lo=k_lo,
                            origin_bounds=bounds)


def prepare_pair(o, t):
    """What ``gis.nearest`` does to both layers before its kernel: checks, CRS, coordinates."""
    from gis.proximity import _prepare_pair

    op, tp, _ = _prepare_pair(o, t, strict=False)
    return op.layer.xy, tp.layer.xy


def kernel_within(oxy, txy, r):
    from scipy.spatial import cKDTree

    return cKDTree(oxy).sparse_distance_matrix(cKDTree(txy), r, output_type="ndarray")


def load() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


# ---------------------------------------------------------------- memory (child processes)

def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _result_mb(result) -> float:
    """Bytes the result holds: its columns, plus the coordinates of its geometries (16 B per vertex)."""
    import shapely

    if isinstance(result, tuple):
        return sum(np.asarray(a).nbytes for a in result) / 2**20
    if isinstance(result, np.ndarray):
        return result.nbytes / 2**20
    size = result.drop(columns=[result.geometry.name]).memory_usage(deep=True).sum() \
        if hasattr(result, "geometry") else result.memory_usage(deep=True).sum()
    if hasattr(result, "geometry"):
        size += shapely.get_num_coordinates(np.asarray(result.geometry.values)).sum() * 16
    return float(size) / 2**20


def child(task: str, n: int, m: int, r: float) -> dict:
    """One analysis in this fresh process: peak RSS and tracemalloc peak above the inputs, and the result size.

    ``file_nearest`` / ``file_read_parquet``: ``gis.nearest`` on the GeoParquet file named by the
    environment variable ``SCALE_FILE`` (written by the parent), read as coordinates or with
    ``gpd.read_parquet`` first; the peak includes the reading.
    """
    if task in ("file_nearest", "file_read_parquet"):
        import geopandas as gpd

        t = frame(plane(m, 2))
        path = Path(os.environ["SCALE_FILE"])
        gc.collect()
        before = _rss_mb()
        tracemalloc.start()
        result = gis.nearest(path if task == "file_nearest" else gpd.read_parquet(path), t)
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
        return {"task": task, "n": n, "m": m, "peak_rss_mb": peak, "tracemalloc_mb": traced,
                "result_mb": _result_mb(result), "rows": len(result)}
    oxy, txy = plane(n, 1), plane(m, 2)
    o, t = (frame(oxy), frame(txy)) if task not in ("kernel_nearest", "kernel_knearest", "kernel_within") else (None, None)
    if task == "buffer":
        import geopandas as gpd

        o = gpd.GeoDataFrame({"precision_m": np.full(n, 30.0)}, geometry=o.geometry)
    gc.collect()
    before = _rss_mb()
    tracemalloc.start()
    if task == "kernel_nearest":
        result = kernel_nearest(oxy, txy)
    elif task == "kernel_knearest":
        result = kernel_nearest(oxy, txy, k=5)
    elif task == "kernel_within":
        result = kernel_within(oxy, txy, r)
    elif task == "nearest":
        result = gis.nearest(o, t)
    elif task == "knearest":
        result = gis.nearest(o, t, k=5)
    elif task == "within":
        result = gis.within(o, t, r)
    elif task == "buffer":
        result = gis.buffer_rings(o, [1000.0, 2000.0, 3000.0], dissolve="none")
    else:
        raise SystemExit(f"unknown task {task}")
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    return {"task": task, "n": n, "m": m, "peak_rss_mb": peak, "tracemalloc_mb": traced,
            "result_mb": _result_mb(result), "rows": len(result[0]) if isinstance(result, tuple) else len(result)}  # noqa: E501


def memory(task: str, n: int, m: int, r: float = 0.0, *, file: Path | None = None) -> dict:
    env = {**os.environ, "SCALE_FILE": str(file)} if file is not None else None
    out = subprocess.run([sys.executable, __file__, "--child", task, str(n), str(m), str(r)],
                         capture_output=True, text=True, check=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


# ---------------------------------------------------------------- sections

def section_nearest(sizes: list[int], repeat: int, rows: list) -> None:
    m = 1000
    txy = plane(m, 2)
    t = frame(txy)
    for n in sizes:
        oxy = plane(n, 1)
        o = frame(oxy)
        k, p = paired(lambda: kernel_nearest(oxy, txy), lambda: gis.nearest(o, t), repeat)
        rows.append(("nearest", n, m, "cKDTree query", k, p))
        del o
        gc.collect()
    for n in [s for s in sizes if s <= 1_000_000]:
        oxy = plane(n, 1)
        o = frame(oxy)
        k, p = paired(lambda: kernel_nearest(oxy, txy, k=5), lambda: gis.nearest(o, t, k=5), repeat)
        rows.append(("k-nearest (k=5)", n, m, "cKDTree query k=5", k, p))
        # where the time goes: the kernel on plane arrays, and the layers' checks and coordinates before it
        k, p = paired(lambda: kernel_nearest(oxy, txy, k=5), lambda: knearest_kernel(oxy, txy), repeat)
        rows.append(("k-nearest (k=5): its kernel only", n, m, "cKDTree query k=5", k, p))
        k, p = paired(lambda: kernel_nearest(oxy, txy, k=5), lambda: prepare_pair(o, t), repeat)
        rows.append(("k-nearest (k=5): its layer checks only", n, m, "cKDTree query k=5", k, p))
        del o
        gc.collect()


def section_within(sizes: list[int], repeat: int, rows: list, dense: list[int]) -> None:
    m, r = 1000, 5000.0
    txy = plane(m, 2)
    t = frame(txy)
    for n in sizes:
        oxy = plane(n, 1)
        o = frame(oxy)
        k, p = paired(lambda: kernel_within(oxy, txy, r), lambda: gis.within(o, t, r), repeat)
        rows.append((f"within {r / 1000:g} km", n, m, "sparse_distance_matrix", k, p))
        del o
        gc.collect()
    m, r = 10_000, 10_000.0
    txy = plane(m, 2)
    t = frame(txy)
    for n in dense:
        oxy = plane(n, 1)
        o = frame(oxy)
        k, p = paired(lambda: kernel_within(oxy, txy, r), lambda: gis.within(o, t, r), repeat)
        rows.append((f"within {r / 1000:g} km (dense)", n, m, "sparse_distance_matrix", k, p))
        if n <= 100_000:
            import geopandas as gpd

            def sjoin():
                return gpd.sjoin(o, t, predicate="dwithin", distance=r)

            k2, p2 = paired(sjoin, lambda: gis.within(o, t, r), repeat)
            rows.append((f"within {r / 1000:g} km (dense)", n, m, "geopandas sjoin dwithin", k2, p2))
        del o
        gc.collect()


def section_files(sizes: list[int], repeat: int, rows: list, folder: Path, mem: list | None = None) -> None:
    """nearest on a GeoParquet file of points: read as coordinates vs gpd.read_parquet then gis.nearest.

    With ``mem``: also the peak RSS of each way at the largest size, each in a fresh process.
    """
    import geopandas as gpd

    m = 1000
    t = frame(plane(m, 2))
    for n in sizes:
        path = folder / f"o{n}.parquet"
        frame(plane(n, 1)).to_parquet(path)
        gc.collect()
        k, p = paired(lambda: gis.nearest(gpd.read_parquet(path), t), lambda: gis.nearest(path, t), repeat)
        rows.append(("nearest on a GeoParquet file", n, m, "gpd.read_parquet + gis.nearest", k, p))
        if mem is not None and n == sizes[-1]:
            mem.append(("nearest on a GeoParquet file (read as coordinates)", memory("file_nearest", n, m, file=path),
                        memory("file_read_parquet", n, m, file=path)))
        path.unlink()


def section_cli(sizes: list[int], repeat: int, rows: list, folder: Path) -> None:
    """lzgis nearest / within (in this process) against the same work done with the library."""
    from gis.cli import main
    from gis.export import export
    from gis.readers import read_vector

    m = 1000
    targets = folder / "t.csv"
    write_csv(targets, m, 2, "站")
    for n in sizes:
        origins = folder / f"o{n}.csv"
        write_csv(origins, n, 1, "点")
        for verb, extra, call in (
            ("nearest", [], lambda o, t: gis.nearest(o, t)),
            ("within", ["--distance-m", "5000"], lambda o, t: gis.within(o, t, 5000)),
        ):
            out = folder / "cli.csv"

            def cli() -> None:
                for p in folder.glob("cli*"):
                    p.unlink()
                with contextlib.redirect_stdout(io.StringIO()):
                    status = main(["-q", verb, str(origins), str(targets), *extra, "-o", str(out), "--overwrite"])
                assert status == 0

            def library() -> None:
                o, t = read_vector(origins), read_vector(targets)
                export(call(o, t), folder / "lib.csv", overwrite=True)

            k, p = paired(library, cli, repeat)
            written = sum(1 for _ in open(out, encoding="utf-8-sig")) - 1
            rows.append((f"lzgis {verb}" + (" 5 km" if verb == "within" else ""), n, m,
                         "read_vector + gis call + export", k, p, written))
        origins.unlink()


def section_startup(repeat: int) -> list[tuple[str, float]]:
    cases = [("python -c pass (interpreter)", [sys.executable, "-c", "pass"]),
             ("python -c 'import geopandas' (reference)", [sys.executable, "-c", "import geopandas"]),
             ("lzgis --help", [str(LZGIS), "--help"]),
             ("lzgis nearest --help", [str(LZGIS), "nearest", "--help"]),
             ("lzgis nearest a (missing argument)", [str(LZGIS), "nearest", "a"]),
             ("lzgis within a b -o x.csv --distance-m -5", [str(LZGIS), "within", "a", "b", "-o", "x.csv",
                                                            "--distance-m", "-5"])]
    out = []
    for label, argv in cases:
        times, cpu = [], []
        for _ in range(max(repeat, 5)):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run(argv, capture_output=True, check=False)
            times.append(time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        out.append((label, median(times), median(cpu)))
    return out


def section_geocode(repeat: int, quick: bool) -> list[tuple[str, int, float]]:
    import glob

    tables = [pd.read_csv(f, dtype=str) for f in sorted(glob.glob(str(ROOT / "layers" / "sources" / "*.csv")))]
    rows = pd.concat(tables)[["name", "place", "county"]].fillna("")
    rows.columns = ["项目名称", "建设地点", "县区"]
    from geocoding import tables as geocoding_tables  # bench/geocoding.py: the same drawn tables
    from gis.gazetteer import default_gazetteer

    n = 10_000 if quick else 100_000
    drawn = geocoding_tables(n)
    gaz = default_gazetteer()
    gis.geocode_table(geocoding_tables(200)["distinct names and places"], gazetteer=gaz)  # load the gazetteer
    out = []
    for label, table in ((f"{n:,} rows drawn from the {len(rows)} plan-table rows (whole rows repeated)",
                          drawn["whole rows repeated"]),
                         ("the same, distinct names (places repeated)", drawn["distinct names, repeated places"]),
                         ("the same, distinct names and places", drawn["distinct names and places"]),
                         (f"the {len(rows)} plan-table rows ({len(rows.drop_duplicates())} distinct)", rows)):
        times, cpu = [], []
        for _ in range(repeat):
            gaz._forget_texts()  # each run reads its table cold (the texts a gazetteer keeps are forgotten)
            t, c = time.perf_counter(), time.process_time()
            gis.geocode_table(table, gazetteer=gaz)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        out.append((label, len(table), len(table) / median(times), len(table) / median(cpu)))
    # the command line on the distinct names and places table, in a process of its own (one run: it is long)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "projects.csv"
        drawn["distinct names and places"].to_csv(src, index=False, encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([str(LZGIS), "-q", "geocode", str(src), "-o", str(Path(tmp) / "out.gpkg")],
                       check=True, cwd=tmp, capture_output=True)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_s = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        out.append((f"`lzgis -q geocode` of the distinct names and places CSV (one run, whole process: start-up, "
                    "reading, writing)", n, n / wall, n / cpu_s))
    return out


# ---------------------------------------------------------------- report

def fmt_rows(rows: list) -> list[str]:
    lines = ["| task | n | targets | against | against (s) | public (s) | ratio | CPU ratio |",
             "|---|---:|---:|---|---:|---:|---:|---:|"]
    for row in rows:
        task, n, m, ref, k, p = row[:6]
        extra = f" ({row[6]:,} rows written)" if len(row) > 6 else ""
        cpu = f"{p.cpu / k.cpu:.2f}" if hasattr(k, "cpu") and hasattr(p, "cpu") and k.cpu > 0 else "–"
        lines.append(f"| {task}{extra} | {n:,} | {m:,} | {ref} | {k:.3f} | {p:.3f} | {p / k:.2f} | {cpu} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--small", action="store_true",
                        help="1e4 rows, one run, no memory/geocode/start-up sections; print only (the smoke test)")
    parser.add_argument("--max-n", type=float, default=1e7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip", default="",
                        help="comma separated sections to leave out (nearest, within, files, files-memory, cli, "
                             "startup, geocode, memory)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "scale.md")
    parser.add_argument("--child", nargs=4, metavar=("TASK", "N", "M", "R"))
    args = parser.parse_args()
    if args.child:
        task, n, m, r = args.child
        print(json.dumps(child(task, int(float(n)), int(float(m)), float(r))))
        return
    repeat = 1 if args.small else max(3, args.repeat)
    top = 10_000 if args.small else 100_000 if args.quick else int(args.max_n)
    sizes = [n for n in (10_000, 100_000, 1_000_000, 10_000_000) if n <= top]
    skip = set(args.skip.split(",")) - {""}
    if args.small:
        skip |= {"memory", "files-memory", "geocode", "startup"}
    started, load_start = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), load()
    rows: list = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "nearest" not in skip:
            section_nearest(sizes, repeat, rows)
        if "within" not in skip:
            section_within(sizes, repeat, rows, dense=[n for n in (100_000, 1_000_000) if n <= top])
        file_mem: list = []
        if "files" not in skip:
            section_files(sizes, repeat, rows, folder, None if "files-memory" in skip else file_mem)
        cli_rows: list = []
        if "cli" not in skip:
            section_cli([n for n in sizes if n <= 1_000_000], repeat, cli_rows, folder)
    startup = section_startup(repeat) if "startup" not in skip else []
    geocode = section_geocode(repeat, args.quick) if "geocode" not in skip else []
    mem: list[tuple[str, dict, dict | None]] = []
    if "memory" not in skip:
        big = 100_000 if args.quick else 1_000_000
        mem.append(("nearest", memory("nearest", big, 1000), memory("kernel_nearest", big, 1000)))
        mem.append(("k-nearest (k=5)", memory("knearest", big, 1000), memory("kernel_knearest", big, 1000)))
        mem.append(("within 5 km", memory("within", big, 1000, 5000), memory("kernel_within", big, 1000, 5000)))
        dense = 100_000 if args.quick else 1_000_000
        mem.append(("within 10 km (dense)", memory("within", dense, 10_000, 10_000),
                    memory("kernel_within", dense, 10_000, 10_000)))
        mem.append(("buffer_rings 1/2/3 km, dissolve none", memory("buffer", 10_000 if args.quick else 100_000, 1),
                    None))
    mem += file_mem
    load_end = load()

    lines = [
        "# Benchmark: scale (issue 14)",
        "",
        f"`python bench/scale.py{' --small' if args.small else ' --quick' if args.quick else ''}`, {started}.",
        "",
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores; Python {platform.python_version()}",
        f"- numpy {np.__version__}, pandas {pd.__version__}, pyproj {pyproj.__version__}",
        f"- load average (1/5/15 min) at start {load_start}, at end {load_end} (the machine is shared)",
        f"- times: median wall seconds of {repeat} interleaved runs; *ratio* = public / against; *CPU ratio*: the",
        "  same with the median CPU time of the process (`time.process_time`, every thread), steadier on a loaded machine",
        "",
        "## Proximity: scaling and ratios",
        "",
        *fmt_rows(rows),
        "",
        "## Command line against the library way",
        "",
        "`lzgis -q VERB origins.csv targets.csv -o out.csv` (in this process) against `read_vector` of both",
        "files, the `gis` call and `gis.export` of its result to CSV: the same reading and writing, without",
        "the names, labels and origin positions the command adds.",
        "",
        *fmt_rows(cli_rows),
        "",
        "## Start-up",
        "",
        "Wall time depends on the load; the CPU time (user + system of the process) much less.",
        "",
        "| command | median wall (s) | median CPU (s) |",
        "|---|---:|---:|",
        *[f"| `{label}` | {t:.3f} | {c:.3f} |" for label, t, c in startup],
        "",
        "## Geocoding throughput",
        "",
        "Each run reads its table cold (the gazetteer forgets the texts it read before each call); the tables are those of",
        f"`bench/geocoding.py` at {10_000 if args.quick else 100_000:.0e} rows.",
        "",
        "| table | rows | rows/s (wall) | rows/s (CPU) |",
        "|---|---:|---:|---:|",
        *[f"| {label} | {n:,} | {rate:,.0f} | {crate:,.0f} |" for label, n, rate, crate in geocode],
        "",
        "## Memory",
        "",
        "Each call in a fresh process: peak RSS above the RSS before the call (inputs already built), the",
        "tracemalloc peak (Python and numpy only), and the result's own size (columns; geometries as 16 B per",
        "vertex).  *multiple* = peak RSS / result; *vs kernel* = peak RSS / the kernel's peak RSS (for the",
        "GeoParquet file: the peak includes reading it, and *kernel* is `gpd.read_parquet` + `gis.nearest`).",
        "",
        "| task | n | targets | result (MB) | peak RSS (MB) | tracemalloc (MB) | multiple | kernel peak RSS (MB) | vs kernel |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, rec, ker in mem:
        kp = f"{ker['peak_rss_mb']:.0f} | {rec['peak_rss_mb'] / max(ker['peak_rss_mb'], 1e-9):.2f}" if ker else "– | –"
        lines.append(f"| {label} | {rec['n']:,} | {rec['m']:,} | {rec['result_mb']:.0f} | {rec['peak_rss_mb']:.0f} | "
                     f"{rec['tracemalloc_mb']:.0f} | {rec['peak_rss_mb'] / max(rec['result_mb'], 1e-9):.2f} | {kp} |")
    if not args.small:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
