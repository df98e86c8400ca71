"""Evidence in an S3-compatible object store (AWS S3, MinIO, Ceph, moto), through boto3.

boto3 is an optional dependency (``pip install 'rnr-harness[s3]'``), imported only when
an ``s3://`` location is used. The endpoint is boto3's own (``AWS_ENDPOINT_URL_S3``,
``AWS_ENDPOINT_URL``, the profile's ``endpoint_url``, else AWS) unless
``HARNESS_S3_ENDPOINT_URL`` names one; a custom endpoint is addressed path-style, as
MinIO and moto expect. Credentials come from the standard chain (environment,
``AWS_PROFILE`` and ``~/.aws``, an instance role) and never appear in a URL, a row or a
message.

Opening a location for writing puts and deletes one small probe object, so that a
missing bucket, absent or rejected credentials, an endpoint that does not answer or a
prefix the credentials may not write is one paragraph before any attempt runs. An
object is written with one PUT, which S3 applies whole or not at all.
"""

from __future__ import annotations

import mimetypes
import os
import uuid
from typing import TYPE_CHECKING, Any

from harness.storage.locations import (
    OPTION,
    ArtifactError,
    ArtifactNotFound,
    S3Location,
    parse_s3_object,
)
from harness.support.errors import ConfigError, HarnessError
from harness.support.secrets import mask_url

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

#: The harness's own endpoint setting; it wins over boto3's.
ENDPOINT_ENV = "HARNESS_S3_ENDPOINT_URL"
_STANDARD_ENDPOINT_ENVS = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
INSTALL_HINT = "pip install 'rnr-harness[s3]'"
_CREDENTIAL_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
                     "ExpiredToken", "TokenRefreshRequired", "InvalidClientTokenId"}
_DENIED_CODES = {"AccessDenied", "403", "AllAccessDisabled", "Forbidden"}
_MISSING_BUCKET = {"NoSuchBucket"}
_MISSING_KEY = {"NoSuchKey", "404", "NotFound"}


def make_client(where: str) -> S3Client:
    """A thread-safe S3 client for the configured endpoint; ``where`` names the option or
    URL that asked for it, in the error when boto3 is missing."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise ConfigError(where, None, "evidence in an object store needs boto3, which is "
                          "not installed", f"Install it with {INSTALL_HINT}, or give a "
                          "folder instead") from None
    endpoint = os.environ.get(ENDPOINT_ENV) or None
    custom = endpoint or any(os.environ.get(e) for e in _STANDARD_ENDPOINT_ENVS)
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5,
                    read_timeout=60, s3={"addressing_style": "path"} if custom else {})
    session = boto3.session.Session()
    try:
        return session.client("s3", endpoint_url=endpoint, config=config,
                              region_name=session.region_name or "us-east-1")
    except ValueError as exc:
        raise ConfigError(f"{ENDPOINT_ENV}={mask_url(endpoint or '')}"
                          if endpoint else where, None, f"not an endpoint URL ({exc})",
                          "Give the object store's address with its scheme, e.g. "
                          "http://127.0.0.1:9000") from None


def endpoint_of(client: S3Client) -> str:
    """The endpoint a client talks to, as it may be printed."""
    return mask_url(str(client.meta.endpoint_url))


def error_code(exc: BaseException) -> str | None:
    """The S3 error code of a botocore ``ClientError`` (None for any other error)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    err = response.get("Error") or {}
    return str(err.get("Code") or response.get("ResponseMetadata", {}).get(
        "HTTPStatusCode") or "") or None


def _is_botocore_error(exc: BaseException) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(exc, BotoCoreError | ClientError)


def explain(exc: BaseException, client: S3Client, where: str, bucket: str, *,
            writing: S3Location | None = None, of_bucket: bool = False) -> HarnessError:
    """One paragraph for a failed request: ``where`` is the option or URL, ``writing`` the
    location a write was refused under (None when reading), ``of_bucket`` whether the
    request was about the bucket itself (a bare 404 then means there is no bucket)."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError, NoCredentialsError, PartialCredentialsError

    endpoint = endpoint_of(client)
    code = error_code(exc)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return ConfigError(where, None, "no credentials for the object store were found",
                           "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE "
                           "with a profile in ~/.aws/credentials) in the run's environment")
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return ConfigError(where, None, f"the object store at {endpoint} does not answer "
                           f"({type(exc).__name__})", "Check that it runs and is reachable "
                           f"from this machine, or point {ENDPOINT_ENV} (or "
                           "AWS_ENDPOINT_URL_S3) at it, e.g. http://127.0.0.1:9000")
    if code in _MISSING_BUCKET or (code in _MISSING_KEY and of_bucket):
        return ConfigError(where, None, f"bucket {bucket!r} does not exist at {endpoint}",
                           f"Create it first (e.g. `aws s3 mb s3://{bucket}`) or correct the "
                           "bucket's name")
    if code in _CREDENTIAL_CODES:
        return ConfigError(where, None, f"the object store at {endpoint} rejected the "
                           f"credentials ({code})", "Check AWS_ACCESS_KEY_ID and "
                           "AWS_SECRET_ACCESS_KEY (or the AWS_PROFILE in use) for this "
                           "endpoint")
    if code in _DENIED_CODES and writing is not None:
        arn = f"arn:aws:s3:::{bucket}/{writing.key('*')}"
        return ConfigError(where, None, f"the credentials may not write under "
                           f"{writing.url} ({code})", f"Grant them s3:PutObject on {arn}, "
                           "or give a prefix they may write")
    if code in _DENIED_CODES:
        return ConfigError(where, None, f"access to bucket {bucket!r} at {endpoint} was "
                           f"denied ({code}): the credentials are not valid there, or may not "
                           "read it", "Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
                           "the AWS_PROFILE in use), and grant them s3:ListBucket and "
                           "s3:GetObject on the bucket")
    return ArtifactError(f"{where}: the object store at {endpoint} answered "
                         f"{code or type(exc).__name__}: {exc}")


class S3Artifacts:
    """Evidence under one bucket and prefix; ``put`` returns ``s3://bucket/key``."""

    def __init__(self, location: S3Location, client: S3Client, option: str = OPTION) -> None:
        self.location = location
        self.client = client
        self.option = option

    @classmethod
    def connect(cls, location: S3Location, option: str = OPTION) -> S3Artifacts:
        return cls(location, make_client(f"{option}={location.url}"), option)

    @property
    def shown(self) -> str:
        return self.location.url

    def url_of(self, rel: str) -> str:
        return self.location.url_of(rel)

    def check(self, write: bool) -> None:
        """The bucket answers to these credentials; with ``write``, a probe object is put
        under the prefix and deleted (a refused delete is tolerated: evidence is never
        deleted by the harness)."""
        where = f"{self.option}={self.location.url}"
        bucket = self.location.bucket
        try:
            self.client.head_bucket(Bucket=bucket)
        except Exception as exc:
            if not _is_botocore_error(exc):
                raise
            raise explain(exc, self.client, where, bucket, of_bucket=True) from None
        if not write:
            return
        key = self.location.key(f".harness-probe-{uuid.uuid4().hex}")
        try:
            self.client.put_object(Bucket=bucket, Key=key, Body=b"probe")
        except Exception as exc:
            if not _is_botocore_error(exc):
                raise
            raise explain(exc, self.client, where, bucket, writing=self.location) from None
        try:
            self.client.delete_object(Bucket=bucket, Key=key)
        except Exception as exc:
            if not _is_botocore_error(exc):
                raise

    def put(self, rel: str, data: bytes, *, once: bool = False) -> str:
        """Store ``data`` at ``rel`` under the prefix; with ``once`` (content-addressed
        files) an object already there is kept."""
        key = self.location.key(rel)
        url = self.location.url_of(rel)
        if once and self._exists(key):
            return url
        extra: dict[str, Any] = {}
        kind = mimetypes.guess_type(rel)[0]
        if kind and not rel.endswith(".gz"):
            extra["ContentType"] = kind
        try:
            self.client.put_object(Bucket=self.location.bucket, Key=key, Body=data, **extra)
        except Exception as exc:
            if not _is_botocore_error(exc):
                raise
            raise ArtifactError("could not store evidence: "
                                f"{explain(exc, self.client, url, self.location.bucket)}"
                                ) from None
        return url

    def _exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.location.bucket, Key=key)
        except Exception as exc:
            if not _is_botocore_error(exc):
                raise
            if error_code(exc) in _MISSING_KEY:
                return False
            raise explain(exc, self.client, self.location.url_of(key),
                          self.location.bucket) from None
        return True

    def get(self, rel: str) -> bytes:
        return read_object(self.client, self.location.url_of(rel))


def read_object(client: S3Client, url: str) -> bytes:
    """The bytes of the object at ``s3://bucket/key``; ``ArtifactNotFound`` when it is not
    there, another one-paragraph error when the store cannot be read."""
    bucket, key = parse_s3_object(url)
    try:
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as exc:
        if not _is_botocore_error(exc):
            raise
        code = error_code(exc)
        if code in _MISSING_KEY:
            raise ArtifactNotFound(f"{url}: no such object") from None
        raise explain(exc, client, url, bucket) from None


__all__ = [
    "ENDPOINT_ENV",
    "INSTALL_HINT",
    "S3Artifacts",
    "endpoint_of",
    "error_code",
    "explain",
    "make_client",
    "read_object",
]
