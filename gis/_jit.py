"""Compiled loops: numba's ``njit`` with the options every kernel of the house uses.

The proximity kernels do their per-pair work (candidates, geodesic correction, ordering) in loops compiled
by numba, where NumPy would pass over each pair a dozen times.  The loops are compiled on their first call
and cached on disk beside the module (``__pycache__``, or numba's user cache where that cannot be written),
so later processes load them in milliseconds.  They release the GIL: the callers run blocks of them on
threads (:func:`gis._proximity_kernels._in_blocks`, ``gis.settings.workers``) instead of numba's own
threading layer, which does not allow calls from several threads at once.

Options: ``cache=True`` (on disk), ``nogil=True``, ``error_model="numpy"`` (a division by zero gives
inf/NaN as in NumPy, not an exception), no ``fastmath`` (IEEE arithmetic in the order written, so a loop
gives the same bits as the NumPy expression it replaces).
"""

from __future__ import annotations

from typing import Any, Callable

from numba import njit

_OPTIONS: dict[str, Any] = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": False}


def jit(func: Callable) -> Callable:
    """Compile ``func`` with the house's options (module docstring)."""
    return njit(**_OPTIONS)(func)


def jit_inline(func: Callable) -> Callable:
    """:func:`jit`, and inlined into the compiled functions that call it (numba's ``inline="always"``): for
    small helpers called per candidate or per cell, where a call passing arrays costs more than the work."""
    return njit(inline="always", **_OPTIONS)(func)
