"""Where sessions come from: a real Appium endpoint, or the built-in simulator.

Both are reached through ``AppiumDevice`` and the same W3C protocol; the simulator is only
started here, on 127.0.0.1 and a free port, for as long as the run lasts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from harness.devices.base import Device, DeviceFactory
from harness.spec.config import RunConfig
from harness.support.errors import BackendUnavailable, ConfigError, ConfigErrors
from harness.support.secrets import mask_url
from harness.vocabulary.outcomes import Backend

if TYPE_CHECKING:
    from harness.spec.profile import Profile

APPIUM_HELP = (
    "Start Appium first (`npx appium --address 127.0.0.1 --port 4723` with the uiautomator2 "
    "driver installed and an emulator or phone attached), pass its address with "
    "--appium-url, or use the built-in simulator with --backend=sim"
)


def check_appium(url: str, timeout: float = 5.0) -> dict[str, Any]:
    """GET ``/status``; raise one clear ``BackendUnavailable`` if nothing usable answers."""
    shown = mask_url(url)
    status_url = url.rstrip("/") + "/status"
    try:
        resp = httpx.get(status_url, timeout=timeout)
    except httpx.InvalidURL:
        raise BackendUnavailable(f"--appium-url={shown}: not a valid URL. {APPIUM_HELP}.") from None
    except httpx.HTTPError as exc:
        raise BackendUnavailable(
            f"--appium-url={shown}: no Appium server answers there "
            f"({type(exc).__name__}: {exc}). {APPIUM_HELP}.") from None
    if resp.status_code != 200:
        raise BackendUnavailable(
            f"--appium-url={shown}: {status_url} answered HTTP {resp.status_code}, not an "
            f"Appium server status. {APPIUM_HELP}.")
    try:
        body = resp.json()
    except ValueError:
        raise BackendUnavailable(
            f"--appium-url={shown}: the /status answer is not JSON, so this is not an Appium "
            f"server. {APPIUM_HELP}.") from None
    value = body.get("value") if isinstance(body, dict) else None
    return value if isinstance(value, dict) else {}


@contextlib.contextmanager
def endpoint(config: RunConfig) -> Iterator[str]:
    """The WebDriver URL to use for this run; starts the simulator when asked for."""
    if config.backend is Backend.SIM:
        from harness.sim import SimServer

        with SimServer() as server:
            yield server.url
        return
    check_appium(config.appium_url)
    yield config.appium_url


def via_farm(url: str, config: RunConfig) -> bool:
    """Whether the endpoint allocates devices itself (a Selenium Grid hub): a device that
    fails there is worth one more try, which the hub sends to another device."""
    if config.backend is not Backend.APPIUM:
        return False
    from harness.devices.grid import hub_status

    try:
        return hub_status(url) is not None
    except BackendUnavailable:
        return False


def device_factory(url: str, config: RunConfig, farm: bool = False) -> DeviceFactory:
    """Opens sessions at ``url``; through a ``farm`` each device learns its Grid node."""
    def open_device(caps: Mapping[str, Any]) -> Device:
        from harness.devices.appium import AppiumDevice

        device = AppiumDevice.open(url, caps, backend=config.backend,
                                   attempts=config.session_attempts)
        if farm:
            from harness.devices.grid import session_node

            device.node = session_node(url, device.session_id)
        return device

    return open_device


def check_farm_serves(url: str, profiles: Sequence[Profile]) -> None:
    """Every profile has an UP slot of the Grid at ``url`` that matches it, or one
    ``ConfigErrors`` naming each that has none (before the run, not N queue timeouts)."""
    from harness.devices.grid import grid_request, hub_status, matching_slots

    status = hub_status(url)
    if status is None:
        return
    errors = []
    for p in profiles:
        request = grid_request(p)
        if not matching_slots(status, request):
            wanted = ", ".join(f"{k}={v}" for k, v in request.items())
            errors.append(ConfigError(
                p.where("device"), "device",
                f"no UP slot of the Grid at {mask_url(url)} serves profile {p.id} ({wanted})",
                f"Start a node whose stereotype carries these values (`harness farm nodes` "
                f"writes them), drop {p.id} from --country, or see `harness farm check "
                f"--hub {mask_url(url)}`"))
    if errors:
        raise ConfigErrors(errors)
