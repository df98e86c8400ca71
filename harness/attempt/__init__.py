"""One attempt: a scenario from one profile on one device, from the first check to the
stored verdict.

``run`` orchestrates (egress check, store stage, device session, device route, steps);
``runner`` executes the steps and decides the verdict with ``watch``; ``evidence``
stores each step with its evidence, scrubbed; ``otp`` gets the SMS code; ``vantage``,
``device_vantage`` and ``observed`` record where the attempt was really made from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.support.lazy import lazy_exports

if TYPE_CHECKING:
    from harness.attempt.device_vantage import (
        RouteKind,
        check_routes,
        observe_location,
        route_for,
    )
    from harness.attempt.observed import (
        egress_vantage,
        observed_vantage,
    )
    from harness.attempt.otp import (
        DeviceSmsSource,
        HttpSmsSource,
        ManualSource,
        OtpSource,
        OtpSourceError,
        WebhookReceiver,
        WebhookSmsSource,
        check_config,
        make_source,
    )
    from harness.attempt.run import (
        AttemptResult,
        run_attempt,
    )
    from harness.attempt.runner import (
        RULE_CALLING_CODE_ABSENT,
        RULE_SMS_TIMEOUT,
        Runner,
    )
    from harness.attempt.settings import (
        SETTLE_TIME,
        RunnerSettings,
        settings_for,
    )
    from harness.attempt.vantage import (
        VantageChecker,
        VantageResult,
        check_egress,
        check_full_tunnel,
    )
    from harness.attempt.variables import (
        account_password,
        template_variables,
    )

#: Each module and the public names it holds, imported on first use.
_HOMES: dict[str, tuple[str, ...]] = {
    "device_vantage": ("RouteKind", "check_routes", "observe_location", "route_for"),
    "observed": ("egress_vantage", "observed_vantage"),
    "otp": (
        "DeviceSmsSource",
        "HttpSmsSource",
        "ManualSource",
        "OtpSource",
        "OtpSourceError",
        "WebhookReceiver",
        "WebhookSmsSource",
        "check_config",
        "make_source",
    ),
    "run": ("AttemptResult", "run_attempt"),
    "runner": ("RULE_CALLING_CODE_ABSENT", "RULE_SMS_TIMEOUT", "Runner"),
    "settings": ("SETTLE_TIME", "RunnerSettings", "settings_for"),
    "vantage": (
        "VantageChecker",
        "VantageResult",
        "check_egress",
        "check_full_tunnel",
    ),
    "variables": ("account_password", "template_variables"),
}
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)

__all__ = [
    "RULE_CALLING_CODE_ABSENT",
    "RULE_SMS_TIMEOUT",
    "SETTLE_TIME",
    "AttemptResult",
    "DeviceSmsSource",
    "HttpSmsSource",
    "ManualSource",
    "OtpSource",
    "OtpSourceError",
    "RouteKind",
    "Runner",
    "RunnerSettings",
    "VantageChecker",
    "VantageResult",
    "WebhookReceiver",
    "WebhookSmsSource",
    "account_password",
    "check_config",
    "check_egress",
    "check_full_tunnel",
    "check_routes",
    "egress_vantage",
    "make_source",
    "observe_location",
    "observed_vantage",
    "route_for",
    "run_attempt",
    "settings_for",
    "template_variables",
]
