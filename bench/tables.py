"""Reading and writing CSV tables: gis against plain pandas, in one run (ratios, with the machine's load).

    python bench/tables.py            # 1e6 rows; writes bench/tables.md
    python bench/tables.py --small    # 1e4 rows, prints only (the smoke test in tests/test_bench_smoke.py)

Reading: ``gis.read_table`` (encoding detection, text kept as text, numbers only when nothing is lost,
spreadsheet row numbers, ragged rows refused) against ``pandas.read_csv(dtype=str)``, which does none of
that.  Writing: ``gis.export`` to CSV (text quoted, formula-like text neutralised, UTF-8 with BOM) against
``DataFrame.to_csv``.  Targets (issue 20): read ≤ 1.5x, write ≤ 1.3x.

With pyarrow installed gis reads and writes CSV cells with arrow's kernels; without it, with pandas' C
parser and Python cell by cell (the code before issue 20 item 4).  ``--cli`` also times
``lzgis -q nearest origins.csv targets.csv -o out.csv`` (1e6 origins, 1e3 targets; CSV in and out) both ways,
in this process, interleaved: the gain a command line run sees.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _machine import cpu_model  # noqa: E402 - bench/ is on sys.path when a script here runs

from gis.readers import read_table  # noqa: E402
from gis.export import export  # noqa: E402


def make_table(n: int) -> pd.DataFrame:
    """``n`` project rows: a Chinese name, an area code with its leading zero, an integer, lon/lat, a note."""
    rng = np.random.default_rng(1)
    names = np.array(["柳州站", "鹿寨站", "融安县项目", "柳城县物流园", "三江侗族自治县学校"], dtype=object)
    return pd.DataFrame({
        "项目名称": names[rng.integers(0, len(names), n)] + pd.Series(np.arange(n)).astype(str).to_numpy(dtype=object),
        "区号": np.full(n, "0772", dtype=object),
        "人口": rng.integers(0, 100_000, n),
        "lon": np.round(rng.uniform(108.9, 110.0, n), 6),
        "lat": np.round(rng.uniform(24.0, 26.0, n), 6),
        "备注": np.where(rng.random(n) < 0.01, "-已核实", "新建"),
    })


def best(fn, repeat: int) -> float:
    """The best wall time of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def paired(ours, base, repeat: int) -> tuple[float, float, float, float]:
    """Interleaved runs: best wall and best CPU (time.process_time, all threads) of ``ours``, then of ``base``."""
    ow, oc, bw, bc = [], [], [], []
    for _ in range(repeat):
        for fn, wall, cpu_ in ((base, bw, bc), (ours, ow, oc)):
            w0 = time.perf_counter()
            c0 = time.process_time()
            fn()
            cpu_.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
    return min(ow), min(oc), min(bw), min(bc)


def pyarrow_version() -> str:
    try:
        import pyarrow
    except ImportError:
        return "not installed"
    return pyarrow.__version__


def cpu(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


@contextlib.contextmanager
def pandas_only():
    """gis without its pyarrow paths (as an install without pyarrow reads and writes CSV)."""
    modules = [importlib.import_module("gis._tables"), importlib.import_module("gis.export")]
    saved = [m._ARROW for m in modules]
    for m in modules:
        m._ARROW = False
    try:
        yield
    finally:
        for m, v in zip(modules, saved):
            m._ARROW = v


def cli_nearest(n: int, repeat: int, folder: Path) -> tuple[float, float, float, float]:
    """``lzgis nearest`` of n origins to 1000 targets, CSV in and out: (wall, CPU) with the pandas-only
    path and with the pyarrow path, medians of interleaved runs."""
    from gis.cli import main as lzgis

    rng = np.random.default_rng(2)
    for name, count in (("o.csv", n), ("t.csv", 1000)):
        pd.DataFrame({"名称": [f"点{i}" for i in range(count)], "经度": rng.uniform(109.2, 109.6, count).round(6),
                      "纬度": rng.uniform(24.2, 24.5, count).round(6)}).to_csv(folder / name, index=False)

    def run() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            status = lzgis(["-q", "nearest", str(folder / "o.csv"), str(folder / "t.csv"), "-o",
                            str(folder / "out.csv"), "--overwrite"])
        assert status == 0

    times: dict[str, list[tuple[float, float]]] = {"pandas": [], "arrow": []}
    for _ in range(repeat):
        for how in ("pandas", "arrow"):
            with pandas_only() if how == "pandas" else contextlib.nullcontext():
                w0 = time.perf_counter()
                c = cpu(run)
                times[how].append((time.perf_counter() - w0, c))
    med = {k: (float(np.median([w for w, _ in v])), float(np.median([c for _, c in v]))) for k, v in times.items()}
    return (*med["pandas"], *med["arrow"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="1e4 rows, print only (smoke test)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cli", action="store_true", help="also time lzgis nearest, pandas-only path vs pyarrow path")
    args = ap.parse_args()
    n = 10_000 if args.small else args.rows
    repeat = 1 if args.small else args.repeat
    load0 = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),)
    table = make_table(n)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.csv"  # as other programs write it: nothing quoted
        table.to_csv(plain, index=False, encoding="utf-8")
        quoted = Path(tmp) / "quoted.csv"  # as gis writes it: text quoted
        export(table, quoted, overwrite=True)
        for task, ours, base, target in (
            ("read CSV (unquoted)", lambda: read_table(plain), lambda: pd.read_csv(plain, dtype=str), 1.5),
            ("read CSV (text quoted, as gis writes it)", lambda: read_table(quoted),
             lambda: pd.read_csv(quoted, dtype=str), 1.5),
            ("write CSV", lambda: export(table, Path(tmp) / "out.csv", overwrite=True),
             lambda: table.to_csv(Path(tmp) / "pd.csv", index=False, encoding="utf-8-sig"), 1.3),
        ):
            rows.append((task, *paired(ours, base, repeat), target))
        with pandas_only():
            for task, ours, base, target in (
                ("read CSV (unquoted), without pyarrow", lambda: read_table(plain), lambda: pd.read_csv(plain, dtype=str), None),
                ("read CSV (quoted), without pyarrow", lambda: read_table(quoted),
                 lambda: pd.read_csv(quoted, dtype=str), None),
                ("write CSV, without pyarrow", lambda: export(table, Path(tmp) / "out.csv", overwrite=True),
                 lambda: table.to_csv(Path(tmp) / "pd.csv", index=False, encoding="utf-8-sig"), None),
            ):
                rows.append((task, *paired(ours, base, max(1, repeat - 1)), target))
        cli = cli_nearest(10_000 if args.small else 1_000_000, 1 if args.small else max(1, repeat - 1),
                          Path(tmp)) if args.cli or args.small else None
        check = read_table(quoted)
        assert len(check) == n and check["区号"].iloc[0] == "0772" and check["人口"].dtype == "int64"
    load1 = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),)
    lines = ["| task | gis s (wall) | pandas s (wall) | ratio (wall) | gis s (CPU) | pandas s (CPU) | ratio (CPU) "
             "| target | met |", "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for task, ow, oc, bw, bc, target in rows:
        met = "-" if target is None else ("yes" if max(ow / bw, oc / bc) <= target else
                                          "yes (CPU)" if oc / bc <= target else "no")
        lines.append(f"| {task} | {ow:.3f} | {bw:.3f} | {ow / bw:.2f}x | {oc:.3f} | {bc:.3f} | {oc / bc:.2f}x | "
                     f"{'≤ %.1fx' % target if target else '-'} | {met} |")
    cli_lines = []
    if cli is not None:
        pw, pc_, aw, ac = cli
        cli_lines = [
            "",
            f"`lzgis -q nearest` of {10_000 if args.small else 1_000_000:,} origins to 1,000 targets (CSV in, CSV out), "
            "in this process, median of interleaved runs:",
            "",
            "| path | wall s | CPU s |",
            "|---|---:|---:|",
            f"| pandas only (as before) | {pw:.2f} | {pc_:.2f} |",
            f"| pyarrow | {aw:.2f} | {ac:.2f} |",
            f"| gain | {pw / aw:.2f}x ({pw - aw:.1f} s) | {pc_ / ac:.2f}x ({pc_ - ac:.1f} s) |",
        ]
    text = "\n".join([
        f"# CSV tables: gis against pandas ({n:,} rows × {table.shape[1]} columns)",
        "",
        *lines,
        *cli_lines,
        "",
        f"`python bench/tables.py` on {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"pandas {pd.__version__}, pyarrow {pyarrow_version()}; best of {repeat} interleaved runs "
        f"(CPU: time.process_time, every thread); load average {load0[0]:.1f} before, {load1[0]:.1f} after.",
        "",
        "pandas reads with `dtype=str` (no types, no checks); gis detects the encoding, keeps quoted cells and "
        "leading zeros as text, types the other columns, counts spreadsheet rows and refuses ragged rows. "
        "Writing, pandas `to_csv(encoding='utf-8-sig')`; gis quotes text, neutralises formula-like text and "
        "writes CRLF (RFC 4180). The machine is shared: the CPU ratio is the steadier figure.",
        "",
    ])
    print(text)
    if not args.small:
        (Path(__file__).with_suffix(".md")).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
