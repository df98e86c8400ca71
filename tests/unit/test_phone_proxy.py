"""A real phone gets the profile's proxy as its global setting for the attempt, and is
left without it afterwards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from harness.attempt import run_attempt
from harness.devices.base import DeviceError, DeviceInfo, Sms
from harness.outcomes import Backend
from harness.profiles import load_profile
from harness.scenarios import load_scenario
from harness.storage import Store


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
        return "<hierarchy/>"

    def screenshot(self) -> bytes:
        return b""

    def tap(self, locators: Sequence[tuple[str, str]]) -> None:
        return None

    def type_text(self, locators: Sequence[tuple[str, str]], text: str, clear: bool = True
                  ) -> None:
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


def _run(tmp: Path, phone: RecordingPhone, proxy: str, device: str) -> Any:
    (tmp / "DE.yaml").write_text(
        "country: DE\nlocale: de_DE\nlanguage: de\ntimezone: Europe/Berlin\n"
        f"phone: '+4915123456789'\nproxy: '{proxy}'\ndevice:\n  {device}\n",
        encoding="utf-8")
    (tmp / "s.yaml").write_text("id: s\napp: {name: S, android_package: org.s.app}\n"
                                "steps:\n  - launch\n", encoding="utf-8")
    profile = load_profile(tmp / "DE.yaml")
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


def test_phone_gets_and_loses_the_global_proxy(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_TEST_PROXY_PW", "pw-123")
    phone = RecordingPhone()
    verdict = _run(tmp_path, phone, "http://user:${HARNESS_TEST_PROXY_PW}@proxy.example.net"
                   ":3128", "udid: R58M-TEST")
    assert verdict.status.value == "access"
    assert phone.calls == ["proxy.example.net:3128", None] and phone.closed


@pytest.mark.parametrize("proxy, device", [
    ("http://proxy.example.net:3128", "emulator: harness_DE"),   # -http-proxy at boot
    ("socks5://proxy.example.net:1080", "udid: R58M-TEST"),      # needs a VPN app
])
def test_no_global_proxy_where_it_does_not_apply(tmp_path: Path, proxy: str,
                                                 device: str) -> None:
    phone = RecordingPhone()
    _run(tmp_path, phone, proxy, device)
    assert phone.calls == []


def test_a_phone_that_refuses_the_proxy_is_not_measured(tmp_path: Path) -> None:
    phone = RecordingPhone(fail_proxy=True)
    verdict = _run(tmp_path, phone, "http://proxy.example.net:3128", "udid: R58M-TEST")
    assert (verdict.status.value, verdict.failure.value, verdict.stage.value) == (
        "failure", "proxy_unreachable", "vantage")
    assert "--allow-insecure=uiautomator2:adb_shell" in verdict.detail
    assert phone.calls == ["proxy.example.net:3128", None] and phone.closed
