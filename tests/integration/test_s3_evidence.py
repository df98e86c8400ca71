"""Evidence where a farm keeps it, end to end: ``harness demo`` (a few demo apps from a
few profiles) with ``--artifacts s3://bucket/prefix`` against a real S3-compatible server
on loopback (moto in server mode), then ``harness show``, ``harness report`` and
``harness reclassify`` reading it back; the pytest plugin; a local folder and rows
written before schema 0005; and each way the location can be wrong, as one paragraph
before any attempt runs."""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from _cli import harness, run_pytest
from objectstore import ObjectStore, environment, free_port

APPS = "demo-zhenming,demo-dialcode,demo-geofence"
COUNTRIES = "DE,HK,US"
N = 9
PREFIX = "nightly/2026-12-02"


@dataclass
class Farm:
    tmp: Path
    s3: ObjectStore
    bucket: str
    stdout: str

    @property
    def db(self) -> Path:
        return self.tmp / "results.db"

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{PREFIX}"


def artifact_rows(db: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    out = conn.execute("select a.*, m.scenario_id, m.profile_id from artifacts a join "
                       "measurements m on m.id = a.measurement_id order by a.id").fetchall()
    conn.close()
    return out


def measurement_id(db: Path, app: str, profile: str) -> str:
    conn = sqlite3.connect(db)
    [(mid,)] = conn.execute("select id from measurements where scenario_id = ? and "
                            "profile_id = ?", (app, profile)).fetchall()
    conn.close()
    return str(mid)


@pytest.fixture(scope="module")
def farm(object_store: ObjectStore, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Farm]:
    """One demo run into a new bucket; the module's commands share its environment."""
    tmp = tmp_path_factory.mktemp("s3farm")
    values, removed = environment(object_store.endpoint, tmp)
    with pytest.MonkeyPatch.context() as mp:
        for name in removed:
            mp.delenv(name, raising=False)
        for name, value in values.items():
            mp.setenv(name, value)
        bucket = object_store.new_bucket()
        proc = harness(["demo", "--country", COUNTRIES, "--app", APPS, "--db",
                        str(tmp / "results.db"), "--artifacts", f"s3://{bucket}/{PREFIX}",
                        "--workers", "3", "--report", str(tmp / "site" / "run.html")], tmp)
        assert proc.returncode == 0, proc.stderr[-3000:]
        yield Farm(tmp, object_store, bucket, proc.stdout)


def test_every_evidence_file_is_in_the_bucket_with_its_url_and_hash(farm: Farm) -> None:
    arts = artifact_rows(farm.db)
    assert len({a["measurement_id"] for a in arts}) == N
    objects = farm.s3.objects(farm.bucket)
    assert sorted(objects) == sorted(f"{PREFIX}/{a['path']}" for a in arts)
    for a in arts:
        assert a["url"] == f"{farm.url}/{a['path']}"
        data = objects[f"{PREFIX}/{a['path']}"]
        assert hashlib.sha256(data).hexdigest() == a["sha256"] and len(data) == a["size"]
        if a["kind"] == "screenshot":
            assert data.startswith(b"\x89PNG")
    assert {a["kind"] for a in arts} == {"page_source", "screenshot"}
    # nothing was written beside the database, and no credential reached a row
    assert not (farm.tmp / "artifacts").exists()
    conn = sqlite3.connect(farm.db)
    dump = "\n".join(repr(conn.execute(f"select * from {t}").fetchall())
                     for t in ("runs", "measurements", "steps", "artifacts"))
    conn.close()
    assert "testing-secret-value" not in dump and "testing-key-id" not in dump


def test_show_prints_the_evidence_from_the_bucket(farm: Farm) -> None:
    mid = measurement_id(farm.db, "demo-zhenming", "DE")
    proc = harness(["show", mid[:12], "--db", str(farm.db)], farm.tmp)
    assert proc.returncode == 0, proc.stderr
    assert "id_verification_required" in proc.stdout
    listed = re.findall(r"step \d+: (?:page_source|screenshot) (\S+) \(\d+ bytes\)(.*)",
                        proc.stdout)
    assert listed and all(url.startswith(f"{farm.url}/") for url, _ in listed)
    assert all(flag.strip() == "" for _, flag in listed), proc.stdout
    page = harness(["show", mid[:12], "--db", str(farm.db), "--page-source"], farm.tmp)
    assert page.returncode == 0, page.stderr
    assert page.stdout.startswith("<?xml") and "<hierarchy" in page.stdout
    conn = sqlite3.connect(farm.db)
    [(matched,)] = conn.execute("select matched_text from measurements where id = ?",
                                (mid,)).fetchall()
    conn.close()
    assert matched and matched[:4] in page.stdout


def test_show_saves_the_evidence_and_names_a_missing_object(farm: Farm) -> None:
    mid = measurement_id(farm.db, "demo-dialcode", "DE")
    out = farm.tmp / "saved"
    proc = harness(["show", mid, "--db", str(farm.db), "--save", str(out)], farm.tmp)
    assert proc.returncode == 0, proc.stderr
    arts = [a for a in artifact_rows(farm.db) if a["measurement_id"] == mid]
    assert sorted(p.name for p in out.iterdir()) == sorted(Path(a["path"]).name
                                                           for a in arts)
    for a in arts:
        assert hashlib.sha256((out / Path(a["path"]).name).read_bytes()).hexdigest() == (
            a["sha256"])
    gone = next(a for a in arts if a["kind"] == "screenshot")
    key = f"{PREFIX}/{gone['path']}"
    body = farm.s3.client.get_object(Bucket=farm.bucket, Key=key)["Body"].read()
    farm.s3.client.delete_object(Bucket=farm.bucket, Key=key)
    try:
        proc = harness(["show", mid, "--db", str(farm.db)], farm.tmp)
        farm.s3.client.put_object(Bucket=farm.bucket, Key=key, Body=b"tampered")
        tampered = harness(["show", mid, "--db", str(farm.db)], farm.tmp)
    finally:
        farm.s3.client.put_object(Bucket=farm.bucket, Key=key, Body=body)
    assert proc.returncode == 0 and proc.stdout.count("(missing)") == 1
    assert f"{farm.url}/{gone['path']}" in proc.stdout
    assert tampered.stdout.count("(sha256 mismatch)") == 1


def report_links(html: str) -> list[str]:
    return re.findall(r"<a href='([^'#][^']*)'>(?:screenshot|page source)</a>", html)


def check_offline(report: Path, farm: Farm, expected: int) -> None:
    """Every evidence link of ``report`` is a relative path to a copy beside it whose bytes
    are the row's; nothing points at the network or the bucket."""
    html = report.read_text(encoding="utf-8")
    links = report_links(html)
    assert len(links) == expected, links[:4]
    by_path = {a["path"]: a["sha256"] for a in artifact_rows(farm.db)}
    for href in links:
        assert href.startswith("evidence/"), href
        target = report.parent / href
        assert target.is_file(), href
        rel = href.removeprefix("evidence/")
        assert hashlib.sha256(target.read_bytes()).hexdigest() == by_path[rel]
    assert "s3://" not in html
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", html)
    assert "missing</span>" not in html


def test_the_runs_report_opens_offline(farm: Farm) -> None:
    check_offline(farm.tmp / "site" / "run.html", farm, 2 * N)


def test_harness_report_copies_the_evidence_it_links(farm: Farm) -> None:
    out = farm.tmp / "analyst" / "report.html"
    proc = harness(["report", "--db", str(farm.db), "--include-simulated", "--out",
                    str(out)], farm.tmp)
    assert proc.returncode == 0, proc.stderr
    check_offline(out, farm, 2 * N)
    # a second rendering reuses the copies whose hash matches
    copies = sorted((out.parent / "evidence").rglob("*"))
    stamp = {p: p.stat().st_mtime_ns for p in copies if p.is_file()}
    again = harness(["report", "--db", str(farm.db), "--include-simulated", "--out",
                     str(out)], farm.tmp)
    assert again.returncode == 0, again.stderr
    assert {p: p.stat().st_mtime_ns for p in stamp} == stamp


def test_reclassify_reads_the_page_sources_from_the_bucket(farm: Farm) -> None:
    proc = harness(["reclassify", "--db", str(farm.db), "--force", "--scenarios",
                    "scenarios/demo"], farm.tmp)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"{N} measurements reclassified" in proc.stdout, proc.stdout
    assert "(0 changed," in proc.stdout and "missing" not in proc.stdout
    conn = sqlite3.connect(farm.db)
    paths = [p for (p,) in conn.execute("select artifact_path from reclassifications "
                                        "where artifact_path is not null")]
    conn.close()
    assert paths and all(p.startswith(f"{farm.url}/") for p in paths)


def test_the_pytest_plugin_stores_its_evidence_in_the_bucket(farm: Farm) -> None:
    bucket = farm.s3.new_bucket()
    db = farm.tmp / "pytest.db"
    proc = run_pytest(["scenarios/demo", "--backend=sim", "--country=DE",
                       "--app=demo-geofence,demo-zhenming", "--db", str(db),
                       "--artifacts", f"s3://{bucket}/pytest"], farm.tmp)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    arts = artifact_rows(db)
    assert len({a["measurement_id"] for a in arts}) == 2
    objects = farm.s3.objects(bucket)
    assert sorted(objects) == sorted(f"pytest/{a['path']}" for a in arts)
    assert all(a["url"] == f"s3://{bucket}/pytest/{a['path']}" for a in arts)


def test_a_local_folder_and_rows_without_a_url_still_read(farm: Farm) -> None:
    tmp = farm.tmp / "local"
    tmp.mkdir()
    db = tmp / "results.db"
    proc = harness(["demo", "--country", "DE", "--app", "demo-zhenming,demo-geofence",
                    "--db", str(db), "--artifacts", str(tmp / "evidence"), "--report",
                    str(tmp / "run.html")], farm.tmp)
    assert proc.returncode == 0, proc.stderr[-2000:]
    arts = artifact_rows(db)
    for a in arts:
        path = tmp / "evidence" / a["path"]
        assert a["url"] == path.resolve().as_uri()
        assert hashlib.sha256(path.read_bytes()).hexdigest() == a["sha256"]
    assert set(report_links((tmp / "run.html").read_text("utf-8"))) <= {
        f"evidence/{a['path']}" for a in arts}
    # rows as schema 0004 wrote them (no URL), in a folder that has since moved
    conn = sqlite3.connect(db)
    conn.execute("update artifacts set url = null")
    conn.commit()
    conn.close()
    shutil.move(tmp / "evidence", tmp / "moved")
    mid = measurement_id(db, "demo-zhenming", "DE")
    show = harness(["show", mid, "--db", str(db), "--artifacts", str(tmp / "moved")],
                   farm.tmp)
    assert show.returncode == 0 and "(missing)" not in show.stdout, show.stdout
    assert str(tmp / "moved") in show.stdout.replace("\n", "")
    lost = harness(["show", mid, "--db", str(db)], farm.tmp)
    assert "(missing)" in lost.stdout
    again = harness(["reclassify", "--db", str(db), "--artifacts", str(tmp / "moved"),
                     "--force", "--scenarios", "scenarios/demo"], farm.tmp)
    assert again.returncode == 0, again.stderr
    assert "2 measurements reclassified" in again.stdout
    assert "missing" not in again.stdout


# --------------------------------------------------------------------------- errors


def measured(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("select count(*) from measurements").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def run_with(farm: Farm, artifacts: str, tmp: Path, env: dict[str, str] | None = None
             ) -> str:
    """``harness run`` on the simulator with ``--artifacts``; its one-paragraph error."""
    db = tmp / "r.db"
    proc = harness(["run", "scenarios/demo", "--backend", "sim", "--country", "DE",
                    "--app", "demo-geofence", "--db", str(db), "--artifacts", artifacts],
                   tmp, extra_env=env)
    err = proc.stderr.strip()
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert err.startswith("error: --artifacts="), err
    assert "Traceback" not in err and "\n\n" not in err
    assert measured(db) == 0  # before any attempt
    return err


@pytest.mark.parametrize(("url", "says"), [
    ("s3://Not_A_Bucket/x", "'Not_A_Bucket' is not a valid bucket name"),
    ("gs://evidence/nightly", "evidence cannot be stored at a gs:// URL"),
])
def test_a_malformed_url_or_unknown_scheme(farm: Farm, tmp_path: Path, url: str,
                                           says: str) -> None:
    """(tests/unit/test_artifact_locations.py has every malformed form.)"""
    err = run_with(farm, url, tmp_path)
    assert says in err and "s3://bucket/prefix" in err


def test_a_bucket_that_does_not_exist(farm: Farm, tmp_path: Path) -> None:
    err = run_with(farm, "s3://no-such-bucket-at-all/x", tmp_path)
    assert "bucket 'no-such-bucket-at-all' does not exist at http://127.0.0.1:" in err


def test_missing_credentials(farm: Farm, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    err = run_with(farm, farm.url, tmp_path)
    assert "no credentials for the object store were found" in err
    assert "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in err


def test_an_endpoint_that_does_not_answer(farm: Farm, tmp_path: Path) -> None:
    port = free_port()
    err = run_with(farm, farm.url, tmp_path,
                   env={"HARNESS_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}"})
    assert f"the object store at http://127.0.0.1:{port} does not answer" in err


def test_no_write_permission(farm: Farm, tmp_path: Path) -> None:
    key_id, secret = farm.s3.read_only_keys(farm.bucket)
    with farm.s3.enforcing_auth():
        err = run_with(farm, f"{farm.url}/more", tmp_path,
                       env={"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret})
    assert f"the credentials may not write under {farm.url}/more (AccessDenied)" in err
    assert "s3:PutObject" in err and secret not in err


def test_boto3_not_installed(farm: Farm, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked" / "boto3"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text("raise ImportError('not installed here')\n")
    err = run_with(farm, farm.url, tmp_path,
                   env={"PYTHONPATH": str(tmp_path / "blocked")})
    assert "needs boto3, which is not installed" in err
    assert "pip install 'rnr-harness[s3]'" in err


def test_the_pytest_plugin_refuses_a_missing_bucket_before_any_item(farm: Farm,
                                                                    tmp_path: Path) -> None:
    proc = run_pytest(["scenarios/demo", "--backend=sim", "--country=DE",
                       "--app=demo-geofence", "--db", str(tmp_path / "r.db"),
                       "--artifacts", "s3://no-such-bucket-at-all/x"], tmp_path)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 4, text
    assert text.count("bucket 'no-such-bucket-at-all' does not exist") == 1
    assert "Traceback" not in text and measured(tmp_path / "r.db") == 0
