"""Screens (both Android dump shapes) and selectors, on real saved dumps and a page source
in UiAutomator2's shape. The dumps are described in tests/fixtures/README.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from harness.spec.selectors import (
    BY_ACCESSIBILITY_ID,
    BY_ID,
    BY_XPATH,
    Selector,
    SelectorKind,
    xpath_literal,
)
from harness.verdicts.screen import SYSTEM_PACKAGES, Screen, ScreenParseError

SCREENS = Path(__file__).resolve().parents[1] / "fixtures" / "screens"
BILI = "tv.danmaku.bili"

# UiAutomator2's page source: each element's tag is its class name, with `displayed`.
UIA2_SOURCE = """<?xml version="1.0" encoding="UTF-8"?>
<hierarchy index="0" class="hierarchy" rotatable="true" rotation="0" width="1080" height="2400">
  <android.widget.FrameLayout index="0" package="org.example.app"
      class="android.widget.FrameLayout" text="" resource-id="" content-desc=""
      displayed="true" bounds="[0,0][1080,2400]">
    <android.widget.TextView index="0" package="org.example.app"
        class="android.widget.TextView" text="Create account"
        resource-id="org.example.app:id/title" content-desc="" displayed="true"
        bounds="[0,100][1080,200]"/>
    <android.widget.EditText index="1" package="org.example.app"
        class="android.widget.EditText" text="Phone number"
        resource-id="org.example.app:id/phone_input" content-desc="" displayed="true"
        bounds="[0,300][1080,400]"/>
    <android.widget.Button index="2" package="org.example.app"
        class="android.widget.Button" text="Get code"
        resource-id="org.example.app:id/get_code" content-desc="" displayed="true"
        bounds="[0,500][1080,600]"/>
    <android.widget.ImageButton index="3" package="org.example.app"
        class="android.widget.ImageButton" text="" resource-id="org.example.app:id/back"
        content-desc="Navigate up" displayed="true" bounds="[0,0][100,100]"/>
    <android.widget.TextView index="4" package="org.example.app"
        class="android.widget.TextView" text="Hidden tip" resource-id="" content-desc=""
        displayed="false" bounds="[0,0][0,0]"/>
    <android.widget.TextView index="5" package="org.example.app"
        class="android.widget.TextView" text="He said &quot;it's fine&quot;"
        resource-id="" content-desc="" displayed="true" bounds="[0,700][1080,800]"/>
  </android.widget.FrameLayout>
  <android.widget.FrameLayout index="1" package="com.android.systemui"
      class="android.widget.FrameLayout" text="" resource-id="" content-desc=""
      displayed="true" bounds="[0,0][1080,80]">
    <android.widget.TextView index="0" package="com.android.systemui"
        class="android.widget.TextView" text="请完成实名认证"
        resource-id="com.android.systemui:id/notification_text" content-desc=""
        displayed="true" bounds="[0,0][1080,80]"/>
  </android.widget.FrameLayout>
</hierarchy>
"""


def load(name: str, app_package: str | None = None) -> Screen:
    return Screen.from_file(str(SCREENS / name), app_package)


@pytest.fixture(scope="module")
def uia2() -> Screen:
    return Screen(UIA2_SOURCE)


@pytest.fixture(scope="module")
def onekey() -> Screen:
    return load("bilibili_login_onekey.xml")


@pytest.fixture(scope="module")
def mine() -> Screen:
    return load("bilibili_mine_logged_out.xml")


def sel(kind: SelectorKind, *values: str) -> Selector:
    return Selector(kind, values)


# --------------------------------------------------------------------------- Screen


def test_uiautomator2_page_source(uia2: Screen) -> None:
    nodes = list(uia2.nodes())
    assert len(nodes) == 9  # every element but <hierarchy>
    assert nodes[1].cls == "android.widget.TextView"
    assert nodes[1].resource_id == "org.example.app:id/title"
    assert uia2.foreground_package == "org.example.app"
    assert uia2.packages == {"org.example.app", "com.android.systemui"}
    assert uia2.texts == ["Create account", "Phone number", "Get code", "Navigate up",
                          'He said "it\'s fine"']


def test_class_falls_back_to_tag() -> None:
    s = Screen('<hierarchy><android.widget.Button text="OK" package="p.q"/></hierarchy>')
    (node,) = s.nodes()
    assert node.cls == "android.widget.Button"
    assert node.displayed  # no `displayed` attribute means displayed
    assert node.label == "OK"


def test_hidden_nodes_are_not_texts_and_not_found(uia2: Screen) -> None:
    assert "Hidden tip" not in uia2.texts
    assert sel(SelectorKind.TEXT, "Hidden tip").find(uia2) is None
    assert uia2.xpath("//*[@text='Hidden tip']")  # it is in the tree


def test_system_ui_is_not_the_apps_text(uia2: Screen) -> None:
    assert "请完成实名认证" not in uia2.texts
    assert "com.android.systemui" in SYSTEM_PACKAGES


@pytest.mark.parametrize(("name", "package"), [
    ("bilibili_login_onekey.xml", BILI),
    ("bilibili_mine_logged_out.xml", BILI),
    ("bilibili_consent_dialog.xml", BILI),
    ("bilibili_consent_refused_dialog.xml", BILI),
    ("atzuche_sms_login.xml", "com.Autoyol.auto"),
    ("warrescue_phone_sms_login.xml", "com.warrescue.app"),
    ("whatsapp_business_verify_sms_blocked.xml", "com.whatsapp.w4b"),
])
def test_dump_files_parse_and_know_their_app(name: str, package: str) -> None:
    s = load(name)
    assert s.foreground_package == package
    assert s.texts
    assert all(isinstance(t, str) and t == t.strip() for t in s.texts)
    assert len(s.texts) == len(set(s.texts))


def test_foreground_package_ignores_system_ui_even_when_it_has_more_nodes(
        mine: Screen, onekey: Screen) -> None:
    # the login sheet has 50 system UI nodes and 17 of the app's
    counts = [n.package for n in onekey.nodes()]
    assert counts.count("com.android.systemui") > counts.count(BILI)
    assert onekey.foreground_package == BILI
    assert mine.foreground_package == BILI


def test_texts_exclude_system_notifications(mine: Screen, onekey: Screen) -> None:
    for screen in (mine, onekey):
        labels = [n.label for n in screen.nodes()]
        assert "小米云服务通知：您的云空间已不足" in labels  # a notification in the dump ...
        assert not [t for t in screen.texts if "通知" in t]  # ... is not the app's text
        assert "返回" not in screen.texts  # navigation bar
        assert not [t for t in screen.texts if t.startswith("下午")]  # status bar clock
    assert onekey.texts == [
        "登录注册解锁更多精彩内容", "139****5598", "本机号码一键登录", "其他方式登录",
        "我已阅读并同意用户协议、隐私政策和中国移动号码认证系列服务协议，"
        "未注册绑定的手机号验证成功后将自动注册",
    ]
    assert mine.texts[0] == "点击登录"
    assert "发布" in mine.texts  # a content description of the app's own tab


def test_app_package_restricts_texts(onekey: Screen) -> None:
    same = load("bilibili_login_onekey.xml", app_package=BILI)
    assert same.texts == onekey.texts
    # an app package that is not on screen falls back to "any non-system package"
    other = load("bilibili_login_onekey.xml", app_package="org.other")
    assert other.texts == onekey.texts
    # asking for system UI explicitly gives only its nodes
    sysui = load("bilibili_login_onekey.xml", app_package="com.android.systemui")
    assert "本机号码一键登录" not in sysui.texts
    assert "返回" in sysui.texts


def test_texts_keep_non_breaking_spaces_of_the_dump() -> None:
    s = load("whatsapp_business_verify_sms_blocked.xml")
    assert "Verifying your number" in s.texts
    assert any("+994\u00a000" in t for t in s.texts)
    assert "DIDN'T RECEIVE CODE?" in s.texts


@pytest.mark.parametrize("source", ["", "not xml", "<hierarchy><node></hierarchy>",
                                    '{"value": "<hierarchy/>"}'])
def test_screen_parse_error(source: str) -> None:
    with pytest.raises(ScreenParseError) as info:
        Screen(source)
    assert "not XML" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_screen_xpath(uia2: Screen) -> None:
    assert [n.text for n in uia2.xpath("//android.widget.Button")] == ["Get code"]
    assert uia2.xpath("count(//*)") == []  # not a node-set
    assert uia2.xpath("//@text") == []     # attributes are not nodes
    with pytest.raises(ValueError, match="invalid XPath"):
        uia2.xpath("//*[")


# --------------------------------------------------------------------------- find


def test_find_by_text(onekey: Screen, uia2: Screen) -> None:
    node = sel(SelectorKind.TEXT, "本机号码一键登录").find(onekey)
    assert node is not None
    assert node.resource_id == "tv.danmaku.bili:id/tv_submit"
    assert sel(SelectorKind.TEXT, "一键登录").find(onekey) is None  # exact, not contains
    node = sel(SelectorKind.TEXT, "Get code").find(uia2)
    assert node is not None and node.cls == "android.widget.Button"


def test_find_by_text_list_tries_alternatives_in_order(onekey: Screen) -> None:
    node = sel(SelectorKind.TEXT, "Log in", "其他方式登录", "本机号码一键登录").find(onekey)
    assert node is not None and node.text == "其他方式登录"
    assert sel(SelectorKind.TEXT, "Log in", "登入").find(onekey) is None


def test_text_matches_a_content_description_when_there_is_no_text(mine: Screen) -> None:
    node = sel(SelectorKind.TEXT, "发布").find(mine)
    assert node is not None
    assert node.text == "" and node.content_desc == "发布"


def test_find_by_text_contains(onekey: Screen, uia2: Screen) -> None:
    node = sel(SelectorKind.TEXT_CONTAINS, "一键").find(onekey)
    assert node is not None and node.text == "本机号码一键登录"
    node = sel(SelectorKind.TEXT_CONTAINS, "Navigate").find(uia2)
    assert node is not None and node.content_desc == "Navigate up"


def test_find_by_full_and_short_id(onekey: Screen, uia2: Screen) -> None:
    full = sel(SelectorKind.ID, "tv.danmaku.bili:id/tv_submit").find(onekey)
    short = sel(SelectorKind.ID, "tv_submit").find(onekey)
    assert full is not None and short is not None
    assert full.element is short.element
    # a short id matches only the whole suffix after ":id/"
    assert sel(SelectorKind.ID, "submit").find(onekey) is None
    assert sel(SelectorKind.ID, "bili:id/tv_submit").find(onekey) is None
    node = sel(SelectorKind.ID, "get_code").find(uia2)
    assert node is not None and node.text == "Get code"


def test_find_by_short_id_in_atzuche_dump() -> None:
    s = load("atzuche_sms_login.xml")
    node = sel(SelectorKind.ID, "getSMS").find(s)
    assert node is not None and node.text == "获取验证码"
    node = sel(SelectorKind.ID, "login_name").find(s)
    assert node is not None and node.cls == "android.widget.EditText"


def test_find_by_accessibility_id(uia2: Screen) -> None:
    node = sel(SelectorKind.ACCESSIBILITY_ID, "Navigate up").find(uia2)
    assert node is not None and node.resource_id == "org.example.app:id/back"
    assert sel(SelectorKind.ACCESSIBILITY_ID, "Create account").find(uia2) is None


def test_find_by_xpath_and_class(onekey: Screen, uia2: Screen) -> None:
    node = sel(SelectorKind.XPATH, '//*[@resource-id="tv.danmaku.bili:id/tv_title"]').find(onekey)
    assert node is not None and node.text == "登录注册解锁更多精彩内容"
    node = sel(SelectorKind.CLASS, "android.widget.EditText").find(uia2)
    assert node is not None and node.text == "Phone number"
    node = sel(SelectorKind.CLASS, "android.widget.EditText").find(load("atzuche_sms_login.xml"))
    assert node is not None and node.resource_id == "com.Autoyol.auto:id/login_name"


def test_find_text_with_both_quote_kinds(uia2: Screen) -> None:
    node = sel(SelectorKind.TEXT, 'He said "it\'s fine"').find(uia2)
    assert node is not None and node.text == 'He said "it\'s fine"'
    node = sel(SelectorKind.TEXT_CONTAINS, '"it\'s').find(uia2)
    assert node is not None


# --------------------------------------------------------------------------- xpath_literal


@pytest.mark.parametrize("value", [
    "plain", 'with "double"', "with 'single'", 'both "double" and \'single\'',
    '"', "'", "\"'", '"starts', "ends'", "同意", "",
])
def test_xpath_literal_round_trips_through_lxml(value: str) -> None:
    lit = xpath_literal(value)
    root = etree.Element("hierarchy")
    etree.SubElement(root, "node", text=value)
    etree.SubElement(root, "node", text=value + "x")
    assert root.xpath(f"string({lit})") == value
    found = root.xpath(f"//node[@text={lit}]")
    assert isinstance(found, list) and len(found) == 1
    assert found[0].get("text") == value  # type: ignore[union-attr]


def test_xpath_literal_shapes() -> None:
    assert xpath_literal("a") == '"a"'
    assert xpath_literal('a"b') == "'a\"b'"
    assert xpath_literal("a\"b'c").startswith("concat(")


# --------------------------------------------------------------------------- locators


def test_locators_for_id_selector(onekey: Screen) -> None:
    s = sel(SelectorKind.ID, "tv_submit")
    locs = s.locators(s.find(onekey))
    assert locs[0] == (BY_ID, "tv_submit")
    assert locs[1:] == [(BY_XPATH, x) for x in s.xpaths()]


def test_locators_for_text_prefer_a_unique_resource_id(onekey: Screen) -> None:
    s = sel(SelectorKind.TEXT, "本机号码一键登录")
    locs = s.locators(s.find(onekey))
    assert locs == [
        (BY_ID, "tv.danmaku.bili:id/tv_submit"),
        (BY_XPATH, '//*[@text="本机号码一键登录"]'),
        *[(BY_XPATH, x) for x in s.xpaths()],
    ]


def test_locators_skip_a_resource_id_shared_by_several_nodes(mine: Screen) -> None:
    s = sel(SelectorKind.TEXT, "历史记录")
    node = s.find(mine)
    assert node is not None and node.resource_id == "tv.danmaku.bili:id/title"
    locs = s.locators(node)
    assert all(kind != BY_ID for kind, _ in locs)
    assert locs[0] == (BY_XPATH, '//*[@text="历史记录"]')


def test_locators_for_accessibility_id(uia2: Screen) -> None:
    s = sel(SelectorKind.ACCESSIBILITY_ID, "Navigate up")
    locs = s.locators(s.find(uia2))
    assert locs[:2] == [(BY_ID, "org.example.app:id/back"), (BY_ACCESSIBILITY_ID, "Navigate up")]
    assert locs[2:] == [(BY_XPATH, '//*[@content-desc="Navigate up"]')]
    assert s.locators() == [(BY_ACCESSIBILITY_ID, "Navigate up"),
                            (BY_XPATH, '//*[@content-desc="Navigate up"]')]


def test_locators_without_a_match_are_the_selectors_own_and_unique() -> None:
    s = sel(SelectorKind.TEXT, "A", "B", "A")
    locs = s.locators()
    assert locs == [(BY_XPATH, x) for x in s.xpaths()[:2]]
    assert len(set(locs)) == len(locs)


def test_every_locator_xpath_finds_the_matched_node(onekey: Screen, uia2: Screen) -> None:
    cases = [
        (onekey, sel(SelectorKind.TEXT, "其他方式登录")),
        (onekey, sel(SelectorKind.TEXT_CONTAINS, "解锁")),
        (onekey, sel(SelectorKind.ID, "tv_phonenum")),
        (uia2, sel(SelectorKind.ACCESSIBILITY_ID, "Navigate up")),
        (uia2, sel(SelectorKind.CLASS, "android.widget.Button")),
        (uia2, sel(SelectorKind.TEXT, 'He said "it\'s fine"')),
    ]
    for screen, s in cases:
        node = s.find(screen)
        assert node is not None, s
        for by, value in s.locators(node):
            if by == BY_XPATH:
                hits = screen.xpath(value)
                assert any(h.element is node.element for h in hits), (s, value)


# --------------------------------------------------------------------------- misc


def test_describe_and_render() -> None:
    s = sel(SelectorKind.TEXT, "+{phone.calling_code}", "{country}")
    assert s.describe() == "text=+{phone.calling_code} | {country}"
    r = s.render({"phone.calling_code": "49", "country": "DE"})
    assert r == Selector(SelectorKind.TEXT, ("+49", "DE"))
    assert s.values == ("+{phone.calling_code}", "{country}")  # unchanged


def test_xpaths_compile_for_every_kind() -> None:
    for kind in SelectorKind:
        value = "//node" if kind is SelectorKind.XPATH else "a\"b'c"
        if kind is SelectorKind.CLASS:
            value = "android.widget.Button"
        for x in Selector(kind, (value,)).xpaths():
            etree.XPath(x)


def test_find_by_text_ignores_system_notifications(uia2: Screen, mine: Screen) -> None:
    assert sel(SelectorKind.TEXT_CONTAINS, "实名认证").find(uia2) is None
    assert sel(SelectorKind.TEXT_CONTAINS, "云空间").find(mine) is None
