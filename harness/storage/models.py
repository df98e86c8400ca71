"""The database schema: runs, measurements, steps and artifacts (SQLAlchemy 2.0 typed models).

Measurements are append-only records of attempts. A row is inserted with status
``running`` when an attempt starts and updated once, when it ends; nothing rewrites a
completed row. Every column is described in docs/data-dictionary.md. Schema changes go
through Alembic migrations in ``harness/storage/migrations``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Run(Base):
    """One invocation: a pytest session, ``harness demo`` or a farm job."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(32), default="running")
    harness_version: Mapped[str] = mapped_column(String(32))
    rules_version: Mapped[str] = mapped_column(String(32))
    backend: Mapped[str] = mapped_column(String(16))
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    command: Mapped[str | None] = mapped_column(Text)
    selection: Mapped[dict[str, object] | None] = mapped_column(JSON)
    planned: Mapped[int | None] = mapped_column(Integer)

    measurements: Mapped[list[Measurement]] = relationship(back_populates="run")


class Measurement(Base):
    """One attempt of one scenario from one profile on one device: the envelope and verdict."""

    __tablename__ = "measurements"
    __table_args__ = (
        Index("ix_measurements_run", "run_id"),
        Index("ix_measurements_app_country", "scenario_id", "country"),
        Index("ix_measurements_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"))
    data_format_version: Mapped[str] = mapped_column(String(16))
    harness_version: Mapped[str] = mapped_column(String(32))
    scenario_id: Mapped[str] = mapped_column(String(128))
    scenario_version: Mapped[int] = mapped_column(Integer)
    scenario_verified: Mapped[bool | None] = mapped_column(Boolean)
    app_id: Mapped[str] = mapped_column(String(255))
    app_name: Mapped[str] = mapped_column(String(255))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(32))
    profile_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str | None] = mapped_column(String(255))
    #: The Selenium Grid node (its URI) that served the session; NULL when not via a Grid.
    node: Mapped[str | None] = mapped_column(String(255))
    #: The measurement this attempt repeats after its device became unavailable.
    retry_of: Mapped[str | None] = mapped_column(String(32))
    backend: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_s: Mapped[float | None] = mapped_column(Float)

    status: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(16))
    barrier: Mapped[str | None] = mapped_column(String(40))
    failure: Mapped[str | None] = mapped_column(String(40))
    failure_detail: Mapped[str | None] = mapped_column(Text)
    access_level: Mapped[str | None] = mapped_column(String(16))
    rule_id: Mapped[str | None] = mapped_column(String(128))
    rules_version: Mapped[str] = mapped_column(String(32))
    matched_text: Mapped[str | None] = mapped_column(Text)
    features: Mapped[dict[str, str] | None] = mapped_column(JSON)
    steps_done: Mapped[int | None] = mapped_column(Integer)

    # the observed vantage, beside the target country
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    phone_source: Mapped[str | None] = mapped_column(String(16))
    phone_country: Mapped[str | None] = mapped_column(String(2))
    egress_ip_masked: Mapped[str | None] = mapped_column(String(64))
    egress_ip_hash: Mapped[str | None] = mapped_column(String(64))
    egress_asn: Mapped[str | None] = mapped_column(String(32))
    ip_country: Mapped[str | None] = mapped_column(String(2))
    sim_country: Mapped[str | None] = mapped_column(String(2))
    device_locale: Mapped[str | None] = mapped_column(String(32))
    device_timezone: Mapped[str | None] = mapped_column(String(64))
    gps_country: Mapped[str | None] = mapped_column(String(2))
    ip_country_match: Mapped[bool | None] = mapped_column(Boolean)
    sim_country_match: Mapped[bool | None] = mapped_column(Boolean)
    locale_match: Mapped[bool | None] = mapped_column(Boolean)
    timezone_match: Mapped[bool | None] = mapped_column(Boolean)
    gps_country_match: Mapped[bool | None] = mapped_column(Boolean)
    location_set: Mapped[bool | None] = mapped_column(Boolean)
    gps_detail: Mapped[str | None] = mapped_column(Text)
    device_egress_country: Mapped[str | None] = mapped_column(String(2))
    device_egress_match: Mapped[bool | None] = mapped_column(Boolean)
    vantage_source: Mapped[str | None] = mapped_column(String(32))
    vantage_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    geoip_country: Mapped[str | None] = mapped_column(String(2))
    ip_sources_agree: Mapped[bool | None] = mapped_column(Boolean)
    device_sim_operator: Mapped[str | None] = mapped_column(String(64))
    network_country: Mapped[str | None] = mapped_column(String(2))
    proxy_masked: Mapped[str | None] = mapped_column(String(255))
    capabilities: Mapped[dict[str, object] | None] = mapped_column(JSON)

    # the store stage's observation, beside the sign-up verdict (docs/stores.md)
    store_result: Mapped[str | None] = mapped_column(String(24))
    store_rule_id: Mapped[str | None] = mapped_column(String(128))
    store_detail: Mapped[str | None] = mapped_column(Text)

    run: Mapped[Run] = relationship(back_populates="measurements")
    steps: Mapped[list[StepRecord]] = relationship(
        back_populates="measurement", order_by="StepRecord.idx")
    artifacts: Mapped[list[Artifact]] = relationship(
        back_populates="measurement", order_by="Artifact.id")


class StepRecord(Base):
    """One executed step of a measurement."""

    __tablename__ = "steps"
    __table_args__ = (Index("ix_steps_measurement", "measurement_id", "idx"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    measurement_id: Mapped[str] = mapped_column(ForeignKey("measurements.id"))
    idx: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16))
    line: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    observations: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)

    measurement: Mapped[Measurement] = relationship(back_populates="steps")


class Artifact(Base):
    """An evidence file (page source, screenshot) saved beside the database."""

    __tablename__ = "artifacts"
    __table_args__ = (Index("ix_artifacts_measurement", "measurement_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    measurement_id: Mapped[str] = mapped_column(ForeignKey("measurements.id"))
    step_idx: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String(512))
    #: Where the file is kept: ``file://`` beside the database or ``s3://bucket/key``.
    url: Mapped[str | None] = mapped_column(String(1024))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    measurement: Mapped[Measurement] = relationship(back_populates="artifacts")


class StoreCheck(Base):
    """One availability check of one app in one country's app store."""

    __tablename__ = "store_checks"
    __table_args__ = (
        Index("ix_store_checks_app_store_country", "app_id", "store", "country"),
        Index("ix_store_checks_checked_at", "checked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str | None] = mapped_column(String(32))
    app_id: Mapped[str] = mapped_column(String(128))
    store: Mapped[str] = mapped_column(String(16))
    store_app_id: Mapped[str] = mapped_column(String(255))
    country: Mapped[str] = mapped_column(String(2))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    result: Mapped[str] = mapped_column(String(16))
    available: Mapped[bool | None] = mapped_column(Boolean)
    http_status: Mapped[int | None] = mapped_column(Integer)
    failure: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(String(512))
    version: Mapped[str | None] = mapped_column(String(64))
    bundle_id: Mapped[str | None] = mapped_column(String(255))
    request_url: Mapped[str | None] = mapped_column(Text)
    proxy_masked: Mapped[str | None] = mapped_column(String(255))
    egress_country: Mapped[str | None] = mapped_column(String(2))
    artifact_path: Mapped[str | None] = mapped_column(String(512))
    artifact_sha256: Mapped[str | None] = mapped_column(String(64))
    # an absence's scope: missing from this country only, or from the store everywhere
    scope: Mapped[str | None] = mapped_column(String(16))
    scope_detail: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[bool | None] = mapped_column(Boolean)


class VantageCheck(Base):
    """One egress check through a profile's proxy (or direct)."""

    __tablename__ = "vantage_checks"
    __table_args__ = (Index("ix_vantage_checks_proxy", "proxy_hash", "checked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str | None] = mapped_column(String(32))
    profile_id: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    proxy_masked: Mapped[str | None] = mapped_column(String(255))
    proxy_hash: Mapped[str | None] = mapped_column(String(64))
    endpoint: Mapped[str | None] = mapped_column(String(512))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    egress_ip_masked: Mapped[str | None] = mapped_column(String(64))
    egress_ip_hash: Mapped[str | None] = mapped_column(String(64))
    asn: Mapped[str | None] = mapped_column(String(32))
    ip_country: Mapped[str | None] = mapped_column(String(2))
    geoip_country: Mapped[str | None] = mapped_column(String(2))
    sources_agree: Mapped[bool | None] = mapped_column(Boolean)
    verdict: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)


class Reclassification(Base):
    """A later verdict on a stored measurement's evidence under a newer rules version.

    Never overwrites the measurement's own verdict: both are kept side by side.
    """

    __tablename__ = "reclassifications"
    __table_args__ = (Index("ix_reclassifications_measurement", "measurement_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    measurement_id: Mapped[str] = mapped_column(ForeignKey("measurements.id"))
    classified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rules_version: Mapped[str] = mapped_column(String(32))
    previous_rules_version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(16))
    barrier: Mapped[str | None] = mapped_column(String(40))
    rule_id: Mapped[str | None] = mapped_column(String(128))
    matched_text: Mapped[str | None] = mapped_column(Text)
    artifact_path: Mapped[str | None] = mapped_column(String(512))
    changed: Mapped[bool] = mapped_column(Boolean)
    # NULL in rows written before schema 0004: the export derives them (docs/analysis.md)
    failure: Mapped[str | None] = mapped_column(String(40))
    access_level: Mapped[str | None] = mapped_column(String(16))


#: Plan states: an instance still to measure, one under way, and the settled ones.
PLANNED, CLAIMED, DONE, SKIPPED, ABORTED = "planned", "claimed", "done", "skipped", "aborted"
#: The states of an instance that a resumed run measures again.
OPEN_STATES = (PLANNED, CLAIMED, ABORTED)


class PlanItem(Base):
    """One (scenario, profile) instance a run means to measure, and how far it got.

    ``state`` is ``planned``, ``claimed`` (an attempt is under way), ``done`` (measured,
    ``measurement_id`` set), ``skipped`` (``detail`` says why) or ``aborted`` (its
    attempt's process died; ``harness run --resume`` plans it again).
    """

    __tablename__ = "run_plan"
    __table_args__ = (
        UniqueConstraint("run_id", "scenario_id", "profile_id", name="uq_run_plan_instance"),
        Index("ix_run_plan_run_state", "run_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"))
    seq: Mapped[int] = mapped_column(Integer)
    scenario_id: Mapped[str] = mapped_column(String(128))
    profile_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    measurement_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InstanceClaim(Base):
    """An instance being measured right now, by whom: at most one attempt per instance
    and backend at a time, across every run on the database."""

    __tablename__ = "instance_claims"
    __table_args__ = (PrimaryKeyConstraint("scenario_id", "profile_id", "backend",
                                           name="pk_instance_claims"),)

    scenario_id: Mapped[str] = mapped_column(String(128))
    profile_id: Mapped[str] = mapped_column(String(64))
    backend: Mapped[str] = mapped_column(String(16))
    run_id: Mapped[str] = mapped_column(String(32))
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JobLock(Base):
    """A named job that must not run twice at once (``nightly``), held in the database so
    that it holds across hosts."""

    __tablename__ = "job_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    run_id: Mapped[str | None] = mapped_column(String(32))
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DownloadDataset(Base):
    """One imported file of monthly download counts (``harness trends import``).

    ``name`` is the analyst's label; importing again under the same name replaces the
    dataset's rows in one transaction (``--replace``). ``sha256`` is the file's, so a
    result can name the exact input; ``mapping`` the vendor columns read as each field.
    """

    __tablename__ = "download_datasets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    source_file: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rows: Mapped[int] = mapped_column(Integer)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


class DownloadCount(Base):
    """A month's downloads of one app (optionally per country and store) in a dataset.

    ``month`` is ``YYYY-MM``; ``country`` (ISO alpha-2) and ``store`` are NULL when the
    source does not break the count down; ``exposure`` is the source's own denominator
    (for a rate model's offset) or NULL. ``source_app`` is the app as the file named it.
    """

    __tablename__ = "download_counts"
    __table_args__ = (Index("ix_download_counts_dataset_app", "dataset_id", "app_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("download_datasets.id"))
    app_id: Mapped[str] = mapped_column(String(128))
    source_app: Mapped[str] = mapped_column(String(256))
    month: Mapped[str] = mapped_column(String(7))
    country: Mapped[str | None] = mapped_column(String(2))
    store: Mapped[str | None] = mapped_column(String(16))
    downloads: Mapped[float] = mapped_column(Float)
    exposure: Mapped[float | None] = mapped_column(Float)
