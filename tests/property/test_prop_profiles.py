"""Device profiles: any change to a real profile parses or names its file, line and field;
any ``--country`` / ``--region`` selection picks profiles or is one clear error."""

from __future__ import annotations

from pathlib import Path

import yaml
from _parsing import (
    Mutated,
    Rejected,
    check_errors,
    damaged,
    load_seed,
    mutated,
    parse,
    parse_change,
    repo_files,
)
from hypothesis import given
from hypothesis import strategies as st

from harness.spec.profile import Profile
from harness.spec.profiles import load_profile, load_profiles, select_profiles
from harness.support.errors import ConfigError
from harness.vocabulary.outcomes import Backend

PROFILES = repo_files("device_profiles/*.yaml")
KNOWN = load_profiles(PROFILES[0].parent)


def _load_and_resolve(path: Path) -> Profile:
    """What a simulator run does with a profile before anything runs: load it and
    resolve its phone number."""
    profile = load_profile(path)
    profile.resolve_phone(Backend.SIM, environ={})
    return profile


@given(seed=st.sampled_from(PROFILES), data=st.data())
def test_a_changed_profile_parses_or_names_the_change(tmp_path: Path, seed: Path,
                                                      data: st.DataObject) -> None:
    change: Mutated = data.draw(mutated(load_seed(seed)))
    path = tmp_path / seed.name
    got = parse_change(_load_and_resolve, change, path, tmp_path)
    if got is not None:
        assert got.country and got.timezone


@given(seed=st.sampled_from(PROFILES), data=st.data())
def test_a_damaged_profile_text_parses_or_names_its_file(tmp_path: Path, seed: Path,
                                                         data: st.DataObject) -> None:
    path = tmp_path / seed.name
    path.write_text(data.draw(damaged(seed.read_text(encoding="utf-8"))), encoding="utf-8")
    got = parse(_load_and_resolve, path)
    if isinstance(got, Rejected):
        check_errors(got, [path])


@given(value=st.one_of(st.text(max_size=40),
                       st.sampled_from(["Europe", "Europe/", "../../etc/passwd", "/etc/hosts",
                                        "UTC\x00", "Europe/Berlin/x", "posix/Europe/Berlin",
                                        "Etc/GMT+99", " Europe/Berlin", "."])))
def test_any_timezone_is_accepted_or_named(tmp_path: Path, value: str) -> None:
    path = tmp_path / "DE.yaml"
    path.write_text(yaml.safe_dump({"country": "DE", "locale": "de_DE", "language": "de",
                                    "timezone": value}, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    got = parse(load_profile, path)
    if isinstance(got, Rejected):
        check_errors(got, [path])
        assert any(e.field == "timezone" and e.location.endswith(":4") for e in got) or \
            all(e.field is None for e in got), [str(e) for e in got]


@given(countries=st.one_of(st.none(), st.text(max_size=20),
                           st.lists(st.sampled_from([p.id for p in KNOWN] + ["xx", "Germny",
                                                     "de", " ", "all"]), max_size=4)
                           .map(",".join)),
       regions=st.one_of(st.none(), st.text(max_size=12),
                         st.sampled_from(["asia", "europe,africa", "Europe", ",", "nope"])))
def test_any_selection_picks_profiles_or_is_one_error(countries: str | None,
                                                      regions: str | None) -> None:
    try:
        chosen = select_profiles(KNOWN, countries, regions)
    except ConfigError as exc:
        assert exc.location.startswith(("--country=", "--region=")), exc.location
        assert "Traceback" not in str(exc)
        return
    assert all(p in KNOWN for p in chosen)
    assert len({p.id for p in chosen}) == len(chosen)
