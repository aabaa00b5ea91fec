"""Griffe extension of the documentation site: Sphinx roles in docstrings become cross-references.

The docstrings are numpydoc and name other objects the Sphinx way (``:func:`gis.crs.to_analysis_crs```,
``:mod:`gis._geodesic```, ``:meth:`pyproj.Geod.inv```). MkDocs renders Markdown, where such a role would show as
raw text; this turns each into an *optional* autorefs reference: a link where the site documents the object, plain
code where it does not (a private module, another package), never a warning. Docstrings in the code stay as they are.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|meth|mod|class|attr|data|obj|exc|const):`(~?)([^`<>]+?)(?:\(\))?`")


def _autoref(match: re.Match[str]) -> str:
    short, target = match.group(1), match.group(2).strip()
    title = target.rsplit(".", 1)[-1] if short else target
    return f'<autoref identifier="{html.escape(target)}" optional><code>{html.escape(title)}</code></autoref>'


class SphinxRoles(griffe.Extension):
    """Rewrite ``:role:`target``` in every docstring as an optional cross-reference to ``target``."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:  # noqa: D102
        if obj.docstring is not None and ":" in obj.docstring.value:
            obj.docstring.value = _ROLE.sub(_autoref, obj.docstring.value)

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self.on_object(obj=pkg)  # the package's own docstring (on_object covers its members)
