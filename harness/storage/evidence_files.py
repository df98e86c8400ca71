"""A measurement's evidence files read back for a person: checked against their SHA-256,
one page source printed, all of them copied into a folder (``harness show``).

The files are read through ``harness.storage.artifacts``, so a row's ``s3://`` URL is
read from the object store and an older row's relative path from the artifacts folder.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from harness.storage.artifacts import Artifacts
from harness.storage.locations import ArtifactNotFound, StoredFile
from harness.storage.models import Artifact, Measurement
from harness.support.errors import HarnessError

PAGE_SOURCE = "page_source"


def check_file(artifacts: Artifacts, f: StoredFile) -> str:
    """``ok``, ``missing`` or ``sha256 mismatch``; a store that cannot be read at all
    raises its one-paragraph error."""
    try:
        data = artifacts.read_stored(f)
    except ArtifactNotFound:
        return "missing"
    if f.sha256 and hashlib.sha256(data).hexdigest() != f.sha256:
        return "sha256 mismatch"
    return "ok"


def _stored(a: Artifact) -> StoredFile:
    return StoredFile(a.path, a.url, a.sha256)


def page_source(m: Measurement, artifacts: Artifacts, step: int = -1) -> str:
    """The page source saved at ``step`` (-1: the last step that saved one)."""
    sources = sorted((a for a in m.artifacts if a.kind == PAGE_SOURCE),
                     key=lambda a: (a.step_idx if a.step_idx is not None else -1, a.id))
    if step >= 0:
        sources = [a for a in sources if a.step_idx == step]
    if not sources:
        saved = sorted({a.step_idx for a in m.artifacts if a.kind == PAGE_SOURCE
                        and a.step_idx is not None})
        raise HarnessError(f"measurement {m.id[:12]} saved no page source"
                           + (f" at step {step}; steps with one: "
                              f"{', '.join(map(str, saved)) or 'none'}" if step >= 0 else ""))
    data = artifacts.read_stored(_stored(sources[-1]))
    return data.decode("utf-8", errors="replace")


def save_evidence(m: Measurement, artifacts: Artifacts, folder: Path) -> int:
    """Copy every evidence file of ``m`` into ``folder`` (by its file name, each checked
    against its SHA-256); return how many were copied. A missing file is skipped."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for a in m.artifacts:
        try:
            data = artifacts.read_stored(_stored(a))
        except ArtifactNotFound:
            continue
        if hashlib.sha256(data).hexdigest() != a.sha256:
            raise HarnessError(f"{artifacts.where(a.path, a.url)}: its bytes do not match "
                               "the SHA-256 stored with it; the file was changed after "
                               "it was written")
        dest = folder / Path(a.path).name
        tmp = dest.with_name(f"{dest.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, dest)
        n += 1
    return n


__all__ = ["check_file", "page_source", "save_evidence"]
