"""Evidence in an object store, in-process, against a real S3-compatible server (moto in
server mode on 127.0.0.1): what a store writes there, what the rows say, how any row is
read back, and the one-paragraph errors of a location that cannot be used."""

from __future__ import annotations

import gzip
import hashlib
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from objectstore import ObjectStore, free_port
from sqlalchemy import select, update

from harness.storage import MeasurementStart, Store
from harness.storage.locations import ArtifactNotFound
from harness.storage.models import Artifact
from harness.stores.model import CheckResult, RawResponse, StoreName, StoreObservation
from harness.stores.repository import load_checks, read_raw, save_observations
from harness.support.errors import ConfigError

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def start(run_id: str) -> MeasurementStart:
    return MeasurementStart(run_id=run_id, scenario_id="demo-x", scenario_version=1,
                            app_id="org.x", app_name="X", country="DE", region="europe",
                            profile_id="DE", backend="sim", rules_version="r1")


def one_step(store: Store) -> tuple[str, str]:
    """A run with one measurement whose step saved a page source and a screenshot."""
    rid = store.start_run("sim", "r1")
    mid = store.begin_measurement(start(rid))
    store.record_step(mid, rid, 0, kind="tap", name="tap", stage="signup", line=3,
                      description="tap text=Agree", started_at=datetime.now(UTC),
                      outcome="ok", detail=None,
                      evidence=[("page_source", "<hierarchy>实名认证</hierarchy>".encode(),
                                 ".xml"), ("screenshot", PNG, ".png")])
    return rid, mid


def rows(store: Store) -> list[Artifact]:
    with store.session() as s:
        return list(s.scalars(select(Artifact).order_by(Artifact.id)))


def test_evidence_goes_to_the_bucket_and_the_rows_keep_url_and_hash(
        s3: ObjectStore, db_url: str, tmp_path: Path) -> None:
    bucket = s3.new_bucket()
    store = Store.open(db_url, f"s3://{bucket}/farm/nightly")
    try:
        assert store.artifacts_dir is None and store.artifacts.shown == (
            f"s3://{bucket}/farm/nightly")
        rid, mid = one_step(store)
        arts = rows(store)
    finally:
        store.close()
    objects = s3.objects(bucket)
    assert sorted(objects) == sorted(f"farm/nightly/{a.path}" for a in arts)
    assert [a.path for a in arts] == [f"{rid}/{mid}/000-page_source.xml",
                                      f"{rid}/{mid}/000-screenshot.png"]
    for a in arts:
        assert a.url == f"s3://{bucket}/farm/nightly/{a.path}"
        data = objects[f"farm/nightly/{a.path}"]
        assert hashlib.sha256(data).hexdigest() == a.sha256 and len(data) == a.size
    assert objects[f"farm/nightly/{rid}/{mid}/000-screenshot.png"] == PNG
    head = s3.client.head_object(Bucket=bucket, Key=f"farm/nightly/{arts[1].path}")
    assert head["ContentType"] == "image/png"
    assert not (tmp_path / "artifacts").exists()  # nothing beside the database


def test_any_store_reads_a_rows_object_by_its_url(s3: ObjectStore, tmp_path: Path) -> None:
    """``harness show`` and the report open the database with its default folder; the
    rows' URLs lead to the bucket."""
    bucket = s3.new_bucket()
    db = str(tmp_path / "r.db")
    with_s3 = Store.open(db, f"s3://{bucket}/p")
    one_step(with_s3)
    with_s3.close()
    reader = Store.open(db, writes_evidence=False)
    try:
        arts = rows(reader)
        assert reader.artifacts.read(arts[1].path, arts[1].url) == PNG
        assert reader.artifacts.where(arts[1].path, arts[1].url) == arts[1].url
        assert reader.artifacts.local_file(arts[1].path, arts[1].url) is None
        s3.client.delete_object(Bucket=bucket, Key=f"p/{arts[1].path}")
        with pytest.raises(ArtifactNotFound, match="no such object"):
            reader.artifacts.read(arts[1].path, arts[1].url)
        # a row without a URL, read under an object-store root, is found under its prefix
        with reader.session() as s, s.begin():
            s.execute(update(Artifact).values(url=None))
        opened = Store.open(db, f"s3://{bucket}/p", writes_evidence=False)
        page = opened.artifacts.read(arts[0].path)
        opened.close()
        assert "实名认证" in page.decode()
    finally:
        reader.close()


def test_the_write_probe_leaves_nothing_behind(s3: ObjectStore, tmp_path: Path) -> None:
    bucket = s3.new_bucket()
    Store.open(str(tmp_path / "r.db"), f"s3://{bucket}/nightly").close()
    assert s3.objects(bucket) == {}


def observation(app: str, body: bytes) -> StoreObservation:
    return StoreObservation(app, StoreName.PLAY, f"org.example.{app}", "DE",
                            CheckResult.AVAILABLE, datetime.now(UTC), "play.install_offer",
                            http_status=200, raw=RawResponse(body, ".html"))


def test_raw_store_responses_are_content_addressed_in_the_bucket(s3: ObjectStore,
                                                                 tmp_path: Path) -> None:
    bucket = s3.new_bucket()
    store = Store.open(str(tmp_path / "r.db"), f"s3://{bucket}/checks")
    body = b"<html>install</html>" * 50
    try:
        assert save_observations(store, [observation("a", body), observation("b", body)]) == 2
        assert save_observations(store, [observation("c", body)]) == 1
        checks = load_checks(store)
        paths = {c.artifact_path for c in checks}
        assert len(paths) == 1
        [path] = paths
        assert path is not None and path.startswith(f"s3://{bucket}/checks/stores/play/")
        assert read_raw(store.artifacts, path) == body
    finally:
        store.close()
    objects = s3.objects(bucket)
    assert len(objects) == 1
    [(key, data)] = objects.items()
    assert f"s3://{bucket}/{key}" == path and gzip.decompress(data) == body
    assert checks[0].artifact_sha256 == hashlib.sha256(body).hexdigest()
    # the reader of a database opened with its default folder reads it by that URL
    reader = Store.open(str(tmp_path / "r.db"), writes_evidence=False)
    try:
        assert read_raw(reader.artifacts, path) == body
    finally:
        reader.close()


# --------------------------------------------------------------------------- errors


def open_error(location: str, tmp_path: Path, write: bool = True) -> str:
    with pytest.raises(ConfigError) as info:
        Store.open(str(tmp_path / "r.db"), location, writes_evidence=write)
    text = str(info.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_a_bucket_that_does_not_exist(s3: ObjectStore, tmp_path: Path) -> None:
    text = open_error("s3://no-such-bucket-here/x", tmp_path)
    assert text.startswith("--artifacts=s3://no-such-bucket-here/x: ")
    assert "bucket 'no-such-bucket-here' does not exist at http://127.0.0.1:" in text
    assert "aws s3 mb s3://no-such-bucket-here" in text


def test_missing_credentials(s3: ObjectStore, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = s3.new_bucket()
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    text = open_error(f"s3://{bucket}/x", tmp_path, write=False)
    assert "no credentials for the object store were found" in text
    assert "AWS_ACCESS_KEY_ID" in text and "AWS_PROFILE" in text


def test_an_endpoint_that_does_not_answer(s3: ObjectStore, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.setenv("HARNESS_S3_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    text = open_error("s3://evidence/x", tmp_path)
    assert f"the object store at http://127.0.0.1:{port} does not answer" in text
    assert "HARNESS_S3_ENDPOINT_URL" in text


def test_an_endpoint_setting_that_is_not_a_url(s3: ObjectStore, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_S3_ENDPOINT_URL", "127.0.0.1:9000")
    text = open_error("s3://evidence/x", tmp_path)
    assert text.startswith("HARNESS_S3_ENDPOINT_URL=127.0.0.1:9000: not an endpoint URL")


def test_credentials_that_may_read_but_not_write(s3: ObjectStore, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = s3.new_bucket()
    key_id, secret = s3.read_only_keys(bucket)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    with s3.enforcing_auth():
        # reading is allowed: a reader opens
        Store.open(str(tmp_path / "r.db"), f"s3://{bucket}/nightly",
                   writes_evidence=False).close()
        text = open_error(f"s3://{bucket}/nightly", tmp_path)
    assert f"the credentials may not write under s3://{bucket}/nightly (AccessDenied)" in text
    assert f"s3:PutObject on arn:aws:s3:::{bucket}/nightly/*" in text
    assert secret not in text and key_id not in text
    assert s3.objects(bucket) == {}


def test_credentials_the_store_does_not_know(s3: ObjectStore, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = s3.new_bucket()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANOTKNOWNHERE0000")
    with s3.enforcing_auth():
        text = open_error(f"s3://{bucket}/nightly", tmp_path)
    assert "access to bucket" in text or "rejected the credentials" in text
    assert "AKIANOTKNOWNHERE0000" not in text and "testing-secret-value" not in text


def test_an_object_store_without_boto3_names_the_extra(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    text = open_error("s3://evidence/nightly", tmp_path)
    assert text.startswith("--artifacts=s3://evidence/nightly: ")
    assert "needs boto3" in text and "pip install 'rnr-harness[s3]'" in text


def test_errors_come_before_the_database_is_migrated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        Store.open(str(tmp_path / "r.db"), "ftp://evidence/x")
    assert not (tmp_path / "r.db").exists() or (tmp_path / "r.db").stat().st_size == 0
