"""The geodesic length of one plane segment, compiled: :func:`gis._geodesic.segment_lengths` for loops.

The compiled kernels (:mod:`gis._jit`) correct each pair's plane length where they find it, instead of
gathering pairs for a NumPy pass.  :func:`segment_length` does the arithmetic of
:func:`~gis._geodesic.segment_lengths` for one segment, operation by operation in the same order, so
it gives the same bits (tested); :func:`series_constants` packs what it needs of a :class:`TMScale`.
"""

from __future__ import annotations

import numpy as np

from ._geodesic import TMScale
from ._jit import jit


def series_constants(tm: TMScale) -> np.ndarray:
    """``[c0, c1, c2, c3, a4, 1/k0, c0**2/k0, a4/120]``: the series' constants as :func:`segment_length` takes them."""
    c0, c1, c2, c3 = tm.c
    return np.array([c0, c1, c2, c3, tm.a4, 1.0 / tm.k0, c0 * c0 / tm.k0, tm.a4 / 120.0], dtype=np.float64)


@jit
def inv_k(X: float, Y: float, cst: np.ndarray) -> float:
    """``1/k`` at offsets ``(X, Y)``: :func:`gis._geodesic._inv_k` for one point."""
    cy = Y * cst[3]
    cy += cst[2]
    cy *= Y
    cy += cst[1]
    cy *= Y
    cy += cst[0]
    q = cy * X
    q *= X
    g = q * (-61.0 / 720.0)
    g += cst[4]
    g *= q
    g -= 0.5
    g *= q
    g += 1.0
    g *= cst[5]
    return g


@jit
def segment_length(d: float, x1: float, y1: float, h1: float, x2: float, y2: float, h2: float,
                   cst: np.ndarray) -> float:
    """Geodesic length of a plane segment of length ``d`` between points of terms ``(X, Y, 1/k)``.

    The points' terms are those of :func:`gis._geodesic.point_terms` (or ``reference_terms``, with
    ``Y = 0``); ``cst`` is :func:`series_constants`.  Both points must lie within the series' domain.
    """
    xm = x1 + x2
    xm *= 0.5
    ym = y1 + y2
    ym *= 0.5
    gm = inv_k(xm, ym, cst)
    gm *= 4.0
    gm += h1
    gm += h2
    gm *= 1.0 / 6.0
    dx2 = x2 - x1
    dx2 *= dx2
    dy2 = d * d
    dy2 -= dx2
    if dy2 < 0.0:
        dy2 = 0.0
    xm *= xm
    xm *= 1.0 / 24.0
    xm += dx2 * (1.0 / 1440.0)
    dy2 *= xm
    dx2 *= dx2
    dx2 *= cst[7]
    dy2 += dx2
    dy2 *= cst[6]
    gm -= dy2
    return gm * d
