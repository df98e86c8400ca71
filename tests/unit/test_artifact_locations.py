"""``--artifacts`` values: folders, ``file://`` and ``s3://`` URLs, and the one-paragraph
errors for the ones that are not (no network here); the local artifact store's writes and
reads, old rows (no URL) included."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from harness.storage.artifacts import Artifacts, LocalArtifacts
from harness.storage.locations import (
    ArtifactNotFound,
    S3Location,
    artifacts_option,
    parse_location,
    shown_location,
)
from harness.support.errors import ConfigError


@pytest.mark.parametrize(("value", "expected"), [
    ("s3://evidence", S3Location("evidence", "")),
    ("s3://evidence/", S3Location("evidence", "")),
    ("s3://evidence/nightly", S3Location("evidence", "nightly")),
    ("S3://evidence//nightly/2024/", S3Location("evidence", "nightly/2024")),
    ("s3://my.bucket-1/a/b", S3Location("my.bucket-1", "a/b")),
])
def test_s3_urls_become_a_bucket_and_a_prefix(value: str, expected: S3Location) -> None:
    assert parse_location(value) == expected
    assert artifacts_option(value) == expected.url


def test_folders_stay_paths(tmp_path: Path) -> None:
    assert parse_location("some/dir") == Path("some/dir")
    assert parse_location(tmp_path) == tmp_path
    assert parse_location(tmp_path.as_uri()) == tmp_path
    assert artifacts_option(str(tmp_path)) == tmp_path
    assert artifacts_option(None) is None and artifacts_option("  ") is None


def test_object_keys_and_urls() -> None:
    loc = S3Location("evidence", "nightly/2024")
    assert loc.url == "s3://evidence/nightly/2024"
    assert loc.key("run/m/000-page_source.xml") == "nightly/2024/run/m/000-page_source.xml"
    assert S3Location("evidence").url_of("a.png") == "s3://evidence/a.png"


@pytest.mark.parametrize(("value", "problem"), [
    ("s3://", "names no bucket"),
    ("s3:///prefix", "names no bucket"),
    ("s3://Evidence/x", "'Evidence' is not a valid bucket name"),
    ("s3://ab/x", "'ab' is not a valid bucket name"),
    ("s3://bad_bucket/x", "'bad_bucket' is not a valid bucket name"),
    ("s3://a..b/x", "not a valid bucket name"),
    ("s3://192.168.1.10/x", "is an IP address"),
    ("s3://evidence/x?versionId=3", "no query or fragment"),
    ("s3://evidence/a/../b", "'..' segment"),
    ("gs://evidence/x", "cannot be stored at a gs:// URL"),
    ("https://example.org/evidence", "cannot be stored at a https:// URL"),
    ("file://otherhost/srv/evidence", "not on host 'otherhost'"),
])
def test_bad_urls_are_one_paragraph_naming_the_option(value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_location(value)
    text = str(info.value)
    assert text.startswith("--artifacts=") and problem in text, text
    assert "s3://bucket/prefix" in text or "s3://evidence/nightly" in text


def test_credentials_in_a_url_are_refused_and_never_repeated() -> None:
    with pytest.raises(ConfigError) as info:
        parse_location("s3://AKIAEXAMPLE:wJalrXUtnFEMI@evidence/nightly")
    text = str(info.value)
    assert "carries credentials" in text and "AWS_ACCESS_KEY_ID" in text
    assert "AKIAEXAMPLE" not in text and "wJalrXUtnFEMI" not in text
    assert "s3://***@evidence/nightly" in text
    assert shown_location("s3://k:s@b/p") == "s3://***@b/p"


def test_local_writes_are_whole_files_with_a_file_url(tmp_path: Path) -> None:
    artifacts = Artifacts.local(tmp_path / "artifacts")
    url = artifacts.put("run/m/000-page_source.xml", b"<hierarchy/>")
    path = tmp_path / "artifacts" / "run" / "m" / "000-page_source.xml"
    assert url == path.resolve().as_uri() and path.read_bytes() == b"<hierarchy/>"
    assert not list(path.parent.glob("*.tmp"))
    assert artifacts.read("run/m/000-page_source.xml", url) == b"<hierarchy/>"
    # content-addressed: a file already there is kept
    assert artifacts.put("run/m/000-page_source.xml", b"other", once=True) == url
    assert path.read_bytes() == b"<hierarchy/>"


def test_rows_without_a_url_and_moved_folders_are_read(tmp_path: Path) -> None:
    old = Artifacts.local(tmp_path / "old")
    url = old.put("r/m/001-screenshot.png", b"\x89PNG...")
    # a row written before schema 0005: a path relative to the artifacts folder only
    assert old.read("r/m/001-screenshot.png") == b"\x89PNG..."
    (tmp_path / "old").rename(tmp_path / "moved")
    moved = Artifacts.local(tmp_path / "moved")
    assert moved.read("r/m/001-screenshot.png", url) == b"\x89PNG..."
    assert moved.read("r/m/001-screenshot.png") == b"\x89PNG..."
    with pytest.raises(ArtifactNotFound, match="no such file"):
        Artifacts.local(tmp_path / "elsewhere").read("r/m/001-screenshot.png", url)
    # a reader whose folder is elsewhere still finds a file where its file:// URL says
    (tmp_path / "moved").rename(tmp_path / "old")
    assert Artifacts.local(tmp_path / "elsewhere").read("r/m/001-screenshot.png",
                                                        url) == b"\x89PNG..."


def test_a_folder_that_cannot_be_written_is_refused_before_anything(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="is not a folder"):
        Artifacts.open(blocker / "artifacts", tmp_path, write=True)
    # readers do not need to write
    assert Artifacts.open(blocker / "artifacts", tmp_path, write=False).local_dir == (
        blocker / "artifacts")
    assert isinstance(Artifacts.open(None, tmp_path / "x").target, LocalArtifacts)
    assert not (tmp_path / "x").exists()  # opening creates nothing


def test_importing_the_harness_does_not_need_boto3(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked" / "boto3"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text("raise ImportError('boto3 is blocked here')\n")
    code = ("import harness.storage, harness.storage.store, harness.cli.main, "
            "harness.analysis.report\n"
            "from harness.storage.artifacts import Artifacts\n"
            "a = Artifacts.open(None, __import__('pathlib').Path('.'), write=False)\n"
            "print(hashlib.sha256(b'ok').hexdigest()[:4])")
    proc = subprocess.run([sys.executable, "-c", "import hashlib\n" + code],
                          env={"PYTHONPATH": str(tmp_path / "blocked"), "PATH": "/usr/bin"},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == hashlib.sha256(b"ok").hexdigest()[:4]
