"""Loading less at start-up: a package's names loaded on first use (PEP 562), so importing one
part of it does not import the rest (``__getattr__ = lazy_exports(globals(), {"Name":
"package.module", ...})``), and a library's unused dependency deferred to its first use
(:func:`import_deferring`)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


def lazy_exports(namespace: dict[str, Any], homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports each name of ``homes`` from its module the first
    time it is asked for, and keeps it in ``namespace`` (the package's ``globals()``)."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    return __getattr__


class _Deferred(ModuleType):
    """Stands in for a module that a library imports at load but uses only in code we never run
    on the hot path: the real module is imported on the first attribute asked of it."""

    def __getattr__(self, attr: str) -> Any:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        return getattr(importlib.import_module(name), attr)


def import_deferring(name: str, deferred: str) -> ModuleType:
    """Import ``name`` while ``deferred`` (not yet loaded) is a stand-in that loads on first use.

    ``eventkit`` (under ib_async) imports numpy at load for its array operators only, which we
    never use: numpy is ~80 ms of a ~0.35 s ``trader flatten``. The stand-in is in
    ``sys.modules`` only while ``name`` loads, so any later ``import numpy`` (pandas, a
    strategy) gets the real module, and the library's own reference loads it on first use.
    """
    if deferred in sys.modules:
        return importlib.import_module(name)
    stand_in = _Deferred(deferred)
    sys.modules[deferred] = stand_in
    try:
        return importlib.import_module(name)
    finally:
        if sys.modules.get(deferred) is stand_in:
            del sys.modules[deferred]
