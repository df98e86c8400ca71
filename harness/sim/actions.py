"""W3C Perform Actions and Release Actions on the simulated device.

``POST /session/{id}/actions`` carries input sources (a ``pointer`` finger or mouse, a
``key`` keyboard, ``none`` and ``wheel``), each with a list of actions. They run tick by
tick: tick *i* dispatches action *i* of every source, and lasts as long as its longest
pause or move, so one request can tap a field and then type into it while the keyboard
source waits with pauses. A pointer that goes down and comes up again within
``TOUCH_SLOP_PX`` of where it went down, and sooner than ``LONG_PRESS_MS``, is a tap: it
goes to the view under the point (``SimSession.tap_at``). A ``keyDown`` types its
character into the focused field (``SimSession.press_key``). Where each pointer is, and
whether it is down, persists between requests until Release Actions, as W3C specifies.

Timing is virtual: a gesture's durations decide tap or long press without waiting; the
server passes a ``pause`` callable that spends each tick's duration only when it paces
the device like a real one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from harness.sim.errors import InvalidArgument, MoveTargetOutOfBounds
from harness.sim.session import ELEMENT_KEY, LEGACY_ELEMENT_KEY, SimSession
from harness.sim.ui import SCREEN_HEIGHT, SCREEN_WIDTH

#: Android's touch slop, ``ViewConfiguration.TOUCH_SLOP`` = 8 dp, at the simulated
#: display's 420 dpi (8 x 420 / 160): a finger that moves further is not tapping.
TOUCH_SLOP_PX = 21
#: ``ViewConfiguration.DEFAULT_LONG_PRESS_TIMEOUT`` (400 ms since Android 12): a press held
#: this long is a long press, which the simulated apps do not react to.
LONG_PRESS_MS = 400

Pause = Callable[[float], None]

_SOURCE_TYPES = {
    "none": {"pause"},
    "key": {"pause", "keyDown", "keyUp"},
    "pointer": {"pause", "pointerDown", "pointerUp", "pointerMove", "pointerCancel"},
    "wheel": {"pause", "scroll"},
}
_POINTER_TYPES = ("mouse", "pen", "touch")


@dataclass(frozen=True)
class Action:
    """One action item, validated: ``kind`` is its W3C ``type``."""

    kind: str
    duration: int = 0
    value: str = ""
    button: int = 0
    x: float = 0.0
    y: float = 0.0
    origin: str = "viewport"
    element: str | None = None


@dataclass(frozen=True)
class Source:
    """One input source of a request and its actions."""

    id: str
    type: str
    pointer_type: str
    actions: tuple[Action, ...]


@dataclass
class _Pointer:
    pointer_type: str
    x: float = 0.0
    y: float = 0.0
    buttons: set[int] = field(default_factory=set)
    down_at: tuple[float, float] = (0.0, 0.0)
    down_ms: int = 0
    moved: bool = False


# --- parsing -----------------------------------------------------------------------------


def _object(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise InvalidArgument(f"{what} must be a JSON object, got {value!r}")
    return value


def _count(item: Mapping[str, object], name: str) -> int:
    value = item.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgument(f"'{name}' must be a non-negative integer, got {value!r}")
    return value


def _coordinate(item: Mapping[str, object], name: str) -> float:
    value = item.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidArgument(f"'{name}' must be a number, got {value!r}")
    return float(value)


def _origin(item: Mapping[str, object]) -> tuple[str, str | None]:
    origin = item.get("origin", "viewport")
    if origin in ("viewport", "pointer"):
        return str(origin), None
    if isinstance(origin, dict):
        element = origin.get(ELEMENT_KEY, origin.get(LEGACY_ELEMENT_KEY))
        if isinstance(element, str) and element:
            return "element", element
    raise InvalidArgument(
        f"'origin' must be \"viewport\", \"pointer\" or an element reference, got {origin!r}"
    )


def _action(source_type: str, raw: object) -> Action:
    item = _object(raw, "an action item")
    kind = item.get("type")
    if not isinstance(kind, str) or kind not in _SOURCE_TYPES[source_type]:
        allowed = ", ".join(sorted(_SOURCE_TYPES[source_type]))
        raise InvalidArgument(f"a {source_type} action's 'type' must be one of {allowed}, "
                              f"got {kind!r}")
    if kind in ("keyDown", "keyUp"):
        value = item.get("value")
        if not isinstance(value, str) or len(value) != 1:
            raise InvalidArgument(f"'{kind}' needs 'value', one character, got {value!r}")
        return Action(kind, value=value)
    if kind in ("pointerDown", "pointerUp"):
        return Action(kind, button=_count(item, "button"))
    if kind in ("pointerMove", "scroll"):
        for name in ("deltaX", "deltaY") if kind == "scroll" else ():
            _coordinate(item, name)
        origin, element = _origin(item)
        return Action(kind, duration=_count(item, "duration"), x=_coordinate(item, "x"),
                      y=_coordinate(item, "y"), origin=origin, element=element)
    return Action(kind, duration=_count(item, "duration") if kind == "pause" else 0)


def _source(raw: object) -> Source:
    item = _object(raw, "an input source")
    source_type, source_id = item.get("type"), item.get("id")
    if not isinstance(source_type, str) or source_type not in _SOURCE_TYPES:
        raise InvalidArgument(f"an input source's 'type' must be one of "
                              f"{', '.join(sorted(_SOURCE_TYPES))}, got {source_type!r}")
    if not isinstance(source_id, str) or not source_id:
        raise InvalidArgument(f"an input source's 'id' must be a non-empty string, "
                              f"got {source_id!r}")
    parameters = _object(item.get("parameters", {}), "'parameters'")
    pointer_type = parameters.get("pointerType", "mouse")
    if source_type == "pointer" and pointer_type not in _POINTER_TYPES:
        raise InvalidArgument(f"'pointerType' must be one of {', '.join(_POINTER_TYPES)}, "
                              f"got {pointer_type!r}")
    actions = item.get("actions")
    if not isinstance(actions, list):
        raise InvalidArgument(f"input source {source_id!r} needs 'actions', a JSON array")
    return Source(source_id, source_type, str(pointer_type),
                  tuple(_action(source_type, a) for a in actions))


def parse_actions(body: Mapping[str, object]) -> list[Source]:
    """The input sources of a Perform Actions body; ``InvalidArgument`` if malformed."""
    raw = body.get("actions")
    if not isinstance(raw, list):
        raise InvalidArgument("Perform Actions needs 'actions', a JSON array of input sources")
    sources = [_source(s) for s in raw]
    ids = [s.id for s in sources]
    if len(set(ids)) != len(ids):
        raise InvalidArgument(f"input source ids must be unique in one request, got {ids}")
    return sources


# --- dispatching ---------------------------------------------------------------------------


class InputState:
    """One session's input sources between requests: pointer positions and buttons,
    pressed keys, and the virtual clock that gestures are timed on."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.types: dict[str, str] = {}
        self.pointers: dict[str, _Pointer] = {}
        self.keys: dict[str, set[str]] = {}
        self.clock_ms = 0

    def perform(self, session: SimSession, sources: Sequence[Source],
                pause: Pause | None = None) -> None:
        """Run ``sources`` tick by tick on ``session``."""
        for source in sources:
            known = self.types.get(source.id, source.type)
            if known != source.type:
                raise InvalidArgument(f"input source {source.id!r} is a {known} source, "
                                      f"not a {source.type} one")
        for source in sources:
            self.types[source.id] = source.type
            if source.type == "pointer":
                self.pointers.setdefault(source.id, _Pointer(source.pointer_type))
        for tick in range(max((len(s.actions) for s in sources), default=0)):
            due = [(s, s.actions[tick]) for s in sources if tick < len(s.actions)]
            for source, action in due:
                self._dispatch(session, source, action)
            duration = max(a.duration for _, a in due)
            self.clock_ms += duration
            if pause is not None and duration:
                pause(duration / 1000)

    def release(self, session: SimSession) -> None:
        """Release Actions: lift every pointer that is down (which may tap, as a real
        finger lifted would) and every key, then forget all input state."""
        for pointer in self.pointers.values():
            for button in sorted(pointer.buttons):
                self._up(session, pointer, button)
        self._reset()

    def _dispatch(self, session: SimSession, source: Source, action: Action) -> None:
        if source.type == "key":
            pressed = self.keys.setdefault(source.id, set())
            if action.kind == "keyDown":
                pressed.add(action.value)
                session.press_key(action.value)
            elif action.kind == "keyUp":
                pressed.discard(action.value)
            return
        if source.type != "pointer":
            if action.kind == "scroll":
                self._target(session, _Pointer("mouse"), action)  # nothing scrolls here
            return
        pointer = self.pointers[source.id]
        if action.kind == "pointerMove":
            pointer.x, pointer.y = self._target(session, pointer, action)
            if pointer.buttons and math.dist(pointer.down_at, (pointer.x, pointer.y)) > \
                    TOUCH_SLOP_PX:
                pointer.moved = True
        elif action.kind == "pointerDown" and action.button not in pointer.buttons:
            if not pointer.buttons:
                pointer.down_at, pointer.down_ms, pointer.moved = \
                    (pointer.x, pointer.y), self.clock_ms, False
            pointer.buttons.add(action.button)
        elif action.kind == "pointerUp" and action.button in pointer.buttons:
            self._up(session, pointer, action.button)
        elif action.kind == "pointerCancel":
            pointer.buttons.clear()

    def _up(self, session: SimSession, pointer: _Pointer, button: int) -> None:
        pointer.buttons.discard(button)
        if pointer.buttons or pointer.moved:
            return
        if pointer.pointer_type == "mouse" and button != 0:
            return  # a secondary mouse button is no tap
        if self.clock_ms - pointer.down_ms < LONG_PRESS_MS:
            session.tap_at(pointer.x, pointer.y)

    @staticmethod
    def _target(session: SimSession, pointer: _Pointer, action: Action) -> tuple[float, float]:
        if action.origin == "pointer":
            x, y = pointer.x + action.x, pointer.y + action.y
        elif action.element is not None:
            cx, cy = session.node(action.element).center
            x, y = cx + action.x, cy + action.y
        else:
            x, y = action.x, action.y
        if not (0 <= x < SCREEN_WIDTH and 0 <= y < SCREEN_HEIGHT):
            raise MoveTargetOutOfBounds(
                f"({x:g}, {y:g}) is outside the {SCREEN_WIDTH}x{SCREEN_HEIGHT} screen"
            )
        return x, y
