"""The public ``gis`` namespace: every documented name resolves to the function, never to a module."""

from __future__ import annotations

import importlib
import pkgutil
import types

import gis


def test_public_names_stay_functions_after_every_submodule_is_imported():
    for info in pkgutil.iter_modules(gis.__path__):
        if info.name.startswith("_"):
            continue
        importlib.import_module(f"gis.{info.name}")
    for name in gis.__all__:
        value = getattr(gis, name)
        if name in {"settings", "__version__"}:
            continue
        assert not isinstance(value, types.ModuleType), f"gis.{name} is the module, not the function"
        assert callable(value), f"gis.{name} is not callable"


def test_unknown_attribute_raises_attribute_error():
    try:
        gis.no_such_function  # noqa: B018
    except AttributeError as exc:
        assert "no_such_function" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("gis.no_such_function should not exist")
