"""Helpers the simulator tests share: sessions for a country profile and the sign-up
walk a scenario performs, written against appium-python-client as the harness is."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import phonenumbers
from appium import webdriver
from appium.options.android import UiAutomator2Options
from appium.webdriver.common.appiumby import AppiumBy
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.remote.command import Command

from harness.sim import SimServer

#: Opens an Appium session on the test's simulator (the ``connect`` fixture).
Connect = Callable[[UiAutomator2Options], webdriver.Remote]

OPENCHAT = "org.harnessdemo.openchat"

#: Agree / sign-up button texts across the demo apps' languages.
AGREE = ("Agree", "同意")
SIGN_UP = ("Sign up with phone", "手机号登录/注册", "手機號登入/註冊")


@dataclass(frozen=True)
class Phone:
    """A test SIM: E.164 number, its region and national number."""

    e164: str

    @property
    def region(self) -> str:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(self.e164))
        assert region is not None
        return str(region)

    @property
    def calling_code(self) -> str:
        return str(phonenumbers.parse(self.e164).country_code)

    @property
    def national(self) -> str:
        return str(phonenumbers.national_significant_number(phonenumbers.parse(self.e164)))


DE = Phone("+4915112345678")
GB = Phone("+447911123456")
HK = Phone("+85251234567")
TW = Phone("+886912345678")
SG = Phone("+6581234567")
CN = Phone("+8613812345678")


def options(
    phone: Phone | None,
    *,
    sim_country: str | None = None,
    ip_country: str | None = None,
    language: str = "en",
    locale: str | None = None,
    time_zone: str = "UTC",
    platform: str = "Android",
) -> UiAutomator2Options:
    country = sim_country or (phone.region if phone else "US")
    caps: dict[str, object] = {
        "platformName": platform,
        "appium:automationName": "UiAutomator2",
        "appium:language": language,
        "appium:locale": locale or country,
        "appium:timeZone": time_zone,
        "harness:simCountry": country,
        "harness:ipCountry": ip_country or country,
    }
    if phone is not None:
        caps["harness:phoneNumber"] = phone.e164
    opts = UiAutomator2Options()
    opts.load_capabilities(caps)
    return opts


def connect(url: str, opts: UiAutomator2Options) -> webdriver.Remote:
    return webdriver.Remote(url, options=opts)


def tap_text(driver: webdriver.Remote, *texts: str) -> None:
    """Tap the first element whose text is one of ``texts``."""
    condition = " or ".join(f'@text="{t}"' for t in texts)
    driver.find_element(AppiumBy.XPATH, f"//*[{condition}]").click()


def has_text(driver: webdriver.Remote, text: str) -> bool:
    return bool(driver.find_elements(AppiumBy.XPATH, f'//*[contains(@text, "{text}")]'))


def latest_code(driver: webdriver.Remote) -> str | None:
    """The 6-digit code in the newest SMS, as the harness's OTP reader extracts it."""
    result = driver.execute_script("mobile: listSms", {"max": 1})
    if not result["items"]:
        return None
    match = re.search(r"(?<!\d)\d{6}(?!\d)", result["items"][0]["body"])
    return match.group(0) if match else None


def open_signup(driver: webdriver.Remote, package: str) -> None:
    """Fresh start of ``package`` up to the phone form."""
    driver.execute_script("mobile: clearApp", {"appId": package})
    driver.activate_app(package)
    tap_text(driver, *AGREE)
    tap_text(driver, *SIGN_UP)


def choose_code(driver: webdriver.Remote, calling_code: str) -> list[str]:
    """Open the picker, search the code; tap the first row and return all rows' texts."""
    driver.find_element(AppiumBy.ID, "country_code").click()
    driver.find_element(AppiumBy.ID, "country_search").send_keys(calling_code)
    rows = driver.find_elements(AppiumBy.XPATH, '//*[contains(@resource-id, ":id/country_list")]/*')
    texts = [row.text for row in rows]
    if rows:
        rows[0].click()
    return texts


def request_code(driver: webdriver.Remote, package: str, phone: Phone) -> None:
    open_signup(driver, package)
    rows = choose_code(driver, phone.calling_code)
    assert rows, f"no picker row for +{phone.calling_code}"
    driver.find_element(AppiumBy.ID, "phone_input").send_keys(phone.national)
    driver.find_element(AppiumBy.ID, "get_code").click()


def sign_up(driver: webdriver.Remote, package: str, phone: Phone) -> None:
    """The whole sign-up; fails if the code SMS does not arrive."""
    request_code(driver, package, phone)
    code = latest_code(driver)
    assert code is not None, "no verification SMS arrived"
    driver.find_element(AppiumBy.ID, "code_input").send_keys(code)
    driver.find_element(AppiumBy.ID, "submit").click()


def post(driver: webdriver.Remote, text: str) -> None:
    driver.find_element(AppiumBy.ID, "compose").click()
    driver.find_element(AppiumBy.ID, "post_body").send_keys(text)
    driver.find_element(AppiumBy.ID, "send").click()


def element_or_none(driver: webdriver.Remote, using: str, value: str) -> object | None:
    try:
        return driver.find_element(using, value)
    except NoSuchElementException:
        return None


def http(sim: SimServer, method: str, path: str, body: object = None) -> tuple[int, dict[str, Any]]:
    """One raw request to the simulator: its HTTP status and JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(sim.url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        assert error.headers["Content-Type"].startswith("application/json")
        return error.code, json.loads(error.read())


# --- W3C actions, as the harness sends them ------------------------------------------------

Json = dict[str, Any]


def centre(driver: webdriver.Remote, rid: str) -> tuple[int, int]:
    rect = driver.find_element(AppiumBy.ID, rid).rect
    return rect["x"] + rect["width"] // 2, rect["y"] + rect["height"] // 2


def finger(*ticks: Json, pointer_type: str = "touch") -> Json:
    return {"type": "pointer", "id": "finger", "parameters": {"pointerType": pointer_type},
            "actions": list(ticks)}


def tap_ticks(x: float, y: float, hold_ms: int = 50) -> list[Json]:
    """A finger down at (x, y) and lifted, as ``AppiumDevice.tap_at`` sends it."""
    return [{"type": "pointerMove", "duration": 0, "origin": "viewport", "x": x, "y": y},
            {"type": "pointerDown", "button": 0},
            {"type": "pause", "duration": hold_ms},
            {"type": "pointerUp", "button": 0}]


def keys(text: str, after: int = 0) -> Json:
    ticks: list[Json] = [{"type": "pause", "duration": 0}] * after
    for ch in text:
        ticks += [{"type": "keyDown", "value": ch}, {"type": "keyUp", "value": ch}]
    return {"type": "key", "id": "keyboard", "actions": ticks}


def perform(driver: webdriver.Remote, *sources: Json) -> None:
    driver.execute(Command.W3C_ACTIONS, {"actions": list(sources)})


def type_at(driver: webdriver.Remote, point: tuple[int, int], text: str) -> None:
    taps = tap_ticks(*point)
    perform(driver, finger(*taps), keys(text, after=len(taps)))
