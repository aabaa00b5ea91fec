"""Small file helpers shared by the build, the exports and the CLI: all-or-nothing writes.

Every file is written under a temporary name in its own folder (prefix
``.lzgis-tmp-``), then published by a rename or a hard link, so a reader never
sees half a file:

* :func:`atomic_write` -- one file; with ``overwrite=False`` the target is
  created *exclusively* (a hard link, which fails if another writer got there
  first), never replaced.
* :func:`publish` -- a set of files (Shapefile parts, a table and its report):
  every target gets its new content or, if any step fails, every target keeps
  its previous content (or stays absent).
* :class:`Staging` -- the CLI's run: outputs are written into a hidden staging
  folder and published together with the run's manifest entry.
* :func:`folder_lock` -- an exclusive lock on a folder (``flock`` on POSIX,
  the PyPI package ``filelock`` on Windows), held while a
  set of files is published and the manifest is appended to.  Its lock file
  is the hidden ``.lzgis.lock`` inside the folder (so runs on two computers
  writing into one network folder wait for each other) and is removed when the
  lock is let go; only a read-only folder is locked in the system's temporary
  folder instead.

Temporary names carry the writing process (``<host>-<pid>-<start time>``, the
start time from ``psutil``, on any OS), so :func:`clean_stale` can remove the
leftovers of a process that was killed (``kill -9``, power loss) without
touching those of a run still going.

Disk-full, read-only and permission errors become :class:`gis._errors.WriteError`
with one line naming the file and the fix (:func:`write_error`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._errors import WriteError

#: Prefix of every temporary file or folder this package creates beside its outputs.
TEMP_PREFIX = ".lzgis-tmp-"
#: errno values that mean "this place cannot be written" (reported as WriteError, not as a bug).
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}
_REASONS = {errno.ENOSPC: "no space left on the device (disk full)",
            errno.EDQUOT: "disk quota exceeded",
            errno.EFBIG: "file too large for this file system",
            errno.EROFS: "the file system is read-only",
            errno.EACCES: "permission denied",
            errno.EPERM: "operation not permitted"}


# ---------------------------------------------------------------- errors

def write_error(exc: OSError, path: str | os.PathLike) -> WriteError:
    """A one-line :class:`WriteError` for a failed write of ``path``.

    Examples
    --------
    >>> str(write_error(OSError(errno.ENOSPC, "No space left on device"), "out/a.csv"))  # doctest: +ELLIPSIS
    'cannot write out/a.csv: no space left on the device (disk full). Nothing was written...'
    """
    reason = _REASONS.get(exc.errno or 0, exc.strerror or str(exc))
    fix = {errno.ENOSPC: "free some space or write to another disk",
           errno.EDQUOT: "free some space or write to another disk",
           errno.EFBIG: "write to another file system (or GeoPackage instead of Shapefile)",
           errno.EROFS: "write to a folder on a writable disk (-o)"}.get(
        exc.errno or 0, "write to a folder you may write to (-o), or change its permissions")
    error = WriteError(exc.errno or errno.EIO,
                       f"cannot write {path}: {reason}. Nothing was written; {fix}.")
    return error


def is_write_error(exc: BaseException) -> bool:
    """True for an OSError meaning the place cannot be written (disk full, read-only, no permission)."""
    return isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS


@contextlib.contextmanager
def write_errors(path: str | os.PathLike) -> Iterator[None]:
    """Within the block, an OSError meaning the place cannot be written becomes :func:`write_error` of ``path``."""
    try:
        yield
    except OSError as exc:
        if is_write_error(exc):
            raise write_error(exc, path) from exc
        raise


# ---------------------------------------------------------------- temporary names

def _host_tag() -> str:
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def _start_time(pid: int) -> str | None:
    """The start time of process ``pid`` (centiseconds since the epoch, from psutil), or None where unknown."""
    import psutil

    try:
        return str(round(psutil.Process(pid).create_time() * 100))
    except (psutil.Error, OSError, ValueError):
        return None


_OWN_TAG: str | None = None


def _own_tag() -> str:
    global _OWN_TAG
    pid = os.getpid()
    if _OWN_TAG is None or _OWN_TAG.split("-")[1] != str(pid):  # recomputed after a fork
        _OWN_TAG = f"{_host_tag()}-{pid}-{_start_time(pid) or 0}"
    return _OWN_TAG


def temp_path(folder: str | os.PathLike, name: str) -> Path:
    """A fresh temporary path in ``folder`` that ends with ``name`` (drivers pick the format from the suffix).

    Examples
    --------
    >>> p = temp_path("out", "a.gpkg")
    >>> p.name.startswith(TEMP_PREFIX) and p.name.endswith("-a.gpkg")
    True
    """
    return Path(folder) / f"{TEMP_PREFIX}{_own_tag()}-{secrets.token_hex(4)}-{name}"


def _owner_alive(entry_name: str) -> bool:
    """Whether the process that made a temporary entry may still be running (unknown owners count as alive)."""
    parts = entry_name[len(TEMP_PREFIX):].split("-")
    if len(parts) < 4 or not parts[1].isdigit():
        return True
    host, pid, start = parts[0], int(parts[1]), parts[2]
    if host != _host_tag():
        return True  # another machine's run on a shared folder: not ours to judge
    if pid == os.getpid() and start == str(_start_time(pid) or 0):
        return True
    import psutil

    if not psutil.pid_exists(pid):
        return False
    now = _start_time(pid)
    return now is None or start == "0" or now == start  # a new process reusing the pid is not the owner


def clean_stale(folder: str | os.PathLike) -> list[Path]:
    """Remove temporary files and folders left in ``folder`` by processes that no longer run.

    Only entries named with :data:`TEMP_PREFIX` whose writer (host, pid and
    start time are in the name) is gone are removed; a run still writing keeps
    its files.  Returns the removed paths.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / f"{TEMP_PREFIX}{_host_tag()}-999999999-1-abcd-x.csv").write_text("half")
    >>> [p.name.endswith("x.csv") for p in clean_stale(d)], list(d.iterdir())
    ([True], [])
    """
    folder = Path(folder)
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX) or _owner_alive(entry.name):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except FileNotFoundError:
            pass  # another run cleaned it first
        except OSError:
            continue  # not ours to remove (permissions); leave it
        removed.append(entry)
    return removed


def check_writable(folder: str | os.PathLike) -> None:
    """Refuse early, before any heavy work, a folder that cannot be written (read-only, no permission).

    The nearest existing folder is probed by creating and removing a temporary
    file (``os.access`` is not enough: root passes it on a read-only mount).
    """
    folder = Path(folder)
    probe_dir = folder
    while not probe_dir.exists() and probe_dir != probe_dir.parent:
        probe_dir = probe_dir.parent
    if not probe_dir.is_dir():
        raise WriteError(errno.ENOTDIR, f"cannot write into {folder}: {probe_dir} is a file, not a folder.")
    probe = temp_path(probe_dir, "probe")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:  # named by the user's folder, never by the probe's temporary name
        if is_write_error(exc):
            raise write_error(exc, folder) from None
        raise WriteError(exc.errno or errno.EIO,
                         f"cannot write into {folder}: {exc.strerror or exc}. Nothing was written; write to a "
                         "folder on a normal disk you may write to (-o).") from None
    os.close(fd)
    probe.unlink(missing_ok=True)


# ---------------------------------------------------------------- locking

#: Name of the lock file a run holds in the folder it publishes into (hidden; removed when the run lets go).
LOCK_NAME = ".lzgis.lock"

_LOCKS: dict[tuple[int, int], list] = {}
_LOCKS_GUARD = threading.Lock()


def lock_file(folder: str | os.PathLike) -> Path:
    """The fallback lock file of ``folder``: in the system's temporary folder, named by its device and inode.

    Used only when ``folder`` itself cannot be written (read-only), where no
    other computer can publish either.  Every path of one folder (relative,
    through a symlink) gives the same file.
    """
    import tempfile

    info = os.stat(folder)
    digest = hashlib.sha1(f"{info.st_dev}:{info.st_ino}:{Path(folder).resolve()}".encode(
        "utf-8", "surrogateescape")).hexdigest()[:20]
    locks = Path(tempfile.gettempdir()) / "lzgis-locks"
    locks.mkdir(mode=0o777, exist_ok=True)
    with contextlib.suppress(OSError):  # shared by every user of the machine
        os.chmod(locks, 0o1777)
    return locks / f"{digest}.lock"


class _FlockFile:
    """An exclusive ``flock`` on a lock file that is removed on release (POSIX).

    Removing a lock file is safe only if every holder checks, once locked, that
    the file it locked is still the one at the path (a waiter may have opened
    the file just before the previous holder removed it): that check is the
    reason this is not :class:`filelock.FileLock`, which keeps its file so that
    waiters share one inode.  The file is removed *before* the lock is let go,
    so nobody can lock a file that is about to vanish without noticing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self, *, timeout_s: float, poll_s: float = 0.02) -> bool:
        import fcntl

        deadline = time.monotonic() + timeout_s
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0),
                         0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if time.monotonic() >= deadline:
                    return False
                time.sleep(poll_s)
                continue
            except BaseException:
                os.close(fd)
                raise
            try:
                mine, there = os.fstat(fd), os.stat(self.path, follow_symlinks=False)
                same = (mine.st_dev, mine.st_ino) == (there.st_dev, there.st_ino)
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                return True
            os.close(fd)  # the holder before us removed the file we locked: lock the new one

    def release(self) -> None:
        fd, self.fd = self.fd, None
        if fd is None:
            return
        try:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
        finally:
            os.close(fd)  # closing the descriptor lets the flock go


def _windows_lock(folder: Path) -> Any:  # pragma: no cover - Windows
    """The :class:`filelock.FileLock` of ``folder`` on Windows, where an open file cannot be removed and filelock
    removes its file on release: :data:`LOCK_NAME`, or the temporary folder's where ``folder`` is read-only."""
    import filelock

    path = folder / LOCK_NAME
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o666))
    except OSError as exc:
        if not is_write_error(exc):
            raise
        path = lock_file(folder)
    return filelock.FileLock(str(path), mode=0o666, thread_local=False)


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike, *, timeout_s: float = 600.0) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (re-entrant in one thread) while publishing into it.

    The lock file is :data:`LOCK_NAME` inside ``folder``, so runs on two
    computers writing into one network folder wait for each other (a lock file
    in each computer's temporary folder would not see the other).  It is
    removed when the lock is let go, so none is left among the outputs; only a
    run killed while holding it leaves the hidden file, which the next run
    reuses and removes.  Where ``folder`` cannot be written the lock file lives
    in the system's temporary folder (:func:`lock_file`).  The operating system
    lets the lock go when its holder dies (``kill -9``).  POSIX: ``flock``
    (:class:`_FlockFile`); Windows: :class:`filelock.FileLock`.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    info = os.stat(folder)
    key = (info.st_dev, info.st_ino)
    with _LOCKS_GUARD:
        held = _LOCKS.get(key)
        if held is not None and held[0] == threading.get_ident():
            held[1] += 1
            reentrant = True
        else:
            reentrant = False
    if reentrant:
        try:
            yield
        finally:
            with _LOCKS_GUARD:
                _LOCKS[key][1] -= 1
        return
    busy = WriteError(errno.EBUSY, f"{folder}: another run has held its lock for {timeout_s:g} s; "
                      "wait for it to finish or write into another folder.")
    lock: Any
    if os.name == "posix":
        lock = _FlockFile(folder / LOCK_NAME)
        try:
            got = lock.acquire(timeout_s=timeout_s)
        except OSError as exc:  # the folder cannot be written (read-only): nobody else can publish there either
            if not is_write_error(exc):
                raise
            lock = _FlockFile(lock_file(folder))
            got = lock.acquire(timeout_s=timeout_s)
        if not got:
            raise busy
    else:  # pragma: no cover - Windows
        import filelock

        lock = _windows_lock(folder)
        try:
            lock.acquire(timeout=timeout_s, poll_interval=0.02)
        except filelock.Timeout:
            raise busy from None
    with _LOCKS_GUARD:
        _LOCKS[key] = [threading.get_ident(), 1]
    try:
        yield
    finally:
        with _LOCKS_GUARD:
            _LOCKS.pop(key, None)
        lock.release()


# ---------------------------------------------------------------- a private test hook

#: Private test hook (tests/test_hostile_round3.py kills a run inside its publishing window): with
#: ``LZGIS_TEST_PAUSE=<stage>:<file>`` a run reaching ``<stage>`` creates ``<file>`` and sleeps 120 s there.
#: Stages: ``pending`` (entry written, nothing published), ``partial`` (first file of several published),
#: ``published`` (all files published, entry still pending).  Not an interface; never set it in real use.
_PAUSE_ENV = "LZGIS_TEST_PAUSE"


def _test_pause(stage: str) -> None:
    spec = os.environ.get(_PAUSE_ENV)
    if not spec or ":" not in spec:
        return
    wanted, signal_file = spec.split(":", 1)
    if wanted != stage:
        return
    Path(signal_file).write_text(stage, encoding="utf-8")
    time.sleep(120)


# ---------------------------------------------------------------- publishing

class Published:
    """The result of :func:`publish`: :meth:`rollback` restores the previous state, :meth:`done` keeps the new."""

    def __init__(self) -> None:
        self._undo: list[tuple[Path, Path | None]] = []  # (target, backup or None when it did not exist)

    def rollback(self) -> None:
        """Put every target back as it was before :func:`publish`."""
        for target, backup in reversed(self._undo):
            with contextlib.suppress(OSError):
                if backup is None:
                    target.unlink(missing_ok=True)
                else:
                    os.replace(backup, target)
        self._undo.clear()

    def done(self) -> None:
        """Keep the new files and drop the backups of the old ones."""
        for _, backup in self._undo:
            if backup is not None:
                with contextlib.suppress(OSError):
                    backup.unlink(missing_ok=True)
        self._undo.clear()


def _link_new(src: Path, dst: Path) -> None:
    """Create ``dst`` from ``src`` exclusively (FileExistsError if it exists), then drop ``src``."""
    try:
        os.link(src, dst)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if os.path.lexists(dst):  # no hard links here (FAT, some network shares): check, then rename
            raise FileExistsError(errno.EEXIST, "File exists", str(dst)) from None
        os.replace(src, dst)
        return
    src.unlink()


def publish(pairs: list[tuple[Path, Path]], *, overwrite: bool, _staged: bool = False) -> Published:
    """Move every ``(temporary, target)`` pair into place, all or none.

    Without ``overwrite`` each target is created exclusively: if any exists
    (another run wrote it meanwhile), the ones already placed are removed and
    :class:`FileExistsError` is raised.  With ``overwrite`` the previous files
    are kept as backups until the caller calls :meth:`Published.done` (or
    :meth:`Published.rollback` to restore them).  Call under
    :func:`folder_lock` when other processes may publish the same targets.
    """
    published = Published()
    dst = Path(pairs[0][1]) if pairs else Path()
    try:
        for src, dst in pairs:
            dst = Path(dst)
            if overwrite and os.path.lexists(dst):
                backup = temp_path(dst.parent, "old-" + dst.name)
                try:
                    os.link(dst, backup)
                except OSError:
                    shutil.copy2(dst, backup)
                try:
                    os.replace(src, dst)
                except BaseException:
                    backup.unlink(missing_ok=True)
                    raise
                published._undo.append((dst, backup))
            else:
                _link_new(Path(src), dst)
                published._undo.append((dst, None))
            if _staged and len(published._undo) == 1 and len(pairs) > 1:
                _test_pause("partial")
    except BaseException as exc:
        published.rollback()
        if isinstance(exc, FileExistsError):
            raise FileExistsError(
                errno.EEXIST, f"{dst} already exists (another run may have just written it); "
                "choose another output or pass --overwrite (overwrite=True) to replace it"
            ) from None
        if is_write_error(exc):
            raise write_error(exc, dst) from exc
        raise
    return published


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, suffix: str | None = None, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds.

    The temporary file keeps ``path``'s suffix (drivers such as GDAL pick the
    format from it) and does not exist yet (writers that refuse to overwrite
    create it themselves).  On error the temporary file is removed and ``path``
    is left as it was.  With ``overwrite=False`` an existing ``path`` (even one
    created meanwhile by another process) is never replaced: FileExistsError.
    Disk-full and permission errors become :class:`WriteError`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_write(target) as tmp:
    ...     _ = tmp.write_text("柳州", encoding="utf-8")
    >>> target.read_text(encoding="utf-8")
    '柳州'
    """
    path = Path(path)
    with write_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path.parent)
    name = path.name if suffix is None else path.stem + suffix
    tmp = temp_path(path.parent, name)
    try:
        with write_errors(path):
            yield tmp
        publish([(tmp, path)], overwrite=overwrite).done()
    finally:
        with contextlib.suppress(OSError):
            if tmp.is_dir():
                shutil.rmtree(tmp)
            else:
                tmp.unlink(missing_ok=True)


def write_text(path: str | os.PathLike, text: str, *, overwrite: bool = True) -> Path:
    """Write UTF-8 text atomically and return the path."""
    with atomic_write(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


class Staging:
    """Outputs of one run, written under hidden names and published together.

    :meth:`path` gives the temporary path an output is written to; :meth:`commit`
    publishes them all (all or none); :meth:`discard` removes whatever is left.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> s = Staging()
    >>> _ = s.path(d / "a.csv").write_text("1")
    >>> _ = s.path(d / "a.report.csv").write_text("2")
    >>> s.commit(overwrite=False).done(); s.discard()
    >>> sorted(p.name for p in d.iterdir())
    ['a.csv', 'a.report.csv']
    """

    def __init__(self) -> None:
        self._folders: dict[Path, Path] = {}
        self._targets: dict[Path, Path] = {}  # target -> temporary path
        self._retired: list[Path] = []  # files of a replaced output that the new one no longer has

    def folder(self, target_folder: str | os.PathLike) -> Path:
        """The (hidden) staging folder for outputs in ``target_folder``, created on first use."""
        target_folder = Path(target_folder)
        key = target_folder.resolve() if target_folder.exists() else target_folder.absolute()
        if key not in self._folders:
            with write_errors(target_folder):
                target_folder.mkdir(parents=True, exist_ok=True)
                staging = temp_path(target_folder, "run")
                staging.mkdir()
            self._folders[key] = staging
        return self._folders[key]

    def path(self, target: str | os.PathLike) -> Path:
        """Where to write ``target`` now (same file name, in the staging folder)."""
        target = Path(target)
        staged = self.folder(target.parent) / target.name
        self._targets[target] = staged
        return staged

    def adopt(self, staged: str | os.PathLike, target: str | os.PathLike) -> None:
        """Publish the already written ``staged`` file (inside a staging folder) as ``target``."""
        self._targets[Path(target)] = Path(staged)

    def retire(self, target: str | os.PathLike) -> None:
        """Remove ``target`` when :meth:`commit` overwrites: a part the replaced output had and the new one
        has not (a Shapefile's ``.fulltext.csv`` from an earlier run), so the parts on disk belong together."""
        self._retired.append(Path(target))

    def sources(self) -> dict[Path, Path]:
        """Each output (target) and the staged file that holds its content until :meth:`commit`."""
        return {dst: src for dst, src in self._targets.items() if src.exists()}

    def commit(self, *, overwrite: bool) -> Published:
        """Publish every staged file that exists (all or none); see :func:`publish`."""
        pairs = [(src, dst) for dst, src in self._targets.items() if src.exists()]
        published = publish(pairs, overwrite=overwrite, _staged=True)
        self._targets.clear()
        retired, self._retired = self._retired, []
        if overwrite:  # kept as backups like the replaced files: a rollback puts them back
            for target in retired:
                if target in (dst for _, dst in pairs) or not os.path.lexists(target):
                    continue
                backup = temp_path(target.parent, "old-" + target.name)
                try:
                    os.replace(target, backup)
                except OSError as exc:
                    published.rollback()
                    raise write_error(exc, target) from exc
                published._undo.append((target, backup))
        return published

    def discard(self) -> None:
        """Remove the staging folders and anything left in them."""
        for staging in self._folders.values():
            shutil.rmtree(staging, ignore_errors=True)
        self._folders.clear()
        self._targets.clear()
        self._retired.clear()
