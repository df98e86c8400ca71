"""Record a real hub's answers into tests/fixtures/grid/ for the Grid client's unit tests.

    .venv/bin/python tests/grid/record_fixtures.py

Starts the two-node grid of ``_grid`` (hub 4.48.0, real Appium + fake driver behind each
node) and saves: ``/status`` idle, with one session, and with one node's Appium killed
(DOWN); the GraphQL answer for that session and for an unknown one; and a plain Appium
server's ``/status``. Re-record when the jar's version changes.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "integration")]

from _grid import FAKEAPP, GridFarm  # noqa: E402

from harness.devices.grid import JSON_HEADERS, SESSION_QUERY, graphql_url  # noqa: E402

OUT = HERE.parent / "fixtures" / "grid"


def save(name: str, data: Any) -> None:
    text = json.dumps(data, indent=2, sort_keys=True).replace(str(FAKEAPP), "fakeapp")
    (OUT / name).write_text(text + "\n", encoding="utf-8")
    print("wrote", OUT / name)


def graphql(farm: GridFarm, session_id: str) -> Any:
    body = {"query": SESSION_QUERY, "variables": {"id": session_id}}
    return httpx.post(graphql_url(farm.hub_url), json=body, headers=JSON_HEADERS,
                      timeout=10).json()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, GridFarm(Path(tmp)) as farm:
        save("status_idle.json", httpx.get(farm.hub_url + "/status", timeout=10).json())
        resp = farm.new_session(farm.request("GRID-FR"))
        resp.raise_for_status()
        session_id = resp.json()["value"]["sessionId"]
        save("new_session.json", resp.json())
        save("status_busy.json", httpx.get(farm.hub_url + "/status", timeout=10).json())
        save("graphql_session.json", graphql(farm, session_id))
        save("graphql_unknown.json", graphql(farm, "0f0f0f0f-0000-4000-8000-000000000000"))
        farm.delete_session(session_id)
        appium = farm.nodes[1].appium
        save("appium_status.json", httpx.get(appium.url + "/status", timeout=10).json())
        appium.kill()
        farm.wait_availability(farm.nodes[1], "DOWN")
        save("status_down.json", httpx.get(farm.hub_url + "/status", timeout=10).json())


if __name__ == "__main__":
    main()
