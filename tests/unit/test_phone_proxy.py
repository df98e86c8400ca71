"""A real phone gets the profile's proxy as its global setting for the attempt, and is
left without it afterwards; a proxy the phone cannot carry is refused before anything
runs, unless a full tunnel carries the phone's traffic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from harness.attempt.device_vantage import RouteKind, check_routes, route_for
from harness.attempt.run import run_attempt
from harness.devices.base import DeviceError, DeviceInfo, Sms, UnsupportedCommand
from harness.spec.profiles import load_profile
from harness.spec.scenarios import load_scenario
from harness.storage import Store
from harness.support.errors import ConfigError
from harness.vocabulary.outcomes import Backend


class RecordingPhone:
    """A device double that records the proxy calls (the rest is inert)."""

    def __init__(self, fail_proxy: bool = False) -> None:
        self.calls: list[str | None] = []
        self.fail_proxy = fail_proxy
        self.closed = False

    device_id = "R58M-TEST"
    backend = Backend.APPIUM

    def set_http_proxy(self, host_port: str | None) -> None:
        self.calls.append(host_port)
        if self.fail_proxy and host_port is not None:
            raise DeviceError("adb_shell is not allowed")

    def page_source(self) -> str:
        return ('<hierarchy><node class="android.widget.TextView" package="org.s.app" '
                'text="Home" bounds="[0,0][1080,200]"/></hierarchy>')

    def location(self) -> tuple[float, float]:
        raise UnsupportedCommand("no GPS on this double")

    def browse(self, url: str, timeout: float = 20.0) -> str:
        raise UnsupportedCommand("no browser on this double")

    def screenshot(self) -> bytes:
        return b""

    def tap(self, locators: Sequence[tuple[str, str]]) -> None:
        return None

    def type_text(self, locators: Sequence[tuple[str, str]], text: str, clear: bool = True
                  ) -> None:
        return None

    def tap_at(self, x: int, y: int) -> None:
        return None

    def type_at(self, x: int, y: int, text: str) -> None:
        return None

    def launch_app(self, package: str, clear: bool = False) -> None:
        return None

    def stop_app(self, package: str) -> None:
        return None

    def device_info(self) -> DeviceInfo:
        return DeviceInfo()

    def list_sms(self, limit: int = 20) -> list[Sms]:
        return []

    def set_location(self, latitude: float, longitude: float, altitude: float = 0.0
                     ) -> None:
        return None

    def close(self) -> None:
        self.closed = True


def _profile(tmp: Path, proxy: str, device: str, extra: str = "") -> Any:
    (tmp / "DE.yaml").write_text(
        "country: DE\nlocale: de_DE\nlanguage: de\ntimezone: Europe/Berlin\n"
        f"phone: '+4915123456789'\nproxy: '{proxy}'\n{extra}device:\n  {device}\n",
        encoding="utf-8")
    return load_profile(tmp / "DE.yaml")


def _run(tmp: Path, phone: RecordingPhone, proxy: str, device: str) -> Any:
    profile = _profile(tmp, proxy, device)
    (tmp / "s.yaml").write_text("id: s\napp: {name: S, android_package: org.s.app}\n"
                                "steps:\n  - launch\n  - wait: Home\n    stage: account\n",
                                encoding="utf-8")
    store = Store.open(str(tmp / "r.db"))
    try:
        def open_device(caps: Mapping[str, Any]) -> Any:
            return phone
        return run_attempt(store=store, run_id=store.start_run("appium", "t"),
                           scenario=load_scenario(tmp / "s.yaml"), profile=profile,
                           phone=profile.resolve_phone(Backend.APPIUM),
                           backend=Backend.APPIUM, open_device=open_device).verdict
    finally:
        store.close()


def test_phone_gets_and_loses_the_global_proxy(tmp_path: Path) -> None:
    phone = RecordingPhone()
    verdict = _run(tmp_path, phone, "http://proxy.example.net:3128", "udid: R58M-TEST")
    assert verdict.status.value == "access"
    assert phone.calls == ["proxy.example.net:3128", None] and phone.closed


def test_an_emulator_gets_its_proxy_at_boot_not_as_a_setting(tmp_path: Path) -> None:
    phone = RecordingPhone()
    _run(tmp_path, phone, "http://proxy.example.net:3128", "emulator: harness_DE")
    assert phone.calls == []


@pytest.mark.parametrize(("proxy", "why"), [
    ("socks5://proxy.example.net:1080", "socks5:// proxy"),
    ("https://proxy.example.net:443", "https:// proxy"),
    ("http://alice:${HARNESS_TEST_PROXY_PW}@proxy.example.net:3128", "needs a password"),
])
def test_a_proxy_a_phone_cannot_carry_is_refused_before_the_attempt(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proxy: str, why: str) -> None:
    monkeypatch.setenv("HARNESS_TEST_PROXY_PW", "pw-123-secret")
    profile = _profile(tmp_path, proxy, "udid: R58M-TEST")
    from harness.spec.profile import resolve_proxy

    with pytest.raises(ConfigError) as info:
        check_routes(profile, resolve_proxy(profile), Backend.APPIUM)
    text = str(info.value)
    assert "DE.yaml" in text and "`proxy`" in text and why in text
    assert "full_tunnel: true" in text and "pw-123-secret" not in text


def test_a_full_tunnel_carries_what_the_setting_cannot(tmp_path: Path) -> None:
    profile = _profile(tmp_path, "socks5://proxy.example.net:1080", "udid: R58M-TEST",
                       extra="full_tunnel: true\n")
    route = route_for(profile, "socks5://proxy.example.net:1080", Backend.APPIUM)
    assert route.kind is RouteKind.FULL_TUNNEL and route.phone_proxy is None


def test_a_farm_device_cannot_be_given_a_proxy(tmp_path: Path) -> None:
    profile = _profile(tmp_path, "http://proxy.example.net:3128",
                       "capabilities: {appium:deviceName: farm}")
    with pytest.raises(ConfigError, match="farm device"):
        route_for(profile, "http://proxy.example.net:3128", Backend.APPIUM)


def test_a_phone_that_refuses_the_proxy_is_not_measured(tmp_path: Path) -> None:
    phone = RecordingPhone(fail_proxy=True)
    verdict = _run(tmp_path, phone, "http://proxy.example.net:3128", "udid: R58M-TEST")
    assert (verdict.status.value, verdict.failure.value, verdict.stage.value) == (
        "failure", "proxy_unreachable", "vantage")
    assert "--allow-insecure=uiautomator2:adb_shell" in verdict.detail
    assert phone.calls == ["proxy.example.net:3128", None] and phone.closed
