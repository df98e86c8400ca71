"""Lazy re-exports for package ``__init__`` modules (PEP 562).

A package's public names live in its modules; the package re-exports them so users can
write ``from harness.spec import Profile``. Importing every module up front would make the
``harness`` command load pandas, matplotlib and HTTP clients for commands that never use
them, so each name is imported from its home module the first time it is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from typing import Any


def lazy_exports(package: str, homes: Mapping[str, Sequence[str]]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose public names live in the
    modules named by ``homes`` (module name relative to the package -> its names)."""
    module_of = {name: module for module, names in homes.items() for name in names}
    if len(module_of) != sum(len(names) for names in homes.values()):
        raise ValueError(f"{package}: a name is exported by two modules")
    namespace = import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *module_of})

    return __getattr__, __dir__


__all__ = ["lazy_exports"]
