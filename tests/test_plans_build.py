"""The plan layers builder: every source row accounted for, honest corridor geometry, status mapping."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import shapely
import pandas as pd
import pytest
import yaml
from shapely.geometry import Point

import gis
import gis.layers
from gis._errors import LayerError
from gis.layer_pipeline import plans
from gis.crs import analysis_crs, transformer
from gis.layers import layers_dir, load_layer

STATUSES = {"existing", "under_construction", "planned", "reserve", "unknown"}
REQUIRED = ["name", "category", "county", "status", "status_zh", "source_file", "section", "geocode_level",
            "precision_m", "matched"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("layers")
    for sub in ("base", "catalog", "gazetteer", "sources", "network"):
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
    assert plans.map_status("支持") == plans.map_status("") == plans.map_status("某某") == "unknown"
    # one rule: 加快/继续 (ongoing) → under_construction; 推进 and its compounds (intent) → planned; landed → existing
    assert plans.map_status("加快") == plans.map_status("加快建设") == plans.map_status("继续推进") == "under_construction"
    assert {plans.map_status(w) for w in ("推进", "重点推进", "积极推进", "全力推进", "推进建设")} == {"planned"}
    assert plans.map_status("改造提升") == plans.map_status("改造") == plans.map_status("提升") == "planned"
    assert {plans.map_status(w) for w in ("落户", "入驻", "引进", "落地运营")} == {"existing"}
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


def test_vocabulary_has_no_contradictory_compounds():
    """A compound of a modifier and a listed verb follows the rule at the top of status_words.yaml."""
    data = yaml.safe_load((layers_dir() / "sources" / "status_words.yaml").read_text(encoding="utf-8"))
    vocab = plans.status_vocabulary()
    ongoing, neutral = data["modifiers"]["ongoing"], data["modifiers"]["neutral"]
    checked = 0
    for word, cls in vocab.items():
        for m in ongoing:
            if word.startswith(m):
                assert cls == "under_construction", word
                checked += 1
        for m in neutral:
            rest = word[len(m):]
            if word.startswith(m) and rest in vocab:
                assert cls == vocab[rest], (word, rest)
                checked += 1
        # two listed verbs of one class make a word of that class (推进建设, 改造提升, 建成投入使用)
        for i in range(1, len(word)):
            a, b = word[:i], word[i:]
            if a in vocab and b in vocab and vocab[a] == vocab[b] and a not in ongoing + neutral:
                assert cls == vocab[a], word
                checked += 1
    assert checked >= 15
    # the pairs decided against: 加快推进 and 推进 differ on purpose; 落户 and 落地运营 agree
    assert vocab["加快推进"] != vocab["推进"] and vocab["落户"] == vocab["落地运营"]


def test_empty_status_is_derived_only_from_the_text(built):
    root, result = built
    towns = result["layers"]["characteristic_towns"]
    assert set(towns["status_basis"]) == {"section"} and set(towns["status_zh"]) == {"创建"}
    assert set(towns["status"]) == {"planned"}
    seed = (Path(__file__).resolve().parents[1] / ".." / "shared" / "seeds" / "004_9db75a2811220992.txt")
    if seed.exists():  # the quoted words stand in the seed, on the line given
        lines = seed.read_text(encoding="utf-8").splitlines()
        assert "积极创建一批科技小镇、制造小镇、农旅小镇" in lines[362]
    proj = result["layers"]["projects"].set_index("id")
    assert proj.loc["URB-P-038", ["status_zh", "status_basis"]].tolist() == ["推进", "description"]
    assert proj.loc["URB-P-047", ["status_zh", "status_basis"]].tolist() == ["建设", "section"]
    # a description whose verb does not stand right before the name gives nothing (将融安骑楼建成… is not 建成)
    assert proj.loc["CE-P-066", ["status_zh", "status", "status_basis"]].tolist() == ["", "unknown", "none"]
    for name, gdf in result["layers"].items():
        if name == "townships_plan":
            continue
        assert set(gdf["status_basis"]) <= {"status_zh", "description", "section", "same_as", "none",
                                            "network_evidence"}, name
        assert ((gdf["status_basis"] == "none") == (gdf["status_zh"].fillna("") == "")).all(), name


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
    assert set(cor["geometry_basis"]) <= {"railway_stations", "river_centreline", "schematic", "rail_graph",
                                          "road_graph"}
    # a line on the graph (built here without the shared folder: on the shipped roads / railways) has every vertex
    # at a node of that graph, except the far end of a straight leg to a place off the graph
    for basis, layer in (("rail_graph", "railways"), ("road_graph", "roads")):
        nodes = shapely.get_coordinates(load_layer(layer, root=root).geometry.values)
        for _, c in cor[cor["geometry_basis"] == basis].iterrows():
            xy = np.asarray(c.geometry.coords)
            d = np.array([np.hypot(nodes[:, 0] - x, nodes[:, 1] - y).min() for x, y in xy])
            assert (d[1:-1] < 2e-6).all() and (d < 2e-6).sum() >= 2, c["name"]
            assert c["existing_basis"] and 0 < c["graph_share"] <= 1
    stations = load_layer("railway_stations", root=root)
    to_m = transformer("EPSG:4326", analysis_crs())
    spts = np.array([to_m.transform(p.x, p.y) for p in stations.geometry])
    for _, c in cor[cor["geometry_basis"] == "railway_stations"].iterrows():
        for x, y in c.geometry.coords:  # every vertex is a real station
            mx, my = to_m.transform(x, y)
            assert np.hypot(spts[:, 0] - mx, spts[:, 1] - my).min() < 1.0
    rivers = load_layer("rivers", root=root)
    river = rivers[rivers["name"].isin(plans.RIVER_WATERWAYS)].to_crs(analysis_crs()).union_all()
    for _, c in cor[cor["geometry_basis"] == "river_centreline"].iterrows():
        for x, y in c.geometry.coords:  # every vertex lies on the centre line
            assert river.distance(Point(to_m.transform(x, y))) < 1.0
    # a schematic line is exactly the straight line through its located places (a place repeating the previous
    # point adds no vertex), and it never collapses to one point
    for _, c in cor[cor["geometry_basis"] == "schematic"].iterrows():
        n = len(c["located_places"].split(" → "))
        assert 2 <= len(c.geometry.coords) <= n
        assert c.geometry.length > 0


def _row(gdf, ident):
    hit = gdf[gdf["id"] == ident]
    assert len(hit) == 1, ident
    return hit.iloc[0]


def test_single_place_works_are_sites_not_lines(built):
    root, result = built
    sites, cor, log = result["layers"]["corridor_sites"], result["layers"]["corridors"], result["layers"]["logistics"]
    assert len(sites) > 30 and set(sites.geometry.geom_type) == {"Point"}
    assert set(sites["geometry_basis"]) == {"site"} and "axis" not in set(sites["mode"])
    assert set(cor.geometry.geom_type) == {"LineString"}
    assert not set(sites["id"]) & set(cor["id"])
    # a terminal's works sit where its logistics row sits, and say which row that is
    s, f = _row(sites, "WAT-4-3-05"), _row(log, "LOG-S-022")
    assert s["same_as"] == "LOG-S-022" and s["site_kind"] == "terminal"
    assert s.geometry.equals_exact(f.geometry, 1e-9) and s["precision_m"] == f["precision_m"]
    # the siding to 高铁物流基地: the place is resolved through the logistics feature LOG-T-008
    s, f = _row(sites, "RAIL-4-1-04e"), _row(log, "LOG-T-008")
    assert s["site_kind"] == "siding" and "facility" in s["matched"] and s["same_as"] == "LOG-T-008"
    assert s.geometry.equals_exact(f.geometry, 1e-9) and s["geocode_level"] == f["geocode_level"]
    # bypasses of a county sit at the county's point
    counties = load_layer("counties", root=root).set_index("name")
    s = _row(sites, "HWY-4-2-19")
    assert s["site_kind"] == "bypass" and s["county"] == "融水苗族自治县"
    assert counties.loc["融水苗族自治县"].geometry.covers(s.geometry)
    # a pipeline whose only place is outside Liuzhou, and a lock whose only place is the river, are not sites
    unl = result["unlocated"].set_index("id")
    assert "outside Liuzhou" in unl.loc["PIPE-4-5-02", "reason"] and "PIPE-4-5-02" not in set(sites["id"])
    assert "river" in unl.loc["WAT-4-3-04", "reason"]


def test_bare_village_names_resolve_within_the_corridors_county(built):
    root, result = built
    cor, sites = result["layers"]["corridors"], result["layers"]["corridor_sites"]
    reg = pd.read_csv(root / "gazetteer" / "village_register.csv", comment="#", dtype=str)
    towns = load_layer("townships", root=root).set_index("name")
    # 产儒 (S303 融水怀宝…): the register has one 产儒村, in 融水 汪洞乡; it has no point, so its township's seat
    hit = reg[reg["short_name"] == "产儒村"]
    assert len(hit) == 1 and hit.iloc[0]["county"] == "融水苗族自治县"
    c = _row(cor, "HWY-4-2-13")
    assert c["located_places"] == "产儒 → 环江界" and "产儒:village_in_county" in c["matched"]
    first = Point(c.geometry.coords[0])
    assert first.equals_exact(towns.loc[hit.iloc[0]["township"]].geometry, 1e-6)
    # 高坡 (S208 高坡至中渡): 高坡村 lies in 中渡镇 itself, so both ends are one point: a site, not a line
    s = _row(sites, "HWY-4-2-10")
    assert "高坡:village_in_county" in s["matched"] and s.geometry.equals_exact(towns.loc["中渡镇"].geometry, 1e-6)
    # a bare name outside the corridor's counties is not taken (香兰村 is in 柳北区; the row is 柳城县's)
    assert "香兰 (not in the gazetteer)" in result["unlocated"].set_index("id").loc["URB-C-038", "reason"]


def test_slash_alternatives_draw_the_first_and_list_the_others(built):
    _, result = built
    c = _row(result["layers"]["corridors"], "URB-C-021")
    assert c["located_places"] == "柳州 → 贺州 → 广州" and len(c.geometry.coords) == 3
    assert c["alternative_places"] == "贺州: 梧州; 广州: 深圳" and "并列" in c["description"]
    assert plans.alternative_groups(["柳州", "河池", "宜州", "贵州"], ["柳州—河池/宜州—贵州西向通道"]) == [
        ["柳州"], ["河池", "宜州"], ["贵州"]]


def test_unplaceable_names_stay_unlocated_with_their_reason(built):
    _, result = built
    unl = result["unlocated"].set_index("id")
    assert "outside China" in unl.loc["CH-3-1-01", "reason"] and "region" in unl.loc["CH-3-1-01", "reason"]
    assert "boundary" in unl.loc["HWY-4-2-12", "reason"]
    assert unl.loc["URB-C-089", "reason"] == "the text names no place of it"


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


def test_same_entity_in_two_tables_is_linked_never_dropped(built):
    _, result = built
    layers = result["layers"]
    feats = pd.concat([layers[n][["id", "name", "same_as"]].assign(layer=n) for n in plans.LINKED_LAYERS])
    by_id = feats.set_index("id")
    links = {i: set(filter(None, str(s or "").split("; "))) for i, s in zip(feats["id"], feats["same_as"])}
    # 柳州保税物流中心（B型） is a logistics row, a 县域经济 project and a 高新区 project: three rows, each naming the others
    assert {"CE-P-064", "HT-P-024"} <= links["LOG-S-012"] and "LOG-S-012" in links["CE-P-064"]
    assert by_id.loc["HT-P-024", "name"] == "柳州保税物流中心(B型)项目"
    # spelled differently, one gazetteer landmark: 鹿寨江口港作业区 = 鹿寨港区江口作业区
    assert "LOG-S-018" in links["URB-P-037"] and "URB-P-037" in links["LOG-S-018"]
    # a trailing bracketed other name: 西部陆海新通道柳州铁路港（西鹅铁路物流中心） = 柳州西鹅铁路物流中心
    assert "LOG-T-001" in links["CE-P-065"]
    # a generic bracket (铁路专用线) links nothing; a district inside a town's name is not the district
    assert "RAIL-4-1-04c" not in links["RAIL-4-1-04b"]
    assert not links["URB-CT-01"] & {"LOG-L-003"}
    # links are mutual between located rows
    for i, targets in links.items():
        for t in targets & set(links):
            assert i in links[t], (i, t)
    assert "WAT-4-3-05" in links["LOG-S-022"]  # the terminal's works, named in their description
    text = result["same_as"]["rows"].str.cat(sep="\n")
    # unlocated rows take part (the “千里西江”黄金旅游走廊 of two plans, which name no place on it); CE-P-005
    # (国家汽车质量检验中心（广西）二期) and CE-P-004 (广西工业设计城) were such rows until OpenStreetMap placed the
    # first and the shared location the second
    assert "LOG-S-012" in text
    assert "CE-C-019 (corridors_county_economy.yaml, unlocated); URB-C-020 (corridors_urbanisation.yaml, unlocated)" in text
    assert "CE-P-004 (projects_county_economy.csv, projects)" in text
    assert "CE-P-005 (projects_county_economy.csv, projects)" in text


CANONICAL = {"城中区", "鱼峰区", "柳南区", "柳北区", "柳江区", "柳城县", "鹿寨县", "融安县", "融水苗族自治县", "三江侗族自治县"}


def test_county_is_canonical_and_says_where_it_came_from(built):
    root, result = built
    counties = load_layer("counties", root=root)
    assert set(counties["name"]) == CANONICAL
    for name, gdf in result["layers"].items():
        county = gdf["county"].fillna("")
        assert set(county) - {""} <= CANONICAL, name
        assert {"county_text", "new_district", "county_basis", "in_municipality"} <= set(gdf.columns), name
        assert ((county == "") == gdf["county_basis"].isin(["none"])).all(), name
        # a county read from the point is the polygon that holds it (brute force over the 10 polygons)
        for _, f in gdf[gdf["county_basis"] == "located_point"].iterrows():
            holders = [n for n, g in zip(counties["name"], counties.geometry) if g.covers(f.geometry)]
            assert holders == [f["county"]], f["id"]
    proj = result["layers"]["projects"].set_index("id")
    # the text's own words are kept; aliases become the legal name
    spelled = proj[proj["county_text"].isin(["柳城", "融水", "融水县", "三江县", "鹿寨"])]
    assert len(spelled) > 10 and (spelled["county_basis"] == "text").all()
    assert set(spelled["county"]) == {"柳城县", "融水苗族自治县", "三江侗族自治县", "鹿寨县"}
    # a new district is not a county: placed only at the district's point → no county, and the reason
    f = proj.loc["HT-P-014"]
    assert f["new_district"] == "柳州高新区" and f["county"] == "" and "not a county" in f["county_note"]
    # ... but a new-district row located at a township takes that township's county (雒容镇 is in 鱼峰区)
    towns = result["layers"]["characteristic_towns"].set_index("id")
    t = towns.loc["URB-CT-03"]
    assert t["new_district"] == "柳东新区" and t["geocode_level"] == "township"
    assert t["county"] == "鱼峰区" and t["county_basis"] == "located_point"
    # an empty county cell is filled from the located township (太阳村镇 → 柳南区)
    assert proj.loc["CE-P-121", ["county", "county_basis"]].tolist() == ["柳南区", "located_point"]
    assert proj.loc["CE-P-002", "county"] == "" and "city" in proj.loc["CE-P-002", "county_note"]
    # CE-P-001 was city-level too until OpenStreetMap placed it (中国电信柳州云计算数据中心, in 鱼峰区)
    assert proj.loc["CE-P-001", ["county", "county_basis", "osm_id"]].tolist() == ["鱼峰区", "located_point", "1158968486"]


def test_features_outside_the_municipality_are_kept_and_reported(built):
    root, result = built
    city = load_layer("city", root=root).union_all()
    proj = result["layers"]["projects"].set_index("id")
    f = proj.loc["HT-P-019"]
    assert "广州" in f["name"] and not f["in_municipality"] and f["county"] == ""
    # brute force: in_municipality is the point-in-polygon (lines: intersection) test
    for name, gdf in result["layers"].items():
        expect = [city.intersects(g) if g.geom_type != "Point" else city.covers(g) for g in gdf.geometry]
        assert list(gdf["in_municipality"]) == expect, name
    assert proj["in_municipality"].sum() == len(proj) - 1
    text = (root / "plans" / "build_report.md").read_text(encoding="utf-8")
    outside = text.split("## Features outside the municipality")[1]
    assert "HT-P-019" in outside and "URB-C-017" in outside and "CE-P-001" not in outside


def test_primary_counts_each_entity_once(built):
    _, result = built
    for name in plans.LINKED_LAYERS:
        gdf = result["layers"][name]
        prim = gdf[gdf["primary"]]
        keys = prim["name"].map(plans.name_key)
        assert not keys.duplicated().any(), (name, sorted(keys[keys.duplicated()]))
        # exactly one primary per group of rows of this layer sharing a name key or listed in same_as.yaml
        group = dict(zip(gdf["id"], gdf["name"].map(plans.name_key)))
        for entry in plans.explicit_links():
            present = [i for i in entry.get("ids", []) if i in group]
            for i in present[1:]:
                old, new = group[i], group[present[0]]
                group = {k: (new if v == old else v) for k, v in group.items()}
        apart = {i for e in plans.explicit_links() for i in e.get("distinct", [])}
        for key, grp in gdf.groupby(gdf["id"].map(group)):
            if set(grp["id"]) & apart:  # rows kept apart although their names agree
                continue
            assert grp["primary"].sum() == 1, (name, key)
            if len(grp) > 1:  # and they name each other
                for _, r in grp.iterrows():
                    assert set(grp["id"]) - {r["id"]} <= set(str(r["same_as"]).split("; ")), r["id"]
    proj = result["layers"]["projects"].set_index("id")
    # 002 and 004 both list the data centres: one primary each (same geocode: the first source, 002)
    for a, b in (("CE-P-001", "URB-P-058"), ("CE-P-002", "URB-P-059"), ("CE-P-037", "URB-P-005")):
        assert b in proj.loc[a, "same_as"] and a in proj.loc[b, "same_as"]
        assert proj.loc[a, "primary"] and not proj.loc[b, "primary"]
    # the finer geocode wins over the first source: 滨江智谷 (county) over 柳州市滨江智谷 (city)
    assert proj.loc["HT-P-018", "primary"] and not proj.loc["URB-P-033", "primary"]
    sites = result["layers"]["corridor_sites"]
    # 4 by name (机场联络道, 通用机场 …) and the explicit 湘桂铁路柳州枢纽 (3 rows) and 梅林航电枢纽 (3 rows)
    assert (~sites["primary"]).sum() == 8
    cor = result["layers"]["corridors"].set_index("id")
    for a, b in (("EXP-4-2-12", "URB-C-072"), ("EXP-4-2-04", "URB-C-065"), ("CE-C-005", "URB-C-061")):
        assert b in cor.loc[a, "same_as"] and a in cor.loc[b, "same_as"]
        assert cor.loc[[a, b], "primary"].sum() == 1
    # a siding and a berth serving one terminal are two works, both primary
    s = sites.set_index("id")
    assert s.loc["WAT-4-3-06", "primary"] and s.loc["RAIL-4-1-04a", "primary"]


def test_load_layer_reads_another_layers_folder(built):
    root, _ = built
    own = load_layer("corridor_sites", root=root)
    assert len(own) == len(load_layer("corridor_sites")) and own.attrs["layer"]["title"] == "交通工程点位(规划)"
    with pytest.raises(LayerError, match="unknown layer"):
        load_layer("no_such_layer", root=root)


def test_rows_of_one_entity_share_the_best_location(built):
    """广西工业设计城: one row located (物流规划), others unlocated by their own text → all at that location."""
    from pyproj import Geod

    _, result = built
    layers = result["layers"]
    rows = pd.concat([layers[n].assign(layer=n) for n in ("projects", "logistics", "facilities")], ignore_index=True)
    city = rows[rows["name"].isin(["广西工业设计城", "工业设计城"])].set_index("id")
    assert {"LOG-S-028", "CE-P-004", "URB-P-032", "FAC-R-006", "PARK-014"} <= set(city.index)
    best = city.loc["LOG-S-028"]
    assert best["location_from"] == ""
    for i in ("CE-P-004", "URB-P-032", "FAC-R-006", "PARK-014"):
        f = city.loc[i]
        assert f["location_from"] == "LOG-S-028" and f.geometry.equals(best.geometry), i
        assert f["precision_m"] == best["precision_m"] and f["geocode_level"] == best["geocode_level"]
    assert not result["unlocated"]["id"].isin(["CE-P-004", "URB-P-032", "FAC-R-006"]).any()
    # a row that took another's location: the new point lies within its own old radius (brute force, pyproj.Geod)
    geod = Geod(ellps="WGS84")
    shared = result["shared_locations"]
    moved = shared[shared["was"] != "unlocated"]
    assert len(moved) >= 5
    for _, m in moved.iterrows():
        if m["now"].startswith("kept"):
            continue
        old_prec = float(m["was"].split()[1])
        assert float(m["moved_m"]) <= old_prec, m["id"]
    # 西部陆海新通道柳州铁路港（西鹅铁路物流中心）and 柳州西鹅铁路物流中心: one place, now each placed on its
    # OpenStreetMap landmark by its own name (so neither needs the other's location)
    f = layers["projects"].set_index("id").loc["CE-P-065"]
    g = layers["logistics"].set_index("id").loc["LOG-T-001"]
    assert f["osm_id"] == g["osm_id"] == "635987540" and f["location_from"] == g["location_from"] == ""
    assert geod.inv(f.geometry.x, f.geometry.y, g.geometry.x, g.geometry.y)[2] < 1


def test_one_status_per_entity_keeps_every_sources_word(built):
    _, result = built
    order = plans.STATUS_ORDER
    layers = result["layers"]
    for name in plans.LINKED_LAYERS:
        gdf = layers[name]
        assert {"status_own", "status_zh_own", "status_from", "status_by_source"} <= set(gdf.columns), name
        by_id = gdf.set_index("id")
        for i, f in by_id.iterrows():
            # every row's own word is listed, and the shared status is the most advanced one listed
            assert f"{i}（" in f["status_by_source"], i
            zh = plans.status_words_zh()
            listed = [{v: k for k, v in zh.items()}[w] for w in re.findall(r"（(\w+)）(?:；|$)", f["status_by_source"])]
            assert f["status"] == max(listed, key=order.get), i
            assert order[f["status"]] >= order[f["status_own"]]
            assert (f["status_from"] != "") == (f["status"] != f["status_own"]), i
    cor = layers["corridors"].set_index("id")
    # 桂林至柳城高速公路: 002 says 续建 (专栏4-2), 004 says 重点推进 → under construction, both words kept
    f = cor.loc["URB-C-064"]
    assert f["status"] == "under_construction" and f["status_zh"] == "续建" and f["status_from"] == "EXP-4-2-05"
    assert f["status_own"] == "planned" and f["status_zh_own"] == "重点推进" and "重点推进" in f["status_by_source"]


def test_user_text_is_chinese_and_notes_are_internal(built):
    _, result = built
    for name, gdf in result["layers"].items():
        if "description" not in gdf.columns:
            continue
        assert "note_internal" in gdf.columns, name
        for d in gdf["description"].fillna(""):
            assert not re.search(r"\b[a-z]{2,}\b", d), (name, d)
    log = result["layers"]["logistics"].set_index("id")
    assert log.loc["LOG-T-001", "description"].startswith("附件 柳南区表 序号1")
    assert "part only" in log.loc["LOG-T-001", "note_internal"]
    assert plans.split_description("只有中文；") == ("只有中文", "")


# ---- issue 19: fidelity -------------------------------------------------------------------------------------------
GEOD_WGS = __import__("pyproj").Geod(ellps="WGS84")
SHARED_OSM = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "osm"


def _dist(a, b) -> float:
    return float(GEOD_WGS.inv(a.x, a.y, b.x, b.y)[2])


def test_xie_rows_lie_within_3_km_of_the_xie_point(built):
    _, result = built
    reg = pd.read_csv(layers_dir() / "gazetteer" / "village_register.csv", comment="#", dtype=str, keep_default_na=False)
    xie = reg[reg["short_name"] == "西鹅村"].iloc[0]
    here = Point(float(xie["lon"]), float(xie["lat"]))
    assert "osm_id 635987540" in xie["point_basis"] and int(xie["precision_m"]) <= 3000
    ids = ["LOG-S-001", "LOG-S-002", "LOG-S-003", "LOG-S-004", "LOG-T-001", "LOG-T-005", "LOG-T-007", "LOG-T-010",
           "URB-P-039", "URB-D-005"]
    feats = {str(f["id"]): f for n in ("projects", "logistics") for _, f in result["layers"][n].iterrows()}
    town = load_layer("townships").set_index("name").loc["太阳村镇"].geometry
    assert _dist(here, town) > 10_000  # the 太阳村镇 seat where the rows were before
    for i in ids:
        assert _dist(feats[i].geometry, here) <= 3000, i
        assert feats[i]["geocode_level"] in ("village", "landmark"), i
    if (SHARED_OSM / "geopi_china_poi_liuzhou.geojson").exists():  # the point is the mean of the three OSM points
        import json
        pois = {f["properties"]["osm_id"]: f["geometry"]["coordinates"] for f in
                json.loads((SHARED_OSM / "geopi_china_poi_liuzhou.geojson").read_text(encoding="utf-8"))["features"]}
        xy = np.array([pois[i] for i in ("991474768", "991474769", "635987540")])
        assert abs(xy[:, 0].mean() - here.x) < 1e-6 and abs(xy[:, 1].mean() - here.y) < 1e-6


def test_trunk_lines_are_existing_with_their_evidence(built):
    _, result = built
    cor = result["layers"]["corridors"].set_index("id")
    for i in ("NET-R-01", "NET-R-02", "NET-R-03", "URB-C-005", "URB-C-007", "URB-C-044", "URB-C-004"):
        assert cor.loc[i, "status"] == "existing", i
        assert cor.loc[i, "status_basis"] == "network_evidence" and cor.loc[i, "status_evidence"], i
        assert cor.loc[i, "status_by_source"].endswith(f"：{cor.loc[i, 'status_zh']}（建成）"), i
    assert cor.loc["URB-C-044", "status_zh"] == "建成" and "相继建成通车" in cor.loc["URB-C-044", "status_evidence"]
    # a row whose own text is more advanced keeps it; planned lines are not touched
    assert cor.loc["URB-C-085", "status"] == "planned"


def test_suburban_railways_pass_their_stations(built):
    root, result = built
    cor = result["layers"]["corridors"].set_index("id")
    st = load_layer("railway_stations", root=root).set_index("name")
    for i in ("URB-C-028", "URB-C-085"):
        line = cor.loc[i].geometry
        assert cor.loc[i, "geometry_basis"] == "railway_stations"
        for name in ("柳州", "洛埠", "鹿寨"):
            pt = st.loc[name].geometry
            d = min(_dist(Point(x, y), pt) for x, y in line.coords)
            assert d <= 2000, (i, name, d)
        # the text gives no alignment: the radius covers the straight chord 柳州—鹿寨, which passes ~6 km from 洛埠
        to_m = transformer("EPSG:4326", analysis_crs())
        chord = shapely.LineString([to_m.transform(*st.loc[n].geometry.coords[0]) for n in ("柳州", "鹿寨")])
        assert cor.loc[i, "precision_m"] >= chord.distance(Point(to_m.transform(*st.loc["洛埠"].geometry.coords[0])))
        assert "洛埠站" in cor.loc[i, "via_stations"]


def test_two_radii_follow_the_text(built):
    _, result = built
    feats = {str(f["id"]): f for n, g in result["layers"].items() if n != "townships_plan" and len(g)
             for _, f in g.iterrows()}
    for i in ("URB-D-025", "URB-CT-13", "URB-CT-17", "URB-CT-19", "CE-P-090"):  # the town itself
        assert feats[i]["precision_m"] == 1500 and feats[i]["radius_basis"].startswith("seat"), i
    for i in ("LOG-S-017", "LOG-T-029", "RAIL-4-1-04d", "RAIL-X-02"):  # 雒容站以西沿铁路线1.5公里处
        assert feats[i]["precision_m"] == 3000 and "雒容站" in feats[i]["radius_basis"], i
    towns = load_layer("townships").set_index("name")
    for i, town in (("CE-P-109", "黄冕镇"), ("URB-D-014", "雒容镇"), ("CE-V-008", "百朋镇")):  # somewhere in it
        assert feats[i]["precision_m"] == towns.loc[town, "extent_m"] and feats[i]["radius_basis"].startswith("township"), i


def test_truth_set_percentages(built):
    from gis.layer_pipeline._plan_radius import truth_summary, truth_table

    root, result = built
    table = truth_table(result["layers"], root)
    s = truth_summary(table)
    assert s["n"] >= 8 and s["within_pct"] >= 95 and s["over5_pct"] <= 20, table
    # independent recomputation of one row: 进德片区 needs the farthest 进德 school (pyproj.Geod)
    t = yaml.safe_load((root / "sources" / "location_truth.yaml").read_text(encoding="utf-8"))
    pts = next(e["points"] for e in t["entries"] if "URB-D-025" in e["ids"])
    f = result["layers"]["projects"].set_index("id").loc["URB-D-025"].geometry
    need = max(_dist(f, Point(p["lon"], p["lat"])) for p in pts)
    assert table.set_index("id").loc["URB-D-025", "needed_m"] == round(need) and need < 1500
    if (SHARED_OSM / "geopi_china_poi_liuzhou.geojson").exists():  # the truth points are the OSM points they cite
        import json
        pois = {f["properties"]["osm_id"]: f["geometry"]["coordinates"] for f in
                json.loads((SHARED_OSM / "geopi_china_poi_liuzhou.geojson").read_text(encoding="utf-8"))["features"]}
        for e in t["entries"]:
            for p in e["points"]:
                if p["osm_id"] in pois:
                    assert abs(pois[p["osm_id"]][0] - p["lon"]) < 1e-6 and abs(pois[p["osm_id"]][1] - p["lat"]) < 1e-6
    report = (root / "plans" / "build_report.md").read_text(encoding="utf-8")
    assert "## Seat or township" in report and f"Within precision: {s['within_pct']} %" in report


@pytest.mark.skipif(not (SHARED_OSM / "geopi_china_poi_liuzhou.geojson").exists(), reason="needs ../shared/data/osm")
def test_seat_radius_is_checked_against_osm_points():
    """The town-named OSM points of the non-county-seat towns: median ~0.5 km, most within the 1500 m seat radius."""
    import json

    from gis.layer_pipeline._plan_radius import short_town

    towns = load_layer("townships")
    seats = set(load_layer("county_seats")["seat_township"].dropna())
    pois = json.loads((SHARED_OSM / "geopi_china_poi_liuzhou.geojson").read_text(encoding="utf-8"))["features"]
    kinds = {"school", "market_place", "police", "town_hall", "post_office", "kindergarten", "hospital", "bank",
             "attraction", "park"}
    d = []
    own = towns["kind"].isin(["镇", "乡"]) & ~towns["name"].isin(seats) & (towns["location_basis"] == "amap_area_centre")
    for _, t in towns[own].iterrows():
        short = short_town(t["name"])
        for f in pois:
            n = f["properties"]["name"] or ""
            if short in n and f["properties"]["fclass"] in kinds:
                dd = _dist(t.geometry, Point(*f["geometry"]["coordinates"][:2]))
                if dd < t["extent_m"]:
                    d.append(dd)
    d = np.array(d)
    assert len(d) == 16 and np.median(d) < 700 and int((d <= 1500).sum()) == 14, np.sort(d)


def test_ch_3_1_04_reads_liujiang_as_the_river_not_the_district():
    # 通道4：通过公水联运，经柳江至广州… : 柳江 is the river, not a node at 柳江区
    c = load_layer("corridors").set_index("id")
    assert "柳江" not in c.loc["CH-3-1-04", "located_places"] and "柳江" not in c.loc["CH-3-1-04", "matched"]
    assert c.loc["CH-3-1-04", "located_places"] == "柳州 → 广州 → 深圳 → 香港"


def test_county_known_items_stand_at_their_county():
    p = load_layer("projects").set_index("id")
    assert p.loc["INF-002", "county"] == "融水苗族自治县" and p.loc["INF-002", "geocode_level"] == "county"
    assert p.loc["NE-005", "county"] == "柳城县" and p.loc["NE-005", "geocode_level"] == "county"


def test_a_school_is_not_placed_at_its_hill_nor_a_moving_campus_at_its_old_site():
    # the kind rules of layers/gazetteer/osm_kinds.yaml hold when the name alone places a row: 羊角山中学 is not at the
    # hill 羊角山, 广西机电技师学院迁建 is not at the college's present campus; both stay unlocated, with the reason
    fac = gis.load_layer("facilities")
    placed = fac[fac["id"].isin(["FAC-E-018", "FAC-E-029"])]
    assert placed.empty, placed[["id", "geocode_level"]]  # unlocated rows are not features of the layer
    text = (gis.layers.layers_dir() / "plans" / "unlocated.md").read_text(encoding="utf-8")
    assert "FAC-E-029" in text and "迁建" in text and "FAC-E-018" in text
    # the college itself is still placed at its campus
    from gis._geocode_match import _geocode_row
    from gis.gazetteer import default_gazetteer
    r = _geocode_row("广西机电技师学院", "", "", None, default_gazetteer())
    assert r.status == "matched" and r.geocode_level == "landmark" and r.osm_id
