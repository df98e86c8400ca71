"""A reverse proxy on 127.0.0.1 that passes WebDriver traffic to a real server (Appium, the
simulator) and injects one fault on the requests a test picks.

It is the network between the harness and its Appium endpoint going wrong as it does on a
farm: an answer that comes too late, an HTTP 5xx from a gateway, a page source that is
not XML, a connection dropped without an answer. Everything else goes through unchanged,
so the harness talks to the real server through it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


@dataclass(frozen=True)
class Fault:
    """What to do to a request the test picked."""

    #: ``delay`` (answer after ``seconds``), ``status`` (answer HTTP ``code`` with
    #: ``body``), ``source`` (answer 200 with ``body`` as the page source), ``drop``
    #: (close the connection without an answer).
    kind: str
    seconds: float = 0.0
    code: int = 500
    body: str = ""


#: Picks the fault for (method, path), or None to pass the request through.
Rule = Callable[[str, str], Fault | None]


class FaultProxy:
    """Start with ``start()``, point the harness at ``url``, set ``rule``, ``stop()``."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.rule: Rule = lambda _m, _p: None
        self.injected: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._client = httpx.Client(timeout=120)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def count(self, kind: str) -> int:
        with self._lock:
            return sum(1 for k, _m, _p in self.injected if k == kind)

    def _pick(self, method: str, path: str) -> Fault | None:
        fault = self.rule(method, path)
        if fault is not None:
            with self._lock:
                self.injected.append((fault.kind, method, path))
        return fault

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._pick(self.command, self.path)
                if fault is not None and fault.kind == "drop":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if fault is not None and fault.kind == "status":
                    self._answer(fault.code, fault.body.encode(), "text/plain")
                    return
                if fault is not None and fault.kind == "source":
                    self._answer(200, json.dumps({"value": fault.body}).encode(),
                                 "application/json")
                    return
                if fault is not None and fault.kind == "delay":
                    time.sleep(fault.seconds)
                resp = proxy._client.request(
                    self.command, proxy.upstream + self.path, content=body,
                    headers={"Content-Type": self.headers.get("Content-Type",
                                                              "application/json")})
                self._answer(resp.status_code, resp.content,
                             resp.headers.get("content-type", "application/json"))

            def _answer(self, code: int, data: bytes, ctype: str) -> None:
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting (its read timed out)
                    self.close_connection = True

            do_GET = do_POST = do_DELETE = _relay

        return Handler


def on_source(fault: Fault, after: int = 0, times: int | None = None) -> Rule:
    """A rule that hits page-source reads: from the ``after``-th on, ``times`` of them."""
    seen = [0]
    lock = threading.Lock()

    def rule(method: str, path: str) -> Fault | None:
        if method != "GET" or not path.endswith("/source"):
            return None
        with lock:
            seen[0] += 1
            n = seen[0]
        if n <= after or (times is not None and n > after + times):
            return None
        return fault

    return rule
