"""Proximity: nearest features, features within a distance, origin-destination matrices.

Both layers may come in any CRS: each is checked and reprojected to the
analysis CRS (:func:`gis.crs.to_analysis_crs`; geographic data explicitly,
data without a CRS only if it can be identified, otherwise refused), so two
layers in different CRSs are fine.  Candidates are found on plane coordinates
(scipy cKDTree for points, shapely STRtree otherwise) and every reported
``dist_m`` is the geodesic distance on the CGCS2000 ellipsoid, corrected from
the plane distance by the projection's scale factor and the bow of the
geodesic (:mod:`gis._geodesic`: within 1 mm of :meth:`pyproj.Geod.inv` for every
pair within the municipality, and for pairs up to 400 km within 300 km of the
CRS's central meridian; others go through ``Geod.inv``).

The nearest feature reported is the *geodesically* nearest one.  The plane
distance ``d`` and the geodesic ``s`` of any pair satisfy
``d / k_hi <= s <= d / k_lo``, where ``k_lo``/``k_hi`` bound the scale factor
over the data (less than 700 ppm apart at Liuzhou).  So a candidate whose plane
distance exceeds ``(s_best + tol) * k_hi`` cannot win, and origins whose
runner-up is not that far are resolved with a wider search.  Between point
layers, where many origins share a cell of a grid over them, the cell centre's
contenders settle most of them, with the same argument applied to the centre
(:func:`gis._proximity_kernels._grid_prepass`); the others take their plane-nearest
from rings of a grid over the targets (:func:`gis._proximity_kernels._two_nearest`,
:func:`gis._nearestk_kernels._nearestk_rings`); so the proof costs less than the
tree query it replaces.  Those kernels are :mod:`gis._proximity_kernels`
(shared parts, k = 1), :mod:`gis._nearestk_kernels` (k > 1) and :mod:`gis._within_kernels`;
this module checks the layers and frames the results.

For lines and polygons the distance is that between the closest points in the
plane (``shapely.shortest_line``), corrected along that segment; the
geodesically closest points can differ from those, which changes the distance
by a second-order amount (< 1e-6 relative at these scales).

Conventions of every result:

* ``dist_m``: geodesic distance in metres; ``target_index``: the index label of
  the target in ``targets``.
* ties (two targets within ``TIE_TOLERANCE_M`` of the same distance) go to the
  target that comes first in ``targets`` (the lowest position; with a default
  RangeIndex, the lowest ``target_index``); ``tie`` is True where that
  happened.  With ``k=1`` the other tied targets are not listed, so
  ``n_tied`` says how many targets lie within ``TIE_TOLERANCE_M`` of the
  nearest distance (1: a clear winner; 2 or more: the choice among them is
  arbitrary, e.g. projects placed at the same county seat; 0: no target).
  ``nearest(..., k=n_tied.max())`` lists them.
* ``origin_precision_m`` / ``target_precision_m`` carry the layers'
  ``precision_m`` columns (NaN if absent); ``uncertainty_m`` is their sum (the
  worst case: both positions off towards each other) and ``within_uncertainty``
  flags distances smaller than it, i.e. pairs that may in truth coincide.  It
  is a nullable boolean: ``<NA>`` where the uncertainty (or the distance) is
  unknown, never a silent False.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from . import _validate
from ._errors import InputError
from ._geodesic import geodesic_distance, scale_bounds
from ._nearestk_kernels import _nearestk_general, _nearestk_points
from ._proximity_kernels import TIE_TOLERANCE_M, _nearest1_points, _pair_distance
from ._within_kernels import _pair_order, _within_points
from .crs import analysis_crs
from .prepare import Prepared, is_geocoded, prepare_layer

if TYPE_CHECKING:  # pragma: no cover
    from .network import TravelNetwork

# TIE_TOLERANCE_M (metres; two distances closer than this are a tie) lives with the kernels that apply it.
#: Largest origin x target matrix od_matrix builds (cells).
MAX_OD_CELLS = 50_000_000


# --------------------------------------------------------------------------- helpers


def _prepare_pair(origins: Any, targets: Any, *, strict: bool = False) -> tuple[Prepared, Prepared, pyproj.CRS]:
    """Both layers through :func:`gis.prepare.prepare_layer`; a geocoded layer's unplaced rows are set aside."""
    o = prepare_layer(origins, name="origins", keep_unplaced=is_geocoded(origins), strict=strict, any_file=False)
    t = prepare_layer(targets, name="targets", keep_unplaced=is_geocoded(targets), strict=strict, any_file=False)
    o.warn_unplaced(what="kept in the result without a target", stacklevel=4)
    t.warn_unplaced(what="left out of the targets", stacklevel=4)
    crs = analysis_crs()
    for prepared in (o, t):  # across ±180° or far from the CRS's meridian, plane distances miss pairs
        _validate.check_meridian_range(prepared.layer, crs)
    return o, t, crs


def _keep_unplaced(result: pd.DataFrame, o: Prepared) -> pd.DataFrame:
    """``result`` (one row per placed origin) aligned to every origin, unplaced ones empty with their ``note``."""
    if not o.n_unplaced:
        return result
    out = result.reindex(o.index)
    for column, fill in (("tie", False), ("n_tied", 0)):
        if column in out:
            out[column] = out[column].fillna(fill).astype(result[column].dtype)
    if "within_uncertainty" in out:
        out["within_uncertainty"] = out["within_uncertainty"].astype("boolean")
    out["note"] = o.notes()
    return out


def _unplaced_pairs(result: pd.DataFrame, o: Prepared, *, sort: bool) -> pd.DataFrame:
    """Pairs plus one empty row per unplaced origin (its ``note``), in origin order when sorted."""
    if not o.n_unplaced:
        return result
    notes = o.reasons
    extra = pd.DataFrame({"origin_index": notes.index.to_numpy(dtype=object),
                          "target_index": np.full(len(notes), None, dtype=object), "dist_m": np.nan})
    out = pd.concat([result.assign(note=""), extra.assign(note=notes.to_numpy(dtype=object))], ignore_index=True)
    out["within_uncertainty"] = out["within_uncertainty"].astype("boolean")
    if sort:
        order = pd.Index(o.index).get_indexer(out["origin_index"])
        out = out.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    return out


def _bounds_for(o: _validate.Layer, t: _validate.Layer, crs: pyproj.CRS) -> tuple[float, float]:
    b = np.vstack([o.bounds(), t.bounds()])
    return scale_bounds(crs, np.r_[b[:, 0], b[:, 2]], np.r_[b[:, 1], b[:, 3]])


def _copy_on_write() -> bool:
    """Whether pandas copies a column on write (pandas >= 3, or the option set): then columns may share an array."""
    try:
        return int(pd.__version__.split(".")[0]) >= 3 or pd.options.mode.copy_on_write is True
    except (AttributeError, ValueError):  # pragma: no cover - an unusual pandas
        return False


def _result(index: pd.Index | None, columns: dict[str, Any], po: np.ndarray | None,
            pt: np.ndarray | None, *, nan: np.ndarray | None = None) -> pd.DataFrame:
    """The result frame in one constructor: ``columns`` (with ``dist_m``) then the uncertainty columns.

    ``po`` / ``pt``: the origins' / targets' precision per row, ``None`` where the layer has none (all NaN);
    ``nan``: a new array of as many NaN as rows, if the caller has one (the kernel of :func:`within` fills it).
    """
    dist = np.asarray(columns["dist_m"], dtype=float)
    if po is None or pt is None:
        # the uncertainty is unknown on every row: one NaN column serves all three where pandas copies on
        # write (on millions of pairs, filling fresh memory costs more than the rest of the frame)
        nan = np.full(len(dist), np.nan) if nan is None or len(nan) != len(dist) else nan
        share = _copy_on_write()
        po = (nan if share else nan.copy()) if po is None else po
        pt = (nan if share else nan.copy()) if pt is None else pt
        unc = nan
        within = pd.arrays.BooleanArray(np.zeros(len(dist), dtype=bool), np.ones(len(dist), dtype=bool))
    else:
        unc = po + pt
        unknown = np.isnan(unc) | np.isnan(dist)
        within = pd.arrays.BooleanArray(dist < unc, unknown)  # NA where unknown
    columns = {
        **columns,
        "origin_precision_m": po,
        "target_precision_m": pt,
        "uncertainty_m": unc,
        "within_uncertainty": within,
    }
    # every array here is new (callers copy what they take from the inputs); copy=False spares
    # pandas consolidating them into blocks, the most expensive step on millions of rows
    return pd.DataFrame(columns, index=index, copy=False)


def _no_precision(values: np.ndarray) -> bool:
    """Whether a layer's ``precision_m`` is empty or all NaN (no precision known)."""
    return len(values) == 0 or bool(np.isnan(values).all())


def _gather(values: np.ndarray, pos: np.ndarray) -> np.ndarray | None:
    """``values[pos]``, NaN where ``pos`` is -1; ``None`` if ``values`` is empty or all NaN (no precision)."""
    if _no_precision(values):
        return None
    out = values[pos]
    if len(pos) and pos.min() < 0:
        out[pos < 0] = np.nan
    return out


def _take_index(index: pd.Index, pos: np.ndarray) -> pd.Index | np.ndarray:
    """Index labels at positions, with missing values where ``pos`` is -1."""
    if len(index) == 0:
        return pd.Index([None] * len(pos), dtype=object)
    if (pos >= 0).all():
        return _labels(index, pos)
    values = np.array(index.take(np.where(pos >= 0, pos, 0)).astype(object), dtype=object)
    values[pos < 0] = None
    return pd.Index(values, dtype=object)


# --------------------------------------------------------------------------- nearest


def nearest(
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    k: int = 1,
    max_distance_m: float | None = None,
    strict: bool = False,
) -> pd.DataFrame:
    """The geodesically nearest target(s) of every origin.

    Parameters
    ----------
    origins, targets : GeoDataFrame or path
        Any geometry types, any CRS (reprojected to the analysis CRS).  An
        optional ``precision_m`` column is carried into the result.  The path
        of a GeoParquet file of points is read as coordinates, without
        building a geometry per row (:mod:`gis.pointfile`), and indexed as
        the file stores it.
    k : int, default 1
        How many nearest targets.  If ``k`` exceeds the number of targets, all
        of them are returned, with a warning.
    max_distance_m : float, optional
        Ignore targets farther than this (geodesic metres).
    strict : bool, default False
        Refuse a geocoded layer's rows without a position instead of keeping them (see Returns).

    Returns
    -------
    pandas.DataFrame
        ``k == 1``: aligned to ``origins.index``, one row per origin, with
        ``target_index``, ``dist_m``, ``tie``, ``n_tied`` and the uncertainty
        columns (module docstring: ties go to the target that comes first); origins without a target within
        ``max_distance_m`` (or when ``targets`` is empty) get ``None``/NaN.
        ``k > 1``: one row per origin and rank, indexed by
        (``origin_index``, ``rank``), rank 1 nearest; origins with fewer
        targets in reach have fewer rows.  Rows of a geocoded ``origins`` without a position
        (:func:`gis.geocode_table`'s unmatched rows) stay, without a target, with a ``note`` column
        (``未定位`` or the geocoder's reason), and a warning counts them; such ``targets`` are left out, with a
        warning.

    Raises
    ------
    InputError
        Invalid geometries, a bad ``k`` or ``max_distance_m`` (named).
    CRSError
        A layer without an identifiable CRS, or coordinates that contradict it.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> towns = gpd.GeoDataFrame({"name": ["柳城", "鹿寨"]},
    ...     geometry=[Point(109.245, 24.651), Point(109.751, 24.473)], crs="EPSG:4326")
    >>> hubs = gpd.GeoDataFrame({"name": ["柳州站"], "precision_m": [50.0]},
    ...     geometry=[Point(109.405, 24.307)], crs="EPSG:4326").set_index("name")
    >>> r = nearest(towns, hubs)
    >>> list(r["target_index"]), [round(d) for d in r["dist_m"]]
    (['柳州站', '柳州站'], [41412, 39624])
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k: must be a positive integer (how many nearest targets), got {k!r}.")
    limit = None if max_distance_m is None else _validate.distance(max_distance_m, name="max_distance_m")
    op, tp, crs = _prepare_pair(origins, targets, strict=strict)
    o, t = op.layer, tp.layer
    po, pt_all = o.precision_m, t.precision_m
    n, m = len(o), len(t)
    if k > m and n > 0:
        warnings.warn(
            f"nearest: k={k} but targets has only {m} features; returning {m} per origin.",
            UserWarning, stacklevel=2,
        )
    k_eff = min(k, m)
    if n == 0 or m == 0:
        pos = np.full(n, -1)
        dist = np.full(n, np.nan)
        tie = np.zeros(n, dtype=bool)
        origin_pos = np.arange(n)
        rank = np.ones(n, dtype=int)
    else:
        oxy, txy = o.xy, t.xy
        k_lo, k_hi = _bounds_for(o, t, crs)
        if oxy is not None and txy is not None:
            if k_eff == 1:
                pos, dist, tie = _nearest1_points(oxy, txy, crs, k_lo, k_hi, limit, o.bounds())
                origin_pos, rank = np.arange(n), np.ones(n, dtype=int)
            else:
                origin_pos, rank, pos, dist, tie = _nearestk_points(oxy, txy, k_eff, crs, k_hi, limit,
                                                                         k_lo=k_lo, origin_bounds=o.bounds())
        else:
            origin_pos, rank, pos, dist, tie = _nearestk_general(o.geoms(), t.geoms(), k_eff, crs, k_lo, k_hi, limit)
    pt = _gather(pt_all, pos)
    if k == 1:
        n_tied = _count_tied(o, t, pos, dist, tie, crs)
        cols = {"target_index": _take_index(t.index, pos), "dist_m": dist, "tie": tie, "n_tied": n_tied}
        return _keep_unplaced(_result(o.index, cols, _gather(po, np.arange(n)), pt), op)
    keep = pos >= 0
    if not keep.all():
        origin_pos, rank, pos, dist, tie = (a[keep] for a in (origin_pos, rank, pos, dist, tie))
        pt = None if pt is None else pt[keep]
    if o.index.is_unique:  # build from codes: factorising millions of labels is the slow part
        idx = pd.MultiIndex(levels=[o.index, np.arange(1, k_eff + 1)], codes=[origin_pos, rank - 1],
                            names=["origin_index", "rank"], verify_integrity=False)
    else:
        idx = pd.MultiIndex.from_arrays([o.index.take(origin_pos), rank], names=["origin_index", "rank"])
    out = _result(idx, {"target_index": _labels(t.index, pos), "dist_m": dist, "tie": tie}, _gather(po, origin_pos), pt)
    if op.n_unplaced:
        extra = pd.DataFrame({"target_index": None, "dist_m": np.nan, "tie": False},
                             index=pd.MultiIndex.from_arrays([op.reasons.index, np.ones(op.n_unplaced, dtype=int)],
                                                             names=["origin_index", "rank"]))
        out = pd.concat([out.assign(note=""), extra.assign(note=op.reasons.to_numpy(dtype=object))])
        out["within_uncertainty"] = out["within_uncertainty"].astype("boolean")
    return out


def _count_tied(o: _validate.Layer, t: _validate.Layer, pos: np.ndarray, dist: np.ndarray, tie: np.ndarray,
                crs: pyproj.CRS) -> np.ndarray:
    """How many targets lie within ``TIE_TOLERANCE_M`` of each origin's nearest distance (k = 1).

    Only tied origins (usually few) are searched again: every target within
    ``(s + tol) * k_hi`` in the plane, its geodesic distance measured.
    """
    n_tied = (pos >= 0).astype(np.int64)
    rows = np.flatnonzero(tie & (pos >= 0))
    if rows.size == 0:
        return n_tied
    _, k_hi = _bounds_for(o, t, crs)
    reach = (dist[rows] + TIE_TOLERANCE_M) * k_hi * (1.0 + 1e-9)
    if o.xy is not None and t.xy is not None:
        found = cKDTree(t.xy).query_ball_point(o.xy[rows], reach)
        oi = np.repeat(rows, [len(f) for f in found])
        ti = np.fromiter((j for f in found for j in f), dtype=np.int64, count=len(oi))
        s = geodesic_distance(o.xy[oi, 0], o.xy[oi, 1], t.xy[ti, 0], t.xy[ti, 1], crs)
    else:
        og, tg = o.geoms(), t.geoms()
        qi, ti = shapely.STRtree(tg).query(og[rows], predicate="dwithin", distance=reach)
        oi = rows[qi]
        s = _pair_distance(og[oi], tg[ti], crs)
    count = np.bincount(oi[s <= dist[oi] + TIE_TOLERANCE_M], minlength=len(pos))
    n_tied[rows] = np.maximum(count[rows], 2)  # a flagged tie has at least two
    return n_tied



# --------------------------------------------------------------------------- within


def within(
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    distance_m: float,
    *,
    sort: bool = True,
    strict: bool = False,
) -> pd.DataFrame:
    """Every (origin, target) pair closer than ``distance_m`` geodesic metres.

    Parameters
    ----------
    origins, targets : GeoDataFrame or path
        Any geometry types, any CRS.  An empty layer gives an empty result.
        A GeoParquet path as in :func:`nearest`.
    distance_m : float
        The radius in metres (>= 0).  Lines and polygons count as within when
        their closest points are.
    sort : bool, default True
        Sort the pairs by origin (in ``origins`` order), then distance, then
        target (distances less than a micrometre apart count as equal).
        ``sort=False`` returns them in no particular order, which saves
        sorting millions of pairs when the order does not matter (e.g. before
        a groupby).
    strict : bool, default False
        Refuse a geocoded layer's rows without a position instead of keeping them.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``origin_index``, ``target_index``, ``dist_m`` and
        the uncertainty columns.  Each origin of a geocoded layer without a position gets one row
        without a target and a ``note`` column (``未定位`` or the geocoder's reason), counted in a warning.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, LineString
    >>> towns = gpd.GeoDataFrame({"name": ["A", "B"]},
    ...     geometry=[Point(109.40, 24.30), Point(109.40, 24.50)], crs="EPSG:4326")
    >>> road = gpd.GeoDataFrame(geometry=[LineString([(109.35, 24.32), (109.45, 24.32)])], crs="EPSG:4326")
    >>> w = within(towns, road, 5000)
    >>> list(w["origin_index"]), [round(d) for d in w["dist_m"]]
    ([0], [2216])
    """
    radius = _validate.distance(distance_m, name="distance_m")
    op, tp, crs = _prepare_pair(origins, targets, strict=strict)
    o, t = op.layer, tp.layer
    po, pt = o.precision_m, t.precision_m
    nan = None  # the kernel of point layers fills the NaN column of unknown uncertainty as it writes the pairs
    if len(o) == 0 or len(t) == 0:
        opos = tpos = np.zeros(0, dtype=np.int64)
        s = np.zeros(0)
    else:
        k_lo, k_hi = _bounds_for(o, t, crs)
        reach = (radius + TIE_TOLERANCE_M) * k_hi
        oxy, txy = o.xy, t.xy
        if oxy is not None and txy is not None:
            unknown = _no_precision(po) or _no_precision(pt)  # then the uncertainty columns are all NaN
            opos, tpos, s, nan = _within_points(oxy, txy, radius, reach, crs, k_lo=k_lo, sort=sort, nan_column=unknown)
        else:
            og, tg = o.geoms(), t.geoms()
            opos, tpos = shapely.STRtree(tg).query(og, predicate="dwithin", distance=reach)
            s = _pair_distance(og[opos], tg[tpos], crs)
            keep = s <= radius
            if not keep.all():
                opos, tpos, s = opos[keep], tpos[keep], s[keep]
            if sort:
                order = _pair_order(opos, tpos, s)
                opos, tpos, s = opos[order], tpos[order], s[order]
    cols = {"origin_index": _labels(o.index, opos), "target_index": _labels(t.index, tpos), "dist_m": s}
    return _unplaced_pairs(_result(None, cols, _gather(po, opos), _gather(pt, tpos), nan=nan), op, sort=sort)



def _labels(index: pd.Index, pos: np.ndarray) -> pd.Index | np.ndarray:
    """``index.take(pos)``; plain arithmetic for a RangeIndex (most layers), which skips a bounds check."""
    if isinstance(index, pd.RangeIndex):
        pos = np.asarray(pos, dtype=np.int64)
        if index.start == 0 and index.step == 1:
            return pos
        return index.start + index.step * pos
    return index.take(pos)


# --------------------------------------------------------------------------- od matrix


def od_matrix(
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    network: TravelNetwork | None = None,
    strict: bool = False,
) -> pd.DataFrame:
    """Origin-destination matrix: geodesic metres, or travel minutes on a network.

    Parameters
    ----------
    origins, targets : GeoDataFrame
        Any geometry types (points for a network), any CRS.
    network : TravelNetwork, optional
        From :func:`gis.travel_network`; then the cells are travel times in
        minutes (``inf`` where unreachable), see :func:`gis.routing.travel_times`.
    strict : bool, default False
        Refuse a geocoded layer's rows without a position instead of keeping them.

    Returns
    -------
    pandas.DataFrame
        Rows ``origins.index``, columns ``targets.index``.  At most
        ``MAX_OD_CELLS`` cells; for more, use :func:`within` with a radius.  Rows and columns of a
        geocoded layer's unplaced rows are empty (NaN), their notes in ``attrs["notes"]`` (label: note).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> a = gpd.GeoDataFrame(geometry=[Point(109.40, 24.30), Point(109.50, 24.30)], crs="EPSG:4326")
    >>> od_matrix(a, a).round(0).astype(int).values.tolist()
    [[0, 10151], [10151, 0]]
    """
    if network is not None:
        from .routing import travel_times

        return travel_times(network, origins, targets)
    op, tp, crs = _prepare_pair(origins, targets, strict=strict)
    o, t = op.layer, tp.layer
    n, m = len(o), len(t)
    if n * m > MAX_OD_CELLS:
        raise InputError(
            f"od_matrix: origins ({n}) x targets ({m}) = {n * m} cells exceeds {MAX_OD_CELLS}. "
            "Use gis.within(origins, targets, distance_m) for the pairs within a radius, or "
            "gis.nearest(..., k=...) for the closest ones."
        )
    oi = np.repeat(np.arange(n), m)
    ti = np.tile(np.arange(m), n)
    oxy, txy = o.xy, t.xy
    if n * m == 0:
        s = np.zeros(0)
    elif oxy is not None and txy is not None:
        s = geodesic_distance(oxy[oi, 0], oxy[oi, 1], txy[ti, 0], txy[ti, 1], crs)
    else:
        s = _pair_distance(o.geoms()[oi], t.geoms()[ti], crs)
    out = pd.DataFrame(s.reshape(n, m), index=o.index, columns=t.index)
    if op.n_unplaced or tp.n_unplaced:
        out = out.reindex(index=op.index, columns=tp.index)
        out.attrs["notes"] = {**op.reasons.to_dict(), **{f"target {k}": v for k, v in tp.reasons.items()}}
    return out
