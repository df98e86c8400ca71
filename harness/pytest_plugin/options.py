"""Command-line options and ini keys, turned into one immutable ``RunConfig``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.pytest_plugin.state import CONFIG_KEY, SELECTION_KEY, Selection
from harness.spec.config import DEFAULT_APPIUM_URL, RunConfig
from harness.support.secrets import install_log_scrubbing
from harness.vocabulary.outcomes import Backend


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "access-testing harness (scenarios/*.yaml)")
    _add_selection_options(group)
    _add_attempt_options(group)
    parser.addini("harness_backend", "default --backend", default="appium")
    parser.addini("harness_appium_url", "default --appium-url", default=DEFAULT_APPIUM_URL)
    parser.addini("harness_db", "default --db", default="results.db")
    parser.addini("harness_profiles", "default --profiles", default="device_profiles")


def _add_selection_options(group: pytest.OptionGroup) -> None:
    """The options that pick what runs where: profiles, apps, backend, database, folders."""
    group.addoption("--country", default=None, metavar="XX[,YY]|all",
                    help="device profiles to run: ids or country codes, or 'all' (default)")
    group.addoption("--region", default=None, metavar="REGION[,REGION]",
                    help="only profiles in these study regions (e.g. europe, asia_pacific)")
    group.addoption("--app", default=None, metavar="ID[,ID]",
                    help="only these scenario ids")
    group.addoption("--backend", default=None, choices=[b.value for b in Backend],
                    help="appium (default: a real Appium endpoint) or sim (built-in simulator)")
    group.addoption("--appium-url", default=None, metavar="URL",
                    help=f"Appium / Grid / farm endpoint (default {DEFAULT_APPIUM_URL})")
    group.addoption("--db", default=None, metavar="PATH|URL",
                    help="results database: SQLite path or SQLAlchemy URL (default results.db)")
    group.addoption("--artifacts", default=None, metavar="DIR|s3://BUCKET/PREFIX",
                    help="where evidence goes: a folder, or an object-store prefix (endpoint "
                         "from HARNESS_S3_ENDPOINT_URL or AWS_ENDPOINT_URL_S3) (default "
                         "artifacts/ beside the SQLite file)")
    group.addoption("--profiles", default=None, metavar="DIR",
                    help="device profile folder (default device_profiles)")


def _add_attempt_options(group: pytest.OptionGroup) -> None:
    """The options of each attempt: time budget, checks, sideloading, settling, pacing."""
    group.addoption("--attempt-timeout", default=None, type=float, metavar="SECONDS",
                    help="time budget of one attempt (default 900)")
    group.addoption("--ip-echo-url", default=None, metavar="URL",
                    help="IP-echo endpoint for the egress check (default ipinfo.io on appium, "
                         "none on sim)")
    group.addoption("--no-vantage-check", action="store_true", default=False,
                    help="skip the egress check")
    group.addoption("--full-tunnel-confirmed", default="", metavar="ID[,ID]",
                    help="profiles whose full tunnel (VPN app / netns) is up")
    group.addoption("--no-store-check", action="store_true", default=False,
                    help="skip the Google Play check before each attempt")
    group.addoption("--no-sideload", dest="sideload", action="store_false", default=True,
                    help="end the attempt at a store barrier; by default sign-up is still "
                         "measured on a device that has the app (both are recorded)")
    group.addoption("--sideload", dest="sideload", action="store_true",
                    help="the default: measure sign-up behind a store barrier")
    group.addoption("--settle", type=float, default=None, metavar="SECONDS",
                    help="how long a barrier message must stay, with the step's target "
                         "absent, before it is a verdict (default 3 on real devices, 0.5 on "
                         "the simulator)")
    group.addoption("--attended", action="store_true", default=False,
                    help="an operator watches the device and solves routine challenges "
                         "(run with -s)")
    group.addoption("--permissions", default="allow", choices=("allow", "deny"),
                    help="how Android's permission dialogs are answered (default allow)")
    group.addoption("--min-interval", type=float, default=None, metavar="HOURS",
                    help="skip an (app, profile) attempted less than HOURS ago (default 20 on "
                         "appium, 0 on sim)")


def _pick(config: pytest.Config, option: str, ini: str, env: str) -> str:
    value = config.getoption(option)
    if value is not None:
        return str(value)
    if env in os.environ:
        return os.environ[env]
    return str(config.getini(ini))


def _interval(config: pytest.Config, backend: Backend) -> float:
    from harness.spec.config import min_interval_for

    return min_interval_for(backend, config.getoption("min_interval"))


def _echo(config: pytest.Config, backend: Backend) -> str | None:
    from harness.spec.config import echo_url_for

    given = config.getoption("ip_echo_url") or os.environ.get("HARNESS_IP_ECHO_URL")
    return echo_url_for(backend, str(given) if given else None,
                        check=not config.getoption("no_vantage_check"))


def _artifacts(config: pytest.Config) -> Path | str | None:
    """``--artifacts``, checked before any item runs (in the controlling process): its
    form, and that evidence can be written there (an object store takes a probe write)."""
    given = config.getoption("artifacts")
    if not given:
        return None
    from harness.storage.artifacts import Artifacts
    from harness.storage.locations import artifacts_option
    from harness.support.errors import HarnessError

    try:
        value = artifacts_option(str(given))
        if value is not None and not hasattr(config, "workerinput"):
            Artifacts.open(value, Path.cwd(), write=True)
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    return value


def pytest_configure(config: pytest.Config) -> None:
    install_log_scrubbing()  # no secret in a captured log line or its traceback
    config.addinivalue_line("markers", "harness: one attempt of a scenario from a profile")
    profiles = Path(_pick(config, "profiles", "harness_profiles", "HARNESS_PROFILES"))
    if not profiles.is_absolute():
        # relative to where pytest was started, else to the project's rootdir
        here = Path(str(config.invocation_params.dir)) / profiles
        profiles = here if here.is_dir() else Path(str(config.rootpath)) / profiles
    artifacts = _artifacts(config)
    backend = _pick(config, "backend", "harness_backend", "HARNESS_BACKEND")
    try:
        backend_enum = Backend(backend)
    except ValueError:
        raise pytest.UsageError(f"harness_backend = {backend!r}: use appium or sim") from None
    timeout = config.getoption("attempt_timeout")
    config.stash[CONFIG_KEY] = RunConfig(
        backend=backend_enum,
        appium_url=_pick(config, "appium_url", "harness_appium_url", "HARNESS_APPIUM_URL"),
        db=_pick(config, "db", "harness_db", "HARNESS_DB"),
        artifacts_dir=artifacts,
        profiles_dir=profiles,
        attempt_timeout=float(timeout) if timeout else 900.0,
        ip_echo_url=_echo(config, backend_enum),
        full_tunnel_confirmed=frozenset(
            x.strip() for x in str(config.getoption("full_tunnel_confirmed")).split(",")
            if x.strip()),
        store_check=not config.getoption("no_store_check"),
        sideload=bool(config.getoption("sideload")),
        settle_time=config.getoption("settle"),
        attended=bool(config.getoption("attended")),
        permissions=str(config.getoption("permissions")),
        min_interval_hours=_interval(config, backend_enum),
    )
    config.stash[SELECTION_KEY] = Selection(
        countries=config.getoption("country"),
        regions=config.getoption("region"),
        apps=config.getoption("app"),
    )
