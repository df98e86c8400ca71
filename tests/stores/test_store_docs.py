"""docs/stores.md documents every code, every signal id and every rule id the code emits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.stores.model import (
    CheckResult,
    StoreFailure,
    StoreName,
    StoreResult,
    StoreScope,
)
from harness.stores.stage import rule_id, rule_ids
from harness.vocabulary.outcomes import DocumentedEnum

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "stores.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("enum", [StoreName, CheckResult, StoreFailure, StoreScope,
                                  StoreResult])
def test_every_code_has_a_docstring_and_a_row(enum: type[DocumentedEnum]) -> None:
    for member in enum:
        assert member.doc and len(member.doc) > 15, member
        assert f"| `{member.value}` | {member.doc} |" in DOC, member.value


def test_every_signal_id_is_documented() -> None:
    source = "\n".join(p.read_text(encoding="utf-8")
                       for p in (REPO / "harness" / "stores").glob("*.py"))
    signals = set(re.findall(r'"((?:apple|play)\.[a-z0-9_]+):', source))
    assert {"apple.record", "apple.no_record", "play.http_404",
            "play.not_available_text", "play.install_offer"} <= signals
    for s in sorted(signals):
        assert f"`{s}`" in DOC, s
    # failures without a signal of their own are named <store>.<code without store_>
    for store in StoreName:
        for code in ("rate_limited", "http_error", "connection_error", "proxy_error"):
            assert f"`{store.value}.{code}`" in DOC


def test_stage_rule_ids_are_documented() -> None:
    ids = rule_ids()
    assert len(ids) == len(set(ids)) == 6  # two scopes and "unknown", per store
    assert rule_id(StoreName.PLAY, StoreScope.IN_COUNTRY) == "store.play.absent_in_country"
    assert rule_id(StoreName.APPLE, StoreScope.EVERYWHERE) == "store.apple.absent_everywhere"
    assert rule_id(StoreName.PLAY) == rule_id(StoreName.PLAY, StoreScope.UNKNOWN) == (
        "store.play.unavailable")
    for rid in ids:
        assert f"`{rid}`" in DOC, rid
