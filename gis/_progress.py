"""Progress of long work: the library reports it, and only a listener (the CLI on a terminal) shows it.

Library loops that go chunk by chunk (geocoding rows, nearest/within origins,
buffering features, writing CSV blocks) report through :func:`task` or
:func:`track`.  By default nobody listens and nothing is printed: the library
stays quiet.  ``lzgis`` installs a listener with :func:`listening` only when
its standard error is a terminal and ``-q`` was not given
(:mod:`gis.cli.main`), so pipes, CI logs and ``-o -`` output never see a bar.

Labels are Chinese, as everything people read: 读取 (reading), 定位
(geocoding), 计算 (computing), 写出 (writing).

Examples
--------
>>> with task("计算", total=3) as advance:  # no listener: a no-op
...     for _ in range(3):
...         advance(1)
>>> seen = []
>>> class Recorder:
...     def start(self, label, total, unit):
...         seen.append((label, total, unit))
...         return self
...     def advance(self, n):
...         seen.append(n)
...     def close(self):
...         seen.append("done")
>>> with listening(Recorder()):
...     list(track(range(2), "计算 缓冲区", total=2, unit="块"))
[0, 1]
>>> seen
[('计算 缓冲区', 2, '块'), 1, 1, 'done']
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

T = TypeVar("T")


class Bar(Protocol):
    """One piece of work being shown."""

    def advance(self, n: int) -> None:
        """``n`` more units done."""

    def close(self) -> None:
        """The work is over (done or failed)."""


class Listener(Protocol):
    """Whoever shows progress: :meth:`start` is called once per :func:`task`."""

    def start(self, label: str, total: int | None, unit: str) -> Bar:
        """A new piece of work, ``total`` units long (None: unknown)."""


_LISTENER: Listener | None = None


def _nothing(n: int = 1) -> None:
    """The advance of a task nobody watches."""


@contextlib.contextmanager
def listening(listener: Listener | None) -> Iterator[None]:
    """Within the block, :func:`task` reports to ``listener`` (None: to nobody)."""
    global _LISTENER
    before, _LISTENER = _LISTENER, listener
    try:
        yield
    finally:
        _LISTENER = before


@contextlib.contextmanager
def task(label: str, *, total: int | None = None, unit: str = "") -> Iterator[Callable[[int], None]]:
    """A piece of work; yields ``advance(n)`` to call as units get done.

    Parameters
    ----------
    label : str
        What is being done, in Chinese (``"定位 项目表"``).
    total : int, optional
        Units in all; None when unknown (a single read call).
    unit : str, optional
        The unit's name (``"行"``, ``"个"``).
    """
    listener = _LISTENER
    if listener is None:
        yield _nothing
        return
    bar = listener.start(label, total, unit)
    try:
        yield bar.advance
    finally:
        bar.close()


def track(items: Iterable[T], label: str, *, total: int | None = None, unit: str = "") -> Iterator[T]:
    """Yield ``items`` one by one, reporting one unit per item (see :func:`task`)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with task(label, total=total, unit=unit) as advance:
        for item in items:
            yield item
            advance(1)
