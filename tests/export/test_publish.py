"""`harness publish` on a real SQLite database measured on the simulator: the folder
validates as a Frictionless data package, every file is described with its hash, the
JSON Lines envelopes round-trip to the database rows and their evidence, simulated data
is flagged, nothing secret (phone numbers, SMS codes, a database password, keyed hashes)
appears anywhere in it, and a crash or a foreign folder never loses data."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import frictionless
import jsonschema
import pandas as pd
import phonenumbers
import pyarrow.parquet as pq
import pytest
import yaml
from _cli import harness
from databases import BACKENDS, database
from sqlalchemy import text
from sqlalchemy.engine import make_url

from harness.analysis import read_table
from harness.analysis.dictionary import (
    column_description,
    docs_out_of_date,
    missing_descriptions,
    rewrite_docs,
)
from harness.analysis.envelopes import envelopes_frame, read_envelopes
from harness.attempt.run import run_attempt
from harness.attempt.settings import RunnerSettings
from harness.devices.appium import AppiumDevice
from harness.sim import SimServer
from harness.sim.apps import SIM_APPS
from harness.spec.profiles import load_profile
from harness.storage import Store
from harness.storage.db import make_engine
from harness.vocabulary.outcomes import Backend

REPO = Path(__file__).resolve().parents[2]
CFF_SCHEMA = REPO / "tests" / "fixtures" / "cff" / "schema-1.2.0.json"

#: The profiles measured: (locale, language, time zone, the SIM's number).
PROFILES = {"DE": ("de_DE", "de", "Europe/Berlin", "+4915209876543"),
            "HK": ("zh_HK", "zh", "Asia/Hong_Kong", "+85251234987"),
            "US": ("en_US", "en", "America/New_York", "+12015550187")}
APPS = ("dialcode", "zhenming", "quietsms", "gatedpost", "openchat", "friendcheck",
        "geofence")
#: The password of the database URL given to `harness publish`: a canary made up for the
#: test's throwaway cluster, searched for in every published byte.
DB_PASSWORD = "Pw-4711-never-published"


@dataclass
class Measured:
    """The database (a SQLite path or a PostgreSQL URL), and the secrets its attempts
    used."""

    folder: Path
    db: str
    phones: list[str]
    codes: list[str]

    def url_with_password(self) -> str:
        """The URL ``harness publish`` is given: PostgreSQL's with a password (the test
        server trusts local connections, so any password is accepted); SQLite URLs
        cannot carry one."""
        if "://" not in self.db:
            return self.db
        return make_url(self.db).set(password=DB_PASSWORD).render_as_string(
            hide_password=False)


def _measure(folder: Path, sim: SimServer, store: Store) -> None:
    run = store.start_run("sim", "test")
    for cc, (locale, language, zone, number) in PROFILES.items():
        path = folder / f"{cc}.yaml"
        path.write_text(f"country: {cc}\nlocale: {locale}\nlanguage: {language}\n"
                        f"timezone: {zone}\nphone: '{number}'\n"
                        f"device: {{emulator: harness_{cc}}}\n", encoding="utf-8")
        profile = load_profile(path)
        for app in APPS:
            if (cc, app) == ("DE", "quietsms"):
                continue  # its SMS never comes: a 10-second wait that adds nothing here
            run_attempt(store=store, run_id=run, scenario=_scenario(app), profile=profile,
                        phone=profile.resolve_phone(Backend.SIM), backend=Backend.SIM,
                        settings=RunnerSettings(poll_interval=0.05, settle_time=0.5),
                        open_device=lambda caps: AppiumDevice.open(sim.url, caps,
                                                                   backend=Backend.SIM))
    store.finish_run(run)


def _scenario(app: str) -> Any:
    from harness.spec.scenarios import load_scenario

    return load_scenario(REPO / "scenarios" / "demo" / f"{app}.yaml")


@pytest.fixture(scope="module", params=BACKENDS)
def measured(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Measured]:
    """Every demo app from three profiles on the simulator, into a real database (a SQLite
    file, then PostgreSQL) with its evidence; the simulator's apps are kept, so the SMS
    codes they sent are known."""
    folder = tmp_path_factory.mktemp(f"measured-{request.param}")
    with database(request.param, folder) as db:
        yield _measured(folder, db)


def _measured(folder: Path, db: str) -> Measured:
    made: list[Any] = []

    def keep(factory: Any) -> Any:
        def make() -> Any:
            made.append(factory())
            return made[-1]
        return make

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HARNESS_HASH_KEY", "publish-test-key")
        store = Store.open(db, folder / "artifacts")
        try:
            with SimServer(apps={pkg: keep(f) for pkg, f in SIM_APPS.items()}) as sim:
                _measure(folder, sim, store)
        finally:
            store.close()
    codes = [a.sent.code for a in made if getattr(a, "sent", None) is not None]
    assert len(codes) >= 10  # the apps that send a code did
    return Measured(folder, db, [p[3] for p in PROFILES.values()], codes)


@pytest.fixture(scope="module")
def published(measured: Measured) -> tuple[Path, Any]:
    """`harness publish` through the CLI (from a URL with a password on PostgreSQL)."""
    out = measured.folder / "open-data"
    proc = harness(["publish", "--db", measured.url_with_password(), "--include-simulated",
                    "--out", str(out), "--author", "Example Lab", "--package-version",
                    "1.0.0"], measured.folder)
    assert proc.returncode == 0, proc.stderr
    return out, proc


def _package(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "datapackage.json").read_text(encoding="utf-8")))


def test_the_folder_validates_as_a_frictionless_data_package(published: tuple[Path, Any]
                                                             ) -> None:
    out, _ = published
    report = frictionless.validate(str(out / "datapackage.json"))
    problems = [(t.name, [e.message for e in t.errors][:3]) for t in report.tasks
                if not t.valid]
    assert report.valid, (report.errors, problems)
    assert len(report.tasks) == len(_package(out)["resources"])
    rows = {t.name: t.stats["rows"] for t in report.tasks if t.type == "table"}
    assert rows["measurements"] == rows["measurements-csv"] == rows["measurements-parquet"]
    assert rows["measurements"] == 20


def test_every_file_is_a_described_resource_with_its_hash(published: tuple[Path, Any]
                                                         ) -> None:
    out, _ = published
    package = _package(out)
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    paths = [r["path"] for r in package["resources"]]
    assert set(paths) == on_disk - {"datapackage.json"} and len(paths) == len(set(paths))
    for r in package["resources"]:
        data = (out / r["path"]).read_bytes()
        assert r["hash"] == "sha256:" + hashlib.sha256(data).hexdigest(), r["path"]
        assert r.get("bytes", len(data)) == len(data)
        assert r["title"] and r["description"] and r["mediatype"] and r["format"]
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert package["version"] == "1.0.0" and package["created"].endswith("Z")
    assert package["contributors"] == [{"title": "Example Lab", "roles": ["creator"]}]
    by_region = next(r for r in package["resources"] if r["path"] == "tables/by_region.csv")
    fields = {f["name"]: f for f in by_region["schema"]["fields"]}
    assert fields["barrier_ci_method"]["description"] == column_description(
        "by_region", "barrier_ci_method")
    assert fields["ci_clusters"]["type"] == "integer"
    # the data dictionary names every file and every column, from the same descriptions
    dictionary = (out / "data-dictionary.md").read_text(encoding="utf-8")
    assert all(f"`{p}`" in dictionary for p in paths)
    assert column_description("by_region", "ci_clusters") in dictionary
    assert "`vantage.matches.sim_country`" in dictionary and "`evidence[].sha256`" in dictionary


def _db_rows(db: str) -> tuple[dict[str, Any], dict[str, list[tuple[str, str]]]]:
    """The database's measurements (id -> row mapping) and evidence, read directly."""
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            rows = {r["id"]: r for r in conn.execute(text(
                "select * from measurements")).mappings()}
            files: dict[str, list[tuple[str, str]]] = {}
            for mid, path, sha in conn.execute(text(
                    "select measurement_id, path, sha256 from artifacts order by id")):
                files.setdefault(mid, []).append((path, sha))
    finally:
        engine.dispose()
    return rows, files


def test_envelopes_round_trip_to_the_database_rows(published: tuple[Path, Any],
                                                   measured: Measured) -> None:
    out, _ = published
    envelopes = read_envelopes(out / "measurements.jsonl")
    schema = json.loads((out / "measurements.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema,
                                                format_checker=jsonschema.FormatChecker())
    for env in envelopes:
        validator.validate(env)
    # the envelopes are the measurements table, column for column
    frame = envelopes_frame(envelopes)
    table = read_table(out / "tables" / "measurements.parquet", "measurements")
    assert frame.equals(table)
    # ... and the database's rows, with their evidence
    rows, files = _db_rows(measured.db)
    assert sorted(e["measurement_id"] for e in envelopes) == sorted(rows)
    for env in envelopes:
        row = rows[env["measurement_id"]]
        verdict = env["verdict"]
        assert (verdict["status"], verdict["barrier"], verdict["rule_id"],
                verdict["rules_version"]) == (row["status"], row["barrier"], row["rule_id"],
                                              row["rules_version"])
        assert (env["country"], env["profile_id"], env["backend"], env["scenario_id"]) == (
            row["country"], row["profile_id"], row["backend"], row["scenario_id"])
        started = pd.Timestamp(row["started_at"])  # SQLite: naive UTC text; PostgreSQL: aware
        started = started.tz_localize("UTC") if started.tzinfo is None else started
        assert pd.Timestamp(env["started_at"]) == started
        assert env["vantage"]["phone_masked"] == row["phone_masked"]
        assert [(e["path"], e["sha256"]) for e in env["evidence"]] == files[row["id"]]
        for e in env["evidence"]:  # the hashes are the evidence files'
            data = (measured.folder / "artifacts" / e["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == e["sha256"] and len(data) == e["bytes"]
    outcomes = {e["verdict"]["outcome"] for e in envelopes}
    assert {"access:full", "barrier:id_verification_required",
            "barrier:phone_country_unsupported"} <= outcomes


def test_simulated_data_is_flagged_per_row_and_in_the_description(
        published: tuple[Path, Any], measured: Measured) -> None:
    out, proc = published
    envelopes = read_envelopes(out / "measurements.jsonl")
    assert all(e["simulated"] and e["backend"] == "sim" for e in envelopes)
    package = _package(out)
    assert "20 of them were taken on the simulator" in package["description"]
    assert package["harness"]["simulated_measurements"] == 20
    assert "20 of the 20 measurements were taken on the simulator" in (
        out / "data-dictionary.md").read_text(encoding="utf-8")
    assert "20 envelopes, 20 of them simulated" in proc.stdout
    # without --include-simulated there is nothing to publish, and the error says why
    again = harness(["publish", "--db", str(measured.db), "--out",
                     str(measured.folder / "real-only")], measured.folder)
    assert again.returncode == 2 and "add --include-simulated" in again.stderr
    assert not (measured.folder / "real-only").exists()


def _phone_forms(e164: str) -> list[str]:
    number = phonenumbers.parse(e164)
    assert phonenumbers.is_valid_number(number), e164
    nsn = phonenumbers.national_significant_number(number)
    forms = {e164, nsn, e164.lstrip("+")}
    for fmt in (phonenumbers.PhoneNumberFormat.NATIONAL,
                phonenumbers.PhoneNumberFormat.INTERNATIONAL):
        text = phonenumbers.format_number(number, fmt)
        forms |= {text, re.sub(r"\D", "", text)}
    return sorted(f for f in forms if len(re.sub(r"\D", "", f)) >= 6)


def _everything(out: Path) -> str:
    """Every byte of the folder as text: the text files as they are, the Parquet files'
    values (compressed bytes would hide what they hold)."""
    parts = []
    for path in sorted(out.rglob("*")):
        if path.suffix == ".parquet":
            parts.append(repr(pq.read_table(path).to_pylist()))
        elif path.is_file():
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def test_no_secret_or_full_phone_number_anywhere(published: tuple[Path, Any],
                                                 measured: Measured) -> None:
    out, proc = published
    text = "\n".join([_everything(out), proc.stdout, proc.stderr])
    for e164 in measured.phones:
        for form in _phone_forms(e164):
            assert form not in text, form
    for code in measured.codes:  # the SMS codes the apps sent
        assert not re.search(rf"(?<![0-9A-Za-z.]){code}(?![0-9A-Za-z])", text), code
    assert DB_PASSWORD not in text
    rows, _ = _db_rows(measured.db)
    hashes = [r[k] for r in rows.values() for k in ("phone_hash", "egress_ip_hash") if r[k]]
    assert hashes and not [h for h in hashes if h in text]
    # what is there instead: the masked number
    assert "+49*********43" in text


def test_the_citation_file_is_valid_cff(published: tuple[Path, Any]) -> None:
    out, _ = published
    cff = yaml.safe_load((out / "CITATION.cff").read_text(encoding="utf-8"))
    schema = json.loads(CFF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(
        {**cff, "date-released": str(cff["date-released"])})
    assert (cff["cff-version"], cff["type"], cff["version"], cff["license"]) == (
        "1.2.0", "dataset", "1.0.0", "CC-BY-4.0")
    assert cff["authors"] == [{"name": "Example Lab"}]
    licence = (out / "LICENSE-DATA.md").read_text(encoding="utf-8")
    assert "Creative Commons Attribution 4.0" in licence and "CITATION.cff" in licence


def test_a_package_is_replaced_whole_and_other_folders_are_refused(
        measured: Measured, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.analysis import publish as pub
    from harness.analysis.filters import Filters
    from harness.analysis.tables import Analysis
    from harness.support.errors import ConfigError

    out = tmp_path / "pkg"
    with Analysis(measured.db, Filters(include_simulated=True)) as a:
        first = pub.write_package(a, out)
        before = (out / "datapackage.json").read_bytes()

        def disk_full(*_: object) -> str:
            raise OSError(28, "No space left on device")

        # a crash while writing leaves the previous package as it was, and no remains
        monkeypatch.setattr(pub, "citation", disk_full)
        with pytest.raises(OSError, match="No space"):
            pub.write_package(a, out)
        assert (out / "datapackage.json").read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]
        monkeypatch.undo()
        second = pub.write_package(a, out, pub.PublishOptions(version="2.0.0"))
        assert _package(out)["version"] == "2.0.0" and second.files == first.files
        # a folder with other files is never overwritten
        other = tmp_path / "notes"
        other.mkdir()
        (other / "mine.txt").write_text("keep me", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"no datapackage\.json"):
            pub.write_package(a, other)
    assert (other / "mine.txt").read_text(encoding="utf-8") == "keep me"
    proc = harness(["publish", "--db", str(measured.db), "--include-simulated", "--out",
                    str(other)], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"--out={other}" in proc.stderr and "Give a new or empty folder" in proc.stderr


def test_a_database_password_is_masked_in_errors(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://analyst:{DB_PASSWORD}@127.0.0.1:1/none"
    proc = harness(["publish", "--db", url, "--out", str(tmp_path / "pkg")], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert DB_PASSWORD not in proc.stderr + proc.stdout and "***" in proc.stderr
    assert not (tmp_path / "pkg").exists()


def test_publish_takes_the_selection_options_of_export() -> None:
    from harness.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    choices: dict[str, Any] = sub.choices  # type: ignore[assignment]

    def options(name: str) -> set[str]:
        return {s for a in choices[name]._actions for s in a.option_strings}

    assert options("export") - {"--format", "--tables"} <= options("publish")


def test_every_column_is_described_once_and_the_docs_say_the_same() -> None:
    """harness/data/data_dictionary.yaml is the one source of the column descriptions:
    every column has one, and docs/data-dictionary.md's table sections are written from
    it (``harness.analysis.dictionary.rewrite_docs`` brings them up to date)."""
    assert missing_descriptions() == []
    docs = (REPO / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert docs_out_of_date(docs) == []
    assert rewrite_docs(docs) == docs
