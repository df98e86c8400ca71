"""Imported download counts: write a whole dataset in one transaction, list and read them.

A dataset is written all at once or not at all: its rows and its ``download_datasets``
row commit together, and replacing a dataset deletes the old rows in the same
transaction, so a crash leaves the previous version or the new one, never a mix.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from harness.storage.models import DownloadCount, DownloadDataset
from harness.storage.store import Store
from harness.support.errors import HarnessError


@dataclass(frozen=True)
class CountRow:
    """One month of one app's downloads, as stored."""

    app_id: str
    source_app: str
    month: str
    country: str | None
    store: str | None
    downloads: float
    exposure: float | None


@dataclass(frozen=True)
class DatasetInfo:
    """A stored dataset and what it holds."""

    id: str
    name: str
    source_file: str
    sha256: str
    imported_at: datetime
    rows: int
    mapping: dict[str, str]
    apps: int
    first_month: str | None
    last_month: str | None


class DatasetExists(HarnessError):
    """A dataset of that name is stored and ``replace`` was not asked for."""


def _existing(s: Session, name: str) -> DownloadDataset | None:
    return s.scalars(select(DownloadDataset).where(DownloadDataset.name == name)).first()


def save_dataset(store: Store, name: str, source_file: str, sha256: str,
                 mapping: dict[str, str], rows: Sequence[CountRow], replace: bool = False,
                 note: str | None = None) -> str:
    """Store ``rows`` as dataset ``name`` and return its id; with ``replace``, an existing
    dataset of that name is deleted in the same transaction."""

    def fn(s: Session) -> str:
        old = _existing(s, name)
        if old is not None:
            if not replace:
                raise DatasetExists(
                    f"a download dataset named {name!r} is already stored (imported "
                    f"{old.imported_at:%Y-%m-%d %H:%M} from {old.source_file}); pass "
                    "--replace to replace it, or --dataset NAME to store this file beside it")
            s.execute(delete(DownloadCount).where(DownloadCount.dataset_id == old.id))
            s.delete(old)
            s.flush()
        did = uuid.uuid4().hex
        s.add(DownloadDataset(id=did, name=name, source_file=source_file, sha256=sha256,
                              imported_at=datetime.now(UTC), rows=len(rows),
                              mapping=dict(mapping), note=note))
        s.flush()
        if rows:
            s.execute(insert(DownloadCount), [
                {"dataset_id": did, "app_id": r.app_id, "source_app": r.source_app,
                 "month": r.month, "country": r.country, "store": r.store,
                 "downloads": r.downloads, "exposure": r.exposure} for r in rows])
        return did

    result: str = store.write(fn)
    return result


def list_datasets(store: Store) -> list[DatasetInfo]:
    """Every stored dataset, newest first, with its apps and month range."""
    c = DownloadCount
    with store.session() as s:
        spans = {row[0]: row[1:] for row in s.execute(
            select(c.dataset_id, func.count(func.distinct(c.app_id)), func.min(c.month),
                   func.max(c.month)).group_by(c.dataset_id))}
        sets = s.scalars(select(DownloadDataset)
                         .order_by(DownloadDataset.imported_at.desc())).all()
        return [DatasetInfo(d.id, d.name, d.source_file, d.sha256, d.imported_at, d.rows,
                            dict(d.mapping), *(spans.get(d.id) or (0, None, None)))
                for d in sets]


def find_dataset(store: Store, name: str | None) -> DatasetInfo:
    """The dataset called ``name``, or the only / newest one when ``name`` is None."""
    sets = list_datasets(store)
    if not sets:
        raise HarnessError("no download data is stored in this database; load a file "
                           "first with `harness trends import FILE`")
    if name is None:
        return sets[0]
    for d in sets:
        if d.name == name:
            return d
    raise HarnessError(f"--dataset {name!r}: no such download dataset; stored: "
                       f"{', '.join(d.name for d in sets)}")


def read_counts(store: Store, dataset_id: str) -> list[CountRow]:
    """Every row of a dataset, by app, country, store and month."""
    c = DownloadCount
    with store.session() as s:
        return [CountRow(*r) for r in s.execute(
            select(c.app_id, c.source_app, c.month, c.country, c.store, c.downloads,
                   c.exposure).where(c.dataset_id == dataset_id)
            .order_by(c.app_id, c.country, c.store, c.month))]


__all__ = [
    "CountRow",
    "DatasetExists",
    "DatasetInfo",
    "find_dataset",
    "list_datasets",
    "read_counts",
    "save_dataset",
]
