"""The report's evidence links, which open from the file system with no network.

Evidence in a folder on this machine is linked by its path relative to the report, so the
report folder and the artifacts folder can be copied together. Evidence kept in an object
store (``s3://``) is copied into ``evidence/`` beside the report, under the same relative
path; a copy whose SHA-256 already matches its row is not fetched again, and a fetched
file whose SHA-256 does not match its row is not linked. A file that is nowhere to be
found is shown as missing rather than linked. The report site copies every file it
shows, local or not, into its own ``evidence/`` (:func:`copy_evidence`), so its folder
opens on its own wherever it is moved.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness.storage.artifacts import Artifacts
from harness.storage.locations import ArtifactNotFound, StoredFile

#: The folder beside the report that holds copies of object-store evidence.
EVIDENCE_FOLDER = "evidence"
#: Parallel downloads of object-store evidence.
FETCH_WORKERS = 8

#: What a link is: a path relative to the report, or None when the file is missing or
#: does not match its SHA-256.
Href = str | None


def _sha_ok(data: bytes, f: StoredFile) -> bool:
    return f.sha256 is None or hashlib.sha256(data).hexdigest() == f.sha256


def _copy(artifacts: Artifacts, f: StoredFile, dest: Path) -> bool:
    """Fetch ``f`` into ``dest`` (unless a matching copy is there); whether it is there."""
    if dest.is_file() and _sha_ok(dest.read_bytes(), f):
        return True
    try:
        data = artifacts.read_stored(f)
    except ArtifactNotFound:
        return False
    if not _sha_ok(data, f):
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, dest)
    return True


def _href(artifacts: Artifacts, f: StoredFile, report_dir: Path) -> Href:
    local = artifacts.local_file(f.path, f.url)
    if local is not None:
        return Path(os.path.relpath(local.resolve(), report_dir.resolve())).as_posix()
    dest = report_dir / EVIDENCE_FOLDER / f.path
    if not _copy(artifacts, f, dest):
        return None
    return f"{EVIDENCE_FOLDER}/{Path(f.path).as_posix()}"


def evidence_hrefs(files: Mapping[str, Mapping[str, StoredFile]], artifacts: Artifacts,
                   report_dir: Path) -> dict[tuple[str, str], Href]:
    """(measurement id, kind) -> the link to that file, relative to ``report_dir``;
    object-store files are fetched (in parallel) into ``report_dir/evidence``."""
    items = [((mid, kind), f) for mid, kinds in files.items() for kind, f in kinds.items()]
    with ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
        hrefs = list(pool.map(lambda item: _href(artifacts, item[1], report_dir), items))
    return {key: href for (key, _f), href in zip(items, hrefs, strict=True)}


def copy_evidence(files: Mapping[str, Mapping[str, StoredFile]], artifacts: Artifacts,
                  site_dir: Path) -> dict[tuple[str, str], Href]:
    """Like :func:`evidence_hrefs`, but every file, local or not, is copied into
    ``site_dir/evidence`` (in parallel), so the folder opens on its own wherever it is
    copied: the report site's links. A copy that already matches is not read again."""
    items = [((mid, kind), f) for mid, kinds in files.items() for kind, f in kinds.items()]

    def one(f: StoredFile) -> Href:
        rel = Path(f.path).as_posix()
        ok = _copy(artifacts, f, site_dir / EVIDENCE_FOLDER / rel)
        return f"{EVIDENCE_FOLDER}/{rel}" if ok else None

    with ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
        hrefs = list(pool.map(lambda item: one(item[1]), items))
    return {key: href for (key, _f), href in zip(items, hrefs, strict=True)}


__all__ = ["EVIDENCE_FOLDER", "FETCH_WORKERS", "Href", "copy_evidence", "evidence_hrefs"]
