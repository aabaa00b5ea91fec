"""Building the gazetteer from its sources: one method of :class:`Builder` per family of places.

Private to :mod:`gis.gazetteer` (:meth:`gis.gazetteer.Gazetteer.from_layers`, whose module docstring lists the
sources): the counties and the city, townships, villages and their register, the new districts, railway
stations, airports, rivers, the places outside Liuzhou (``neighbours``, ``external_places``,
``external_admin``), OpenStreetMap landmarks, the documented landmarks of ``landmarks.csv``, and the variants
and OCR slips of ``aliases.yaml``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from . import datum as _datum
from .city import profile
from .crs import in_city as in_liuzhou, transformer
from .gazetteer import Gazetteer, Place, normalise_text



def _hausdorff_m(point: Point, geom, crs_to) -> float:
    """Largest distance (m) from ``point`` to any part of ``geom``, in the analysis CRS."""
    p = shapely.transform(point, lambda c: np.column_stack(crs_to.transform(c[:, 0], c[:, 1])))
    g = shapely.transform(geom, lambda c: np.column_stack(crs_to.transform(c[:, 0], c[:, 1])))
    return float(shapely.hausdorff_distance(p, g.boundary if g.geom_type.endswith("Polygon") else g))


def _strip(name: str, suffixes) -> str | None:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


def _col(gdf: gpd.GeoDataFrame, *names: str) -> str | None:
    for n in names:
        if n in gdf.columns:
            return n
    return None


def _val(row, col: str | None) -> Any:
    if col is None or col not in row.index:
        return None
    v = row[col]
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return v


class Builder:
    """Adds the places of every source to a :class:`~gis.gazetteer.Gazetteer`, in :meth:`build`'s order."""

    def __init__(self, gaz: Gazetteer, rules: dict, layers: dict[str, gpd.GeoDataFrame], root: Path):
        self.gaz, self.rules, self.layers, self.root = gaz, rules, layers, root
        from .crs import analysis_crs

        self.to_m = transformer("EPSG:4326", analysis_crs())
        self.defaults = rules.get("default_precision_m", {})
        self.short = rules.get("short_forms", {})
        self.county_polys: dict[str, Any] = {}

    def build(self) -> None:
        self.counties()
        self.city()
        self.townships()
        self.villages()
        self.village_register()
        self.new_districts()  # after the villages: their points count towards a district's precision
        self.stations()
        self.airports()
        self.rivers()
        self.external()
        self.osm_landmarks()
        self.landmarks()
        self.variants()
        self.ocr_slips()

    # each method adds one family of places
    def counties(self) -> None:
        gdf = self.layers.get("counties")
        if gdf is None:
            return
        short_col = _col(gdf, "short_name")
        seats = self.layers.get("county_seats")
        seat_of = {} if seats is None else {r["name"]: r for _, r in seats.iterrows()}
        for _, row in gdf.iterrows():
            name = row["name"]
            geom = row.geometry
            self.county_polys[name] = geom
            seat = seat_of.get(name)
            if seat is not None:
                pt = seat.geometry
                town = _val(seat, "seat_township")
                basis = (f"seat of the county government ({'in ' + town + '; ' if town else ''}"
                         f"{_val(seat, 'location_basis') or 'county_seats layer'}); precision = farthest boundary point")
                source = "county_seats; counties"
            else:
                pt = geom.representative_point() if geom.geom_type.endswith("Polygon") else geom
                basis = "representative point of the county polygon; precision = farthest boundary point"
                source = "counties"
            precision = _hausdorff_m(pt, geom, self.to_m) if geom.geom_type.endswith("Polygon") else self.defaults.get("county", 20000)
            idx = self.gaz.add(Place(name, "county", "county", pt.x, pt.y, round(precision), county=name,
                                     basis=basis, source=source))
            self.gaz.name(name, idx)
            short = _val(row, short_col) or _strip(name, self.short.get("county", []))
            if short:
                self.gaz.name(short, idx, via="short")
                if self.rules.get("county_short_with_xian") and "自治县" in name:
                    self.gaz.name(short + "县", idx, via="short")

    def _county_of(self, lon: float, lat: float) -> str | None:
        pt = Point(lon, lat)
        for name, poly in self.county_polys.items():
            if poly.covers(pt):
                return name
        return None

    def city(self) -> None:
        spec = self.rules.get("city", {})
        name = spec.get("name", profile().name)
        gdf = self.layers.get("city")
        if gdf is not None and len(gdf):
            city_geom = shapely.union_all(gdf.geometry.values)
        elif self.county_polys:
            city_geom = shapely.union_all(list(self.county_polys.values()))
        else:
            return
        seat = self.county_polys.get(spec.get("seat_county", ""))
        seat_place = next((p for p in self.gaz.places if p.kind == "county" and p.name == spec.get("seat_county")
                           and p.source.startswith("county_seats")), None)
        if seat_place is not None:
            pt = Point(seat_place.lon, seat_place.lat)
            basis = (f"seat of {spec['seat_county']}, the district of the municipal government; precision = farthest "
                     "point of the municipality")
        elif seat is not None:
            pt = seat.representative_point()
            basis = f"representative point of {spec['seat_county']} (seat of the municipal government); precision = farthest point of the municipality"
        else:
            pt = city_geom.representative_point()
            basis = "representative point of the municipality"
        precision = _hausdorff_m(pt, city_geom, self.to_m)
        idx = self.gaz.add(Place(name, "city", "city", pt.x, pt.y, round(precision), basis=basis, source="city"))
        self.gaz.name(name, idx)
        for v in spec.get("variants", []):
            self.gaz.name(v, idx, via="variant")

    def townships(self) -> None:
        gdf = self.layers.get("townships")
        if gdf is None:
            return
        prec_col, dist_col = _col(gdf, "precision_m"), _col(gdf, "managing_district")
        county_col, level_col = _col(gdf, "county", "county_name"), _col(gdf, "geocode_level")
        basis_col = _col(gdf, "location_note", "location_basis")
        for _, row in gdf.iterrows():
            name = row["name"]
            geom = row.geometry
            has = geom is not None and not geom.is_empty
            precision = _val(row, prec_col) or self.defaults.get("township")
            extent = _val(row, "extent_m") if "extent_m" in gdf.columns else None
            district = _val(row, dist_col)
            note = _val(row, basis_col)
            basis = (f"point of the townships layer ({note})" if note else "point of the townships layer") \
                if has else "no point in the townships layer"
            if has and extent is not None and float(extent) > float(precision):
                basis += (f"; precision = the township's estimated extent ({float(extent) / 1000:.1f} km, "
                          f"township_areas; the point itself is good to {float(precision):.0f} m)")
                precision = float(extent)
            idx = self.gaz.add(Place(
                name, "township", _val(row, level_col) or "township", geom.x if has else None,
                geom.y if has else None, float(precision) if has else None, county=_val(row, county_col),
                township=name, district=district or None, basis=basis, source="townships"))
            self.gaz.name(name, idx)
            short = _strip(name, self.short.get("township", []))
            if short:
                self.gaz.name(short, idx, via="short")
                if name.endswith("族乡"):  # 古砦仫佬族乡 is also written 古砦乡
                    self.gaz.name(short + "乡", idx, via="short")

    def new_districts(self) -> None:
        """The new districts (功能区) of ``aliases.yaml``, placed from their member townships.

        Members are the townships whose ``managing_district`` is the district, the
        townships listed under ``members`` and the members of the districts listed
        under ``includes``.  The point is the ``seat`` township if one is
        documented, else the mean of the member townships' points.  A district's
        boundary is not in the data, so its precision is the larger of (a) the
        distance to the farthest place the gazetteer puts in it (member townships,
        their villages with a point of their own) plus that place's own precision
        and (b) the distance to the farthest boundary point of the counties its
        members lie in: places known only to lie in the district (官塘) are covered.
        """
        towns = {p.name: p for p in self.gaz.places if p.kind == "township"}
        specs = {name: spec or {} for name, spec in (self.rules.get("new_districts") or {}).items()}

        def member_towns(name: str, seen: tuple[str, ...] = ()) -> list[Place]:
            spec = specs[name]
            names = {normalise_text(n) for n in (name, *spec.get("variants", []))}
            out = [t for t in towns.values() if t.district and normalise_text(t.district) in names]
            out += [towns[n] for n in spec.get("members", []) if n in towns]
            for inc in spec.get("includes", []):
                if inc in specs and inc not in seen:
                    out += member_towns(inc, (*seen, name))
                elif inc not in specs:
                    self.gaz.notes.append(f"new district {name}: includes {inc!r}, which is not a new district")
            return list({t.name: t for t in out}.values())

        for name, spec in specs.items():
            members = member_towns(name)
            for n in spec.get("members", []):
                if n not in towns:
                    self.gaz.notes.append(f"new district {name}: member {n!r} is not a township of the gazetteer")
            placed = [t for t in members if t.has_point]
            seat = towns.get(spec.get("seat") or "")
            lon = lat = precision = None
            basis = "members unknown: cannot be placed"
            if seat is not None and seat.has_point:
                lon, lat = seat.lon, seat.lat
                basis = f"seat township {seat.name}"
            elif placed:
                lon = float(np.mean([t.lon for t in placed]))
                lat = float(np.mean([t.lat for t in placed]))
                basis = "centroid of member township seats: " + "、".join(t.name for t in placed)
            counties = sorted({t.county for t in members if t.county})
            if lon is not None:
                member_names = {t.name for t in members}
                inside = [p for p in self.gaz.places if p.has_point and p.precision_m is not None and (
                    p.name in member_names and p.kind == "township" or p.kind == "village" and p.township in member_names)]
                cx, cy = self.to_m.transform(lon, lat)
                spread = max(float(np.hypot(*np.subtract(self.to_m.transform(p.lon, p.lat), (cx, cy)))) + p.precision_m
                             for p in inside)
                polys = [self.county_polys[c] for c in counties if c in self.county_polys]
                extent = _hausdorff_m(Point(lon, lat), shapely.union_all(polys), self.to_m) if polys else 0.0
                precision = round(max(spread, extent, self.defaults.get("township", 3000)))
                basis += (f"; precision = farthest boundary point of {'、'.join(counties)} ({extent / 1000:.1f} km), "
                          f"the district's own boundary not being known (farthest member place: "
                          f"{spread / 1000:.1f} km with its precision)") if extent >= spread else \
                    f"; precision = farthest member place with its precision ({spread / 1000:.1f} km)"
            if spec.get("note"):
                basis = f"{spec['note']}; {basis}"
            idx = self.gaz.add(Place(name, "new_district", "county", lon, lat, precision,
                                     county="、".join(counties) or None, district=name, basis=basis,
                                     source="layers/gazetteer/aliases.yaml + townships.managing_district",
                                     members=tuple(sorted({t.name for t in members} | set(spec.get("includes", []))))))
            self.gaz.name(name, idx)
            for v in spec.get("variants", []):
                self.gaz.name(v, idx, via="variant")

    def villages(self) -> None:
        gdf = self.layers.get("villages")
        if gdf is None:
            return
        prec_col = _col(gdf, "precision_m")
        town_col, county_col = _col(gdf, "township", "town"), _col(gdf, "county")
        dist_by_town = {p.name: p.district for p in self.gaz.places if p.kind == "township"}
        suffixes = self.short.get("village") or {}
        for _, row in gdf.iterrows():
            full = row["name"]
            name = next((full[: -len(k)] + v for k, v in suffixes.items()
                         if full.endswith(k) and len(full) > len(k)), full)
            geom = row.geometry
            has = geom is not None and not geom.is_empty
            town = _val(row, town_col)
            precision = float(_val(row, prec_col) or self.defaults.get("village", 1000))
            extent = _val(row, "extent_m") if "extent_m" in gdf.columns else None
            basis = "village point of the villages layer" if has else "no point in the villages layer"
            if has and extent is not None and float(extent) > precision:
                basis += (f"; precision = the village's estimated extent ({float(extent) / 1000:.1f} km: "
                          f"{_val(row, 'extent_basis') or 'villages layer'})")
                precision = float(extent)
            idx = self.gaz.add(Place(
                name, "village", "village", geom.x if has else None, geom.y if has else None,
                precision if has else None,
                county=_val(row, county_col), township=town, district=dist_by_town.get(town),
                basis=basis, source="villages"))
            self.gaz.name(name, idx)
            self.gaz.name(full, idx)
            for suffix, repl in (self.short.get("village") or {}).items():
                if full.endswith(suffix) and len(full) > len(suffix):
                    self.gaz.name(full[: -len(suffix)] + repl, idx, via="short")

    def village_register(self) -> None:
        """Villages without a point, placed at their township's point (level township), so shared names are known;
        those the register gives a point (from OpenStreetMap, ``village_points_osm.yaml``) at that point (level village)."""
        path = self.root / "gazetteer" / "village_register.csv"
        if not path.exists():
            return
        reg = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
        have = {(p.name, p.township) for p in self.gaz.places if p.kind == "village" and p.has_point}
        towns = {(p.name, p.county): p for p in self.gaz.places if p.kind == "township"}
        for row in reg.itertuples():
            if (row.short_name, row.township) in have:
                continue
            t = towns.get((row.township, row.county))
            if getattr(row, "lon", "") and getattr(row, "lat", ""):  # a point of its own (village_points_osm.yaml)
                idx = self.gaz.add(Place(
                    row.short_name, "village", "village", float(row.lon), float(row.lat), float(row.precision_m),
                    county=row.county or None, township=row.township or None, district=t.district if t else None,
                    basis=row.point_basis,
                    source="layers/gazetteer/village_register.csv (Vonng/adcode, CC BY 4.0; point: OpenStreetMap, ODbL)"))
                self.gaz.name(row.short_name, idx)
                self.gaz.name(row.name, idx)
                continue
            has = t is not None and t.has_point
            idx = self.gaz.add(Place(
                row.short_name, "village", t.geocode_level if has else "township",
                t.lon if has else None, t.lat if has else None, t.precision_m if has else None,
                county=row.county or None, township=row.township or None, district=t.district if t else None,
                basis=f"village without a point: placed at its township {row.township}" if has
                else "village without a point, township not placed",
                source="layers/gazetteer/village_register.csv (Vonng/adcode, CC BY 4.0)"))
            self.gaz.name(row.short_name, idx)
            self.gaz.name(row.name, idx)

    def stations(self) -> None:
        gdf = self.layers.get("railway_stations")
        if gdf is None:
            return
        prec_col = _col(gdf, "precision_m")
        for _, row in gdf.iterrows():
            name = _val(row, "name") if "name" in gdf.columns else None
            geom = row.geometry
            if not name or geom is None or geom.is_empty:
                continue
            pt = geom if geom.geom_type == "Point" else geom.representative_point()
            base = name[:-1] if name.endswith("站") else name
            county = _val(row, "county") if "county" in gdf.columns else self._county_of(pt.x, pt.y)
            inside = bool(_val(row, "in_liuzhou")) if "in_liuzhou" in gdf.columns else (
                bool(in_liuzhou([pt.x], [pt.y])[0]) and county is not None)
            idx = self.gaz.add(Place(
                base + "站", "station", "landmark", pt.x, pt.y,
                float(_val(row, prec_col) or self.defaults.get("station", 200)),
                county=county if inside else None, basis="OpenStreetMap station point",
                source="railway_stations (© OpenStreetMap contributors, ODbL)"))
            for surface in (base + "站", base + "火车站", base + "高铁站", "铁路" + base + "站"):
                self.gaz.name(surface, idx)

    def airports(self) -> None:
        gdf = self.layers.get("airports")
        if gdf is None:
            return
        for _, row in gdf.iterrows():
            geom = row.geometry
            if geom is None or geom.is_empty:
                continue
            pt = geom if geom.geom_type == "Point" else geom.representative_point()
            name = (_val(row, "name") if "name" in gdf.columns else None) or "机场"
            inside = bool(in_liuzhou([pt.x], [pt.y])[0])
            city = profile()
            if inside and city.airport_name and (any(w in name for w in city.airport_words) or len(gdf) == 1):
                canonical = city.airport_name
            else:
                canonical = name
            precision = float(_val(row, "precision_m") if "precision_m" in gdf.columns else None
                              or (self.defaults.get("airport", 1500)))
            idx = self.gaz.add(Place(canonical, "airport", "landmark", pt.x, pt.y, precision,
                                     county=self._county_of(pt.x, pt.y),
                                     basis="OpenStreetMap aeroway point", source="airports (© OpenStreetMap contributors, ODbL)"))
            self.gaz.name(canonical, idx)
            self.gaz.name(name, idx)

    def rivers(self) -> None:
        gdf = self.layers.get("rivers")
        if gdf is None:
            return
        zh_col = _col(gdf, "name_zh", "name_cn")
        for _, row in gdf.iterrows():
            raw = str(_val(row, "name") or "")
            name = _val(row, zh_col) or profile().river_names.get(raw) or (raw if raw and not raw.isascii() else None)
            geom = row.geometry
            if not name or geom is None or geom.is_empty:
                continue
            line = shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom
            pt = line.interpolate(0.5, normalized=True) if line.geom_type == "LineString" else geom.representative_point()
            idx = self.gaz.add(Place(name, "river", "landmark", pt.x, pt.y, round(_hausdorff_m(pt, geom, self.to_m)),
                                     basis="midpoint of the Natural Earth centre line; precision = farthest point",
                                     source="rivers (Natural Earth, public domain)"))
            self.gaz.name(name, idx)

    def external(self) -> None:
        seen: set[str] = set()
        admin = self.layers.get("external_admin")
        within_of = {} if admin is None else {r["name"]: tuple(w for w in str(_val(r, "within") or "").split("|") if w)
                                              for _, r in admin.iterrows()}
        for layer in ("external_places", "neighbours", "external_admin"):
            gdf = self.layers.get(layer)
            if gdf is None:
                continue
            for _, row in gdf.iterrows():
                name = row["name"]
                geom = row.geometry
                if not name or name in seen or geom is None or geom.is_empty:
                    continue
                seen.add(name)
                if layer == "external_admin" and len(name) < 3:
                    continue  # 城区, 郊区, 矿区 of other cities: generic words, not names
                if geom.geom_type == "Point":
                    pt = geom
                    precision = float(_val(row, "precision_m") or 20000)
                else:
                    pt = geom.representative_point()
                    precision = _hausdorff_m(pt, geom, self.to_m)
                level = _val(row, "geocode_level") or _val(row, "level") or ("county" if str(name).endswith(("县", "区")) else "city")
                placeable = level != "province"  # a province is context, never a point
                idx = self.gaz.add(Place(name, "external", level, pt.x if placeable else None,
                                         pt.y if placeable else None, round(precision) if placeable else None,
                                         county=name, basis=str(_val(row, "basis") or f"{layer} layer")
                                         + ("" if placeable else "; a province: the gazetteer gives it no point"),
                                         source=layer, within=within_of.get(name, ())))
                self.gaz.name(name, idx)
                # short forms: never of a 区 (城区, 江南区 … are common names), and never one the municipality uses
                short = (_val(row, "short_name") if "short_name" in gdf.columns else None) or _strip(
                    name, ["苗族侗族自治州", "布依族苗族自治州", "壮族苗族自治州", "自治州", "各族自治县", "水族自治县",
                           "瑶族自治县", "苗族自治县", "侗族自治县", "壮族自治县", "仫佬族自治县", "毛南族自治县",
                           "土家族苗族自治县", "苗族侗族自治县", "自治县", "市", "县", "省",
                           *(["区"] if layer != "external_admin" else [])])
                if short and name.endswith(("自治县", "自治州")):  # 三都县, 黔南州: the unit's kind kept
                    written = short + name[-1]
                    if written not in self.gaz.index:
                        self.gaz.name(written, idx, via="short")
                if short and layer == "external_admin" and (name.endswith("区") or short in self.gaz.index):
                    short = None
                if short:
                    # the bulk units are read by a short form only as a token, a county's only with its prefecture
                    # or province named too (新兴 in 新兴工业园 is not 新兴县 of 云浮市)
                    via = "short" if layer != "external_admin" else f"short_admin_{level}"
                    self.gaz.name(short, idx, via=via)
                for v in str(_val(row, "variants") or "").split("|"):
                    self.gaz.name(v, idx, via="variant")

    def osm_landmarks(self) -> None:
        """Named OpenStreetMap landmarks (layer ``osm_landmarks``): kind "osm", level landmark, the kind's radius."""
        gdf = self.layers.get("osm_landmarks")
        if gdf is None:
            return
        for _, row in gdf.iterrows():
            geom = row.geometry
            idx = self.gaz.add(Place(
                row["name"], "osm", "landmark", geom.x, geom.y, float(row["precision_m"]), county=_val(row, "county"),
                basis=str(_val(row, "basis") or "OpenStreetMap point"),
                source=f"osm_landmarks: OpenStreetMap osm_id {row['osm_id']} (© OpenStreetMap contributors, ODbL)",
                osm_id=str(row["osm_id"]), category=str(_val(row, "landmark_kind") or "")))
            self.gaz.name(row["name"], idx)
            for v in str(_val(row, "variants") or "").split("|"):
                self.gaz.name(v, idx, via="variant")

    def landmarks(self) -> None:
        path = self.root / "gazetteer" / "landmarks.csv"
        if not path.exists():
            return
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for row in rows:
            name = row["name"].strip()
            lon = lat = precision = None
            level, county, township, district = "landmark", row.get("county") or None, None, None
            if row.get("lon") and row.get("lat"):
                lo, la = _datum.convert([float(row["lon"])], [float(row["lat"])],
                                        src=row.get("datum") or "wgs84", dst="wgs84")
                lon, lat = float(lo[0]), float(la[0])
                precision = float(row.get("precision_m") or 500)
                basis = f"documented point ({row.get('source')})"
            else:
                anchors = [p for p in self.gaz.lookup(row.get("anchor", "")) if p.has_point]
                if county and len(anchors) > 1:
                    anchors = [p for p in anchors if county in (p.county, p.district, p.name)]
                if len(anchors) != 1:
                    self.gaz.notes.append(f"landmark {name}: anchor {row.get('anchor')!r} not placed "
                                          f"({len(anchors)} candidates); left without a point")
                    basis = "anchor could not be placed"
                else:
                    a = anchors[0]
                    lon, lat, precision = a.lon, a.lat, a.precision_m
                    level = a.geocode_level
                    township, district = a.township, a.district
                    county = a.county if a.kind != "new_district" else county
                    basis = f"placed at {a.name} ({a.geocode_level}): {row.get('note', '')}"
            if district is None and county in (self.rules.get("new_districts") or {}):
                district = county
            idx = self.gaz.add(Place(name, "landmark", level, lon, lat, precision, county=county,
                                     township=township, district=district, basis=basis,
                                     source=f"layers/gazetteer/landmarks.csv; {row.get('source', '')}"))
            self.gaz.name(name, idx)
            for v in (row.get("variants") or "").split("|"):
                self.gaz.name(v, idx, via="variant")

    def variants(self) -> None:
        for canonical, variants in (self.rules.get("variants") or {}).items():
            targets = [i for i, _ in self.gaz.index.get(normalise_text(canonical), [])]
            if not targets:
                self.gaz.notes.append(f"variant target {canonical!r} is not in the gazetteer")
            for i in targets:
                for v in variants:
                    self.gaz.name(v, i, via="variant")

    def ocr_slips(self) -> None:
        for wrong, right in (self.rules.get("ocr_slips") or {}).items():
            for surface, entries in list(self.gaz.index.items()):
                if right in surface:
                    for i, _ in entries:
                        self.gaz.name(surface.replace(right, wrong), i, via=f"ocr:{wrong}→{right}")
