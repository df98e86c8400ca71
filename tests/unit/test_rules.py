"""The shared rule library, tested on saved and synthetic screens in every language it claims."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.errors import ConfigErrors
from harness.outcomes import Barrier, Stage
from harness.rules import load_ruleset, shared_rules
from harness.screen import Screen

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "screens"

# (rule id, text seen on screen): at least one per rule; several phrasings where a rule
# claims to generalise.
POSITIVE: list[tuple[str, str]] = [
    ("geo.region_unavailable.en", "This app is not available in your country or region."),
    ("geo.region_unavailable.en", "Sorry, the service is unavailable in your region"),
    ("geo.region_unavailable.zh_hans", "当前国家或地区暂不支持使用该服务"),
    ("geo.region_unavailable.zh_hans", "您所在的地区暂未开放"),
    ("geo.region_unavailable.zh_hant", "您所在的地區暫不支援此服務"),
    ("feature.post_requires_rnr.zh_hans", "根据国家法律法规要求，发布内容前需完成实名认证"),
    ("feature.post_requires_rnr.zh_hans", "完成实名认证后才能发布动态"),
    ("feature.post_requires_rnr.zh_hant", "發佈內容前需完成實名認證"),
    ("feature.post_requires_rnr.zh_hant", "綁定手機後才能發言"),
    ("feature.post_requires_rnr.en", "Posting requires real-name verification."),
    ("feature.post_requires_rnr.en", "Please bind a phone number before you can comment"),
    ("phone.mainland_required.zh_hans", "请绑定中国大陆手机号后继续"),
    ("phone.mainland_required.zh_hans", "仅支持中国大陆手机号注册"),
    ("phone.mainland_required.zh_hant", "請綁定中國大陸手機號碼"),
    ("phone.mainland_required.en", "A mainland China phone number is required"),
    ("phone.mainland_required.en", "Please bind a +86 mobile number to continue"),
    ("verify.friend.zh_hans", "请邀请一位微信好友扫码辅助验证"),
    ("verify.friend.zh_hans", "需要好友辅助验证"),
    ("verify.friend.zh_hant", "請邀請好友掃碼協助驗證"),
    ("verify.friend.en", "Ask a friend who has used the app for 6 months to scan this QR code"),
    ("verify.friend.en", "Friend verification required"),
    ("verify.face.zh_hans", "请进行人脸识别"),
    ("verify.face.zh_hans", "需要刷脸完成认证"),
    ("verify.face.zh_hant", "請進行人臉辨識"),
    ("verify.face.en", "Face verification is required to continue"),
    ("verify.face.en", "Liveness check"),
    ("verify.id.zh_hans", "根据国家相关法律法规要求，请完成实名认证"),
    ("verify.id.zh_hans", "请输入身份证号"),
    ("verify.id.zh_hant", "根據國家相關法律法規要求，請完成實名認證"),
    ("verify.id.zh_hant", "請輸入身分證字號"),
    ("verify.id.en", "Real-name verification"),
    ("verify.id.en", "Please verify your identity to continue"),
    ("phone.country_unsupported.zh_hans", "暂不支持该国家的手机号"),
    ("phone.country_unsupported.zh_hans", "该地区号码暂不支持注册"),
    ("phone.country_unsupported.zh_hant", "該國家手機號碼暫不支援"),
    ("phone.country_unsupported.en", "Phone numbers from your country are not supported"),
    ("phone.country_unsupported.en", "This country code is not supported"),
    ("phone.number_rejected.zh_hans", "该手机号暂不支持"),
    ("phone.number_rejected.zh_hans", "此号码无法注册"),
    ("phone.number_rejected.zh_hant", "該手機號碼暫不支援"),
    ("phone.number_rejected.en", "This phone number is not supported"),
    ("phone.number_rejected.en", "We can't verify this number"),
    ("risk.challenge.zh_hans", "请拖动滑块完成验证"),
    ("risk.challenge.zh_hans", "操作过于频繁，请稍后再试"),
    ("risk.challenge.zh_hant", "請拖動滑塊完成驗證"),
    ("risk.challenge.zh_hant", "帳號存在風險"),
    ("risk.challenge.en", "Too many attempts. Try again in 24 hours."),
    ("risk.challenge.en", "Complete the security check"),
]

# Screens every sign-up shows; no rule may fire on them.
NEGATIVE = [
    "请输入手机号", "获取验证码", "请输入验证码", "手机号登录/注册", "手機號登入/註冊",
    "Sign up with phone", "Enter the code we sent", "Get code", "Didn't receive the code?",
    "我们会收集您的身份证号码用于实名认证，详见《隐私政策》",
    "您需要同意用户协议与隐私政策后才能使用bilibili。",
    "Welcome to OpenChat", "Germany +49", "Posted", "首页", "发布",
]


def classify(texts: list[str], make_screen: Callable[..., str], stage: Stage | None = None
             ) -> str | None:
    m = shared_rules().classify(Screen(make_screen(texts), "org.example.app"), stage)
    return m.rule.id if m else None


@pytest.mark.parametrize(("rule_id", "text"), POSITIVE)
def test_rule_matches_its_phrasings(rule_id: str, text: str,
                                    make_screen: Callable[..., str]) -> None:
    stage = Stage.FEATURES if rule_id.startswith("feature.") else None
    assert classify(["登录", text], make_screen, stage) == rule_id


def test_every_shared_rule_has_a_positive_test() -> None:
    covered = {rid for rid, _ in POSITIVE}
    assert {r.id for r in shared_rules().rules} == covered


def test_every_language_claimed_is_tested() -> None:
    for rule in shared_rules().rules:
        assert rule.language in {"en", "zh-Hans", "zh-Hant"}
        suffix = {"en": ".en", "zh-Hans": ".zh_hans", "zh-Hant": ".zh_hant"}[rule.language]
        assert rule.id.endswith(suffix), rule.id


@pytest.mark.parametrize("text", NEGATIVE)
def test_ordinary_signup_screens_match_nothing(text: str,
                                               make_screen: Callable[..., str]) -> None:
    assert classify([text], make_screen, Stage.FEATURES) is None


def test_posting_gate_is_only_a_feature_barrier_after_signup(
        make_screen: Callable[..., str]) -> None:
    text = "根据国家法律法规要求，发布内容前需完成实名认证"
    assert classify([text], make_screen, Stage.FEATURES) == "feature.post_requires_rnr.zh_hans"
    # before an account exists, the same words are an ID demand
    assert classify([text], make_screen, Stage.OTP) == "verify.id.zh_hans"


def test_system_notifications_are_ignored(make_screen: Callable[..., str]) -> None:
    notification = ('<android.widget.TextView package="com.android.systemui" '
                    'text="完成实名认证领红包" displayed="true"/>')
    xml = make_screen(["请输入手机号"], extra=notification)
    assert shared_rules().classify(Screen(xml, "org.example.app")) is None


SAVED = {
    "whatsapp_business_verify_sms_blocked.xml": ("risk.challenge.en",
                                                 Barrier.RISK_CONTROL_BLOCK),
    "atzuche_sms_login.xml": None,
    "bilibili_consent_dialog.xml": None,
    "bilibili_consent_refused_dialog.xml": None,
    "bilibili_login_onekey.xml": None,
    "bilibili_mine_logged_out.xml": None,
    "warrescue_phone_sms_login.xml": None,
}


@pytest.mark.parametrize("name", sorted(SAVED))
def test_real_saved_screens(name: str) -> None:
    screen = Screen.from_file(str(FIXTURES / name))
    match = shared_rules().classify(screen)
    expected = SAVED[name]
    if expected is None:
        assert match is None, (match.rule.id, match.text) if match else None
    else:
        assert match is not None
        assert (match.rule.id, match.rule.barrier) == expected
        assert "recently" in match.text


def test_rules_file_errors_name_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text('version: "1"\nrules:\n  - id: a.b\n    barrier: not_a_barrier\n'
                    '    match: ["x"]\n  - id: c.d\n    barrier: region_blocked\n'
                    '    match: ["(unclosed"]\n', encoding="utf-8")
    with pytest.raises(ConfigErrors) as err:
        load_ruleset(path)
    text = str(err.value)
    assert "rules.yaml:4: field `rules[0].barrier`" in text
    assert "rules.yaml:8: field `rules[1].match" in text
    assert "not a valid regular expression" in text


def test_app_rules_come_first(make_screen: Callable[..., str], tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text('version: "x"\nrules:\n  - id: app.special\n    barrier: risk_control_block\n'
                    '    match: ["实名认证"]\n', encoding="utf-8")
    app = load_ruleset(path)
    merged = shared_rules().with_app_rules(app.rules)
    m = merged.classify(Screen(make_screen(["请完成实名认证"]), "org.example.app"))
    assert m is not None and m.rule.id == "app.special"
    assert merged.version == shared_rules().version
