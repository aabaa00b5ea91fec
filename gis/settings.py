"""Package-wide settings.

Change them at run time, e.g. ``gis.settings.analysis_crs = "EPSG:4546"``.

analysis_crs : str
    The one projected CRS in which every distance, buffer and area is computed.
    Default: the ``analysis_crs`` of the city profile (``city.yaml`` of the
    layers folder, :mod:`gis.city`); for the shipped 柳州市 ``"EPSG:4545"``
    (CGCS2000 / 3-degree Gauss-Kruger CM 108E).  Setting it here overrides the
    profile; ``del gis.settings.analysis_crs`` returns to the profile's.  The
    municipality spans 108.59-110.18E; zone 36 (CM 108E) holds the central
    city's historic core (109.4E), all of the western counties and most
    of the population, and its scale error stays under 700 ppm over the whole
    extent (250 ppm at the city centre).  Distances reported as ``dist_m`` are
    corrected to the geodesic, buffer radii are scaled by the local scale
    factor and areas are ellipsoidal, so the zone choice leaves only metre-level
    effects (a buffer around a long east-west line).  EPSG:4508 (6-degree, CM 111E) is the
    alternative if one zone must hold everything with a standard code; it
    scales up to 800 ppm at the western edge.
max_buffer_m : float
    The largest buffer distance the analysis CRS holds honestly: 250 km.  A
    buffer is a plane disk scaled by the projection's scale factor at its
    centre; the scale factor changes across the disk, so the boundary's error
    grows with the square of the distance.  Measured against geodesic circles
    (``pyproj.Geod``) around points of the municipality in EPSG:4545: 0.05-0.09 %
    of the radius and < 0.03 % of the area at 250 km; 0.2 % / 0.1 % at
    500 km; 10 % / 11 % at 5000 km.  Larger distances are refused (they say
    nothing a planner can use at this precision); change it together with
    ``analysis_crs``.
layers_dir : pathlib.Path or None
    Where shipped layers are read from.  ``None`` means the copy installed with
    the package (``gis/_layers``, which is the repository's ``layers/``).
tianditu_key_env : str
    Name of the environment variable that holds a Tianditu API key.  The key is
    read at map-build time and never written to disk by this package.
workers : int
    Threads the proximity kernels run on: the KD-tree queries of ``nearest`` and
    ``within``, and the chunks of ``within`` and of the k-nearest pre-pass (at most 8).
    ``-1`` (default): every core this process may run on; ``1``: one thread, e.g.
    inside dask workers or a batch job that already runs one task per core.  The
    results do not depend on it (tested).
"""

from __future__ import annotations

from pathlib import Path

from typing import Any

max_buffer_m: float = 250_000.0
layers_dir: Path | None = None
tianditu_key_env: str = "TIANDITU_KEY"
workers: int = -1


def __getattr__(name: str) -> Any:
    """``analysis_crs`` until set: the city profile's (the profile of the current ``layers_dir``)."""
    if name == "analysis_crs":
        from . import city  # same rank; imported here because city reads settings.layers_dir

        return city.profile().analysis_crs
    raise AttributeError(f"module 'gis.settings' has no attribute {name!r}")
