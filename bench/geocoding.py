"""Benchmark of table geocoding: whole rows repeated, distinct names at repeated places, distinct places.

Run from the repository root::

    python bench/geocoding.py            # 1e4 rows per table; writes bench/geocoding.md
    python bench/geocoding.py --small    # 500 rows, prints only (the smoke test in tests/test_bench_smoke.py)

The rows are drawn (seeded) from the plan tables shipped in ``layers/sources/*.csv`` (项目名称, 建设地点, 县区).
*Whole rows repeated*: the drawn rows as they are (a row met before is geocoded once).  *Distinct names*: the same
rows with every project name made unique (新建项目N号), so only the places repeat.  *Distinct places*: every place
text made unique as well (建设地点 + "N号地块").  The ratio of a table is its seconds over those of the
whole-rows-repeated table of the same size, measured in the same process (median of ``--repeat`` interleaved runs).
Before each call the gazetteer forgets the texts it has read (``Gazetteer._forget_texts``: the matches and geocodes it
keeps per text; its automaton and name rules stay), so every run reads its table cold, as one ``lzgis geocode`` does.
"""

from __future__ import annotations

import argparse
import glob
import os
import platform
import sys
import time
from pathlib import Path

from _machine import cpu_model  # bench/ is on sys.path when a script here runs

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gis  # noqa: E402
from gis._io import write_text  # noqa: E402
from gis.gazetteer import default_gazetteer  # noqa: E402


def tables(n: int) -> dict[str, pd.DataFrame]:
    plans = [pd.read_csv(f, dtype=str) for f in sorted(glob.glob(str(ROOT / "layers" / "sources" / "*.csv")))]
    rows = pd.concat(plans)[["name", "place", "county"]].fillna("")
    rows.columns = ["项目名称", "建设地点", "县区"]
    big = rows.iloc[np.random.default_rng(0).integers(0, len(rows), n)].reset_index(drop=True)
    names = big.assign(项目名称=[f"新建项目{i}号" for i in range(n)])
    places = names.assign(建设地点=[f"{p}{i}号地块" for i, p in enumerate(names["建设地点"])])
    return {"whole rows repeated": big, "distinct names, repeated places": names,
            "distinct names and places": places}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="500 rows, print only (smoke test)")
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = 500 if args.small else args.rows
    rep = 1 if args.small else args.repeat
    load0 = os.getloadavg()
    data = tables(n)
    gaz = default_gazetteer()
    # (a checkout before Gazetteer._forget_texts kept only the geocodes per text: this script measures it too)
    forget = getattr(gaz, "_forget_texts", None) or (lambda: gaz.__dict__.pop("_geocode_memo", None))
    gis.geocode_table(tables(200)["distinct names and places"], gazetteer=gaz)  # the gazetteer, automaton, pypinyin
    wall: dict[str, list[float]] = {k: [] for k in data}
    cpu: dict[str, list[float]] = {k: [] for k in data}
    for _ in range(rep):
        for label, table in data.items():
            forget()
            t, c = time.perf_counter(), time.process_time()
            gis.geocode_table(table, gazetteer=gaz)
            wall[label].append(time.perf_counter() - t)
            cpu[label].append(time.process_time() - c)
    load1 = os.getloadavg()
    base = float(np.median(wall["whole rows repeated"]))
    base_cpu = float(np.median(cpu["whole rows repeated"]))
    lines = [
        "# Table geocoding benchmark",
        "",
        f"`python bench/geocoding.py` on {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average {load0[0]:.1f} before, {load1[0]:.1f} after (the machine is shared: the CPU column moves "
        "less than the wall one).",
        "",
        f"{n:,} rows drawn from the shipped plan tables, medians of {rep} interleaved runs, each read cold (the "
        "gazetteer forgets the texts it read before each call); ratio = seconds (wall, CPU = `time.process_time`) "
        "over those of the whole-rows-repeated table.",
        "",
        "| table | rows | seconds (wall) | seconds (CPU) | rows/s (wall) | rows/s (CPU) | ratio (wall) | ratio (CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label in data:
        s, c = float(np.median(wall[label])), float(np.median(cpu[label]))
        lines.append(f"| {label} | {n:,} | {s:.3g} | {c:.3g} | {n / s:,.0f} | {n / c:,.0f} | {s / base:.2f} | "
                     f"{c / base_cpu:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.small:
        write_text(Path(__file__).with_name("geocoding.md"), text)


if __name__ == "__main__":
    main()
