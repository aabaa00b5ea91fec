"""Page elements that carry text into folium/branca as *data*, never as Jinja template source.

branca compiles an ``Element(text)``'s text as a Jinja template, and a ``MacroElement``'s rendered
macro output is compiled once more (``figure.script.add_child(Element(output))``).  Any user string
(a feature name, a column, a title, a file name) placed that way is template source: ``{{ … }}``
runs Python as the user.  These two elements are the only way :mod:`gis.webmap` puts markup on a
page: their templates are fixed (``{{ this.html }}``) and the markup is only ever the *value*
rendered, so nothing in it is evaluated.

Examples
--------
>>> el = raw_element("<b>{{ 7*7 }}{% if 1 %}x{% endif %}</b>")
>>> el.render()
'<b>{{ 7*7 }}{% if 1 %}x{% endif %}</b>'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["raw_element", "map_script"]

_VALUE_ONLY = "{{ this.html }}"


def _classes() -> tuple[type, type]:
    from branca.element import Element, MacroElement
    from jinja2 import Template

    class RawElement(Element):
        def __init__(self, markup: str, *, name: str = "LzRaw"):
            super().__init__()
            self._template = Template(_VALUE_ONLY)
            self._name = name
            self.html = markup

    class MapScript(MacroElement):
        """Adds ``build(map_variable_name)`` to the page's script, after the map's own script."""

        def __init__(self, build: Callable[[str], str]):
            super().__init__()
            self._name = "LzMapScript"
            self._build = build

        def render(self, **kwargs: Any) -> None:
            figure = self.get_root()
            code = self._build(self._parent.get_name())
            figure.script.add_child(RawElement(code, name="LzMapScript"), name=self.get_name())

    return RawElement, MapScript


def raw_element(markup: str, *, name: str = "LzRaw") -> Any:
    """A branca element that renders ``markup`` verbatim (no template evaluation)."""
    raw, _ = _classes()
    return raw(markup, name=name)


def map_script(build: Callable[[str], str]) -> Any:
    """A child for a folium map whose script is ``build(map_name)``, added verbatim after the map's script."""
    _, script = _classes()
    return script(build)
