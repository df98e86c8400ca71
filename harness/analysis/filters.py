"""Which measurements an export or report covers, and how countries map to regions.

``Filters`` is the one immutable description of a selection and of the verdicts it
carries; the CLI builds it from ``--run``, ``--since``, ``--country``, ``--region``,
``--app``, ``--include-simulated``, ``--verified-only``, ``--regions-file`` and
``--as-measured`` through :func:`parse_filters`, notebooks build it directly. Every
parse error is one paragraph (a ``ConfigError``) that names the option, says what is
wrong, and shows a correct example.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

from harness.support.errors import ConfigError, display_path
from harness.vocabulary.countries import Region, all_countries, get_country, suggest_countries

_RELATIVE = re.compile(r"^\s*(\d+)\s*([dhw])\s*$", re.IGNORECASE)
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}

#: The ``--run`` value that stands for the most recent run in scope.
LATEST_RUN = "latest"


@dataclass(frozen=True)
class Filters:
    """A selection of measurements; empty fields select everything.

    - ``runs``: run ids, unique id prefixes, or ``"latest"`` (the newest run in scope);
    - ``since``: only attempts that started at or after this instant (aware datetime);
    - ``countries``: ISO 3166-1 alpha-2 codes of the target country;
    - ``regions``: study regions, after ``region_overrides`` are applied;
    - ``apps``: scenario ids (``demo-zhenming``);
    - ``include_simulated``: keep rows measured on the simulator (``backend = 'sim'``);
    - ``verified_only``: keep only measurements whose scenario was verified
      (``scenario_verified`` true; rows that did not record it are left out too);
    - ``region_overrides``: alpha-2 code -> region, replacing the region recorded with the
      measurement (the profile's region from ``harness/data/countries.csv``);
    - ``as_measured``: every row carries the verdict it was measured with; by default it
      carries its *latest* classification, the newest row of ``reclassifications`` for it
      (``harness reclassify``), else its own (docs/analysis.md, "Latest classification").
    """

    runs: tuple[str, ...] = ()
    since: datetime | None = None
    countries: tuple[str, ...] = ()
    regions: tuple[Region, ...] = ()
    apps: tuple[str, ...] = ()
    include_simulated: bool = False
    region_overrides: Mapping[str, Region] = field(
        default_factory=lambda: MappingProxyType({}))
    verified_only: bool = False
    as_measured: bool = False

    def __post_init__(self) -> None:
        if self.since is not None and self.since.tzinfo is None:
            object.__setattr__(self, "since", self.since.replace(tzinfo=UTC))
        object.__setattr__(self, "countries", tuple(c.upper() for c in self.countries))
        object.__setattr__(self, "regions", tuple(Region(r) for r in self.regions))
        object.__setattr__(self, "region_overrides", MappingProxyType(
            {k.upper(): Region(v) for k, v in self.region_overrides.items()}))

    def describe(self) -> dict[str, object]:
        """The selection as plain JSON-able values, for manifests and report headers."""
        return {
            "runs": list(self.runs),
            "since": self.since.isoformat() if self.since else None,
            "countries": list(self.countries),
            "regions": [r.value for r in self.regions],
            "apps": list(self.apps),
            "include_simulated": self.include_simulated,
            "verified_only": self.verified_only,
            "region_overrides": {k: v.value for k, v in sorted(self.region_overrides.items())},
            "as_measured": self.as_measured,
        }


def split_list(text: str | None) -> tuple[str, ...]:
    """``"a, b,,c"`` -> ``("a", "b", "c")``; ``None`` and ``"all"`` -> ``()``."""
    if text is None:
        return ()
    items = tuple(p.strip() for p in text.split(",") if p.strip())
    return () if items in (("all",), ("ALL",)) else items


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """An ISO date or date-time (UTC unless it says otherwise), or ``7d`` / ``12h`` / ``2w``
    before ``now``. Raises ``ConfigError`` with an example otherwise."""
    m = _RELATIVE.match(text)
    if m:
        now = now or datetime.now(UTC)
        return now - int(m.group(1)) * _UNITS[m.group(2).lower()]
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"--since={text}", None, "not a date, a date-time or a relative age",
            "Give an ISO 8601 date or date-time (UTC unless an offset is given), or an age "
            "in hours, days or weeks",
            "--since 2024-03-01\n--since 2024-03-01T18:30\n--since 2024-03-01T18:30+08:00\n"
            "--since 7d") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_countries(text: str | None) -> tuple[str, ...]:
    """Comma-separated alpha-2 codes, checked against ``harness/data/countries.csv``."""
    out: list[str] = []
    for code in split_list(text):
        country = get_country(code)
        if country is None or len(code) != 2:
            hint = suggest_countries(code)
            raise ConfigError(
                f"--country={text}", None, f"{code!r} is not an ISO 3166-1 alpha-2 code",
                ("Did you mean " + ", ".join(hint) + "?") if hint else
                "Use two-letter codes as in harness/data/countries.csv",
                "--country DE,FR,JP")
        out.append(country.alpha2)
    return tuple(dict.fromkeys(out))


def parse_regions(text: str | None) -> tuple[Region, ...]:
    """Comma-separated study regions; the error lists every valid one."""
    out: list[Region] = []
    for name in split_list(text):
        key = name.strip().lower().replace("-", "_").replace(" ", "_")
        try:
            out.append(Region(key))
        except ValueError:
            valid = ", ".join(r.value for r in Region)
            raise ConfigError(f"--region={text}", None, f"{name!r} is not a study region",
                              f"Valid regions: {valid}",
                              "--region europe,asia_pacific") from None
    return tuple(dict.fromkeys(out))


def load_region_overrides(path: Path) -> dict[str, Region]:
    """Read a ``alpha2,region`` CSV (a header row names the columns; other columns, as in
    a copy of ``harness/data/countries.csv``, are ignored). Errors name ``file:line``."""
    where = display_path(path)
    example = "alpha2,region\nTR,mena\nRU,central_asia"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"--regions-file={where}", None,
                          f"cannot read the file: {exc.strerror or exc}",
                          "Give the path of a CSV file with the columns alpha2,region",
                          example) from None
    reader = csv.DictReader(text.splitlines())
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "alpha2" not in fields or "region" not in fields:
        raise ConfigError(f"{where}:1", None,
                          "the header must name the columns alpha2 and region",
                          None, example)
    reader.fieldnames = fields
    out: dict[str, Region] = {}
    valid = ", ".join(r.value for r in Region)
    for row in reader:
        line = reader.line_num
        code = (row.get("alpha2") or "").strip().upper()
        region = (row.get("region") or "").strip().lower()
        if not code and not region:
            continue
        if code not in all_countries():
            raise ConfigError(f"{where}:{line}", "alpha2",
                              f"{code!r} is not an ISO 3166-1 alpha-2 code",
                              "Use codes as in harness/data/countries.csv", example)
        try:
            out[code] = Region(region)
        except ValueError:
            raise ConfigError(f"{where}:{line}", "region",
                              f"{region!r} is not a study region",
                              f"Valid regions: {valid}", example) from None
    return out


def parse_filters(run: str | None = None, since: str | None = None,
                  country: str | None = None, region: str | None = None,
                  app: str | None = None, include_simulated: bool = False,
                  regions_file: Path | None = None, verified_only: bool = False,
                  as_measured: bool = False) -> Filters:
    """Build ``Filters`` from command-line strings (comma-separated lists)."""
    return Filters(
        runs=split_list(run),
        since=parse_since(since) if since else None,
        countries=parse_countries(country),
        regions=parse_regions(region),
        apps=split_list(app),
        include_simulated=include_simulated,
        region_overrides=load_region_overrides(regions_file) if regions_file else {},
        verified_only=verified_only,
        as_measured=as_measured,
    )


def region_of(code: str, overrides: Mapping[str, Region] | None = None) -> Region | None:
    """The study region of a country: the override if any, else ``countries.csv``."""
    if overrides and code.upper() in overrides:
        return overrides[code.upper()]
    country = get_country(code)
    return country.region if country else None

