"""One simulated device per WebDriver session: its apps, screen, inbox and location.

A session is an independent phone: its own installed app instances (fresh state), its
own SMS inbox and GPS fix, built from its own capabilities. Element references are
tied to the screen they were found on: when the foreground screen changes (another
activity, a dialog, another app), references taken before become stale, as on a real
device; a row that filtered out of a list is stale too. Touches and key presses
(``tap_at``, ``press_key``) go where Android sends them, then take the paths of an
element click and of typing, so an app reacts to them exactly as it does to those.

Sessions are not locked here: the protocol layer runs each command on a session under
``SimSession.lock``, so a session's commands are serialised while several sessions run
in parallel.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
import time
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from harness.sim.apps.base import ReadObserver, SimApp
from harness.sim.apps.browser import BROWSER_PACKAGE, Browser
from harness.sim.errors import (
    InvalidArgument,
    InvalidElementState,
    InvalidSessionId,
    NoSuchElement,
    StaleElementReference,
    UnknownError,
)
from harness.sim.launcher import LAUNCHER_PACKAGE, launcher_content
from harness.sim.locators import find_nodes
from harness.sim.network import fetch
from harness.sim.profile import DeviceProfile
from harness.sim.render import render_png
from harness.sim.sms import SmsInbox
from harness.sim.ui import EDIT_TEXT, Node, Snapshot

#: ``mobile: queryAppState`` values (Appium's ApplicationState).
NOT_INSTALLED, NOT_RUNNING, RUNNING_IN_BACKGROUND, RUNNING_IN_FOREGROUND = 0, 1, 3, 4

#: The WebDriver Backspace key (the W3C key code point U+E003).
KEY_BACKSPACE = "\ue003"

#: A stock emulator's GPS fix (Mountain View) until the client sets one.
DEFAULT_LOCATION: Mapping[str, float] = {
    "latitude": 37.4219983,
    "longitude": -122.084,
    "altitude": 5.0,
}

#: W3C element reference key, and the legacy JSONWP one clients still read.
ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"
LEGACY_ELEMENT_KEY = "ELEMENT"

_ELEMENT_ID = re.compile(r"^([0-9a-f]{8})-0000-4000-8000-([0-9a-f]{12})$")


class SimSession:
    """A simulated Android device driven by one WebDriver session."""

    def __init__(
        self,
        session_id: str,
        capabilities: Mapping[str, object],
        profile: DeviceProfile,
        apps: Mapping[str, SimApp],
    ) -> None:
        self.id = session_id
        self.capabilities = dict(capabilities)
        self.profile = profile
        self.apps = dict(apps)
        self.sms = SmsInbox()
        self.location: dict[str, float] = dict(DEFAULT_LOCATION)
        self.timeouts: dict[str, int | None] = {
            "implicit": 0,
            "pageLoad": 300_000,
            "script": 30_000,
        }
        self.android_id = secrets.token_hex(8)
        self.lock = threading.RLock()
        self.foreground: str | None = None
        self._generation = 0
        self._screen_id = self._current_screen_id()
        self._element_by_key: dict[str, str] = {}
        self._key_by_element: dict[str, str] = {}
        self._counter = 0

    # --- AppContext -------------------------------------------------------------------

    def now(self) -> float:
        return time.time()

    def local_time(self) -> dt.datetime:
        """The device clock in its time zone (UTC if the zone name is unknown)."""
        try:
            zone: dt.tzinfo = ZoneInfo(self.profile.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = dt.UTC
        return dt.datetime.fromtimestamp(self.now(), zone)

    def send_sms_to(self, number: str, sender: str, body: str) -> bool:
        own = self.profile.phone_number
        if own is not None and own != number:
            return False
        self.sms.receive(sender, body)
        return True

    # --- screen -----------------------------------------------------------------------

    @property
    def current_package(self) -> str:
        return self.foreground or LAUNCHER_PACKAGE

    def _foreground_app(self) -> SimApp | None:
        if self.foreground is None:
            return None
        app = self.apps[self.foreground]
        if not app.running:
            self.foreground = None
            return None
        return app

    def _current_screen_id(self) -> str:
        app = self._foreground_app()
        return "launcher" if app is None else f"{app.package}|{app.view_token()}"

    def _sync(self) -> None:
        """Start a new element generation if the screen changed since the last look."""
        screen_id = self._current_screen_id()
        if screen_id != self._screen_id:
            self._screen_id = screen_id
            self._generation += 1
            self._element_by_key.clear()
            self._key_by_element.clear()

    def snapshot(self) -> Snapshot:
        """The current screen, laid out and ready to serialise or search."""
        self._sync()
        app = self._foreground_app()
        if app is None:
            return Snapshot(launcher_content(self.apps), LAUNCHER_PACKAGE)
        return Snapshot(app.content(self), app.package)

    def source(self) -> str:
        """The page source; an app that watches its screen being read is told after."""
        xml = self.snapshot().source()
        app = self._foreground_app()
        if isinstance(app, ReadObserver):
            app.screen_read(self)
        return xml

    def screenshot(self) -> bytes:
        status = f"{self.profile.carrier}   {self.local_time():%H:%M}"
        return render_png(self.snapshot().root, status)

    # --- elements ---------------------------------------------------------------------

    def _reference(self, node: Node) -> str:
        element_id = self._element_by_key.get(node.key)
        if element_id is None:
            self._counter += 1
            element_id = f"{self._generation:08x}-0000-4000-8000-{self._counter:012x}"
            self._element_by_key[node.key] = element_id
            self._key_by_element[element_id] = node.key
        return element_id

    def _resolve(self, element_id: str) -> tuple[Snapshot, Node]:
        snapshot = self.snapshot()
        match = _ELEMENT_ID.match(element_id)
        if match is None:
            raise NoSuchElement(f"no element with id {element_id!r} was found in this session")
        if int(match.group(1), 16) < self._generation:
            raise StaleElementReference(
                f"element {element_id} belongs to a screen that is no longer shown"
            )
        key = self._key_by_element.get(element_id)
        if key is None:
            raise NoSuchElement(f"no element with id {element_id!r} was found in this session")
        node = snapshot.by_key(key)
        if node is None:
            raise StaleElementReference(f"element {element_id} is no longer on the screen")
        return snapshot, node

    def node(self, element_id: str) -> Node:
        """The live node behind an element reference (stale if the screen moved on)."""
        return self._resolve(element_id)[1]

    def find(self, using: str, value: str, parent: str | None = None) -> list[str]:
        """Element references for the matches on the current screen (implicit wait 0)."""
        if parent is None:
            snapshot, scope = self.snapshot(), None
        else:
            snapshot, scope = self._resolve(parent)
        return [self._reference(node) for node in find_nodes(snapshot, using, value, scope)]

    def active_element(self) -> str:
        snapshot = self.snapshot()
        for node in snapshot.nodes():
            if node.focused:
                return self._reference(node)
        raise NoSuchElement("no element has the input focus")

    def click(self, element_id: str) -> None:
        self._press(self.node(element_id))

    def _press(self, node: Node) -> None:
        """What a tap on ``node`` does: the app reacts to the nearest enabled action."""
        if not node.enabled:
            return
        app = self._foreground_app()
        if app is None:
            target = next((n for n in (node, *node.ancestors()) if n.action), None)
            if target is not None and target.action and target.action.startswith("launch:"):
                self.activate_app(target.action.removeprefix("launch:"))
            return
        if node.cls == EDIT_TEXT and node.binds:
            app.tap(f"focus:{node.binds}", self)
            return
        for candidate in (node, *node.ancestors()):
            if candidate.action and candidate.enabled:
                app.tap(candidate.action, self)
                return

    def set_text(self, element_id: str, text: str) -> None:
        """UiAutomator2's set value: replaces the EditText's content."""
        node = self.node(element_id)
        app = self._foreground_app()
        if node.cls != EDIT_TEXT or not node.binds or app is None:
            raise InvalidElementState(f"cannot set text on a {node.cls}: it is not editable")
        app.type_text(node.binds, text, self)

    # --- touch and keys ---------------------------------------------------------------

    def hit_test(self, x: float, y: float) -> Node | None:
        """The view a touch at (x, y) goes to, as Android dispatches it: the deepest
        view under the point that takes touches (clickable, focusable or an EditText),
        trying the topmost (last drawn) child first; None on empty space."""
        return _touch_target(self.snapshot().root, x, y)

    def tap_at(self, x: float, y: float) -> None:
        """A finger tap at (x, y): the same as clicking the view under it, if any."""
        node = self.hit_test(x, y)
        if node is not None:
            self._press(node)

    def focused_field(self) -> Node | None:
        """The EditText that has the input focus, if any."""
        if self._foreground_app() is None:
            return None
        return next(
            (n for n in self.snapshot().nodes() if n.focused and n.cls == EDIT_TEXT and n.binds),
            None,
        )

    def press_key(self, key: str) -> None:
        """A hardware key press: a printable character is typed into the focused field,
        Backspace deletes its last character; anything else, or no focused field, does
        nothing (as on Android)."""
        field, app = self.focused_field(), self._foreground_app()
        if field is None or field.binds is None or app is None:
            return
        if key == KEY_BACKSPACE:
            if field.text:
                app.type_text(field.binds, field.text[:-1], self)
        elif key.isprintable():  # WebDriver's special keys (U+E000...) are not
            app.type_text(field.binds, field.text + key, self)

    def attribute(self, element_id: str, name: str) -> str | None:
        """An attribute as UiAutomator2 returns it: strings, booleans as "true"/"false"."""
        snapshot, node = self._resolve(element_id)
        aliases = {
            "resourceId": "resource-id",
            "contentDescription": "content-desc",
            "className": "class",
            "longClickable": "long-clickable",
            "name": "content-desc",
        }
        xml_name = aliases.get(name, name)
        value = snapshot.element_of(node).get(xml_name)
        if name == "name" and not value:
            return node.display_text or None
        return None if value is None else str(value)

    # --- apps -------------------------------------------------------------------------

    def _installed(self, package: str) -> SimApp:
        app = self.apps.get(package)
        if app is None:
            raise UnknownError(f"App '{package}' is not installed on the device")
        return app

    def activate_app(self, package: str) -> None:
        app = self._installed(package)
        if not app.running:
            app.start(self)
        self.foreground = package

    def terminate_app(self, package: str) -> bool:
        app = self.apps.get(package)
        if app is None or not app.running:
            return False
        app.stop()
        if self.foreground == package:
            self.foreground = None
        return True

    def clear_app(self, package: str) -> None:
        self._installed(package).clear()
        if self.foreground == package:
            self.foreground = None

    def query_app_state(self, package: str) -> int:
        app = self.apps.get(package)
        if app is None:
            return NOT_INSTALLED
        if not app.running:
            return NOT_RUNNING
        return RUNNING_IN_FOREGROUND if self.foreground == package else RUNNING_IN_BACKGROUND

    def back(self) -> None:
        app = self._foreground_app()
        if app is not None and not app.back(self):
            self.foreground = None

    def home(self) -> None:
        self.foreground = None

    def keyboard_shown(self) -> bool:
        return any(n.focused and n.cls == EDIT_TEXT for n in self.snapshot().nodes())

    def browse(self, url: str) -> None:
        """Open ``url`` in the browser, fetched over the device's route."""
        browser = self.apps.get(BROWSER_PACKAGE)
        if not isinstance(browser, Browser):
            browser = self.apps[BROWSER_PACKAGE] = Browser()
        browser.open(url, fetch(url, self.profile.route_proxy))
        self.foreground = BROWSER_PACKAGE

    def set_location(self, location: Mapping[str, object]) -> None:
        fix: dict[str, float] = {}
        for name, low, high in (("latitude", -90.0, 90.0), ("longitude", -180.0, 180.0)):
            fix[name] = _number(location.get(name), name, low, high)
        fix["altitude"] = _number(location.get("altitude", 0.0), "altitude", -1e4, 1e5)
        self.location = fix


def _touch_target(node: Node, x: float, y: float) -> Node | None:
    x1, y1, x2, y2 = node.bounds
    if not (x1 <= x < x2 and y1 <= y < y2):
        return None
    for child in reversed(node.children):
        target = _touch_target(child, x, y)
        if target is not None:
            return target
    if node.clickable or node.focusable or node.cls == EDIT_TEXT:
        return node
    return None


def _number(value: object, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidArgument(f"location {name} must be a number, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise InvalidArgument(f"location {name} must be a number, got {value!r}") from None
    if not low <= number <= high:
        raise InvalidArgument(f"location {name} {number} is outside [{low}, {high}]")
    return number


class SessionStore:
    """The live sessions of one server, by id; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, SimSession] = {}

    def add(self, session: SimSession) -> None:
        with self._lock:
            self._sessions[session.id] = session

    def get(self, session_id: str) -> SimSession:
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None:
            raise InvalidSessionId(f"session {session_id} does not exist or was deleted")
        return session

    def remove(self, session_id: str) -> None:
        with self._lock:
            if self._sessions.pop(session_id, None) is None:
                raise InvalidSessionId(f"session {session_id} does not exist or was deleted")

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)
