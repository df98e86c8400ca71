"""A lexicon's concept hits, remembered by text: the same answer every time, and a caller
that changes the answer it got does not change the next one."""

from __future__ import annotations

import pytest

from harness.verdicts.concepts import Lexicon, compile_concept


def _lexicon() -> Lexicon:
    return Lexicon({
        "identity": compile_concept("identity", "an ID document", ["身份证"], ["ID card"]),
        "verify": compile_concept("verify", "verification", ["认证", "验证"], ["verify"]),
    })


def test_hits_are_the_same_when_asked_again_and_callers_cannot_change_them() -> None:
    lex = _lexicon()
    first = lex.hits("请完成身份证认证")
    assert first == {"identity": "身份证", "verify": "认证"}
    first["other"] = "changed"
    first.pop("identity")
    assert lex.hits("请完成身份证认证") == {"identity": "身份证", "verify": "认证"}
    assert lex.hits("Please verify your ID card") == {"identity": "ID card",
                                                      "verify": "verify"}
    assert lex.hits("Welcome") == {}


def test_a_lexicon_forgets_when_full_and_still_answers(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    import harness.verdicts.concepts as concepts

    monkeypatch.setattr(concepts, "_SEEN_MAX", 3)
    lex = _lexicon()
    for i in range(10):
        assert lex.hits(f"身份证 {i}") == {"identity": "身份证"}
    assert len(lex._seen) <= 3
