"""The pytest plugin: ``pytest scenarios/ --country=DE`` runs one item per (app, profile).

Registered through the ``pytest11`` entry point ``harness``. Split by role: ``options``
(command line and ini), ``collection`` (scenario YAML files -> items), ``items`` (one
attempt per item, state in ``item.stash``), ``reporting`` (the run record and the
barrier table in the terminal summary), ``state`` (per-process resources).
"""

from harness.pytest_plugin.collection import pytest_collect_file
from harness.pytest_plugin.options import pytest_addoption, pytest_configure
from harness.pytest_plugin.reporting import (
    pytest_configure_node,
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_sessionstart,
    pytest_terminal_summary,
)

__all__ = [
    "pytest_addoption",
    "pytest_collect_file",
    "pytest_configure",
    "pytest_configure_node",
    "pytest_runtest_logreport",
    "pytest_sessionfinish",
    "pytest_sessionstart",
    "pytest_terminal_summary",
]
