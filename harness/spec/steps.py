"""The steps of a scenario: what the runner executes, one small frozen dataclass per kind.

``harness.spec.scenarios`` parses the forms people write into these; ``harness.spec.flows``
checks a flow's steps against the same kinds. The last three kinds are steps the harness
records itself in an attempt's step list (a permission dialog it answered, a challenge an
operator solved, the device-route check).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.spec.selectors import Selector, SelectorKind
from harness.vocabulary.outcomes import Stage

DEFAULT_OTP_PATTERN = r"(?<!\d)(\d{4,8})(?!\d)"

#: Other names people write for a step kind.
KIND_ALIASES = {
    "expect": "wait",
    "wait_for": "wait",
    "request_code": "request_otp",
    "enter_code": "enter_otp",
    "type": "input",
    "click": "tap",
}
#: Every step kind a scenario or a flow may write.
STEP_KINDS = ("launch", "tap", "input", "wait", "choose_calling_code", "request_otp",
              "enter_otp", "feature")
#: Keys a step may carry besides its kind.
MODIFIERS = {"stage", "timeout", "optional", "name", "steps"}


@dataclass(frozen=True)
class Step:
    """What every step shares: its funnel stage, its timeout and where it was written.

    ``line`` is the line in the file that holds the step: the scenario, or the flow it
    extends; ``origin`` names that file and line (``scenarios/flows/phone_signup.yaml:31``).
    """

    stage: Stage
    timeout: float
    optional: bool
    line: int | None
    name: str
    origin: str | None = None

    @property
    def kind(self) -> str:
        return type(self).__name__.lower()


@dataclass(frozen=True)
class Launch(Step):
    clear: bool = False


@dataclass(frozen=True)
class Tap(Step):
    target: Selector = field(default=Selector(SelectorKind.TEXT, ("",)))


@dataclass(frozen=True)
class Input(Step):
    target: Selector = field(default=Selector(SelectorKind.TEXT, ("",)))
    text: str = ""
    clear: bool = True


@dataclass(frozen=True)
class Wait(Step):
    target: Selector = field(default=Selector(SelectorKind.TEXT, ("",)))


@dataclass(frozen=True)
class ChooseCallingCode(Step):
    open: Selector | None = None
    search: Selector | None = None
    list: Selector | None = None
    entry: str = "+{phone.calling_code}"
    search_text: str = "{phone.calling_code}"


@dataclass(frozen=True)
class RequestOtp(Step):
    target: Selector = field(default=Selector(SelectorKind.TEXT, ("",)))


@dataclass(frozen=True)
class EnterOtp(Step):
    target: Selector = field(default=Selector(SelectorKind.TEXT, ("",)))
    pattern: str = DEFAULT_OTP_PATTERN


@dataclass(frozen=True)
class Feature(Step):
    feature: str = ""
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class PermissionDialog(Step):
    """A runtime-permission dialog the runner answered (recorded as a step of its own)."""


@dataclass(frozen=True)
class Challenge(Step):
    """A routine challenge an operator solved on the device (recorded as a step)."""


@dataclass(frozen=True)
class DeviceRouteCheck(Step):
    """The device-route egress check, recorded as the attempt's first step."""
