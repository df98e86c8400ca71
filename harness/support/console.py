"""Terminal output shared by the commands: result tables and progress of long work.

On a terminal, tables fit the window and long work shows a live progress bar. Anywhere
else (CI logs, pipes), tables are laid out wide instead of being cut, and progress is one
line per finished unit, so a log shows how far a run got.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


def out_console() -> Console:
    """Standard output; when it is not a terminal, wide enough for tables."""
    probe = Console()
    return Console(highlight=False, soft_wrap=True,
                   width=None if probe.is_terminal else 200)


class WorkProgress:
    """``with WorkProgress(console, "measuring", total) as p: ... p.advance(line)``."""

    def __init__(self, console: Console, verb: str, total: int) -> None:
        self.console = console
        self.total = total
        self.done = 0
        self._progress = Progress(
            TextColumn(f"[bold]{verb}[/]"), BarColumn(bar_width=30), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("{task.description}"),
            console=console, transient=False, disable=not console.is_terminal)
        self._task: TaskID | None = None

    def __enter__(self) -> WorkProgress:
        self._progress.__enter__()
        self._task = self._progress.add_task("", total=self.total)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._progress.__exit__(exc_type, exc, tb)

    def advance(self, line: str) -> None:
        """One unit finished; ``line`` says which and how it ended."""
        self.done += 1
        assert self._task is not None
        self._progress.update(self._task, advance=1, description=line)
        if not self.console.is_terminal:
            self.console.print(f"[{self.done}/{self.total}] {line}", highlight=False)
