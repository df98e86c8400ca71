"""Where the SMS verification code comes from, chosen per profile (``phone.otp``).

- ``device``: the SMS delivered to the phone, read through the device (UiAutomator2's
  ``mobile: listSms``; the simulator implements the same).
- ``http``: poll a number-rental / SMS-provider HTTP API described in the profile: URL
  template, where the code is in the JSON (dotted path) or a regex, poll interval.
- ``webhook``: a small HTTP receiver that a provider posts incoming SMS to.
- ``manual``: the tester types the code at the terminal; refused under CI or without a
  terminal.

Every source is used the same way: ``prepare()`` just before the code is requested (so
old messages are never taken for the new code), then ``poll()`` until the runner's
timeout. A code that never comes is the barrier ``sms_not_delivered``; a source that
could not be asked at all (provider down) is a failure of the instrument, never that
barrier. Keys and numbers come from the environment and are never logged.
"""

from __future__ import annotations

import json
import logging
import os
import re
import select
import sys
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.parse import parse_qs, quote

import httpx

if TYPE_CHECKING:
    from harness.devices.base import Device
from harness.spec.profile import OtpConfig
from harness.support.errors import ConfigError
from harness.support.secrets import (
    MissingEnv,
    env_names,
    expand_env,
    register_secret,
    scrub,
)

log = logging.getLogger(__name__)

class OtpSourceError(Exception):
    """The source could not be asked (provider down, bad answer); not a missing SMS."""


class OtpSource(Protocol):
    kind: str
    #: True when the source's last request since ``prepare`` was answered with something
    #: it could read; False while none was, or after one that failed (unreachable, an
    #: HTTP error, an answer that is not JSON). A code that never came from a source whose
    #: last request failed is an instrument failure, not ``sms_not_delivered``: the
    #: harness did not see whether the SMS came.
    answered: bool

    def prepare(self) -> None:
        """Remember what is already there, just before the code is requested."""
        ...

    def poll(self, remaining: float) -> list[str]:
        """Texts that arrived since ``prepare`` (SMS bodies or codes); may be empty."""
        ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- device


class DeviceSmsSource:
    """SMS read from the device under test."""

    kind = "device"
    answered = True

    def __init__(self, device: Device) -> None:
        self.device = device
        self._seen: set[str] = set()

    def prepare(self) -> None:
        self._seen = {m.key for m in self.device.list_sms()}

    def poll(self, remaining: float) -> list[str]:
        out = []
        for sms in self.device.list_sms():
            if sms.key not in self._seen:
                self._seen.add(sms.key)
                out.append(sms.body)
        return out

    def close(self) -> None:
        return None


# --------------------------------------------------------------------------- http


def _dig(data: Any, path: str) -> Any:
    """``messages.0.text`` -> data["messages"][0]["text"]; None when absent."""
    cur = data
    for part in path.split("."):
        if isinstance(cur, list) and part.lstrip("-").isdigit():
            idx = int(part)
            cur = cur[idx] if -len(cur) <= idx < len(cur) else None
        elif isinstance(cur, dict):
            cur = cur.get(part)
        else:
            return None
        if cur is None:
            return None
    return cur


class HttpSmsSource:
    """Polls a provider's HTTP API for the latest SMS of the number.

    ``prepare`` records what the API answers before the code is requested, so an old
    code still returned by the API is not taken for the new one.
    """

    kind = "http"

    def __init__(self, url: str, headers: Mapping[str, str], method: str = "GET",
                 code_json: str | None = None, code_regex: str | None = None,
                 poll_interval: float = 5.0,
                 secrets: list[str] | None = None, client: httpx.Client | None = None,
                 clock: Any = time.monotonic) -> None:
        self.url = url
        self.headers = dict(headers)
        self.method = method
        self.code_json = code_json
        self.code_regex = re.compile(code_regex) if code_regex else None
        self.poll_interval = poll_interval
        self._secrets = [*(secrets or []), *self.headers.values()]
        self._client = client or httpx.Client(timeout=15)
        self._before: set[str] = set()
        self._last_poll = float("-inf")
        self._clock = clock
        self.answered = False

    def _fetch(self) -> list[str]:
        try:
            resp = self._client.request(self.method, self.url, headers=self.headers)
        except httpx.HTTPError as exc:
            raise OtpSourceError(scrub(f"SMS provider unreachable: {type(exc).__name__}: "
                                       f"{exc}", self._secrets)) from None
        if resp.status_code >= 400:
            raise OtpSourceError(f"SMS provider answered HTTP {resp.status_code}")
        texts: list[str]
        if self.code_json is None:
            texts = [resp.text] if resp.text.strip() else []
        else:
            try:
                value = _dig(resp.json(), self.code_json)
            except ValueError:
                raise OtpSourceError("SMS provider's answer is not JSON") from None
            if value is None or value == "":
                texts = []
            else:
                texts = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if self.code_regex is not None:
            found = [self.code_regex.search(t) for t in texts]
            texts = [m.group(1) if m.groups() else m.group(0) for m in found if m]
        return texts

    def prepare(self) -> None:
        try:
            self._before = set(self._fetch())
        except OtpSourceError as exc:
            log.warning("could not read the provider before requesting a code: %s", exc)
            self._before = set()
        self.answered = False
        self._last_poll = self._clock()

    def poll(self, remaining: float) -> list[str]:
        if self._clock() - self._last_poll < self.poll_interval:
            return []
        self._last_poll = self._clock()
        try:
            texts = self._fetch()
        except OtpSourceError:
            self.answered = False
            raise
        self.answered = True
        return [t for t in texts if t not in self._before]

    def close(self) -> None:
        self._client.close()


# --------------------------------------------------------------------------- webhook


class _Inbox:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[int, str | None, str]] = []  # (seq, to, body)
        self.seq = 0

    def add(self, to: str | None, body: str) -> None:
        with self.lock:
            self.seq += 1
            self.messages.append((self.seq, to, body))
            del self.messages[:-500]


class WebhookReceiver:
    """One HTTP receiver per listen address, shared by the attempts of a process.

    Accepts POSTs of JSON (``{"to": "+49...", "text": "..."}``; ``body``/``message``/
    ``text`` and ``to``/``recipient``/``number`` are recognised) or form data, on
    ``path``; with a token configured, a request must carry it in ``X-Harness-Token``.
    """

    _shared: ClassVar[dict[str, WebhookReceiver]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, host: str, port: int, path: str, token: str | None) -> None:
        self.inbox = _Inbox()
        self.path = path
        self.token = token
        self.users = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None  # never log numbers or codes

            def do_POST(self) -> None:
                if self.path.split("?")[0] != receiver.path:
                    self.send_error(404)
                    return
                if receiver.token and self.headers.get("X-Harness-Token") != receiver.token:
                    self.send_error(403)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(min(length, 1_000_000)).decode("utf-8", "replace")
                data: dict[str, Any]
                try:
                    parsed = json.loads(raw)
                    data = parsed if isinstance(parsed, dict) else {}
                except ValueError:
                    data = {k: v[0] for k, v in parse_qs(raw).items()}
                body = next((str(data[k]) for k in ("text", "body", "message", "Body")
                             if data.get(k)), None)
                to = next((str(data[k]) for k in ("to", "recipient", "number", "To")
                           if data.get(k)), None)
                if body is None:
                    self.send_error(400, "no text/body/message field")
                    return
                receiver.inbox.add(to, body)
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name=f"sms-webhook-{port}")
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @classmethod
    def acquire(cls, listen: str, path: str, token: str | None) -> WebhookReceiver:
        host, _, port = listen.rpartition(":")
        try:
            port_n = int(port)
        except ValueError:
            raise ConfigError(f"phone.otp.listen={listen}", None, "not host:port",
                              "e.g. listen: 127.0.0.1:8765") from None
        with cls._shared_lock:
            rec = cls._shared.get(listen)
            if rec is None:
                try:
                    rec = cls(host or "127.0.0.1", port_n, path, token)
                except OSError as exc:
                    raise ConfigError(f"phone.otp.listen={listen}", None,
                                      f"cannot listen there: {exc.strerror}",
                                      "Choose a free port") from None
                cls._shared[listen] = rec
            rec.users += 1
            return rec

    def release(self) -> None:
        with self._shared_lock:
            self.users -= 1
            if self.users <= 0:
                for key, rec in list(self._shared.items()):
                    if rec is self:
                        del self._shared[key]
                self.server.shutdown()
                self.server.server_close()


class WebhookSmsSource:
    kind = "webhook"
    answered = True

    def __init__(self, receiver: WebhookReceiver, number: str) -> None:
        self.receiver = receiver
        self.number = number
        self._after = 0

    def prepare(self) -> None:
        with self.receiver.inbox.lock:
            self._after = self.receiver.inbox.seq

    def poll(self, remaining: float) -> list[str]:
        digits = self.number.lstrip("+")
        with self.receiver.inbox.lock:
            msgs = [m for m in self.receiver.inbox.messages if m[0] > self._after]
        if msgs:
            self._after = msgs[-1][0]
        return [body for _, to, body in msgs
                if to is None or to.lstrip("+").replace(" ", "") == digits]

    def close(self) -> None:
        self.receiver.release()


# --------------------------------------------------------------------------- manual


class ManualSource:
    """The tester types the code. Only with a terminal, never under CI."""

    kind = "manual"
    answered = True
    _prompt_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, label: str, stdin: Any = None, stdout: Any = None,
                 environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stderr
        if env.get("CI", "").lower() in ("1", "true", "yes"):
            raise ConfigError("phone.otp: manual", None,
                              "the manual SMS-code source needs a person at a terminal, and "
                              "CI is set", "Use otp: device, http or webhook for unattended "
                              "runs")
        if not (hasattr(self.stdin, "isatty") and self.stdin.isatty()):
            raise ConfigError("phone.otp: manual", None,
                              "the manual SMS-code source needs a terminal on standard input",
                              "Run from a terminal (and with pytest add -s), or use "
                              "otp: device, http or webhook")
        self.label = label
        self._asked = False

    def prepare(self) -> None:
        self._asked = False

    def poll(self, remaining: float) -> list[str]:
        if self._asked:
            return []
        self._asked = True
        with self._prompt_lock:
            self.stdout.write(f"\nSMS code for {self.label} (within {remaining:.0f} s; empty "
                              "line = no code arrived): ")
            self.stdout.flush()
            ready, _, _ = select.select([self.stdin], [], [], max(remaining, 0.0))
            if not ready:
                self.stdout.write("\n")
                return []
            line = str(self.stdin.readline()).strip()
        return [line] if line else []

    def close(self) -> None:
        return None


# --------------------------------------------------------------------------- factory


def _expand(value: str, where: str, extra: Mapping[str, str]) -> str:
    for name, val in extra.items():
        value = value.replace("{" + name + "}", val)
    try:
        expanded = expand_env(value)
    except MissingEnv as exc:
        raise ConfigError(where, "phone.otp", f"environment variable {exc.var} is not set",
                          f"Export {exc.var} (the SMS provider's key or URL)") from None
    register_secret(*(os.environ.get(name) for name in env_names(value)))  # each key alone
    return expanded


def check_config(config: OtpConfig, where: str, environ: Mapping[str, str] | None = None,
                 stdin: Any = None) -> None:
    """Fail before a run starts if the source cannot work here (unset keys, no terminal)."""
    env = os.environ if environ is None else environ
    if config.source == "manual":
        ManualSource("check", stdin=stdin, environ=env)
        return
    refs = [config.url or "", config.token or "", *config.headers.values()]
    for ref in refs:
        try:
            expand_env(ref, env)
        except MissingEnv as exc:
            raise ConfigError(where, "phone.otp",
                              f"environment variable {exc.var} is not set",
                              f"Export {exc.var} (the SMS provider's key or URL)") from None


def make_source(config: OtpConfig, device: Device, e164: str, national: str, label: str,
                where: str) -> OtpSource:
    """The source a profile asks for, with its secrets resolved from the environment."""
    if config.source == "device":
        return DeviceSmsSource(device)
    if config.source == "manual":
        return ManualSource(label)
    values = {"phone.e164": e164, "phone.national": national}
    if config.source == "http":
        assert config.url is not None
        url = _expand(config.url, where, {k: quote(v, safe="") for k, v in values.items()})
        headers = {k: _expand(v, where, values) for k, v in config.headers.items()}
        register_secret(url, *headers.values())
        return HttpSmsSource(url, headers, config.method, config.code_json, config.code_regex,
                             config.poll_interval, secrets=[url, e164, national])
    token = _expand(config.token, where, values) if config.token else None
    register_secret(token)
    receiver = WebhookReceiver.acquire(config.listen, config.path, token)
    return WebhookSmsSource(receiver, e164)


__all__ = [
    "DeviceSmsSource",
    "HttpSmsSource",
    "ManualSource",
    "OtpSource",
    "OtpSourceError",
    "WebhookReceiver",
    "WebhookSmsSource",
    "check_config",
    "make_source",
]

