"""Reading and writing CSV tables: gis against plain pandas, in one run (ratios, with the machine's load).

    python bench/tables.py            # 1e6 rows; writes bench/tables.md
    python bench/tables.py --small    # 1e4 rows, prints only (the smoke test in tests/test_bench_smoke.py)

Reading: ``gis.read_table`` (encoding detection, text kept as text, numbers only when nothing is lost,
spreadsheet row numbers, ragged rows refused) against ``pandas.read_csv(dtype=str)``, which does none of
that.  Writing: ``gis.export`` to CSV (text quoted, formula-like text neutralised, UTF-8 with BOM) against
``DataFrame.to_csv``.  Targets (issue 20): read ≤ 1.5x, write ≤ 1.3x.
"""

from __future__ import annotations

import argparse
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
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="1e4 rows, print only (smoke test)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
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
        base = best(lambda: pd.read_csv(plain, dtype=str), repeat)
        ours = best(lambda: read_table(plain), repeat)
        rows.append(("read CSV (unquoted)", ours, base, ours / base, 1.5))
        base_q = best(lambda: pd.read_csv(quoted, dtype=str), repeat)
        ours_q = best(lambda: read_table(quoted), repeat)
        rows.append(("read CSV (text quoted, as gis writes it)", ours_q, base_q, ours_q / base_q, None))
        out = Path(tmp) / "out.csv"
        base_w = best(lambda: table.to_csv(Path(tmp) / "pd.csv", index=False, encoding="utf-8-sig"), repeat)
        ours_w = best(lambda: export(table, out, overwrite=True), repeat)
        rows.append(("write CSV", ours_w, base_w, ours_w / base_w, 1.3))
        check = read_table(quoted)
        assert len(check) == n and check["区号"].iloc[0] == "0772" and check["人口"].dtype == "int64"
    load1 = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),)
    lines = ["| task | seconds | pandas | ratio | target |", "|---|---:|---:|---:|---:|"]
    for task, t, b, r, target in rows:
        lines.append(f"| {task} | {t:.3f} | {b:.3f} | {r:.2f}x | {'≤ %.1fx' % target if target else '-'} |")
    text = "\n".join([
        f"# CSV tables: gis against pandas ({n:,} rows × {table.shape[1]} columns)",
        "",
        *lines,
        "",
        f"`python bench/tables.py` on {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"pandas {pd.__version__}; best of {repeat}; load average {load0[0]:.1f} before, {load1[0]:.1f} after.",
        "",
        "pandas reads with `dtype=str` (no types, no checks); gis detects the encoding, keeps quoted cells and "
        "leading zeros as text, types the other columns, counts spreadsheet rows and refuses ragged rows. "
        "Writing, pandas `to_csv(encoding='utf-8-sig')`; gis quotes text, neutralises formula-like text and "
        "writes CRLF (RFC 4180).",
        "",
    ])
    print(text)
    if not args.small:
        (Path(__file__).with_suffix(".md")).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
