"""Exception hierarchy of liuzhou-gis.

Every error names the input, the problem and the fix.  Each class also
subclasses the matching built-in so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class GisError(Exception):
    """Base class of every error raised by liuzhou-gis."""


class CRSError(GisError, ValueError):
    """A dataset has a missing, geographic or unexpected coordinate reference system."""


class DatumError(GisError, ValueError):
    """A datum transform (GCJ-02 / BD-09 / WGS-84) got input it cannot handle."""


class LayerError(GisError, LookupError):
    """A shipped layer or structure is unknown, missing or malformed."""


class StructureError(LayerError):
    """A structure definition file is malformed or names members that match nothing."""


class GeocodeError(GisError, ValueError):
    """A place name or a table of places could not be geocoded as asked."""


class InputError(GisError, ValueError):
    """User input (a file, a column, a parameter) is invalid."""


class WriteError(GisError, OSError):
    """An output cannot be written: disk full, read-only file system, no permission.

    Nothing was written (or the previous files were kept); ``errno`` is the
    operating system's code.
    """

    def __str__(self) -> str:
        return str(self.strerror)


class MissingDependencyError(GisError, ImportError):
    """An optional dependency is not installed."""


def require(module: str, *, extra: str, feature: str):
    """Import an optional dependency or raise naming the extra that provides it.

    Examples
    --------
    >>> require("json", extra="maps", feature="web maps").__name__
    'json'
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            f"{feature} needs the optional package {module!r}, which is not installed. "
            f"Install it with: pip install 'liuzhou-gis[{extra}]'"
        ) from exc
