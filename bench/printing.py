"""Benchmark of the printed 专题图 (PDF): a large point layer, a second page in the same process; writes bench/printing.md.

Run from the repository root::

    python bench/printing.py            # 1e4 points (a few minutes under load)
    python bench/printing.py --small    # 300 points, prints only (the smoke test in tests/test_bench_smoke.py)

The kernel is plain matplotlib in the same process: one figure of the same A3 size with the same points drawn as one
scatter (one ``PathCollection``) and the same CJK font (``pdf.fonttype`` 42, as the page uses) for a title, saved
as PDF, i.e. what the points and one line of Chinese cost without a legend, labels or furniture.  Each figure is
the median of ``--repeat`` runs, interleaved; the first page of the process (the CJK font opened, its glyphs
converted) is reported on its own.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from _machine import cpu_model  # bench/ is on sys.path when a script here runs

import geopandas as gpd
import matplotlib
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gis  # noqa: E402
from gis import printmap, webmap  # noqa: E402
from gis._io import write_text  # noqa: E402


def points(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(108.9, 110.1, n), rng.uniform(24.2, 26.0, n)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=4326)  # no names: no labels to place


def plain(pts: gpd.GeoDataFrame, path: Path) -> None:
    """The kernel: the same points as one scatter and a Chinese title, same font and PDF settings."""
    import matplotlib.pyplot as plt

    family = printmap.cjk_font()
    with matplotlib.rc_context({"pdf.fonttype": 42, "font.family": [family]}):
        fig = plt.figure(figsize=(420 / 25.4, 297 / 25.4))
        ax = fig.add_axes([0.05, 0.05, 0.7, 0.85])
        xy = pts.to_crs(gis.settings.analysis_crs).get_coordinates().to_numpy()
        ax.scatter(xy[:, 0], xy[:, 1], s=8, c="#d62728", edgecolors="#333333", linewidths=0.4)
        fig.text(0.5, 0.97, "柳州市项目分布图(基准)", ha="center", fontsize=20)
        fig.savefig(path, format="pdf")
        plt.close(fig)


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="300 points, print only (smoke test)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = 300 if args.small else 10_000
    rep = 1 if args.small else args.repeat
    load0 = os.getloadavg()
    pts = points(n, 1)
    fmap = webmap.make_map([(pts, {"title": "项目", "kind": "point"})], title="柳州市项目分布图(基准)", base=["counties"])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        webmap.save_map(fmap, tmp / "first.pdf")
        first = time.perf_counter() - t
        t = time.perf_counter()
        webmap.save_map(fmap, tmp / "second.pdf")
        second = time.perf_counter() - t
        kern = timed(lambda: plain(pts, tmp / "plain.pdf"), rep)
        page = timed(lambda: webmap.save_map(fmap, tmp / "again.pdf"), rep)
        kib = (tmp / "again.pdf").stat().st_size / 1024
    load1 = os.getloadavg()
    rows.append((f"A3 PDF of {n:,} points, the first page of the process (font opened, glyphs converted)",
                 first, kern))
    rows.append((f"A3 PDF of {n:,} points, the second page (ratio to the first: {second / first:.2f})", second,
                 kern))
    rows.append((f"A3 PDF of {n:,} points, median of {rep} more ({kib:,.0f} KiB)", page, kern))
    lines = [
        "# Printed map (PDF) benchmark",
        "",
        f"`python bench/printing.py` on {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"matplotlib {matplotlib.__version__}; load average {load0[0]:.1f} before, {load1[0]:.1f} after "
        "(the machine is shared: absolute seconds are noisy, the ratios less so).",
        "",
        "`kernel` = plain matplotlib in the same process: the same points as one `scatter` and a Chinese title in the "
        "same CJK font (`pdf.fonttype` 42) on an A3 figure, saved as PDF (matplotlib subsets the system's CFF font "
        "itself).",
        "",
        "| task | seconds | kernel | ratio |",
        "|---|---|---|---|",
    ]
    lines += [f"| {name} | {s:.3g} | {k:.3g} | {s / k:.2f} |" for name, s, k in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.small:
        write_text(Path(__file__).with_name("printing.md"), text)


if __name__ == "__main__":
    main()
