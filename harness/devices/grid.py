"""A small client of a Selenium Grid 4 hub: which nodes and slots it has, which of them
could serve a request, and which node serves a session.

A Grid routes a new-session request to a slot whose *stereotype* (the capabilities a
relay node advertises for the Appium server behind it) matches the request, and queues
the request while every matching slot is busy. The harness asks the hub before a run
whether each profile has an ``UP`` slot at all (``matching_slots``), so that a country
with no device is one clear error rather than N queue timeouts, and after a session
started which node serves it (``session_node``), so that each attempt records its node.

The hub answers ``GET /status`` with ``{"value": {"ready", "message", "nodes": [...]}}``;
a plain Appium server answers the same path without ``nodes``, which is how a Grid is
told apart from a single server.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from harness.support.errors import BackendUnavailable
from harness.support.secrets import mask_url

if TYPE_CHECKING:
    from harness.spec.profile import Profile

#: What the hub's JSON endpoints expect; without the charset Grid 4 refuses a POST body.
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
#: The prefix of the capabilities the harness routes on (``harness:profile``, ...).
HARNESS_PREFIX = "harness:"
#: Extension prefixes the Grid never matches itself (left to the driver).
UNMATCHED_PREFIXES = ("goog:", "moz:", "ms:", "se:")
#: GraphQL query for the node of one session; the id travels as a variable.
SESSION_QUERY = "query($id: String!) { session(id: $id) { id nodeId nodeUri } }"

UP = "UP"
#: What a request asks for when the profile's ``device.capabilities`` do not say.
DEFAULT_PLATFORM = "Android"
DEFAULT_AUTOMATION = "UiAutomator2"


@dataclass(frozen=True)
class GridSlot:
    """One slot of a node: the stereotype it advertises and the session in it, if any."""

    id: str
    stereotype: dict[str, Any]
    session_id: str | None = None
    node_id: str = ""

    @property
    def busy(self) -> bool:
        return self.session_id is not None


@dataclass(frozen=True)
class GridNode:
    """A node registered with the hub (for Appium, one relay in front of one server)."""

    id: str
    uri: str
    availability: str
    slots: tuple[GridSlot, ...] = ()
    max_sessions: int = 1

    @property
    def up(self) -> bool:
        return self.availability == UP


@dataclass(frozen=True)
class GridStatus:
    """What a hub's ``/status`` says: whether it is ready, and its nodes."""

    ready: bool
    nodes: tuple[GridNode, ...] = ()
    message: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def node(self, node_id: str) -> GridNode | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def slots(self, up_only: bool = True) -> list[GridSlot]:
        """Every slot, of ``UP`` nodes only unless asked otherwise."""
        return [s for n in self.nodes if n.up or not up_only for s in n.slots]


# --------------------------------------------------------------------------- parsing


def parse_status(body: Any) -> GridStatus | None:
    """A ``/status`` answer as a ``GridStatus``; ``None`` when it is not a Grid's."""
    value = body.get("value") if isinstance(body, dict) else None
    if not isinstance(value, dict) or not isinstance(value.get("nodes"), list):
        return None
    nodes = tuple(_node(n) for n in value["nodes"] if isinstance(n, dict))
    return GridStatus(ready=bool(value.get("ready")), nodes=nodes,
                      message=str(value.get("message") or ""), raw=value)


def _node(raw: Mapping[str, Any]) -> GridNode:
    node_id = str(raw.get("id") or "")
    slots = tuple(_slot(s, node_id) for s in raw.get("slots") or () if isinstance(s, dict))
    max_sessions = raw.get("maxSessions")
    return GridNode(id=node_id, uri=str(raw.get("uri") or ""),
                    availability=str(raw.get("availability") or "UNKNOWN").upper(),
                    slots=slots,
                    max_sessions=max_sessions if isinstance(max_sessions, int) else 1)


def _slot(raw: Mapping[str, Any], node_id: str) -> GridSlot:
    ident = raw.get("id")
    if isinstance(ident, dict):
        node_id = str(ident.get("hostId") or node_id)
        ident = ident.get("id")
    session = raw.get("session")
    session_id = session.get("sessionId") if isinstance(session, dict) else None
    stereotype = raw.get("stereotype")
    return GridSlot(id=str(ident or ""),
                    stereotype=dict(stereotype) if isinstance(stereotype, dict) else {},
                    session_id=str(session_id) if session_id else None, node_id=node_id)


# --------------------------------------------------------------------------- matching


def slot_matches(stereotype: Mapping[str, Any], request: Mapping[str, Any]) -> bool:
    """Whether a Grid would route ``request`` to a slot advertising ``stereotype``.

    Every ``harness:`` capability of the request must be in the stereotype with the same
    value (a node that does not say which profile it serves serves none); ``platformName``
    agrees case-insensitively; ``platformVersion`` exactly; any other extension
    capability (``appium:automationName``, ...) that both carry agrees. Strings compare
    case-insensitively, as the Grid's own matcher does.
    """
    for name, wanted in request.items():
        if name.startswith(HARNESS_PREFIX):
            if name not in stereotype or not _same(stereotype[name], wanted):
                return False
        elif name == "platformName":
            offered = stereotype.get("platformName")
            if wanted is not None and not (isinstance(offered, str) and _same(offered, wanted)):
                return False
        elif "platformVersion" in name:
            if stereotype.get(name) != wanted:
                return False
        elif (":" in name and name in stereotype
              and not name.startswith(UNMATCHED_PREFIXES)
              and not _same(stereotype[name], wanted)):
            return False
    return True


def _same(offered: Any, wanted: Any) -> bool:
    if isinstance(offered, str) and isinstance(wanted, str):
        return offered.casefold() == wanted.casefold()
    return bool(offered == wanted)


def matching_slots(status: GridStatus, request_caps: Mapping[str, Any]) -> list[GridSlot]:
    """The slots of ``UP`` nodes that could serve ``request_caps`` (busy ones included:
    the Grid queues a request until one of them is free)."""
    return [s for s in status.slots(up_only=True) if slot_matches(s.stereotype, request_caps)]


def grid_request(profile: Profile) -> dict[str, Any]:
    """The capabilities a Grid routes on for ``profile``: its platform and driver (from
    ``device.capabilities``, else Android and UiAutomator2), its id and its country. A
    node's stereotype must carry the same values (``harness farm nodes`` writes them)."""
    caps = profile.device.capabilities
    return {
        "platformName": caps.get("platformName", DEFAULT_PLATFORM),
        "appium:automationName": caps.get("appium:automationName", DEFAULT_AUTOMATION),
        "harness:profile": profile.id,
        "harness:country": profile.country,
    }


# --------------------------------------------------------------------------- the hub


def hub_status(url: str, timeout: float = 5.0,
               client: httpx.Client | None = None) -> GridStatus | None:
    """The hub's status; ``None`` when ``url`` answers but is not a Grid (a plain Appium
    server, another web server); ``BackendUnavailable`` when nothing answers."""
    shown = mask_url(url)
    status_url = url.rstrip("/") + "/status"
    try:
        resp = _get(client, status_url, timeout)
    except httpx.InvalidURL:
        raise BackendUnavailable(f"{shown}: not a valid URL (for example "
                                 "http://grid.example.net:4444)") from None
    except httpx.HTTPError as exc:
        raise BackendUnavailable(
            f"{shown}: nothing answers there ({type(exc).__name__}: {exc}). Start the "
            "hub (`java -jar selenium-server-4.48.0.jar hub --config hub.toml`) or check "
            "the address") from None
    if resp.status_code != 200:
        return None
    try:
        return parse_status(resp.json())
    except ValueError:
        return None


def session_node(hub_url: str, session_id: str, timeout: float = 5.0,
                 client: httpx.Client | None = None) -> str | None:
    """The URI of the node serving ``session_id``, as the hub tells it; ``None`` when the
    hub cannot tell (no such session, not a Grid, nothing answers).

    The hub's GraphQL endpoint answers directly; a hub without it (or a failed query)
    is asked through ``/status``, whose busy slots name their session.
    """
    uri = _graphql_node(hub_url, session_id, timeout, client)
    if uri is not None:
        return uri
    try:
        status = hub_status(hub_url, timeout, client)
    except BackendUnavailable:
        return None
    if status is None:
        return None
    for node in status.nodes:
        if any(s.session_id == session_id for s in node.slots):
            return node.uri
    return None


def graphql_url(hub_url: str) -> str:
    """The hub's GraphQL endpoint: ``/graphql`` at the root, also for a ``/wd/hub`` URL."""
    parts = urlsplit(hub_url)
    path = re.sub(r"/wd/hub/?$", "", parts.path.rstrip("/"))
    return urlunsplit((parts.scheme, parts.netloc, path + "/graphql", "", ""))


def _graphql_node(hub_url: str, session_id: str, timeout: float,
                  client: httpx.Client | None) -> str | None:
    body = {"query": SESSION_QUERY, "variables": {"id": session_id}}
    try:
        resp = _post(client, graphql_url(hub_url), body, timeout)
        data = resp.json() if resp.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    session = _dig(data, ("data", "session"))
    if not isinstance(session, dict) or session.get("id") not in (None, session_id):
        return None
    uri = session.get("nodeUri")
    return str(uri) if uri else None


def _dig(data: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _get(client: httpx.Client | None, url: str, timeout: float) -> httpx.Response:
    if client is not None:
        return client.get(url, timeout=timeout)
    return httpx.get(url, timeout=timeout)


def _post(client: httpx.Client | None, url: str, body: Mapping[str, Any],
          timeout: float) -> httpx.Response:
    if client is not None:
        return client.post(url, json=body, headers=JSON_HEADERS, timeout=timeout)
    return httpx.post(url, json=body, headers=JSON_HEADERS, timeout=timeout)


__all__ = [
    "DEFAULT_AUTOMATION",
    "DEFAULT_PLATFORM",
    "HARNESS_PREFIX",
    "JSON_HEADERS",
    "SESSION_QUERY",
    "UP",
    "GridNode",
    "GridSlot",
    "GridStatus",
    "graphql_url",
    "grid_request",
    "hub_status",
    "matching_slots",
    "parse_status",
    "session_node",
    "slot_matches",
]
