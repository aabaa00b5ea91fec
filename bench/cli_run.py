"""Benchmark: `lzgis run` (5 HTML + 5 A3 PDF maps and the analysis tables) now and at an earlier commit.

Both are the real command line in a fresh process, run alternately (base, head, base, head …) on the same
machine: the base commit is installed (no dependencies, the same Python packages) into a temporary folder
from a temporary git worktree, the head is this checkout. Wall seconds and the children's CPU seconds are
recorded, with the load average. Writes ``bench/cli_run.md``.

The default base is the commit before issue 21's print work (``2775a76``): issue 21 asked for `lzgis run`
"well under half of today's time".

Run: ``python bench/cli_run.py [--base COMMIT] [--runs N]``; ``--small`` times one small map (head only) and
writes nothing (the smoke test of tests/test_bench_smoke.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _machine import cpu_model  # noqa: E402

BASE = "2775a76"
CLI = "import sys; from gis.cli import main; sys.argv[0] = 'lzgis'; sys.exit(main())"


def _timed(argv: list[str], *, env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall s, CPU s of the child) of one command; raises if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, encoding="utf-8")
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _install_base(commit: str, into: Path) -> Path:
    """The package of ``commit`` installed (no dependencies) into ``into``; returns the folder for PYTHONPATH."""
    tree = into / "src"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), commit], check=True)
    try:
        target = into / "site"
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                        "--target", str(target), str(tree)], check=True, capture_output=True)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    return target


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default=BASE, help="the earlier commit to compare with (default %(default)s)")
    ap.add_argument("--runs", type=int, default=2, help="runs of each (default %(default)s)")
    ap.add_argument("--small", action="store_true", help="one small map, head only; write nothing")
    args = ap.parse_args()
    load0 = os.getloadavg()
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1765065600", "PYTHONHASHSEED": "0"}
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lzgis-bench-run-") as tmp:
        tmp_path = Path(tmp)
        head_env = {**env, "PYTHONPATH": str(ROOT)}
        if args.small:
            argv = [sys.executable, "-c", CLI, "-q", "map", "--layer", "airports", "-o", str(tmp_path / "a.pdf")]
            wall, cpu = _timed(argv, env=head_env, cwd=tmp_path)
            rows.append(f"| head: lzgis map --layer airports (A3 PDF) | {wall:.1f} | {cpu:.1f} | - | - |")
        else:
            base_site = _install_base(args.base, tmp_path / "base")
            base_env = {**env, "PYTHONPATH": str(base_site)}
            times: dict[str, list[tuple[float, float]]] = {"base": [], "head": []}
            for k in range(args.runs):
                for name, run_env in (("base", base_env), ("head", head_env)):
                    out = tmp_path / f"{name}{k}"
                    argv = [sys.executable, "-c", CLI, "-q", "run", "-o", str(out)]
                    times[name].append(_timed(argv, env=run_env, cwd=tmp_path))
                    shutil.rmtree(out, ignore_errors=True)
            med = {n: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t)) for n, t in times.items()}
            for name in ("base", "head"):
                label = f"base {args.base}" if name == "base" else "head (this checkout)"
                each = ", ".join(f"{w:.1f}" for w, _ in times[name])
                rows.append(f"| {label}: lzgis run | {med[name][0]:.1f} | {med[name][1]:.1f} | {each} | "
                            f"{med[name][0] / med['base'][0]:.2f} |")
    load1 = os.getloadavg()
    head = (f"`python bench/cli_run.py{' --small' if args.small else ''}` on {cpu_model()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}; load average {load0[0]:.1f} before, {load1[0]:.1f} after "
            "(the machine may be shared: the CPU column moves less than the wall one).")
    table = ["| command | wall s (median) | CPU s (median) | wall s of each run | ratio to base (wall) |",
             "|---|---:|---:|---|---:|", *rows]
    text = "\n".join(["# `lzgis run`, end to end", "", head, "",
                      "Both are the real command line in fresh processes, run alternately; the base is installed "
                      "from its commit into a temporary folder with the same Python packages. `lzgis run` writes "
                      "the 5 default web maps, their 5 A3 PDFs and the analysis tables.", "", *table, ""])
    print(text)
    if not args.small:
        (HERE / "cli_run.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
