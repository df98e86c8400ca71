"""Where an attempt whose Grid device failed is tried again.

A hub keeps a relay node whose Appium server died ``UP`` until its next health check, and
sends it new-session requests meanwhile; such a node answers at once, so it is the free
slot the hub picks first while the healthy ones are busy. Asked again without more, the
hub would send the retry to the same dead node. So the retry is *pinned* to another
device that serves the profile (its stereotype's ``harness:device``), and when no other
device serves it the attempt is not repeated.

The failed node is known from the attempt's row when its session had started (the
``node`` column), else from the hub's error, which names the relay's service URL; the
stereotypes ``harness farm nodes`` writes carry each device's Appium URL
(``harness:appium``) so that the service can be matched to its node.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.devices.grid import GridNode, GridStatus, hub_status, matching_slots
from harness.support.errors import BackendUnavailable
from harness.support.secrets import scrub

#: The relay's service in the hub's "Error while creating session with the service URL."
_SERVICE = re.compile(r"with the service (\S+?)\.?(?:\s|$)")


@dataclass(frozen=True)
class Elsewhere:
    """The retry's placement: the node that failed (if known) and the capabilities that
    pin the retry to another device (``{}``: let the hub choose; ``None``: no retry)."""

    failed_node: str | None
    pin: dict[str, Any] | None


def failed_service(detail: str | None) -> str | None:
    """The relay service URL a hub's session error names (as scrubbed in the detail)."""
    match = _SERVICE.search(detail or "")
    return match.group(1) if match else None


def _failed(status: GridStatus, node_uri: str | None, service: str | None) -> GridNode | None:
    for node in status.nodes:
        if node_uri is not None and node.uri == node_uri:
            return node
        if service is not None and any(
                scrub(str(s.stereotype.get("harness:appium", ""))).rstrip("/")
                == service.rstrip("/") for s in node.slots):
            return node
    return None


def elsewhere(hub_url: str, request: Mapping[str, Any], node_uri: str | None,
              detail: str | None) -> Elsewhere:
    """Where to try again ``request``, whose attempt failed on ``node_uri`` (or with the
    error ``detail``)."""
    try:
        status = hub_status(hub_url)
    except BackendUnavailable:
        return Elsewhere(node_uri, {})
    if status is None:
        return Elsewhere(node_uri, {})
    return place_retry(status, request, node_uri, detail)


def place_retry(status: GridStatus, request: Mapping[str, Any], node_uri: str | None,
                detail: str | None) -> Elsewhere:
    """``elsewhere`` on a status already read from the hub."""
    failed = _failed(status, node_uri, failed_service(detail))
    if failed is None:
        return Elsewhere(node_uri, {})
    others = [s for s in matching_slots(status, request) if s.node_id != failed.id]
    if not others:
        return Elsewhere(failed.uri, None)
    free = [s for s in others if not s.busy] or others
    device = free[0].stereotype.get("harness:device")
    return Elsewhere(failed.uri, {"harness:device": device} if device else {})


__all__ = ["Elsewhere", "elsewhere", "failed_service", "place_retry"]
