"""The shared rule library, tested on saved screens in every language each rule claims.

Three layers:
- ``SAVED``: every rule fires on at least one saved UiAutomator page source
  (tests/fixtures/screens/; real dumps where one fits, else ``synthetic_*.xml``), at the
  stage where the screen appears, and the text it matched is written in the rule's
  language. A rule without such a screen fails ``test_every_rule_is_tested_on_a_saved_
  screen_in_its_language``.
- ``POSITIVE``: more phrasings per rule, so a rule matches a meaning, not one sentence.
- ``NEGATIVE_SCREENS`` and ``NEGATIVE``: ordinary sign-up screens, consent boilerplate
  that names 身份证 / 实名 / face data, and system notifications match nothing, at any stage.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.errors import ConfigErrors
from harness.outcomes import Barrier, Stage
from harness.rules import load_ruleset, shared_rules
from harness.screen import Screen

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "screens"
LANGUAGES = {"en": ".en", "zh-Hans": ".zh_hans", "zh-Hant": ".zh_hant"}

# Characters written differently in simplified and traditional Chinese (each pair is the
# same character), to tell which script a matched text is in.
_PAIRS = ("这這 为為 国國 设設 验驗 证證 认認 说說 请請 号號 码碼 机機 时時 发發 门門 对對 们們 "
          "该該 图圖 动動 块塊 频頻 户戶 账賬 绑綁 务務 录錄 册冊 网網 络絡 环環 异異 风風 险險 "
          "脸臉 识識 辅輔 协協 扫掃 维維 银銀 处處 实實 态態 间間 开開 关關 后後 达達 过過 应應 "
          "传傳 际際 内內 区區 陆陸 华華 来來 长長 东東 见見 体體 冻結 结結 资資 讯訊 简簡 单單 "
          "让讓 从從 还還 进進 数數 选選 择擇 测測 检檢 输輸 获獲 创創 业業 现現 问問 题題 页頁 "
          "点點 击擊 拟擬 护護 传傳 无無 法法 满滿 个個 问問 权權 觉覺 众眾 载載 样樣 寻尋 规規 "
          "经經 营營 运運 宽寬 带帶 韩韓 书書 页頁 转轉 动動 拖拖 拼拼")
SIMPLIFIED = {p[0] for p in _PAIRS.split() if p[0] != p[1]}
TRADITIONAL = {p[1] for p in _PAIRS.split() if p[0] != p[1]}
CJK = re.compile(r"[\u4e00-\u9fff]")


def written_in(text: str) -> str:
    """``en``, ``zh-Hans``, ``zh-Hant``, or ``unknown`` for the script of ``text``."""
    if not CJK.search(text):
        return "en" if re.search(r"[A-Za-z]", text) else "unknown"
    simp = any(c in SIMPLIFIED for c in text)
    trad = any(c in TRADITIONAL for c in text)
    if simp and not trad:
        return "zh-Hans"
    if trad and not simp:
        return "zh-Hant"
    return "unknown"


# --------------------------------------------------------------------------- saved screens

# (file in tests/fixtures/screens, stage at which the screen appears, rule expected)
SAVED: list[tuple[str, Stage, str]] = [
    ("synthetic_douyin_region_unavailable_zh_hans.xml", Stage.LAUNCH,
     "geo.region_unavailable.zh_hans"),
    ("synthetic_xiaohongshu_region_unavailable_zh_hant.xml", Stage.SIGNUP,
     "geo.region_unavailable.zh_hant"),
    ("synthetic_tieba_region_unavailable_en.xml", Stage.LAUNCH, "geo.region_unavailable.en"),
    ("synthetic_weibo_post_bind_phone_zh_hans.xml", Stage.FEATURES,
     "feature.post_requires_rnr.zh_hans"),
    ("synthetic_weibo_post_bind_phone_zh_hant.xml", Stage.FEATURES,
     "feature.post_requires_rnr.zh_hant"),
    ("synthetic_weibo_post_bind_phone_en.xml", Stage.FEATURES, "feature.post_requires_rnr.en"),
    ("synthetic_wechat_mainland_phone_zh_hans.xml", Stage.VERIFICATION,
     "phone.mainland_required.zh_hans"),
    ("synthetic_qq_mainland_phone_zh_hant.xml", Stage.PHONE, "phone.mainland_required.zh_hant"),
    ("synthetic_alipay_mainland_phone_en.xml", Stage.PHONE, "phone.mainland_required.en"),
    ("synthetic_wechat_friend_verification_zh_hans.xml", Stage.VERIFICATION,
     "verify.friend.zh_hans"),
    ("synthetic_wechat_friend_verification_zh_hant.xml", Stage.VERIFICATION,
     "verify.friend.zh_hant"),
    ("synthetic_wechat_friend_verification_en.xml", Stage.VERIFICATION, "verify.friend.en"),
    ("synthetic_alipay_face_verification_zh_hans.xml", Stage.VERIFICATION,
     "verify.face.zh_hans"),
    ("synthetic_alipay_face_verification_zh_hant.xml", Stage.VERIFICATION,
     "verify.face.zh_hant"),
    ("synthetic_wecom_face_verification_en.xml", Stage.VERIFICATION, "verify.face.en"),
    ("synthetic_alipay_bank_card_zh_hans.xml", Stage.VERIFICATION, "verify.bank_card.zh_hans"),
    ("synthetic_alipay_bank_card_zh_hant.xml", Stage.VERIFICATION, "verify.bank_card.zh_hant"),
    ("synthetic_alipay_bank_card_en.xml", Stage.VERIFICATION, "verify.bank_card.en"),
    ("synthetic_zhihu_id_verification_zh_hans.xml", Stage.VERIFICATION, "verify.id.zh_hans"),
    ("synthetic_kuaishou_id_verification_zh_hant.xml", Stage.VERIFICATION, "verify.id.zh_hant"),
    ("synthetic_dingtalk_id_verification_en.xml", Stage.VERIFICATION, "verify.id.en"),
    ("synthetic_zhihu_country_unsupported_zh_hans.xml", Stage.PHONE,
     "phone.country_unsupported.zh_hans"),
    ("synthetic_toutiao_country_unsupported_zh_hant.xml", Stage.OTP,
     "phone.country_unsupported.zh_hant"),
    ("synthetic_douyin_country_unsupported_en.xml", Stage.OTP, "phone.country_unsupported.en"),
    ("synthetic_kuaishou_number_rejected_zh_hans.xml", Stage.OTP,
     "phone.number_rejected.zh_hans"),
    ("synthetic_bilibili_number_rejected_zh_hant.xml", Stage.OTP,
     "phone.number_rejected.zh_hant"),
    ("synthetic_xiaohongshu_number_rejected_en.xml", Stage.OTP, "phone.number_rejected.en"),
    ("synthetic_qq_sms_upstream_zh_hans.xml", Stage.VERIFICATION, "risk.sms_upstream.zh_hans"),
    ("synthetic_qq_sms_upstream_zh_hant.xml", Stage.VERIFICATION, "risk.sms_upstream.zh_hant"),
    ("synthetic_wechat_sms_upstream_en.xml", Stage.VERIFICATION, "risk.sms_upstream.en"),
    ("synthetic_wechat_account_restricted_zh_hans.xml", Stage.ACCOUNT,
     "risk.account_restricted.zh_hans"),
    ("synthetic_douyin_account_restricted_zh_hant.xml", Stage.VERIFICATION,
     "risk.account_restricted.zh_hant"),
    ("synthetic_wechat_account_restricted_en.xml", Stage.ACCOUNT, "risk.account_restricted.en"),
    ("synthetic_wechat_security_verification_zh_hans.xml", Stage.OTP,
     "risk.challenge.zh_hans"),
    ("synthetic_wechat_security_verification_zh_hant.xml", Stage.OTP,
     "risk.challenge.zh_hant"),
    ("synthetic_douyin_captcha_en.xml", Stage.OTP, "risk.challenge.en"),
    # a real dump (WhatsApp Business refusing to send an SMS: a rate limit)
    ("whatsapp_business_verify_sms_blocked.xml", Stage.OTP, "risk.challenge.en"),
]

# Saved screens where no rule may fire, at any stage.
NEGATIVE_SCREENS = [
    # real dumps
    "atzuche_sms_login.xml",
    "bilibili_consent_dialog.xml",
    "bilibili_consent_refused_dialog.xml",
    "bilibili_login_onekey.xml",
    "bilibili_mine_logged_out.xml",
    "warrescue_phone_sms_login.xml",
    # synthetic: ordinary screens, boilerplate and notifications that name barriers
    "synthetic_wechat_signup_form_zh_hans.xml",
    "synthetic_douyin_phone_login_zh_hans.xml",
    "synthetic_calling_code_picker_zh_hans.xml",
    "synthetic_privacy_consent_zh_hans.xml",
    "synthetic_privacy_consent_zh_hant.xml",
    "synthetic_privacy_consent_en.xml",
    "synthetic_system_notification_realname.xml",
    "synthetic_bilibili_home_signed_in_zh_hans.xml",
]


def saved_screen(name: str) -> Screen:
    return Screen.from_file(str(FIXTURES / name))


@pytest.mark.parametrize(("name", "stage", "rule_id"), SAVED,
                         ids=[f"{n}-{r}" for n, _, r in SAVED])
def test_rule_fires_on_its_saved_screen(name: str, stage: Stage, rule_id: str) -> None:
    match = shared_rules().classify(saved_screen(name), stage)
    assert match is not None, f"no rule matched {name}"
    assert match.rule.id == rule_id, (match.rule.id, match.text)
    rule = shared_rules().get(rule_id)
    assert rule is not None and match.rule.barrier is rule.barrier
    assert written_in(match.text) == rule.language, (match.text, rule.language)


def test_every_rule_is_tested_on_a_saved_screen_in_its_language() -> None:
    """Each rule claims one language; a saved screen must show it firing on text in that
    language. Adding a rule (or a language) without a saved screen fails here."""
    tested: dict[str, set[str]] = {}
    for name, stage, rule_id in SAVED:
        assert (FIXTURES / name).is_file(), name
        match = shared_rules().classify(saved_screen(name), stage)
        if match is not None and match.rule.id == rule_id:
            tested.setdefault(rule_id, set()).add(written_in(match.text))
    missing = [f"{r.id} ({r.language})" for r in shared_rules().rules
               if r.language not in tested.get(r.id, set())]
    assert not missing, "rules without a saved-screen test in their language: " + \
        ", ".join(missing)


def test_every_rule_claims_a_language_its_id_names() -> None:
    for rule in shared_rules().rules:
        assert rule.language in LANGUAGES, rule.id
        assert rule.id.endswith(LANGUAGES[rule.language]), rule.id
        assert rule.description, rule.id


def test_every_meaning_comes_in_all_three_languages() -> None:
    meanings: dict[str, set[str]] = {}
    for rule in shared_rules().rules:
        base = rule.id.rsplit(".", 1)[0]
        meanings.setdefault(base, set()).add(str(rule.language))
    for base, langs in meanings.items():
        assert langs == set(LANGUAGES), (base, langs)


@pytest.mark.parametrize("name", NEGATIVE_SCREENS)
@pytest.mark.parametrize("stage", [None, *Stage])
def test_ordinary_saved_screens_match_nothing(name: str, stage: Stage | None) -> None:
    match = shared_rules().classify(saved_screen(name), stage)
    assert match is None, (match.rule.id, match.text) if match else None


def test_the_real_whatsapp_dump_is_a_rate_limit() -> None:
    match = shared_rules().classify(saved_screen("whatsapp_business_verify_sms_blocked.xml"))
    assert match is not None
    assert (match.rule.id, match.rule.barrier) == ("risk.challenge.en",
                                                    Barrier.RISK_CONTROL_BLOCK)
    assert "recently" in match.text


def test_the_fixture_readme_lists_every_saved_screen() -> None:
    readme = (FIXTURES.parent / "README.md").read_text(encoding="utf-8")
    for path in FIXTURES.glob("*.xml"):
        assert f"`{path.name}`" in readme, path.name


def test_synthetic_screens_say_so() -> None:
    for path in FIXTURES.glob("synthetic_*.xml"):
        assert "Synthetic screen" in path.read_text(encoding="utf-8")[:400], path.name


# --------------------------------------------------------------------------- phrasings

# (rule id, text seen on screen): more phrasings per rule, so that each rule is shown to
# match its meaning through different wordings.
POSITIVE: list[tuple[str, str]] = [
    ("geo.region_unavailable.en", "This app is not available in your country or region."),
    ("geo.region_unavailable.en", "Sorry, the service is unavailable in your region"),
    ("geo.region_unavailable.en", "This service is only available to users in mainland China"),
    ("geo.region_unavailable.en", "We can't provide the service in your region yet."),
    ("geo.region_unavailable.zh_hans", "当前国家或地区暂不支持使用该服务"),
    ("geo.region_unavailable.zh_hans", "您所在的地区暂未开放"),
    ("geo.region_unavailable.zh_hans", "本服务仅面向中国大陆用户"),
    ("geo.region_unavailable.zh_hans", "海外用户暂不支持使用"),
    ("geo.region_unavailable.zh_hant", "您所在的地區暫不支援此服務"),
    ("geo.region_unavailable.zh_hant", "本服務僅面向中國大陸用戶"),
    ("geo.region_unavailable.zh_hant", "目前地區不在服務範圍內"),
    ("feature.post_requires_rnr.zh_hans", "根据国家法律法规要求，发布内容前需完成实名认证"),
    ("feature.post_requires_rnr.zh_hans", "完成实名认证后才能发布动态"),
    ("feature.post_requires_rnr.zh_hans", "绑定手机号才能发布内容"),
    ("feature.post_requires_rnr.zh_hans", "未实名认证用户暂不能发言"),
    ("feature.post_requires_rnr.zh_hant", "發佈內容前需完成實名認證"),
    ("feature.post_requires_rnr.zh_hant", "綁定手機後才能發言"),
    ("feature.post_requires_rnr.zh_hant", "未完成實名認證，暫時無法留言"),
    ("feature.post_requires_rnr.en", "Posting requires real-name verification."),
    ("feature.post_requires_rnr.en", "Please bind a phone number before you can comment"),
    ("feature.post_requires_rnr.en", "You cannot comment until you verify your identity."),
    ("phone.mainland_required.zh_hans", "请绑定中国大陆手机号后继续"),
    ("phone.mainland_required.zh_hans", "仅支持中国大陆手机号注册"),
    ("phone.mainland_required.zh_hans", "请使用国内手机号码注册"),
    ("phone.mainland_required.zh_hant", "請綁定中國大陸手機號碼"),
    ("phone.mainland_required.zh_hant", "僅支援中國大陸手機號碼"),
    ("phone.mainland_required.en", "A mainland China phone number is required"),
    ("phone.mainland_required.en", "Please bind a +86 mobile number to continue"),
    ("phone.mainland_required.en", "Only phone numbers from mainland China can be used"),
    ("verify.friend.zh_hans", "请邀请一位微信好友扫码辅助验证"),
    ("verify.friend.zh_hans", "需要好友辅助验证"),
    ("verify.friend.zh_hans", "请你的好友使用微信扫描下方二维码"),
    ("verify.friend.zh_hant", "請邀請好友掃碼協助驗證"),
    ("verify.friend.zh_hant", "請你的好友用微信掃描下方二維碼"),
    ("verify.friend.en", "Ask a friend who has used the app for 6 months to scan this QR code"),
    ("verify.friend.en", "Friend verification required"),
    ("verify.friend.en", "Your friend needs to scan the QR code below to verify you"),
    ("verify.face.zh_hans", "请进行人脸识别"),
    ("verify.face.zh_hans", "需要刷脸完成认证"),
    ("verify.face.zh_hans", "请将脸移入框内"),
    ("verify.face.zh_hant", "請進行人臉辨識"),
    ("verify.face.zh_hant", "請眨眨眼"),
    ("verify.face.en", "Face verification is required to continue"),
    ("verify.face.en", "Liveness check"),
    ("verify.face.en", "Blink your eyes slowly"),
    ("verify.bank_card.zh_hans", "实名认证需要验证您的银行卡"),
    ("verify.bank_card.zh_hans", "通过本人银行卡认证"),
    ("verify.bank_card.zh_hant", "實名認證需驗證您的銀行卡"),
    ("verify.bank_card.zh_hant", "透過本人銀行卡驗證"),
    ("verify.bank_card.en", "Link a debit card to complete real-name verification"),
    ("verify.bank_card.en", "Identity verification with a bank card"),
    ("verify.id.zh_hans", "根据国家相关法律法规要求，请完成实名认证"),
    ("verify.id.zh_hans", "请输入身份证号"),
    ("verify.id.zh_hans", "请上传护照照片"),
    ("verify.id.zh_hans", "请填写真实姓名"),
    ("verify.id.zh_hant", "根據國家相關法律法規要求，請完成實名認證"),
    ("verify.id.zh_hant", "請輸入身分證字號"),
    ("verify.id.zh_hant", "請上傳台胞證"),
    ("verify.id.en", "Real-name verification"),
    ("verify.id.en", "Please verify your identity to continue"),
    ("verify.id.en", "Scan the front of your ID card"),
    ("phone.country_unsupported.zh_hans", "暂不支持该国家的手机号"),
    ("phone.country_unsupported.zh_hans", "该地区号码暂不支持注册"),
    ("phone.country_unsupported.zh_hans", "暂不支持海外手机号注册"),
    ("phone.country_unsupported.zh_hant", "該國家手機號碼暫不支援"),
    ("phone.country_unsupported.zh_hant", "國際號碼暫不支援"),
    ("phone.country_unsupported.en", "Phone numbers from your country are not supported"),
    ("phone.country_unsupported.en", "This country code is not supported"),
    ("phone.country_unsupported.en", "International numbers are not supported"),
    ("phone.number_rejected.zh_hans", "该手机号暂不支持"),
    ("phone.number_rejected.zh_hans", "此号码无法注册"),
    ("phone.number_rejected.zh_hans", "无法向该手机号发送验证码"),
    ("phone.number_rejected.zh_hant", "該手機號碼暫不支援"),
    ("phone.number_rejected.zh_hant", "此號碼無法接收簡訊"),
    ("phone.number_rejected.en", "This phone number is not supported"),
    ("phone.number_rejected.en", "We can't verify this number"),
    ("phone.number_rejected.en", "Unable to send a code to this number"),
    ("risk.sms_upstream.zh_hans", "请用本机发送短信验证码完成验证"),
    ("risk.sms_upstream.zh_hans", "需要上行短信验证"),
    ("risk.sms_upstream.zh_hant", "請使用本機傳送簡訊驗證"),
    ("risk.sms_upstream.zh_hant", "編輯簡訊 8372 發送至 10690700511"),
    ("risk.sms_upstream.en", "Text 8372 to +86 1069 0700 511 to verify your number"),
    ("risk.sms_upstream.en", "Send a text message containing ZC 8372 to 10690700511"),
    ("risk.account_restricted.zh_hans", "该账号已被封禁"),
    ("risk.account_restricted.zh_hans", "当前设备存在安全风险，暂时无法注册"),
    ("risk.account_restricted.zh_hant", "該帳號因違反使用規範已被停權"),
    ("risk.account_restricted.zh_hant", "存在安全風險，暫時無法註冊"),
    ("risk.account_restricted.en", "Your account has been suspended"),
    ("risk.account_restricted.en", "Sign-up failed because of suspicious activity"),
    ("risk.challenge.zh_hans", "请拖动滑块完成验证"),
    ("risk.challenge.zh_hans", "操作过于频繁，请稍后再试"),
    ("risk.challenge.zh_hans", "请依次点击图中的文字"),
    ("risk.challenge.zh_hans", "今日验证码发送次数已达上限"),
    ("risk.challenge.zh_hant", "請拖動滑塊完成驗證"),
    ("risk.challenge.zh_hant", "帳號存在風險"),
    ("risk.challenge.zh_hant", "請完成下列驗證後繼續"),
    ("risk.challenge.en", "Too many attempts. Try again in 24 hours."),
    ("risk.challenge.en", "Complete the security check"),
    ("risk.challenge.en", "Verify you are human"),
    ("risk.challenge.en", "Rotate the image until it is upright"),
]

# Texts every sign-up shows; no rule may fire on them.
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


def test_every_rule_is_shown_with_several_phrasings() -> None:
    counts: dict[str, int] = {}
    for rid, _ in POSITIVE:
        counts[rid] = counts.get(rid, 0) + 1
    for rule in shared_rules().rules:
        assert counts.get(rule.id, 0) >= 2, rule.id


@pytest.mark.parametrize("text", NEGATIVE)
def test_ordinary_signup_texts_match_nothing(text: str,
                                             make_screen: Callable[..., str]) -> None:
    for stage in (None, Stage.FEATURES):
        assert classify([text], make_screen, stage) is None


# --------------------------------------------------------------------------- behaviour


def test_posting_gate_is_only_a_feature_barrier_after_signup(
        make_screen: Callable[..., str]) -> None:
    text = "根据国家法律法规要求，发布内容前需完成实名认证"
    assert classify([text], make_screen, Stage.FEATURES) == "feature.post_requires_rnr.zh_hans"
    # before an account exists, the same words are an ID demand
    assert classify([text], make_screen, Stage.OTP) == "verify.id.zh_hans"


def test_a_bank_card_demand_is_told_from_an_id_demand(make_screen: Callable[..., str]) -> None:
    assert classify(["请绑定本人银行卡完成实名认证"], make_screen) == "verify.bank_card.zh_hans"
    assert classify(["请完成实名认证"], make_screen) == "verify.id.zh_hans"


def test_system_notifications_are_ignored(make_screen: Callable[..., str]) -> None:
    notification = ('<android.widget.TextView package="com.android.systemui" '
                    'text="完成实名认证领红包" displayed="true"/>')
    xml = make_screen(["请输入手机号"], extra=notification)
    assert shared_rules().classify(Screen(xml, "org.example.app")) is None


def test_rules_version_is_set() -> None:
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", shared_rules().version)


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
