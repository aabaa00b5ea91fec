"""County seats (县/区人民政府驻地) of Liuzhou's ten counties and districts.

Each county row of the 2016 Vonng/adcode snapshot carries Amap's district
centre, which Amap puts at the seat of the county government; it is in
GCJ-02 and converted to WGS-84 here.  The seat town (``seat_township``) is
the current township whose own Amap centre is nearest, named only when it lies
within :data:`SEAT_TOWN_MAX_M` and in the same county; the nearest one and its
distance are kept either way.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from shapely.geometry import Point

from .._errors import LayerError
from ._townships import VONNG_SOURCE, _to_wgs, read_vonng

#: Precision (m) of an Amap district centre standing for the county government seat.
PRECISION_SEAT_M = 1000
#: A township point farther than this from the seat is not named as the seat town.
SEAT_TOWN_MAX_M = 3000.0
LOCATION_BASIS = "Amap district centre (county government seat), GCJ-02 converted"

_GEOD = pyproj.Geod(ellps="WGS84")


def build_county_seats(data_dir: Path, counties: gpd.GeoDataFrame, townships: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The ``county_seats`` layer: one point per county of ``counties``.

    Parameters
    ----------
    data_dir
        ``../shared/data`` (holds ``townships/vonng_adcode_4502xx.csv``).
    counties
        The ``counties`` layer (WGS-84, ``adcode``, ``name``).
    townships
        The ``townships`` layer (WGS-84 points, ``name``, ``county``, ``location_basis``).

    Returns
    -------
    GeoDataFrame
        ``adcode``, ``name``, ``seat_township`` (None unless clearly the seat town),
        ``nearest_township``, ``nearest_township_dist_m``, ``geocode_level`` ("county"),
        ``precision_m``, ``location_basis``, ``location_note``, ``lon``, ``lat``, ``source``; EPSG:4326.

    Raises
    ------
    LayerError
        If a county of ``counties`` has no county row with a point in the Vonng files, or the names disagree.
    """
    vonng = read_vonng(data_dir / "townships")
    rows16 = vonng[vonng["level"].isin(["county", "district"])].copy()
    rows16["adcode6"] = rows16["code"].str[:6]
    by_code = rows16.set_index("adcode6")
    problems = []
    for c in counties.itertuples():
        if c.adcode not in by_code.index or np.isnan(by_code.loc[c.adcode, "longitude"]):
            problems.append(f"{c.name} ({c.adcode}): no county row with a point")
        elif by_code.loc[c.adcode, "name"] != c.name:
            problems.append(f"{c.adcode}: named {by_code.loc[c.adcode, 'name']!r} in Vonng, {c.name!r} in counties")
    if problems:
        raise LayerError(f"{data_dir / 'townships'}: county seats: " + "; ".join(problems)
                         + ". Check the Vonng files against the counties layer.")
    # only a township's own Amap centre stands for its seat; derived points (means of villages) do not
    towns = townships[townships["location_basis"] == "amap_area_centre"]
    rows = []
    for c in counties.sort_values("adcode").itertuples():
        r = by_code.loc[c.adcode]
        lon, lat = (float(v) for v in _to_wgs(r["longitude"], r["latitude"]))
        _, _, d = _GEOD.inv(np.full(len(towns), lon), np.full(len(towns), lat),
                            towns.geometry.x.to_numpy(), towns.geometry.y.to_numpy())
        k = int(np.argmin(d))
        near, near_county, near_m = towns["name"].iloc[k], towns["county"].iloc[k], float(d[k])
        seat_town = near if near_m <= SEAT_TOWN_MAX_M and near_county == c.name else None
        note = (f"Amap district centre of {c.name} (2016 snapshot), converted GCJ-02 → WGS-84; "
                f"nearest township point {near} ({near_county}) at {near_m:.0f} m")
        if seat_town:
            note += ": the seat town"
        elif near_county != c.name:
            note += ": in another county, no seat town named"
        else:
            note += f": farther than {SEAT_TOWN_MAX_M:.0f} m, no seat town named"
        rows.append({"adcode": c.adcode, "name": c.name, "seat_township": seat_town, "nearest_township": near,
                     "nearest_township_dist_m": round(near_m, 1), "geocode_level": "county",
                     "precision_m": PRECISION_SEAT_M, "location_basis": LOCATION_BASIS, "location_note": note,
                     "lon": round(lon, 6), "lat": round(lat, 6), "source": VONNG_SOURCE})
    df = pd.DataFrame(rows)
    return gpd.GeoDataFrame(df, geometry=[Point(x, y) for x, y in zip(df["lon"], df["lat"])], crs="EPSG:4326")
