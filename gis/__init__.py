"""liuzhou-gis: a spatial-planning toolkit for Liuzhou (柳州市, Guangxi).

The public namespace.  Modules load lazily, so ``import gis`` stays quick and
optional dependencies (folium, openpyxl, dask-geopandas) are only needed by the
functions that use them.

Layers of the package (imports only go downwards):

1. data: :mod:`gis.crs`, :mod:`gis.datum`, :mod:`gis.layers`, :mod:`gis.structure`,
   :mod:`gis.gazetteer`, :mod:`gis.geocode`
2. analysis: :mod:`gis.buffer`, :mod:`gis.proximity`, :mod:`gis.coverage`, :mod:`gis.network`,
   :mod:`gis.review`, :mod:`gis.siting`
3. presentation: :mod:`gis.webmap`, :mod:`gis.export`
4. faces: :mod:`gis.cli`
"""

from __future__ import annotations

import importlib
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
    "isochrones": "network",
    "nearest_by_time": "network",
    "travel_times": "network",
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


# A function named like its own module is bound eagerly: importing the submodule anywhere would
# otherwise rebind ``gis.<name>`` to the module and shadow the function.
from .export import export  # noqa: E402
from .geocode import geocode  # noqa: E402
from .review import review  # noqa: E402
from .structure import structure  # noqa: E402

del _LAZY["export"], _LAZY["geocode"], _LAZY["structure"], _LAZY["review"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'gis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
