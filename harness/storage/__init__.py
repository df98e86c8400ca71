"""Storage: SQLite ``results.db`` by default, any SQLAlchemy URL for a farm."""

from harness.storage.db import DEFAULT_DB, make_engine, migrate, normalize_url
from harness.storage.models import Artifact, Base, Measurement, Run, StepRecord
from harness.storage.store import MeasurementStart, StorageError, Store, Vantage

__all__ = [
    "DEFAULT_DB",
    "Artifact",
    "Base",
    "Measurement",
    "MeasurementStart",
    "Run",
    "StepRecord",
    "StorageError",
    "Store",
    "Vantage",
    "make_engine",
    "migrate",
    "normalize_url",
]
