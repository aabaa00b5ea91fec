"""User text is data, never code: hostile names, attributes, titles and file names through the API and the CLI.

Every payload family is put into every field that reaches a map page: feature names, categories, other
attribute values and column names of a user file, layer titles and groups, the map title and note, and
the user's file name.  Three things must hold:

- nothing is *evaluated* while the page is built: Jinja expressions and statements (``{{ … }}``,
  ``{% … %}``) reach folium/branca only as values (``gis._html``), so ``{{ 7*1913 }}`` never becomes
  ``13391`` and a quote-free ``lipsum.__globals__.os.mkdir(…)`` never creates its folder;
- nothing *runs* in the browser: no dialog, no ``window.__xss``, no page error (headless Chromium,
  network blocked);
- the text *shows literally*: each payload is found verbatim in the page's popups, tooltips and title.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

from gis import webmap
from gis.cli import cli

from browser import chromium, open_page  # noqa: F401  (chromium is a fixture)

# Quote-free, so HTML escaping leaves it intact: on a page built as template source it calls
# os.mkdir("generate_lorem_ipsum") in the working directory (this is what the exploit did).
JINJA_EXEC = "{{ lipsum.__globals__.os.mkdir(lipsum.__name__) }}"
EXEC_SENTINEL = "generate_lorem_ipsum"
JINJA_EXPR = "{{ 7*1913 }}"  # 13391 if evaluated
JINJA_STMT = "{% for x in range(3) %}ZQ{% endfor %}"  # ZQZQZQ if evaluated
JINJA_COMMENT = "前{# hidden #}后"  # 前后 if evaluated
HTML = '<img src=x onerror="window.__xss=1">'
SCRIPT_END = "</script><script>window.__xss=2</script>"
JS_STRING = "';window.__xss=3;//\"+(window.__xss=4)+\""
PY_FORMAT = "%s %d %(x)s {0} {cfg}"
HTML_COMMENT = "<!--<script>"

PAYLOADS = [JINJA_EXEC, JINJA_EXPR, JINJA_STMT, JINJA_COMMENT, HTML, SCRIPT_END, JS_STRING, PY_FORMAT, HTML_COMMENT]
EVALUATED = ["13391", "ZQZQZQ", "前后"]
# a file name cannot hold "/", so the file-name payload leaves out </script>
FILE_STEM = "{{ 7*1913 }}{% for x in range(3) %}ZQ{% endfor %}<img src=x onerror=window.__xss=5>'%s"


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in an empty folder, so an executed ``os.mkdir(EXEC_SENTINEL)`` would show up there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _hostile_points() -> gpd.GeoDataFrame:
    n = len(PAYLOADS)
    return gpd.GeoDataFrame(
        {
            "name": PAYLOADS,
            "category": PAYLOADS[::-1],
            "status": ["planned"] * n,
            "status_zh": PAYLOADS,
            "section": PAYLOADS,
            "source_file": PAYLOADS[::-1],
            "geocode_level": ["landmark"] * n,
            "precision_m": [100.0] * n,
        },
        geometry=[Point(109.30 + 0.05 * i, 24.20 + 0.03 * i) for i in range(n)],
        crs="EPSG:4326",
    )


def _hostile_user_file(folder: Path, suffix: str = ".geojson") -> Path:
    """A user's file whose name, column names and cells are all payloads."""
    path = folder / f"{FILE_STEM}{suffix}"
    columns = {"名称": PAYLOADS}
    for i, payload in enumerate(PAYLOADS[:6]):
        columns[f"{payload}列{i}"] = PAYLOADS[i:] + PAYLOADS[:i]
    frame = pd.DataFrame(columns)
    frame["经度"] = [109.35 + 0.04 * i for i in range(len(PAYLOADS))]
    frame["纬度"] = [24.60 - 0.02 * i for i in range(len(PAYLOADS))]
    if suffix == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8")
    else:
        gdf = gpd.GeoDataFrame(frame.drop(columns=["经度", "纬度"]),
                               geometry=gpd.points_from_xy(frame["经度"], frame["纬度"]), crs="EPSG:4326")
        gdf.to_file(path, driver="GeoJSON")
    return path


def _assert_not_evaluated(page_text: str, folder: Path) -> None:
    assert not (folder / EXEC_SENTINEL).exists(), "a Jinja expression in user text ran Python"
    for evaluated in EVALUATED:
        assert evaluated not in page_text, f"{evaluated!r}: a template construct in user text was evaluated"


# ---------------------------------------------------------------- while the page is built (no browser)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_api_title_note_layer_title_and_group_are_never_templates(in_tmp, payload):
    fmap = webmap.make_map([(_hostile_points().iloc[:2], {"title": payload, "group": payload})],
                           title=payload, note=payload, base=[])
    page = webmap.map_html(fmap)
    _assert_not_evaluated(page, in_tmp)
    # the page script is split at no payload: exactly one </script> per opened <script>
    assert page.lower().count("<script") == page.lower().count("</script>")


def test_api_attributes_and_user_file_are_never_templates(in_tmp):
    user = _hostile_user_file(in_tmp)
    fmap = webmap.make_map([(_hostile_points(), {"title": "敌意点", "group": "测试"})],
                           title="安全测试", add=[user], base=[])
    page = webmap.map_html(fmap)
    _assert_not_evaluated(page, in_tmp)
    assert page.lower().count("<script") == page.lower().count("</script>")


def test_cli_map_title_file_name_and_cells_are_never_templates(in_tmp):
    user = _hostile_user_file(in_tmp, ".csv")
    out = in_tmp / "地图.html"
    result = CliRunner().invoke(cli, ["-q", "map", "--add", str(user), "--title", JINJA_EXEC + JINJA_EXPR,
                                      "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    _assert_not_evaluated(out.read_text(encoding="utf-8"), in_tmp)


# ---------------------------------------------------------------- in the browser


@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    user = _hostile_user_file(folder)
    title = "安全测试" + JINJA_EXPR + HTML + SCRIPT_END
    fmap = webmap.make_map([(_hostile_points(), {"title": "敌意点" + HTML, "group": JINJA_STMT})],
                           title=title, note=JS_STRING, add=[user], base=[])
    return webmap.save_map(fmap, folder / "hostile.html"), title


@pytest.mark.browser
def test_hostile_text_shows_literally_and_nothing_runs(chromium, hostile_page):  # noqa: F811
    path, title = hostile_page
    with open_page(chromium, path) as (page, log):
        assert page.title() == title
        assert title in page.inner_text("body")
        shown: list[str] = []
        for k in range(int(page.evaluate("lzState.records.length"))):
            for j in range(int(page.evaluate(f"lzState.records[{k}].features.length"))):
                page.evaluate(f"lzState.records[{k}].features[{j}].openPopup()")
                shown.append(page.inner_text(".leaflet-popup-content"))
        text = "\n".join(shown)
        for payload in PAYLOADS:
            assert payload in text, f"{payload!r} is not shown literally in any popup"
        assert FILE_STEM in page.inner_text("body")  # the user layer's title (layer control / legend)
        for evaluated in EVALUATED:
            assert evaluated not in text
        page.wait_for_timeout(200)
        assert page.evaluate("window.__xss") is None
        assert page.locator(".leaflet-container img[src='x'], body script[src]").count() == 0
    assert log.dialogs == [] and log.page_errors == [] and log.blocked == []


def test_sentinel_would_be_seen(in_tmp):
    """The exec sentinel is what the payload creates when evaluated as a template (the check can fail)."""
    from jinja2 import Template

    Template(JINJA_EXEC).render()
    assert (in_tmp / EXEC_SENTINEL).is_dir()
    os.rmdir(in_tmp / EXEC_SENTINEL)
