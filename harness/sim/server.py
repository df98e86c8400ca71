"""``SimServer``: the simulator's HTTP endpoint on loopback.

A stdlib ``ThreadingHTTPServer`` in a background thread (one thread per connection,
HTTP/1.1 keep-alive as Selenium's client pool expects). Every response is JSON, errors
included: a client never gets an HTML error page, whatever it sends.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from harness.sim.apps import SIM_APPS, AppFactory
from harness.sim.commands import Command, CommandCounter, classify
from harness.sim.errors import InvalidArgument, UnknownError, WebDriverError
from harness.sim.pace import by_size, hierarchy_seconds, pace_seconds
from harness.sim.routes import Api, Request, response_size, route

logger = logging.getLogger(__name__)


class _Meter:
    """Counts every answered command and spends its modelled time before the answer."""

    def __init__(self, pace: Mapping[str, float] | None, latency: float,
                 sleep: Callable[[float], None], sized: bool = False) -> None:
        self.pace = pace
        self.latency = latency
        self.sleep = sleep
        self.sized = sized and pace is not None
        self.counter = CommandCounter()

    def by_size(self, command: Command) -> bool:
        """Whether ``command`` is priced by the size of the screen (after it is read)."""
        return self.sized and by_size(command)

    def wait(self, command: Command, size: int | None = None) -> None:
        seconds = self.latency
        if self.pace is not None:
            seconds += (pace_seconds(self.pace, command) if size is None
                        else hierarchy_seconds(self.pace, command, size))
        if seconds > 0:
            self.sleep(seconds)  # a real device's command time


class _HttpServer(ThreadingHTTPServer):
    """Tracks open connections so that stopping also ends kept-alive ones."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], api: Api, meter: _Meter) -> None:
        super().__init__(address, _Handler)
        self.api = api
        self.meter = meter
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        with self._connections_lock:
            self._connections.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes
    server_version = "HarnessSim/0.1"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _read(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    @staticmethod
    def _body(raw: bytes) -> dict[str, object]:
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidArgument(f"the request body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise InvalidArgument("the request body must be a JSON object")
        return body

    def _dispatch(self, method: str) -> None:
        assert isinstance(self.server, _HttpServer)
        meter = self.server.meter
        raw = self._read()  # always, so a kept-alive connection stays in step
        status: int = 200
        payload: dict[str, object]
        command = Command("other")
        try:
            found = route(method, self.path)
            command = Command(found.kind)
            body = self._body(raw)
            command = classify(found.kind, method, body)
            request = Request(found.params, body)
            if command.kind == "screenshot" and self.server.api.streams_screenshots(request):
                command = Command("screenshot", "stream")
            if meter.by_size(command):  # the price depends on the screen: read it first
                payload = {"value": found.handler(self.server.api, request)}
                meter.wait(command, response_size(payload) if command.kind == "source"
                           else self.server.api.source_bytes(request))
            else:
                meter.wait(command)
                payload = {"value": found.handler(self.server.api, request)}
        except WebDriverError as error:
            status, payload = error.status, error.to_json()
        except Exception as exc:  # an instrument bug must still answer in protocol form
            logger.exception("simulator command %s %s failed", method, self.path)
            failure = UnknownError(f"{type(exc).__name__}: {exc}")
            status, payload = failure.status, failure.to_json()
        meter.counter.add(command)
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


class SimServer:
    """A simulated Appium (UiAutomator2) server on ``host``; ``port=0`` picks a free port.

    Use as a context manager, or ``start()`` / ``stop()``. ``apps`` maps package ids to
    app factories (default ``SIM_APPS``); every new session (device) gets fresh instances
    of all of them. ``commands`` counts what the server answered, by kind.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        apps: Mapping[str, AppFactory] | None = None,
        latency: float = 0.0,
        pace: Mapping[str, float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        sized_sources: bool = False,
    ) -> None:
        """``pace``: seconds per command kind a real device takes, e.g.
        ``PACE_UIAUTOMATOR2`` (None: answer at once); with a pace, W3C actions also take
        their gestures' durations. ``latency``: seconds added to every command on top.
        ``sleep`` spends the time (a test passes a recorder instead). ``sized_sources``:
        price each page source and XPath find by the size of the screen it reads
        (``harness.sim.pace.hierarchy_seconds``) instead of the published screen's."""
        if latency < 0 or (pace is not None and any(v < 0 for v in pace.values())):
            raise ValueError("latency and pace seconds must be zero or more")
        self._address = (host, port)
        self._meter = _Meter(pace, latency, sleep, sized_sources)
        self.api = Api(SIM_APPS if apps is None else apps,
                       pause=sleep if pace is not None else None)
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._serving = threading.Event()

    @property
    def commands(self) -> Counter[str]:
        """How many commands of each kind the server has answered (a copy)."""
        return self._meter.counter.snapshot()

    def reset_commands(self) -> Counter[str]:
        """Count from zero again; returns the counts up to now."""
        return self._meter.counter.reset()

    @property
    def pace(self) -> Mapping[str, float] | None:
        return self._meter.pace

    def bind(self) -> _HttpServer:
        """Bind the port now (so ``url`` is known) without serving yet."""
        if self._httpd is None:
            self._httpd = _HttpServer(self._address, self.api, self._meter)
        return self._httpd

    @property
    def port(self) -> int:
        """The bound port (the free port chosen when constructed with 0)."""
        if self._httpd is None:
            raise RuntimeError("the simulator is not started")
        return int(self._httpd.server_address[1])

    @property
    def host(self) -> str:
        return self._address[0]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: what to give ``webdriver.Remote``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> SimServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._thread is not None:
            return self
        httpd = self.bind()
        self._serving.set()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name=f"harness-sim:{self.port}",
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Bind and serve in the calling thread until ``stop()`` or KeyboardInterrupt."""
        httpd = self.bind()
        self._serving.set()
        try:
            httpd.serve_forever(poll_interval=0.1)
        finally:
            self._serving.clear()
            httpd.close_connections()
            httpd.server_close()
            self._httpd = None

    def stop(self) -> None:
        """Stop serving, close open connections and release the port; idempotent."""
        httpd, thread = self._httpd, self._thread
        self._httpd, self._thread = None, None
        if httpd is None:
            return
        if self._serving.is_set():
            self._serving.clear()
            httpd.shutdown()
        if thread is not None:
            thread.join(timeout=5)
        httpd.close_connections()
        httpd.server_close()

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
