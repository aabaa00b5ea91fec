"""The road speed model against published drive times (layers/network/calibration.yaml, layers/network/speeds.yaml).

Each county seat's model minutes from the city centre (gis.routing.travel_times on the shipped roads, default
speeds) must be within the file's tolerance (±20 %) of its documented published time.
"""

from __future__ import annotations

import pytest

import gis
from gis.layers import layers_dir, read_yaml
from gis.network import speed_model, travel_network
from gis.routing import travel_times

CAL = read_yaml(layers_dir() / "network" / "calibration.yaml")
SEATS = [p for p in CAL["places"] if p["county_seat"]]


def _one(layer: str, name: str):
    gdf = gis.load_layer(layer)
    hit = gdf[gdf["name"] == name]
    assert len(hit) == 1, f"{layer}: {len(hit)} rows named {name}"
    return hit


@pytest.fixture(scope="module")
def minutes() -> dict[str, float]:
    net = travel_network(gis.load_layer("roads"))
    centre = _one(CAL["centre"]["layer"], CAL["centre"]["name"])
    return {p["name"]: float(travel_times(net, centre, _one(p["layer"], p["name"])).iloc[0, 0]) for p in CAL["places"]}


def test_the_six_county_seats_each_with_a_source() -> None:
    assert sorted(p["name"] for p in SEATS) == sorted(
        ["柳江区", "柳城县", "鹿寨县", "融安县", "融水苗族自治县", "三江侗族自治县"])
    for p in CAL["places"]:
        assert float(p["published_min"]) > 0 and len(str(p["source"])) > 20, p


@pytest.mark.parametrize("place", SEATS, ids=[p["name"] for p in SEATS])
def test_county_seat_within_tolerance_of_published(place: dict, minutes: dict[str, float]) -> None:
    got, pub = minutes[place["name"]], float(place["published_min"])
    assert abs(got / pub - 1.0) <= float(CAL["tolerance_share"]), (place["name"], round(got, 1), pub)


def test_airport_and_station_within_tolerance(minutes: dict[str, float]) -> None:
    for p in CAL["places"]:
        if not p["county_seat"]:
            assert abs(minutes[p["name"]] / float(p["published_min"]) - 1.0) <= float(CAL["tolerance_share"]), p["name"]


def test_long_chords_run_at_expressway_design_speed() -> None:
    # 三江 is 158 km away in a straight line: an 80 km/h ceiling put it at 160 min against the published ~120.
    through = [r for r in speed_model()["road_classes"] if r["class"] == "through_road"][0]
    assert 100 <= float(through["speed_kmh"]) <= 120  # JTG B01-2014 expressway design 100/120; limit ≤ 120 (第七十八条)


def test_far_seats_are_ordered_by_distance(minutes: dict[str, float]) -> None:
    assert minutes["柳江区"] < minutes["融水苗族自治县"] < minutes["融安县"] < minutes["三江侗族自治县"]
