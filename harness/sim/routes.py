"""The WebDriver endpoints: URL patterns, JSON in, session calls, JSON out.

Every handler returns the ``value`` of a ``{"value": ...}`` response or raises a
``WebDriverError``. Handlers on a session run under that session's lock, so the
commands of one session never interleave while other sessions proceed in parallel.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from harness.sim.actions import InputState, Pause, parse_actions
from harness.sim.apps import AppFactory
from harness.sim.capabilities import merge_capabilities, returned_capabilities
from harness.sim.errors import InvalidArgument, NoSuchElement, UnknownCommand
from harness.sim.mobile import execute_mobile
from harness.sim.profile import DeviceProfile
from harness.sim.session import ELEMENT_KEY, LEGACY_ELEMENT_KEY, SessionStore, SimSession
from harness.sim.ui import SCREEN_HEIGHT, SCREEN_WIDTH

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


def response_size(payload: Json) -> int:
    """Bytes of a response body as the server sends it (what an Appium log's
    ``200 212 ms - 54619`` counts)."""
    return len(json.dumps(payload, ensure_ascii=False).encode("utf-8"))


class Api:
    """The protocol layer of one server: its sessions and the apps each device gets."""

    def __init__(self, apps: Mapping[str, AppFactory], pause: Pause | None = None) -> None:
        """``pause`` spends a gesture's durations (None: gestures take no time)."""
        self.apps = apps
        self.sessions = SessionStore()
        self.pause = pause
        self._inputs: dict[str, InputState] = {}

    def session(self, request: Request) -> SimSession:
        return self.sessions.get(request.params["sid"])

    def streams_screenshots(self, request: Request) -> bool:
        """Whether the request's session reads screenshots from an MJPEG stream
        (``appium:mjpegScreenshotUrl``): a real driver then answers from the stream's
        latest frame on the Appium host, without a device round trip."""
        if "sid" not in request.params:
            return False
        url = self.session(request).capabilities.get("appium:mjpegScreenshotUrl")
        return isinstance(url, str) and bool(url)

    def source_bytes(self, request: Request) -> int:
        """The size of the page source response for the request's session now (what a
        real driver dumps for a page source or an XPath find); 0 without a session."""
        if "sid" not in request.params:
            return 0
        session = self.session(request)
        with session.lock:
            xml = session.snapshot().source()
        return response_size({"value": xml})

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
        self._inputs.pop(request.params["sid"], None)
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

    # --- W3C actions ------------------------------------------------------------------

    def perform_actions(self, request: Request) -> object:
        sources = parse_actions(request.body)
        session = self.session(request)
        with session.lock:
            state = self._inputs.setdefault(session.id, InputState())
            state.perform(session, sources, self.pause)
        return None

    def release_actions(self, request: Request) -> object:
        session = self.session(request)
        with session.lock:
            state = self._inputs.pop(session.id, None)
            if state is not None:
                state.release(session)
        return None

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

#: (method, path pattern, handler, command kind); the kind is what the server counts.
ROUTES: list[tuple[str, str, Handler, str]] = [
    ("GET", "/status", Api.status, "other"),
    ("POST", "/session", Api.new_session, "session"),
    ("GET", _S, Api.get_session, "other"),
    ("DELETE", _S, Api.delete_session, "session"),
    ("GET", _S + "/timeouts", Api.get_timeouts, "other"),
    ("POST", _S + "/timeouts", Api.set_timeouts, "other"),
    ("POST", _S + "/element", Api.find_element, "find"),
    ("POST", _S + "/elements", Api.find_elements, "find"),
    ("GET", _S + "/element/active", Api.active_element, "other"),
    ("POST", _E + "/element", Api.find_element, "find"),
    ("POST", _E + "/elements", Api.find_elements, "find"),
    ("POST", _E + "/click", Api.click, "click"),
    ("POST", _E + "/value", Api.set_value, "value"),
    ("POST", _E + "/clear", Api.clear, "clear"),
    ("GET", _E + "/text", Api.text, "other"),
    ("GET", _E + "/attribute/(?P<name>[^/]+)", Api.attribute, "other"),
    ("GET", _E + "/displayed", Api.displayed, "other"),
    ("GET", _E + "/enabled", Api.enabled, "other"),
    ("GET", _E + "/selected", Api.selected, "other"),
    ("GET", _E + "/name", Api.name, "other"),
    ("GET", _E + "/rect", Api.rect, "other"),
    ("GET", _S + "/source", Api.source, "source"),
    ("GET", _S + "/screenshot", Api.screenshot, "screenshot"),
    ("POST", _S + "/actions", Api.perform_actions, "actions"),
    ("DELETE", _S + "/actions", Api.release_actions, "actions"),
    ("POST", _S + "/execute/sync", Api.execute, "execute"),
    ("POST", _S + "/execute", Api.execute, "execute"),
    ("POST", _S + "/location", Api.set_location, "other"),
    ("GET", _S + "/location", Api.get_location, "other"),
    ("POST", _S + "/back", Api.back, "other"),
    ("GET", _S + "/window/rect", Api.window_rect, "other"),
    ("GET", _S + "/orientation", Api.orientation, "other"),
]

_COMPILED = [(method, re.compile(f"^{pattern}$"), handler, kind)
             for method, pattern, handler, kind in ROUTES]


@dataclass(frozen=True)
class Route:
    """A matched endpoint: its handler, path parameters and command kind."""

    handler: Handler
    params: dict[str, str]
    kind: str


def route(method: str, path: str) -> Route:
    """The route for ``method path``; ``UnknownCommand`` if there is none.

    ``path`` may carry Appium 1's ``/wd/hub`` base path and a trailing slash.
    """
    clean = path.split("?", 1)[0]
    clean = clean.removeprefix("/wd/hub")
    clean = clean.rstrip("/") or "/"
    for wanted, pattern, handler, kind in _COMPILED:
        match = pattern.match(clean)
        if match and wanted == method:
            params = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
            return Route(handler, params, kind)
    raise UnknownCommand(
        f"The requested resource could not be found, or a request was received using an "
        f"HTTP method that is not supported by the mapped resource: {method} {clean}"
    )
