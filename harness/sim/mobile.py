"""``mobile:`` execute methods, the UiAutomator2 extension commands the harness uses.

``POST /session/{id}/execute/sync`` with ``{"script": "mobile: NAME", "args": [{...}]}``
lands here. Names and result shapes follow the appium-uiautomator2-driver so that the
harness's Appium code path (``activate_app``, ``query_app_state``, ``mobile: listSms``,
``send_sms`` ...) works unchanged against the simulator. ``mobile: clickGesture`` taps as
W3C actions do. ``mobile: shell`` only answers ``getprop`` for the properties that reveal
the SIM, locale and time zone.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping

from harness.sim.errors import InvalidArgument, NoSuchElement, UnknownCommand, UnknownError
from harness.sim.session import SimSession

Args = Mapping[str, object]
MobileCommand = Callable[[SimSession, Args], object]

KEYCODE_HOME = 3
KEYCODE_BACK = 4


def _string(args: Args, name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidArgument(f"'{name}' must be a non-empty string")
    return value


def _app_id(args: Args) -> str:
    value = args.get("appId", args.get("bundleId"))
    if not isinstance(value, str) or not value:
        raise InvalidArgument("'appId' must be a non-empty string")
    return value


def system_properties(session: SimSession) -> dict[str, str]:
    """The ``getprop`` values the simulator models (SIM, locale, time zone, build)."""
    p = session.profile
    return {
        "gsm.sim.operator.iso-country": p.sim_country.lower(),
        "gsm.operator.iso-country": p.sim_country.lower(),
        "gsm.sim.operator.alpha": p.carrier,
        "gsm.operator.alpha": p.carrier,
        "persist.sys.locale": p.language_tag,
        "persist.sys.timezone": p.time_zone,
        "ro.product.manufacturer": "Harness",
        "ro.product.model": "Simulator",
        "ro.build.version.release": "14",
        "ro.build.version.sdk": "34",
        "ro.kernel.qemu": "1",
    }


def _shell(session: SimSession, args: Args) -> str:
    command = _string(args, "command")
    extra = args.get("args", [])
    if isinstance(extra, str):
        extra = [extra]
    if not isinstance(extra, list) or not all(isinstance(a, str) for a in extra):
        raise InvalidArgument("'args' must be a list of strings")
    words = [*shlex.split(command), *(str(a) for a in extra)]
    if not words or words[0] != "getprop" or len(words) > 2:
        raise UnknownError(
            f"shell command {' '.join(words)!r} is not available on the simulator; "
            "only 'getprop [name]' is"
        )
    props = system_properties(session)
    if len(words) == 2:
        return props.get(words[1], "") + "\n"
    return "".join(f"[{name}]: [{value}]\n" for name, value in sorted(props.items()))


def _device_info(session: SimSession, args: Args) -> dict[str, object]:
    p = session.profile
    return {
        "androidId": session.android_id,
        "manufacturer": "Harness",
        "model": "Simulator",
        "brand": "harness",
        "apiVersion": "34",
        "platformVersion": "14",
        "carrierName": p.carrier,
        "realDisplaySize": "1080x2400",
        "displayDensity": 420,
        "networks": [],
        "locale": p.android_locale,
        "timeZone": p.time_zone,
        "bluetooth": {"state": "off"},
    }


def _device_time(session: SimSession, args: Args) -> str:
    return session.local_time().isoformat(timespec="seconds")


def _list_sms(session: SimSession, args: Args) -> dict[str, object]:
    limit = args.get("max", 100)
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise InvalidArgument("'max' must be an integer")
    items = [message.to_json() for message in session.sms.latest(limit)]
    return {"items": items, "total": len(session.sms)}


def _send_sms(session: SimSession, args: Args) -> None:
    message = args.get("message")
    if not isinstance(message, str):
        raise InvalidArgument("'message' must be a string")
    session.sms.receive(_string(args, "phoneNumber"), message)


def _press_key(session: SimSession, args: Args) -> None:
    keycode = args.get("keycode")
    if isinstance(keycode, bool) or not isinstance(keycode, int):
        raise InvalidArgument("'keycode' must be an integer")
    if keycode == KEYCODE_BACK:
        session.back()
    elif keycode == KEYCODE_HOME:
        session.home()


def _deep_link(session: SimSession, args: Args) -> None:
    """``mobile: deepLink``: an http(s) URL opens in the browser, fetched over the
    device's own route; other schemes are not modelled."""
    url = _string(args, "url")
    if not url.startswith(("http://", "https://")):
        raise UnknownError(f"the simulator opens only http(s) links, not {url!r}")
    session.browse(url)


def _offset(args: Args, name: str) -> float | None:
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgument(f"'{name}' must be a number, got {value!r}")
    return float(value)


def _click_gesture(session: SimSession, args: Args) -> None:
    """``mobile: clickGesture``: a tap at ``x, y``; at the centre of ``elementId`` (or
    of the element ``locator: {strategy, selector}`` finds), or at ``x, y`` from that
    element's top-left corner when both are given, as the UiAutomator2 driver does."""
    x, y = _offset(args, "x"), _offset(args, "y")
    element = args.get("elementId", args.get("element"))
    locator = args.get("locator")
    if element is None and isinstance(locator, dict):
        strategy, selector = locator.get("strategy"), locator.get("selector")
        if not isinstance(strategy, str) or not isinstance(selector, str):
            raise InvalidArgument("'locator' needs string 'strategy' and 'selector'")
        found = session.find(strategy, selector)
        if not found:
            raise NoSuchElement(f"no element matches {strategy}={selector!r}")
        element = found[0]
    if element is not None:
        if not isinstance(element, str):
            raise InvalidArgument("'elementId' must be a string")
        x1, y1, x2, y2 = session.node(element).bounds
        if x is None or y is None:
            x, y = (x1 + x2) / 2, (y1 + y2) / 2
        else:
            x, y = x1 + x, y1 + y
    elif x is None or y is None:
        raise InvalidArgument("'mobile: clickGesture' needs 'elementId' or both 'x' and 'y'")
    session.tap_at(x, y)


def _activate(session: SimSession, args: Args) -> None:
    session.activate_app(_app_id(args))


def _clear(session: SimSession, args: Args) -> None:
    session.clear_app(_app_id(args))


COMMANDS: Mapping[str, MobileCommand] = {
    "activateApp": _activate,
    "clickGesture": _click_gesture,
    "terminateApp": lambda s, a: s.terminate_app(_app_id(a)),
    "clearApp": _clear,
    "queryAppState": lambda s, a: s.query_app_state(_app_id(a)),
    "isAppInstalled": lambda s, a: _app_id(a) in s.apps,
    "getCurrentPackage": lambda s, a: s.current_package,
    "getCurrentActivity": lambda s, a: ".MainActivity" if s.foreground else ".Launcher",
    "getDeviceInfo": _device_info,
    "getDeviceTime": _device_time,
    "getDisplayDensity": lambda s, a: 420,
    "listSms": _list_sms,
    "deepLink": _deep_link,
    "setGeolocation": lambda s, a: s.set_location(a),
    "getGeolocation": lambda s, a: dict(s.location),
    "sendSms": _send_sms,
    "shell": _shell,
    "pressKey": _press_key,
    "hideKeyboard": lambda s, a: None,
    "isKeyboardShown": lambda s, a: s.keyboard_shown(),
}


def execute_mobile(session: SimSession, script: str, args: object) -> object:
    """Run ``mobile: NAME`` with the first element of ``args`` as its parameters."""
    name = script.strip()
    if not name.startswith("mobile:"):
        raise UnknownCommand(
            "the simulator runs no JavaScript; only 'mobile: <method>' scripts are supported"
        )
    name = name.removeprefix("mobile:").strip()
    command = COMMANDS.get(name)
    if command is None:
        raise UnknownCommand(f"'mobile: {name}' is not implemented by the simulator")
    if args is None:
        args = []
    if not isinstance(args, list):
        raise InvalidArgument("'args' must be a JSON array")
    params = args[0] if args and args[0] is not None else {}
    if not isinstance(params, dict):
        raise InvalidArgument(f"'mobile: {name}' takes a JSON object as its argument")
    return command(session, params)
