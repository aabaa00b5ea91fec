"""MkDocs hooks of the documentation site (mkdocs.yml ``hooks:``; excluded from the site itself).

- The notebooks in ``notebooks/`` become pages (mkdocs-jupyter executes them, ``execute: true``) the way
  ``tests/test_notebooks.py`` runs them: in ``notebooks/`` as the working directory, on a kernel that runs this very
  Python (a temporary kernelspec ``liuzhou-gis-docs`` put first on ``JUPYTER_PATH``, so a user-level ``python3`` kernel
  of another environment is never used), with their maps and exports going to a temporary folder
  (``LZGIS_NOTEBOOK_OUT``); nothing is written into the repository.
- The gallery shows ``docs/gallery/``: a PNG preview of each PDF map is drawn with ``pdftoppm`` (poppler-utils) at
  build time and added to the site as a generated file (≤ 150 KB, a 256-colour palette PNG); the HTML maps are
  copied as they are. A PDF the gallery page does not show is a warning (so ``--strict`` fails).
- ``api/gis.md``: the table of the namespace ``gis`` (each public name and the module that defines it) is made
  from ``gis._LAZY`` so it never goes stale.
"""

from __future__ import annotations

import atexit
import inspect
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.liuzhou-gis")
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GALLERY = ROOT / "docs" / "gallery"
KERNEL = "liuzhou-gis-docs"
PREVIEW_WIDTH_PX = 1000
PREVIEW_MAX_BYTES = 150_000

_state: dict[str, object] = {}


def _temp_dir() -> Path:
    if "tmp" not in _state:
        tmp = Path(tempfile.mkdtemp(prefix="lzgis-docs-"))
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
        _state["tmp"] = tmp
    return _state["tmp"]  # type: ignore[return-value]


def on_config(config):
    tmp = _temp_dir()
    spec = tmp / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "liuzhou-gis (docs)", "language": "python",
    }), encoding="utf-8")
    out = tmp / "notebook-out"
    out.mkdir(exist_ok=True)
    jupyter_path = os.environ.get("JUPYTER_PATH", "")
    if str(tmp / "jupyter") not in jupyter_path.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(tmp / "jupyter"), jupyter_path) if p)
    os.environ["LZGIS_NOTEBOOK_OUT"] = str(out)
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    for name in ("LZGIS_TABLE", "LZGIS_OVERRIDES"):  # the site shows the shipped sample, not a user's own table
        os.environ.pop(name, None)
    return config


def _preview(pdf: Path) -> bytes:
    """The first page of ``pdf`` as a palette PNG of at most PREVIEW_MAX_BYTES."""
    from PIL import Image

    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise RuntimeError("pdftoppm is missing: install poppler-utils (bash scripts/setup.sh --docs does)")
    width = PREVIEW_WIDTH_PX
    while True:
        stem = _temp_dir() / f"preview-{pdf.stem}-{width}"
        subprocess.run([pdftoppm, "-png", "-singlefile", "-f", "1", "-scale-to-x", str(width), "-scale-to-y", "-1",
                        str(pdf), str(stem)], check=True, capture_output=True)
        with Image.open(f"{stem}.png") as im:
            small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        buf = io.BytesIO()
        small.save(buf, format="PNG", optimize=True)
        if buf.tell() <= PREVIEW_MAX_BYTES or width <= 400:
            return buf.getvalue()
        width = int(width * 0.85)


@event_priority(100)  # before mkdocs-jupyter, which turns the .ipynb files it finds into pages
def on_files(files: Files, config) -> Files:
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        files.append(File(f"notebooks/{nb.name}", src_dir=str(ROOT), dest_dir=config["site_dir"],
                          use_directory_urls=config["use_directory_urls"]))
    for pdf in sorted(GALLERY.glob("*.pdf")):
        files.append(File.generated(config, f"gallery/{pdf.stem}.png", content=_preview(pdf)))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri == "api/gis.md":
        import gis

        names = {**gis._LAZY, **{n: n for n in gis._SHADOWED}}
        rows = ["| name | what | defined in |", "|---|---|---|"]
        for name in sorted(names, key=lambda n: (names[n], n)):
            module = names[name]
            doc = inspect.getdoc(getattr(gis, name)) or ""
            what = re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", doc.split("\n\n")[0].replace("\n", " ")).replace("|", "\\|")
            if not (ROOT / "docs" / "api" / f"{module}.md").exists():
                log.warning("gis.%s is public but docs/api/%s.md is missing: add the page (::: gis.%s) and its nav entry",
                            name, module, module)
            where = f"[`gis.{module}`]({module}.md)"
            rows.append(f"| [`gis.{name}`][gis.{module}.{name}] | {what} | {where} |")
        return markdown.replace("<!-- lzgis:namespace -->", "\n".join(rows))
    if page.file.src_uri == "gallery.md":
        shown = [pdf.name for pdf in sorted(GALLERY.glob("*.pdf")) if f"gallery/{pdf.stem}.png" not in markdown]
        for name in shown:
            log.warning("docs/gallery.md does not show docs/gallery/%s: add its preview and links", name)
        runs = json.loads((GALLERY / "manifest.json").read_text(encoding="utf-8"))["runs"]
        last = runs[-1]
        versions = ", ".join(f"{k} {v}" for k, v in last.get("versions", {}).items())
        note = (f"Made on {last['finished_utc'][:10]} ({last['finished_utc']}) with Python {last.get('python', '?')}; "
                f"{versions}.")
        return markdown.replace("<!-- lzgis:gallery-run -->", note)
    return markdown
