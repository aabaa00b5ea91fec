"""Build the base layers ``roads`` and ``railways`` from the OSM-derived graphs in ``../shared/data/osm``.

``python -m gis.layer_pipeline network`` (or :func:`build`) reads
``scgraph_world_highways_liuzhou.geojson`` and ``scgraph_world_railways_liuzhou.geojson``
(PyPI ``scgraph-data`` 2.0.0; OpenStreetMap-derived, ODbL): edges that are straight
chords between two junctions, with node ids ``u``/``v`` and the chord's ``km``.

What the build does, and nothing more:

- drops degenerate edges (``u == v``: both ends rounded to one point);
- keeps the node ids (``u``, ``v``), so the topology is exact, and checks that one id
  has one position;
- keeps the edges with an end within the municipality plus :data:`MARGIN_M`, and of those
  only the connected pieces that reach into the municipality (a trip at the edge still
  routes through the neighbours' roads);
- infers a class per road edge from its chord length (``road_class``, rule in
  ``layers/network/speeds.yaml``): the graph has no names or classes;
- joins every OSM railway station within :data:`STATION_JOIN_M` of a railway chord to the
  rail graph: the chord is split at the station (node id ``S<n>``), so trains stop there.

Outputs ``<out>/base/roads.geojson``, ``<out>/base/railways.geojson`` and
``<out>/base/network_report.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry import LineString

from .._errors import LayerError
from .._io import write_text
from ..layers import load_layer, read_yaml
from . import _features
from ._geojson import write_geojson

#: Edges with an end within this distance (m) of the municipality are kept.
MARGIN_M = 30_000.0
#: A station this close (m, to the chord) joins the rail graph.
STATION_JOIN_M = 1_500.0
SCGRAPH_ATTRIBUTION = ("© OpenStreetMap contributors (ODbL 1.0), via the PyPI package scgraph-data 2.0.0 "
                       "(world_highways / world_railways graphs)")
_CRS_M = "EPSG:4545"
_GEOD = pyproj.Geod(ellps="GRS80")


def _read(path: Path) -> gpd.GeoDataFrame:
    """An scgraph extract in lon/lat, read as :func:`gis.layer_pipeline._features._read` does, with its u/v/km columns."""
    gdf = _features._read(path)
    missing = [c for c in ("u", "v", "km") if c not in gdf.columns]
    if missing:
        raise LayerError(f"{path}: lacks the columns {missing} of the scgraph extracts (see SOURCES.md).")
    return gdf


def _check_ids(gdf: gpd.GeoDataFrame, path: Path) -> None:
    xy = shapely.get_coordinates(gdf.geometry.values)
    ends = pd.DataFrame({"id": np.c_[gdf["u"].to_numpy(), gdf["v"].to_numpy()].ravel(), "x": xy[:, 0], "y": xy[:, 1]})
    ends = ends.drop_duplicates()
    if ends["id"].duplicated().any() or ends[["x", "y"]].duplicated().any():
        raise LayerError(f"{path}: a node id has two positions or two ids share one; the topology would be wrong.")


def _clip(gdf: gpd.GeoDataFrame, city: shapely.Geometry, area: shapely.Geometry) -> tuple[gpd.GeoDataFrame, dict]:
    """Edges with an end in ``area``, then only the connected pieces that touch ``city`` (both lon/lat)."""
    ends = np.c_[shapely.get_point(gdf.geometry.values, 0), shapely.get_point(gdf.geometry.values, -1)]
    near = shapely.contains_xy(area, shapely.get_x(ends[:, 0]), shapely.get_y(ends[:, 0])) | \
        shapely.contains_xy(area, shapely.get_x(ends[:, 1]), shapely.get_y(ends[:, 1]))
    kept = gdf[near]
    ids, inv = np.unique(np.r_[kept["u"].to_numpy(), kept["v"].to_numpy()], return_inverse=True)
    m = len(kept)
    g = coo_matrix((np.ones(m), (inv[:m], inv[m:])), shape=(len(ids), len(ids)))
    _, comp = connected_components(g, directed=False)
    touches = shapely.intersects(city, kept.geometry.values)
    good = np.unique(comp[inv[:m]][touches])
    keep = np.isin(comp[inv[:m]], good)
    return kept[keep], {"edges_near": int(near.sum()), "components_dropped_edges": int((~keep).sum())}


def classify_roads(km: np.ndarray, rules: list[dict[str, Any]]) -> np.ndarray:
    """``road_class`` of each chord from its length: the first rule whose ``min_chord_km`` it reaches.

    Examples
    --------
    >>> classify_roads(np.array([0.2, 3.0, 12.0]), [{"class": "a", "min_chord_km": 8},
    ...     {"class": "b", "min_chord_km": 1.5}, {"class": "c", "min_chord_km": 0}]).tolist()
    ['c', 'b', 'a']
    """
    out = np.full(len(km), "", dtype=object)
    for rule in sorted(rules, key=lambda r: -float(r["min_chord_km"])):
        take = (out == "") & (km >= float(rule["min_chord_km"]))
        out[take] = rule["class"]
    return out


def _join_stations(rail: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Split the nearest chord at every station within :data:`STATION_JOIN_M`; returns the edges and a join table."""
    rm = rail.to_crs(_CRS_M)
    sm = stations.to_crs(_CRS_M)
    tree = shapely.STRtree(rm.geometry.values)
    s_idx, e_idx = tree.query_nearest(sm.geometry.values, max_distance=STATION_JOIN_M, return_distance=False,
                                      all_matches=False)
    dist = shapely.distance(sm.geometry.values[s_idx], rm.geometry.values[e_idx])
    join = pd.DataFrame({"station_row": s_idx, "edge_row": e_idx, "dist_m": dist})
    # stations on one chord are split in order along it
    geoms = rm.geometry.values
    join["along"] = shapely.line_locate_point(geoms[join["edge_row"].to_numpy()], sm.geometry.values[s_idx],
                                              normalized=True)
    rows = []
    split_edges = set(join["edge_row"])
    base = rail.reset_index(drop=True)
    for i, r in base.iterrows():
        if i not in split_edges:
            rows.append({"u": str(r["u"]), "v": str(r["v"]), "station_u": "", "station_v": "", "geometry": r.geometry})
    for e, grp in join.sort_values("along").groupby("edge_row"):
        r = base.iloc[int(e)]
        a, b = r.geometry.coords[0], r.geometry.coords[-1]
        chain = [(str(r["u"]), a, "")]
        for _, j in grp.iterrows():
            st = stations.iloc[int(j["station_row"])]
            chain.append((f"S{int(j['station_row'])}", (st.geometry.x, st.geometry.y), str(st["name"] or "")))
        chain.append((str(r["v"]), b, ""))
        for (u, pu, nu), (v, pv, nv) in zip(chain[:-1], chain[1:]):
            if pu != pv:
                rows.append({"u": u, "v": v, "station_u": nu, "station_v": nv, "geometry": LineString([pu, pv])})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    join["station"] = stations["name"].to_numpy()[s_idx]
    join["node"] = [f"S{int(i)}" for i in s_idx]
    return out, join


def _finish(edges: gpd.GeoDataFrame, city: shapely.Geometry) -> gpd.GeoDataFrame:
    g = edges.geometry.values
    xy = shapely.get_coordinates(g).reshape(-1, 2, 2)
    _, _, length = _GEOD.inv(xy[:, 0, 0], xy[:, 0, 1], xy[:, 1, 0], xy[:, 1, 1])
    edges = edges.assign(chord_m=np.round(length, 1), in_municipality=shapely.intersects(city, g),
                         geometry_basis="osm_graph_chord", source=SCGRAPH_ATTRIBUTION)
    return edges.reset_index(drop=True)


def build(shared_dir: str | Path, out_dir: str | Path) -> dict[str, Any]:
    """Write ``roads`` and ``railways`` into ``<out_dir>/base`` and return the report."""
    data = Path(shared_dir) / "data" / "osm"
    out = Path(out_dir)
    city = shapely.union_all(load_layer("city", root=out).geometry.values)
    area = gpd.GeoSeries([city], crs="EPSG:4326").to_crs(_CRS_M).buffer(MARGIN_M).to_crs("EPSG:4326").iloc[0]
    speeds = read_yaml(out / "network" / "speeds.yaml")
    report: dict[str, Any] = {}
    layers = {}
    for name, file in (("roads", "scgraph_world_highways_liuzhou.geojson"),
                       ("railways", "scgraph_world_railways_liuzhou.geojson")):
        path = data / file
        raw = _read(path)
        _check_ids(raw, path)
        degenerate = raw["u"] == raw["v"]
        clean = raw[~degenerate]
        clipped, rep = _clip(clean, city, area)
        rep = {"input_edges": len(raw), "input_km_chord": round(float(raw["km"].sum()), 1),
               "degenerate_dropped": int(degenerate.sum()), **rep, "kept_edges": len(clipped)}
        if name == "roads":
            edges = gpd.GeoDataFrame({"u": clipped["u"].astype(str).to_numpy(), "v": clipped["v"].astype(str).to_numpy(),
                                      "road_class": classify_roads(clipped["km"].to_numpy(), speeds["road_classes"])},
                                     geometry=clipped.geometry.values, crs="EPSG:4326")
            rep["per_class"] = edges["road_class"].value_counts().to_dict()
        else:
            stations = load_layer("railway_stations", root=out)
            edges, join = _join_stations(clipped, stations)
            edges["mode"] = "railway"  # conventional and high-speed lines alike: the source does not tell them apart
            rep["stations"] = len(stations)
            rep["stations_joined"] = len(join)
            rep["stations_not_joined"] = sorted(set(stations["name"].dropna()) - set(join["station"].dropna()))
            rep["station_dist_m_max"] = round(float(join["dist_m"].max()), 1)
            rep["station_dist_m_median"] = round(float(join["dist_m"].median()), 1)
        edges = _finish(edges, city)
        rep["in_municipality_edges"] = int(edges["in_municipality"].sum())
        rep["km_chord"] = round(float(edges["chord_m"].sum()) / 1000, 1)
        rep["km_chord_in_municipality"] = round(float(edges.loc[edges["in_municipality"], "chord_m"].sum()) / 1000, 1)
        write_geojson(edges, out / "base" / f"{name}.geojson", name=name)
        layers[name] = edges
        report[name] = rep
    write_text(out / "base" / "network_report.md", _report(report))
    return {"layers": layers, "report": report}


def _report(rep: dict[str, Any]) -> str:
    lines = ["# Build report: roads and railways\n",
             "Generated by `python -m gis.layer_pipeline network` (`gis.layer_pipeline.transport.build`). Do not edit by hand.\n",
             f"Inputs: `../shared/data/osm/scgraph_world_*_liuzhou.geojson` ({SCGRAPH_ATTRIBUTION}). Every edge is a "
             "straight chord between two junctions (curves dropped), nodes rounded to 0.001° (±55 m): a chord path "
             "is shorter than the road or track (see `layers/network/speeds.yaml` for the detour factor).\n",
             f"Kept: edges with an end within {MARGIN_M / 1000:g} km of the municipality, in connected pieces that "
             "reach into it. Degenerate edges (u == v) are dropped; node ids are kept.\n"]
    for name, r in rep.items():
        lines.append(f"\n## {name}\n")
        for k, v in r.items():
            lines.append(f"- {k}: {v}")
    return "\n".join(lines) + "\n"
