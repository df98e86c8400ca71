"""Small HTTP services on 127.0.0.1 for tests: a server on a free port that a test starts
and stops, and the one way their handlers answer."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def answer(handler: BaseHTTPRequestHandler, status: int, body: bytes,
           ctype: str = "application/json") -> None:
    """Send ``body`` as the whole response, with its type and length."""
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class Loopback:
    """``handler`` served on 127.0.0.1 at a free port from construction until ``stop()``;
    ``url`` is its address with ``path`` appended."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], path: str = "") -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
