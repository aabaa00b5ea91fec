"""Spatial structures of the plans (一核两翼三组团多支点 …) as data, resolved to geometry.

A *structure* is a planning pattern such as "一核两翼三组团多支点": a handful of
*elements* (a core, two wings, clusters, node towns, axes …), each defined by
members the plan text names (counties, townships, places).  The definitions are
YAML files in ``layers/structures/`` (schema: ``layers/structures/README.md``);
this module validates them, resolves their members against the shipped layers
(``townships``, ``counties``, ``neighbours``, ``villages``, ``railway_stations``)
and builds one geometry per element:

* ``polygon``: the dissolved boundaries of member counties (``admin_boundary``);
* ``point``: the seats of member townships (``township_seat``), one point or a
  multipoint per element;
* ``line``: a schematic axis through the ordered member places (``schematic``);
  a county member stands at its centroid.

Members may also name plan features by id (``{feature: LOG-T-001, layer: logistics}``): the element is then
those features' own points or lines (``geometry_basis: plan_feature``), e.g. the 柳州铁路港 “一核二园三基地”.

A township counts in exactly one *territory* element of a structure (polygon
elements, and point groups marked ``territory: true`` such as the new districts
柳东新区 / 北部生态新区, which have no polygon of their own): the element that
names it (``township`` / ``place`` / ``managed_by`` member) wins, otherwise the
smallest polygon element whose member counties hold it.  So 雒容镇, run by
柳东新区 but lying in 鱼峰区, counts in 柳东新区 and not in 主城区.  See
:func:`structure_townships`.

A structure for another city is a new YAML file, not new code.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections import Counter
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml

from . import crs as _crs
from ._errors import LayerError, StructureError
from .layers import catalog, layers_dir, load_layer

__all__ = ["structure", "list_structures", "validate_structure_file", "structure_townships"]

GEOMETRY_TYPES = ("polygon", "point", "line")
GEOMETRY_BASES = ("admin_boundary", "township_seat", "schematic", "plan_feature")
MEMBER_KINDS = ("adcode", "township", "place", "managed_by", "feature")
#: Layers that members are resolved against, in this order.
PLACE_LAYERS = ("townships", "counties", "neighbours", "villages", "railway_stations")
#: Plan layers whose features a ``feature:`` member names by id (with ``layer:``); never searched by ``place:``.
FEATURE_LAYERS = ("logistics", "projects", "corridors", "corridor_sites", "characteristic_towns")
STYLE_KEYS = ("color", "fill_color", "weight", "dash", "opacity", "fill_opacity", "radius")

_STRUCTURE_REQUIRED = ("name", "title", "source_file", "section", "description", "elements")
_STRUCTURE_OPTIONAL = ("variant", "default", "style", "note")
_ELEMENT_REQUIRED = ("id", "name", "role", "geometry", "members", "section", "quote")
_ELEMENT_OPTIONAL = ("source_file", "style", "geometry_basis", "territory", "note")
_MEMBER_QUALIFIERS = ("county", "layer", "note")
_ADMIN_LAYERS = ("counties", "neighbours")
_TOWNSHIP_CODE = re.compile(r"^\d{12}$")

COLUMNS = [
    "element_id", "name", "role", "structure", "variant", "geometry_basis", "members", "member_count",
    "territory", "township_count", "precision_m", *STYLE_KEYS, "source_file", "section", "quote", "note",
    "geometry",
]


# --------------------------------------------------------------------------- gazetteer

@functools.lru_cache(maxsize=4)
def _gazetteer(root: Path) -> gpd.GeoDataFrame:
    """All features members can name, one table: layer, adcode, code, name, short_name, county … geometry."""
    keep = ["adcode", "code", "name", "short_name", "name_zh", "county", "county_adcode", "managing_district",
            "precision_m"]
    known = catalog()
    frames = []
    for layer in (*PLACE_LAYERS, *FEATURE_LAYERS):
        if layer not in known or not (root / known[layer]["file"]).exists():
            continue
        gdf = load_layer(layer)
        if layer in FEATURE_LAYERS:  # a plan feature is named by its id
            gdf = gdf.assign(code=gdf["id"], county_adcode=None, managing_district=None)
        table = pd.DataFrame({col: gdf[col] if col in gdf else None for col in keep}, index=gdf.index)
        for col in keep[:-1]:
            table[col] = table[col].astype("string")
        table["precision_m"] = pd.to_numeric(table["precision_m"], errors="coerce")
        table["layer"] = layer
        frames.append(gpd.GeoDataFrame(table, geometry=gdf.geometry.to_crs("EPSG:4326").values,
                                       crs="EPSG:4326"))
    if not frames:
        return gpd.GeoDataFrame({c: [] for c in [*keep, "layer"]}, geometry=[], crs="EPSG:4326")
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")


def _places() -> gpd.GeoDataFrame:
    return _gazetteer(layers_dir())


def _county_mask(gaz: gpd.GeoDataFrame, county: str) -> pd.Series:
    """Rows whose county (name, short name or adcode) is ``county``."""
    county = str(county)
    admin = gaz[gaz["layer"].isin(_ADMIN_LAYERS)]
    hit = admin[(admin["name"] == county) | (admin["short_name"] == county) | (admin["adcode"] == county)]
    adcodes = set(hit["adcode"].dropna()) | {county}
    names = set(hit["name"].dropna()) | {county}
    return (gaz["county_adcode"].isin(adcodes) | gaz["county"].isin(names)).fillna(False)


def _suggest(value: str, candidates: pd.Series) -> str:
    close = difflib.get_close_matches(str(value), sorted(set(candidates.dropna())), n=3, cutoff=0.5)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def _label(row: pd.Series) -> str:
    key = row["adcode"] if row["layer"] in _ADMIN_LAYERS else row["code"]
    return f"{row['name']}({key})" if isinstance(key, str) and key else str(row["name"])


def _resolve_member(member: Any, gaz: gpd.GeoDataFrame) -> tuple[list[int], str | None]:
    """Positions in the gazetteer a member names, or a problem (what is wrong and the fix)."""
    if not isinstance(member, dict):
        return [], (f"member {member!r} is not a mapping; write it as one of "
                    f"{', '.join(k + ': …' for k in MEMBER_KINDS)}")
    kinds = [k for k in MEMBER_KINDS if k in member]
    unknown = sorted(set(member) - set(MEMBER_KINDS) - set(_MEMBER_QUALIFIERS))
    if len(kinds) != 1 or unknown:
        extra = f"; unknown keys {', '.join(unknown)}" if unknown else ""
        return [], (f"member {member!r} must have exactly one of {', '.join(MEMBER_KINDS)}{extra}")
    kind = kinds[0]
    value = str(member[kind]).strip()
    mask = pd.Series(True, index=gaz.index)
    if "county" in member:
        mask &= _county_mask(gaz, member["county"])
    if kind == "feature":
        if member.get("layer") not in FEATURE_LAYERS:
            return [], (f"member {member!r}: a feature member needs layer: one of {', '.join(FEATURE_LAYERS)}")
    elif "layer" in member and member["layer"] not in PLACE_LAYERS:
        return [], f"member {member!r}: layer must be one of {', '.join(PLACE_LAYERS)}"
    if "layer" in member:
        mask &= gaz["layer"] == member["layer"]
    else:
        mask &= gaz["layer"].isin(PLACE_LAYERS)

    if kind == "adcode":
        pool = gaz["layer"].isin(_ADMIN_LAYERS)
        hits = mask & pool & (gaz["adcode"] == value)
        where, candidates = "counties/neighbours adcodes", gaz.loc[pool, "adcode"]
    elif kind == "township":
        pool = gaz["layer"] == "townships"
        key = gaz["code"] if _TOWNSHIP_CODE.match(value) else gaz["name"]
        hits = mask & pool & (key == value)
        where, candidates = "townships", gaz.loc[pool, "code" if _TOWNSHIP_CODE.match(value) else "name"]
    elif kind == "managed_by":
        pool = gaz["layer"] == "townships"
        hits = mask & pool & (gaz["managing_district"] == value)
        where, candidates = "townships.managing_district", gaz.loc[pool, "managing_district"]
    elif kind == "feature":
        pool = gaz["layer"] == member["layer"]
        hits = mask & pool & (gaz["code"] == value)
        where, candidates = f"the ids of plan layer {member['layer']}", gaz.loc[pool, "code"]
    else:  # place
        hits = mask & ((gaz["name"] == value) | (gaz["short_name"] == value) | (gaz["name_zh"] == value))
        where, candidates = "layers " + ", ".join(PLACE_LAYERS), gaz.loc[gaz["layer"].isin(PLACE_LAYERS), "name"]
    hits = hits.fillna(False)
    positions = list(np.flatnonzero(hits.to_numpy()))
    if not positions:
        scope = f" in county {member['county']}" if "county" in member else ""
        return [], (f"member {kind}: {value}{scope} matches nothing in {where}{_suggest(value, candidates)}; "
                    "correct the spelling, or give the township code / county adcode")
    if kind != "managed_by" and len(positions) > 1:
        found = "; ".join(f"{gaz.at[p, 'layer']}: {_label(gaz.loc[p])}" for p in positions[:6])
        return [], (f"member {kind}: {value} is ambiguous ({found}); add `county:` or `layer:`, "
                    "or use the code / adcode")
    return positions, None


# --------------------------------------------------------------------------- validation

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(path: Path) -> tuple[Any, str | None]:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_Loader), None  # noqa: S506 - a safe loader
    except FileNotFoundError:
        return None, "file not found"
    except yaml.YAMLError as exc:
        return None, f"is not valid YAML ({' '.join(str(exc).split())}); fix the syntax at the position shown"


def _raise(path: Path, problems: list[str]) -> None:
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise StructureError(f"structure file {path}: {len(problems)} problem(s):\n{lines}")


def _key_problems(mapping: dict[str, Any], required: tuple[str, ...],
                  optional: tuple[str, ...], *, where: str) -> list[str]:
    """Missing required keys and unknown keys of one mapping, each with its fix."""
    problems = []
    missing = [k for k in required if mapping.get(k) in (None, "", [])]
    if missing:
        problems.append(f"{where}: missing key(s) {', '.join(missing)}; add them")
    unknown = sorted(set(mapping) - set(required) - set(optional))
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: "
                        f"{', '.join([*required, *optional])}")
    return problems


def _element_problems(index: int, element: Any, gaz: gpd.GeoDataFrame) -> tuple[list[str], list[list[int]]]:
    """Problems of one element and the gazetteer positions of each of its members."""
    if not isinstance(element, dict):
        return [f"element #{index + 1} is not a mapping; give it keys {', '.join(_ELEMENT_REQUIRED)}"], []
    where = f"element {element.get('id', f'#{index + 1}')!r}"
    if element.get("name"):
        where += f" ({element['name']})"
    problems = []
    problems += _key_problems(element, _ELEMENT_REQUIRED, _ELEMENT_OPTIONAL, where=where)
    geometry = element.get("geometry")
    if geometry is not None and geometry not in GEOMETRY_TYPES:
        problems.append(f"{where}: unknown geometry {geometry!r}; use one of {', '.join(GEOMETRY_TYPES)}")
    basis = element.get("geometry_basis")
    if basis is not None and basis not in GEOMETRY_BASES:
        problems.append(f"{where}: unknown geometry_basis {basis!r}; use one of {', '.join(GEOMETRY_BASES)}")
    if geometry == "line" and basis not in (None, "schematic", "plan_feature"):
        problems.append(f"{where}: a line through named places is schematic; set geometry_basis: schematic")
    style = element.get("style")
    if style is not None and (not isinstance(style, dict) or set(style) - set(STYLE_KEYS)):
        problems.append(f"{where}: style must be a mapping with keys among {', '.join(STYLE_KEYS)}")
    if "territory" in element and not isinstance(element["territory"], bool):
        problems.append(f"{where}: territory must be true or false")

    members = element.get("members")
    resolved: list[list[int]] = []
    if members is not None and not isinstance(members, list):
        problems.append(f"{where}: members must be a list of mappings (adcode / township / place / managed_by)")
        members = []
    for member in members or []:
        positions, problem = _resolve_member(member, gaz)
        if problem:
            problems.append(f"{where}: {problem}")
        resolved.append(positions)
    flat = [p for ps in resolved for p in ps]
    repeated = [gaz.at[p, "name"] for p, n in Counter(flat).items() if n > 1]
    if repeated:
        problems.append(f"{where}: member(s) {', '.join(map(str, repeated))} listed twice; keep one")
    features = [isinstance(m, dict) and "feature" in m for m in members or []]
    if any(features) and not all(features):
        problems.append(f"{where}: members are either all plan features (feature:) or none; split the element")
    if geometry == "line" and len(resolved) < 2 and not all(features):
        problems.append(f"{where}: a line needs at least two ordered members")
    if all(features) and features and basis != "plan_feature":
        problems.append(f"{where}: the members are plan features; set geometry_basis: plan_feature")
    if basis == "plan_feature" and not (all(features) and features):
        problems.append(f"{where}: geometry_basis plan_feature needs feature: members")
    if flat and geometry in GEOMETRY_TYPES:
        kinds = set(gaz.geometry.iloc[flat].geom_type)
        polygonal = kinds <= {"Polygon", "MultiPolygon"}
        if geometry == "polygon" and not polygonal:
            problems.append(f"{where}: a polygon element needs county/district members (adcode), "
                            "but some members are points; use geometry: point, or name the counties")
        if geometry == "line" and basis == "plan_feature" and not kinds <= {"LineString", "MultiLineString"}:
            problems.append(f"{where}: a line element of plan features needs line features (layer corridors)")
        if geometry == "point" and not kinds <= {"Point"}:
            problems.append(f"{where}: a point element needs township/village/station members; "
                            "counties are polygons, use geometry: polygon")
        if geometry == "point" and basis is None and set(gaz["layer"].iloc[flat]) != {"townships"}:
            problems.append(f"{where}: members are not all townships; declare geometry_basis "
                            f"({', '.join(GEOMETRY_BASES)})")
    return problems, resolved


def validate_structure_file(path: str | Path) -> dict[str, Any]:
    """Check a structure file and resolve its members; collect every problem before raising.

    Parameters
    ----------
    path : str or path-like
        A YAML structure file (schema: ``layers/structures/README.md``).

    Returns
    -------
    dict
        The parsed definition; each element gains ``_positions`` (a list per member of
        rows of the resolved-places table).

    Raises
    ------
    StructureError
        One message naming the file and, for each problem, the element, the problem and the fix:
        malformed YAML, missing or unknown keys, unknown geometry, duplicate ids,
        members that match nothing or more than one place.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "bad.yaml"
    >>> _ = bad.write_text("name: x\\nelements: [{id: a}]\\n", encoding="utf-8")
    >>> try:
    ...     validate_structure_file(bad)
    ... except StructureError as exc:
    ...     print("missing key(s) title" in str(exc), "element 'a'" in str(exc))
    True True
    """
    path = Path(path)
    data, problem = _read(path)
    if problem:
        _raise(path, [problem])
    if not isinstance(data, dict):
        _raise(path, [f"the file must be a mapping with keys {', '.join(_STRUCTURE_REQUIRED)}"])
    problems = []
    problems += _key_problems(data, _STRUCTURE_REQUIRED, _STRUCTURE_OPTIONAL, where="structure")
    if not isinstance(data.get("default", False), bool):
        problems.append("structure: default must be true or false")
    style = data.get("style")
    if style is not None and (not isinstance(style, dict) or not all(
            isinstance(v, dict) and not set(v) - set(STYLE_KEYS) for v in style.values())):
        problems.append("structure: style must map a role to a mapping with keys among "
                        f"{', '.join(STYLE_KEYS)}")
    elements = data.get("elements")
    if elements is not None and not isinstance(elements, list):
        problems.append("structure: elements must be a list")
        elements = []
    gaz = _places()
    ids = Counter(e.get("id") for e in elements or [] if isinstance(e, dict) and e.get("id"))
    for dup, n in ids.items():
        if n > 1:
            problems.append(f"element {dup!r}: id used {n} times; ids must be unique within the file")
    for i, element in enumerate(elements or []):
        element_problems, positions = _element_problems(i, element, gaz)
        problems += element_problems
        if isinstance(element, dict):
            element["_positions"] = positions
    if not problems:
        problems += _territory_problems(data, gaz)
    _raise(path, problems)
    return data


# --------------------------------------------------------------------------- territory accounting

def _is_territory(element: dict[str, Any]) -> bool:
    return bool(element.get("territory", element["geometry"] == "polygon"))


def _assign_townships(data: dict[str, Any], gaz: gpd.GeoDataFrame) -> tuple[pd.Series, list[str]]:
    """For every township row of the gazetteer, the id of the territory element it counts in (or NA)."""
    towns = gaz.index[gaz["layer"] == "townships"]
    claimed = pd.Series(pd.NA, index=towns, dtype="string")
    problems = []
    territories = [e for e in data["elements"] if _is_territory(e)]
    for element in territories:  # explicit claims: the element names the township
        named = [p for ps in element["_positions"] for p in ps if gaz.at[p, "layer"] == "townships"]
        twice = [p for p in named if pd.notna(claimed.get(p)) and claimed[p] != element["id"]]
        for p in twice:
            problems.append(f"element {element['id']!r}: township {gaz.at[p, 'name']} is already counted in "
                            f"{claimed[p]!r}; a township may count in one territory element only, "
                            "set territory: false on one of them")
        claimed.loc[named] = element["id"]
    # county containment: the smallest polygon element holding the township's county
    by_size = sorted((e for e in territories if e["geometry"] == "polygon"),
                     key=lambda e: len(e["_positions"]))
    county = gaz.loc[towns, "county_adcode"]
    for element in by_size:
        adcodes = {gaz.at[p, "adcode"] for ps in element["_positions"] for p in ps}
        free = claimed.isna() & county.isin(adcodes).fillna(False)
        same_size = [e["id"] for e in by_size if e is not element
                     and len(e["_positions"]) == len(element["_positions"])
                     and adcodes & {gaz.at[p, "adcode"] for ps in e["_positions"] for p in ps}]
        if same_size and free.any():
            problems.append(f"element {element['id']!r}: shares counties with {', '.join(same_size)} of "
                            "the same size, so it is unclear where their townships count; "
                            "set territory: false on one of them")
        claimed[free] = element["id"]
    return claimed, problems


def _territory_problems(data: dict[str, Any], gaz: gpd.GeoDataFrame) -> list[str]:
    return _assign_townships(data, gaz)[1]


# --------------------------------------------------------------------------- building

def _element_geometry(element: dict[str, Any], gaz: gpd.GeoDataFrame) -> shapely.Geometry:
    positions = [p for ps in element["_positions"] for p in ps]
    geoms = gaz.geometry.iloc[positions]
    kind = element["geometry"]
    if kind == "polygon":
        return shapely.union_all(shapely.make_valid(geoms.to_numpy()))
    if kind == "point":
        return geoms.iloc[0] if len(geoms) == 1 else shapely.MultiPoint(list(geoms))
    if element.get("geometry_basis") == "plan_feature":  # the plan's own lines, as they are drawn
        lines = [g for geom in geoms for g in getattr(geom, "geoms", [geom])]
        return lines[0] if len(lines) == 1 else shapely.MultiLineString(lines)
    # line: one node per member, a county at its centroid (computed in the analysis CRS)
    nodes = gpd.GeoSeries(gaz.geometry.iloc[[ps[0] for ps in element["_positions"]]].values, crs="EPSG:4326")
    areas = nodes.geom_type != "Point"
    if areas.any():
        projected = _crs.to_analysis_crs(nodes[areas])
        centroid = projected.centroid
        anchors = centroid.where(centroid.within(projected), projected.representative_point())
        nodes[areas] = anchors.to_crs("EPSG:4326")
    return shapely.LineString(list(nodes))


def _default_basis(element: dict[str, Any]) -> str:
    if element.get("geometry_basis"):
        return element["geometry_basis"]
    return {"polygon": "admin_boundary", "point": "township_seat", "line": "schematic"}[element["geometry"]]


@functools.lru_cache(maxsize=32)
def _build(path: Path, mtime_ns: int, root: Path) -> gpd.GeoDataFrame:
    data = validate_structure_file(path)
    gaz = _gazetteer(root)
    assigned, _ = _assign_townships(data, gaz)
    counts = assigned.value_counts()
    role_style = data.get("style") or {}
    rows = []
    for element in data["elements"]:
        positions = [p for ps in element["_positions"] for p in ps]
        style = {**role_style.get(element["role"], {}), **(element.get("style") or {})}
        precision = gaz["precision_m"].iloc[positions]
        rows.append({
            "element_id": str(element["id"]),
            "name": element["name"],
            "role": element["role"],
            "structure": data["name"],
            "variant": None if data.get("variant") is None else str(data["variant"]),
            "geometry_basis": _default_basis(element),
            "members": "、".join(_label(gaz.loc[p]) for p in positions),
            "member_count": len(positions),
            "territory": _is_territory(element),
            "township_count": int(counts.get(element["id"], 0)) if _is_territory(element) else 0,
            "precision_m": float(precision.max()) if element["geometry"] == "point" and precision.notna().any()
            else np.nan,
            **{key: style.get(key) for key in STYLE_KEYS},
            "source_file": element.get("source_file", data["source_file"]),
            "section": element["section"],
            "quote": " ".join(str(element["quote"]).split()),
            "note": element.get("note"),
            "geometry": _element_geometry(element, gaz),
        })
    gdf = gpd.GeoDataFrame(rows, columns=COLUMNS, geometry="geometry", crs="EPSG:4326")
    gdf.attrs["structure"] = {k: data.get(k) for k in ("name", "variant", "title", "source_file", "section",
                                                       "description", "note")}
    return gdf


# --------------------------------------------------------------------------- catalogue

def structures_dir() -> Path:
    """The folder structure files are read from (``layers/structures`` of the shipped layers)."""
    return layers_dir() / "structures"


@functools.lru_cache(maxsize=64)
def _read_header(path: Path, mtime_ns: int) -> tuple[Any, str | None]:
    return _read(path)


def _headers() -> list[dict[str, Any]]:
    rows = []
    for path in sorted(structures_dir().glob("*.yaml")):
        data, problem = _read_header(path, path.stat().st_mtime_ns)
        if problem or not isinstance(data, dict):
            raise StructureError(f"structure file {path}: {problem or 'is not a mapping'}; "
                                 f"check it with gis.structure.validate_structure_file({str(path)!r})")
        elements = data.get("elements") if isinstance(data.get("elements"), list) else []
        rows.append({
            "name": data.get("name"),
            "variant": None if data.get("variant") is None else str(data["variant"]),
            "default": bool(data.get("default", False)),
            "title": data.get("title"),
            "source_file": data.get("source_file"),
            "section": data.get("section"),
            "elements": len(elements),
            "roles": "、".join(dict.fromkeys(str(e.get("role")) for e in elements if isinstance(e, dict))),
            "file": path,
        })
    return rows


def list_structures() -> pd.DataFrame:
    """A table of the shipped structures: name, variant, title, source, element count, roles, file.

    Examples
    --------
    >>> t = list_structures()
    >>> "一主三新" in set(t["name"])
    True
    """
    columns = ["name", "variant", "default", "title", "source_file", "section", "elements", "roles", "file"]
    return pd.DataFrame(_headers(), columns=columns)


def _find(name: str, variant: str | None) -> Path:
    headers = _headers()
    matches = [h for h in headers if name in (h["name"], h["file"].stem)]
    if not matches:
        known = sorted({str(h["name"]) for h in headers})
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.4)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise StructureError(f"unknown structure {name!r}. Known structures: {', '.join(known) or '(none)'}."
                             f"{hint} See gis.list_structures().")
    variants = ", ".join(f"{h['variant']!r}" for h in matches)
    if variant is not None:
        matches = [h for h in matches if str(variant) == h["variant"]]
        if not matches:
            raise StructureError(f"structure {name!r} has no variant {variant!r}; its variants: {variants}.")
    elif len(matches) > 1:
        matches = [h for h in matches if h["default"]]
        if len(matches) != 1:
            raise StructureError(f"structure {name!r} has several variants ({variants}) and no single "
                                 "`default: true`; pass variant=… .")
    return matches[0]["file"]


def structure(name: str, *, variant: str | None = None) -> gpd.GeoDataFrame:
    """One spatial structure of the plans, one row per element, in EPSG:4326.

    Parameters
    ----------
    name : str
        The structure's name (e.g. ``"一核两翼三组团多支点"``, ``"一主三新"``) or its file stem;
        see :func:`list_structures`.
    variant : str, optional
        Which version when several plans define the same structure (e.g. ``"004"`` or ``"002"``,
        the seed file).  Default: the file marked ``default: true``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``element_id, name, role, structure, variant, geometry_basis`` (``admin_boundary`` /
        ``township_seat`` / ``schematic``), ``members`` (joined by 、), ``member_count``,
        ``territory``, ``township_count`` (townships counted in this element, each township in one
        territory element only), ``precision_m`` (point elements: worst member precision),
        style columns ``color, fill_color, weight, dash, opacity, fill_opacity, radius``,
        ``source_file, section, quote, note`` and the geometry.  ``gdf.attrs["structure"]`` holds
        the title and description.

    Raises
    ------
    StructureError
        Unknown name or variant (naming the known ones), or an invalid structure file.

    Examples
    --------
    >>> s = structure("一主三新")
    >>> s["role"].tolist()
    ['主', '新', '新', '新']
    """
    path = _find(name, variant)
    return _build(path, path.stat().st_mtime_ns, layers_dir()).copy()


def structure_townships(name: str, *, variant: str | None = None) -> gpd.GeoDataFrame:
    """The townships of the shipped layer with the territory element of ``name`` each counts in.

    A township counts in at most one element: the territory element naming it
    (``township``/``place``/``managed_by``), else the smallest polygon element
    whose member counties hold it; townships outside every territory have NA.

    Returns
    -------
    geopandas.GeoDataFrame
        The ``townships`` layer (a copy) plus ``element_id`` and ``element_name``.
    """
    path = _find(name, variant)
    data = validate_structure_file(path)
    gaz = _places()
    assigned, _ = _assign_townships(data, gaz)
    towns = load_layer("townships")
    if len(towns) != len(assigned):  # pragma: no cover - layer changed under the cache
        raise LayerError("the townships layer changed while loaded; restart the session.")
    names = {e["id"]: e["name"] for e in data["elements"]}
    out = towns.copy()
    out["element_id"] = assigned.to_numpy()
    out["element_name"] = out["element_id"].map(names).astype("string")
    return out
