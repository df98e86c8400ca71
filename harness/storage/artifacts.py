"""The artifact store: where evidence files (page sources, screenshots, raw app-store
responses) are written, and how any stored one is read back.

Two kinds of root hold new files: a local folder (``artifacts/`` beside a SQLite file by
default) and an object-store prefix (``s3://bucket/prefix``, ``harness.storage.s3``).
Under either, a file's place is the same relative path (``<run>/<measurement>/003-
page_source.xml``, or a raw response's content-addressed
``stores/<store>/<sha[:2]>/<sha>.json.gz``), and ``put`` returns the file's URL:
``file:///...`` or ``s3://bucket/key``, never with credentials in it.

Reading goes by the row: an ``s3://`` URL is read from the object store whatever root the
store was opened with; a ``file://`` URL is looked up under the current folder first (the
evidence may have moved with ``--artifacts``), then where it was written; a row written
before schema 0005 (no URL) holds a path relative to the artifacts root.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

from harness.storage.locations import (
    OPTION,
    S3_SCHEME,
    ArtifactError,
    ArtifactNotFound,
    S3Location,
    StoredFile,
    parse_location,
    scheme_of,
    shown_location,
)
from harness.storage.preflight import folder_problem
from harness.storage.s3 import S3Artifacts, make_client, read_object
from harness.support.errors import ConfigError, display_path

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class ArtifactStore(Protocol):
    """A root that holds evidence files by relative path."""

    @property
    def shown(self) -> str: ...

    def url_of(self, rel: str) -> str: ...

    def check(self, write: bool) -> None: ...

    def put(self, rel: str, data: bytes, *, once: bool = False) -> str: ...

    def get(self, rel: str) -> bytes: ...


class LocalArtifacts:
    """Evidence in a folder: each file written to a temporary name, flushed, then renamed,
    so a crash leaves the whole file or none under its final name."""

    def __init__(self, root: Path, option: str = OPTION) -> None:
        self.root = root
        self.option = option
        self._resolved: Path | None = None
        self._made: set[Path] = set()  # folders made (or found) by this process

    @property
    def shown(self) -> str:
        return display_path(self.root)

    def path_of(self, rel: str) -> Path:
        return self.root / rel

    def url_of(self, rel: str) -> str:
        if self._resolved is None:  # once: a step writes files on every screen
            self._resolved = self.root.resolve()
        return (self._resolved / rel).as_uri()

    def check(self, write: bool) -> None:
        """With ``write``: the folder (or the nearest parent that exists, in which it will
        be made) is a folder in which this process can create files."""
        if not write:
            return
        problem = folder_problem(self.root)  # by making a file: root ignores the mode bits
        if problem is not None:
            raise ConfigError(f"{self.option}={self.shown}", None, problem,
                              "Give a folder this user may write, or an s3://bucket/prefix "
                              "URL")

    def put(self, rel: str, data: bytes, *, once: bool = False) -> str:
        """Write ``data`` at ``rel``; with ``once`` (content-addressed files) a file already
        there is kept, and the new one is synced to disk before its rename."""
        path = self.path_of(rel)
        if once and path.exists():
            return self.url_of(rel)
        try:
            try:
                self._write(path, data, once)
            except FileNotFoundError:  # its folder was removed meanwhile: make it again
                self._made.discard(path.parent)
                self._write(path, data, once)
        except OSError as exc:
            raise ArtifactError(f"could not write the evidence file {display_path(path)}: "
                                f"{exc.strerror or exc}") from None
        return self.url_of(rel)

    def _write(self, path: Path, data: bytes, once: bool) -> None:
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                if once:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:  # a full disk: no half-written file is left behind
            tmp.unlink(missing_ok=True)
            raise

    def get(self, rel: str) -> bytes:
        return read_file(self.path_of(rel))


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ArtifactNotFound(f"{display_path(path)}: no such file") from None
    except OSError as exc:
        raise ArtifactError(f"could not read {display_path(path)}: "
                            f"{exc.strerror or exc}") from None


def file_url_path(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


class Artifacts:
    """Where a store writes new evidence (``target``), and the reader of every stored file
    whatever root it was written under. Safe to share between threads."""

    def __init__(self, target: ArtifactStore) -> None:
        self.target = target
        self._client: S3Client | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, location: Path | str | None, default_dir: Path, *, write: bool = True,
             option: str = OPTION) -> Artifacts:
        """The artifact store at ``location`` (``default_dir`` when None), checked: with
        ``write`` that new evidence can be written there (for an object store, by a probe
        object put and deleted), else that it can be read. Raises ``ConfigError``."""
        parsed = default_dir if location is None else parse_location(location, option)
        target: ArtifactStore
        if isinstance(parsed, S3Location):
            target = S3Artifacts.connect(parsed, option)
        else:
            target = LocalArtifacts(parsed, option)
        target.check(write)
        return cls(target)

    @classmethod
    def local(cls, root: Path) -> Artifacts:
        return cls(LocalArtifacts(root))

    @property
    def local_dir(self) -> Path | None:
        """The folder new evidence goes to (None when it goes to an object store)."""
        return self.target.root if isinstance(self.target, LocalArtifacts) else None

    @property
    def shown(self) -> str:
        return self.target.shown

    def put(self, rel: str, data: bytes, *, once: bool = False) -> str:
        """Store ``data`` at ``rel`` under the root; return its URL."""
        return self.target.put(rel, data, once=once)

    def reference(self, rel: str, url: str) -> str:
        """What a table with a single location column stores (``store_checks.
        artifact_path``): the path relative to a local folder, else the URL."""
        return rel if isinstance(self.target, LocalArtifacts) else url

    def read(self, path: str, url: str | None = None) -> bytes:
        """The bytes of a stored file; ``path`` may itself be a URL (a single-column
        reference). ``ArtifactNotFound`` when it is not where the row says."""
        url = url or (path if scheme_of(path) else None)
        if url is not None and scheme_of(url) == S3_SCHEME:
            return read_object(self._s3_client(url), url)
        local = self.local_file(path, url)
        if local is not None:
            return read_file(local)
        if url is None:
            return self.target.get(path)
        raise ArtifactNotFound(f"{shown_location(url)}: no such file (nor {path} under "
                               f"{self.shown})")

    def read_stored(self, f: StoredFile) -> bytes:
        return self.read(f.path, f.url)

    def local_file(self, path: str, url: str | None = None) -> Path | None:
        """The local file that holds this evidence, if there is one on this machine."""
        candidates: list[Path] = []
        if isinstance(self.target, LocalArtifacts) and scheme_of(path) is None:
            candidates.append(self.target.path_of(path))
        if url is not None and scheme_of(url) == "file":
            candidates.append(file_url_path(url))
        return next((p for p in candidates if p.is_file()), None)

    def where(self, path: str, url: str | None = None) -> str:
        """Where a stored file is, as it may be printed: its local path, else its URL."""
        local = self.local_file(path, url)
        if local is not None:
            return display_path(local)
        if url is not None:
            return shown_location(url)
        if isinstance(self.target, LocalArtifacts):
            return display_path(self.target.path_of(path))
        return self.target.url_of(path)

    def _s3_client(self, url: str) -> S3Client:
        if isinstance(self.target, S3Artifacts):
            return self.target.client
        with self._lock:
            if self._client is None:
                self._client = make_client(shown_location(url))
            return self._client


__all__ = [
    "ArtifactError",
    "ArtifactNotFound",
    "ArtifactStore",
    "Artifacts",
    "LocalArtifacts",
    "StoredFile",
    "file_url_path",
    "read_file",
]
