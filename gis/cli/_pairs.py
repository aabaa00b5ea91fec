"""Result tables of the distance verbs (nearest, within, run): analyses run on positional layers, their
answers labelled with the layers' own index labels and names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._errors import InputError
from ._inputs import _labels

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from .main import State


def _targets_by_precision(t: gpd.GeoDataFrame, *, name: str, max_target_precision_m: float | None, state: State,
                          option: str = "--max-target-precision-m", origins: str = "origin",
                          column: str = "target_precision_m") -> gpd.GeoDataFrame:
    """The targets located to ``max_target_precision_m`` or better (all of them when it is ``None``).

    Says how many were kept, and warns when none is, or when most of those kept are placed only by their
    county or city (``geocode_level`` county/city): distances to them are uncertain by kilometres.
    ``name`` names the targets, ``origins`` what measures to them and ``column`` the result column
    carrying the targets' precision, in the messages.
    """
    import numpy as np
    import pandas as pd

    if max_target_precision_m is not None:
        if "precision_m" not in t.columns:
            raise InputError(f"{option}: the targets {name} have no precision_m column, so how "
                             "precisely they are located is unknown; drop the option or add the column.")
        precision = pd.to_numeric(t["precision_m"], errors="coerce").to_numpy(dtype=float)
        keep = precision <= max_target_precision_m
        unknown = int(np.isnan(precision).sum())
        state.step(f"{int(keep.sum())} of {len(t)} targets in {name} are located to {max_target_precision_m:g} m or "
                   "better" + (f" ({unknown} without precision_m)" if unknown else "") + "; the others are not targets")
        if not keep.any():
            state.warn(f"no target of {name} is located to {max_target_precision_m:g} m or better "
                       f"({option}); every {origins} is left without one.")
        if not keep.all():
            t = t[keep]
    if "geocode_level" in t.columns and len(t):
        coarse = t["geocode_level"].isin(["county", "city"]).to_numpy()
        if coarse.sum() * 2 > len(t):
            state.warn(f"{int(coarse.sum())} of {len(t)} targets in {name} are placed only by their county or "
                       "city (geocode_level county/city), so distances to them are uncertain by kilometres "
                       f"(see {column}); {option} 5000 keeps those located to a township or better.")
    return t


def _positional(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``gdf`` indexed 0..n-1 (only geometry and ``precision_m`` when it is not already): the analyses then
    answer in positions, which map back to labels, names and rows by one ``take`` each."""
    import geopandas as gpd
    import pandas as pd

    index = gdf.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return gdf
    data = {"precision_m": gdf["precision_m"].to_numpy()} if "precision_m" in gdf.columns else {}
    return gpd.GeoDataFrame(data, geometry=gdf.geometry.values, crs=gdf.crs)


def _positions(values: Any) -> np.ndarray:
    """Result positions (labels of a positional layer) as int64, -1 where there is none."""
    import numpy as np
    import pandas as pd

    array = np.asarray(values)
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    return pd.to_numeric(pd.Series(array, dtype=object)).fillna(-1).to_numpy(dtype=np.int64)


def _pair_table(origins: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, result: pd.DataFrame, *,
                origin_col: str, target_col: str, origin_columns: bool = False) -> gpd.GeoDataFrame:
    """Result rows with origin and target labels, and the origin geometry; linear in the rows.

    ``result`` comes from an analysis of :func:`_positional` layers, so ``origin_col`` and
    ``target_col`` hold positions (missing where no target); they are replaced by the layers' own
    index labels.  Labels are built once per layer (:func:`_labels`) and gathered by position.
    ``origin_columns``: append the origins' own columns (``origin_`` prefixed where a name is taken),
    for outputs that are a layer of origins.
    """
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    opos = _positions(result[origin_col])
    tpos = _positions(result[target_col])
    found = tpos >= 0
    tsafe = np.where(found, tpos, 0)
    target_names = _labels(targets)[tsafe] if len(targets) else np.full(len(tpos), None, dtype=object)
    target_index = np.asarray(targets.index, dtype=object)[tsafe] if len(targets) else \
        np.full(len(tpos), None, dtype=object)
    if not found.all():
        target_names = target_names.astype(object)
        target_names[~found] = None
        target_index[~found] = None
    target_index_col: Any = target_index
    if found.all() and len(targets) and targets.index.dtype.kind in "iu":
        target_index_col = targets.index.to_numpy()[tpos]
    columns: dict[str, Any] = {"origin_name": _labels(origins)[opos], "target_name": target_names}
    for column in result.columns:
        if column == origin_col:
            columns[column] = origins.index.to_numpy()[opos]
        elif column == target_col:
            columns[column] = target_index_col
        elif str(result[column].dtype) == "boolean":  # nullable (within_uncertainty): NA as an empty cell
            values = result[column]
            columns[column] = values.astype(object).where(values.notna(), None).to_numpy()
        else:
            columns[column] = result[column].to_numpy()
    if origin_columns:
        geometry_name = origins.geometry.name
        for column in origins.columns:
            if column == geometry_name:
                continue
            name = str(column)
            while name in columns:
                name = f"origin_{name}"
            columns[name] = origins[column].to_numpy()[opos]
    out = pd.DataFrame(columns, copy=False)
    return gpd.GeoDataFrame(out, geometry=origins.geometry.values.take(opos), crs=origins.crs)


def _missing(value: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
