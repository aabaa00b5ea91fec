"""liuzhou-gis: a spatial-planning toolkit for Liuzhou (柳州市, Guangxi).

The public namespace.  Modules load lazily, so ``import gis`` stays quick and
optional dependencies (folium, openpyxl, dask-geopandas) are only needed by the
functions that use them.

Layers of the package (imports only go downwards):

1. data: :mod:`gis.crs`, :mod:`gis.datum`, :mod:`gis.layers`, :mod:`gis.structure`,
   :mod:`gis.gazetteer`, :mod:`gis.geocode`
2. analysis: :mod:`gis.buffer`, :mod:`gis.proximity`, :mod:`gis.coverage`, :mod:`gis.network`,
   :mod:`gis.routing`, :mod:`gis.drive`, :mod:`gis.review`, :mod:`gis.siting`
3. presentation: :mod:`gis.webmap`, :mod:`gis.export`
4. faces: :mod:`gis.cli`
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from . import settings
from ._errors import (
    CRSError,
    DatumError,
    GeocodeError,
    GisError,
    InputError,
    LayerError,
    MissingDependencyError,
    StructureError,
)

__version__ = "0.1.0"

_LAZY = {
    # geography
    "analysis_crs": "crs",
    "to_analysis_crs": "crs",
    "require_projected": "crs",
    "detect_crs": "crs",
    "convert_gdf": "datum",
    "list_layers": "layers",
    "load_layer": "layers",
    "structure": "structure",
    "list_structures": "structure",
    # geocoding
    "geocode": "geocode",
    "geocode_table": "geocode",
    # analysis
    "buffer_rings": "buffer",
    "nearest": "proximity",
    "within": "proximity",
    "od_matrix": "proximity",
    "coverage_by": "coverage",
    "ring_occupancy": "coverage",
    "travel_network": "network",
    "isochrones": "routing",
    "nearest_by_time": "routing",
    "travel_times": "routing",
    "drive": "drive",
    "review": "review",
    "footprints": "review",
    "compare_options": "siting",
    "site_suitability": "siting",
    "candidate_grid": "siting",
    # presentation
    "make_map": "webmap",
    "save_map": "webmap",
    "review_map": "review_maps",
    "site_map": "review_maps",
    "export": "export",
}

__all__ = sorted(
    [*_LAZY, "settings", "GisError", "CRSError", "DatumError", "GeocodeError", "InputError",
     "LayerError", "MissingDependencyError", "StructureError", "__version__"]
)


# A function named like its own module (gis.export, gis.geocode, gis.structure) is the function, not
# the module: a property of the package's module class, loaded on first use (so ``import gis`` and
# ``lzgis --help`` import no geopandas), which ignores the import system binding the submodule there.
_SHADOWED = ("drive", "export", "geocode", "review", "structure")
for _name in _SHADOWED:
    del _LAZY[_name]


def _function_named_like_module(name: str) -> property:
    def get(self: types.ModuleType) -> Any:
        override = self.__dict__.get(f"_set_{name}")
        if override is not None:
            return override
        return getattr(importlib.import_module(f".{name}", __name__), name)

    def set_(self: types.ModuleType, value: Any) -> None:
        if not isinstance(value, types.ModuleType):  # an assignment by the user (e.g. a test's monkeypatch)
            self.__dict__[f"_set_{name}"] = value

    def delete(self: types.ModuleType) -> None:
        self.__dict__.pop(f"_set_{name}", None)

    return property(get, set_, delete, doc=f"gis.{name}.{name}")


class _Package(types.ModuleType):
    pass


for _name in _SHADOWED:
    setattr(_Package, _name, _function_named_like_module(_name))
sys.modules[__name__].__class__ = _Package
del _name


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'gis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
