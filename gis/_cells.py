"""Text cells a spreadsheet would run as a formula: one decision for every CSV and Excel writer.

A spreadsheet runs a cell as a formula when its text starts with ``=``,
``+``, ``-`` or ``@`` (OWASP "CSV injection"), and Excel and LibreOffice
skip what comes before: spaces, tabs, line breaks, the ideographic space
U+3000, no-break spaces, zero-width characters and the byte-order mark.  They
also read the full-width signs ``＝ ＋ － ＠`` of a Chinese input method as
the ASCII ones.  :func:`formula_like` therefore decides after dropping that
leading white space and NFKC-normalising (which maps the full-width signs to
ASCII); a text that starts with a tab or carriage return is formula-like too.

The writers act on that one decision: CSV prefixes the text with ``'``
(:func:`neutralise_formula`), Excel stores it as text with its "quote prefix"
(the apostrophe Excel itself shows for text typed after ``'``).  Numbers are
never cells of text, so they are never touched.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from ._errors import InputError

#: First characters (after leading white space, NFKC) that make a spreadsheet run a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@")
#: First characters of the raw text that make a cell formula-like on their own (OWASP).
_CONTROL_STARTS = ("\t", "\r", "\n")
#: Invisible characters spreadsheets skip before a formula (besides ``str.isspace`` white space).
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e")


def _leading_blank(char: str) -> bool:
    return char.isspace() or char in _INVISIBLE or unicodedata.category(char) == "Cf"


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could run ``text`` as a formula.

    Parameters
    ----------
    text : str
        The cell text.

    Returns
    -------
    bool
        True when ``text`` starts with a tab, carriage return or line feed, or
        when, after its leading white space and invisible characters, its
        NFKC form starts with ``=``, ``+``, ``-`` or ``@``.

    Examples
    --------
    >>> [formula_like(t) for t in ("=1+1", " =1+1", "\\u3000＝1+1", "\\ufeff@SUM(A1)", "－5", "柳州", "a=b")]
    [True, True, True, True, True, False, False]
    """
    if text.startswith(_CONTROL_STARTS):
        return True
    start = 0
    while start < len(text) and _leading_blank(text[start]):
        start += 1
    head = unicodedata.normalize("NFKC", text[start:start + 8]).lstrip()
    return head.startswith(FORMULA_STARTS)


def neutralise_formula(text: str) -> str:
    """Text a spreadsheet would run as a formula, prefixed with ``'`` so that it shows as text.

    Parameters
    ----------
    text : str
        The cell text.

    Returns
    -------
    str
        ``"'" + text`` when :func:`formula_like`, else ``text`` unchanged.

    Examples
    --------
    >>> neutralise_formula("=SUM(A1:A9)"), neutralise_formula("-1+1"), neutralise_formula("柳州")
    ("'=SUM(A1:A9)", "'-1+1", '柳州')
    >>> neutralise_formula("  =cmd|' /C calc'!A0"), neutralise_formula("＋86 772")
    ("'  =cmd|' /C calc'!A0", "'＋86 772")
    """
    return "'" + text if formula_like(text) else text


#: at most this many problems are listed in one message (the rest are counted)
MAX_PROBLEMS = 10


def raise_problems(path: Path, problems: list[str], fix: str) -> None:
    """Raise one :class:`~gis._errors.InputError` listing the problems of the cells of an export (none: nothing).

    >>> raise_problems(Path("a.xlsx"), [], "Fix it.")
    """
    if problems:
        more = f" (and {len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS else ""
        raise InputError(f"export {path.name}: {'; '.join(problems[:MAX_PROBLEMS])}{more}. {fix}")


def _safe_start(char: str) -> bool:
    """Whether no text starting with ``char`` is :func:`formula_like`, whatever follows (a letter, a digit …)."""
    if char in _CONTROL_STARTS or _leading_blank(char) or unicodedata.combining(char):
        return False
    folded = unicodedata.normalize("NFKC", char)
    return bool(folded) and not folded[0].isspace() and not folded.startswith(FORMULA_STARTS)


def formula_mask(texts: list[str]) -> list[bool]:
    """:func:`formula_like` of many texts at once: decided once per distinct first character, and text by
    text only for those whose first character could start a formula (``=``, a space, ``＋`` …).

    Examples
    --------
    >>> formula_mask(["=1+1", "柳州", " =A1", "a=b", ""])
    [True, False, True, False, False]
    """
    safe: dict[str, bool] = {}
    out = []
    for text in texts:
        head = text[:1]
        ok = safe.get(head)
        if ok is None:
            ok = safe[head] = head == "" or _safe_start(head)
        out.append(False if ok else formula_like(text))
    return out
