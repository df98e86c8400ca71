"""The closed vocabularies: every code has a docstring and is documented in docs/."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.vocabulary.countries import Region
from harness.vocabulary.outcomes import (
    ALL_VOCABULARIES,
    AccessLevel,
    Barrier,
    Failure,
    Stage,
    Status,
    Verdict,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("enum", [*ALL_VOCABULARIES, Region])
def test_every_code_has_a_docstring_and_a_row_in_docs(enum: type) -> None:
    text = (DOCS / "outcomes.md").read_text(encoding="utf-8")
    for member in enum:
        assert member.doc and len(member.doc) > 15, member
        assert f"| `{member.value}` |" in text, f"{member.value} is not documented"


def test_design_vocabulary_is_exact() -> None:
    assert [b.value for b in Barrier] == [
        "store_unavailable", "region_blocked", "phone_country_unsupported",
        "phone_number_rejected", "sms_not_delivered", "mainland_phone_required",
        "id_verification_required", "face_verification_required",
        "friend_verification_required", "risk_control_block", "feature_restricted"]
    assert [f.value for f in Failure] == [
        "proxy_unreachable", "vantage_mismatch", "device_unavailable", "session_error",
        "app_not_installed", "ui_unrecognized", "challenge_required", "timeout",
        "unknown_failure"]
    assert [s.value for s in Stage] == [
        "vantage", "store", "install", "launch", "signup", "phone", "otp", "verification",
        "account", "features"]
    assert Stage.OTP.order < Stage.VERIFICATION.order


def test_runner_rule_ids_are_documented() -> None:
    text = (DOCS / "outcomes.md").read_text(encoding="utf-8")
    from harness.attempt.runner import RULE_CALLING_CODE_ABSENT, RULE_SMS_TIMEOUT
    assert RULE_CALLING_CODE_ABSENT in text and RULE_SMS_TIMEOUT in text


def test_verdicts_must_be_consistent() -> None:
    with pytest.raises(ValueError):
        Verdict(status=Status.BARRIER, stage=Stage.OTP)
    with pytest.raises(ValueError):
        Verdict(status=Status.FAILURE, stage=Stage.OTP)
    with pytest.raises(ValueError):
        Verdict(status=Status.ACCESS, stage=Stage.ACCOUNT)
    v = Verdict(status=Status.BARRIER, stage=Stage.OTP, barrier=Barrier.SMS_NOT_DELIVERED)
    assert v.outcome == "barrier:sms_not_delivered"
    assert Verdict(status=Status.ACCESS, stage=Stage.ACCOUNT,
                   access_level=AccessLevel.LIMITED).outcome == "access:limited"
    assert Status.ACCESS.is_result and not Status.ABORTED.is_result
