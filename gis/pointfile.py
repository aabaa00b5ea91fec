"""Point coordinates straight from GeoParquet, without building a geometry per row.

Building shapely points is most of the cost of reading millions of origins
(``gpd.read_parquet`` of 1e7 points: ~2/3 of a whole nearest call), and an
analysis of points needs only their coordinates.  :func:`read_points` reads
them from the file's buffers: WKB points (GeoParquet's default encoding: 21
bytes each, viewed as a structured array) or GeoArrow ``point`` columns
(separate x and y arrays).  A whole file of WKB points is read row group by row
group, each group's buffer decoded straight into one coordinate array (no
combined copy of the column, no whole table held).  The other columns come
through pyarrow, with the index the file stores.  Anything else (lines, polygons, Z values, empty or
missing geometries) gives ``None``: read such a file with ``gpd.read_parquet``,
whose rows the analyses check and name.

:func:`gis.nearest` and :func:`gis.within` take the path of such a file (or a
:class:`PointTable`) wherever they take a GeoDataFrame; :mod:`gis.partitioned`
reads each file or row group this way.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyproj

from ._errors import CRSError, InputError, require

__all__ = ["PointTable", "read_points", "parquet_parts"]

#: WKB of a 2D point: byte order, geometry type, x, y.
_WKB_LE = np.dtype([("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])
_WKB_BE = np.dtype([("order", "u1"), ("type", ">u4"), ("x", ">f8"), ("y", ">f8")])


@dataclass
class PointTable:
    """Points as coordinates: ``xy`` (n, 2) in ``crs``, the other columns in ``data`` (indexed like the rows)."""

    xy: np.ndarray
    crs: pyproj.CRS
    data: pd.DataFrame
    source: str = ""

    def __len__(self) -> int:
        return len(self.xy)

    @property
    def index(self) -> pd.Index:
        return self.data.index

    def to_geodataframe(self) -> Any:
        """The same rows as a GeoDataFrame (builds the points: for small tables and for output)."""
        import geopandas as gpd

        return gpd.GeoDataFrame(self.data, geometry=gpd.points_from_xy(self.xy[:, 0], self.xy[:, 1]),
                                crs=self.crs)


def _geo_metadata(schema: Any, where: str) -> tuple[str, dict[str, Any]]:
    raw = (schema.metadata or {}).get(b"geo")
    if raw is None:
        raise InputError(f"{where}: is not GeoParquet (no 'geo' metadata); write it with GeoDataFrame.to_parquet.")
    geo = json.loads(raw)
    column = geo["primary_column"]
    return column, geo["columns"][column]


def _crs(info: dict[str, Any], where: str) -> pyproj.CRS:
    if "crs" not in info:  # GeoParquet: an absent crs means OGC:CRS84 (lon/lat)
        return pyproj.CRS.from_user_input("OGC:CRS84")
    if info["crs"] is None:
        raise CRSError(f"{where}: the GeoParquet file declares no CRS; write it with a CRS (gdf.set_crs(...)).")
    return pyproj.CRS.from_user_input(info["crs"])


def _wkb_points(array: Any, out: np.ndarray | None = None) -> np.ndarray | None:
    """(n, 2) coordinates of a WKB column of 2D points, or None if any value is something else.

    ``out``: an (n, 2) array to write them into (a slice of the whole file's coordinates).
    """
    import pyarrow as pa

    n = len(array)
    if n == 0:
        return np.zeros((0, 2)) if out is None else out
    if array.null_count:
        return None
    large = pa.types.is_large_binary(array.type)
    if not (large or pa.types.is_binary(array.type)):
        return None
    _, offsets_buf, data_buf = array.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64 if large else np.int32)[array.offset: array.offset + n + 1]
    start, stop = int(offsets[0]), int(offsets[-1])
    if stop - start != 21 * n or not (np.diff(offsets) == 21).all():
        return None
    raw = np.frombuffer(data_buf, dtype=np.uint8)[start:stop]
    order = raw[0]
    if not (raw[::21] == order).all():
        return None
    rec = raw.view(_WKB_LE if order == 1 else _WKB_BE)
    if not (rec["type"] == 1).all():
        return None
    xy = np.empty((n, 2)) if out is None else out
    xy[:, 0] = rec["x"]
    xy[:, 1] = rec["y"]
    return xy


def _wkb_file_points(pf: Any, column: str) -> np.ndarray | None:
    """The WKB points of a whole file, row group by row group, each batch decoded straight into one array.

    Neither the file's WKB column as a whole nor a combined copy of it is ever held: at most one
    row group's buffers beside the coordinates.
    """
    xy = np.empty((pf.metadata.num_rows, 2))
    a = 0
    for i in range(pf.metadata.num_row_groups):
        for chunk in pf.read_row_group(i, columns=[column]).column(column).chunks:
            if _wkb_points(chunk, out=xy[a: a + len(chunk)]) is None:
                return None
            a += len(chunk)
    return xy if a == len(xy) else None


def _geoarrow_points(array: Any) -> np.ndarray | None:
    import pyarrow as pa

    if array.null_count:
        return None
    if pa.types.is_struct(array.type) and {array.type.field(i).name for i in range(array.type.num_fields)} == {"x", "y"}:
        xy = np.empty((len(array), 2))
        xy[:, 0] = array.field("x").to_numpy(zero_copy_only=False)
        xy[:, 1] = array.field("y").to_numpy(zero_copy_only=False)
        return xy
    if pa.types.is_fixed_size_list(array.type) and array.type.list_size == 2:
        return np.asarray(array.flatten().to_numpy(zero_copy_only=False), dtype=float).reshape(-1, 2).copy()
    return None


def _table_points(table: Any, column: str, info: dict[str, Any], crs: pyproj.CRS, where: str,
                  index: pd.Index | None) -> PointTable | None:
    geometry = table.column(column).combine_chunks()
    encoding = str(info.get("encoding", "WKB")).lower()
    xy = _wkb_points(geometry) if encoding == "wkb" else _geoarrow_points(geometry) if encoding == "point" else None
    if xy is None or not np.isfinite(xy).all():  # empty points are NaN: left to the full checks
        return None
    data = table.drop_columns([column]).to_pandas()
    if index is not None:
        data.index = index
    return PointTable(xy, crs, data, source=where)


def read_points(path: str | os.PathLike, *, columns: list[str] | None = None,
                row_group: int | None = None) -> PointTable | None:
    """The points of a GeoParquet file as coordinates, or ``None`` if its geometries are not all 2D points.

    Parameters
    ----------
    path : path-like
        A GeoParquet file.
    columns : list of str, optional
        Other columns to read (default: all); the stored index comes with them.
    row_group : int, optional
        Read only this row group (its rows keep their labels in the whole file).

    Returns
    -------
    PointTable or None

    Raises
    ------
    InputError
        Not a GeoParquet file.
    CRSError
        The file declares no CRS.
    """
    try:
        return _read_points(path, columns=columns, row_group=row_group)
    finally:
        _release_arrow_memory()


def _release_arrow_memory() -> None:
    """Give the pages pyarrow's allocator keeps after a read back to the system.

    mimalloc / jemalloc hold freed pages for reuse by arrow only: reading 3e6 points left ~200 MB
    held for a 46 MB result, memory the analysis that follows could not use.
    """
    import pyarrow as pa

    release = getattr(pa.default_memory_pool(), "release_unused", None)
    if release is not None:
        release()


def _read_points(path: str | os.PathLike, *, columns: list[str] | None,
                 row_group: int | None) -> PointTable | None:
    pq = require("pyarrow.parquet", extra="dask", feature="reading GeoParquet")
    where = os.fspath(path)
    pf = pq.ParquetFile(where)
    column, info = _geo_metadata(pf.schema_arrow, where)
    crs = _crs(info, where)
    wanted = None
    if columns is not None:
        names = set(pf.schema_arrow.names)
        pandas_meta = json.loads((pf.schema_arrow.metadata or {}).get(b"pandas", b"{}"))
        index_columns = [c for c in pandas_meta.get("index_columns", []) if isinstance(c, str)]
        wanted = [column, *[c for c in columns if c in names and c != column], *index_columns]
    index = None
    if row_group is None and str(info.get("encoding", "WKB")).lower() == "wkb":
        xy = _wkb_file_points(pf, column)
        if xy is None or not np.isfinite(xy).all():  # as _table_points: left to the full checks
            return None
        others = [c for c in (pf.schema_arrow.names if wanted is None else wanted) if c != column]
        return PointTable(xy, crs, pf.read(columns=others).to_pandas(), source=where)
    if row_group is None:
        table = pf.read(columns=wanted)
    else:
        table = pf.read_row_group(row_group, columns=wanted)
        index = _row_group_range(pf, row_group)
    return _table_points(table, column, info, crs, where, index)


def _row_group_range(pf: Any, row_group: int) -> pd.Index | None:
    """Labels of a row group when the file stores a RangeIndex (pyarrow would restart it at 0)."""
    meta = json.loads((pf.schema_arrow.metadata or {}).get(b"pandas", b"{}"))
    stored = meta.get("index_columns", [])
    if not stored:
        start, step = 0, 1
    elif isinstance(stored[0], dict) and stored[0].get("kind") == "range" and len(stored) == 1:
        start, step = stored[0]["start"], stored[0]["step"]
    else:
        return None  # index columns: pyarrow restores them
    before = sum(pf.metadata.row_group(i).num_rows for i in range(row_group))
    rows = pf.metadata.row_group(row_group).num_rows
    return pd.RangeIndex(start + step * before, start + step * (before + rows), step,
                         name=stored[0].get("name") if stored else None)


def parquet_parts(path: str | os.PathLike) -> list[tuple[str, int | None]]:
    """The parts of a GeoParquet dataset: (file, row group) for a file, (file, None) per file of a folder."""
    p = Path(path)
    if p.is_dir():
        import re

        def natural(name: str) -> list:
            return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]

        files = sorted((f for f in p.iterdir() if f.suffix == ".parquet"), key=lambda f: natural(f.name))
        return [(str(f), None) for f in files]
    pq = require("pyarrow.parquet", extra="dask", feature="reading GeoParquet")
    groups = pq.ParquetFile(str(p)).metadata.num_row_groups
    return [(str(p), i) for i in range(groups)] if groups > 1 else [(str(p), None)]
