"""The nightly job's configuration: one YAML file (``harness nightly --config FILE``).

Two layers, as for profiles, scenarios and the farm inventory: a permissive pydantic parse
layer whose errors name ``file:line``, the field and a correct example, then a frozen
``NightlyConfig`` holding everything the night needs (the ``RunConfig`` of its attempts,
the store checks' ``StoreSettings``, the confirmation rule, the summary folder).

Relative paths in the file (scenario folders, the profiles folder, a SQLite database, an
evidence folder, the summary folder, a catalog) are relative to the file's own folder,
so cron, a systemd unit and a CI job read the same file the same way whatever their
working directory. Values may name environment variables (``${HARNESS_DB_PASSWORD}``)
so that secrets stay out of the file; they are expanded when the file is read and
masked wherever the configuration is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.analysis.definitions import Confirmation
from harness.spec.config import (
    DEFAULT_APPIUM_URL,
    RunConfig,
    echo_url_for,
    min_interval_for,
    screenshot_policy,
)
from harness.storage.locations import artifacts_option
from harness.stores.model import StoreName
from harness.stores.settings import (
    APPLE_PER_MINUTE,
    DEFAULT_APPLE_URL,
    DEFAULT_PLAY_URL,
    PLAY_PER_MINUTE,
    StoreSettings,
)
from harness.support.errors import ConfigError, ConfigErrors
from harness.support.secrets import MissingEnv, expand_env, has_env_ref, shown_db
from harness.support.yamlfile import LoadedYaml, load_yaml, validation_errors
from harness.vocabulary.outcomes import Backend

NIGHTLY_EXAMPLE = """\
scenarios: [../scenarios]            # files or folders, relative to this file
profiles: ../device_profiles
countries: all                       # profile ids or country codes, or all
backend: appium
appium_url: http://grid-hub:4444     # a Selenium Grid hub or one Appium server
db: postgresql+psycopg://harness:${HARNESS_DB_PASSWORD}@db.internal/harness
artifacts: s3://harness-evidence/nightly
workers: 8
min_interval_hours: 20
failure_rate_threshold: 0.2
summary_dir: /var/lib/harness/nightly
store_checks:
  stores: [apple, play]
"""

FIELD_EXAMPLES = {
    "scenarios": "scenarios: [../scenarios]",
    "apps": "apps: [wechat, douyin]      # scenario ids; default every scenario found",
    "countries": "countries: [DE, FR, JP]   # or: all",
    "regions": "regions: [europe, asia_pacific]",
    "backend": "backend: appium            # or: sim (the simulator, no devices)",
    "appium_url": "appium_url: http://grid-hub:4444",
    "db": "db: results.db             # or a PostgreSQL URL",
    "artifacts": "artifacts: s3://bucket/prefix   # or a folder",
    "workers": "workers: 8",
    "min_interval_hours": "min_interval_hours: 20",
    "failure_rate_threshold": "failure_rate_threshold: 0.2   # 20 % of attempts",
    "summary_dir": "summary_dir: reports/nightly",
    "resume_hours": "resume_hours: 20          # 0: never resume a killed night",
    "store_checks": "store_checks:\n  stores: [apple, play]\n  countries: profiles\n"
                    "  apps: scenarios",
    "attempts": "attempts:\n  timeout: 900\n  store_stage: true\n  screenshots: key",
    "confirmation": "confirmation:\n  min_attempts: 3\n  min_hours: 6",
}

#: ``store_checks.countries``: the countries of the selected profiles.
PROFILE_COUNTRIES = "profiles"
#: ``store_checks.apps``: the catalog apps the selected scenarios measure.
SCENARIO_APPS = "scenarios"
ALL = "all"


# --------------------------------------------------------------------------- parse layer


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_list(value: Any) -> Any:
    """``DE, FR`` or ``DE`` written as a string, as a list."""
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    return value


class StoreChecksIn(_Strict):
    enabled: bool = True
    stores: list[Literal["apple", "play"]] = Field(default=["apple", "play"], min_length=1)
    countries: list[str] = Field(default=[PROFILE_COUNTRIES], min_length=1)
    apps: list[str] = Field(default=[SCENARIO_APPS], min_length=1)
    catalog: str | None = None
    reference_check: bool = True
    direct: bool = False
    apple_url: str = DEFAULT_APPLE_URL
    play_url: str = DEFAULT_PLAY_URL
    apple_rate: float = Field(default=APPLE_PER_MINUTE, ge=0)
    play_rate: float = Field(default=PLAY_PER_MINUTE, ge=0)
    max_attempts: int = Field(default=4, ge=1)
    backoff: float = Field(default=2.0, ge=0)
    timeout: float = Field(default=20.0, gt=0)
    workers: int = Field(default=8, ge=1)

    @field_validator("stores", "countries", "apps", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> Any:
        return _as_list(v)


class AttemptsIn(_Strict):
    timeout: float = Field(default=900.0, gt=0)
    screenshots: bool | Literal["none", "key", "all"] = "key"
    store_stage: bool = True
    sideload: bool = True
    settle: float | None = Field(default=None, ge=0, le=120)
    permissions: Literal["allow", "deny"] = "allow"
    vantage_check: bool = True
    ip_echo_url: str | None = None
    vantage_ttl: float = Field(default=3600.0, gt=0)
    full_tunnel_confirmed: list[str] = Field(default_factory=list)

    @field_validator("full_tunnel_confirmed", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> Any:
        return _as_list(v)


class ConfirmationIn(_Strict):
    min_attempts: int = Field(default=3, ge=1)
    min_hours: float = Field(default=6.0, ge=0)


class NightlyIn(_Strict):
    scenarios: list[str] = Field(min_length=1)
    apps: list[str] | None = None
    profiles: str = "device_profiles"
    countries: list[str] = Field(default=[ALL], min_length=1)
    regions: list[str] | None = None
    backend: Literal["appium", "sim"] = "appium"
    appium_url: str = DEFAULT_APPIUM_URL
    db: str = "results.db"
    artifacts: str | None = None
    workers: int = Field(default=4, ge=1, le=512)
    min_interval_hours: float | None = Field(default=None, ge=0)
    failure_rate_threshold: float = Field(default=0.2, ge=0, le=1)
    summary_dir: str = "nightly"
    resume_hours: float = Field(default=20.0, ge=0)
    store_checks: StoreChecksIn = Field(default_factory=StoreChecksIn)
    attempts: AttemptsIn = Field(default_factory=AttemptsIn)
    confirmation: ConfirmationIn = Field(default_factory=ConfirmationIn)

    @field_validator("scenarios", "apps", "countries", "regions", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> Any:
        return _as_list(v)


# --------------------------------------------------------------------------- domain


@dataclass(frozen=True)
class StoreCheckPlan:
    """What the night's store checks ask: which stores, countries and apps, and how."""

    enabled: bool
    stores: tuple[StoreName, ...]
    #: Country codes, or ``("profiles",)`` / ``("all",)``.
    countries: tuple[str, ...]
    #: Catalog app ids, or ``("scenarios",)`` / ``("all",)``.
    apps: tuple[str, ...]
    catalog: Path | None
    settings: StoreSettings
    reference_check: bool = True
    direct: bool = False


@dataclass(frozen=True)
class NightlyConfig:
    """A checked nightly configuration, paths resolved against the file's folder."""

    source: Path
    scenarios: tuple[Path, ...]
    apps: tuple[str, ...]
    profiles_dir: Path
    countries: str
    regions: str | None
    run: RunConfig
    workers: int
    failure_rate_threshold: float
    summary_dir: Path
    resume_hours: float
    stores: StoreCheckPlan
    confirmation: Confirmation
    #: How the database is named in commands the summary prints (``harness show``):
    #: as written in the file when it names environment variables, else masked.
    db_shown: str
    #: ``file:line`` of each field, for errors found after the file was read.
    where: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def at(self, name: str) -> str:
        return self.where.get(name, str(self.source))


# --------------------------------------------------------------------------- reading


def load_nightly_config(path: Path) -> NightlyConfig:
    """Read and check ``path``; every problem found raises ``ConfigErrors``, each at its
    line with the field and a correct example."""
    return parse_nightly_config(load_yaml(path))


def parse_nightly_config(doc: LoadedYaml) -> NightlyConfig:
    if not isinstance(doc.data, dict):
        raise ConfigErrors([doc.error((), "a nightly configuration must be a YAML mapping",
                                      example=NIGHTLY_EXAMPLE)])
    try:
        raw = NightlyIn.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigErrors(validation_errors(doc, exc, FIELD_EXAMPLES)) from None
    errors: list[ConfigError] = []
    env = _Expander(doc, errors)
    base = doc.path.resolve().parent
    backend = Backend(raw.backend)
    db = env.value(("db",), raw.db)
    run = _run_config(doc, raw, env, base, backend, db)
    stores = _store_plan(doc, raw.store_checks, env, base)
    if errors:
        raise ConfigErrors(errors)
    return NightlyConfig(
        source=doc.path, scenarios=tuple(_path(base, p) for p in raw.scenarios),
        apps=tuple(raw.apps or ()), profiles_dir=_path(base, raw.profiles),
        countries=",".join(raw.countries), regions=",".join(raw.regions) if raw.regions
        else None, run=run, workers=raw.workers,
        failure_rate_threshold=raw.failure_rate_threshold,
        summary_dir=_path(base, raw.summary_dir), resume_hours=raw.resume_hours,
        stores=stores, confirmation=Confirmation(raw.confirmation.min_attempts,
                                                 raw.confirmation.min_hours),
        db_shown=_db_shown(raw.db, run.db),
        where=MappingProxyType(_wheres(doc)))


class _Expander:
    """``${VAR}`` references expanded now; a variable that is not set is an error at its
    line (collected, so that every problem of the file is reported at once)."""

    def __init__(self, doc: LoadedYaml, errors: list[ConfigError]) -> None:
        self.doc = doc
        self.errors = errors

    def value(self, loc: Sequence[str | int], text: str) -> str:
        try:
            return expand_env(text)
        except MissingEnv as exc:
            self.errors.append(self.doc.error(
                loc, f"environment variable {exc.var} is not set",
                f"Export it before the job starts (cron: in the crontab or a wrapper; "
                f"systemd: `Environment=` or `EnvironmentFile=`), e.g. `export {exc.var}=...`"))
            return text

    def optional(self, loc: Sequence[str | int], text: str | None) -> str | None:
        return None if text is None else self.value(loc, text)


def _path(base: Path, text: str) -> Path:
    """``text`` relative to the file's folder; ``~`` and ``~user`` expanded as a shell does
    (left as written when there is no such user)."""
    try:
        p = Path(text).expanduser()
    except RuntimeError:
        p = Path(text)
    return p if p.is_absolute() else base / p


def _db_location(base: Path, db: str) -> str:
    """A SQLite path relative to the file's folder; a URL as it is."""
    return db if "://" in db else str(_path(base, db))


def _db_shown(raw: str, resolved: str) -> str:
    return raw if has_env_ref(raw) else shown_db(resolved)


def _run_config(doc: LoadedYaml, raw: NightlyIn, env: _Expander, base: Path,
                backend: Backend, db: str) -> RunConfig:
    """The ``RunConfig`` of the night's attempts (what ``harness run`` builds from its
    options, here from the file)."""
    a = raw.attempts
    min_interval = min_interval_for(backend, raw.min_interval_hours)
    artifacts = env.optional(("artifacts",), raw.artifacts)
    return RunConfig(
        backend=backend, appium_url=env.value(("appium_url",), raw.appium_url),
        db=_db_location(base, db), artifacts_dir=_artifacts(doc, base, artifacts),
        profiles_dir=_path(base, raw.profiles), attempt_timeout=a.timeout,
        screenshots=screenshot_policy(a.screenshots), ip_echo_url=_echo_url(a, env, backend),
        vantage_ttl=a.vantage_ttl, full_tunnel_confirmed=frozenset(a.full_tunnel_confirmed),
        store_check=a.store_stage, sideload=a.sideload, settle_time=a.settle,
        attended=False, permissions=a.permissions, min_interval_hours=min_interval)


def _artifacts(doc: LoadedYaml, base: Path, text: str | None) -> Path | str | None:
    if text is None or "://" in text:
        try:
            return artifacts_option(text)
        except ConfigError as exc:
            raise ConfigErrors([doc.error(("artifacts",), exc.problem, exc.fix,
                                          FIELD_EXAMPLES["artifacts"])]) from None
    return _path(base, text)


def _echo_url(a: AttemptsIn, env: _Expander, backend: Backend) -> str | None:
    """The egress-check endpoint: given, else ipinfo.io for real devices, none on sim."""
    given = env.value(("attempts", "ip_echo_url"), a.ip_echo_url) if a.ip_echo_url else None
    return echo_url_for(backend, given, check=a.vantage_check)


def _store_plan(doc: LoadedYaml, s: StoreChecksIn, env: _Expander, base: Path
                ) -> StoreCheckPlan:
    countries = tuple(c.upper() if c.lower() not in (ALL, PROFILE_COUNTRIES) else c.lower()
                      for c in s.countries)
    for key, values, words in (("countries", countries, (ALL, PROFILE_COUNTRIES)),
                               ("apps", tuple(s.apps), (ALL, SCENARIO_APPS))):
        if len(values) > 1 and any(v in words for v in values):
            raise ConfigErrors([doc.error(
                ("store_checks", key), f"`{values[0]}` and a list cannot be mixed",
                f"Give `{words[0]}`, `{words[1]}` or a list", FIELD_EXAMPLES["store_checks"])])
    settings = StoreSettings(
        apple_url=env.value(("store_checks", "apple_url"), s.apple_url),
        play_url=env.value(("store_checks", "play_url"), s.play_url),
        apple_per_minute=s.apple_rate or None, play_per_minute=s.play_rate or None,
        max_attempts=s.max_attempts, backoff=s.backoff, timeout=s.timeout,
        workers=s.workers)
    return StoreCheckPlan(
        enabled=s.enabled, stores=tuple(StoreName(x) for x in dict.fromkeys(s.stores)),
        countries=countries, apps=tuple(s.apps),
        catalog=_path(base, s.catalog) if s.catalog else None, settings=settings,
        reference_check=s.reference_check, direct=s.direct)


def _wheres(doc: LoadedYaml) -> dict[str, str]:
    """``file:line`` of every top-level field and of each ``store_checks`` field."""
    names = list(NightlyIn.model_fields)
    out = {n: doc.where((n,)) for n in names}
    out.update({f"store_checks.{n}": doc.where(("store_checks", n))
                for n in StoreChecksIn.model_fields})
    listed = doc.data.get("scenarios") if isinstance(doc.data, dict) else None
    if isinstance(listed, list):
        out.update({f"scenarios[{i}]": doc.where(("scenarios", i))
                    for i in range(len(listed))})
    return out


__all__ = ["ALL", "FIELD_EXAMPLES", "NIGHTLY_EXAMPLE", "PROFILE_COUNTRIES", "SCENARIO_APPS",
           "NightlyConfig", "StoreCheckPlan", "load_nightly_config", "parse_nightly_config"]
