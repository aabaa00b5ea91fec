"""gis.prepare: one way in for every analysis (CRS declared and checked, datum, unplaced rows kept)."""

from __future__ import annotations

import traceback
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import gis
from gis import datum
from gis._errors import CRSError, DatumError, InputError
from gis.prepare import check_crs, prepare_layer
from gis.routing import travel_times

from cli_testing import invoke  # tests/cli_testing.py


def _towns(n: int = 6) -> gpd.GeoDataFrame:
    return gis.load_layer("townships").head(n).reset_index(drop=True)


def _prefixed(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer in EPSG:4524 (eastings with the zone prefix 36)."""
    return gdf.to_crs("EPSG:4524")


# ---------------------------------------------------------------- the declared CRS against the numbers

def test_prefixed_eastings_declared_4545_propose_4524():
    p = _prefixed(_towns())
    wrong = p.set_crs("EPSG:4545", allow_override=True)
    assert wrong.total_bounds[0] > 36_000_000
    with pytest.raises(CRSError, match=r"origins: declares EPSG:4545 .*outside the area.*EPSG:4524") as err:
        prepare_layer(wrong, name="origins")
    assert err.value.raised_by == "gis.prepare"
    # the advice followed works: the same positions as the lon/lat layer
    fixed = prepare_layer(wrong.set_crs("EPSG:4524", allow_override=True), name="origins").layer.xy
    direct = prepare_layer(_towns(), name="origins").layer.xy
    assert np.abs(fixed - direct).max() < 1e-3


def test_unprefixed_eastings_declared_4524_propose_4545():
    p = _towns().to_crs("EPSG:4545")
    wrong = p.set_crs("EPSG:4524", allow_override=True)
    with pytest.raises(CRSError, match=r"declares EPSG:4524 .*EPSG:4545"):
        gis.nearest(wrong, gis.load_layer("logistics"))


def test_check_crs_accepts_coordinates_at_liuzhou():
    b = tuple(_towns().to_crs("EPSG:4545").total_bounds)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_crs("EPSG:4545", b, layer="x")
        check_crs("EPSG:4326", tuple(_towns().total_bounds), layer="x")


def test_prefixed_gpkg_declared_wrong_is_advised_and_the_advice_works(tmp_path):
    path = tmp_path / "prefixed.gpkg"
    _prefixed(_towns()).set_crs("EPSG:4545", allow_override=True).to_file(path)
    bad = invoke("nearest", str(path), "logistics", "-o", str(tmp_path / "n.csv"))
    assert bad.exit_code != 0
    assert "EPSG:4524" in bad.output + (bad.stderr if bad.stderr_bytes is not None else "")
    good = invoke("nearest", str(path), "logistics", "--input-crs", "EPSG:4524", "-o", str(tmp_path / "n.csv"))
    assert good.exit_code == 0, good.output
    out = pd.read_csv(tmp_path / "n.csv")
    ref = gis.nearest(_towns(), gis.load_layer("logistics"))
    assert np.allclose(out["dist_m"].to_numpy(), ref["dist_m"].to_numpy(), atol=0.01)


# ---------------------------------------------------------------- GCJ-02 on polygons

def _gcj(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return datum.convert_gdf(gdf, src="wgs84", dst="gcj02")


def test_gcj02_shifted_polygons_are_flagged_and_the_right_ones_are_not():
    counties = gis.load_layer("counties").to_crs("EPSG:4326")
    with pytest.warns(UserWarning, match="gcj02_suspected"):
        prepare_layer(_gcj(counties), name="zones")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prepare_layer(counties, name="zones")
        p = prepare_layer(_gcj(counties), name="zones", datum="gcj02")  # declared: converted, no warning
    back = p.layer.frame.to_crs("EPSG:4326")
    assert back.geometry.iloc[0].equals_exact(counties.geometry.iloc[0], tolerance=1e-7)


def test_gcj02_zones_warn_in_coverage():
    counties = gis.load_layer("counties").to_crs("EPSG:4326")
    with pytest.warns(UserWarning, match="zones: gcj02_suspected"):
        gis.coverage_by(_towns(20), _gcj(counties), by="name")


# ---------------------------------------------------------------- unplaced rows are kept

def _geocoded() -> gpd.GeoDataFrame:
    t = _towns(4)[["name", "geometry"]].copy()
    t["geocode_status"] = ["matched", "unmatched", "matched", "matched"]
    t["reason"] = ["", "无此地名", "", ""]
    t.loc[1, "geometry"] = None
    return t


def test_nearest_within_matrix_buffer_keep_unplaced_rows():
    o, hubs = _geocoded(), gis.load_layer("logistics")
    with pytest.warns(UserWarning, match=r"origins: 1 row\(s\) have no position"):
        n = gis.nearest(o, hubs)
    assert list(n.index) == [0, 1, 2, 3] and n.loc[1, "note"] == "无此地名" and np.isnan(n.loc[1, "dist_m"])
    assert (n.drop(index=1)["dist_m"] == gis.nearest(o.drop(index=1), hubs)["dist_m"]).all()
    with pytest.warns(UserWarning, match="no position"):
        w = gis.within(o, hubs, 30_000)
    assert (w.loc[w["origin_index"] == 1, "note"] == "无此地名").all() and (w["origin_index"] == 1).sum() == 1
    with pytest.warns(UserWarning, match="no position"):
        m = gis.od_matrix(o, hubs.head(3))
    assert list(m.index) == [0, 1, 2, 3] and m.loc[1].isna().all() and m.attrs["notes"] == {1: "无此地名"}
    with pytest.warns(UserWarning, match="no position"):
        b = gis.buffer_rings(o, [1000])
    assert len(b) == 4 and b.loc[b["source_index"] == 1, "note"].item() == "无此地名"
    assert b.loc[b["source_index"] == 1].geometry.isna().all()
    with pytest.raises(InputError, match="origins: rows 1 have no geometry"):
        gis.nearest(o, hubs, strict=True)


def test_unplaced_without_reason_note_weiding():
    o = _geocoded().drop(columns="reason")
    with pytest.warns(UserWarning):
        n = gis.nearest(o, gis.load_layer("logistics"))
    assert n.loc[1, "note"] == "未定位"


def test_cli_chain_geocode_then_analyses_keeps_the_unplaced_row(tmp_path):
    table = pd.DataFrame({"项目名称": ["柳州站项目", "子虚乌有项目", "鹿寨项目"],
                          "建设地点": ["柳州站", "无此地方zzq", "鹿寨县"]})
    src = tmp_path / "p.csv"
    table.to_csv(src, index=False, encoding="utf-8")
    geo = tmp_path / "g.csv"
    r = invoke("geocode", str(src), "-o", str(geo))
    assert r.exit_code == 0, r.output
    for verb, extra, out in (("nearest", ["logistics"], "n.csv"), ("within", ["logistics", "--distance-m", "20000"], "w.csv"),
                             ("matrix", ["logistics"], "m.csv"), ("buffer", ["--distances", "1000"], "b.gpkg")):
        result = invoke(verb, str(geo), *extra, "-o", str(tmp_path / out))
        assert result.exit_code == 0, (verb, result.output)
    n = pd.read_csv(tmp_path / "n.csv")
    assert len(n) == 3 and n["note"].fillna("").astype(bool).sum() == 1
    strict = invoke("nearest", str(geo), "logistics", "--strict", "-o", str(tmp_path / "n2.csv"))
    assert strict.exit_code != 0


# ---------------------------------------------------------------- the proof: one place for CRS and datum faults

def _analyses(bad: gpd.GeoDataFrame):
    hubs = gis.load_layer("logistics").head(5)
    counties = gis.load_layer("counties")
    net = gis.travel_network(gis.load_layer("roads"))
    return {
        "nearest": lambda: gis.nearest(bad, hubs),
        "within": lambda: gis.within(bad, hubs, 5000),
        "od_matrix": lambda: gis.od_matrix(bad, hubs),
        "buffer_rings": lambda: gis.buffer_rings(bad, [1000]),
        "review": lambda: gis.review(bad, counties),
        "site_suitability": lambda: gis.site_suitability(bad, near={"物流": (hubs, 20000)}),
        "coverage": lambda: gis.coverage_by(bad, counties, by="name"),
        "travel_times": lambda: travel_times(net, bad, hubs),
    }


def _fault(run) -> tuple[type, str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as err:
            run()
    frame = traceback.extract_tb(err.value.__traceback__)[-1]
    return type(err.value), str(err.value), getattr(err.value, "raised_by", frame.filename)


def _faulty_inputs() -> dict[str, gpd.GeoDataFrame]:
    towns = _towns(8)
    crs_fault = towns.to_crs("EPSG:4524").set_crs("EPSG:4545", allow_override=True)  # declared 4545, numbers 4524
    datum_fault = _gcj(towns).assign(坐标系="WGS84")  # GCJ-02 numbers declared WGS-84
    return {"crs": crs_fault, "datum": datum_fault}


@pytest.mark.parametrize("fault", ["crs", "datum"])
def test_a_fault_gives_the_same_error_from_gis_prepare_in_every_analysis(fault):
    bad = _faulty_inputs()[fault]
    results = {name: _fault(run) for name, run in _analyses(bad).items()}
    kinds = {r[0] for r in results.values()}
    where = {r[2] for r in results.values()}
    assert kinds == {CRSError if fault == "crs" else DatumError}, results
    assert where == {"gis.prepare"}, results
    # the same message, up to the layer's name in each analysis
    bodies = {r[1].split(": ", 1)[1] for r in results.values()}
    assert len(bodies) == 1, bodies
