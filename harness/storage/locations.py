"""Where evidence is kept: a folder, or an object-store prefix named by an ``s3://`` URL.

``--artifacts`` (and ``RunConfig.artifacts_dir``) holds either. A value is read here,
without touching the network, so that a malformed URL or an unknown scheme is one
paragraph naming the option before anything runs; whether the bucket answers is checked
when the store opens (``harness.storage.artifacts``).

A URL never carries credentials: they come from the standard AWS chain (environment,
``~/.aws``, an instance role), so a URL given with a user part is refused, and no message
repeats that part.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from harness.support.errors import ConfigError, HarnessError

#: The option every message names.
OPTION = "--artifacts"
S3_SCHEME = "s3"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_EXAMPLE = "--artifacts s3://evidence/nightly  (or a folder: --artifacts /srv/artifacts)"


class ArtifactError(HarnessError):
    """An evidence file could not be written or read; the message names its URL."""


class ArtifactNotFound(ArtifactError):
    """The evidence file a row points at is not where the row says."""


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key prefix (no leading or trailing slash; ``""`` for the bucket's
    root)."""

    bucket: str
    prefix: str = ""

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def key(self, rel: str) -> str:
        rel = rel.lstrip("/")
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def url_of(self, rel: str) -> str:
        return f"s3://{self.bucket}/{self.key(rel)}"


@dataclass(frozen=True)
class StoredFile:
    """One stored evidence file as a row describes it: its path relative to the artifacts
    root, its URL (None in rows written before schema 0005) and the SHA-256 of its bytes."""

    path: str
    url: str | None = None
    sha256: str | None = None


Location = Path | S3Location


def scheme_of(value: str) -> str | None:
    """The URL scheme of ``value`` (lower case), or None for a path."""
    m = _SCHEME.match(value)
    return m.group(1).lower() if m else None


def shown_location(value: str) -> str:
    """``value`` as it may be printed: a URL without any user part."""
    if scheme_of(value) is None or "@" not in value.split("/", 3)[2]:
        return value
    scheme, rest = value.split("://", 1)
    netloc, _, path = rest.partition("/")
    return f"{scheme}://***@{netloc.rsplit('@', 1)[1]}" + (f"/{path}" if path else "")


def parse_location(value: Path | str, option: str = OPTION) -> Location:
    """A folder (a ``Path``, a plain path, a ``file://`` URL) or an ``S3Location``.

    Raises ``ConfigError`` naming ``option`` for a malformed ``s3://`` URL or a scheme
    the harness does not store evidence in.
    """
    if isinstance(value, Path):
        return value
    text = value.strip()
    scheme = scheme_of(text)
    if scheme is None:
        return Path(text).expanduser()
    if scheme == "file":
        parts = urlsplit(text)
        if parts.netloc not in ("", "localhost"):
            raise ConfigError(f"{option}={shown_location(text)}", None,
                              "a file:// URL names a folder on this machine, not on host "
                              f"{parts.netloc!r}", "Write it file:///path/to/folder",
                              _EXAMPLE)
        return Path(unquote(parts.path))
    if scheme != S3_SCHEME:
        raise ConfigError(f"{option}={shown_location(text)}", None,
                          f"evidence cannot be stored at a {scheme}:// URL",
                          "Give a folder, or an object-store prefix as s3://bucket/prefix "
                          "(any S3-compatible store: set HARNESS_S3_ENDPOINT_URL or "
                          "AWS_ENDPOINT_URL_S3 to its address)", _EXAMPLE)
    return parse_s3_url(text, option)


def parse_s3_url(url: str, option: str = OPTION) -> S3Location:
    """``s3://bucket[/prefix]`` as a location; ``ConfigError`` when it is not one."""
    shown = f"{option}={shown_location(url)}"
    rest = url.split("://", 1)[1]
    netloc, _, raw_prefix = rest.partition("/")
    if "@" in netloc:
        raise ConfigError(shown, None, "the URL carries credentials",
                          "Remove them from the URL; the object store's credentials come "
                          "from the environment (AWS_ACCESS_KEY_ID and "
                          "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE), never from an option",
                          _EXAMPLE)
    if "?" in rest or "#" in rest:
        raise ConfigError(shown, None, "an s3:// URL takes no query or fragment",
                          "Give only the bucket and the prefix", _EXAMPLE)
    problem = _bucket_problem(netloc)
    if problem:
        raise ConfigError(shown, None, problem,
                          "Write the URL as s3://bucket/prefix, the bucket's name in lower "
                          "case (3 to 63 letters, digits, dots and hyphens)", _EXAMPLE)
    segments = [s for s in raw_prefix.split("/") if s]
    if any(s in (".", "..") for s in segments) or any(ord(c) < 32 for c in raw_prefix):
        raise ConfigError(shown, None, "the prefix has a '.' or '..' segment or a control "
                          "character", "Give a plain prefix such as nightly/2024", _EXAMPLE)
    return S3Location(netloc, "/".join(segments))


def _bucket_problem(bucket: str) -> str | None:
    if not bucket:
        return "the URL names no bucket"
    if not _BUCKET.match(bucket) or ".." in bucket:
        return f"{bucket!r} is not a valid bucket name"
    try:
        ipaddress.ip_address(bucket)
    except ValueError:
        return None
    return f"{bucket!r} is an IP address, not a bucket name"


def parse_s3_object(url: str) -> tuple[str, str]:
    """``(bucket, key)`` of a stored object's ``s3://bucket/key`` URL."""
    rest = url.split("://", 1)[1] if "://" in url else url
    bucket, _, key = rest.partition("/")
    if not bucket or not key:
        raise ArtifactError(f"{shown_location(url)}: not the URL of a stored object "
                            "(s3://bucket/key)")
    return bucket, key


def artifacts_option(value: str | Path | None, option: str = OPTION) -> Path | str | None:
    """An ``--artifacts`` value checked for its form (no network): a folder as a ``Path``,
    an object-store URL as its normalised ``s3://`` string, None when not given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    parsed = parse_location(value, option)
    return parsed.url if isinstance(parsed, S3Location) else parsed


__all__ = [
    "OPTION",
    "S3_SCHEME",
    "ArtifactError",
    "ArtifactNotFound",
    "Location",
    "S3Location",
    "StoredFile",
    "artifacts_option",
    "parse_location",
    "parse_s3_object",
    "parse_s3_url",
    "scheme_of",
    "shown_location",
]
