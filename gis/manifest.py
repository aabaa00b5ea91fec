"""The run record (留痕): ``manifest.json`` beside every output of ``lzgis``.

Official planning work must be able to say which inputs, parameters and
software produced a file.  Each successful run appends one entry to the
``manifest.json`` of the folder it wrote into (earlier runs are kept, never
overwritten)::

    {"manifest_version": 1,
     "runs": [{"command": "lzgis nearest townships railway_stations -o out/n.csv",
               "verb": "nearest", "parameters": {...},
               "inputs":  [{"name": "townships", "kind": "layer", "path": ..., "sha256": ...,
                            "bytes": ..., "crs": "EPSG:4326", "features": 118}],
               "outputs": [{"path": "n.csv", "sha256": ..., "bytes": ..., "crs": ...}],
               "notes": ["..."],
               "versions": {"liuzhou-gis": ..., "geopandas": ..., "GDAL": ...},
               "python": "3.11.9", "platform": "Linux-...",
               "started_utc": "2025-...Z", "finished_utc": "2025-...Z"}]}

Input and output paths are relative to the manifest's folder (``../layers/...``),
so the folder can be moved or sent as a whole and a committed manifest carries
no machine paths; ``Run(absolute_paths=True)`` (``--absolute-paths``) records
absolute paths and the working folder instead.

Appending is done under an exclusive lock on the folder
(:func:`gis._io.folder_lock`), so concurrent runs into one folder each leave
their entry; the file is replaced atomically, never half-written.

A run that publishes files (the ``lzgis`` verbs) writes its entry *first*,
marked ``"status": "pending"`` with the hashes of the files about to appear,
then publishes the files, then removes the mark (:meth:`Run.write_pending`,
:func:`complete_pending`).  A run killed (``kill -9``, power loss) anywhere in
between leaves a pending entry; the next run into the folder settles it under
the folder's lock (:func:`resolve_pending`): when every file it names is on disk
with its hash the entry is completed, otherwise the files the dead run had
already placed are put back as they were (its backups) or removed and the entry
is dropped.  So every output on disk has its entry and no entry lacks its files.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from ._errors import InputError
from ._io import TEMP_PREFIX, folder_lock, write_text

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
#: ``status`` of an entry whose files are being published (absent once they all are).
PENDING = "pending"
_PACKAGES = ("liuzhou-gis", "geopandas", "shapely", "pyproj", "pyogrio", "pandas", "numpy", "folium",
             "openpyxl", "click", "scipy")


def sha256_file(path: str | os.PathLike) -> str:
    """The SHA-256 hex digest of a file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> sha256_file(p)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of the packages (and GDAL, PROJ, GEOS libraries) that shape the results."""
    versions: dict[str, str] = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    try:
        import pyogrio

        versions["GDAL"] = pyogrio.__gdal_version_string__
    except Exception:  # pragma: no cover - pyogrio is a dependency
        pass
    import pyproj
    import shapely

    versions["PROJ"] = pyproj.proj_version_str
    versions["GEOS"] = shapely.geos_version_string
    return versions


def crs_label(crs: Any) -> str | None:
    """``"EPSG:4545"`` when the CRS has a code, else its name; ``None`` without a CRS."""
    if crs is None:
        return None
    import pyproj

    crs = pyproj.CRS.from_user_input(crs)
    code = crs.to_epsg()
    return f"EPSG:{code}" if code else crs.name


def _utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def shown_path(path: str | os.PathLike, relative_to: str | os.PathLike | None) -> str:
    """``path`` relative to the folder ``relative_to`` (POSIX slashes, ``..`` allowed), else absolute.

    Examples
    --------
    >>> shown_path("/data/maps/a.html", "/data/maps"), shown_path("/data/layers/b.geojson", "/data/maps")
    ('a.html', '../layers/b.geojson')
    >>> shown_path("/data/a.csv", None)
    '/data/a.csv'
    """
    path = Path(os.path.abspath(path))
    if relative_to is None:
        return str(path)
    try:
        return Path(os.path.relpath(path, os.path.abspath(relative_to))).as_posix()
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


def file_record(path: str | os.PathLike, **extra: Any) -> dict[str, Any]:
    """``{"path", "sha256", "bytes", **extra}``; a Shapefile also lists its parts with their hashes.

    ``path`` is shown as given (:meth:`Run.record` shows it with :func:`shown_path`).
    """
    path = Path(path)
    record: dict[str, Any] = {"path": str(path), "sha256": sha256_file(path), "bytes": path.stat().st_size}
    if path.suffix.lower() == ".shp":
        parts = sorted(p for p in path.parent.glob(path.stem + ".*") if p != path and p.is_file())
        record["parts"] = {p.name: sha256_file(p) for p in parts}
    record.update({k: v for k, v in extra.items() if v is not None})
    return record


@dataclass
class Run:
    """One run of a command: collect inputs, outputs and notes, then :meth:`write`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "out.csv").write_text("a\\n1\\n", encoding="utf-8")
    >>> run = Run("export", {"format": "csv"}, argv=["lzgis", "export"])
    >>> run.add_output(d / "out.csv")
    >>> m = run.write(d)
    >>> json.loads(m.read_text(encoding="utf-8"))["runs"][0]["outputs"][0]["path"]
    'out.csv'
    """

    verb: str
    parameters: dict[str, Any]
    argv: list[str] = field(default_factory=lambda: list(sys.argv))
    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    output_extra: dict[Path, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started_utc: str = field(default_factory=_utc_now)
    absolute_paths: bool = False

    def add_input(self, name: str, *, kind: str, path: str | os.PathLike | None = None, crs: Any = None,
                  features: int | None = None, **extra: Any) -> None:
        """Record an input: a shipped layer, a structure or a file (hashed when it is one)."""
        record: dict[str, Any] = {"name": name, "kind": kind}
        if path is not None and Path(path).is_file():
            record.update(file_record(path))
            record["path"] = str(Path(path).resolve())  # shown relative to the manifest folder by record()
        record["crs"] = crs_label(crs)
        if features is not None:
            record["features"] = int(features)
        record.update({k: v for k, v in extra.items() if v is not None})
        self.inputs.append(record)

    def add_output(self, path: str | os.PathLike, *, crs: Any = None, **extra: Any) -> None:
        """Record an output file (hashed when the manifest is written)."""
        path = Path(path)
        self.outputs.append(path)
        self.output_extra[path] = {"crs": crs_label(crs), **extra}

    def record(self, folder: Path, *, sources: dict[Path, Path] | None = None) -> dict[str, Any]:
        """The manifest entry of this run, output paths relative to ``folder``.

        ``sources`` maps an output to the file that holds its content now (a
        staged copy about to be published); outputs not in it are read in place.
        """
        sources = {Path(os.path.abspath(k)): Path(v) for k, v in (sources or {}).items()}
        relative_to = None if self.absolute_paths else folder
        inputs = []
        for entry in self.inputs:
            entry = dict(entry)
            if "path" in entry:
                entry["path"] = shown_path(entry["path"], relative_to)
            inputs.append(entry)
        record = {
            "command": " ".join(["lzgis", *self.argv[1:]]) if self.argv else "lzgis " + self.verb,
            "argv": ["lzgis", *self.argv[1:]] if self.argv else ["lzgis", self.verb],
            "verb": self.verb,
            "parameters": self.parameters,
            "inputs": inputs,
            "outputs": [{**file_record(sources.get(Path(os.path.abspath(p)), p), **self.output_extra.get(p, {})),
                         "path": shown_path(p, relative_to)}
                        for p in self.outputs],
            "notes": self.notes,
            "versions": package_versions(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "started_utc": self.started_utc,
            "finished_utc": _utc_now(),
        }
        if self.absolute_paths:
            record["cwd"] = str(Path.cwd())
        return record

    def write(self, folder: str | os.PathLike) -> Path:
        """Append this run to ``folder/manifest.json`` (atomically, under the folder's lock) and return its path."""
        folder = Path(folder)
        path = folder / MANIFEST_NAME
        with folder_lock(folder):
            document = read_manifest(path) if path.exists() else {"manifest_version": MANIFEST_VERSION, "runs": []}
            document["runs"].append(self.record(folder))
            return write_text(path, json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


    def write_pending(self, folder: str | os.PathLike, sources: dict[Path, Path]) -> tuple[Path, str]:
        """Append this run as a pending entry (hashes taken from the staged ``sources``); returns (manifest, run id).

        Call under :func:`gis._io.folder_lock` of ``folder``, publish the files,
        then :func:`complete_pending` (or :func:`drop_pending` when publishing failed).
        """
        import secrets

        from ._io import _own_tag

        folder = Path(folder)
        path = folder / MANIFEST_NAME
        run_id = secrets.token_hex(8)
        with folder_lock(folder):
            document = read_manifest(path) if path.exists() else {"manifest_version": MANIFEST_VERSION, "runs": []}
            entry = self.record(folder, sources=sources)
            entry.update({"run_id": run_id, "status": PENDING, "writer": _own_tag()})
            document["runs"].append(entry)
            return _save(path, document), run_id


def _save(path: Path, document: dict[str, Any]) -> Path:
    return write_text(path, json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def _settle(folder: Path, run_id: str, *, keep: bool) -> None:
    path = folder / MANIFEST_NAME
    with folder_lock(folder):
        document = read_manifest(path)
        runs = []
        for entry in document["runs"]:
            if entry.get("run_id") == run_id and entry.get("status") == PENDING:
                if not keep:
                    continue
                entry.pop("status", None)
                entry.pop("writer", None)
            runs.append(entry)
        document["runs"] = runs
        _save(path, document)


def complete_pending(folder: str | os.PathLike, run_id: str) -> None:
    """Mark the pending entry ``run_id`` complete: its files are published."""
    _settle(Path(folder), run_id, keep=True)


def drop_pending(folder: str | os.PathLike, run_id: str) -> None:
    """Remove the pending entry ``run_id``: its files were not published."""
    _settle(Path(folder), run_id, keep=False)


def _entry_files(folder: Path, entry: dict[str, Any]) -> list[tuple[Path, str]]:
    """Every file an entry's outputs name (Shapefile parts too) with its recorded SHA-256."""
    files = []
    for out in entry.get("outputs", []):
        target = folder / out["path"]
        files.append((target, out.get("sha256", "")))
        files.extend((target.parent / name, digest) for name, digest in out.get("parts", {}).items())
    return files


def _digest_or_none(path: Path) -> str | None:
    try:
        return sha256_file(path) if path.is_file() else None
    except OSError:
        return None


def _backup_of(target: Path, writer: str) -> Path | None:
    """The copy of ``target``'s previous content kept by the (dead) run ``writer`` while it published."""
    head, tail = f"{TEMP_PREFIX}{writer}-", f"-old-{target.name}"
    try:
        for entry in target.parent.iterdir():
            if entry.name.startswith(head) and entry.name.endswith(tail) and len(entry.name) == len(head) + 8 + len(tail):
                return entry
    except OSError:
        return None
    return None


def resolve_pending(folder: str | os.PathLike) -> list[str]:
    """Settle the pending entries that runs killed while publishing left in ``folder``'s manifest.

    An entry whose writer still runs is left alone.  Otherwise: when every file
    it names is on disk with its recorded hash, the entry is completed (the run
    was killed after publishing); else the files the run had already placed are
    put back as they were (from its backup) or removed, and the entry is dropped.
    Returns one note per settled entry.  Call before :func:`gis._io.clean_stale`
    removes the dead run's backups.
    """
    from ._io import _owner_alive

    folder = Path(folder)
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return []
    notes: list[str] = []
    with folder_lock(folder):
        document = read_manifest(path)
        runs = []
        recorded: dict[Path, str] = {}  # each file's hash in the last settled entry before this one
        for entry in document["runs"]:
            if isinstance(entry, dict) and entry.get("status") != PENDING:
                recorded.update(_entry_files(folder, entry))
            if not isinstance(entry, dict) or entry.get("status") != PENDING \
                    or _owner_alive(f"{TEMP_PREFIX}{entry.get('writer', '')}-pending"):
                runs.append(entry)
                continue
            writer = str(entry.get("writer", ""))
            files = _entry_files(folder, entry)
            placed = [(p, digest) for p, digest in files if _digest_or_none(p) == digest]
            if len(placed) == len(files):
                entry.pop("status", None)
                entry.pop("writer", None)
                entry.setdefault("notes", []).append("the run was killed after publishing its files; a later run "
                                                     "found them all in place and completed this entry")
                runs.append(entry)
                notes.append(f"{path}: completed the entry of a killed run ({entry.get('command')})")
                continue
            for p, digest in placed:
                backup = _backup_of(p, writer)
                try:
                    if backup is not None:
                        os.replace(backup, p)
                    elif recorded.get(p) != digest:  # not the same content an earlier run recorded: the dead run's
                        p.unlink()
                except OSError:  # pragma: no cover - not ours to change; leave it
                    pass
            notes.append(f"{path}: a run killed while publishing ({entry.get('command')}) was undone "
                         f"({len(placed)} of {len(files)} files had appeared)")
        if notes:
            document["runs"] = runs
            _save(path, document)
    return notes


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """Read a ``manifest.json``; refuse one that is not a liuzhou-gis run record."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"{path}: exists but is not a readable manifest ({exc}). Move it away or write into another folder."
        ) from exc
    if not isinstance(document, dict) or not isinstance(document.get("runs"), list):
        raise InputError(
            f"{path}: exists but is not a liuzhou-gis manifest (no 'runs' list). "
            "Move it away or write into another folder."
        )
    return document


def check_manifest_folder(folder: str | os.PathLike) -> None:
    """Fail early, before any work, if ``folder`` holds a manifest.json that cannot be appended to."""
    path = Path(folder) / MANIFEST_NAME
    if path.exists():
        read_manifest(path)
