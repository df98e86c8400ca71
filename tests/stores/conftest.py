"""Store-check fixtures: a loopback store on a free port, clients that never really sleep."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from store_helpers import FakeTime, replay_server
from store_replay import ReplayServer

from harness.stores.clients import StoreClients
from harness.stores.settings import StoreSettings


@pytest.fixture
def make_replay() -> Iterator[Callable[..., ReplayServer]]:
    """Start loopback stores on free ports; every one is stopped after the test."""
    started: list[ReplayServer] = []

    def make(**overrides: Any) -> ReplayServer:
        server = replay_server(**overrides).start()
        started.append(server)
        return server

    yield make
    for s in started:
        s.stop()


@pytest.fixture
def replay(make_replay: Callable[..., ReplayServer]) -> ReplayServer:
    return make_replay()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_clients(fake_time: FakeTime) -> Iterator[Callable[..., StoreClients]]:
    made: list[StoreClients] = []

    def make(server: ReplayServer, **settings: Any) -> StoreClients:
        base: dict[str, Any] = dict(apple_url=server.apple_url, play_url=server.play_url,
                                    apple_per_minute=None, play_per_minute=None,
                                    max_attempts=4, backoff=1.0, timeout=10.0)
        base.update(settings)
        clients = StoreClients(StoreSettings(**base), clock=fake_time.clock,
                               sleep=fake_time.sleep)
        made.append(clients)
        return clients

    yield make
    for c in made:
        c.close()
