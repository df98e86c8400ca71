"""W3C capability processing for ``POST /session``.

Follows the W3C "process capabilities" algorithm in the small: ``alwaysMatch`` is merged
with each ``firstMatch`` entry in turn (a key in both is an error) and the first merge
that the simulator can serve wins. The simulator serves ``platformName`` android only;
everything it does not read is accepted and echoed, as Appium does.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness.sim.errors import InvalidArgument, SessionNotCreated

#: What the simulator adds to the capabilities it returns.
DEVICE_CAPABILITIES: Mapping[str, object] = {
    "appium:automationName": "UiAutomator2",
    "appium:platformVersion": "14",
    "appium:deviceName": "Harness Simulator",
    "appium:deviceManufacturer": "Harness",
    "appium:deviceModel": "Simulator",
    "appium:deviceApiLevel": 34,
    "appium:deviceScreenSize": "1080x2400",
    "appium:deviceScreenDensity": 420,
    "harness:simulator": True,
}


def _object(value: object, what: str) -> dict[str, object]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise InvalidArgument(f"{what} must be a JSON object")
    return dict(value)


def merge_capabilities(body: Mapping[str, object]) -> dict[str, object]:
    """The matched capabilities of a new-session request body.

    Accepts the W3C shape ``{"capabilities": {"alwaysMatch": ..., "firstMatch": [...]}}``
    and, for old clients, ``{"desiredCapabilities": {...}}``.
    """
    raw = body.get("capabilities")
    if raw is None and "desiredCapabilities" in body:
        raw = {"alwaysMatch": body["desiredCapabilities"]}
    caps = _object(raw if raw is not None else {}, "capabilities")
    always = _object(caps.get("alwaysMatch", {}), "capabilities.alwaysMatch")
    first = caps.get("firstMatch", [{}])
    if not isinstance(first, list) or not first:
        raise InvalidArgument("capabilities.firstMatch must be a non-empty JSON array")
    reasons: list[str] = []
    for entry in first:
        extra = _object(entry, "capabilities.firstMatch entries")
        clash = sorted(set(extra) & set(always))
        if clash:
            raise InvalidArgument(f"capabilities in both alwaysMatch and firstMatch: {clash}")
        merged = {**always, **extra}
        platform = merged.get("platformName")
        if isinstance(platform, str) and platform.lower() == "android":
            return merged
        reasons.append(f"platformName {platform!r}")
    raise SessionNotCreated(
        "the simulator only provides Android devices (platformName 'Android'); got "
        + ", ".join(reasons)
    )


def returned_capabilities(merged: Mapping[str, object]) -> dict[str, object]:
    """The capabilities echoed in the new-session response: requested plus device facts."""
    return {**DEVICE_CAPABILITIES, **merged, "platformName": "Android"}
