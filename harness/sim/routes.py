"""The WebDriver endpoints: URL patterns, JSON in, session calls, JSON out.

Every handler returns the ``value`` of a ``{"value": ...}`` response or raises a
``WebDriverError``. Handlers on a session run under that session's lock, so the
commands of one session never interleave while other sessions proceed in parallel.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from harness.sim.apps import AppFactory
from harness.sim.capabilities import merge_capabilities, returned_capabilities
from harness.sim.errors import InvalidArgument, NoSuchElement, UnknownCommand
from harness.sim.mobile import execute_mobile
from harness.sim.profile import DeviceProfile
from harness.sim.session import SessionStore, SimSession
from harness.sim.ui import SCREEN_HEIGHT, SCREEN_WIDTH

#: W3C element reference key, and the legacy JSONWP one clients still read.
ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"
LEGACY_ELEMENT_KEY = "ELEMENT"

VERSION = "0.1.0"

Json = dict[str, object]


@dataclass(frozen=True)
class Request:
    """A routed request: path parameters and the decoded JSON body."""

    params: Mapping[str, str]
    body: Json


Handler = Callable[["Api", Request], object]


def element_json(element_id: str) -> Json:
    return {ELEMENT_KEY: element_id, LEGACY_ELEMENT_KEY: element_id}


def _locator(body: Json) -> tuple[str, str]:
    using, value = body.get("using"), body.get("value")
    if not isinstance(using, str) or not isinstance(value, str):
        raise InvalidArgument("a locator needs string 'using' and 'value'")
    return using, value


def _first(found: list[str], using: str, value: str) -> Json:
    if not found:
        raise NoSuchElement(
            f"An element could not be located on the page using the given search "
            f"parameters ({using}={value!r})"
        )
    return element_json(found[0])


class Api:
    """The protocol layer of one server: its sessions and the apps each device gets."""

    def __init__(self, apps: Mapping[str, AppFactory]) -> None:
        self.apps = apps
        self.sessions = SessionStore()

    def session(self, request: Request) -> SimSession:
        return self.sessions.get(request.params["sid"])

    # --- server and sessions ----------------------------------------------------------

    def status(self, request: Request) -> object:
        return {
            "ready": True,
            "message": "The harness simulator is ready to accept new sessions",
            "build": {"version": VERSION, "name": "harness-sim"},
        }

    def new_session(self, request: Request) -> object:
        merged = merge_capabilities(request.body)
        profile = DeviceProfile.from_capabilities(merged)
        session_id = str(uuid.uuid4())
        caps = returned_capabilities(merged)
        apps = {package: factory() for package, factory in self.apps.items()}
        self.sessions.add(SimSession(session_id, caps, profile, apps))
        return {"sessionId": session_id, "capabilities": caps}

    def get_session(self, request: Request) -> object:
        return self.session(request).capabilities

    def delete_session(self, request: Request) -> object:
        self.sessions.remove(request.params["sid"])
        return None

    def get_timeouts(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            return dict(session.timeouts)

    def set_timeouts(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            for name in ("implicit", "pageLoad", "script"):
                if name in request.body:
                    value = request.body[name]
                    if value is not None and (
                        isinstance(value, bool) or not isinstance(value, int)
                    ):
                        raise InvalidArgument(f"timeout '{name}' must be an integer or null")
                    session.timeouts[name] = value
        return None

    # --- finding ----------------------------------------------------------------------

    def find_element(self, request: Request) -> object:
        using, value = _locator(request.body)
        session = self.session(request)
        with session.lock:
            return _first(session.find(using, value, request.params.get("eid")), using, value)

    def find_elements(self, request: Request) -> object:
        using, value = _locator(request.body)
        session = self.session(request)
        with session.lock:
            return [element_json(e) for e in session.find(using, value, request.params.get("eid"))]

    def active_element(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            return element_json(session.active_element())

    # --- element interaction ----------------------------------------------------------

    def click(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            session.click(request.params["eid"])
        return None

    def set_value(self, request: Request) -> object:
        text = request.body.get("text")
        if text is None:
            chars = request.body.get("value")
            if not isinstance(chars, list) or not all(isinstance(c, str) for c in chars):
                raise InvalidArgument(
                    "send keys needs 'text' (string) or 'value' (list of strings)"
                )
            text = "".join(str(c) for c in chars)
        if not isinstance(text, str):
            raise InvalidArgument("'text' must be a string")
        session = self.session(request)
        with session.lock:
            session.set_text(request.params["eid"], text)
        return None

    def clear(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            session.set_text(request.params["eid"], "")
        return None

    def text(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            return session.node(request.params["eid"]).display_text

    def attribute(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            return session.attribute(request.params["eid"], request.params["name"])

    def displayed(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            session.node(request.params["eid"])
            return True

    def enabled(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            return session.node(request.params["eid"]).enabled

    def selected(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            node = session.node(request.params["eid"])
            return node.selected or node.checked

    def name(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            return session.node(request.params["eid"]).cls

    def rect(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            x1, y1, x2, y2 = session.node(request.params["eid"]).bounds
        return {"x": x1, "y": y1, "width": x2 - x1, "height": y2 - y1}

    # --- device -----------------------------------------------------------------------

    def source(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            return session.source()

    def screenshot(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            png = session.screenshot()
        return base64.b64encode(png).decode("ascii")

    def execute(self, request: Request) -> object:
        script = request.body.get("script")
        if not isinstance(script, str):
            raise InvalidArgument("'script' must be a string")
        session = self.session(request)
        with session.lock:
            return execute_mobile(session, script, request.body.get("args"))

    def set_location(self, request: Request) -> object:
        location = request.body.get("location")
        if not isinstance(location, dict):
            raise InvalidArgument("'location' must be an object with latitude and longitude")
        session = self.session(request)
        with session.lock:
            session.set_location(location)
        return None

    def get_location(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            return dict(session.location)

    def back(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            session.back()
        return None

    def window_rect(self, request: Request) -> object:
        self.session(request)
        return {"x": 0, "y": 0, "width": SCREEN_WIDTH, "height": SCREEN_HEIGHT}

    def orientation(self, request: Request) -> object:
        self.session(request)
        return "PORTRAIT"


_S = "/session/(?P<sid>[^/]+)"
_E = _S + "/element/(?P<eid>[^/]+)"

ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/status", Api.status),
    ("POST", "/session", Api.new_session),
    ("GET", _S, Api.get_session),
    ("DELETE", _S, Api.delete_session),
    ("GET", _S + "/timeouts", Api.get_timeouts),
    ("POST", _S + "/timeouts", Api.set_timeouts),
    ("POST", _S + "/element", Api.find_element),
    ("POST", _S + "/elements", Api.find_elements),
    ("GET", _S + "/element/active", Api.active_element),
    ("POST", _E + "/element", Api.find_element),
    ("POST", _E + "/elements", Api.find_elements),
    ("POST", _E + "/click", Api.click),
    ("POST", _E + "/value", Api.set_value),
    ("POST", _E + "/clear", Api.clear),
    ("GET", _E + "/text", Api.text),
    ("GET", _E + "/attribute/(?P<name>[^/]+)", Api.attribute),
    ("GET", _E + "/displayed", Api.displayed),
    ("GET", _E + "/enabled", Api.enabled),
    ("GET", _E + "/selected", Api.selected),
    ("GET", _E + "/name", Api.name),
    ("GET", _E + "/rect", Api.rect),
    ("GET", _S + "/source", Api.source),
    ("GET", _S + "/screenshot", Api.screenshot),
    ("POST", _S + "/execute/sync", Api.execute),
    ("POST", _S + "/execute", Api.execute),
    ("POST", _S + "/location", Api.set_location),
    ("GET", _S + "/location", Api.get_location),
    ("POST", _S + "/back", Api.back),
    ("GET", _S + "/window/rect", Api.window_rect),
    ("GET", _S + "/orientation", Api.orientation),
]

_COMPILED = [(method, re.compile(f"^{pattern}$"), handler) for method, pattern, handler in ROUTES]


def route(method: str, path: str) -> tuple[Handler, dict[str, str]]:
    """The handler for ``method path``, with its path parameters.

    ``path`` may carry Appium 1's ``/wd/hub`` base path and a trailing slash.
    """
    clean = path.split("?", 1)[0]
    clean = clean.removeprefix("/wd/hub")
    clean = clean.rstrip("/") or "/"
    for wanted, pattern, handler in _COMPILED:
        match = pattern.match(clean)
        if match and wanted == method:
            params = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
            return handler, params
    raise UnknownCommand(
        f"The requested resource could not be found, or a request was received using an "
        f"HTTP method that is not supported by the mapped resource: {method} {clean}"
    )
