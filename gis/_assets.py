"""The JavaScript and CSS a web map needs, inlined so the page fetches nothing.

The only third-party asset is Leaflet 1.9.4 (BSD-2-Clause), read at build time
from the pinned PyPI package ``django-js-lib-leaflet==1.9.4.1``; its CSS images
become ``data:`` URIs.  Everything else (layer tree, legend, search, full
screen, title, credits, the GCJ-02 display shift for the Gaode basemap) is the
small script ``gis/_static/map.js`` with its style sheet ``gis/_static/map.css``
(package files, read by :func:`map_js` / :func:`map_css`).

Offices in China often cannot reach the usual Leaflet CDNs, so a map that
loads its assets from one opens blank there; a map built from these strings
opens by double-click with no network at all.
"""

from __future__ import annotations

import base64
import functools
import re
import warnings
from importlib import metadata, resources

from ._errors import MissingDependencyError

LEAFLET_PACKAGE = "django-js-lib-leaflet"
LEAFLET_PIN = "1.9.4.1"
LEAFLET_VERSION = "1.9.4"
LEAFLET_LICENCE = "BSD-2-Clause"


def _leaflet_dir():
    try:
        version = metadata.version(LEAFLET_PACKAGE)
    except metadata.PackageNotFoundError as exc:
        raise MissingDependencyError(
            f"web maps inline Leaflet from the package {LEAFLET_PACKAGE}=={LEAFLET_PIN}, which is not installed. "
            "Install it with: pip install 'liuzhou-gis[maps]'"
        ) from exc
    if version != LEAFLET_PIN:
        warnings.warn(
            f"{LEAFLET_PACKAGE} {version} is installed; liuzhou-gis is tested with {LEAFLET_PIN}. "
            f"Install the pinned version with: pip install '{LEAFLET_PACKAGE}=={LEAFLET_PIN}'",
            UserWarning,
            stacklevel=3,
        )
    return resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"


def safe_inline_script(js: str) -> str:
    """Make JavaScript safe to place between ``<script>`` tags (no early ``</script>``).

    Examples
    --------
    >>> safe_inline_script('var s = "</script><b>";')
    'var s = "<\\\\/script><b>";'
    """
    return re.sub(r"</(?=script)", r"<\\/", js, flags=re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def leaflet_js() -> str:
    """Leaflet's minified JavaScript, without its source-map reference (which devtools would fetch)."""
    text = (_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    text = re.sub(r"\n?//# sourceMappingURL=\S+\s*$", "\n", text)
    return safe_inline_script(text)


@functools.lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Leaflet's CSS with every ``url(images/…)`` replaced by a ``data:`` URI."""
    root = _leaflet_dir()
    css = (root / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        data = (root / "images" / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)


def _static(name: str) -> str:
    return (resources.files("gis") / "_static" / name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def map_css() -> str:
    """The map's own style sheet (``gis/_static/map.css``)."""
    return _static("map.css")


@functools.lru_cache(maxsize=1)
def map_js() -> str:
    """The map's own script (``gis/_static/map.js``), safe to inline.

    Every string in the configuration that can carry data is HTML-escaped in
    Python before it reaches this script, so the script may put it into
    innerHTML (Leaflet's tooltips, popups and layer control do) without it being
    interpreted as markup.  The script itself builds no markup from anything else.
    """
    return safe_inline_script(_static("map.js"))
