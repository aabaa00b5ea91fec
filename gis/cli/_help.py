"""The Chinese help of ``lzgis``: a one-line summary first and examples last, read from ``help.yaml``.

The wording is data (``gis/cli/help.yaml``, installed with the package); click needs strings on the
command objects, so :func:`apply_help` sets them once, when the verbs are registered:

* ``help`` = the Chinese summary, a blank line, then the verb's own (English) docstring, whose first
  paragraph is dropped when it is Chinese already (the summary replaces it);
* ``short_help`` = the summary (the verb's line in ``lzgis --help``);
* ``epilog`` = ``示例：`` and the examples in a ``\\b`` block, so click keeps their line breaks.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import click

_CJK = re.compile(r"[\u4e00-\u9fff]")


@functools.lru_cache(maxsize=1)
def help_texts() -> dict[str, Any]:
    """``help.yaml`` as a mapping: ``lzgis`` (the group) and ``verbs`` (name → summary, examples)."""
    import yaml

    text = resources.files(__package__).joinpath("help.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    return {"lzgis": data.get("lzgis") or {}, "verbs": data.get("verbs") or {}}


def _epilog(examples: list[str]) -> str:
    return "示例：\n\n\b\n" + "\n".join(str(e).rstrip() for e in examples)


def _without_chinese_first_paragraph(text: str) -> str:
    import inspect

    text = inspect.cleandoc(text or "")
    first, _, rest = text.partition("\n\n")
    return rest if _CJK.match(first) else text  # a paragraph that starts in Chinese is a summary


def _apply(command: click.Command, entry: dict[str, Any]) -> None:
    summary = str(entry.get("summary") or "").strip()
    if summary:
        own = _without_chinese_first_paragraph(command.help or "")
        command.help = summary + ("\n\n" + own if own else "")
        command.short_help = summary
    examples = entry.get("examples") or []
    if examples:
        command.epilog = _epilog(examples)


def apply_help(group: click.Group) -> None:
    """Put the Chinese summaries and examples of ``help.yaml`` on ``group`` and its verbs."""
    texts = help_texts()
    _apply(group, texts["lzgis"])
    for name, command in group.commands.items():
        entry = texts["verbs"].get(name)
        if entry:
            _apply(command, entry)
