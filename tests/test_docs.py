"""The documentation site builds with ``mkdocs build --strict`` (no warning) and shows what it promises.

The build (mkdocs.yml, docs/hooks.py) executes the five notebooks the way tests/test_notebooks.py does, draws PNG
previews of the gallery's PDF maps with pdftoppm and renders the API reference from the numpydoc docstrings. The
site goes to a temporary folder; the build must leave the repository's files (notebooks/, maps/, docs/) as they were.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [
    "01_structure_and_layers",
    "02_buffers_and_coverage",
    "03_proximity_and_half_hour_circle",
    "04_bring_your_own_projects",
    "05_siting_and_compliance_review",
]
MAPS = ["structure", "logistics", "corridors", "townships", "accessibility"]


def _text(page: Path) -> str:
    """The page as a reader sees its words: tags dropped, entities decoded, white space collapsed."""
    raw = page.read_text(encoding="utf-8")
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def _repo_state() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all", "--",
                           "notebooks", "maps", "docs", "layers", ".cache", "site"],
                          cwd=ROOT, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    before = _repo_state()
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=1500,
                         env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{run.stderr[-6000:]}"
    # mkdocs' own warnings (the kernels' "[IPKernelApp] WARNING" about TCP on localhost is not one)
    assert not re.search(r"^WARNING\s+-", run.stderr, re.MULTILINE), run.stderr[-6000:]
    assert _repo_state() == before, "the docs build wrote into the repository"
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_pages_carry_their_outputs(site, name):
    page = site / "notebooks" / name / "index.html"
    raw = page.read_text(encoding="utf-8")
    # an executed cell's output: the folium web map inline, a Leaflet map in the iframe's document
    frames = [html.unescape(d) for d in re.findall(r'<iframe[^>]+srcdoc="([^"]*)"', raw)]
    assert frames and all("L.map(" in d for d in frames), f"{name}: no inline web map"
    # the last cell checks the results and shows its RESULTS dict: it ran only when every cell before succeeded
    shown = [html.unescape(re.sub(r"<[^>]+>", "", o))
             for o in re.findall(r'data-mime-type="text/plain"[^>]*>\s*<pre>(.*?)</pre>', raw, re.S)]
    assert shown and shown[-1].startswith("{'"), f"{name}: the checks' RESULTS are not shown"
    if name == "01_structure_and_layers":
        assert "'territory_townships': 118" in shown[-1]
        assert re.search(r'<img[^>]+src="data:image/png;base64,', raw), "the matplotlib figure is drawn"


@pytest.mark.slow
def test_gallery_shows_previews_and_links_the_maps(site):
    page = (site / "gallery" / "index.html").read_text(encoding="utf-8")
    for name in MAPS:
        preview = site / "gallery" / f"{name}.png"
        data = preview.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and 20_000 < len(data) <= 150_000, (name, len(data))
        assert re.search(rf'<img[^>]+src="{name}.png"', page), f"no preview of {name}"
        assert f'href="{name}.html"' in page and f'href="{name}.pdf"' in page, f"no links to {name}"
        # the web map is copied as it is
        assert (site / "gallery" / f"{name}.html").read_bytes() == (ROOT / "docs" / "gallery" / f"{name}.html").read_bytes()
    from PIL import Image

    with Image.open(site / "gallery" / "structure.png") as im:
        width, height = im.size
    assert width >= 600 and 0.5 < height / width < 1.0, (width, height)  # an A3 landscape page


@pytest.mark.slow
def test_api_pages_render_the_docstrings(site):
    import gis.proximity

    text = _text(site / "api" / "proximity" / "index.html")
    first = gis.proximity.nearest.__doc__.strip().splitlines()[0]
    assert first in text, first
    assert "Parameters" in text and "dist_m" in text
    raw = (site / "api" / "proximity" / "index.html").read_text(encoding="utf-8")
    assert 'id="gis.proximity.nearest"' in raw
    # the namespace page lists every public name with a link to where it is defined
    ns = (site / "api" / "gis" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'href="\.\./proximity/#gis\.proximity\.nearest"', ns), "gis.nearest is not linked"
    assert re.search(r'href="\.\./export/#gis\.export\.export"', ns), "gis.export is not linked"
    for module in ("layers", "structure", "geocode", "gazetteer", "buffer", "coverage", "network", "routing",
                   "review", "siting", "webmap", "printmap", "export", "crs", "datum", "prepare", "settings"):
        assert f'id="gis.{module}"' in (site / "api" / module / "index.html").read_text(encoding="utf-8"), module


@pytest.mark.slow
def test_guide_pages_hold_the_readme_sections(site):
    cli = _text(site / "guide" / "cli" / "index.html")
    assert "lzgis nearest townships logistics" in cli and "Never written partially." in cli
    assert "1 亩 = 10000/15 m²" in _text(site / "guide" / "siting" / "index.html")
    assert "© OpenStreetMap contributors" in _text(site / "guide" / "data" / "index.html")
    assert "GeoDataFrame in, new GeoDataFrame out" in _text(site / "house" / "index.html")
    index = _text(site / "index.html")
    assert "bash scripts/test.sh" in index and "bash scripts/docs.sh" in index
