"""``harness profiles new XX``: a device profile scaffolded from country data.

The values come from committed data files, so the same command writes the same file on
every machine:

- ``harness/data/countries.csv``: the country's name and calling code;
- ``harness/data/country_defaults.csv``: for every ISO 3166-1 country with a time zone
  (all but the uninhabited BV and HM), the IANA time zone of its capital or main city and
  that city's coordinates, both from the tz database's ``zone.tab`` (for a country with
  several zones, the zone of the capital), and the main language, as the country's phones
  are most often set up, with the locale ``language_COUNTRY``.

The file follows the shipped profiles' layout (``device_profiles/DE.yaml``): the phone
number and proxy come from ``HARNESS_PHONE_XX`` and ``HARNESS_PROXY_XX`` in the
environment, the emulator is ``harness_XX``. It is loaded back with the profile loader
before it is written, so a scaffolded profile always passes ``harness profiles check``.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from harness.support.errors import ConfigError, display_path
from harness.vocabulary.countries import get_country, suggest_countries


@dataclass(frozen=True)
class CountryDefaults:
    alpha2: str
    city: str
    latitude: float
    longitude: float
    timezone: str
    language: str
    locale: str


@cache
def country_defaults() -> dict[str, CountryDefaults]:
    """Default city, time zone and language of every country that has a time zone."""
    text = resources.files("harness.data").joinpath("country_defaults.csv").read_text("utf-8")
    out: dict[str, CountryDefaults] = {}
    for row in csv.DictReader(text.splitlines()):
        out[row["alpha2"]] = CountryDefaults(
            alpha2=row["alpha2"], city=row["city"], latitude=float(row["latitude"]),
            longitude=float(row["longitude"]), timezone=row["timezone"],
            language=row["language"], locale=row["locale"])
    return out


def _plain(value: str) -> str:
    """``value`` as a YAML scalar that reads back as that string (``NO``, Norway, would
    otherwise read as false)."""
    return value if yaml.safe_load(value) == value else f'"{value}"'


def render_profile(code: str) -> str:
    """The text of ``device_profiles/<code>.yaml`` for an upper-case alpha-2 ``code``."""
    d = country_defaults()[code]
    cc = _plain(code)
    phone = f"  number: ${{HARNESS_PHONE_{code}}}"
    proxy = f"proxy: ${{HARNESS_PROXY_{code}:-}}"
    emulator = f"  emulator: harness_{code}"
    return (
        f"# Vantage point: {d.city}. Secrets come from the environment, never from this file.\n"
        f"id: {cc}\n"
        f"country: {cc}\n"
        f"locale: {_plain(d.locale)}\n"
        f"language: {_plain(d.language)}\n"
        f"timezone: {d.timezone}\n"
        f"gps: {{latitude: {d.latitude:.4f}, longitude: {d.longitude:.4f}}}   # {d.city}\n"
        "phone:\n"
        f"{phone:<37}# E.164 number of an owned {code} SIM\n"
        "  foreign_sim: false\n"
        f"{proxy:<38}# http://, https:// or socks5:// exit in {code}; empty = direct\n"
        "device:\n"
        f"{emulator:<38}# AVD name; or `udid:` for a phone\n"
    )


def scaffold_profile(country: str, directory: Path, force: bool = False) -> Path:
    """Write ``directory/XX.yaml`` for ``country``; refuse to overwrite unless ``force``."""
    raw = country.strip()
    code = raw.upper()
    info = get_country(code) if len(code) == 2 else None
    if info is None:
        near = suggest_countries(raw)
        hint = f"Did you mean {', '.join(near)}? " if near else ""
        raise ConfigError(f"harness profiles new {raw}", None,
                          f"{raw!r} is not an ISO 3166-1 alpha-2 country code",
                          hint + "Give a two-letter code such as DE, JP or BR")
    if code not in country_defaults():
        raise ConfigError(f"harness profiles new {code}", None,
                          f"{info.name} ({code}) has no time zone or inhabited city in the "
                          "country data, so there is nothing to scaffold",
                          "Write the profile by hand (docs/profiles.md)")
    path = directory / f"{code}.yaml"
    if path.exists() and not force:
        raise ConfigError(display_path(path), None, "the profile already exists",
                          "Edit it, or pass --force to replace it with a fresh scaffold")
    text = render_profile(code)
    _check(text, code)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def _check(text: str, code: str) -> None:
    """Load the scaffold with the profile loader; a failure is a bug in the country data."""
    from harness.spec.profiles import load_profile
    from harness.support.errors import ConfigErrors

    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / f"{code}.yaml"
        probe.write_text(text, encoding="utf-8")
        try:
            load_profile(probe)
        except (ConfigError, ConfigErrors) as exc:
            raise ConfigError("harness/data/country_defaults.csv", code,
                              f"the scaffold for {code} does not load: {exc}",
                              "Fix the country's row in the data file") from None


def new_profile_command(args: argparse.Namespace) -> int:
    """``harness profiles new XX [--dir D] [--force]``."""
    path = scaffold_profile(args.country, Path(args.dir), force=bool(args.force))
    d = country_defaults()[path.stem]
    print(f"wrote {display_path(path)}: {d.locale}, {d.timezone}, GPS of {d.city}; set "
          f"HARNESS_PHONE_{path.stem} (and HARNESS_PROXY_{path.stem}) in the environment "
          "before a run on a real device")
    return 0


__all__ = ["CountryDefaults", "country_defaults", "new_profile_command", "render_profile",
           "scaffold_profile"]
