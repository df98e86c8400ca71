"""A real S3-compatible server on loopback for the evidence tests: moto in server mode.

``started()`` runs ``moto.server.ThreadedMotoServer`` on 127.0.0.1 on a free port and
stops it afterwards. ``environment()`` is what a run needs to reach it with dummy
credentials and nothing else of the machine's AWS setup (no profile, no ``~/.aws``, no
instance metadata). ``read_only_keys`` and ``enforcing_auth`` turn on moto's IAM checks to
give credentials that may read a bucket but not write it.
"""

from __future__ import annotations

import hashlib
import json
import socket
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DUMMY_KEY = "testing-key-id"
DUMMY_SECRET = "testing-secret-value"
#: Variables of the machine's own AWS setup that a test must not inherit.
AWS_VARS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
            "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(endpoint: str, home: Path) -> tuple[dict[str, str], tuple[str, ...]]:
    """(variables to set, variables to remove) for a run against ``endpoint``."""
    return ({"AWS_ACCESS_KEY_ID": DUMMY_KEY, "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET,
             "AWS_DEFAULT_REGION": "us-east-1", "HARNESS_S3_ENDPOINT_URL": endpoint,
             "AWS_CONFIG_FILE": str(home / "no-aws-config"),
             "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
             "AWS_EC2_METADATA_DISABLED": "true"}, AWS_VARS)


@dataclass
class ObjectStore:
    """The running server and a client of it (with the dummy credentials)."""

    endpoint: str
    client: Any

    def new_bucket(self, stem: str = "evidence") -> str:
        name = f"{stem}-{uuid.uuid4().hex[:10]}"
        self.client.create_bucket(Bucket=name)
        return name

    def objects(self, bucket: str, prefix: str = "") -> dict[str, bytes]:
        """Every object under ``prefix``: key -> bytes."""
        out: dict[str, bytes] = {}
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                      Prefix=prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                key = obj["Key"]
                out[key] = self.client.get_object(Bucket=bucket, Key=key)["Body"].read()
        return out

    def sha256(self, bucket: str, key: str) -> str:
        body = self.client.get_object(Bucket=bucket, Key=key)["Body"].read()
        return hashlib.sha256(body).hexdigest()

    def read_only_keys(self, bucket: str) -> tuple[str, str]:
        """Access keys of a new IAM user that may list and read ``bucket`` only."""
        import boto3

        iam = boto3.client("iam", endpoint_url=self.endpoint, region_name="us-east-1",
                           aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_SECRET)
        user = f"reader-{uuid.uuid4().hex[:8]}"
        iam.create_user(UserName=user)
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "s3:HeadBucket"],
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}
        iam.put_user_policy(UserName=user, PolicyName="read-only",
                            PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        return str(key["AccessKeyId"]), str(key["SecretAccessKey"])

    def _auth_after(self, count: str) -> None:
        req = urllib.request.Request(f"{self.endpoint}/moto-api/reset-auth",
                                     data=count.encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()

    @contextmanager
    def enforcing_auth(self) -> Iterator[None]:
        """Within the block the server checks every request against IAM policies."""
        self._auth_after("0")
        try:
            yield
        finally:
            self._auth_after("inf")


@contextmanager
def started() -> Iterator[ObjectStore]:
    """A moto server on 127.0.0.1 on a free port, stopped at the end."""
    import boto3
    from botocore.config import Config
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_SECRET,
                          config=Config(s3={"addressing_style": "path"}))
    try:
        yield ObjectStore(endpoint, client)
    finally:
        server.stop()
