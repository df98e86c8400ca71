"""How the runner paces and records an attempt: poll interval, settle time, screenshots,
an attending operator, the answer to permission dialogs."""

from __future__ import annotations

from dataclasses import dataclass

from harness.spec.config import RunConfig, ScreenshotPolicy


@dataclass(frozen=True)
class RunnerSettings:
    poll_interval: float = 0.2
    max_poll_interval: float = 1.0
    attempt_timeout: float = 900.0
    #: How long a rule's candidate must persist, with the step's target absent, before it
    #: is a verdict; and how long a calling-code list must stay unchanged without the
    #: profile's code before the code counts as not offered (lists debounce and load).
    settle_time: float = 3.0
    #: Which screens get a screenshot (``harness.spec.config.ScreenshotPolicy``): the
    #: verdict screen and each stage's first screen (``key``), every step's, or none.
    screenshots: ScreenshotPolicy = "key"
    #: An operator at the device solves routine challenges (slider, captcha); without one
    #: a challenge ends the attempt as failure: challenge_required.
    attended: bool = False
    #: How long to wait for the operator to solve a challenge.
    operator_timeout: float = 300.0
    #: How Android's runtime-permission dialogs are answered: "allow" or "deny".
    permissions: str = "allow"


#: Settle time by backend when the run does not set one (seconds).
SETTLE_TIME = {"appium": 3.0, "sim": 0.5}


def settings_for(config: RunConfig) -> RunnerSettings:
    """The runner's settings for a run: one place for ``harness run``, ``harness demo``
    and the pytest plugin."""
    settle = config.settle_time if config.settle_time is not None else \
        SETTLE_TIME[config.backend.value]
    return RunnerSettings(attempt_timeout=config.attempt_timeout,
                          poll_interval=config.poll_interval, screenshots=config.screenshots,
                          settle_time=settle, attended=config.attended,
                          permissions=config.permissions)


__all__ = ["SETTLE_TIME", "RunnerSettings", "settings_for"]
