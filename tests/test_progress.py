"""Progress on a terminal's stderr (gis._progress, shown by lzgis): only there, never on stdout, off with -q or a pipe.

The real ``lzgis`` runs with its stderr on a pseudo-terminal (``os.openpty``); ``LZGIS_PROGRESS_AFTER=0`` (a private
switch) shows a bar at once instead of after 2 s of work, so the test does not depend on the machine's speed.
"""

from __future__ import annotations

import fcntl
import io
import os
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gis
from gis._progress import listening, task

LZGIS = [sys.executable, "-m", "gis"]


def _origins(tmp_path: Path, n: int = 3000) -> Path:
    rng = np.random.default_rng(7)
    table = pd.DataFrame({"名称": [f"点{i}" for i in range(n)], "经度": rng.uniform(108.9, 109.9, n).round(6),
                          "纬度": rng.uniform(24.0, 25.5, n).round(6)})
    path = tmp_path / "起点.csv"
    table.to_csv(path, index=False, encoding="utf-8")
    return path


def _run(args: list[str], *, tmp_path: Path, tag: str, tty: bool, after_s: str | None = "0") -> tuple[int, bytes, bytes]:
    """Run lzgis with stdout into a file and stderr on a pseudo-terminal (``tty``) or a pipe: (code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "LZGIS_PROGRESS_AFTER"}
    if after_s is not None:
        env["LZGIS_PROGRESS_AFTER"] = after_s
    out_path = tmp_path / f"{tag}.stdout"
    with open(out_path, "wb") as out:
        if not tty:
            done = subprocess.run(LZGIS + args, stdout=out, stderr=subprocess.PIPE, cwd=tmp_path, env=env,
                                  timeout=600)
            return done.returncode, out_path.read_bytes(), done.stderr
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))  # a 120-column terminal
        try:
            proc = subprocess.Popen(LZGIS + args, stdout=out, stderr=slave, stdin=subprocess.DEVNULL, cwd=tmp_path,
                                    env=env)
        finally:
            os.close(slave)
        seen = bytearray()
        try:
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every holder of the terminal's other end has closed it
                    break
                if not chunk:
                    break
                seen += chunk
        finally:
            os.close(master)
            code = proc.wait(timeout=600)
    return code, out_path.read_bytes(), bytes(seen)


def test_progress_shows_on_a_terminal_and_nowhere_else(tmp_path):
    origins = _origins(tmp_path)
    args = ["nearest", str(origins), "county_seats", "-k", "2", "-o", "-"]
    code, stdout_tty, stderr_tty = _run(args, tmp_path=tmp_path, tag="tty", tty=True)
    assert code == 0, stderr_tty.decode("utf-8", "replace")
    shown = stderr_tty.decode("utf-8")
    # a bar per piece of work, in Chinese: reading the origins, the nearest targets chunk by chunk, writing out
    for label in ("读取 起点.csv", "读取 county_seats", "计算 最近目标", "写出 标准输出"):
        assert label in shown, shown
    assert re.search(r"计算 最近目标: +\d+%\|.*\| [01]/1 ", shown), shown  # the chunks of origins, counted
    assert "\r" in shown  # a bar redrawn in place
    table = pd.read_csv(io.BytesIO(stdout_tty))
    assert len(table) == 6000 and table["dist_m"].notna().all()  # stdout holds the result only

    code, stdout_quiet, stderr_quiet = _run(["-q", *args], tmp_path=tmp_path, tag="quiet", tty=True)
    quiet = stderr_quiet.decode("utf-8").replace("\r\n", "\n")  # the terminal ends lines with CR LF
    assert code == 0 and quiet.splitlines() and all(line.startswith("lzgis: warning: ") for line in quiet.splitlines())
    assert "\r" not in quiet and "\x1b" not in quiet  # -q: the warnings only, no step line, no bar
    code, stdout_pipe, stderr_pipe = _run(args, tmp_path=tmp_path, tag="pipe", tty=False)
    assert code == 0
    text = stderr_pipe.decode("utf-8")
    assert "lzgis: nearest: 3000 origins × 10 targets" in text  # the step lines stay, as in a CI log
    assert not any(label in text for label in ("读取", "计算", "写出")) and "\r" not in text and "\x1b" not in text
    assert stdout_tty == stdout_quiet == stdout_pipe  # stdout byte for byte the same, bar or no bar


def test_a_geocoded_table_written_to_a_file_shows_locating_and_writing(tmp_path):
    rows = [("鹿寨物流园", "鹿寨镇", ""), ("柳城糖厂", "", "柳城县"), ("某项目", "不存在的地方", "")]
    frame = pd.DataFrame([rows[i % 3] for i in range(300)], columns=["项目名称", "建设地点", "县区"])
    frame.to_csv(tmp_path / "项目.csv", index=False, encoding="utf-8")
    code, stdout, stderr = _run(["geocode", "项目.csv", "-o", "定位.gpkg"], tmp_path=tmp_path, tag="geo", tty=True)
    shown = stderr.decode("utf-8")
    assert code == 0, shown
    assert re.search(r"定位 项目\.csv: +\d+%\|.*\| \d+/300 ", shown), shown  # the rows, counted
    assert "写出 定位.gpkg" in shown, shown
    assert stdout.decode("utf-8").splitlines() == [  # the summary only: no bar on stdout
        "300 rows: matched 200, unmatched 100", "levels: township 100, county 100, (none) 100", "wrote 定位.gpkg",
        "wrote 定位.report.csv", "recorded the run in manifest.json"]
    assert (tmp_path / "定位.gpkg").exists()


def test_short_work_shows_no_bar_by_default(tmp_path):
    # without the private switch a bar waits 2 s of work: `lzgis layers` is done long before
    code, stdout, stderr = _run(["layers"], tmp_path=tmp_path, tag="layers", tty=True, after_s=None)
    assert code == 0 and b"county_seats" in stdout
    assert "\r" not in stderr.decode("utf-8")


class _Recorder:
    """A listener keeping what it was told (the CLI's listener draws tqdm bars instead)."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def start(self, label: str, total: int | None, unit: str) -> _Recorder:
        self.events.append(("start", label, total, unit))
        return self

    def advance(self, n: int) -> None:
        self.events.append(("advance", n))

    def close(self) -> None:
        self.events.append(("close",))


def test_the_library_reports_its_rows_only_to_a_listener(capfd):
    rows = [("鹿寨物流园", "鹿寨镇", ""), ("柳城糖厂", "", "柳城县")]
    frame = pd.DataFrame([rows[i % 2] for i in range(40)], columns=["项目名称", "建设地点", "县区"])
    gis.geocode_table(frame)  # nobody listens: the library prints nothing
    assert capfd.readouterr() == ("", "")
    recorder = _Recorder()
    with listening(recorder):
        gis.geocode_table(frame)
    assert recorder.events[0] == ("start", "定位 表格", 40, "行") and recorder.events[-1] == ("close",)
    assert sum(e[1] for e in recorder.events if e[0] == "advance") == 40
    assert capfd.readouterr() == ("", "")


def test_a_failed_task_still_closes_its_bar():
    recorder = _Recorder()
    with listening(recorder), pytest.raises(ValueError):
        with task("计算", total=2) as advance:
            advance(1)
            raise ValueError("stop")
    assert recorder.events == [("start", "计算", 2, ""), ("advance", 1), ("close",)]
