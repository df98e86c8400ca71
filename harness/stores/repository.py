"""Store checks in the database (``store_checks``) and their raw responses as evidence.

Checks are append-only like measurements: each is one row, written with its evidence and
never rewritten. A raw response is saved gzip-compressed at
``stores/<store>/<sha256[:2]>/<sha256><suffix>.gz`` in the artifact store (a folder:
temporary file, fsync, rename; an object store: one PUT) *before* the rows that point at
it; ``artifact_path`` holds that path, or the object's ``s3://`` URL. The path is
content-addressed, so one Apple lookup answer shared by sixty apps, or the same 404 page
seen in two hundred countries, is stored once. ``artifact_sha256`` is the SHA-256 of the
response body itself (before compression), so it can be checked against the file.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from harness.storage.artifacts import Artifacts
from harness.storage.models import StoreCheck
from harness.storage.store import StorageError, Store
from harness.stores.confirm import Point
from harness.stores.model import RawResponse, StoreName, StoreObservation


def artifact_relpath(store: StoreName, raw: RawResponse) -> Path:
    return Path("stores") / store.value / raw.sha256[:2] / f"{raw.sha256}{raw.suffix}.gz"


def write_raw(artifacts: Artifacts | Path, store: StoreName, raw: RawResponse) -> str:
    """Save ``raw`` (once per content) and return what ``artifact_path`` holds: its path
    relative to a local artifacts folder, or its ``s3://`` URL in an object store."""
    target = artifacts if isinstance(artifacts, Artifacts) else Artifacts.local(artifacts)
    rel = artifact_relpath(store, raw).as_posix()
    data = gzip.compress(raw.body, compresslevel=6, mtime=0)
    return target.reference(rel, target.put(rel, data, once=True))


def read_raw(artifacts: Artifacts | Path, artifact_path: str) -> bytes:
    """The response body saved at ``artifact_path`` (a relative path or a URL),
    decompressed."""
    source = artifacts if isinstance(artifacts, Artifacts) else Artifacts.local(artifacts)
    return gzip.decompress(source.read(artifact_path))


def save_observations(store: Store, observations: Sequence[StoreObservation],
                      run_id: str | None = None) -> int:
    """Write ``observations`` (evidence first, then all rows in one transaction)."""
    if not observations:
        return 0
    paths: dict[tuple[StoreName, str], str] = {}
    for obs in observations:
        if obs.raw is not None and (obs.store, obs.raw.sha256) not in paths:
            paths[(obs.store, obs.raw.sha256)] = write_raw(store.artifacts, obs.store,
                                                           obs.raw)
    rows = [
        dict(
            run_id=run_id, app_id=o.app_id, store=o.store.value, store_app_id=o.store_app_id,
            country=o.country, checked_at=o.checked_at, result=o.result.value,
            available=o.available, http_status=o.http_status,
            failure=o.failure.value if o.failure else None, detail=o.detail,
            title=_clip(o.title, 512), version=_clip(o.version, 64),
            bundle_id=_clip(o.bundle_id, 255), request_url=o.request_url,
            proxy_masked=o.proxy_masked, egress_country=o.egress_country,
            artifact_path=paths.get((o.store, o.raw.sha256)) if o.raw else None,
            artifact_sha256=o.raw.sha256 if o.raw else None,
            scope=o.scope.value if o.scope else None, scope_detail=o.scope_detail,
            reference=o.reference,
        )
        for o in observations
    ]
    try:
        with store.session() as s, s.begin():
            s.execute(insert(StoreCheck), rows)
    except SQLAlchemyError as exc:
        raise StorageError(f"could not write store checks to the database "
                           f"{store.engine.url!r}: {getattr(exc, 'orig', exc)}") from None
    return len(rows)


def _clip(value: str | None, n: int) -> str | None:
    return value[:n] if value is not None else None


def load_checks(store: Store, *, app_ids: Iterable[str] | None = None,
                stores: Iterable[StoreName] | None = None,
                countries: Iterable[str] | None = None,
                since: datetime | None = None) -> list[StoreCheck]:
    """Stored checks, oldest first, optionally filtered."""
    stmt = select(StoreCheck).order_by(StoreCheck.checked_at, StoreCheck.id)
    if app_ids is not None:
        stmt = stmt.where(StoreCheck.app_id.in_(list(app_ids)))
    if stores is not None:
        stmt = stmt.where(StoreCheck.store.in_([s.value for s in stores]))
    if countries is not None:
        stmt = stmt.where(StoreCheck.country.in_([c.upper() for c in countries]))
    if since is not None:
        stmt = stmt.where(StoreCheck.checked_at >= since)
    with store.session() as s:
        return list(s.scalars(stmt).all())


SeriesKey = tuple[str, str, str]
"""(app_id, store, country): one availability series."""


@dataclass(frozen=True)
class Series:
    key: SeriesKey
    points: tuple[Point, ...]


def timelines(checks: Iterable[StoreCheck]) -> list[Series]:
    """Group checks into one time-ordered series per (app, store, country)."""
    groups: dict[SeriesKey, list[Point]] = {}
    for c in checks:
        at = c.checked_at if c.checked_at.tzinfo else c.checked_at.replace(tzinfo=UTC)
        groups.setdefault((c.app_id, c.store, c.country), []).append(
            Point(at, c.available, c.scope))
    return [Series(k, tuple(sorted(v, key=lambda p: p.checked_at)))
            for k, v in sorted(groups.items())]
