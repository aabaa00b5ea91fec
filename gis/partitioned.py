"""Proximity for origin layers that outgrow one machine, with dask-geopandas.

The same kernels as :func:`gis.nearest` and :func:`gis.within`, applied
partition by partition (``map_partitions``): the targets (facilities, a few
thousand at most) are checked and brought to the analysis CRS once and
broadcast to every partition; each partition of origins is checked and
reprojected to the analysis CRS inside the kernel.  Every origin's answer
depends only on that origin and the targets, so the computed result equals
the in-memory call on the computed origins, row for row: the same targets,
ranks, ties and labels.  ``dist_m`` agrees to the kernel's documented
accuracy (1 mm of :meth:`pyproj.Geod.inv`), not always to the last bit: the
series' reference latitude is taken from the origins of the call, so a
partition and the whole layer can differ in the last digits (far below a
millimetre).

The functions return *lazy* dask DataFrames.  ``.compute()`` gathers the
result in memory; ``.to_parquet(path)`` streams it to disk partition by
partition, so neither the origins nor the result need ever be in memory at
once.  They run on whichever dask scheduler is active: threads by default, a
``dask.distributed`` cluster when a ``Client`` is open, with no change to the
code.  On one machine this pays only once the in-memory call would not fit
in memory (``bench/dask.md``); below that, use :func:`gis.nearest`.

A GeoParquet path whose metadata declares only points (and no
``npartitions``) is read file by file, or row group by row group for one
file, as coordinates (:func:`gis.pointfile.read_points`): no shapely point is
built for an origin, which is most of the cost of reading them; a part that
holds anything else is read with geopandas and checked as usual.

Input checks run when the result is computed, partition by partition; an
error names ``origins`` and the offending rows as the in-memory call does.

Needs the ``dask`` extra: ``pip install 'liuzhou-gis[dask]'``.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from . import proximity
from ._errors import InputError, require
from ._validate import as_frame, distance
from .pointfile import PointTable, _geo_metadata, parquet_parts, read_points
from .crs import to_analysis_crs

if TYPE_CHECKING:  # pragma: no cover
    import dask.dataframe as dd
    import dask_geopandas

__all__ = ["nearest", "within", "partitions"]

#: Origins per partition when a GeoDataFrame is split without ``npartitions``.
ROWS_PER_PARTITION = 1_000_000

_FEATURE = "partitioned proximity"


def _dask_geopandas() -> Any:
    return require("dask_geopandas", extra="dask", feature=_FEATURE)


def partitions(
    origins: dask_geopandas.GeoDataFrame | gpd.GeoDataFrame | str | os.PathLike,
    *,
    npartitions: int | None = None,
) -> dask_geopandas.GeoDataFrame:
    """Origins as a partitioned (dask-geopandas) GeoDataFrame.

    Parameters
    ----------
    origins : dask_geopandas.GeoDataFrame, GeoDataFrame or path
        A dask-geopandas frame is used as it is; a GeoDataFrame is split into
        ``npartitions``; a path names a GeoParquet file or a folder of them
        (one partition per file or row group, read lazily).
    npartitions : int, optional
        Repartition to this many partitions.  Default: the dataset's own
        partitions, or one per ``ROWS_PER_PARTITION`` rows of a GeoDataFrame.

    Returns
    -------
    dask_geopandas.GeoDataFrame

    Raises
    ------
    InputError
        ``origins`` of another type, or a bad ``npartitions``.
    MissingDependencyError
        dask-geopandas is not installed.
    """
    dgpd = _dask_geopandas()
    import dask
    if npartitions is not None and (
        isinstance(npartitions, bool) or not isinstance(npartitions, int) or npartitions < 1
    ):
        raise InputError(f"npartitions: must be a positive integer, got {npartitions!r}.")
    if isinstance(origins, dgpd.GeoDataFrame):
        frame = origins
    elif isinstance(origins, (gpd.GeoDataFrame, gpd.GeoSeries)):
        gdf = as_frame(origins, layer="origins")
        n = npartitions or max(1, math.ceil(len(gdf) / ROWS_PER_PARTITION))
        # keep the user's dtypes: dask would turn string columns and labels into pyarrow strings,
        # and the result's index would then differ from the in-memory call's
        with dask.config.set({"dataframe.convert-string": False}):
            return dgpd.from_geopandas(gdf, npartitions=n)
    elif isinstance(origins, (str, os.PathLike)):
        if not os.path.exists(origins):
            raise InputError(f"origins: no such file or folder {os.fspath(origins)!r}; pass a GeoParquet path.")
        frame = dgpd.read_parquet(origins)
    else:
        raise InputError(
            f"origins: expected a dask_geopandas.GeoDataFrame, a GeoDataFrame or a GeoParquet path, "
            f"got {type(origins).__name__}."
        )
    if npartitions is not None and npartitions != frame.npartitions:
        frame = frame.repartition(npartitions=npartitions)
    return frame


def _validate_distance(value: float | None) -> None:
    if value is not None:
        distance(value, name="max_distance_m")


def _targets(targets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Targets checked and in the analysis CRS once, before they are sent to every partition."""
    return to_analysis_crs(as_frame(targets, layer="targets"), layer="targets")


def _point_parts(origins: Any, npartitions: int | None) -> list[tuple[str, int | None]] | None:
    """The parts of a GeoParquet dataset of points, read as coordinates (:mod:`gis.pointfile`); else None.

    Used for a path given without ``npartitions`` whose GeoParquet metadata declares only points.
    """
    if npartitions is not None or not isinstance(origins, (str, os.PathLike)) or not os.path.exists(origins):
        return None
    import pyarrow.parquet as pq

    parts = parquet_parts(origins)
    if not parts:
        return None
    try:
        _, info = _geo_metadata(pq.read_schema(parts[0][0]), parts[0][0])
    except InputError:  # no GeoParquet metadata: left to the ordinary reader
        return None
    return parts if info.get("geometry_types") == ["Point"] else None


def _read_part(part: tuple[str, int | None]) -> PointTable | gpd.GeoDataFrame:
    """One file or row group as coordinates; with geopandas if it holds anything but finite 2D points."""
    path, row_group = part
    points = read_points(path, row_group=row_group)
    if points is not None:
        return points
    gdf = gpd.read_parquet(path)
    if row_group is None:
        return gdf
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    before = sum(meta.row_group(i).num_rows for i in range(row_group))
    return gdf.iloc[before: before + meta.row_group(row_group).num_rows]


def _from_parts(parts: list[tuple[str, int | None]], kernel: Any, *args: Any) -> dd.DataFrame:
    """A lazy frame of ``kernel(part, *args)`` over the parts, read as coordinates."""
    import dask
    import dask.dataframe as dd

    first = _read_part(parts[0])
    meta = kernel(first.iloc[:0] if isinstance(first, gpd.GeoDataFrame) else
                  PointTable(first.xy[:0], first.crs, first.data.iloc[:0], first.source), *args)
    tasks = [dask.delayed(_run_part)(part, kernel, *args) for part in parts]
    return dd.from_delayed(tasks, meta=meta, verify_meta=False)


def _run_part(part: tuple[str, int | None], kernel: Any, *args: Any) -> pd.DataFrame:
    return kernel(_read_part(part), *args)


def _nearest_partition(part: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, k: int,
                       max_distance_m: float | None) -> pd.DataFrame:
    result = proximity.nearest(part, targets, k=k, max_distance_m=max_distance_m)
    if k > 1:  # dask frames take no MultiIndex: the rank becomes a column, the origin stays the index
        result = result.reset_index(level="rank")
    return result


def _within_partition(part: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, distance_m: float,
                      sort: bool) -> pd.DataFrame:
    return proximity.within(part, targets, distance_m, sort=sort)


def nearest(
    origins: dask_geopandas.GeoDataFrame | gpd.GeoDataFrame | str | os.PathLike,
    targets: gpd.GeoDataFrame,
    *,
    k: int = 1,
    max_distance_m: float | None = None,
    npartitions: int | None = None,
) -> dd.DataFrame:
    """:func:`gis.nearest` partition by partition; a lazy dask DataFrame.

    Parameters
    ----------
    origins : dask_geopandas.GeoDataFrame, GeoDataFrame or path
        See :func:`partitions`.  Any CRS (each partition is reprojected to
        the analysis CRS).
    targets : GeoDataFrame
        Small enough for memory; sent to every partition.
    k, max_distance_m
        As in :func:`gis.nearest`.
    npartitions : int, optional
        See :func:`partitions`.

    Returns
    -------
    dask.dataframe.DataFrame
        ``k == 1``: the columns of :func:`gis.nearest`, indexed like the
        origins (divisions kept); ``.compute()`` equals
        ``gis.nearest(origins.compute(), targets)`` (``dist_m`` to 1 mm,
        module docstring).
        ``k > 1``: indexed by the origin label (``origin_index``) with a
        ``rank`` column first; ``.compute().set_index("rank", append=True)``
        equals ``gis.nearest(..., k=k)``.

    Raises
    ------
    InputError
        A bad ``k``, ``max_distance_m`` or ``origins`` now; invalid origin
        geometries when computed.
    CRSError
        ``targets`` (now) or a partition of ``origins`` (when computed)
        without an identifiable CRS.
    MissingDependencyError
        dask-geopandas is not installed.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> homes = gpd.GeoDataFrame(geometry=[Point(109.245, 24.651), Point(109.751, 24.473),
    ...     Point(109.40, 24.30)], crs="EPSG:4326")
    >>> hubs = gpd.GeoDataFrame({"name": ["柳州站"]}, geometry=[Point(109.405, 24.307)],
    ...     crs="EPSG:4326").set_index("name")
    >>> lazy = nearest(homes, hubs, npartitions=2)  # doctest: +SKIP
    >>> [round(d) for d in lazy.compute()["dist_m"]]  # doctest: +SKIP
    [41412, 39624, 926]
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError(f"k: must be a positive integer (how many nearest targets), got {k!r}.")
    points = _point_parts(origins, npartitions)
    if points is not None:
        _dask_geopandas()
        t = _targets(targets)
        _validate_distance(max_distance_m)
        return _from_parts(points, _nearest_partition, t, k, max_distance_m)
    frame = partitions(origins, npartitions=npartitions)
    t = _targets(targets)
    meta = _nearest_partition(frame._meta, t, k, max_distance_m)  # also checks max_distance_m now
    return frame.map_partitions(_nearest_partition, t, k, max_distance_m, meta=meta,
                                clear_divisions=False, enforce_metadata=False)


def within(
    origins: dask_geopandas.GeoDataFrame | gpd.GeoDataFrame | str | os.PathLike,
    targets: gpd.GeoDataFrame,
    distance_m: float,
    *,
    sort: bool = True,
    npartitions: int | None = None,
) -> dd.DataFrame:
    """:func:`gis.within` partition by partition; a lazy dask DataFrame.

    Parameters
    ----------
    origins : dask_geopandas.GeoDataFrame, GeoDataFrame or path
        See :func:`partitions`.
    targets : GeoDataFrame
        Small enough for memory; sent to every partition.
    distance_m, sort
        As in :func:`gis.within` (``sort`` orders the pairs of each partition;
        partitions keep the origins' order).
    npartitions : int, optional
        See :func:`partitions`.

    Returns
    -------
    dask.dataframe.DataFrame
        The columns of :func:`gis.within`; the index restarts at 0 in every
        partition, so ``.compute().reset_index(drop=True)`` equals
        ``gis.within(origins.compute(), targets, distance_m)``.

    Raises
    ------
    InputError
        A bad ``distance_m`` or ``origins`` now; invalid origin geometries
        when computed.
    MissingDependencyError
        dask-geopandas is not installed.
    """
    points = _point_parts(origins, npartitions)
    if points is not None:
        _dask_geopandas()
        t = _targets(targets)
        return _from_parts(points, _within_partition, t, distance(distance_m, name="distance_m"), sort)
    frame = partitions(origins, npartitions=npartitions)
    t = _targets(targets)
    meta = _within_partition(frame._meta, t, distance_m, sort)  # also checks distance_m now
    return frame.map_partitions(_within_partition, t, distance_m, sort, meta=meta,
                                clear_divisions=True, enforce_metadata=False)
