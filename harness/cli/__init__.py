"""The ``harness`` command: one module per command group, each thin (parse the arguments,
build the configuration, call the package that does the work).

``main`` builds the parser from every group's ``register`` and turns a user's mistake
into a one-paragraph error and exit status 2, never a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.support.lazy import lazy_exports

if TYPE_CHECKING:
    from harness.cli.main import (
        build_parser,
        main,
    )

#: Each module and the public names it holds, imported on first use.
_HOMES: dict[str, tuple[str, ...]] = {
    "main": ("build_parser", "main"),
}
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)

__all__ = [
    "build_parser",
    "main",
]
