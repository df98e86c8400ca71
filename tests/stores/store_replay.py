"""A loopback server that answers like the stores, from recorded responses.

For the test suite, the benchmark and offline demos: it listens on 127.0.0.1 (a free
port by default) and serves

- ``/lookup?id=...&country=xx&entity=software`` like the iTunes lookup API: the recorded
  empty answer verbatim when no id is sold in ``xx``; the recorded ``errorMessage`` body
  when an id is in ``apple_invalid_ids``; otherwise records built from a recorded full
  record (``trackId``, ``bundleId`` and ``trackName`` substituted per id). A request
  whose (country, ids) is in ``apple_verbatim`` gets that recorded body byte for byte.
- ``/store/apps/details?id=PKG&gl=XX&hl=en`` like Google Play: a recorded details page
  (served verbatim for its own package, with the package substituted for others), the
  recorded 404 page, or a page derived from the recorded one that shows Play's "not
  available in your country" message instead of the install button.

Which app is available where is decided by the ``apple_available`` and ``play_state``
callables. Faults (403, 429 with Retry-After, 503, HTML error pages, captcha and
consent redirects, dropped connections) are injected with ``inject``; each fault
answers a given number of matching requests, then the normal answer resumes.
The recorded bodies are passed in by the caller (tests read them from
tests/fixtures/stores); this module holds no recorded data itself.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

APPLE_PATH = "/lookup"
PLAY_PATH = "/store/apps/details"

#: Play states ``play_state`` may return for a (country, package).
PLAY_AVAILABLE = "available"
PLAY_NOT_FOUND = "not_found"
PLAY_NOT_AVAILABLE_PAGE = "not_available_page"

FAULT_KINDS = ("403", "429", "503", "html", "reset", "captcha", "captcha_page", "consent",
               "consent_page", "404_unknown")

_HTML_ERROR = (b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>"
               b"<h1>Service Unavailable</h1><p>The server is temporarily unable to service "
               b"your request. Please try again later.</p></body></html>")
_CAPTCHA_PAGE = (b"<html><head><title>https://play.google.com/</title></head><body><div>"
                 b"Our systems have detected unusual traffic from your computer network. "
                 b"This page checks to see if it's really you sending the requests, and not "
                 b"a robot.</div><div class=\"g-recaptcha\"></div></body></html>")
_CONSENT_PAGE = (b"<!DOCTYPE html><html lang=\"en\"><head><title>Before you continue to Google"
                 b"</title></head><body><form action=\"https://consent.google.com/save\">"
                 b"<button>Accept all</button></form></body></html>")
_UNKNOWN_404 = b"<html><body><h1>404</h1><p>nginx</p></body></html>"
_NOT_AVAILABLE_NOTICE = ('<div class="harness-replay-notice">This item is not available in '
                         'your country.</div>')


@dataclass
class Fault:
    """``kind`` answers the next ``times`` requests to ``path`` (for ``country`` if given)."""

    kind: str
    path: str
    times: int = 1
    country: str | None = None
    retry_after: str | None = "0"

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; one of {', '.join(FAULT_KINDS)}")


def not_available_variant(page: str) -> str:
    """A details page that shows the country message instead of the install offer.

    Derived from a recorded available page (the offer markup neutralised, the message
    added after ``<body>``): a synthetic stand-in for the real unavailable page.
    """
    page = page.replace('itemprop="offers"', 'data-replay-removed="offers"')
    page = page.replace('aria-label="Install"', 'aria-label="Replay removed"')
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + _NOT_AVAILABLE_NOTICE, page,
                  count=1)


def compact_play_page(page: str) -> str:
    """The parts of a recorded details page the harness reads, for fast benchmarks.

    Keeps the ``<head>`` (title and og: tags), the ``ds:5`` data script and the install
    offer markup; drops the reviews, images, styles and other scripts (1.2 MB -> about
    20 kB).
    """
    title = re.search(r"<title\b[^>]*>.*?</title>", page, re.S)
    metas = re.findall(r'<meta\s+property="og:[^>]*>', page)
    ds5 = re.search(r"<script[^>]*>\s*AF_initDataCallback\(\{key: 'ds:5'.*?</script>",
                    page, re.S)
    offer = re.search(r'<span itemprop="offers".*?</span>', page, re.S)
    parts = ["<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
             title.group(0) if title else "", *metas, "</head><body>",
             offer.group(0) if offer else "", '<button aria-label="Install">Install</button>',
             ds5.group(0) if ds5 else "", "</body></html>"]
    return "".join(parts)


def _default_app(track_id: int) -> tuple[str, str]:
    return f"org.replay.app{track_id}", f"Replay App {track_id}"


class ReplayServer:
    """The loopback store. Use as a context manager, or ``start()`` / ``stop()``."""

    def __init__(
        self,
        *,
        apple_record: bytes,
        apple_empty: bytes,
        apple_invalid: bytes,
        play_page: bytes,
        play_not_found: bytes,
        apple_apps: Mapping[int, tuple[str, str]] | None = None,
        apple_available: Callable[[str, int], bool] | None = None,
        apple_invalid_ids: frozenset[int] = frozenset(),
        apple_invalid_status: int = 400,
        apple_verbatim: Mapping[tuple[str, tuple[int, ...]], bytes] | None = None,
        play_state: Callable[[str, str], str] | None = None,
        play_verbatim: Mapping[str, bytes] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        record = json.loads(apple_record)["results"][0]
        self._apple_template: dict[str, Any] = record
        self._apple_empty = apple_empty
        self._apple_invalid = apple_invalid
        self._apple_invalid_status = apple_invalid_status
        self._apple_apps = dict(apple_apps or {})
        self._apple_available = apple_available or (lambda country, track_id: True)
        self.apple_invalid_ids = set(apple_invalid_ids)
        self._apple_verbatim = {(c.upper(), tuple(ids)): b
                                for (c, ids), b in (apple_verbatim or {}).items()}
        text = play_page.decode("utf-8")
        m = re.search(r'og:url" content="[^"]*[?&]id=([A-Za-z0-9_.]+)', text)
        self._play_package = m.group(1) if m else ""
        self._play_page = text
        self._play_unavailable = not_available_variant(text)
        self._play_not_found = play_not_found
        self._play_state = play_state or (lambda country, package: PLAY_AVAILABLE)
        self._play_verbatim = dict(play_verbatim or {})
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.requests: list[str] = []
        """Every request target (path and query) received, in order."""
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def apple_url(self) -> str:
        return self.base_url

    @property
    def play_url(self) -> str:
        return self.base_url + PLAY_PATH

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="store-replay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ control

    def inject(self, kind: str, store: str, times: int = 1, country: str | None = None,
               retry_after: str | None = "0") -> None:
        """Make the next ``times`` requests to ``store`` ("apple"/"play") answer ``kind``."""
        path = APPLE_PATH if store == "apple" else PLAY_PATH
        with self._lock:
            self._faults.append(Fault(kind, path, times, country.upper() if country else None,
                                      retry_after))

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.startswith(path))

    def _take_fault(self, path: str, country: str) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if f.path == path and f.times > 0 and f.country in (None, country):
                    f.times -= 1
                    return f
        return None

    # ------------------------------------------------------------------ answers

    def apple_answer(self, query: Mapping[str, list[str]]) -> tuple[int, str, bytes]:
        country = (query.get("country", [""])[0]).upper()
        raw_ids = [p for p in ",".join(query.get("id", [])).split(",") if p]
        if not raw_ids or not all(p.isdigit() for p in raw_ids):
            return self._apple_invalid_status, "text/javascript", self._apple_invalid
        ids = [int(p) for p in raw_ids]
        if any(i in self.apple_invalid_ids for i in ids):
            return self._apple_invalid_status, "text/javascript", self._apple_invalid
        verbatim = self._apple_verbatim.get((country, tuple(ids)))
        if verbatim is not None:
            return 200, "text/javascript; charset=utf-8", verbatim
        results = []
        for i in ids:
            if not self._apple_available(country, i):
                continue
            bundle, title = self._apple_apps.get(i, _default_app(i))
            rec = dict(self._apple_template)
            rec.update(trackId=i, bundleId=bundle, trackName=title, trackCensoredName=title,
                       trackViewUrl=f"https://apps.apple.com/{country.lower()}/app/id{i}")
            results.append(rec)
        if not results:
            return 200, "text/javascript; charset=utf-8", self._apple_empty
        body = json.dumps({"resultCount": len(results), "results": results}).encode()
        return 200, "text/javascript; charset=utf-8", body

    def play_answer(self, query: Mapping[str, list[str]]) -> tuple[int, str, bytes]:
        package = query.get("id", [""])[0]
        country = query.get("gl", [""])[0].upper()
        state = self._play_state(country, package)
        if state == PLAY_NOT_FOUND:
            return 404, "text/html; charset=utf-8", self._play_not_found
        if package in self._play_verbatim and state == PLAY_AVAILABLE:
            return 200, "text/html; charset=utf-8", self._play_verbatim[package]
        page = self._play_unavailable if state == PLAY_NOT_AVAILABLE_PAGE else self._play_page
        if self._play_package and package != self._play_package:
            page = page.replace(self._play_package, package)
        return 200, "text/html; charset=utf-8", page.encode("utf-8")

    def fault_answer(self, fault: Fault) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
        kind = fault.kind
        if kind == "403":
            return 403, headers, b"<html><body><h1>403 Forbidden</h1></body></html>"
        if kind == "429":
            return 429, headers, b"<html><body><h1>429 Too Many Requests</h1></body></html>"
        if kind == "503":
            return 503, headers, _HTML_ERROR
        if kind == "html":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, _HTML_ERROR
        if kind == "captcha":
            return 302, {"Location": "https://www.google.com/sorry/index?continue=play"}, b""
        if kind == "captcha_page":
            return 429, headers, _CAPTCHA_PAGE
        if kind == "consent":
            return 302, {"Location": "https://consent.google.com/ml?continue=https://play."
                                     "google.com/store/apps"}, b""
        if kind == "consent_page":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, _CONSENT_PAGE
        if kind == "404_unknown":
            return 404, {"Content-Type": "text/html"}, _UNKNOWN_404
        raise AssertionError(kind)

    # ------------------------------------------------------------------ HTTP

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # one send per answer, no Nagle: else delayed ACKs cost 40 ms per request
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                with server._lock:
                    server.requests.append(self.path)
                if parts.path == APPLE_PATH:
                    country = query.get("country", [""])[0].upper()
                elif parts.path == PLAY_PATH:
                    country = query.get("gl", [""])[0].upper()
                else:
                    self._send(404, {"Content-Type": "text/plain"}, b"not a store path")
                    return
                fault = server._take_fault(parts.path, country)
                if fault is not None and fault.kind == "reset":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault is not None:
                    status, headers, body = server.fault_answer(fault)
                    self._send(status, headers, body)
                    return
                if parts.path == APPLE_PATH:
                    status, ctype, body = server.apple_answer(query)
                else:
                    status, ctype, body = server.play_answer(query)
                self._send(status, {"Content-Type": ctype}, body)

            def _send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
