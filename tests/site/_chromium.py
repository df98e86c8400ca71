"""Headless Chromium driven through the DevTools protocol over a pipe (no port, no driver).

``chromium --remote-debugging-pipe`` reads protocol messages on file descriptor 3 and
writes on 4, each a JSON object ended by a NUL byte. :class:`Browser` starts it, opens one
tab, and for each page: loads it at a fixed width, waits for the fonts, collects console
messages, uncaught exceptions and failed loads, runs :data:`CHECKS` in the page and takes
a full-page screenshot.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Evaluated in each page once it has loaded and its fonts are ready.
CHECKS = r"""
(async () => {
  await document.fonts.ready;
  const imgs = [...document.images];
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);
  const faces = [...document.fonts].map(f => ({family: f.family, status: f.status}));
  const text = document.body.innerText;
  // two CJK characters of the page and a private-use one (never in a font) drawn in the
  // page's font: real glyphs differ from each other and from the empty box
  const chars = [...new Set(text.match(/[\u4e00-\u9fff]/g) || [])].slice(0, 2);
  const draw = (ch) => {
    const c = document.createElement('canvas'); c.width = 48; c.height = 48;
    const g = c.getContext('2d');
    g.font = '40px ' + getComputedStyle(document.body).fontFamily;
    g.fillText(ch, 2, 40); return c.toDataURL();
  };
  const glyphs = chars.map(draw), tofu = draw('\ue000');
  const cjkDistinct = chars.length < 2 ? null :
    glyphs[0] !== glyphs[1] && glyphs.every(g => g !== tofu);
  return JSON.stringify({
    images: imgs.length, broken, faces, cjkChars: chars.join(''), cjkDistinct,
    cjkReady: document.fonts.check('32px "Noto Sans CJK SC"', '真名社区'),
    hasCjkText: /[\u4e00-\u9fff]/.test(text),
    scrollWidth: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
    title: document.title, text: text.slice(0, 200000),
  });
})()
"""


def chromium_path() -> str | None:
    """The Chromium binary on PATH, if any."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Rendered:
    """One page as Chromium saw it."""

    url: str
    checks: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    screenshot: Path | None = None


class Browser:
    """One headless Chromium with one tab (use as a context manager)."""

    def __init__(self, profile_dir: Path, width: int = 1280, height: int = 900) -> None:
        self.width, self.height = width, height
        binary = chromium_path()
        if binary is None:
            raise RuntimeError("chromium is not installed")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # the child's fds 3 and 4 must be exactly these: copies above 10 are moved there
        r3, w4 = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_child_r, from_child_w))

        def fds() -> None:
            os.dup2(r3, 3)
            os.dup2(w4, 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--remote-debugging-pipe", "--no-sandbox",
             "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--hide-scrollbars", "--mute-audio", "--disable-extensions",
             "--font-render-hinting=none", f"--user-data-dir={profile_dir}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=fds)
        for fd in {to_child_r, from_child_w, r3, w4}:
            os.close(fd)
        self._next = 0
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.call(method, session=self.session)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1,
                   "mobile": False}, session=self.session)

    # ------------------------------------------------------------------ protocol

    def _read(self) -> None:
        buf = b""
        while True:
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg and msg["id"] in self._replies:
                    self._replies[msg["id"]].put(msg)
                else:
                    self._events.put(msg)

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = 60) -> dict[str, Any]:
        with self._lock:
            self._next += 1
            mid = self._next
            box: queue.Queue[dict[str, Any]] = queue.Queue()
            self._replies[mid] = box
            msg: dict[str, Any] = {"id": mid, "method": method, "params": params or {}}
            if session:
                msg["sessionId"] = session
            os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        reply = box.get(timeout=timeout)
        del self._replies[mid]
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def _drain(self) -> list[dict[str, Any]]:
        out = []
        while True:
            try:
                out.append(self._events.get_nowait())
            except queue.Empty:
                return out

    # ------------------------------------------------------------------ pages

    def _wait_load(self, timeout: float = 60) -> list[dict[str, Any]]:
        seen = []
        while True:
            ev = self._events.get(timeout=timeout)
            seen.append(ev)
            if ev.get("method") == "Page.loadEventFired":
                return seen

    @staticmethod
    def _errors(events: list[dict[str, Any]]) -> list[str]:
        out = []
        for ev in events:
            method, p = ev.get("method"), ev.get("params", {})
            if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning",
                                                                           "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                  for a in p.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                out.append("exception: " + str(p.get("exceptionDetails", {}).get("text")))
            elif method == "Log.entryAdded" and p.get("entry", {}).get("level") in (
                    "error", "warning"):
                entry = p["entry"]
                out.append(f"log: {entry.get('text')} {entry.get('url', '')}")
            elif method == "Network.loadingFailed":
                out.append(f"load failed: {p.get('errorText')}")
        return out

    def render(self, page: Path, screenshot: Path | None = None) -> Rendered:
        """Load ``page`` (a file), check it and optionally save a full-page PNG."""
        url = page.resolve().as_uri()
        self._drain()
        self.call("Page.navigate", {"url": url}, session=self.session)
        events = self._wait_load()
        result = self.call("Runtime.evaluate", {"expression": CHECKS, "awaitPromise": True,
                                                "returnByValue": True},
                           session=self.session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"checks failed in {url}: {result['exceptionDetails']}")
        checks = json.loads(result["result"]["value"])
        events += self._drain()
        rendered = Rendered(url, checks, self._errors(events))
        if screenshot is not None:
            height = min(int(checks["height"]), 16000)
            shot = self.call("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": self.width, "height": height,
                         "scale": 1}}, session=self.session)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            rendered.screenshot = screenshot
        return rendered

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, queue.Empty, OSError):
            self.call("Browser.close", timeout=10)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
