"""Errors a user can act on.

Every error the harness shows a person is one paragraph naming where the problem is (the
file and line, or the URL), which field, what is wrong and how to fix it, with a correct
example where one helps. The CLI and the pytest plugin print ``str(error)`` and never a
traceback for these.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class HarnessError(Exception):
    """Base class of the errors shown to users as a single clear message."""


@dataclass
class ConfigError(HarnessError):
    """A user-written file (profile, scenario, rules) or option is wrong.

    ``location`` is ``path`` or ``path:line``; ``field`` is a dotted path such as
    ``phone.number`` or ``steps[3].tap``.
    """

    location: str
    field: str | None
    problem: str
    fix: str | None = None
    example: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.location
        head = f"{where}: field `{self.field}`: " if self.field else f"{where}: "
        problem = self.problem.rstrip(".")
        text = head + problem + ("" if problem.endswith(("?", "!")) else ".")
        if self.fix:
            fix = self.fix.rstrip(".")
            text += " " + fix + ("" if fix.endswith(("?", "!")) else ".")
        if self.example:
            body = "\n".join("    " + line for line in self.example.strip("\n").splitlines())
            text += "\n  Example:\n" + body
        return text


class ConfigErrors(HarnessError):
    """Several ``ConfigError``s found in one pass, reported together."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class BackendUnavailable(HarnessError):
    """No Appium endpoint (or simulator) answers where the harness was told to look."""


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
