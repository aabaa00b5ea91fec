"""Benchmark: file size and load time of each default web map in headless Chromium.

Builds the default maps into a temporary folder, opens each one five times with
the network cut off (a fresh browser context each time, so nothing is cached)
and records the time from navigation start until the map script has drawn
every layer (``window.lzReadyMs``).  Writes ``bench/maps.md``.

Run: ``python bench/maps.py``; ``--small`` builds the HTML maps only, loads each once and writes nothing
(the smoke test of tests/test_bench_smoke.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

sys.path.insert(0, str(HERE))
from _machine import cpu_model  # noqa: E402
from browser import ARGS, CHROMIUM, open_page  # noqa: E402

from gis.maps_default import build_default_maps  # noqa: E402

RUNS = 5


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="HTML only, one load per map, write nothing")
    args = ap.parse_args()
    runs = 1 if args.small else RUNS
    load0 = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        paths = build_default_maps(tmp)
        build_s = time.perf_counter() - start
        printed, print_s = [], 0.0
        if not args.small:
            start = time.perf_counter()
            printed = [p for p in build_default_maps(Path(tmp) / "print", print_formats=("pdf",))
                       if p.suffix == ".pdf"]
            print_s = time.perf_counter() - start - build_s  # the HTML maps again, then their A3 PDFs
        pdf_kib = {p.with_suffix(".html").name: p.stat().st_size / 1024 for p in printed}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for path in paths:
                times, features, layers, symbols = [], 0, 0, 0
                for _ in range(runs):
                    with open_page(browser, path, width=1366, height=768) as (page, log):
                        times.append(page.evaluate("window.lzReadyMs"))
                        features = page.evaluate("lzState.records.reduce((n, r) => n + r.data.features.length, 0)")
                        symbols = page.evaluate("lzState.records.reduce((n, r) => n + r.features.length, 0)")
                        layers = page.evaluate("lzState.records.length")
                        assert not log.blocked, log.blocked
                rows.append((path.name, path.stat().st_size, layers, features, symbols, statistics.median(times),
                             max(times), pdf_kib.get(path.name, 0)))
            browser.close()

    lines = [
        "# Default web maps: size and load time",
        "",
        f"`python bench/maps.py{' --small' if args.small else ''}` on {cpu_model()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, headless Debian Chromium; load average {load0[0]:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after (the machine may be shared: load times move with it). "
        f"Network blocked, {runs} cold loads each (new browser context). Load time = navigation start until "
        "every layer, control and the legend are drawn (`window.lzReadyMs`). "
        f"Building all maps took {build_s:.1f} s; printing their A3 PDFs (matplotlib, no browser) "
        f"{print_s:.1f} s more. Window 1366×768. Symbols = what is drawn after features at one spot (or known only "
        "to their township, county or the city) are merged into counted symbols.",
        "",
        "| map | size (KiB) | layers | features | symbols | load median (ms) | load max (ms) | A3 PDF (KiB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, size, layers, features, symbols, median, worst, pdf in rows:
        lines.append(f"| {name} | {size / 1024:.0f} | {layers} | {features} | {symbols} | {median:.0f} | "
                     f"{worst:.0f} | {pdf:.0f} |")
    text = "\n".join(lines) + "\n"
    if not args.small:
        (HERE / "maps.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
