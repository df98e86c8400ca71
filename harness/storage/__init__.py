"""Storage: SQLite ``results.db`` by default, any SQLAlchemy URL for a farm; evidence in a
folder or an object store (``s3://bucket/prefix``)."""

from harness.storage.artifacts import Artifacts
from harness.storage.db import DEFAULT_DB, make_engine, migrate, normalize_url
from harness.storage.locations import (
    ArtifactError,
    ArtifactNotFound,
    StoredFile,
    artifacts_option,
)
from harness.storage.models import Artifact, Base, Measurement, Run, StepRecord
from harness.storage.store import MeasurementStart, StorageError, Store, Vantage

__all__ = [
    "DEFAULT_DB",
    "Artifact",
    "ArtifactError",
    "ArtifactNotFound",
    "Artifacts",
    "Base",
    "Measurement",
    "MeasurementStart",
    "Run",
    "StepRecord",
    "StorageError",
    "Store",
    "StoredFile",
    "Vantage",
    "artifacts_option",
    "make_engine",
    "migrate",
    "normalize_url",
]
