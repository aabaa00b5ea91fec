"""The plan layers builder: every source row accounted for, honest corridor geometry, status mapping."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from shapely.geometry import Point

from gis._errors import LayerError
from gis.build import plans
from gis.crs import analysis_crs, transformer
from gis.layers import layers_dir

STATUSES = {"existing", "under_construction", "planned", "reserve", "unknown"}
REQUIRED = ["name", "category", "county", "status", "status_zh", "source_file", "section", "geocode_level",
            "precision_m", "matched"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("layers")
    for sub in ("base", "catalog", "gazetteer", "sources"):
        shutil.copytree(layers_dir() / sub, root / sub)
    result = plans.build(None, root)
    return root, result


def _source_rows(root: Path) -> dict[str, int]:
    counts = {}
    for p in sorted((root / "sources").glob("*.csv")):
        counts[p.name] = len(pd.read_csv(p, dtype=str, keep_default_na=False))
    for p in sorted((root / "sources").glob("corridors_*.y*ml")):
        counts[p.name] = len(yaml.safe_load(p.read_text(encoding="utf-8")) or [])
    return counts


def _unlocated_rows(root: Path) -> pd.Series:
    text = (root / "plans" / "unlocated.md").read_text(encoding="utf-8")
    tables = re.findall(r"^\| ([^|]+\.(?:csv|yaml|yml)) \|", text, flags=re.M)
    return pd.Series(tables, dtype=str).value_counts()


def test_every_source_row_ends_in_a_layer_or_in_unlocated(built):
    root, result = built
    src = _source_rows(root)
    assert src, "no source tables"
    unl = _unlocated_rows(root)
    placed = pd.concat([g["source_table"] for n, g in result["layers"].items() if n != "townships_plan"]).value_counts()
    tags = result["layers"]["townships_plan"]["sources"].str.split("；").explode()
    tags = tags[tags.fillna("") != ""].str.split(":").str[0].value_counts()
    for table, n in src.items():
        located = int(placed.get(table, 0)) + int(tags.get(table, 0))
        assert located + int(unl.get(table, 0)) == n, table


def test_features_carry_the_required_fields(built):
    _, result = built
    for name, gdf in result["layers"].items():
        if len(gdf) == 0:
            continue
        assert set(REQUIRED) <= set(gdf.columns), name
        assert set(gdf["status"]) <= STATUSES, name
        assert set(gdf["geocode_level"]) <= {"landmark", "village", "township", "county", "city"}, name
        assert gdf.geometry.notna().all() and (gdf["precision_m"].astype(float) > 0).all(), name


def test_townships_plan_has_one_row_per_township(built):
    _, result = built
    tp = result["layers"]["townships_plan"]
    assert len(tp) == 118 and tp["code"].is_unique
    yz = tp.set_index("name").loc["雒容镇"]
    assert "重点镇乡" in yz["tags"] and "产业重镇" in yz["tags"]


def test_status_mapping():
    assert plans.map_status("建成") == "existing" and plans.map_status("已建") == "existing"
    assert plans.map_status("在建") == "under_construction" and plans.map_status("续建") == "under_construction"
    assert plans.map_status("新建") == plans.map_status("拟建") == plans.map_status("规划") == "planned"
    assert plans.map_status("预备") == plans.map_status("储备") == "reserve"
    # words of the texts beyond the five classic ones (layers/sources/status_words.yaml)
    assert plans.map_status("投入使用") == plans.map_status("顺利开港") == plans.map_status("竣工投产") == "existing"
    assert plans.map_status("正在建设") == plans.map_status("加快推进") == "under_construction"
    assert plans.map_status("前期研究") == plans.map_status("适时启动") == plans.map_status("重点推进") == "planned"
    assert plans.map_status("落户") == plans.map_status("") == plans.map_status("某某") == "unknown"
    assert plans.map_status("已建成投产") == "existing"  # not listed: longest listed word inside (已建成)


def _status_words_used(root: Path) -> set[str]:
    words = set()
    for p in sorted((root / "sources").glob("*.csv")):
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        if "status_zh" in df.columns:
            words |= set(df["status_zh"].str.strip())
    for p in sorted((root / "sources").glob("corridors_*.y*ml")):
        words |= {str(it.get("status_zh") or "").strip() for it in yaml.safe_load(p.read_text(encoding="utf-8")) or []}
    return words - {""}


def test_every_status_word_is_in_the_vocabulary():
    vocab = plans.status_vocabulary()
    used = _status_words_used(layers_dir())
    assert len(used) > 60  # the texts use many verbs, not only 建成/在建/新建
    assert sorted(used - set(vocab)) == []
    assert set(vocab.values()) <= STATUSES


def test_vocabulary_with_a_word_in_two_classes_is_refused(tmp_path):
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "status_words.yaml").write_text(
        "classes:\n  existing: [建成]\n  planned: [建成, 新建]\n", encoding="utf-8")
    with pytest.raises(LayerError, match="建成"):
        plans.status_vocabulary(tmp_path)


def test_built_status_follows_the_vocabulary(built):
    _, result = built
    vocab = plans.status_vocabulary()
    for name, gdf in result["layers"].items():
        if name == "townships_plan" or not len(gdf):
            continue
        for zh, status in zip(gdf["status_zh"].fillna(""), gdf["status"]):
            assert status == (vocab[zh] if zh else "unknown"), (name, zh)


def test_corridor_geometry_basis_is_honest(built):
    root, result = built
    cor = result["layers"]["corridors"]
    assert set(cor["geometry_basis"]) <= {"railway_stations", "river_centreline", "schematic"}
    stations = plans.load_layer_from(root, "railway_stations")
    to_m = transformer("EPSG:4326", analysis_crs())
    spts = np.array([to_m.transform(p.x, p.y) for p in stations.geometry])
    for _, c in cor[cor["geometry_basis"] == "railway_stations"].iterrows():
        for x, y in c.geometry.coords:  # every vertex is a real station
            mx, my = to_m.transform(x, y)
            assert np.hypot(spts[:, 0] - mx, spts[:, 1] - my).min() < 1.0
    rivers = plans.load_layer_from(root, "rivers")
    river = rivers[rivers["name"].isin(plans.RIVER_WATERWAYS)].to_crs(analysis_crs()).union_all()
    for _, c in cor[cor["geometry_basis"] == "river_centreline"].iterrows():
        for x, y in c.geometry.coords:  # every vertex lies on the centre line
            assert river.distance(Point(to_m.transform(x, y))) < 1.0
    # a schematic line is exactly the straight line through its located places
    for _, c in cor[cor["geometry_basis"] == "schematic"].iterrows():
        assert len(c.geometry.coords) == len(c["located_places"].split(" → "))


def test_build_report_counts(built):
    root, result = built
    text = (root / "plans" / "build_report.md").read_text(encoding="utf-8")
    for name, gdf in result["layers"].items():
        assert re.search(rf"^\| {name} \| {len(gdf)} \|", text, flags=re.M), name


def test_summary_lists_layers_and_levels():
    s = plans.summary()
    assert {"townships", "villages", "external_places"} <= set(s["layer"])
    t = s.set_index("layer")
    assert t.loc["villages", "village"] == t.loc["villages", "features"] == 176
    assert t.loc["townships", ["township", "county"]].sum() == 118
