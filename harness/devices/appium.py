"""The Appium implementation of ``Device``: the only module that imports appium.

It talks W3C WebDriver to whatever endpoint it is given: a local Appium server, a Selenium
Grid 4 hub, the appium-device-farm plugin, a cloud farm, or the built-in simulator. Faults
are mapped to ``DeviceError``s: no answer or a refused session -> ``DeviceUnavailable``;
a lost session or a dead server mid-attempt -> ``SessionLost``. Idempotent reads (page
source, screenshot, SMS, device info) are retried with tenacity on transient faults;
actions (tap, type) are not, since repeating one could change what is measured.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import urllib3
from appium import webdriver
from appium.options.android import UiAutomator2Options
from appium.webdriver.client_config import AppiumClientConfig
from appium.webdriver.errorhandler import MobileErrorHandler
from selenium.common.exceptions import (
    InvalidSessionIdException,
    NoSuchElementException,
    SessionNotCreatedException,
    StaleElementReferenceException,
    UnknownMethodException,
    WebDriverException,
)
from selenium.webdriver.remote.command import Command
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)
from urllib3.util.retry import Retry

from harness.devices.base import (
    NETWORK_ERROR_PAGE,
    AppNotInstalled,
    DeviceError,
    DeviceInfo,
    DeviceUnavailable,
    ElementGone,
    Locator,
    SessionLost,
    Sms,
    UnsupportedCommand,
)
from harness.support.secrets import mask_url, scrub
from harness.vocabulary.outcomes import Backend

log = logging.getLogger(__name__)
T = TypeVar("T")

COMMAND_TIMEOUT = 120


class _Transient(Exception):
    """A fault worth one more try: connection reset, 5xx, server busy."""

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause
        super().__init__(str(cause))


class _HttpError(WebDriverException):
    """An HTTP error status whose body is no WebDriver error (a gateway's 502 page, a
    proxy's 503), which the clients would otherwise return as the command's value."""

    def __init__(self, status: int, body: str) -> None:
        self.status = status
        super().__init__(msg=f"HTTP {status}: {' '.join(body.split())[:120] or 'no body'}")


class _StrictErrors(MobileErrorHandler):
    """Appium's error handler, and an HTTP error status without a WebDriver error raised."""

    def check_response(self, response: dict[str, Any]) -> None:
        super().check_response(response)
        status = response.get("status")
        if isinstance(status, int) and status >= 400:  # never a JSON Wire code (0-34)
            raise _HttpError(status, str(response.get("value") or ""))


#: urllib3's own retries: a connection that could not be made is tried again (nothing was
#: sent), an answer that does not come is not (``_retry`` retries idempotent reads only;
#: urllib3's default would multiply each read timeout by four).
_POOL = {"init_args_for_pool_manager": {"retries": Retry(total=3, connect=3, read=0,
                                                         other=0, status=0)}}


def _message(exc: BaseException) -> str:
    msg = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
    return scrub(str(msg).splitlines()[0] if str(msg) else type(exc).__name__)


def _stream_hint(exc: Exception) -> str:
    """The fix when a session failed on the MJPEG stream its screenshots were to come from."""
    if "mjpeg" not in str(exc).lower():
        return ""
    return (". Screenshots from the MJPEG stream (the profile's `mjpeg_port`) need the "
            "mjpeg-consumer npm package on the Appium host (npm i -g mjpeg-consumer) and "
            "that host port free; or remove `mjpeg_port` to let the device take them")


def _is_connection_error(exc: BaseException) -> bool:
    return isinstance(exc, urllib3.exceptions.HTTPError | OSError | ConnectionError)


class AppiumDevice:
    """One Appium session. Create with ``AppiumDevice.open(url, capabilities)``."""

    def __init__(self, driver: Any, url: str, backend: Backend, device_id: str) -> None:
        self._driver = driver
        self._url = url
        self._backend = backend
        self._device_id = device_id
        self._closed = False
        self._info: DeviceInfo | None = None
        #: The Grid node serving the session, when it was opened through a hub.
        self.node: str | None = None

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def open(cls, url: str, capabilities: Mapping[str, Any], backend: Backend = Backend.APPIUM,
             attempts: int = 3, command_timeout: int = COMMAND_TIMEOUT) -> AppiumDevice:
        """Open a W3C session; retry transient faults, never a refusal of the capabilities."""
        shown = mask_url(url)
        options = UiAutomator2Options().load_capabilities(dict(capabilities))

        def create() -> Any:
            config = AppiumClientConfig(remote_server_addr=url, timeout=command_timeout,
                                        keep_alive=True, init_args_for_pool_manager=_POOL)
            try:
                driver = webdriver.Remote(command_executor=url, options=options,
                                          client_config=config)
                driver.error_handler = _StrictErrors()
                return driver
            except SessionNotCreatedException as exc:
                raise DeviceUnavailable(
                    f"the Appium endpoint at {shown} refused to open a session: "
                    f"{_message(exc)}{_stream_hint(exc)}") from None
            except WebDriverException as exc:
                if _is_connection_error(exc) or "Connection refused" in str(exc):
                    raise _Transient(exc) from None
                raise DeviceUnavailable(
                    f"the Appium endpoint at {shown} failed to open a session: "
                    f"{_message(exc)}{_stream_hint(exc)}") from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise _Transient(exc) from None

        try:
            driver = _retry(create, attempts)
        except _Transient as exc:
            raise DeviceUnavailable(
                f"no Appium server answers at {shown} ({_message(exc.cause)})") from None
        caps = getattr(driver, "capabilities", {}) or {}
        device_id = str(caps.get("deviceUDID") or caps.get("udid") or caps.get("appium:udid")
                        or capabilities.get("appium:udid") or capabilities.get("appium:avd")
                        or getattr(driver, "session_id", "unknown"))
        return cls(driver, url, backend, device_id)

    @property
    def device_id(self) -> str:
        return self._device_id

    @property
    def backend(self) -> Backend:
        return self._backend

    @property
    def session_id(self) -> str:
        return str(self._driver.session_id)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._driver.quit()
        except Exception as exc:  # the session may already be gone; closing must not fail
            log.debug("closing session: %s", _message(exc))

    # ------------------------------------------------------------------ calls

    def _call(self, fn: Callable[[], T], idempotent: bool) -> T:
        def once() -> T:
            try:
                return fn()
            except (NoSuchElementException, StaleElementReferenceException):
                raise
            except InvalidSessionIdException as exc:
                raise SessionLost(f"the session was lost: {_message(exc)}") from None
            except UnknownMethodException as exc:
                raise UnsupportedCommand(_message(exc)) from None
            except _HttpError as exc:
                if exc.status >= 500:
                    raise _Transient(exc) from None
                raise SessionLost(f"the Appium endpoint at {mask_url(self._url)} answered "
                                  f"{_message(exc)}") from None
            except WebDriverException as exc:
                text = str(exc)
                if "unknown command" in text or "not implemented" in text.lower():
                    raise UnsupportedCommand(_message(exc)) from None
                if _is_connection_error(exc) or "Connection refused" in text:
                    raise _Transient(exc) from None
                if "invalid session id" in text or "A session is either terminated" in text:
                    raise SessionLost(f"the session was lost: {_message(exc)}") from None
                raise DeviceError(_message(exc)) from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise _Transient(exc) from None
            except (TypeError, KeyError) as exc:  # the client choked on the answer (`null`)
                raise SessionLost(f"the Appium endpoint at {mask_url(self._url)} answered "
                                  "something that is not a WebDriver answer "
                                  f"({type(exc).__name__}: {_message(exc)})") from None

        try:
            return _retry(once, 3 if idempotent else 1)
        except _Transient as exc:
            raise SessionLost(
                f"the Appium endpoint at {mask_url(self._url)} stopped answering "
                f"({_message(exc.cause)})") from None

    def _execute(self, script: str, args: Mapping[str, Any] | None = None,
                 idempotent: bool = True) -> Any:
        return self._call(lambda: self._driver.execute_script(script, dict(args or {})),
                          idempotent)

    def _find(self, locators: Sequence[Locator]) -> Any:
        for by, value in locators:
            def find(b: str = by, v: str = value) -> Any:
                return self._driver.find_element(b, v)
            try:
                return self._call(find, True)
            except (NoSuchElementException, StaleElementReferenceException):
                continue
        raise ElementGone(f"none of {len(locators)} locators found an element")

    # ------------------------------------------------------------------ Device

    def page_source(self) -> str:
        value = self._call(lambda: self._driver.execute(Command.GET_PAGE_SOURCE)["value"],
                           True)
        if not isinstance(value, str):
            raise SessionLost(f"the Appium endpoint at {mask_url(self._url)} answered a page "
                              f"source that is not text ({type(value).__name__})")
        return value

    def screenshot(self) -> bytes:
        value = self._call(lambda: self._driver.execute(Command.SCREENSHOT)["value"], True)
        try:
            return base64.b64decode(value.encode("ascii"), validate=True)
        except (AttributeError, ValueError):  # binascii.Error is a ValueError
            raise SessionLost(f"the Appium endpoint at {mask_url(self._url)} answered a "
                              "screenshot that is not base64 PNG data") from None

    def tap(self, locators: Sequence[Locator]) -> None:
        el = self._find(locators)
        try:
            self._call(el.click, False)
        except (NoSuchElementException, StaleElementReferenceException):
            raise ElementGone("the element went stale before the click") from None

    def type_text(self, locators: Sequence[Locator], text: str, clear: bool = True) -> None:
        el = self._find(locators)
        try:
            if clear:
                self._call(el.clear, False)
            self._call(lambda: el.send_keys(text), False)
        except (NoSuchElementException, StaleElementReferenceException):
            raise ElementGone("the element went stale before typing") from None

    def tap_at(self, x: int, y: int) -> None:
        self._actions([_pointer([*_tap_ticks(x, y)])])

    def type_at(self, x: int, y: int, text: str) -> None:
        taps = _tap_ticks(x, y)
        keys = [{"type": "pause", "duration": 0}] * len(taps)
        for ch in text:
            keys += [{"type": "keyDown", "value": ch}, {"type": "keyUp", "value": ch}]
        self._actions([_pointer(taps), {"type": "key", "id": "keyboard", "actions": keys}])

    def _actions(self, sources: list[dict[str, Any]]) -> None:
        """One W3C Perform Actions request (not retried: an action changes the app)."""
        try:
            self._call(lambda: self._driver.execute(Command.W3C_ACTIONS,
                                                    {"actions": sources}), False)
        except DeviceError as exc:
            if "not implemented" in exc.message.lower() or "unknown" in exc.message.lower():
                raise UnsupportedCommand(exc.message) from None
            raise

    def launch_app(self, package: str, clear: bool = False) -> None:
        """Start ``package`` (resetting its data first if ``clear``): the commands a script
        sends, with ``mobile: isAppInstalled`` asked only when one of them fails, to tell
        an app that is not there from a device that misbehaves.

        On a driver without the UiAutomator2 ``mobile:`` app commands (a farm's other
        driver, the fake driver) the app the session was opened with is taken as started.
        """
        try:
            if clear:
                self._execute("mobile: terminateApp", {"appId": package}, idempotent=False)
                self._execute("mobile: clearApp", {"appId": package}, idempotent=False)
            self._execute("mobile: activateApp", {"appId": package}, idempotent=False)
        except UnsupportedCommand:
            log.info("driver cannot start apps; using the session's app")
        except DeviceError as exc:
            if not isinstance(exc, SessionLost) and self._not_installed(package, exc):
                raise AppNotInstalled(f"{package} is not installed on device "
                                      f"{self._device_id}") from None
            raise

    def _not_installed(self, package: str, exc: DeviceError) -> bool:
        if "not installed" in exc.message.lower():
            return True
        try:
            return self._execute("mobile: isAppInstalled", {"appId": package}) is False
        except DeviceError:
            return False

    def stop_app(self, package: str) -> None:
        self._execute("mobile: terminateApp", {"appId": package}, idempotent=False)

    def device_info(self) -> DeviceInfo:
        """What the device says about itself: ``mobile: getDeviceInfo`` and one
        ``mobile: shell getprop`` for the SIM and network countries, asked once per session
        (the answers do not change within one)."""
        if self._info is None:
            raw = self._execute("mobile: getDeviceInfo") or {}
            if not isinstance(raw, dict):
                raw = {}
            props = self._props(_COUNTRY_PROPS)
            self._info = DeviceInfo(
                model=raw.get("model"),
                platform_version=raw.get("platformVersion"),
                locale=raw.get("locale"),
                timezone=raw.get("timeZone"),
                sim_country=props.get(_COUNTRY_PROPS[0]),
                network_country=props.get(_COUNTRY_PROPS[1]),
                carrier=raw.get("carrierName"),
                raw={k: v for k, v in raw.items() if k in (
                    "manufacturer", "model", "brand", "apiVersion", "platformVersion",
                    "carrierName", "locale", "timeZone", "realDisplaySize")},
            )
        return self._info

    def _props(self, names: Sequence[str]) -> dict[str, str]:
        """System properties (upper-cased, empty ones left out) from one ``getprop`` of
        all of them; ``{}`` when the server does not allow ``adb_shell``."""
        try:
            out = str(self._execute("mobile: shell", {"command": "getprop"}) or "")
        except DeviceError:
            return {}  # needs --allow-insecure adb_shell on a real Appium server
        found = {}
        for line in out.splitlines():
            m = _GETPROP_LINE.match(line.strip())
            if m and m.group(1) in names and m.group(2).strip():
                found[m.group(1)] = m.group(2).strip().upper()
        return found

    def list_sms(self, limit: int = 20) -> list[Sms]:
        raw = self._execute("mobile: listSms", {"max": limit})
        items = raw.get("items", []) if isinstance(raw, dict) else []
        out = []
        for it in items:
            body = str(it.get("body", ""))
            date = it.get("date")
            key = str(it.get("_id") or hashlib.sha256(f"{date}|{body}".encode()).hexdigest())
            try:
                date_ms = int(date) if date is not None else None
            except (TypeError, ValueError):
                date_ms = None
            out.append(Sms(key=key, sender=str(it.get("address", "")), body=body,
                           date_ms=date_ms))
        return out

    def set_http_proxy(self, host_port: str | None) -> None:
        """The phone's global proxy (``settings put global http_proxy``), through
        ``mobile: shell``: the Appium server must allow it
        (``--allow-insecure=uiautomator2:adb_shell``). ``:0`` clears the setting."""
        self._execute("mobile: shell", {"command": "settings",
                                        "args": ["put", "global", "http_proxy",
                                                 host_port or ":0"]}, idempotent=False)

    def set_location(self, latitude: float, longitude: float, altitude: float = 0.0) -> None:
        """UiAutomator2's ``mobile: setGeolocation``; the older W3C-extension endpoint
        (deprecated in Appium 3) where the driver lacks it."""
        try:
            self._execute("mobile: setGeolocation", {"latitude": latitude,
                                                     "longitude": longitude,
                                                     "altitude": altitude})
        except UnsupportedCommand:
            self._call(lambda: self._driver.set_location(latitude, longitude, altitude), True)


    def location(self) -> tuple[float, float]:
        """``mobile: getGeolocation``; the W3C-extension endpoint where the driver lacks it."""
        try:
            raw = self._execute("mobile: getGeolocation")
        except UnsupportedCommand:
            raw = self._call(lambda: self._driver.location, True)
        if not isinstance(raw, dict) or "latitude" not in raw or "longitude" not in raw:
            raise UnsupportedCommand(f"the driver reported no position ({raw!r})")
        return float(raw["latitude"]), float(raw["longitude"])

    def browse(self, url: str, timeout: float = 20.0) -> str:
        """The page at ``url`` as the device's browser shows it (``mobile: deepLink`` into
        Chrome, then the page source's text): a request over the device's own network,
        whatever carries it (a proxy setting, a VPN app, the farm's network)."""
        self._execute("mobile: deepLink", {"url": url, "package": BROWSER_PACKAGE,
                                           "waitForLaunch": True}, idempotent=False)
        deadline = time.monotonic() + timeout
        while True:
            texts = _visible_texts(self.page_source())
            body = next((t for t in texts if t.lstrip().startswith("{")), None) or next(
                (t for t in texts if NETWORK_ERROR_PAGE.search(t)), None)
            if body is not None:  # the page, or the browser's page saying it has none
                return body
            if time.monotonic() >= deadline:
                raise UnsupportedCommand(f"the browser showed no JSON from {mask_url(url)} "
                                         f"within {timeout:g} s")
            time.sleep(0.5)


#: The SIM's and the registered network's ISO country, as ``getprop`` names them.
_COUNTRY_PROPS = ("gsm.sim.operator.iso-country", "gsm.operator.iso-country")

#: One line of ``getprop``'s listing: ``[name]: [value]``.
_GETPROP_LINE = re.compile(r"^\[([^\]]+)\]: \[(.*)\]$")


def _tap_ticks(x: int, y: int) -> list[dict[str, Any]]:
    """A finger put down at (x, y) and lifted: what UiAutomator2 reads as a tap."""
    return [{"type": "pointerMove", "duration": 0, "origin": "viewport", "x": int(x),
             "y": int(y)},
            {"type": "pointerDown", "button": 0},
            {"type": "pointerUp", "button": 0}]


def _pointer(ticks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "pointer", "id": "finger", "parameters": {"pointerType": "touch"},
            "actions": ticks}


#: The browser a device-route check opens (Chrome is on every Android image with Play).
BROWSER_PACKAGE = "com.android.chrome"


def _visible_texts(source: str) -> list[str]:
    from lxml import etree

    try:
        root = etree.fromstring(source.encode("utf-8"),
                                etree.XMLParser(recover=True, resolve_entities=False))
    except etree.XMLSyntaxError:
        return []
    if root is None:
        return []
    out = []
    for el in root.iter():
        for name in ("text", "content-desc"):
            value = el.get(name)
            if value:
                out.append(str(value))
    return out


def _retry(fn: Callable[[], T], attempts: int) -> T:
    try:
        for attempt in Retrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(multiplier=0.3, max=3),
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        ):
            with attempt:
                return fn()
    except RetryError as exc:  # pragma: no cover - reraise=True re-raises the cause
        raise exc.last_attempt.exception() or RuntimeError("retry failed") from None
    raise RuntimeError("unreachable")
