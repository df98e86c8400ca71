"""The Grid client on answers recorded from a real 4.48.0 hub (tests/fixtures/grid/), and
on what a hub that is not there, or is not a hub, does."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.devices.grid import (
    GridStatus,
    graphql_url,
    grid_request,
    hub_status,
    matching_slots,
    parse_status,
    session_node,
    slot_matches,
)
from harness.spec.profiles import load_profile
from harness.support.errors import BackendUnavailable

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "grid"
HUB = "http://hub.test:4444"


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def status_of(name: str) -> GridStatus:
    status = parse_status(recorded(name))
    assert status is not None
    return status


def hub(routes: dict[str, Callable[[httpx.Request], httpx.Response]],
        seen: list[httpx.Request] | None = None) -> httpx.Client:
    """A client whose requests are answered by ``routes`` (path -> handler)."""
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        handler = routes.get(request.url.path)
        return handler(request) if handler else httpx.Response(404, text="not found")

    return httpx.Client(transport=httpx.MockTransport(handle))


def answer(name: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(200, json=recorded(name))


def fr_request(**extra: Any) -> dict[str, Any]:
    return {"platformName": "Fake", "appium:automationName": "Fake",
            "harness:profile": "GRID-FR", "harness:country": "FR", **extra}


# --------------------------------------------------------------------------- /status


def test_idle_status_has_two_up_nodes_with_their_slots() -> None:
    status = status_of("status_idle.json")
    assert status.ready
    assert [n.availability for n in status.nodes] == ["UP", "UP"]
    assert all(n.max_sessions == 1 for n in status.nodes)
    profiles = sorted(s.stereotype["harness:profile"] for s in status.slots())
    assert profiles == ["GRID-AT", "GRID-DE", "GRID-DE", "GRID-FR"]
    assert all(s.session_id is None and s.node_id for s in status.slots())
    node_ids = {n.id for n in status.nodes}
    assert {s.node_id for s in status.slots()} == node_ids


def test_busy_status_names_the_session_in_its_slot() -> None:
    session_id = recorded("new_session.json")["value"]["sessionId"]
    busy = [s for s in status_of("status_busy.json").slots() if s.busy]
    assert [(s.session_id, s.stereotype["harness:profile"]) for s in busy] == [
        (session_id, "GRID-FR")]


def test_a_plain_appium_status_is_not_a_grid() -> None:
    assert parse_status(recorded("appium_status.json")) is None
    assert parse_status({"value": "nope"}) is None
    assert parse_status([]) is None


def test_hub_status_over_http() -> None:
    seen: list[httpx.Request] = []
    status = hub_status(HUB + "/", client=hub({"/status": answer("status_idle.json")}, seen))
    assert status is not None and len(status.nodes) == 2
    assert [str(r.url) for r in seen] == [HUB + "/status"]


def test_hub_status_of_something_else_is_none() -> None:
    assert hub_status(HUB, client=hub({"/status": answer("appium_status.json")})) is None
    html = hub({"/status": lambda r: httpx.Response(200, text="<html>hello</html>")})
    assert hub_status(HUB, client=html) is None
    assert hub_status(HUB, client=hub({})) is None  # 404


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_nothing_answering_is_backend_unavailable_with_the_password_masked() -> None:
    url = f"http://farm:s3cret@127.0.0.1:{_closed_port()}"
    with pytest.raises(BackendUnavailable, match="nothing answers there") as info:
        hub_status(url, timeout=2)
    assert "s3cret" not in str(info.value) and "farm:***@127.0.0.1" in str(info.value)
    with pytest.raises(BackendUnavailable, match="not a valid URL"):
        hub_status("http://[::1", timeout=1)


# --------------------------------------------------------------------------- matching


def test_matching_slots_route_on_profile_country_and_platform() -> None:
    status = status_of("status_idle.json")
    fr = matching_slots(status, fr_request())
    assert [s.stereotype["harness:device"] for s in fr] == ["loopback/emu-a"]
    de = matching_slots(status, {**fr_request(), "harness:profile": "GRID-DE",
                                 "harness:country": "DE"})
    assert sorted(s.stereotype["harness:device"] for s in de) == [
        "loopback/emu-a", "loopback/emu-b"]
    # the Grid compares strings case-insensitively; so does the preflight
    assert matching_slots(status, fr_request(platformName="FAKE")) == fr
    assert matching_slots(status, fr_request(platformName="Android")) == []
    assert matching_slots(status, fr_request(**{"harness:country": "DE"})) == []
    assert matching_slots(status, fr_request(**{"appium:automationName": "UiAutomator2"})) == []


def test_a_harness_capability_the_stereotype_lacks_never_matches() -> None:
    status = status_of("status_idle.json")
    assert matching_slots(status, fr_request(**{"harness:host": "farm-a"})) == []
    # capabilities the driver alone reads do not take part
    assert matching_slots(status, fr_request(**{"appium:app": "/apk", "goog:x": 1}))


def test_only_up_nodes_serve() -> None:
    down = status_of("status_down.json")
    assert matching_slots(down, {**fr_request(), "harness:profile": "GRID-AT",
                                 "harness:country": "AT"}) == []
    de = matching_slots(down, {**fr_request(), "harness:profile": "GRID-DE",
                               "harness:country": "DE"})
    assert [s.stereotype["harness:device"] for s in de] == ["loopback/emu-a"]


def test_slot_matches_platform_version_exactly() -> None:
    offered = {"platformName": "Android", "appium:platformVersion": "14"}
    assert slot_matches(offered, {"platformName": "android", "appium:platformVersion": "14"})
    assert not slot_matches(offered, {"appium:platformVersion": "13"})
    assert not slot_matches({}, {"platformName": "Android"})


def test_grid_request_of_a_profile(tmp_path: Path) -> None:
    path = tmp_path / "DE-2.yaml"
    path.write_text("id: DE-2\ncountry: DE\nlocale: de_DE\nlanguage: de\n"
                    "timezone: Europe/Berlin\ndevice:\n  emulator: harness_DE\n",
                    encoding="utf-8")
    assert grid_request(load_profile(path)) == {
        "platformName": "Android", "appium:automationName": "UiAutomator2",
        "harness:profile": "DE-2", "harness:country": "DE"}


# --------------------------------------------------------------------------- session_node


def test_session_node_from_graphql() -> None:
    session_id = recorded("graphql_session.json")["data"]["session"]["id"]
    asked: list[Any] = []

    def graphql(request: httpx.Request) -> httpx.Response:
        asked.append((request.headers["content-type"], json.loads(request.content)))
        return httpx.Response(200, json=recorded("graphql_session.json"))

    client = hub({"/graphql": graphql})
    assert session_node(HUB, session_id, client=client) == "http://127.0.0.1:52703"
    content_type, body = asked[0]
    assert content_type == "application/json; charset=utf-8"
    assert body["variables"] == {"id": session_id}  # never spliced into the query


def test_session_node_falls_back_to_status_slots() -> None:
    session_id = recorded("new_session.json")["value"]["sessionId"]
    busy = status_of("status_busy.json")
    owner = next(n.uri for n in busy.nodes if any(s.busy for s in n.slots))
    client = hub({"/graphql": answer("graphql_unknown.json"),
                  "/status": answer("status_busy.json")})
    assert session_node(HUB, session_id, client=client) == owner
    assert session_node(HUB, "no-such-session", client=client) is None


def test_session_node_when_the_hub_cannot_tell() -> None:
    assert session_node(HUB, "x", client=hub({"/status": answer("appium_status.json")})) is None
    assert session_node(f"http://127.0.0.1:{_closed_port()}", "x", timeout=1) is None


def test_graphql_lives_at_the_root() -> None:
    assert graphql_url("http://h:4444") == "http://h:4444/graphql"
    assert graphql_url("http://h:4444/wd/hub/") == "http://h:4444/graphql"
    assert graphql_url("https://u:p@h/grid") == "https://u:p@h/grid/graphql"
