"""Run configuration: one immutable object, built once and passed down explicitly.

Precedence: command-line options > ini / pyproject ``[tool.pytest.ini_options]`` keys >
environment (``HARNESS_*``) > defaults. Nothing reads globals after this point.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from harness.outcomes import Backend

DEFAULT_APPIUM_URL = "http://127.0.0.1:4723"


@dataclass(frozen=True)
class RunConfig:
    backend: Backend = Backend.APPIUM
    appium_url: str = DEFAULT_APPIUM_URL
    db: str = "results.db"
    artifacts_dir: Path | None = None
    profiles_dir: Path = Path("device_profiles")
    attempt_timeout: float = 900.0
    poll_interval: float = 0.2
    screenshots: bool = True
    session_attempts: int = 3
    #: IP-echo endpoint for the egress check; None = no check (the simulator's default).
    ip_echo_url: str | None = None
    vantage_ttl: float = 3600.0
    #: Profiles whose full-tunnel mode (VPN app, network namespace) the operator confirmed.
    full_tunnel_confirmed: frozenset[str] = frozenset()
    #: Check the app store before each attempt (Google Play through the profile's proxy).
    store_check: bool = True
    #: Go on after a store barrier (the tester sideloads the app).
    sideload: bool = False

    def with_(self, **changes: object) -> RunConfig:
        return replace(self, **changes)  # type: ignore[arg-type]
