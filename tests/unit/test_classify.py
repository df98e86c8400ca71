"""`harness classify` on one saved screen and `harness reclassify` over stored evidence:
which screen is read again at which stage (the one the attempt stopped on), what a new
rule changes, that measurements are never rewritten, and that a second run under the
same rules adds nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from harness.cli.main import main
from harness.runs.reclassify import (
    find_scenario,
    read_page_source,
    reclassify,
    rules_for,
)
from harness.spec.scenarios import Scenario, load_scenario
from harness.storage import MeasurementStart, Store
from harness.storage.models import Measurement, Reclassification
from harness.support.errors import ConfigError, HarnessError
from harness.verdicts.rules import shared_rules
from harness.vocabulary.outcomes import AccessLevel, Barrier, Failure, Stage, Status, Verdict

SCREENS = Path(__file__).resolve().parents[1] / "fixtures" / "screens"
REPO = Path(__file__).resolve().parents[2]
OLD = "2020.1.1"


def screen_bytes(name: str) -> bytes:
    return (SCREENS / name).read_bytes()


# --------------------------------------------------------------------------- classify


def test_matches_lists_rules_in_the_order_tried() -> None:
    screen = read_page_source(SCREENS / "synthetic_alipay_bank_card_zh_hans.xml")
    ids = [m.rule.id for m in shared_rules().matches(screen, None)]
    assert ids[0] == "verify.bank_card"
    assert "verify.id" in ids  # it would match too, but comes later


def test_app_rules_are_tried_first() -> None:
    wechat = find_scenario("wechat", [REPO / "scenarios"])
    screen = read_page_source(SCREENS / "synthetic_wechat_friend_verification_zh_hans.xml")
    matches = rules_for(wechat).matches(screen, Stage.VERIFICATION)
    assert matches[0].rule.id == "wechat.friend_scan"
    assert matches[1].rule.id == "verify.friend"


def test_find_scenario_by_id_path_or_suggestion(tmp_path: Path) -> None:
    assert find_scenario("bilibili", [REPO / "scenarios"]).app.android_package == \
        "tv.danmaku.bili"
    assert find_scenario(str(REPO / "scenarios" / "qq.yaml"), []).id == "qq"
    with pytest.raises(ConfigError) as info:
        find_scenario("bilbili", [REPO / "scenarios"])
    assert "Did you mean bilibili?" in str(info.value)


def test_read_page_source_errors(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="no such file"):
        read_page_source(tmp_path / "missing.xml")
    png = tmp_path / "shot.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    with pytest.raises(HarnessError, match="not UTF-8"):
        read_page_source(png)
    txt = tmp_path / "notes.xml"
    txt.write_text("hello", encoding="utf-8")
    with pytest.raises(HarnessError, match="not a UiAutomator page source"):
        read_page_source(txt)


def test_cli_classify_prints_barrier_and_rule(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["classify", str(SCREENS / "synthetic_kuaishou_id_verification_zh_hant.xml")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "barrier: id_verification_required" in out
    assert "rule:    verify.id (shared library" in out
    assert "zh-Hant" in out and "id_document=" in out and "demand=" in out
    assert shared_rules().version in out


def test_cli_classify_a_challenge_is_a_failure_not_a_barrier(
        capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["classify", str(SCREENS / "synthetic_douyin_captcha_en.xml"), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert (data["outcome"], data["barrier"], data["failure"]) == (
        "challenge_required", None, "challenge_required")
    assert data["rule_id"].startswith("challenge.")


def test_cli_classify_explain_says_why_rules_did_not_fire(
        capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["classify", str(SCREENS / "synthetic_privacy_consent_zh_hans.xml"), "--explain"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "[consent]" in out or "[paragraph]" in out  # the policy text is not a prompt
    assert "rules, in the order tried:" in out
    assert "verify.id" in out and "feature.post_gated" in out


def test_cli_classify_no_match_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["classify", str(SCREENS / "bilibili_consent_dialog.xml"),
               "--scenarios", str(REPO / "scenarios"), "--scenario", "bilibili", "--texts"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "no rule matched" in out and "ui_unrecognized" in out
    assert "of scenario bilibili" in out
    # every text with its role: the app's consent dialog, the system navigation bar
    assert "'同意并继续'" in out and "[system] '返回'" in out


def test_cli_classify_stage_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(SCREENS / "synthetic_weibo_post_bind_phone_zh_hans.xml")
    assert main(["classify", path]) == 0
    out = capsys.readouterr().out
    assert "feature.post_gated" in out
    assert "only applies at stages account, features" in out
    assert main(["classify", path, "--stage", "signup", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["matched"] is False and data["stage"] == "signup"
    assert main(["classify", path, "--stage", "features", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["barrier"], data["rule_id"]) == ("feature_restricted", "feature.post_gated")


def test_cli_classify_package_filter(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(SCREENS / "synthetic_tieba_region_unavailable_en.xml")
    assert main(["classify", path, "--package", "com.example.other"]) == 0  # unknown: all
    capsys.readouterr()
    assert main(["classify", path, "--package", "com.baidu.tieba", "--all"]) == 0
    assert "geo.region_unavailable" in capsys.readouterr().out


def test_cli_classify_bad_input_exits_2(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    assert main(["classify", str(tmp_path / "none.xml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["classify", str(SCREENS / "atzuche_sms_login.xml"), "--scenario", "nope",
                 "--scenarios", str(REPO / "scenarios")]) == 2
    assert "no scenario with id 'nope'" in capsys.readouterr().err


# --------------------------------------------------------------------------- reclassify


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    s = Store.open(db_url, tmp_path / "artifacts")
    yield s
    s.close()


def measure(store: Store, run_id: str, steps: list[tuple[str, str, bytes | None]],
            verdict: Verdict, *, scenario_id: str = "demo-x", app_id: str = "com.tencent.mm",
            rules_version: str = OLD) -> str:
    """One stored attempt: (stage, step outcome, page source) per step, then the verdict."""
    mid = store.begin_measurement(MeasurementStart(
        run_id=run_id, scenario_id=scenario_id, scenario_version=1, app_id=app_id,
        app_name="X", country="DE", region="europe", profile_id="DE", backend="appium",
        rules_version=rules_version))
    for idx, (stage, outcome, source) in enumerate(steps):
        store.add_step(mid, idx, "tap", f"step {idx}", stage, idx + 10, f"step {idx}")
        if source is not None:
            store.add_artifact(mid, run_id, idx, "page_source", source, ".xml")
        store.finish_step(mid, idx, outcome, None)
    if verdict.status is not Status.RUNNING:
        store.complete_measurement(mid, verdict, len(steps))
    return mid


ORDINARY = screen_bytes("synthetic_wechat_signup_form_zh_hans.xml")
FRIEND = screen_bytes("synthetic_wechat_friend_verification_zh_hans.xml")
UPSTREAM = screen_bytes("synthetic_qq_sms_upstream_zh_hans.xml")
ID_SCREEN = screen_bytes("synthetic_zhihu_id_verification_zh_hans.xml")
POST_GATE = screen_bytes("synthetic_weibo_post_bind_phone_zh_hans.xml")

ACCESS = Verdict(status=Status.ACCESS, stage=Stage.ACCOUNT, access_level=AccessLevel.FULL)


def barrier(code: Barrier, rule: str, stage: Stage = Stage.VERIFICATION) -> Verdict:
    return Verdict(status=Status.BARRIER, stage=stage, barrier=code, rule_id=rule,
                   matched_text="x")


def failure(code: Failure, stage: Stage = Stage.VERIFICATION) -> Verdict:
    return Verdict(status=Status.FAILURE, stage=stage, failure=code, detail="d")


def rows(store: Store) -> list[Reclassification]:
    with store.session() as s:
        return list(s.scalars(select(Reclassification).order_by(Reclassification.id)))


def test_access_stands_whatever_a_screen_the_flow_went_past_says(store: Store) -> None:
    rid = store.start_run("appium", OLD)
    mid = measure(store, rid, [("otp", "ok", ORDINARY), ("otp", "ok", FRIEND),
                               ("verification", "ok", ORDINARY), ("account", "ok", ORDINARY)],
                  ACCESS)
    (r,) = reclassify(store).results
    assert r.measurement_id == mid and not r.changed
    assert r.new.status == "access" and r.artifact_path is None


def test_the_stopping_screen_is_read_at_its_steps_stage(store: Store) -> None:
    rid = store.start_run("appium", OLD)
    # the posting gate before an account exists is not a feature barrier
    measure(store, rid, [("otp", "ok", ORDINARY), ("otp", "failure:ui_unrecognized",
                                                   POST_GATE)],
            failure(Failure.UI_UNRECOGNIZED, Stage.OTP))
    measure(store, rid, [("account", "ok", ORDINARY), ("features", "failure:ui_unrecognized",
                                                       POST_GATE)],
            failure(Failure.UI_UNRECOGNIZED, Stage.FEATURES))
    first, second = reclassify(store).results
    assert not first.changed
    assert second.changed and second.new.barrier == "feature_restricted"
    assert second.new.stage == "features"
    assert second.artifact_path is not None and second.artifact_path.endswith(
        "001-page_source.xml")


def test_an_unrecognized_screen_is_now_a_barrier(store: Store) -> None:
    rid = store.start_run("appium", OLD)
    measure(store, rid, [("otp", "ok", ORDINARY), ("verification", "failure:ui_unrecognized",
                                                   UPSTREAM)],
            failure(Failure.UI_UNRECOGNIZED))
    (r,) = reclassify(store).results
    assert r.changed
    assert (r.old.label, r.new.label) == ("failure: ui_unrecognized",
                                          "barrier: risk_control_block")
    assert (r.new.rule_id, r.new.stage) == ("risk.sms_upstream", "verification")
    assert r.new.matched_text is not None and "1069" in r.new.matched_text


def test_a_barrier_that_still_matches_is_unchanged(store: Store) -> None:
    rid = store.start_run("appium", OLD)
    measure(store, rid, [("otp", "ok", ORDINARY), ("verification", "barrier", ID_SCREEN)],
            barrier(Barrier.ID_VERIFICATION_REQUIRED, "verify.id"))
    (r,) = reclassify(store).results
    assert not r.changed and r.new.key() == r.old.key()
    assert r.new.matched_text is not None and "实名认证" in r.new.matched_text


def test_a_barrier_no_rule_recognises_any_more(store: Store, tmp_path: Path) -> None:
    rid = store.start_run("appium", OLD)
    measure(store, rid, [("verification", "barrier", ORDINARY)],
            barrier(Barrier.RISK_CONTROL_BLOCK, "demo-x.retired_rule"))
    # without the scenario file its own rules are unknown: the verdict stands
    report = reclassify(store, dry_run=True)
    assert not report.results[0].changed
    assert report.scenarios_not_found == {"demo-x"}
    # with it, the rule is gone: the screen is unrecognised now
    scen = tmp_path / "x.yaml"
    scen.write_text("id: demo-x\napp: {name: X, android_package: com.tencent.mm}\n"
                    "steps:\n  - launch\n  - wait: Home\n    stage: account\n",
                    encoding="utf-8")
    (r,) = reclassify(store, [load_scenario(scen)]).results
    assert r.changed and r.new.status == "failure" and r.new.rule_id is None
    assert r.new.failure == "ui_unrecognized"


def test_app_rules_of_the_scenario_apply(store: Store, tmp_path: Path) -> None:
    rid = store.start_run("appium", OLD)
    measure(store, rid, [("verification", "failure:ui_unrecognized", ORDINARY)],
            failure(Failure.UI_UNRECOGNIZED))
    scen = tmp_path / "x.yaml"
    scen.write_text("id: demo-x\napp: {name: X, android_package: com.tencent.mm}\n"
                    "rules:\n  - id: demo-x.password\n    barrier: risk_control_block\n"
                    "    match: 请填写密码\n    roles: [field, notice]\n"
                    "steps:\n  - launch\n  - wait: Home\n    stage: account\n",
                    encoding="utf-8")
    scenario: Scenario = load_scenario(scen)
    (r,) = reclassify(store, [scenario]).results
    assert r.new.rule_id == "demo-x.password"


def test_builtin_verdicts_stand_unless_a_rule_now_matches(store: Store) -> None:
    rid = store.start_run("appium", OLD)
    measure(store, rid, [("otp", "barrier", ORDINARY)],
            barrier(Barrier.SMS_NOT_DELIVERED, "builtin.sms_timeout", Stage.OTP))
    measure(store, rid, [("otp", "barrier", UPSTREAM)],
            barrier(Barrier.SMS_NOT_DELIVERED, "builtin.sms_timeout", Stage.OTP))
    kept, found = reclassify(store).results
    assert not kept.changed and kept.new.rule_id == "builtin.sms_timeout"
    assert found.changed and found.new.rule_id == "risk.sms_upstream"


def test_what_is_skipped(store: Store) -> None:
    rid = store.start_run("appium", OLD)
    stopped = ("verification", "failure:ui_unrecognized")
    measure(store, rid, [("launch", "failure:device_unavailable", ORDINARY)],
            failure(Failure.DEVICE_UNAVAILABLE, Stage.LAUNCH))
    measure(store, rid, [("otp", "ok", FRIEND)],
            Verdict(status=Status.RUNNING, stage=Stage.OTP))
    measure(store, rid, [(*stopped, FRIEND)], failure(Failure.UI_UNRECOGNIZED),
            rules_version=shared_rules().version)
    measure(store, rid, [(*stopped, None)], failure(Failure.UI_UNRECOGNIZED))
    gone = measure(store, rid, [(*stopped, FRIEND)], failure(Failure.UI_UNRECOGNIZED))
    path = store.get_measurement(gone)
    assert path is not None
    (store.artifacts_dir / path.artifacts[0].path).unlink()
    report = reclassify(store)
    assert report.results == []
    assert report.not_applicable == 2      # instrument failure, running
    assert report.current == 1             # measured under these rules
    assert report.without_evidence == 2    # nothing saved; file deleted
    assert report.missing_files == 1


def test_rows_are_added_beside_the_measurement_and_never_twice(store: Store) -> None:
    rid = store.start_run("appium", OLD)
    mid = measure(store, rid, [("otp", "ok", ORDINARY),
                               ("verification", "failure:ui_unrecognized", FRIEND)],
                  failure(Failure.UI_UNRECOGNIZED))
    measure(store, rid, [("verification", "barrier", ID_SCREEN)],
            barrier(Barrier.ID_VERIFICATION_REQUIRED, "verify.id"))
    with store.session() as s:
        before = [(m.id, m.status, m.barrier, m.rule_id, m.rules_version)
                  for m in s.scalars(select(Measurement).order_by(Measurement.id))]
    assert reclassify(store, dry_run=True).results
    assert rows(store) == []  # a dry run writes nothing
    report = reclassify(store)
    assert len(report.results) == 2
    written = rows(store)
    assert len(written) == 2
    by_id = {r.measurement_id: r for r in written}
    row = by_id[mid]
    assert (row.rules_version, row.previous_rules_version) == (shared_rules().version, OLD)
    assert (row.status, row.stage, row.barrier, row.rule_id, row.changed) == (
        "barrier", "verification", "friend_verification_required", "verify.friend", True)
    assert row.artifact_path is not None and mid in row.artifact_path
    with store.session() as s:
        after = [(m.id, m.status, m.barrier, m.rule_id, m.rules_version)
                 for m in s.scalars(select(Measurement).order_by(Measurement.id))]
    assert after == before  # the measurements are untouched
    again = reclassify(store)
    assert again.results == [] and again.already_done == 2
    assert len(rows(store)) == 2
    forced = reclassify(store, force=True)
    assert len(forced.results) == 2
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Reclassification)) == 4


def test_only_the_runs_asked_for(store: Store) -> None:
    a = store.start_run("appium", OLD)
    b = store.start_run("appium", OLD)
    measure(store, a, [("verification", "ok", FRIEND)], ACCESS)
    mb = measure(store, b, [("verification", "ok", FRIEND)], ACCESS)
    # access measurements are re-examined too (and stand): only run b's
    report = reclassify(store, run_ids=[b])
    assert [r.measurement_id for r in report.results] == [mb]


def test_cli_reclassify_prints_what_changed(store: Store, db_url: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    rid = store.start_run("appium", OLD)
    mid = measure(store, rid, [("otp", "ok", ORDINARY),
                               ("verification", "failure:ui_unrecognized", FRIEND)],
                  failure(Failure.UI_UNRECOGNIZED), scenario_id="wechat")
    measure(store, rid, [("verification", "barrier", ID_SCREEN)],
            barrier(Barrier.ID_VERIFICATION_REQUIRED, "verify.id"),
            scenario_id="wechat")
    args = ["reclassify", "--db", db_url, "--artifacts", str(tmp_path / "artifacts"),
            "--scenarios", str(REPO / "scenarios")]
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would record" in out and mid[:12] in out
    assert main(args) == 0
    out = capsys.readouterr().out
    assert mid[:12] in out
    assert "wechat.friend_scan" in out          # the scenario's own rule wins
    assert "1 changed, 1 unchanged" in out
    assert "barrier: friend_verification_required" in out
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "2 already reclassified under this version" in out


def test_cli_reclassify_without_a_database(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reclassify", "--db", str(tmp_path / "none.db")]) == 2
    assert "no such database" in capsys.readouterr().err
