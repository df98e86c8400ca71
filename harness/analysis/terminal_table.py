"""The barrier table: app x country -> outcome, for terminals.

Cells use short labels so that a dozen countries fit a terminal; the legend under the
table spells every label out with its outcome code.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.vocabulary.outcomes import AccessLevel, Barrier, Failure, Status

SHORT: dict[str, tuple[str, str]] = {
    "access:full": ("OK", "green"),
    "access:limited": ("LIMITED", "yellow"),
    f"barrier:{Barrier.STORE_UNAVAILABLE.value}": ("STORE", "red"),
    f"barrier:{Barrier.REGION_BLOCKED.value}": ("GEO", "red"),
    f"barrier:{Barrier.PHONE_COUNTRY_UNSUPPORTED.value}": ("CC", "red"),
    f"barrier:{Barrier.PHONE_NUMBER_REJECTED.value}": ("NUM", "red"),
    f"barrier:{Barrier.SMS_NOT_DELIVERED.value}": ("SMS", "red"),
    f"barrier:{Barrier.MAINLAND_PHONE_REQUIRED.value}": ("+86", "red"),
    f"barrier:{Barrier.ID_VERIFICATION_REQUIRED.value}": ("ID", "red"),
    f"barrier:{Barrier.FACE_VERIFICATION_REQUIRED.value}": ("FACE", "red"),
    f"barrier:{Barrier.FRIEND_VERIFICATION_REQUIRED.value}": ("FRIEND", "red"),
    f"barrier:{Barrier.RISK_CONTROL_BLOCK.value}": ("RISK", "red"),
    f"barrier:{Barrier.FEATURE_RESTRICTED.value}": ("FEAT", "yellow"),
}
for _f in Failure:
    SHORT[f"failure:{_f.value}"] = ("fail:" + _f.value.split("_")[0][:7], "magenta")
SHORT["running"] = ("…", "dim")
SHORT["aborted"] = ("aborted", "dim")


@dataclass(frozen=True)
class Cell:
    app: str
    country: str
    status: str
    barrier: str | None
    failure: str | None
    access_level: str | None

    @property
    def outcome(self) -> str:
        if self.status == Status.ACCESS.value:
            return f"access:{self.access_level or AccessLevel.FULL.value}"
        if self.status == Status.BARRIER.value:
            return f"barrier:{self.barrier}"
        if self.status == Status.FAILURE.value:
            return f"failure:{self.failure}"
        return self.status


def barrier_table(cells: Iterable[Cell], title: str = "Barrier table",
                  transpose: bool | None = None) -> Table:
    """App x country. With more countries than fit across (more than 12, and more than
    apps), countries become the rows and apps the columns, so the table stays readable."""
    cells = list(cells)
    apps = sorted({c.app for c in cells})
    countries = sorted({c.country for c in cells})
    if transpose is None:
        transpose = len(countries) > 12 and len(countries) > len(apps)
    grid: dict[tuple[str, str], list[Cell]] = {}
    for c in cells:
        grid.setdefault((c.country, c.app) if transpose else (c.app, c.country), []).append(c)
    rows, cols = (countries, apps) if transpose else (apps, countries)
    table = Table(title=title, show_lines=False, header_style="bold")
    table.add_column("country \\ app" if transpose else "app \\ country", style="bold")
    for col in cols:
        table.add_column(col.removeprefix("demo-") if transpose else col, justify="center")
    for key in rows:
        row: list[Text | str] = [key]
        for other in cols:
            found = grid.get((key, other), [])
            if not found:
                row.append(Text("·", style="dim"))
                continue
            labels = []
            for cell in found:
                label, style = SHORT.get(cell.outcome, (cell.outcome, "white"))
                labels.append(Text(label, style=style))
            row.append(Text("/").join(labels))
        table.add_row(*row)
    return table


def legend(cells: Iterable[Cell]) -> str:
    used = sorted({c.outcome for c in cells})
    parts = [f"{SHORT.get(o, (o, ''))[0]} = {o}" for o in used]
    return "Legend: " + "; ".join(parts)


def render_text(cells: Iterable[Cell], title: str = "Barrier table", width: int = 120,
                color: bool = False) -> str:
    cells = list(cells)
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, color_system=(
        "standard" if color else None), highlight=False, soft_wrap=False)
    console.print(barrier_table(cells, title))
    console.print(legend(cells), soft_wrap=True)
    text = buf.getvalue()
    if not color:
        text = "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
    return text
