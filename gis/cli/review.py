"""``lzgis review`` and ``site``: compliance review against control zones (合规性审查), site suitability."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .._errors import InputError
from .._progress import task
from ._inputs import _label_column, _load, _load_roads, _roads_option
from ._output import _check_outputs, _finish, _new_run, _planned_outputs, _write, is_dash, write_stdout
from .main import State, _one_line, cli
from ._pairs import _targets_by_precision
from .options import _distance_option, _input_encoding_option, _max_target_precision_option, _output_options

if TYPE_CHECKING:  # pragma: no cover
    from ..manifest import Run

_REVIEW_SUFFIXES = (".xlsx", ".csv", ".gpkg")

#: The column 示例数据 of every review output when the zones are the synthetic example.
_EXAMPLE_TAG = "示例：管控分区为虚构，非真实三区三线"


def _review_sheets(result: Any, details: Any, fp: Any, projects: Any, zones: Any, *, comparison: Any,
                   zone_field: str | None, zone_name: str | None, inputs: list[tuple[str, Any, str]],
                   parameters: dict[str, Any], notes: list[str], example: bool) -> dict[str, Any]:
    """The workbook's sheets: 汇总 (per project row), 明细 (per overlap with a zone feature), 说明, [方案比选]."""
    import pandas as pd

    from .. import __version__
    from ..review import MU_M2, _BASIS_ZH, _VERDICTS_ZH
    from ..review_maps import worst_verdicts

    tag = _EXAMPLE_TAG if example else None
    classes = result.attrs["review"]["zone_classes"]
    first = result.drop_duplicates("source_index").set_index("source_index")
    summary = pd.DataFrame({"row": first["row"], "project": first["project"]})
    if "option" in first.columns:
        summary["option"] = first["option"]
    label = _label_column(projects)
    if label and label not in ("project",):
        summary["name"] = [str(v) for v in projects[label].reindex(summary.index)]
    summary["footprint_basis"] = [_BASIS_ZH.get(b, "") for b in first["footprint_basis"]]
    summary["estimate"] = first["estimate"]
    for column in ("footprint_ha", "footprint_mu", "precision_m"):
        summary[column] = first[column]
    for cls in classes:
        part = result[result["zone_class"] == cls].set_index("source_index")
        summary[f"{cls}_area_ha"] = part["area_ha"]
        summary[f"{cls}_area_mu"] = part["area_mu"]
        summary[f"{cls}_share_pct"] = part["share_pct"]
        summary[f"{cls}_verdict"] = part["verdict_zh"]
    worst = worst_verdicts(result)
    summary["verdict"] = worst["verdict"]
    summary["verdict_zh"] = [_VERDICTS_ZH.get(v, "") for v in worst["verdict"].reindex(summary.index)]
    summary["zone_classes_touched"] = worst["classes"]
    if "note" in first.columns:  # rows without a position (a geocoded table's unmatched rows): 备注
        summary["note"] = first["note"]
    summary = summary.reset_index()
    if tag:
        summary.insert(0, "示例数据", tag)
    detail = pd.DataFrame(details.drop(columns=details.geometry.name))
    if zone_name is not None and len(detail):
        detail.insert(detail.columns.get_loc("zone_index") + 1, "zone_name",
                      ["" if pd.isna(i) else str(zones.at[i, zone_name]) for i in detail["zone_index"]])
    detail["footprint_basis"] = [_BASIS_ZH.get(b, "") for b in detail["footprint_basis"]]
    if tag:
        detail.insert(0, "示例数据", tag)
    info: list[tuple[str, Any]] = []
    if tag:
        info.append(("示例数据", tag + "。示例仅用于演示方法，不得用于真实审查。"))
    info += [("工具", f"liuzhou-gis {__version__} lzgis review")]
    for name, crs, what in inputs:
        info.append((f"输入：{what}", f"{name}（坐标系 {crs}）"))
    info += [
        ("项目行数", f"{len(projects)}（每一行都在汇总表中出现，每个分区类别一列）"),
        *([("未定位行数", f"{result.attrs['review']['unplaced']}（面积、结论为空，备注写明未定位或地理编码的原因）")]
          if result.attrs["review"].get("unplaced") else []),
        ("分区要素数", f"{len(zones)}；分区类别：{'、'.join(classes)}"),
        ("分析坐标系", result.attrs["review"]["analysis_crs"] + "（面积为椭球面积，距离为测地线距离）"),
    ]
    info += [(f"参数 {k}", "" if v is None else str(v)) for k, v in parameters.items()]
    info += [
        ("面积单位", f"公顷 (ha)；亩 = 10000/15 m² ≈ {MU_M2:.2f} m²；1 公顷 = 15 亩"),
        ("方法：用地", "面要素按原范围；带用地面积的点按等面积圆估算（estimate = True）；无面积的点只判断位置"),
        ("方法：重叠", "同一类别的分区先合并（并集），同一地块在一个类别内只计一次；不同类别可重叠"),
        ("结论：占用 inside", "在位置精度 precision_m 内的任何可能位置都与该类分区重叠"),
        ("结论：可能涉及 may_touch", "只有部分可能位置重叠，或按现有信息无法证明必然重叠"),
        ("结论：不涉及 clear", "在 precision_m 内的任何可能位置都不与该类分区重叠"),
        ("明细", "每个项目行与每个分区要素的重叠；同类分区互相重叠时，明细面积之和可大于汇总面积"),
    ]
    if comparison is not None:
        info.append(("方案比选排序", comparison.attrs.get("ranking", "")))
    info += [("说明", n) for n in notes]
    sheets = {"汇总": summary, "明细": detail}
    if comparison is not None:
        comp = pd.DataFrame(comparison)
        if tag:
            comp.insert(0, "示例数据", tag)
        sheets["方案比选"] = comp
    sheets["说明"] = pd.DataFrame(info, columns=["项目", "内容"])
    return sheets


@cli.command("review")
@click.argument("projects")
@click.option("--zones", required=True, help="The control zones: a file (.gpkg[:layer], .shp, .geojson, CSV with WKT) "
                                             "or a shipped layer (zones_example is a synthetic example).")
@click.option("--zone-field", help="Zone class column, e.g. 类型 (生态保护红线 / 永久基本农田 …); default: one class.")
@click.option("--option-field", help="Option column (方案): compare the options of each project (sheet 方案比选).")
@click.option("--project-field", help="Project id column (default: project, 项目, 项目名称, name or 名称).")
@click.option("--area-field", help="Stated area column of points (default: recognised, e.g. 用地面积(亩), area_ha).")
@click.option("--area-unit", type=click.Choice(["mu", "ha", "km2", "m2"]), help="Unit of --area-field if its name "
                                                                                 "does not say.")
@click.option("--zones-datum", type=click.Choice(["wgs84", "cgcs2000", "gcj02", "bd09"]),
              help="Datum of lon/lat zones: gcj02 (Amap) / bd09 (Baidu) are converted to WGS-84, and the report says so.")
@click.option("--projects-datum", type=click.Choice(["wgs84", "cgcs2000", "gcj02", "bd09"]),
              help="Datum of lon/lat projects (as --zones-datum).")
@click.option("--roads", help="Road lines for drive times to the county seat in 方案比选: a shipped layer or a file "
                              "(.gpkg, .shp, .geojson, .osm, .osm.pbf); default: the shipped roads layer if there "
                              "is one, else skipped.")
@click.option("--no-map", is_flag=True, help="Do not write the HTML map beside the output.")
@_input_encoding_option
@_output_options(help_text="review.xlsx (sheets 汇总 / 明细 / 说明 [/ 方案比选]), or .csv (per project row × zone "
                           "class) or .gpkg (layers 审查结果, 用地, 明细); the map <name>.html is written beside it.", stdout=("csv",))
@click.pass_obj
def review_cmd(state: State, projects: str, zones: str, zone_field: str | None, option_field: str | None,
               project_field: str | None, area_field: str | None, area_unit: str | None, zones_datum: str | None,
               projects_datum: str | None, roads: str | None, no_map: bool, input_encoding: str | None, output: Path,
               overwrite: bool, as_json: bool) -> None:
    """Compliance review (合规性审查): hectares of each zone class each project (option) occupies, with verdicts.

    \b
    lzgis review 方案.csv --zones 三区三线.gpkg --zone-field 类型 --option-field 方案 -o 审查.xlsx
    lzgis review 方案.csv --zones zones_example --zone-field 类型 -o 示例审查.xlsx   # synthetic example zones

    Verdicts respect each project's precision_m: inside (every possible position overlaps),
    may_touch (some do), clear (none). Points with a stated area (用地面积(亩), area_ha …) become
    equal-area disks (estimate); points without one get the position check only.
    """
    import geopandas as gpd

    from ..review import footprints, review
    from ..review_maps import is_example, review_map
    from ..webmap import save_map

    to_stdout = is_dash(output)
    if to_stdout:  # -o -: the per-row table as CSV; the map needs a file
        if not no_map:
            state.step("-o -: no map (the map is written beside a file; name one with -o)")
        suffix, no_map = ".csv", True
    else:
        suffix = output.suffix.lower()
    if suffix not in _REVIEW_SUFFIXES:
        raise InputError(f"review: -o {output.name}: name the output *.xlsx (workbook), *.csv or *.gpkg.")
    roads = _roads_option(roads)
    run = _new_run("review", {"projects": projects, "zones": zones, "zone_field": zone_field,
                              "option_field": option_field, "project_field": project_field, "area_field": area_field,
                              "area_unit": area_unit, "zones_datum": zones_datum, "projects_datum": projects_datum,
                              "roads": roads, "map": not no_map, "input_encoding": input_encoding, "output": output,
                              "overwrite": overwrite})
    html = output.with_suffix(".html")
    pdf = None if no_map else output.with_suffix(".pdf")  # the printed map beside the HTML (gis.printmap)
    planned = [output] + ([] if no_map else [html]) + ([pdf] if pdf else [])
    _check_outputs(planned, overwrite=overwrite)
    p = _load(projects, run=run, state=state, role="projects", encoding=input_encoding)
    z = _load(zones, run=run, state=state, role="zones", encoding=input_encoding)
    roads_gdf = None if roads is None or option_field is None else _load_roads(roads, run=run, state=state)
    state.step(f"reviewing {len(p)} project rows against {len(z)} zone features")
    kwargs = dict(zone_field=zone_field, option_field=option_field, project_field=project_field,
                  area_field=area_field, area_unit=area_unit, projects_datum=projects_datum, zones_datum=zones_datum,
                  strict=state.strict)
    with task("计算 合规审查"):
        result = review(p, z, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the same warnings as the first call
            details = review(p, z, by_feature=True, **kwargs)
    placed = p[~p.geometry.isna() & ~p.geometry.is_empty] if result.attrs["review"].get("unplaced") else p
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # review() has warned already
        fp = footprints(placed, area_field=area_field, area_unit=area_unit, datum=projects_datum)
    comparison = None
    if option_field is not None:
        from ..siting import compare_options

        state.step("comparing the options of each project (方案比选)")
        with task("计算 方案比选"):
            comparison = compare_options(placed, z, option_field=option_field, zone_field=zone_field,
                                         project_field=project_field, area_field=area_field, area_unit=area_unit,
                                         zones_datum=zones_datum, roads="auto" if roads_gdf is None else roads_gdf)
    notes = list(result.attrs["review"]["notes"]) + ([] if comparison is None else comparison.attrs["notes"])
    for note in notes:
        if _one_line(note) in state.notes:
            continue
        if "declared" in note:  # a datum conversion: say it on stderr too
            state.warn(note)
        else:
            state.notes.append(_one_line(note))
    example = is_example(z)
    if example:
        state.warn(f"{zones}: these zones are a synthetic example (示例), not real 三区三线; every sheet and the map "
                   "say so.")
    zone_name = _label_column(z)
    inputs = [(projects, getattr(p.crs, "to_string", lambda: None)(), "项目/方案"),
              (zones, getattr(z.crs, "to_string", lambda: None)(), "管控分区")]
    folder = output.parent
    staging = state.stage()
    output_crs = None
    tmp = staging.path(output)
    if suffix == ".xlsx":
        from .._workbook import write_workbook

        sheets = _review_sheets(result, details, fp, p, z, comparison=comparison, zone_field=zone_field,
                                zone_name=zone_name, inputs=inputs, parameters=run.parameters, notes=notes,
                                example=example)
        state.step(f"writing {output}")
        write_workbook(sheets, tmp)
    elif suffix == ".csv":
        from ..export import export

        table = result.drop(columns=result.geometry.name)
        if example:
            table.insert(0, "示例数据", _EXAMPLE_TAG)
        if to_stdout:
            write_stdout(table, fmt="csv", csv_formulas=state.csv_formulas)
        else:
            export(table, tmp, csv_formulas=state.csv_formulas)
    else:
        import pyogrio

        layers = {"审查结果": result, "用地": gpd.GeoDataFrame(fp.drop(columns="scale_k"), crs=fp.crs),
                  "明细": details}
        for name, layer in layers.items():
            layer = layer.to_crs("EPSG:4326")
            if example:
                layer.insert(0, "示例数据", _EXAMPLE_TAG)
            pyogrio.write_dataframe(layer, tmp, layer=name, driver="GPKG")
        output_crs = "EPSG:4326"
    if not to_stdout:
        run.add_output(output, crs=output_crs)
    if not no_map:
        state.step(f"drawing the map {html}")
        labels = p[[c for c in dict.fromkeys([_label_column(p), result.attrs["review"]["project_field"],
                                              option_field]) if c]]
        drawn = result[result["source_index"].isin(fp.index)] if "note" in result.columns else result
        fmap = review_map(drawn, fp, z, zone_field=zone_field, labels=labels)
        save_map(fmap, staging.path(html))
        run.add_output(html)
        if pdf is not None:
            save_map(fmap, staging.path(pdf))
            run.add_output(pdf)
    counts = result.drop_duplicates("source_index").shape[0]
    verdicts = result["verdict"].value_counts().to_dict()
    _finish(run, folder, state, as_json=as_json,
            summary={"projects": counts, "zone_classes": result.attrs["review"]["zone_classes"],
                     "verdicts": verdicts, "example_zones": example,
                     "unplaced": result.attrs["review"].get("unplaced", 0)},
            lines=[f"{counts} project rows × {len(result.attrs['review']['zone_classes'])} zone classes: "
                   + ", ".join(f"{k} {v}" for k, v in verdicts.items())])


def _criterion(spec: str, *, option: str, minutes: bool) -> tuple[str, str, float | str]:
    """``LAYER:LIMIT`` (metres, or minutes as ``30min``) → (label, layer, limit)."""
    if ":" not in spec:
        raise InputError(f"{option} {spec!r}: give LAYER:LIMIT, e.g. logistics:10000 (metres)"
                         + (" or logistics:30min" if minutes else "") + ".")
    layer, limit = spec.rsplit(":", 1)
    text = limit.strip().lower()
    if minutes and text.endswith("min"):
        try:
            float(text[:-3])
        except ValueError:
            raise InputError(f"{option} {spec!r}: {limit!r} is not a number of minutes.") from None
        return Path(layer).stem, layer, f"{text[:-3]} min"
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{option} {spec!r}: {limit!r} is not a distance in metres.") from None
    from .._validate import distance

    return Path(layer).stem, layer, distance(value, name=option)


def _polygons(spec: str, *, run: Run, state: State, role: str, encoding: str | None) -> tuple[str, Any]:
    """A county, a polygon element of the default structure, or a layer; ``LAYER:FIELD=VALUE`` keeps matching rows."""
    from ..layers import load_layer
    from ..siting import DEFAULT_STRUCTURE
    from ..structure import structure

    counties = load_layer("counties")
    hit = counties[(counties["name"] == spec) | (counties["short_name"] == spec)]
    if len(hit):
        run.add_input(spec, kind="county", crs="EPSG:4326", features=1, role=role)
        return spec, hit
    elements = structure(DEFAULT_STRUCTURE)
    hit = elements[(elements["name"] == spec) & elements.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(hit):
        run.add_input(f"structure:{DEFAULT_STRUCTURE}:{spec}", kind="structure", crs="EPSG:4326", features=1,
                      role=role)
        return spec, hit
    where = None
    if "=" in spec and ":" in spec:
        spec, where = spec.rsplit(":", 1)
    gdf = _load(spec, run=run, state=state, role=role, encoding=encoding)
    label = Path(spec).stem
    if where is not None:
        field, value = where.split("=", 1)
        if field not in gdf.columns:
            raise InputError(f"{role} {spec}: has no column {field!r}; its columns are "
                             f"{', '.join(str(c) for c in gdf.columns if c != gdf.geometry.name)}.")
        gdf = gdf[gdf[field].astype(str) == value]
        if gdf.empty:
            raise InputError(f"{role} {spec}: no row has {field} = {value!r}.")
        label = value
    return label, gdf


@cli.command("site")
@click.argument("candidates", required=False)
@click.option("--grid", help="Instead of CANDIDATES: a grid over a county (柳城县 / 柳城), a polygon element of "
                             "一核两翼三组团多支点 (中心城区) or a polygon file.")
@click.option("--spacing-m", type=click.FloatRange(min=0, min_open=True), default=2000.0, show_default=True,
              help="Grid spacing in metres (with --grid).")
@click.option("--near", multiple=True, help="LAYER:METRES (or LAYER:30min with --roads): within that of the nearest "
                                            "feature. Repeatable.")
@click.option("--far-from", multiple=True, help="LAYER:METRES: farther than that from every feature. Repeatable.")
@click.option("--exclude", multiple=True, help="Polygons to stay out of: a layer or file, LAYER:FIELD=VALUE for some "
                                               "rows (zones_example:类型=生态保护红线). Repeatable.")
@click.option("--inside", "inside_", multiple=True, help="Polygons to lie in: a county, a structure element "
                                                         "(中心城区) or a layer. Repeatable.")
@click.option("--weight", multiple=True, help="LABEL=W: weight of a criterion in the score (default 1). Labels are "
                                              "the layer names / values shown in the table.")
@click.option("--roads", help="Road lines for limits in minutes: a shipped layer (roads) or a file (.gpkg, .shp, "
                              ".geojson, .osm, .osm.pbf).")
@click.option("--no-map", is_flag=True, help="Do not write the HTML map beside the output.")
@_max_target_precision_option
@_input_encoding_option
@_output_options(help_text="Ranked table (.csv, .xlsx) or layer (.gpkg, .geojson); the map <name>.html beside it.", stdout=("csv", "geojson"))
@click.pass_obj
def site_cmd(state: State, candidates: str | None, grid: str | None, spacing_m: float, near: tuple[str, ...],
             far_from: tuple[str, ...], exclude: tuple[str, ...], inside_: tuple[str, ...], weight: tuple[str, ...],
             roads: str | None, no_map: bool, max_target_precision_m: float | None, input_encoding: str | None,
             output: Path, overwrite: bool, as_json: bool) -> None:
    """Site suitability: score candidate points by criteria, rank them, map them.

    \b
    lzgis site --grid 柳城县 --spacing-m 2000 --near logistics:15000 --near railway_stations:10000 \
        --exclude zones_example:类型=生态保护红线 --inside 柳城县 -o 候选.csv

    Each --near / --far-from criterion writes its nearest target's precision (<criterion>_target_precision_m);
    when most of its targets are placed only by their county or city it says so, and --max-target-precision-m
    keeps only the targets located at least that precisely.
    """
    from ..review_maps import site_map
    from ..siting import candidate_grid, site_suitability
    from ..webmap import save_map

    if (candidates is None) == (grid is None):
        raise InputError("site: give either CANDIDATES (a file or layer of points) or --grid AREA, not both or none.")
    max_target_precision_m = _distance_option(max_target_precision_m, name="--max-target-precision-m")
    run = _new_run("site", {"candidates": candidates, "grid": grid, "spacing_m": spacing_m, "near": list(near),
                            "far_from": list(far_from), "exclude": list(exclude), "inside": list(inside_),
                            "weight": list(weight), "roads": roads, "map": not no_map,
                            "max_target_precision_m": max_target_precision_m,
                            "input_encoding": input_encoding, "output": output, "overwrite": overwrite})
    roads = _roads_option(roads)
    near_spec = [_criterion(s, option="--near", minutes=True) for s in near]
    far_spec = [_criterion(s, option="--far-from", minutes=False) for s in far_from]
    weights: dict[str, float] = {}
    for item in weight:
        label, _, value = item.partition("=")
        try:
            weights[label] = float(value)
        except ValueError:
            raise InputError(f"--weight {item!r}: give LABEL=NUMBER, e.g. logistics=2.") from None
    if is_dash(output) and not no_map:
        state.step("-o -: no map (the map is written beside a file; name one with -o)")
        no_map = True
    planned = _planned_outputs(output)
    html = planned[0].with_suffix(".html")
    if planned[0].suffix.lower() == ".html":
        raise InputError("site: -o names the table; the map is written beside it as <name>.html.")
    _check_outputs(planned + ([] if no_map else [html]), overwrite=overwrite)
    if grid is not None:
        label, area = _polygons(grid, run=run, state=state, role="grid area", encoding=input_encoding)
        state.step(f"candidates: a {spacing_m:g} m grid over {label}")
        cands = candidate_grid(area, spacing_m=spacing_m)
    else:
        cands = _load(candidates, run=run, state=state, role="candidates", encoding=input_encoding)
    def targets(layer: str, lbl: str, role: str) -> Any:
        t = _load(layer, run=run, state=state, role=f"{role} {lbl}", encoding=input_encoding)
        return _targets_by_precision(t, name=layer, max_target_precision_m=max_target_precision_m, state=state,
                                     origins="candidate", column=f"{lbl}_target_precision_m")

    near_arg = {lbl: (targets(layer, lbl, "near"), limit) for lbl, layer, limit in near_spec}
    far_arg = {lbl: (targets(layer, lbl, "far from"), limit) for lbl, layer, limit in far_spec}
    excl = dict(_polygons(s, run=run, state=state, role="exclude", encoding=input_encoding) for s in exclude)
    ins = dict(_polygons(s, run=run, state=state, role="inside", encoding=input_encoding) for s in inside_)
    roads_gdf = None if roads is None else _load_roads(roads, run=run, state=state)
    state.step(f"scoring {len(cands)} candidates")
    with task("计算 选址评分"):
        ranked = site_suitability(cands, near=near_arg or None, far_from=far_arg or None, exclude=excl or None,
                                  inside=ins or None, weights=weights or None, roads=roads_gdf, strict=state.strict)
    for text in ranked.attrs["criteria"]:
        state.notes.append(f"criterion {text}")
    folder = planned[0].parent
    _write(ranked, output, run, state, overwrite=overwrite)  # every part of a Shapefile; the suffix export adds
    if not no_map:
        context = [(g, {"title": f"排除：{lbl}", "group": "评价条件", "style": {"color": "#b2182b"}})
                   for lbl, g in excl.items()]
        context += [(g, {"title": f"范围：{lbl}", "group": "评价条件", "style": {"color": "#2166ac",
                                                                           "fill_opacity": 0.05}})
                    for lbl, g in ins.items()]
        drawn = ranked[ranked["rank"].notna()] if "note" in ranked.columns else ranked  # unplaced: not drawn
        save_map(site_map(drawn, context=context), state.stage().path(html))
        run.add_output(html)
    n_ok = int(ranked["all_pass"].sum())
    _finish(run, folder, state, as_json=as_json,
            summary={"candidates": len(ranked), "all_pass": n_ok, "criteria": ranked.attrs["criteria"]},
            lines=[f"{len(ranked)} candidates; {n_ok} pass every criterion"] + list(ranked.attrs["criteria"]))
