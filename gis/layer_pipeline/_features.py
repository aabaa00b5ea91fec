"""Railway stations, the airport and river centre lines (already WGS-84; no datum shift)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyproj
import shapely
from shapely.geometry import Point

from .._errors import LayerError

OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0), via OpenQGIS/OMap-GeoDB 29eeb63 (2025-01)"
NE_ATTRIBUTION = "Natural Earth 10m rivers_lake_centerlines (public domain), via martynafford/natural-earth-geojson 0b9a6ce"

#: Margin (m) around the municipality within which stations are kept (neighbouring stations matter for access).
STATION_MARGIN_M = 20_000.0

#: Natural Earth English names → Chinese.  NE's "Quan" is the 黔江 (Qian Jiang) between 石龙 (象州,
#: the 柳江/红水河 confluence) and 桂平; its extent 109.53–110.09E, 23.4–23.8N matches that reach.
NE_RIVER_NAMES_ZH = {
    "Liu": "柳江", "Rong": "融江", "Duliu": "都柳江", "Hongshui": "红水河", "Quan": "黔江",
    "Xun": "浔江", "Yu": "郁江", "You": "右江", "Yuan": "沅江", "Xiang": "湘江",
}


def _read(path: Path) -> gpd.GeoDataFrame:
    if not path.exists():
        raise LayerError(f"{path}: missing input; see ../shared/data/SOURCES.md.")
    gdf = gpd.read_file(path, engine="pyogrio")
    return gdf.set_crs("EPSG:4326") if gdf.crs is None else gdf.to_crs("EPSG:4326")


def _units(counties: gpd.GeoDataFrame, neighbours: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Liuzhou counties and neighbouring counties with their city, for labelling features."""
    nb = neighbours[neighbours["level"] == "county"]
    return pd.concat([
        counties[["name", "city_name", "geometry"]],
        nb[["name", "city_name", "geometry"]],
    ], ignore_index=True).pipe(gpd.GeoDataFrame, geometry="geometry", crs="EPSG:4326")


def _label(points: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> pd.DataFrame:
    joined = gpd.sjoin(points[["geometry"]], units, how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    return joined[["name", "city_name"]].rename(columns={"name": "county"})


def build_railway_stations(data_dir: Path, city: gpd.GeoDataFrame, counties: gpd.GeoDataFrame,
                           neighbours: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict]:
    """OSM railway stations within the municipality plus :data:`STATION_MARGIN_M`."""
    raw = _read(data_dir / "osm" / "railway_stations.geojson")
    area = city.to_crs("EPSG:4545").buffer(STATION_MARGIN_M).to_crs("EPSG:4326").union_all()
    keep = raw.within(area)
    st = raw[keep].copy()
    inside_city = st.within(city.union_all())
    labels = _label(st, _units(counties, neighbours))
    out = gpd.GeoDataFrame({
        "name": st["name"],
        "name_zh": [None if pd.isna(n) else (n if n.endswith("站") else f"{n}站") for n in st["name"]],
        "station": st["station"],
        "in_liuzhou": inside_city.to_numpy(),
        "county": labels["county"],
        "city_name": labels["city_name"],
        "lon": st.geometry.x.round(6), "lat": st.geometry.y.round(6),
        "source": OSM_ATTRIBUTION,
    }, geometry=st.geometry.values, crs="EPSG:4326")
    out = out.sort_values(["in_liuzhou", "name", "lon"], ascending=[False, True, True]).reset_index(drop=True)
    report = {
        "input_rows": int(len(raw)), "kept": int(len(out)), "outside_margin_skipped": int((~keep).sum()),
        "in_liuzhou": int(out["in_liuzhou"].sum()), "unnamed_kept": int(out["name"].isna().sum()),
        "margin_m": STATION_MARGIN_M,
    }
    return out, report


def build_airports(data_dir: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict]:
    """柳州白莲机场 as a point and as an area, derived from its OSM aeroway lines.

    The extract has no aerodrome feature (only runways, taxiways, stands …),
    so the airport is identified by its runway near Liuzhou and
    described from those lines: the point is the runway midpoint, the area
    the convex hull of all aeroway features within 2 km of the runway,
    buffered by 100 m.  Both are stated in ``geometry_basis``.
    """
    raw = _read(data_dir / "osm" / "aeroways.geojson")
    # Liuzhou's runway: the only runway within 30 km of the city centre (柳州站 ~109.383E 24.311N).
    proj = raw.to_crs("EPSG:4545")
    centre = gpd.GeoSeries([Point(109.383, 24.311)], crs="EPSG:4326").to_crs("EPSG:4545").iloc[0]
    runways = proj[(proj["aeroway"] == "runway") & (proj.distance(centre) < 30_000)]
    if len(runways) != 1:
        raise LayerError(f"aeroways.geojson: expected one runway within 30 km of Liuzhou, found {len(runways)}.")
    runway = runways.geometry.iloc[0]
    near = proj[proj.distance(runway) < 2_000]
    hull = shapely.convex_hull(near.union_all()).buffer(100.0)
    mid = runway.interpolate(0.5, normalized=True)
    geod = pyproj.Geod(ellps="WGS84")
    runway_ll = raw.loc[runways.index].geometry.iloc[0]
    length = geod.geometry_length(runway_ll)
    area = gpd.GeoSeries([hull], crs="EPSG:4545").to_crs("EPSG:4326")
    point = gpd.GeoSeries([mid], crs="EPSG:4545").to_crs("EPSG:4326")
    common = {
        "name": ["柳州白莲机场"], "name_en": ["Liuzhou Bailian International Airport"], "iata": ["LZH"],
        "icao": ["ZGZH"], "runway_ref": [runways["ref"].iloc[0]], "runway_length_m": [round(length)],
        "source": [OSM_ATTRIBUTION],
    }
    points = gpd.GeoDataFrame({**common, "geometry_basis": ["runway midpoint (OSM aeroway=runway)"],
                               "lon": [round(point.iloc[0].x, 6)], "lat": [round(point.iloc[0].y, 6)]},
                              geometry=point.values, crs="EPSG:4326")
    areas = gpd.GeoDataFrame({**common, "geometry_basis": [
        f"convex hull of the {len(near)} OSM aeroway features within 2 km of the runway, buffered 100 m; "
        "not the surveyed aerodrome boundary"],
        "area_ha": [round(abs(geod.geometry_area_perimeter(area.iloc[0])[0]) / 1e4, 1)]},
        geometry=area.values, crs="EPSG:4326")
    report = {"input_rows": int(len(raw)), "aeroway_features_used": int(len(near)),
              "other_rows": "outside Liuzhou airport (e.g. Guilin Liangjiang); not used",
              "runway_ref": runways["ref"].iloc[0], "runway_length_m": round(length)}
    return points, areas, report


def build_rivers(data_dir: Path, city: gpd.GeoDataFrame, neighbours: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict]:
    """Natural Earth river centre lines touching Liuzhou or its two neighbouring cities, clipped to them + 10 km."""
    raw = _read(data_dir / "naturalearth" / "ne_10m_rivers_lake_centerlines.geojson")
    region = pd.concat([city[["geometry"]], neighbours.loc[neighbours["level"] == "city", ["geometry"]]])
    region = gpd.GeoSeries(region.geometry.values, crs="EPSG:4326").to_crs("EPSG:4545").buffer(10_000).union_all()
    proj = raw.to_crs("EPSG:4545")
    hit = proj.intersects(region)
    clipped = proj[hit].intersection(region).to_crs("EPSG:4326")
    rivers = raw[hit]
    unknown = sorted(set(rivers["name"]) - set(NE_RIVER_NAMES_ZH))
    if unknown:
        raise LayerError(f"Natural Earth rivers {unknown} have no Chinese name in NE_RIVER_NAMES_ZH; add them.")
    city_wgs = city.union_all()
    geod = pyproj.Geod(ellps="WGS84")
    out = gpd.GeoDataFrame({
        "name": rivers["name"].map(NE_RIVER_NAMES_ZH).to_numpy(),
        "name_en": (rivers["name"] + " River").to_numpy(),
        "in_liuzhou_km": [round(geod.geometry_length(g.intersection(city_wgs)) / 1000, 1) for g in clipped],
        "length_km": [round(geod.geometry_length(g) / 1000, 1) for g in clipped],
        "scalerank": rivers["scalerank"].to_numpy(),
        "geometry_basis": "river_centreline",
        "source": NE_ATTRIBUTION,
    }, geometry=clipped.values, crs="EPSG:4326")
    out = out.sort_values("in_liuzhou_km", ascending=False).reset_index(drop=True)
    report = {"input_rows": int(len(raw)), "kept": int(len(out)),
              "skipped_outside_region": sorted(raw.loc[~hit, "name"].tolist()),
              "absent_from_source": ["洛清江 (not in Natural Earth 10m)", "龙江", "贝江"]}
    return out, report
