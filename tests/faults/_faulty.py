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
from _loopback import Loopback, answer


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


class Echo(Loopback):
    """An IP-echo service on 127.0.0.1: a request from ``DE_SOURCE`` (the proxy's own
    outgoing address) exits in Germany, any other in no known country."""

    DE_SOURCE = "127.0.0.11"

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:
                de = self.client_address[0] == Echo.DE_SOURCE
                data = {"ip": "193.99.144.80" if de else "203.0.113.9",
                        "country": "DE" if de else "ZZ", "org": "AS64500 Example"}
                answer(self, 200, json.dumps(data).encode())

        super().__init__(Handler, "/json")


class DyingProxy:
    """An HTTP forward proxy that carries ``lives`` requests, then dies: the request after
    the last is dropped unanswered and the port is closed, as when a proxy process is
    killed while an attempt uses it. Its traffic leaves from ``Echo.DE_SOURCE``."""

    def __init__(self, lives: int) -> None:
        self.lives = lives
        self.carried = 0
        self.dead = threading.Event()
        proxy = self
        client = httpx.Client(transport=httpx.HTTPTransport(local_address=Echo.DE_SOURCE),
                              timeout=10, trust_env=False)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:
                if proxy.carried >= proxy.lives:
                    self.close_connection = True
                    if not proxy.dead.is_set():
                        proxy.dead.set()
                        threading.Thread(target=proxy._die, daemon=True).start()
                    return
                proxy.carried += 1
                resp = client.get(self.path)  # an absolute URL: a proxy request
                answer(self, resp.status_code, resp.content,
                       resp.headers.get("content-type", "text/plain"))

        self._service = Loopback(Handler)
        self.url = self._service.url

    def _die(self) -> None:
        self._service.stop()

    def stop(self) -> None:
        if not self.dead.is_set():
            self.dead.set()
            self._die()


class Provider(Loopback):
    """An SMS provider's API on 127.0.0.1 answering what the test sets: ``answers`` are
    (status, body) pairs given in turn, the last one repeated."""

    def __init__(self, answers: list[tuple[int, str]]) -> None:
        self.answers = list(answers)
        self.requests = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:
                status, body = provider.answers[min(provider.requests,
                                                    len(provider.answers) - 1)]
                provider.requests += 1
                answer(self, status, body.encode())

        super().__init__(Handler, "/sms")
