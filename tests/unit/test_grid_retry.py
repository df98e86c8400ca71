"""Where a failed Grid attempt is tried again (on a hub status read as JSON)."""

from __future__ import annotations

from typing import Any

from harness.devices.grid import parse_status
from harness.devices.grid_retry import failed_service, place_retry
from harness.support.secrets import scrub

DETAIL = scrub("the Appium endpoint at http://127.0.0.1:4444 refused to open a session: "
               "Could not start a new session. Error while creating session with the "
               "service http://127.0.0.1:48697. Connection error (POST "
               "http://127.0.0.1:48697/session)")
REQUEST = {"platformName": "Android", "harness:profile": "DE", "harness:country": "DE"}


def slot(device: str, appium: str, profile: str = "DE", busy: bool = False) -> dict[str, Any]:
    return {"id": {"hostId": device, "id": f"slot-{device}-{profile}"},
            "session": {"sessionId": "s1"} if busy else None,
            "stereotype": {"platformName": "Android", "harness:profile": profile,
                           "harness:country": profile, "harness:device": device,
                           "harness:appium": appium}}


def status(*nodes: tuple[str, str, list[dict[str, Any]]]) -> Any:
    got = parse_status({"value": {"ready": True, "nodes": [
        {"id": node_id, "uri": f"http://127.0.0.1:{5550 + i}", "availability": avail,
         "slots": slots} for i, (node_id, avail, slots) in enumerate(nodes)]}})
    assert got is not None
    return got


def test_the_service_url_in_the_hub_error_is_found_scrubbed() -> None:
    assert failed_service(DETAIL) == scrub("http://127.0.0.1:48697")
    assert failed_service("session lost") is None


def test_the_retry_is_pinned_to_another_device_serving_the_profile() -> None:
    hub = status(("a", "UP", [slot("a", "http://127.0.0.1:48697")]),
                 ("b", "UP", [slot("b", "http://127.0.0.1:48698", busy=True)]),
                 ("c", "UP", [slot("c", "http://127.0.0.1:48699")]))
    where = place_retry(hub, REQUEST, None, DETAIL)
    assert where.failed_node == "http://127.0.0.1:5550"
    assert where.pin == {"harness:device": "c"}  # the free one before the busy one
    # known by its node (the session had started): the same placement
    assert place_retry(hub, REQUEST, "http://127.0.0.1:5550", "session lost").pin == {
        "harness:device": "c"}


def test_no_other_device_for_the_profile_means_no_retry() -> None:
    hub = status(("a", "UP", [slot("a", "http://127.0.0.1:48697")]),
                 ("b", "UP", [slot("b", "http://127.0.0.1:48698", profile="FR")]),
                 ("c", "DOWN", [slot("c", "http://127.0.0.1:48699")]))
    where = place_retry(hub, REQUEST, None, DETAIL)
    assert (where.failed_node, where.pin) == ("http://127.0.0.1:5550", None)


def test_an_unknown_failed_node_leaves_the_choice_to_the_hub() -> None:
    hub = status(("a", "UP", [slot("a", "http://127.0.0.1:1")]))
    assert place_retry(hub, REQUEST, None, DETAIL).pin == {}
