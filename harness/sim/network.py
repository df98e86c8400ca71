"""The simulated device's network: what a URL returns over the device's own route (its
proxy, or direct), as the device's browser and an app's server would see it."""

from __future__ import annotations

import json

import httpx

from harness.vocabulary.ipecho import EchoFormatError, parse_echo


def fetch(url: str, proxy: str | None) -> str:
    """GET ``url`` over the device's route (``proxy``, or direct); the body, or an error
    page's text when the network fails."""
    try:
        with httpx.Client(proxy=proxy, timeout=5, trust_env=False) as client:
            return client.get(url).text
    except (httpx.HTTPError, OSError, RuntimeError) as exc:
        return f"This site can't be reached ({type(exc).__name__})"


def egress_country(proxy: str | None, echo_url: str) -> str | None:
    """The country the device's network exits in: ask the IP-echo endpoint over the
    device's route, as an app's server would see the connection. None if it can't tell
    (the device then has no working network country; apps fall back to the SIM's)."""
    try:
        answer = parse_echo(json.loads(fetch(echo_url, proxy)))
    except (ValueError, EchoFormatError):
        return None  # a dead or refusing proxy: no network country
    return answer.country
