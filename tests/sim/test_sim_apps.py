"""The demo apps stop sign-up where they were designed to, per calling code and locale.

Each test walks a sign-up as a scenario does (consent, calling-code picker, phone
number, SMS code from ``mobile: listSms``, submit, post) and asserts the screen the
profile ends on, for a number the app blocks and one it lets through.
"""

from __future__ import annotations

from appium.webdriver.common.appiumby import AppiumBy
from sim_flows import (
    CN,
    DE,
    GB,
    HK,
    SG,
    TW,
    Connect,
    Phone,
    choose_code,
    has_text,
    latest_code,
    open_signup,
    options,
    post,
    request_code,
    sign_up,
    tap_text,
)

OPENCHAT = "org.harnessdemo.openchat"
DIALCODE = "org.harnessdemo.dialcode"
QUIETSMS = "org.harnessdemo.quietsms"
ZHENMING = "org.harnessdemo.zhenming"
GATEDPOST = "org.harnessdemo.gatedpost"
FRIENDCHECK = "org.harnessdemo.friendcheck"


def test_openchat_full_access(connect: Connect) -> None:
    driver = connect(options(DE))
    sign_up(driver, OPENCHAT, DE)
    assert has_text(driver, "Welcome to OpenChat")
    post(driver, "Hello from DE")
    assert driver.find_element(AppiumBy.ID, "status").text == "Posted"
    assert has_text(driver, "Hello from DE")
    sms = driver.execute_script("mobile: listSms", {})["items"][0]
    assert sms["body"].startswith("[OpenChat] Your verification code is ")


def test_wrong_code_and_invalid_number(connect: Connect) -> None:
    driver = connect(options(DE))
    open_signup(driver, OPENCHAT)
    assert driver.find_element(AppiumBy.ID, "country_code").text == "+49"  # from the SIM
    driver.find_element(AppiumBy.ID, "phone_input").send_keys("123")
    driver.find_element(AppiumBy.ID, "get_code").click()
    assert driver.find_element(AppiumBy.ID, "status").text == "Invalid phone number"
    assert latest_code(driver) is None
    driver.find_element(AppiumBy.ID, "phone_input").send_keys(DE.national)
    driver.find_element(AppiumBy.ID, "get_code").click()
    code = latest_code(driver)
    assert code is not None
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    driver.find_element(AppiumBy.ID, "code_input").send_keys(wrong)
    driver.find_element(AppiumBy.ID, "submit").click()
    assert driver.find_element(AppiumBy.ID, "status").text == "Incorrect code"
    driver.find_element(AppiumBy.ID, "code_input").send_keys(code)
    driver.find_element(AppiumBy.ID, "submit").click()
    assert has_text(driver, "Welcome to OpenChat")


def test_quietsms_drops_codes_to_germany(connect: Connect) -> None:
    driver = connect(options(DE))
    request_code(driver, QUIETSMS, DE)
    assert driver.execute_script("mobile: listSms", {})["total"] == 0
    assert driver.find_element(AppiumBy.ID, "status").text.startswith("Code sent to +49")
    resend = driver.find_element(AppiumBy.ID, "get_code")
    assert resend.text == "Resend in 60s" and not resend.is_enabled()


def test_quietsms_delivers_to_the_uk(connect: Connect) -> None:
    driver = connect(options(GB))
    sign_up(driver, QUIETSMS, GB)
    assert has_text(driver, "Welcome to QuietSMS")


def test_dialcode_picker_has_no_german_code(connect: Connect) -> None:
    driver = connect(options(DE))
    open_signup(driver, DIALCODE)
    assert driver.find_element(AppiumBy.ID, "country_code").text == "+86"
    assert choose_code(driver, "49") == []
    assert has_text(driver, "No results")
    driver.find_element(AppiumBy.ID, "country_search").send_keys("Germany")
    assert not driver.find_elements(AppiumBy.ID, "country_row")
    assert has_text(driver, "No results")
    driver.find_element(AppiumBy.ID, "country_search").send_keys("Hong")
    rows = driver.find_elements(AppiumBy.ID, "country_row")
    assert [row.text for row in rows] == ["Hong Kong +852"]


def test_dialcode_hong_kong_full_access(connect: Connect) -> None:
    driver = connect(options(HK))
    open_signup(driver, DIALCODE)
    assert choose_code(driver, "852") == ["Hong Kong +852"]
    assert driver.find_element(AppiumBy.ID, "country_code").text == "+852"
    driver.back()  # leave the form, then walk the whole flow
    sign_up(driver, DIALCODE, HK)
    assert has_text(driver, "Welcome to DialCode")


def test_zhenming_requires_real_name_for_germany(connect: Connect) -> None:
    driver = connect(options(DE, language="zh", locale="CN"))
    driver.execute_script("mobile: clearApp", {"appId": ZHENMING})
    driver.activate_app(ZHENMING)
    tap_text(driver, "同意")
    assert has_text(driver, "手机号登录/注册")
    sign_up(driver, ZHENMING, DE)
    assert has_text(driver, "根据国家相关法律法规要求，请完成实名认证")
    hints = {e.text for e in driver.find_elements(AppiumBy.CLASS_NAME, "android.widget.EditText")}
    assert hints == {"真实姓名", "身份证号"}
    sms = driver.execute_script("mobile: listSms", {})["items"][0]["body"]
    assert sms.startswith("【真名社区】您的验证码为")


def test_zhenming_traditional_chinese_on_zh_tw(connect: Connect) -> None:
    driver = connect(options(TW, language="zh", locale="TW"))
    open_signup(driver, ZHENMING)
    assert driver.find_element(AppiumBy.ID, "get_code").text == "獲取驗證碼"
    assert driver.find_element(AppiumBy.ID, "submit").text == "登入"
    driver.back()
    sign_up(driver, ZHENMING, TW)
    assert has_text(driver, "根據國家相關法律法規要求，請完成實名認證")
    assert has_text(driver, "身份證號")


def test_zhenming_mainland_number_reaches_home(connect: Connect) -> None:
    driver = connect(options(CN, language="zh", locale="CN"))
    sign_up(driver, ZHENMING, CN)
    assert driver.find_element(AppiumBy.ID, "home_title").text == "首页"
    assert not has_text(driver, "实名认证")


def test_gatedpost_blocks_posting_for_germany(connect: Connect) -> None:
    driver = connect(options(DE))
    sign_up(driver, GATEDPOST, DE)
    assert has_text(driver, "Home timeline")
    post(driver, "Hello from DE")
    message = driver.find_element(AppiumBy.ID, "android:id/message").text
    assert (
        "根据国家法律法规要求" in message and "Posting requires real-name verification" in message
    )
    assert not has_text(driver, "Posted")
    tap_text(driver, "Cancel")
    driver.back()
    assert has_text(driver, "Home timeline") and not has_text(driver, "Hello from DE")


def test_gatedpost_hong_kong_posts(connect: Connect) -> None:
    driver = connect(options(HK))
    sign_up(driver, GATEDPOST, HK)
    post(driver, "Hello from HK")
    assert has_text(driver, "Posted") and has_text(driver, "Hello from HK")


def test_friendcheck(connect: Connect) -> None:
    cases: list[tuple[Phone, bool]] = [(DE, True), (SG, False)]
    for phone, gated in cases:
        driver = connect(options(phone))
        sign_up(driver, FRIENDCHECK, phone)
        assert has_text(driver, "ask a friend who has used FriendCheck") is gated
        assert has_text(driver, "Chats") is not gated
        if gated:
            assert driver.find_elements(AppiumBy.ACCESSIBILITY_ID, "QR code")
            driver.terminate_app(FRIENDCHECK)
            driver.activate_app(FRIENDCHECK)  # the gate survives a restart
            assert has_text(driver, "Security verification")
