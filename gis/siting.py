"""Siting (选址): options of one project side by side (方案比选), and candidate sites scored by criteria.

:func:`compare_options` puts the options of each project side by side: the
hectares each occupies of every control-zone class (:func:`gis.review`), the
geodesic distance to the nearest logistics node and the nearest corridor, the
drive time to its county seat when a road network is at hand, and the
structure element (核 / 翼 / 组团 …) it lies in; then ranks the options of
each project by a rule stated in the table.  Every number comes with what it
was measured to (``node_name``, ``corridor_name``, ``seat_name``), so it can
be traced.

:func:`site_suitability` scores candidate points (a user's list or
:func:`candidate_grid` over a county or structure element) against criteria:

``near``
    ``{label: (targets, limit)}``: passes when the nearest target is within
    ``limit`` metres, or ``"<n> min"`` of driving on ``roads``;
``far_from``
    ``{label: (targets, metres)}``: passes when every target is farther;
``exclude``
    ``{label: polygons}``: passes when the candidate lies certainly outside
    (its gap to the polygons exceeds its ``precision_m``);
``inside``
    ``{label: polygons}``: passes when it lies certainly inside.

Targets and polygons are GeoDataFrames or shipped layer names.  The table
holds each criterion's measured value and pass/fail, ``n_pass``,
``all_pass``, ``score`` (the weighted share of criteria passed, 0-100) and
``rank``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _validate
from ._errors import GisError, InputError
from ._geodesic import scale_factor
from .crs import analysis_crs, to_analysis_crs
from .prepare import is_geocoded, prepare_frame, prepare_layer
from .proximity import nearest
from .review import _frame, _labels, footprints, review, row_numbers

__all__ = ["compare_options", "site_suitability", "candidate_grid", "DEFAULT_STRUCTURE"]

#: The structure whose polygon elements name where an option lies.
DEFAULT_STRUCTURE = "一核两翼三组团多支点"
_MINUTES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(min|分钟|minutes?)\s*$", re.IGNORECASE)


def _layer(value: Any, *, where: str) -> gpd.GeoDataFrame:
    if isinstance(value, str):
        from .layers import load_layer

        return load_layer(value)
    if isinstance(value, gpd.GeoDataFrame):
        return value
    raise InputError(f"{where}: expected a GeoDataFrame or a shipped layer name, got {type(value).__name__}.")


def _label_of(gdf: pd.DataFrame) -> pd.Series:
    for column in ("name", "名称", "title"):
        if column in gdf.columns:
            return gdf[column].astype(str)
    return pd.Series([str(i) for i in gdf.index], index=gdf.index)


def _centres(fp: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The centre of each footprint (the point itself for points and disks), with its precision."""
    geoms = np.asarray(fp.geometry.values, dtype=object)
    return gpd.GeoDataFrame({"precision_m": fp["precision_m"].to_numpy()},
                            geometry=shapely.centroid(geoms), crs=fp.crs, index=fp.index)


def _roads(roads: Any, notes: list[str]):
    """A travel network from ``roads`` ("auto": the shipped ``roads`` layer if there is one), or ``None``."""
    from .layers import catalog
    from .network import travel_network

    if roads is None:
        notes.append("drive times: no road network given; skipped.")
        return None
    auto = isinstance(roads, str) and roads == "auto"
    if auto:
        if "roads" not in catalog():
            notes.append("drive times: no shipped 'roads' layer; skipped (pass roads=<lines> to compute them).")
            return None
        roads = "roads"
    from .drive import road_lines

    lines = road_lines(roads, option="roads")
    try:
        net = travel_network(lines)
    except GisError as exc:
        if not auto:
            raise
        notes.append(f"drive times: the shipped 'roads' layer could not be made a network ({exc}); skipped.")
        return None
    notes.append(f"drive times: on {len(lines)} road lines"
                 + (" (schematic lines among them: indicative)" if net.schematic else "") + ".")
    return net


def _elements(structure: Any) -> gpd.GeoDataFrame | None:
    from .structure import structure as load_structure

    if structure is None:
        return None
    gdf = load_structure(structure) if isinstance(structure, str) else structure
    polys = gdf[gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    return to_analysis_crs(polys, layer="structure")


def _element_of(centres: gpd.GeoDataFrame, elements: gpd.GeoDataFrame | None) -> tuple[list, list]:
    """The smallest polygon element holding each centre: (names, roles); None outside all."""
    if elements is None or len(elements) == 0:
        return [None] * len(centres), [None] * len(centres)
    eg = np.asarray(elements.geometry.values, dtype=object)
    area = shapely.area(eg)
    ci, ei = shapely.STRtree(eg).query(np.asarray(centres.geometry.values, dtype=object), predicate="within")
    names, roles = [None] * len(centres), [None] * len(centres)
    best = np.full(len(centres), np.inf)
    for c, e in zip(ci, ei):
        if area[e] < best[c]:
            best[c] = area[e]
            names[c] = str(elements["name"].iloc[e])
            roles[c] = str(elements["role"].iloc[e]) if "role" in elements.columns else None
    return names, roles


def _nearest_to(centres: gpd.GeoDataFrame, targets: gpd.GeoDataFrame,
                with_precision: bool = False) -> tuple[np.ndarray, list] | tuple[np.ndarray, list, np.ndarray]:
    near = nearest(centres, targets)
    labels = _label_of(targets)
    dist = near["dist_m"].to_numpy(dtype=float)
    names = [None if pd.isna(t) else labels.loc[t] for t in near["target_index"]]
    if with_precision:
        return dist, names, near["target_precision_m"].to_numpy(dtype=float)
    return dist, names


def _drive_to_seats(net, centres: gpd.GeoDataFrame, counties: list) -> tuple[np.ndarray, list]:
    from .layers import load_layer
    from .routing import travel_times

    seats = load_layer("county_seats")
    by_name = {str(n): i for i, n in zip(seats.index, seats["name"])}
    minutes = np.full(len(centres), np.nan)
    seat_names: list = [None] * len(centres)
    wanted = [by_name.get(str(c)) for c in counties]
    have = [i for i, w in enumerate(wanted) if w is not None]
    if not have:
        return minutes, seat_names
    targets = seats.loc[sorted({wanted[i] for i in have})]
    table = travel_times(net, centres.iloc[have], targets)
    for row, i in enumerate(have):
        minutes[i] = float(table.iloc[row][wanted[i]])
        seat_names[i] = str(seats.at[wanted[i], "name"])
    return minutes, seat_names


def _county_of(centres: gpd.GeoDataFrame) -> list:
    from .layers import load_layer

    counties = to_analysis_crs(load_layer("counties"), layer="counties")
    ci, ki = shapely.STRtree(np.asarray(counties.geometry.values, dtype=object)).query(
        np.asarray(centres.geometry.values, dtype=object), predicate="within")
    out: list = [None] * len(centres)
    for c, k in zip(ci, ki):
        out[c] = str(counties["name"].iloc[k])
    return out


def compare_options(
    options: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None = None,
    *,
    option_field: str,
    zone_field: str | None = None,
    project_field: str | None = None,
    area_field: str | None = None,
    area_unit: str | None = None,
    zones_datum: str | None = None,
    avoid: Sequence[str] | None = None,
    nodes: Any = "logistics",
    corridors: Any = "corridors",
    structure: Any = DEFAULT_STRUCTURE,
    roads: Any = "auto",
) -> pd.DataFrame:
    """Options of each project side by side, ranked (方案比选).

    Parameters
    ----------
    options : GeoDataFrame
        One row per option: polygons or points (with ``precision_m`` and
        optionally a stated area, see :func:`gis.footprints`).
    zones : GeoDataFrame, optional
        Control zones; with them each option's hectares per class (:func:`gis.review`).
    option_field : str
        The option column (方案); every row also needs its project id.
    zone_field, project_field, area_field, area_unit, zones_datum :
        As in :func:`gis.review`.
    avoid : sequence of str, optional
        Zone classes an option should not occupy (default: every class);
        ``avoid_ha`` is their total, the first ranking key.
    nodes, corridors : GeoDataFrame or layer name, optional
        Logistics nodes and corridors to measure to (``None`` skips).
    structure : str or GeoDataFrame, optional
        The structure whose polygon elements name where each option lies.
    roads : "auto", GeoDataFrame, layer name, road file or None
        Lines for drive times to the county seat (any speed or class column
        :func:`gis.travel_network` reads; a file as :func:`gis.drive.road_lines`
        reads it, ``.osm`` / ``.pbf`` too); "auto" uses a shipped ``roads``
        layer when there is one and skips otherwise (a note says so).

    Returns
    -------
    pandas.DataFrame
        One row per option, ordered by project then rank: ``project``,
        ``option``, ``row``, ``footprint_basis``, ``footprint_ha``,
        ``precision_m``; per zone class ``<class>_ha`` and ``<class>_verdict``;
        ``avoid_ha``, ``avoid_touched`` (how many avoided classes the option
        occupies or may touch: verdict not ``clear``; counts points without area too); ``county``, ``structure_element``, ``structure_role``;
        ``node_name``, ``node_dist_m``, ``node_precision_m``, ``corridor_name``,
        ``corridor_dist_m``, ``corridor_precision_m`` (distances from the
        footprint's centre; the target's ``precision_m`` says how well the
        plans place it);
        ``seat_name``, ``drive_min`` (when roads); ``rank`` within the project.
        Ranking: ``avoid_ha`` ascending, then ``avoid_touched``, then
        ``node_dist_m``, then ``corridor_dist_m`` (stated in ``attrs["ranking"]``).
        ``attrs["notes"]`` says what was skipped and why.
    """
    notes: list[str] = []
    src = _frame(options, layer="options")
    projects, option_names, _ = _labels(src, project_field, option_field)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # review() below warns once
        fp = footprints(src, area_field=area_field, area_unit=area_unit)
    classes: list[str] = []
    if zones is not None:
        r = review(src, zones, zone_field=zone_field, option_field=option_field, project_field=project_field,
                   area_field=area_field, area_unit=area_unit, zones_datum=zones_datum)
        notes.extend(r.attrs["review"]["notes"])
        classes = r.attrs["review"]["zone_classes"]
    table = pd.DataFrame({
        "project": projects, "option": option_names, "row": row_numbers(src),
        "footprint_basis": fp["footprint_basis"].to_numpy(), "footprint_ha": fp["footprint_ha"].to_numpy(),
        "precision_m": fp["precision_m"].to_numpy(),
    }, index=src.index)
    unknown = sorted(set(avoid or []) - set(classes))
    if unknown:
        raise InputError(f"avoid: zone classes {unknown} are not in the zones ({', '.join(classes) or 'none given'}).")
    avoid_set = set(classes if avoid is None else avoid)
    avoid_ha = np.zeros(len(src))
    avoid_touch = np.zeros(len(src), dtype=int)
    for cls in classes:
        part = r[r["zone_class"] == cls].set_index("source_index").reindex(src.index)
        table[f"{cls}_ha"] = part["area_ha"].to_numpy()
        table[f"{cls}_verdict"] = part["verdict"].to_numpy()
        if cls in avoid_set:
            avoid_ha += np.nan_to_num(part["area_ha"].to_numpy(dtype=float))
            avoid_touch += (part["verdict"].to_numpy() != "clear").astype(int)
    table["avoid_ha"] = avoid_ha
    table["avoid_touched"] = avoid_touch
    centres = _centres(fp)
    table["county"] = _county_of(centres)
    elements = _elements(structure)
    table["structure_element"], table["structure_role"] = _element_of(centres, elements)
    keys = ["avoid_ha", "avoid_touched"]
    for label, targets in (("node", nodes), ("corridor", corridors)):
        if targets is None:
            notes.append(f"{label} distances: skipped (none given).")
            continue
        t = _layer(targets, where=label + "s")
        dist, names, prec = _nearest_to(centres, t, with_precision=True)
        table[f"{label}_name"] = names
        table[f"{label}_dist_m"] = dist
        table[f"{label}_precision_m"] = prec  # how well the plans place it: the distance is known to about this
        keys.append(f"{label}_dist_m")
    net = _roads(roads, notes)
    if net is not None:
        minutes, seats = _drive_to_seats(net, centres, list(table["county"]))
        table["seat_name"] = seats
        table["drive_min"] = minutes
    order = table.sort_values(["project", *keys], kind="stable")
    table["rank"] = order.groupby("project", sort=False).cumcount().reindex(table.index) + 1
    out = table.loc[order.index].reset_index(names="source_index")
    out.attrs["ranking"] = "within each project: " + ", then ".join(f"{k} ascending" for k in keys)
    out.attrs["notes"] = notes
    out.attrs["zone_classes"] = classes
    return out


# ---------------------------------------------------------------- candidate sites


def candidate_grid(area: Any, *, spacing_m: float, structure: str = DEFAULT_STRUCTURE) -> gpd.GeoDataFrame:
    """Candidate points on a square grid (in the analysis CRS) over a county, a structure element or polygons.

    Parameters
    ----------
    area : str or GeoDataFrame
        A county of the ``counties`` layer (``柳城县`` or ``柳城``), a polygon
        element of ``structure`` (``中心城区``), or polygons.
    spacing_m : float
        Grid spacing in metres (plane metres of the analysis CRS, within 0.1 %
        of geodesic metres at Liuzhou).

    Returns
    -------
    GeoDataFrame
        Points in EPSG:4326 with ``name`` (``格点<i>``), ``grid_x``/``grid_y``
        (analysis CRS), ``spacing_m`` and ``precision_m`` = 0 (a candidate is
        where it is).

    Examples
    --------
    >>> g = candidate_grid("城中区", spacing_m=2000)
    >>> 10 < len(g) < 40, float(g["precision_m"].max())
    (True, 0.0)
    """
    spacing = _validate.distance(spacing_m, name="spacing_m", allow_zero=False)
    if isinstance(area, str):
        from .layers import load_layer
        from .structure import structure as load_structure

        counties = load_layer("counties")
        hit = counties[(counties["name"] == area) | (counties["short_name"] == area)]
        if hit.empty:
            elements = load_structure(structure)
            hit = elements[(elements["name"] == area) & elements.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
        if hit.empty:
            raise InputError(f"grid area {area!r}: neither a county ({', '.join(counties['name'])}) nor a polygon "
                             f"element of {structure}. Give one of those, or polygons.")
        polygons = hit
    else:
        polygons = _frame(area, layer="grid area")
    poly = prepare_frame(polygons, name="grid area")
    shape = shapely.union_all(np.asarray(poly.geometry.values, dtype=object))
    minx, miny, maxx, maxy = shape.bounds
    xs = np.arange(np.floor(minx / spacing) * spacing, maxx + spacing, spacing)
    ys = np.arange(np.floor(miny / spacing) * spacing, maxy + spacing, spacing)
    if len(xs) * len(ys) > 2_000_000:
        raise InputError(f"spacing_m={spacing:g} gives {len(xs) * len(ys):,} grid points over this area; "
                         "use a larger spacing.")
    gx, gy = np.meshgrid(xs, ys)
    pts = shapely.points(gx.ravel(), gy.ravel())
    shapely.prepare(shape)
    keep = shapely.contains(shape, pts)
    out = gpd.GeoDataFrame({"name": [f"格点{i + 1}" for i in range(int(keep.sum()))],
                            "grid_x": gx.ravel()[keep], "grid_y": gy.ravel()[keep],
                            "spacing_m": spacing, "precision_m": 0.0},
                           geometry=pts[keep], crs=poly.crs)
    return out.to_crs("EPSG:4326")


def _criterion_items(value: Any, *, kind: str) -> list[tuple[str, Any, Any]]:
    if value is None:
        return []
    if not isinstance(value, Mapping):
        raise InputError(f"{kind}: expected a dict {{label: ...}}, got {type(value).__name__}.")
    items = []
    for label, spec in value.items():
        if kind in ("near", "far_from"):
            if not (isinstance(spec, (tuple, list)) and len(spec) == 2):
                raise InputError(f"{kind}[{label!r}]: expected (targets, limit), e.g. ('logistics', 10000) or "
                                 "('logistics', '30 min').")
            items.append((str(label), spec[0], spec[1]))
        else:
            items.append((str(label), spec, None))
    return items


def site_suitability(
    candidates: gpd.GeoDataFrame,
    *,
    near: Mapping[str, tuple[Any, float | str]] | None = None,
    far_from: Mapping[str, tuple[Any, float]] | None = None,
    exclude: Mapping[str, Any] | None = None,
    inside: Mapping[str, Any] | None = None,
    weights: Mapping[str, float] | None = None,
    roads: Any = None,
    strict: bool = False,
) -> gpd.GeoDataFrame:
    """Score candidate sites by documented criteria and rank them.

    Parameters
    ----------
    candidates : GeoDataFrame
        Points (a user's list, or :func:`candidate_grid`), any CRS;
        ``precision_m`` is respected by ``exclude`` and ``inside``.
    near : dict, optional
        ``{label: (targets, limit)}``; ``limit`` in metres, or ``"30 min"`` of
        driving on ``roads``.  Value column ``<label>_dist_m`` (or ``_min``),
        ``<label>_name`` (the nearest target) and ``<label>_target_precision_m``
        (that target's ``precision_m``: the value is known to about this; NaN
        when the targets carry none).
    far_from : dict, optional
        ``{label: (targets, metres)}``: pass when the nearest target is farther;
        the same columns.
    exclude : dict, optional
        ``{label: polygons}``: pass when the candidate is farther from every
        polygon than its ``precision_m`` (value ``<label>_dist_m``, 0 inside).
    inside : dict, optional
        ``{label: polygons}``: pass when the candidate lies inside, deeper than
        its ``precision_m`` (value ``<label>_depth_m``, negative outside).
    weights : dict, optional
        ``{label: weight}`` (default 1 each) for ``score``.
    roads : GeoDataFrame, layer name or road file, optional
        Lines for minute limits (:func:`gis.drive.road_lines`, :func:`gis.travel_network`).
    strict : bool, default False
        Refuse a geocoded table's rows without a position (naming them) instead of keeping them.

    Returns
    -------
    GeoDataFrame
        The candidates (their columns kept), then per criterion its value and
        ``<label>_pass``; ``n_pass``, ``all_pass``, ``score`` (weighted share
        of criteria passed, 0-100) and ``rank`` (1 best: all_pass, then
        score, then the first ``near`` value).  ``attrs["criteria"]`` lists the
        criteria in words.  A geocoded table's rows without a position (unmatched by the geocoder) are
        kept after the ranked ones, criteria values empty, ``_pass`` False, ``score`` and ``rank`` empty,
        with a ``note`` (``未定位`` or the geocoder's reason) and a warning counting them.

    Examples
    --------
    >>> import gis
    >>> cands = gis.candidate_grid("柳城县", spacing_m=5000)
    >>> s = site_suitability(cands, near={"物流": ("logistics", 15000)}, inside={"翼": gis.structure(
    ...     "一核两翼三组团多支点").query("role == '翼'")})
    >>> int(s["rank"].min()), bool(s.iloc[0]["all_pass"])
    (1, True)
    """
    full = _frame(candidates, layer="candidates")
    prepared = prepare_layer(full, name="candidates", keep_unplaced=is_geocoded(full), strict=strict)
    prepared.warn_unplaced(what="kept at the end of the ranking without values, score or rank", stacklevel=3)
    c = full[prepared.placed] if prepared.n_unplaced else full
    if prepared.n_unplaced and not len(c):
        raise InputError(f"candidates: none of its {len(full)} rows has a position; geocode them first "
                         "(gis.geocode_table, `lzgis geocode`) or fill in lon/lat.")
    cl = prepared.layer
    if cl.xy is None:
        raise InputError("candidates: must be points (use gdf.centroid for polygons).")
    proj = gpd.GeoDataFrame(c.drop(columns=c.geometry.name), geometry=shapely.points(cl.xy), index=c.index,
                            crs=analysis_crs())
    precision = np.nan_to_num(cl.precision_m)
    out = c.copy()
    passes: dict[str, np.ndarray] = {}
    criteria: list[str] = []
    tie_key: np.ndarray | None = None
    net = None
    for label, targets, limit in _criterion_items(near, kind="near"):
        t = _layer(targets, where=f"near[{label!r}]")
        minutes = _MINUTES.match(limit) if isinstance(limit, str) else None
        if minutes:
            if roads is None:
                raise InputError(f"near[{label!r}]: a limit in minutes ({limit!r}) needs roads=<lines>.")
            if net is None:
                net = _roads(roads, [])
            from .routing import travel_times

            tt = travel_times(net, proj, t)
            value = tt.min(axis=1).to_numpy(dtype=float)
            best = tt.idxmin(axis=1)
            names = _label_of(t).reindex(best).tolist()
            prec = (pd.to_numeric(t["precision_m"], errors="coerce").reindex(best).to_numpy(dtype=float)
                    if "precision_m" in t.columns else np.full(len(value), np.nan))
            lim = float(minutes.group(1))
            out[f"{label}_min"] = value
            criteria.append(f"{label}: nearest of {len(t)} targets within {lim:g} minutes on the roads")
        else:
            lim = _validate.distance(limit, name=f"near[{label!r}] limit (metres)")
            value, names, prec = _nearest_to(proj, t, with_precision=True)
            out[f"{label}_dist_m"] = value
            criteria.append(f"{label}: nearest of {len(t)} targets within {lim:g} m (geodesic)")
        out[f"{label}_name"] = names
        out[f"{label}_target_precision_m"] = prec  # how well the plans place that target
        passes[label] = np.nan_to_num(value, nan=np.inf) <= lim
        if tie_key is None:
            tie_key = value
    for label, targets, limit in _criterion_items(far_from, kind="far_from"):
        t = _layer(targets, where=f"far_from[{label!r}]")
        lim = _validate.distance(limit, name=f"far_from[{label!r}] (metres)")
        value, names, prec = _nearest_to(proj, t, with_precision=True)
        out[f"{label}_dist_m"], out[f"{label}_name"] = value, names
        out[f"{label}_target_precision_m"] = prec
        passes[label] = np.nan_to_num(value, nan=np.inf) > lim
        criteria.append(f"{label}: every one of {len(t)} targets farther than {lim:g} m")
    polygon_criteria = (("exclude", _criterion_items(exclude, kind="exclude")),
                        ("inside", _criterion_items(inside, kind="inside")))
    if any(items for _, items in polygon_criteria):  # the candidates' scale factors, once for all of them
        pts = np.asarray(proj.geometry.values, dtype=object)
        k = scale_factor(proj.crs, shapely.get_x(pts), shapely.get_y(pts))
    for kind, items in polygon_criteria:
        for label, polygons, _ in items:
            z = _validate.prepare(_layer(polygons, where=f"{kind}[{label!r}]"), layer=f"{kind}[{label!r}]")
            zg = shapely.union_all(np.asarray(z.geometry.values, dtype=object))
            gap = shapely.distance(pts, zg) / k
            depth = shapely.distance(pts, shapely.boundary(zg)) / k
            within = shapely.within(pts, zg)
            if kind == "exclude":
                out[f"{label}_dist_m"] = np.where(within, 0.0, gap)
                passes[label] = ~within & (gap > precision)
                criteria.append(f"{label}: outside {len(z)} polygons by more than the candidate's precision_m")
            else:
                signed = np.where(within, depth, -gap)
                out[f"{label}_depth_m"] = signed
                passes[label] = within & (depth > precision)
                criteria.append(f"{label}: inside {len(z)} polygons, deeper than the candidate's precision_m")
    if not passes:
        raise InputError("site_suitability: give at least one criterion (near, far_from, exclude or inside).")
    w = {label: 1.0 for label in passes}
    for label, value in (weights or {}).items():
        if label not in w:
            raise InputError(f"weights: {label!r} is not a criterion label ({', '.join(w)}).")
        w[label] = _validate.distance(value, name=f"weights[{label!r}]")
    total = sum(w.values()) or 1.0
    for label, ok in passes.items():
        out[f"{label}_pass"] = ok
    stack = np.column_stack([passes[label] for label in passes])
    out["n_pass"] = stack.sum(axis=1)
    out["all_pass"] = stack.all(axis=1)
    out["score"] = 100.0 * sum(w[label] * passes[label] for label in passes) / total
    tie = np.zeros(len(out)) if tie_key is None else np.nan_to_num(tie_key, nan=np.inf)
    order = np.lexsort((tie, -out["score"].to_numpy(), ~out["all_pass"].to_numpy()))
    rank = np.empty(len(out), dtype=int)
    rank[order] = np.arange(1, len(out) + 1)
    out["rank"] = rank
    out = out.iloc[order]
    if prepared.n_unplaced:  # a geocoded table's rows without a position: last, without values, with their note
        aside = full[~prepared.placed].copy()
        for label in passes:
            aside[f"{label}_pass"] = False
        aside["n_pass"], aside["all_pass"], aside["score"], aside["rank"] = 0, False, np.nan, np.nan
        out = pd.concat([out.assign(note=""), aside.assign(note=prepared.notes(aside.index))])
        out = gpd.GeoDataFrame(out, geometry=full.geometry.name, crs=full.crs)
        out["rank"] = out["rank"].astype("Int64")
    out.attrs["criteria"] = criteria
    out.attrs["weights"] = w
    return out
