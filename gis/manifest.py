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
from ._io import folder_lock, write_text

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
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

    def record(self, folder: Path) -> dict[str, Any]:
        """The manifest entry of this run, output paths relative to ``folder``."""
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
            "outputs": [{**file_record(p, **self.output_extra.get(p, {})), "path": shown_path(p, relative_to)}
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
