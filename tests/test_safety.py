"""Outputs are all-or-nothing, concurrent runs lose no record, faults are one-line errors (issue 13.2, 13.3, 13.9).

Faults are real where the machine allows it: a size-limited tmpfs (disk full), a read-only mount, ``kill -9`` of a
running process, ten processes writing into one folder.  Where a fault cannot be produced for real at a given
step, an ``OSError(ENOSPC)`` is injected at that step (every file-system write of a run, one at a time).
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from gis._io import TEMP_PREFIX, Staging, atomic_write, clean_stale, folder_lock, publish, temp_path

from cli_testing import invoke  # tests/cli_testing.py

LZGIS = [sys.executable, "-m", "gis.cli"]
TABLE = pd.DataFrame({"项目名称": ["柳州站", "=HYPERLINK(\"http://x\",\"点我\")", "鹿寨站"],
                      "lon": [109.3968, 109.3917, 109.7397], "lat": [24.3122, 24.2078, 24.4728],
                      "code": ["-12", "@SUM(1)", "+86"], "amount": [-5.5, 3.0, -1.0]})


def state(folder: Path) -> dict[str, str]:
    """Every entry of a folder (recursively) with the SHA-256 of its content."""
    out = {}
    for p in sorted(folder.rglob("*")):
        out[p.relative_to(folder).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return out


def temps(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob(f"{TEMP_PREFIX}*")]


def one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = [line for line in result.stderr.splitlines() if line.startswith("lzgis: ")]
    errors = [line for line in lines if line.startswith("lzgis: error:")]
    assert len(errors) == 1 and "internal error" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def manifest_runs(folder: Path) -> list[dict]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["runs"]


def assert_manifest_matches_files(folder: Path) -> None:
    """The last record of every output names the file's current hash (and its Shapefile parts')."""
    last: dict[str, dict] = {}
    for run in manifest_runs(folder):
        for out in run["outputs"]:
            last[out["path"]] = out
    assert last
    for rel, out in last.items():
        path = folder / rel
        assert hashlib.sha256(path.read_bytes()).hexdigest() == out["sha256"], rel
        for part, digest in out.get("parts", {}).items():
            assert hashlib.sha256((folder / part).read_bytes()).hexdigest() == digest, part


# ---------------------------------------------------------------- the file primitives

def test_publish_is_exclusive_and_leaves_the_other_writers_file(tmp_path):
    staging = Staging()
    staging.path(tmp_path / "a.csv").write_text("mine", encoding="utf-8")
    staging.path(tmp_path / "b.csv").write_text("mine too", encoding="utf-8")
    (tmp_path / "b.csv").write_text("theirs", encoding="utf-8")  # another run wrote b meanwhile
    with pytest.raises(FileExistsError, match="b.csv already exists"):
        staging.commit(overwrite=False)
    staging.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.csv"]  # a.csv was taken back: all or none
    assert (tmp_path / "b.csv").read_text(encoding="utf-8") == "theirs"


def test_publish_overwrite_rolls_back_to_the_previous_files(tmp_path):
    (tmp_path / "a.csv").write_text("old a", encoding="utf-8")
    (tmp_path / "b.csv").write_text("old b", encoding="utf-8")
    new_a, new_b = temp_path(tmp_path, "a"), temp_path(tmp_path, "b")
    new_a.write_text("new a", encoding="utf-8")
    new_b.write_text("new b", encoding="utf-8")
    published = publish([(new_a, tmp_path / "a.csv"), (new_b, tmp_path / "b.csv")], overwrite=True)
    assert (tmp_path / "a.csv").read_text(encoding="utf-8") == "new a"
    published.rollback()  # e.g. the manifest could not be written
    assert (tmp_path / "a.csv").read_text(encoding="utf-8") == "old a"
    assert (tmp_path / "b.csv").read_text(encoding="utf-8") == "old b"
    assert temps(tmp_path) == []


def test_atomic_write_without_overwrite_never_replaces(tmp_path):
    target = tmp_path / "a.txt"
    with pytest.raises(FileExistsError):
        with atomic_write(target, overwrite=False) as tmp:
            tmp.write_text("new", encoding="utf-8")
            target.write_text("created meanwhile", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "created meanwhile"
    assert temps(tmp_path) == []


def test_clean_stale_removes_only_dead_writers_leftovers(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    from gis._io import _host_tag, _start_time

    stale = tmp_path / f"{TEMP_PREFIX}{_host_tag()}-{dead.pid}-123-abcd-run"
    stale.mkdir()
    (stale / "big.html").write_bytes(b"x" * 1000)
    mine = temp_path(tmp_path, "x.csv")
    mine.write_text("in progress", encoding="utf-8")
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        theirs = tmp_path / f"{TEMP_PREFIX}{_host_tag()}-{alive.pid}-{_start_time(alive.pid) or 0}-abcd-y.csv"
        theirs.write_text("in progress", encoding="utf-8")
        reused = tmp_path / f"{TEMP_PREFIX}{_host_tag()}-{alive.pid}-1-abcd-z.csv"  # same pid, other start time
        reused.write_text("left by a dead process whose pid was reused", encoding="utf-8")
        other_host = tmp_path / f"{TEMP_PREFIX}ffffff-{dead.pid}-1-abcd-w.csv"
        other_host.write_text("another machine's run on a shared folder", encoding="utf-8")
        user_file = tmp_path / ".lzgis-notes.txt"
        user_file.write_text("not ours", encoding="utf-8")
        removed = clean_stale(tmp_path)
        expect_reused = _start_time(alive.pid) is not None
        assert sorted(p.name for p in removed) == sorted([stale.name] + ([reused.name] if expect_reused else []))
        assert mine.exists() and theirs.exists() and other_host.exists() and user_file.exists()
    finally:
        alive.kill()
        alive.wait()


def test_folder_lock_serialises_processes(tmp_path):
    # the holder keeps the lock until told to let go (a file), so a loaded machine cannot make it let go early
    code = ("import os, sys, time; from gis._io import folder_lock\n"
            "with folder_lock(sys.argv[1]):\n"
            "    open(sys.argv[2], 'w').write('locked')\n"
            "    while not os.path.exists(sys.argv[3]): time.sleep(0.01)\n")
    flag, release = tmp_path / "flag", tmp_path / "release"
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path), str(flag), str(release)])
    try:
        for _ in range(2000):
            if flag.exists():
                break
            time.sleep(0.01)
        assert flag.exists()
        timer = threading.Timer(0.5, release.touch)
        start = time.monotonic()
        timer.start()
        with folder_lock(tmp_path):
            waited = time.monotonic() - start
            assert release.exists()  # we got the lock only after the other process was told to release it
        assert waited >= 0.5
    finally:
        release.touch()
        holder.wait()
    assert not any(p.name.endswith(".lock") for p in tmp_path.iterdir())  # flock on the folder: no lock file


# ---------------------------------------------------------------- concurrent runs

def test_ten_concurrent_runs_into_one_folder_each_leave_their_record(tmp_path):
    out = tmp_path / "out"
    procs = [subprocess.Popen([*LZGIS, "-q", "export", "airports", "-o", str(out / f"a{i}.geojson")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(10)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert all(rc == 0 for rc, _ in results), results
    runs = manifest_runs(out)
    assert sorted(r["outputs"][0]["path"] for r in runs) == sorted(f"a{i}.geojson" for i in range(10))
    assert_manifest_matches_files(out)
    assert temps(out) == []


def test_two_runs_to_the_same_output_one_wins_and_the_record_matches(tmp_path):
    out = tmp_path / "out"
    args = [*LZGIS, "-q", "export", "railway_stations", "-o", str(out / "s.shp")]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    codes = sorted(rc for rc, _ in results)
    assert codes == [0, 2, 2], results
    for rc, err in results:
        if rc == 2:
            assert err.count("lzgis: error:") == 1 and "already exists" in err, err
    assert len(manifest_runs(out)) == 1
    assert_manifest_matches_files(out)
    assert temps(out) == []


def test_overlapping_overwrites_never_interleave_shapefile_parts(tmp_path):
    out = tmp_path / "out"
    layers = ["railway_stations", "airports", "railway_stations", "airports"]
    procs = [subprocess.Popen([*LZGIS, "-q", "export", name, "-o", str(out / "s.shp"), "--overwrite"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for name in layers]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    for p in procs:
        p.stderr.close()
    assert all(rc == 0 for rc, _ in results), results
    assert len(manifest_runs(out)) == 4
    assert_manifest_matches_files(out)  # the parts on disk are the last recorded run's, all of them


def test_the_manifest_is_never_an_output(tmp_path):
    invoke("export", "airports", "-o", str(tmp_path / "a.geojson"))
    before = state(tmp_path)
    for name in ("manifest.json", f"{TEMP_PREFIX}x.csv"):
        one_line_error(invoke("export", "airports", "-o", str(tmp_path / name), "--overwrite"), name)
    assert state(tmp_path) == before


# ---------------------------------------------------------------- faults

_WRITE_CALLS = ("open", "link", "replace", "mkdir")


class _Faults:
    """Counts the file-system writes of a run and fails the n-th with ENOSPC."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_at: int | None, code: int = errno.ENOSPC) -> None:
        self.count, self.fail_at, self.code = 0, fail_at, code
        self.steps: list[str] = []
        real_open, real_link, real_replace, real_mkdir = builtins.open, os.link, os.replace, os.mkdir
        real_os_open = os.open

        def hit(step: str, path) -> None:
            self.count += 1
            self.steps.append(f"{step} {Path(str(path)).name}")
            if self.count == self.fail_at:
                raise OSError(self.code, os.strerror(self.code), str(path))

        def fake_open(file, mode="r", *args, **kwargs):
            if isinstance(file, (str, os.PathLike)) and any(c in mode for c in "wxa"):
                hit("open", file)
            return real_open(file, mode, *args, **kwargs)

        def fake_os_open(path, flags, *args, **kwargs):
            if flags & os.O_CREAT:
                hit("os.open", path)
            return real_os_open(path, flags, *args, **kwargs)

        def fake_link(src, dst, *args, **kwargs):
            hit("link", dst)
            return real_link(src, dst, *args, **kwargs)

        def fake_replace(src, dst, *args, **kwargs):
            hit("replace", dst)
            return real_replace(src, dst, *args, **kwargs)

        def fake_mkdir(path, *args, **kwargs):
            hit("mkdir", path)
            return real_mkdir(path, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", fake_open)
        monkeypatch.setattr(io, "open", fake_open)
        monkeypatch.setattr(os, "open", fake_os_open)
        monkeypatch.setattr(os, "link", fake_link)
        monkeypatch.setattr(os, "replace", fake_replace)
        monkeypatch.setattr(os, "mkdir", fake_mkdir)


def _fault_case(tmp_path: Path, name: str) -> tuple[list[str], Path]:
    table = tmp_path / "in.csv"
    TABLE.to_csv(table, index=False, encoding="utf-8")
    out = tmp_path / name
    out.mkdir()
    return [str(table)], out


@pytest.mark.parametrize("verb", ["export-csv", "export-shp", "geocode"])
def test_disk_full_at_every_write_step_leaves_the_previous_state(tmp_path, monkeypatch, verb):
    inputs, out = _fault_case(tmp_path, verb)
    target = {"export-csv": "t.csv", "export-shp": "t.shp", "geocode": "t.csv"}[verb]
    args = (["geocode", inputs[0]] if verb == "geocode" else ["export", inputs[0]]) + ["-o", str(out / target)]
    first = invoke(*args)  # the previous state: a complete run
    assert first.exit_code == 0, first.output
    previous = state(out)
    with monkeypatch.context() as m:
        counter = _Faults(m, fail_at=None)
        ok = invoke(*args, "--overwrite")
        assert ok.exit_code == 0, ok.output
    steps = counter.steps
    assert any(s.startswith("open ") for s in steps) and any("manifest.json" in s for s in steps), steps
    previous = state(out)
    for n in range(1, len(steps) + 1):
        with monkeypatch.context() as m:
            _Faults(m, fail_at=n)
            result = invoke(*args, "--overwrite")
        where = steps[n - 1]
        if result.exit_code == 0:  # a failure the run survives (mkdir of a folder that exists) : a complete run
            assert_manifest_matches_files(out)
            assert temps(out) == [], where
            previous = state(out)
            continue
        one_line_error(result, "disk full", "Nothing was written")
        assert state(out) == previous, where
        assert temps(out) == [], where
    assert_manifest_matches_files(out)


def test_injected_read_only_and_permission_errors_are_one_line(tmp_path, monkeypatch):
    inputs, out = _fault_case(tmp_path, "ro")
    for code, words in ((errno.EROFS, "read-only"), (errno.EACCES, "permission denied")):
        with monkeypatch.context() as m:
            _Faults(m, fail_at=1, code=code)
            result = invoke("export", inputs[0], "-o", str(out / "t.csv"))
        one_line_error(result, words)
        assert "reading" not in result.stderr  # the probe of the folder refused it before the input was read
    assert state(out) == {}


@pytest.fixture
def small_disk(tmp_path):
    """A real 256 KiB tmpfs (root and mount permission needed; skipped otherwise)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_real_full_disk_and_a_read_only_disk(small_disk, tmp_path):
    ok = subprocess.run([*LZGIS, "-q", "export", "airports", "-o", str(small_disk / "a.geojson")],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    before = state(small_disk)
    for suffix in ("gpkg", "shp"):  # neighbours (polygons): more than fits in what is left (GDAL writes both)
        full = subprocess.run([*LZGIS, "-q", "export", "neighbours", "-o", str(small_disk / f"v.{suffix}")],
                              capture_output=True, text=True)
        assert full.returncode == 2, (suffix, full.stderr)
        assert full.stderr.count("lzgis: error:") == 1 and "disk full" in full.stderr, full.stderr
        assert state(small_disk) == before, suffix
        assert temps(small_disk) == []
    # a rerun that fits succeeds, the record holds both completed runs
    again = subprocess.run([*LZGIS, "-q", "export", "airports", "-o", str(small_disk / "b.geojson")],
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert len(manifest_runs(small_disk)) == 2
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    before = state(small_disk)
    start = time.monotonic()
    ro = subprocess.run([*LZGIS, "-q", "export", "villages", "-o", str(small_disk / "c.csv")],
                        capture_output=True, text=True)
    assert ro.returncode == 2 and ro.stderr.count("lzgis: error:") == 1 and "read-only" in ro.stderr, ro.stderr
    assert "reading" not in ro.stderr  # refused before the input was read
    assert state(small_disk) == before


def test_kill_9_during_a_write_then_a_rerun_succeeds_and_cleans_up(tmp_path):
    out = tmp_path / "maps"
    proc = subprocess.Popen([*LZGIS, "-q", "maps", "-o", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):  # wait until it is writing into its staging folder
            if out.exists() and any(p.is_dir() and any(p.iterdir()) for p in out.glob(f"{TEMP_PREFIX}*")):
                break
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the map build finished before it could be killed"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert temps(out), "the killed run left its staging folder (as kill -9 does)"
    assert not any(p.suffix == ".html" for p in out.iterdir())  # no map half-published
    assert not (out / "manifest.json").exists()
    rerun = subprocess.run([*LZGIS, "-q", "export", "airports", "-o", str(out / "a.geojson")],
                           capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert temps(out) == []  # the dead run's leftovers were removed
    assert [r["verb"] for r in manifest_runs(out)] == ["export"]


# ---------------------------------------------------------------- the manifest is portable

def test_manifest_paths_are_relative_unless_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the command line as typed is kept; here it holds relative paths only
    out = tmp_path / "out"
    table = tmp_path / "data" / "in.csv"
    table.parent.mkdir()
    TABLE.to_csv(table, index=False, encoding="utf-8")
    assert invoke("export", "data/in.csv", "-o", "out/t.csv").exit_code == 0
    run = manifest_runs(out)[0]
    text = json.dumps(run, ensure_ascii=False)
    assert str(tmp_path) not in text and os.getcwd() not in text and sys.executable not in text
    assert run["inputs"][0]["path"] == "../data/in.csv" and run["outputs"][0]["path"] == "t.csv"
    assert run["argv"][0] == "lzgis" and "cwd" not in run
    assert invoke("export", "data/in.csv", "-o", "out/u.csv", "--absolute-paths").exit_code == 0
    run = manifest_runs(out)[1]
    assert run["inputs"][0]["path"] == str(table.resolve()) and run["outputs"][0]["path"] == str(out / "u.csv")
    assert run["cwd"] == os.getcwd()


def test_committed_gallery_manifest_has_no_machine_paths():
    path = Path(__file__).resolve().parents[1] / "docs" / "gallery" / "manifest.json"
    text = path.read_text(encoding="utf-8")
    # no string of the record is an absolute path (POSIX, home-relative or a Windows drive), on any machine
    assert re.findall(r'"(?:/|~/|[A-Za-z]:\\\\)[^"]*"', text) == []
    for marker in ("site-packages", '"cwd"'):
        assert marker not in text, marker
    for run in json.loads(text)["runs"]:
        for entry in run["inputs"] + run["outputs"]:
            if "path" in entry:
                assert not Path(entry["path"]).is_absolute(), entry["path"]
