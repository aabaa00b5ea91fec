"""Names of the user's features on the maps (lzgis map --add): labels, a numbered key where they collide,
popups in Chinese with numbers as typed, features outside the city kept apart (issue 17 item 4)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

from browser import open_page  # the chromium fixture is in conftest.py
from gis.cli import cli

#: 12 projects in Liuzhou: 柳东 (four within ~300 m: their names collide), 城中, 柳江, 鹿寨, 融安 …, as a
#: geocoded table gives them (geocode_* columns, precision, flags)
PROJECTS = [
    ("柳东新区汽车零部件产业园", 109.5380, 24.3720, "landmark", 100.0),
    ("柳东新区智能制造中心", 109.5395, 24.3728, "landmark", 100.0),
    ("柳东新区新能源电池基地", 109.5372, 24.3712, "landmark", 100.0),
    ("柳东新区物流配送中心", 109.5388, 24.3735, "landmark", 100.0),
    ("城中区螺蛳粉文化街区", 109.4110, 24.3120, "landmark", 200.0),
    ("柳江区新兴工业园扩区", 109.3340, 24.2570, "township", 6000.0),
    ("柳江区拉堡镇污水处理厂", 109.3340, 24.2570, "township", 6000.0),
    ("鹿寨县江口港区二期", 109.7520, 24.4710, "landmark", 300.0),
    ("融安县金桔产业示范区", 109.3980, 25.2240, "landmark", 500.0),
    ("三江县侗族风情小镇", 109.6070, 25.7830, "landmark", 500.0),
    ("融水县苗族文化旅游区", 109.2560, 25.0660, "landmark", 500.0),
    ("柳城县蔗糖循环产业园", 109.2450, 24.6500, "landmark", 300.0),
]
OUTSIDE = ("南宁市五象新区合作项目", 108.3660, 22.7760)


def _projects(hostile: bool = False) -> gpd.GeoDataFrame:
    names = [p[0] for p in PROJECTS]
    if hostile:
        names[0], names[4], names[8] = "<script>alert(1)</script>园", "{{7*7}}项目", "$x$ 与 $5亿 工程"
    rows = []
    for (name, lon, lat, level, precision), label in zip(PROJECTS, names):
        rows.append({"项目名称": label, "投资万元": 85000.0 if name.startswith("柳东新区汽车") else 12000.5,
                     "建设地点": name[:3], "geocode_status": "matched", "geocode_method": "gazetteer",
                     "geocode_decided_by": "place", "geocode_level": level, "precision_m": precision,
                     "flags": "", "outside_liuzhou": False, "geometry": shapely.Point(lon, lat)})
    rows.append({"项目名称": OUTSIDE[0], "投资万元": 5000.0, "建设地点": "南宁市", "geocode_status": "matched",
                 "geocode_method": "gazetteer", "geocode_decided_by": "place", "geocode_level": "city",
                 "precision_m": 20000.0, "flags": "outside_liuzhou", "outside_liuzhou": True,
                 "geometry": shapely.Point(OUTSIDE[1], OUTSIDE[2])})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("labels") / "项目定位.gpkg"
    _projects().to_file(path, driver="GPKG")
    return path


def _lzgis(*args: str) -> None:
    result = CliRunner().invoke(cli, ["map", *args, "--overwrite"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _pdf_text(path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True).stdout
    return re.sub(r"\s+", "", out.decode("utf-8"))


@pytest.fixture(scope="module")
def pdf(gpkg, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "重点项目.pdf"
    _lzgis("--add", str(gpkg), "-o", str(out))
    return out


def test_every_located_name_is_on_the_printed_page(pdf):
    text = _pdf_text(pdf)
    missing = [p[0] for p in PROJECTS if p[0] not in text]
    assert not missing, f"names not in the PDF text: {missing}"


def test_colliding_names_are_numbered_in_a_key(pdf):
    text = _pdf_text(pdf)
    assert "编号—名称" in text
    # the two projects at one township seat (柳江, same point) cannot both be named there: one at least is keyed
    keyed = [name for name in (PROJECTS[5][0], PROJECTS[6][0]) if re.search(r"\d" + re.escape(name), text)]
    assert keyed, "the projects sharing one spot are not in the numbered key"


def test_outside_features_are_grey_in_the_legend_and_noted_off_the_page(pdf):
    text = _pdf_text(pdf)
    assert "1个要素位于市外，未绘出" in text
    assert "项目定位(市外)" in text
    assert OUTSIDE[0] not in text  # not drawn, not named


def test_add_title_names_the_layer_in_the_legend_and_no_labels_leaves_names_off(gpkg, tmp_path):
    out = tmp_path / "t.pdf"
    _lzgis("--add", str(gpkg), "--add-title", "2025年重点项目", "--no-labels", "-o", str(out))
    text = _pdf_text(out)
    assert "我的图层" in text and "2025年重点项目(市外)" in text and "项目定位(市外)" not in text
    assert not [p[0] for p in PROJECTS if p[0] in text]
    assert "编号—名称" not in text


def test_label_chooses_the_column(gpkg, tmp_path):
    out = tmp_path / "place.html"
    _lzgis("--add", str(gpkg), "--label", "建设地点", "-o", str(out))
    cfg = _config(out.read_text(encoding="utf-8"))
    assert {lb["t"] for lb in cfg["labels"] if lb["c"] == "user"} >= {"柳东新", "城中区", "融安县"}
    result = CliRunner().invoke(cli, ["map", "--add", str(gpkg), "--label", "没有此列", "-o", str(tmp_path / "x.html")])
    assert result.exit_code != 0 and "没有此列" in result.output and "项目名称" in result.output


def _config(page: str) -> dict:
    start = page.index("var cfg=") + len("var cfg=")
    end = page.index(";var data=", start)
    return json.loads(page[start:end])


def test_the_web_map_names_every_feature_and_popups_speak_chinese(gpkg, tmp_path):
    out = tmp_path / "重点项目.html"
    _lzgis("--add", str(gpkg), "--add-title", "重点项目", "-o", str(out))
    page = out.read_text(encoding="utf-8")
    cfg = _config(page)
    user = [lb for lb in cfg["labels"] if lb["c"] == "user"]
    assert sorted(lb["t"] for lb in user) == sorted([p[0] for p in PROJECTS] + [OUTSIDE[0]])
    layer = next(spec for spec in cfg["layers"] if spec["title"] == "重点项目")
    titles = dict(layer["fields"])
    assert {"定位状态", "定位方式", "依据", "定位级别", "定位精度（米）", "投资万元"} <= set(titles.values())
    assert layer["box"][1] > 23.5  # the map opens on Liuzhou, not on Nanning
    assert "label_key" in cfg


def test_hostile_names_stay_literal(tmp_path):
    path = tmp_path / "hostile.gpkg"
    _projects(hostile=True).to_file(path, driver="GPKG")
    html_out, pdf_out = tmp_path / "h.html", tmp_path / "h.pdf"
    _lzgis("--add", str(path), "-o", str(html_out))
    page = html_out.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;园" in page
    assert "{{7*7}}项目" in page and "49项目" not in page
    _lzgis("--add", str(path), "-o", str(pdf_out))
    text = _pdf_text(pdf_out)
    for name in ("<script>alert(1)</script>园", "{{7*7}}项目", "$x$与$5亿工程"):
        assert name in text, name


@pytest.mark.browser
def test_browser_labels_key_and_popup(chromium, gpkg, tmp_path):
    out = tmp_path / "web.html"
    _lzgis("--add", str(gpkg), "-o", str(out))
    with open_page(chromium, out) as (page, log):
        shown = page.evaluate("""() => {
            const vis = el => el.offsetParent !== null && getComputedStyle(el).display !== 'none';
            const labels = [...document.querySelectorAll('.lz-label-user span')].filter(vis).map(s => s.textContent);
            const keyed = [...document.querySelectorAll('.lz-key li')].map(li => li.dataset.name);
            const tags = [...document.querySelectorAll('.lz-label-num span')].filter(vis).map(s => s.textContent);
            return {labels, keyed, tags};
        }""")
        names = {p[0] for p in PROJECTS}
        assert names <= set(shown["labels"]) | set(shown["keyed"]), shown
        assert shown["keyed"], "the colliding names (四个 柳东新区 projects, two at one seat) are not numbered"
        assert not set(shown["labels"]) & set(shown["keyed"])  # a name is either on the map or in the key
        assert shown["tags"]
        # clicking a key entry opens that feature's popup, in Chinese, with the numbers as typed
        first = PROJECTS[0][0]
        entry = page.locator(".lz-key li", has_text=first)
        if entry.count() == 0:  # named on the map: open it through the search instead
            page.fill(".lz-search input", first)
            page.locator(".lz-search li", has_text=first).first.click()
        else:
            page.locator(".lz-key summary").click() if not page.locator(".lz-key details[open]").count() else None
            entry.first.click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        text = popup.inner_text()
        assert first in text and "定位状态" in text and "已定位" in text and "地名库" in text
        assert "85000" in text and "85000.0" not in text
        # the popup opens above the title box: while it is open the title lies under the map's panes
        z = page.evaluate("""() => [getComputedStyle(document.querySelector('.lz-head')).zIndex,
                                    getComputedStyle(document.querySelector('.leaflet-map-pane')).zIndex]""")
        assert int(z[0]) < int(z[1]), z
        page.screenshot(path=str(tmp_path / "popup.png"))
        page.locator(".leaflet-popup-close-button").click()
        assert page.evaluate("getComputedStyle(document.querySelector('.lz-head')).zIndex") == "1000"
    assert not log.page_errors and not log.console_errors and not log.blocked
