"""The shared rule library: concepts, rules, prompts, and their scores on the screen corpus.

Four layers:
- the labelled corpus (tests/corpus/: hand-written screens in three scripts, the saved
  fixtures including the real dumps): no ordinary screen flagged, at least 95% of the
  barrier screens given exactly their label, every rule firing on at least one screen;
- phrasings: short texts per meaning, and ordinary texts no rule may read as a demand;
- the two-signal behaviour a rule needs: prompts only (never list rows, feed posts,
  consent dialogs, system notifications), cancellers in the clause that matched;
- the rules file format: errors that name the line and the field.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.support.errors import ConfigErrors
from harness.verdicts.concepts import script_of, widen
from harness.verdicts.prompts import Role, read_prompts
from harness.verdicts.rules import load_ruleset, shared_rules
from harness.verdicts.scoring import NONE, LabelledScreen, score
from harness.verdicts.screen import Screen
from harness.vocabulary.outcomes import Stage

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "corpus"))
import build as corpus_build  # noqa: E402

FIXTURES = corpus_build.FIXTURES


@pytest.fixture(scope="module")
def development() -> list[LabelledScreen]:
    """The saved fixtures and every corpus set not held out (tests/corpus/build.py)."""
    return [s for name in corpus_build.DEVELOPMENT for s in corpus_build.labelled(name)]


# --------------------------------------------------------------------------- corpus


def test_the_corpus_xml_is_built_from_its_specs() -> None:
    assert corpus_build.build(sorted(corpus_build.SETS), check=True) == 0


def test_the_corpus_has_what_the_scores_need(development: list[LabelledScreen]) -> None:
    assert len(development) >= 250
    ordinary = [s for s in development if s.label == NONE]
    assert len(ordinary) >= 120
    per: dict[tuple[str, str], int] = {}
    for s in corpus_build.labelled("corpus"):
        per[(s.label, s.language)] = per.get((s.label, s.language), 0) + 1
    for label in {s.label for s in development} - {NONE}:
        for lang in ("zh-Hans", "zh-Hant", "en"):
            assert per.get((label, lang), 0) >= 10, (label, lang)


def test_no_ordinary_screen_is_flagged_and_barriers_are_found(
        development: list[LabelledScreen]) -> None:
    result = score(shared_rules(), development)
    flagged = [(m.screen.path.name, m.rule_id, m.sentence) for m in result.false_positives]
    assert flagged == []
    for code in result.codes:
        recall = result.recall(code)
        assert recall is None or recall >= 0.95, (code, recall, [
            (m.screen.path.name, m.got) for m in result.misses if m.screen.label == code])


def test_every_rule_fires_on_a_corpus_screen(development: list[LabelledScreen]) -> None:
    fired: set[str] = set()
    for s in development:
        screen = Screen(s.path.read_text(encoding="utf-8"))
        fired |= {m.rule.id for m in shared_rules().matches(screen, s.stage)}
    assert {r.id for r in shared_rules().rules} - fired == set()


def test_the_real_dumps_are_read_as_people_read_them() -> None:
    whatsapp = Screen.from_file(str(FIXTURES / "whatsapp_business_verify_sms_blocked.xml"))
    m = shared_rules().classify(whatsapp, Stage.OTP)
    assert m is not None and m.rule.id == "risk.rate_limit" and "recently" in m.sentence
    for name in ("atzuche_sms_login.xml", "bilibili_consent_dialog.xml",
                 "bilibili_consent_refused_dialog.xml", "bilibili_login_onekey.xml",
                 "bilibili_mine_logged_out.xml", "warrescue_phone_sms_login.xml"):
        screen = Screen.from_file(str(FIXTURES / name))
        for stage in (None, *Stage):
            assert shared_rules().classify(screen, stage) is None, (name, stage)


def test_the_fixture_readme_lists_every_saved_screen() -> None:
    readme = (FIXTURES.parent / "README.md").read_text(encoding="utf-8")
    for path in FIXTURES.glob("*.xml"):
        assert f"`{path.name}`" in readme, path.name


def test_synthetic_screens_say_so() -> None:
    for path in FIXTURES.glob("synthetic_*.xml"):
        assert "Synthetic screen" in path.read_text(encoding="utf-8")[:400], path.name


# --------------------------------------------------------------------------- phrasings

# (outcome, text seen in a dialog): more phrasings per meaning, in all three scripts.
POSITIVE: list[tuple[str, str]] = [
    ("region_blocked", "This app is not available in your country or region."),
    ("region_blocked", "Sorry, the service is unavailable in your region"),
    ("region_blocked", "This service is only available to users in mainland China"),
    ("region_blocked", "We can't provide the service in your region yet."),
    ("region_blocked", "当前国家或地区暂不支持使用该服务"),
    ("region_blocked", "您所在的地区暂未开放"),
    ("region_blocked", "本服务仅面向中国大陆用户"),
    ("region_blocked", "海外用户暂不支持使用"),
    ("region_blocked", "您所在的地區暫不支援此服務"),
    ("region_blocked", "本服務僅面向中國大陸用戶"),
    ("region_blocked", "目前地區不在服務範圍內"),
    ("feature_restricted", "根据国家法律法规要求，发布内容前需完成实名认证"),
    ("feature_restricted", "完成实名认证后才能发布动态"),
    ("feature_restricted", "绑定手机号才能发布内容"),
    ("feature_restricted", "未实名认证用户暂不能发言"),
    ("feature_restricted", "發佈內容前需完成實名認證"),
    ("feature_restricted", "綁定手機後才能發言"),
    ("feature_restricted", "未完成實名認證，暫時無法留言"),
    ("feature_restricted", "Posting requires real-name verification."),
    ("feature_restricted", "Please bind a phone number before you can comment"),
    ("feature_restricted", "You cannot comment until you verify your identity."),
    ("mainland_phone_required", "请绑定中国大陆手机号后继续"),
    ("mainland_phone_required", "仅支持中国大陆手机号注册"),
    ("mainland_phone_required", "请使用国内手机号码注册"),
    ("mainland_phone_required", "請綁定中國大陸手機號碼"),
    ("mainland_phone_required", "僅支援中國大陸手機號碼"),
    ("mainland_phone_required", "A mainland China phone number is required"),
    ("mainland_phone_required", "Please bind a +86 mobile number to continue"),
    ("mainland_phone_required", "Only phone numbers from mainland China can be used"),
    ("friend_verification_required", "请邀请一位微信好友扫码辅助验证"),
    ("friend_verification_required", "需要好友辅助验证"),
    ("friend_verification_required", "请你的好友使用微信扫描下方二维码"),
    ("friend_verification_required", "請邀請好友掃碼協助驗證"),
    ("friend_verification_required", "請你的好友用微信掃描下方二維碼"),
    ("friend_verification_required",
     "Ask a friend who has used the app for 6 months to scan this QR code"),
    ("friend_verification_required", "Friend verification required"),
    ("friend_verification_required", "Your friend needs to scan the QR code below to verify you"),
    ("face_verification_required", "请进行人脸识别"),
    ("face_verification_required", "需要刷脸完成认证"),
    ("face_verification_required", "请将脸移入框内"),
    ("face_verification_required", "請進行人臉辨識"),
    ("face_verification_required", "請眨眨眼"),
    ("face_verification_required", "Face verification is required to continue"),
    ("face_verification_required", "Blink your eyes slowly"),
    ("id_verification_required", "实名认证需要验证您的银行卡"),
    ("id_verification_required", "请通过本人银行卡完成实名认证"),
    ("id_verification_required", "實名認證需驗證您的銀行卡"),
    ("id_verification_required", "請透過本人銀行卡完成實名驗證"),
    ("id_verification_required", "Link a debit card to complete real-name verification"),
    ("id_verification_required", "Verify your identity with a bank card"),
    ("id_verification_required", "根据国家相关法律法规要求，请完成实名认证"),
    ("id_verification_required", "请输入身份证号"),
    ("id_verification_required", "请上传护照照片"),
    ("id_verification_required", "请填写真实姓名"),
    ("id_verification_required", "根據國家相關法律法規要求，請完成實名認證"),
    ("id_verification_required", "請輸入身分證字號"),
    ("id_verification_required", "請上傳台胞證"),
    ("id_verification_required", "Please verify your identity to continue"),
    ("id_verification_required", "Scan the front of your ID card"),
    ("id_verification_required", "注册成功，请完成实名认证后使用"),
    ("phone_country_unsupported", "暂不支持该国家的手机号"),
    ("phone_country_unsupported", "该地区号码暂不支持注册"),
    ("phone_country_unsupported", "暂不支持海外手机号注册"),
    ("phone_country_unsupported", "該國家手機號碼暫不支援"),
    ("phone_country_unsupported", "國際號碼暫不支援"),
    ("phone_country_unsupported", "Phone numbers from your country are not supported"),
    ("phone_country_unsupported", "This country code is not supported"),
    ("phone_country_unsupported", "International numbers are not supported"),
    ("phone_country_unsupported", "Numbers from your region are not supported yet"),
    ("phone_number_rejected", "该手机号暂不支持"),
    ("phone_number_rejected", "此号码无法注册"),
    ("phone_number_rejected", "无法向该手机号发送验证码"),
    ("phone_number_rejected", "該手機號碼暫不支援"),
    ("phone_number_rejected", "此號碼無法接收簡訊"),
    ("phone_number_rejected", "This phone number is not supported"),
    ("phone_number_rejected", "We can't verify this number"),
    ("phone_number_rejected", "Unable to send a code to this number"),
    ("phone_number_rejected", "The code could not be sent"),
    ("risk_control_block", "请用本机发送短信验证码完成验证"),
    ("risk_control_block", "需要上行短信验证"),
    ("risk_control_block", "請使用本機傳送簡訊驗證"),
    ("risk_control_block", "編輯簡訊 8372 發送至 10690700511"),
    ("risk_control_block", "Text 8372 to +86 1069 0700 511 to verify your number"),
    ("risk_control_block", "Send a text message containing ZC 8372 to 10690700511"),
    ("risk_control_block", "该账号已被封禁"),
    ("risk_control_block", "当前设备存在安全风险，暂时无法注册"),
    ("risk_control_block", "該帳號因違反使用規範已被停權"),
    ("risk_control_block", "存在安全風險，暫時無法註冊"),
    ("risk_control_block", "Your account has been suspended"),
    ("risk_control_block", "Sign-up failed because of suspicious activity"),
    ("risk_control_block", "操作过于频繁，请稍后再试"),
    ("risk_control_block", "今日验证码发送次数已达上限"),
    ("risk_control_block", "Too many attempts. Try again in 24 hours."),
    ("risk_control_block", "Registration is temporarily closed for this device."),
    ("challenge_required", "请拖动滑块完成验证"),
    ("challenge_required", "请依次点击图中的文字"),
    ("challenge_required", "請拖動滑塊完成驗證"),
    ("challenge_required", "請完成下列驗證後繼續"),
    ("challenge_required", "Complete the security check"),
    ("challenge_required", "Verify you are human"),
    ("challenge_required", "Rotate the image until it is upright"),
]

# Texts (each shown as the message of a dialog) that mention, offer or notify: no rule may
# read a demand into them, at any stage.
NEGATIVE = [
    "请输入手机号", "获取验证码", "请输入验证码", "手机号登录/注册", "手機號登入/註冊",
    "Sign up with phone", "Enter the code we sent", "Get code", "Didn't receive the code?",
    "我们会收集您的身份证号码用于实名认证，详见《隐私政策》",
    "您需要同意用户协议与隐私政策后才能使用bilibili。",
    "Welcome to OpenChat", "Germany +49", "Posted", "首页", "发布",
    "中国大陆（+86）", "邀请好友赚红包", "邀請好友賺紅包", "Invite friends and earn rewards",
    "请阅读并同意《用户协议》和《隐私政策》", "验证码已发送至 +49 151****78",
    "Code sent to +44 7400 ****56", "Resend code in 59s", "重新发送(59)", "辅助功能",
    "Security tips", "安全中心", "设置", "Privacy Policy",
    "我们将向 +44 7700 900123 发送短信验证码", "We'll text a code to +1 202 555 0142",
    "Verify your number with the code we sent",
    "为了你的账号安全，我们需要验证你的身份，验证码将发送至138****5678",
    "开启刷脸登录，登录更便捷", "Use Face ID to sign in faster", "完成实名认证领10元红包",
    "实名认证成功", "人脸识别通过", "Your identity has been verified", "无需实名认证即可使用",
    "您的账号已解除冻结", "如何解除账号封禁？", "为什么需要实名认证？", "扫一扫添加好友",
    "当你使用微信支付时，依据法律法规的要求，你需要提供真实姓名",
    "验证码错误，请重新输入", "网络不给力，请稍后重试", "该手机号已注册，可直接登录",
]


def dialog(message: str) -> str:
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation='0'>"
            '<node class="android.widget.FrameLayout" package="org.example.app" '
            'bounds="[80,900][1000,1500]"><node class="android.widget.TextView" '
            'package="org.example.app" resource-id="android:id/message" '
            f'text="{message}" bounds="[100,950][980,1300]"/>'
            '<node class="android.widget.Button" package="org.example.app" '
            'resource-id="android:id/button1" text="OK" clickable="true" '
            'bounds="[600,1350][980,1480]"/></node></hierarchy>')


def outcome_of(text: str, stage: Stage | None = None) -> str:
    m = shared_rules().classify(Screen(dialog(text)), stage)
    return m.rule.outcome.value if m else NONE


@pytest.mark.parametrize(("outcome", "text"), POSITIVE)
def test_a_meaning_is_read_in_its_phrasings(outcome: str, text: str) -> None:
    stage = Stage.FEATURES if outcome == "feature_restricted" else Stage.VERIFICATION
    assert outcome_of(text, stage) == outcome


def test_every_meaning_has_phrasings_in_all_three_scripts() -> None:
    scripts: dict[str, set[str]] = {}
    for outcome, text in POSITIVE:
        scripts.setdefault(outcome, set()).add(script_of(text))
    for outcome, seen in scripts.items():
        assert {"zh-Hans", "en"} <= seen, (outcome, seen)


@pytest.mark.parametrize("text", NEGATIVE)
def test_ordinary_texts_match_nothing(text: str) -> None:
    for stage in (None, Stage.OTP, Stage.FEATURES):
        assert outcome_of(text, stage) == NONE, (text, stage)


# --------------------------------------------------------------------------- behaviour


def test_a_posting_gate_is_only_a_feature_barrier_after_signup() -> None:
    text = "根据国家法律法规要求，发布内容前需完成实名认证"
    assert outcome_of(text, Stage.FEATURES) == "feature_restricted"
    # before an account exists, the same words are an ID demand
    assert outcome_of(text, Stage.OTP) == "id_verification_required"


def test_cancellers_act_on_the_clause_that_matched() -> None:
    # a success in another clause does not undo a demand, a promotion anywhere does
    assert outcome_of("注册成功，请完成实名认证后使用") == "id_verification_required"
    assert outcome_of("完成实名认证，即送10元红包") == NONE


def test_rules_read_prompts_not_rows_posts_or_notifications(
        make_screen: Callable[..., str]) -> None:
    notification = ('<android.widget.TextView package="com.android.systemui" '
                    'text="请完成实名认证领红包" displayed="true"/>')
    xml = make_screen(["请输入手机号"], extra=notification)
    assert shared_rules().classify(Screen(xml, "org.example.app")) is None
    rows = "".join(
        f'<android.widget.LinearLayout package="org.example.app" clickable="true" '
        f'bounds="[0,{y}][1080,{y + 150}]"><android.widget.TextView package="org.example.app" '
        f'text="{t}" bounds="[40,{y}][700,{y + 150}]"/></android.widget.LinearLayout>'
        for y, t in ((300, "请完成实名认证"), (450, "手机号"), (600, "登录设备管理")))
    listed = ('<androidx.recyclerview.widget.RecyclerView package="org.example.app" '
              f'bounds="[0,300][1080,900]">{rows}</androidx.recyclerview.widget.RecyclerView>')
    screen = Screen(make_screen(["账号与安全"], extra=listed), "org.example.app")
    roles = {b.text: b.role for b in read_prompts(screen)}
    assert roles["请完成实名认证"] is Role.ITEM
    assert shared_rules().classify(screen) is None


def test_concepts_are_widened_to_traditional_forms() -> None:
    assert re.fullmatch(widen("实名认证"), "實名認證")
    assert re.fullmatch(widen("[发送]"), "發")
    assert script_of("請完成實名認證") == "zh-Hant" and script_of("请完成实名认证") == "zh-Hans"


def test_every_concept_and_rule_is_described() -> None:
    rules = shared_rules()
    for name, concept in rules.lexicon.concepts.items():
        assert concept.description, name
    for rule in rules.rules:
        assert rule.description and re.fullmatch(r"[a-z_]+\.[a-z_]+", rule.id), rule.id


def test_rules_version_is_set() -> None:
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", shared_rules().version)


def test_rules_file_errors_name_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text('version: "1"\nconcepts:\n  thing:\n    description: x\n    en: [x]\n'
                    'rules:\n  - id: a.b\n    barrier: not_a_barrier\n'
                    '    match: ["x"]\n  - id: c.d\n    barrier: region_blocked\n'
                    '    match: ["(unclosed"]\n  - id: e.f\n    barrier: region_blocked\n'
                    '    when: [[thing, nothing]]\n', encoding="utf-8")
    with pytest.raises(ConfigErrors) as err:
        load_ruleset(path)
    text = str(err.value)
    assert "rules.yaml:8: field `rules[0].barrier`" in text
    assert "not a valid regular expression" in text
    assert "unknown concept 'nothing'" in text and "rules.yaml:15" in text


def test_app_rules_come_first(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text('version: "x"\nrules:\n  - id: app.special\n    barrier: risk_control_block\n'
                    '    match: ["实名认证"]\n', encoding="utf-8")
    app = load_ruleset(path)
    merged = shared_rules().with_app_rules(app.rules)
    m = merged.classify(Screen(dialog("请完成实名认证")))
    assert m is not None and m.rule.id == "app.special"
    assert merged.version == shared_rules().version


# --------------------------------------------------------------------------- country names


def test_country_names_name_a_region_in_every_script() -> None:
    region = shared_rules().lexicon["region"]
    for text in ("Service is not available in Germany", "暂不向德国用户开放",
                 "暫不向德國用戶開放", "目前無法在南韓使用", "Not available in the UK"):
        assert region.find(text) is not None, text
    # abbreviations match in capitals only, and mainland China is its own concept
    assert region.find("Tell us what you think") is None
    assert region.find("Made in China") is None
    assert outcome_of("Sorry, this app is not available in France.") == "region_blocked"
    assert outcome_of("Let us know if you can't find a song.") == NONE


def test_country_name_patterns_leave_out_what_they_are_told(tmp_path: Path) -> None:
    from harness.vocabulary.countries import country_name_patterns
    joined = "|".join(country_name_patterns(frozenset({"CN", "DE"})))
    assert "Germany" not in joined and "德国" not in joined and "France" in joined


def test_an_unknown_name_list_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text('version: "1"\nconcepts:\n  place:\n    description: x\n'
                    '    names: planets\n', encoding="utf-8")
    with pytest.raises(ConfigErrors) as err:
        load_ruleset(path)
    text = str(err.value)
    assert "rules.yaml:5" in text and "planets" in text and "countries" in text
