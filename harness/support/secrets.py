"""Secrets: values that must never be committed, logged or stored in clear.

Profiles refer to secrets as ``${ENV_VAR}`` (optionally ``${ENV_VAR:-default}``); the value
is read from the environment only when a run needs it. A resolved secret is a ``Secret``,
whose ``repr`` and ``str`` are masked; ``reveal()`` is the one explicit way to the clear
value. Phone numbers are stored masked plus a keyed hash (HMAC-SHA256), so that analysts
can tell "the same number" without being able to read it; the key comes from
``HARNESS_HASH_KEY`` or a local key file, never from the database it protects.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import logging
import os
import re
import secrets as _stdlib_secrets
import sys
import tempfile
import threading
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import phonenumbers

from harness.support.errors import HarnessError

ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class MissingEnv(LookupError):
    """A ``${VAR}`` reference whose variable is not set (and has no default)."""

    def __init__(self, var: str) -> None:
        self.var = var
        super().__init__(var)


def has_env_ref(value: str) -> bool:
    return bool(ENV_REF.search(value))


def env_names(value: str) -> list[str]:
    return [m.group(1) for m in ENV_REF.finditer(value)]


def expand_env(value: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace every ``${VAR}`` / ``${VAR:-default}``; raise ``MissingEnv`` if unset."""
    env = os.environ if environ is None else environ

    def sub(m: re.Match[str]) -> str:
        var, default = m.group(1), m.group(2)
        val = env.get(var)
        if val is None or val == "":
            if default is not None:
                return default
            raise MissingEnv(var)
        return val

    return ENV_REF.sub(sub, value)


class Secret:
    """A string that masks itself everywhere it could leak."""

    __slots__ = ("_masked", "_value")

    def __init__(self, value: str, masked: str = "***") -> None:
        self._value = value
        self._masked = masked

    def reveal(self) -> str:
        """The clear value; call only where it is handed to the device or the network."""
        return self._value

    @property
    def masked(self) -> str:
        return self._masked

    def __repr__(self) -> str:
        return f"Secret({self._masked!r})"

    def __str__(self) -> str:
        return self._masked

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(self._value.encode(),
                                                                 other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)


def mask_phone(e164: str) -> str:
    """``+4915123456789`` -> ``+49*********89``: calling code kept, last two digits kept."""
    digits = e164.lstrip("+")
    try:
        import phonenumbers

        cc = str(phonenumbers.parse(e164, None).country_code)
    except Exception:
        cc = digits[:2]
    rest = digits[len(cc):]
    keep = rest[-2:] if len(rest) > 4 else ""
    return f"+{cc}" + "*" * (len(rest) - len(keep)) + keep


#: Names of URL query parameters and HTTP headers whose values are secrets: keys,
#: tokens, passwords, signatures, session cookies (``?key=``, ``&api_key=``,
#: ``Authorization:``, ``X-Api-Key:``, ``access_token``, ``X-Amz-Signature``), and the
#: phone number an SMS provider is asked about (``?number=``).
_SECRET_NAME = re.compile(r"token|secret|passw|pwd|api[_\-]?key|auth|credential|signature"
                          r"|session|cookie|phone|msisdn|number|^(?:key|pass|sig)$|[_\-]key$",
                          re.IGNORECASE)
#: One ``name=value`` of a query string (after ``?``, ``&`` or ``;``).
_QUERY_PARAM = re.compile(r"([?&;])([^=&#;\s]+)=([^&#;\s'\"]*)")


def is_secret_name(name: str) -> bool:
    """Whether a query parameter or header of this name carries a secret."""
    return _SECRET_NAME.search(unquote(name).strip()) is not None


def _mask_query(url: str) -> str:
    """``url`` with the value of every secret query parameter replaced by ``***``."""
    head, mark, rest = url.partition("?")
    if not mark:
        return url
    query, hash_mark, fragment = rest.partition("#")
    masked = _QUERY_PARAM.sub(
        lambda m: f"{m.group(1)}{m.group(2)}=***" if m.group(3) and is_secret_name(
            m.group(2)) else m.group(0), "?" + query)
    return head + masked + hash_mark + fragment


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """HTTP headers as they may be shown: secret ones (``Authorization``, ``X-Api-Key``,
    a token, a cookie) as ``***``."""
    return {k: "***" if is_secret_name(k) else v for k, v in headers.items()}


def mask_url(url: str) -> str:
    """A URL with its password (and any token in the user part) replaced by ``***``, and
    the value of each secret query parameter (``key``, ``token``, ``api_key``,
    ``password`` ...) too."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None and parts.username is None:
        return _mask_query(url) if "?" in url else url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
        raw = parts.netloc.rsplit("@", 1)[-1]
        if ":" in raw and not raw.endswith("]"):
            host += ":" + raw.rsplit(":", 1)[1]
    if port:
        host += f":{port}"
    user = parts.username or ""
    cred = f"{user}:***" if parts.password is not None else "***"
    return _mask_query(urlunsplit((parts.scheme, f"{cred}@{host}", parts.path, parts.query,
                                   parts.fragment)))


_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"]+")


def mask_urls(text: str) -> str:
    """``text`` with the credentials and secret query parameters of every URL in it
    masked (a command line, a message): ``--db postgresql+psycopg://user:***@host/db``."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)


def shown_db(db: str) -> str:
    """A ``--db`` value as it may be printed: a path as is, a URL without its password."""
    return mask_url(db) if "://" in db else db


def url_secrets(url: str) -> list[str]:
    """The credentials inside a URL (as written and percent-decoded), for scrubbing."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    out = [url]
    for v in (parts.password, parts.username if parts.password else None):
        if v:
            out += [v, unquote(v)]
    return out


def mask_ip(ip: str) -> str:
    """Keep the network, drop the host: IPv4 /24 (``203.0.113.x``), IPv6 /48."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return "<invalid>"
    if addr.version == 4:
        return ".".join(ip.split(".")[:3]) + ".x"
    net = ipaddress.ip_network(f"{addr}/48", strict=False)
    return str(net)


class HashKeyError(HarnessError):
    """The phone-hash key cannot be read or created; hashing without it is never done."""


_KEY_LOCK = threading.Lock()
_KEY_CACHE: dict[str, bytes] = {}


def hash_key_path() -> Path:
    return Path(os.environ.get("HARNESS_HASH_KEY_FILE")
                or Path.home() / ".config" / "rnr-harness" / "hash.key")


def hash_key() -> bytes:
    """The key of every keyed hash: ``HARNESS_HASH_KEY``, else the local key file.

    The file is created on first use, atomically, whoever gets there first: the key is
    written to a private temporary file that is then hard-linked to its final name, which
    fails if another thread or process linked its own first; the loser reads the winner's
    key. A key that cannot be read or created is an error (``HashKeyError``), never a
    silent constant: a constant key would make every stored phone hash guessable.
    """
    env = os.environ.get("HARNESS_HASH_KEY")
    if env:
        return env.encode()
    path = hash_key_path()
    with _KEY_LOCK:
        cached = _KEY_CACHE.get(str(path))
        if cached is not None:
            return cached
        key = _read_or_create_key(path)
        _KEY_CACHE[str(path)] = key
        return key


def _read_or_create_key(path: Path) -> bytes:
    def fail(what: str, exc: OSError | None = None) -> HashKeyError:
        why = f" ({exc.strerror})" if exc is not None and exc.strerror else ""
        return HashKeyError(
            f"the phone-hash key {path} {what}{why}. Set HARNESS_HASH_KEY, or point "
            "HARNESS_HASH_KEY_FILE at a file in a writable folder (it is created on first "
            "use and must be kept: hashes made with another key do not match)")

    for _ in range(3):
        try:
            key = path.read_bytes().strip()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise fail("cannot be read", exc) from None
        else:
            if not key:
                raise fail("is empty")
            return key
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".hash.key.")
        except OSError as exc:
            raise fail("cannot be created", exc) from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_stdlib_secrets.token_hex(32).encode())
            os.link(tmp, path)
        except FileExistsError:
            pass  # another thread or process created it first: read theirs
        except OSError as exc:
            raise fail("cannot be created", exc) from None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    raise fail("could not be read after it was created")


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of ``value`` under the local hash key, hex, 32 characters."""
    return hmac.new(hash_key(), value.encode(), hashlib.sha256).hexdigest()[:32]


#: ``user:password@`` in a URL (not one already masked as ``user:***@``).
_URL_CREDENTIALS = (re.compile(r"(?<=://)[^/@\s:]+:(?!\*\*\*@)[^/@\s]+@"), "***:***@")
_SCRUBBERS: list[tuple[re.Pattern[str], str]] = [
    _URL_CREDENTIALS,
    (re.compile(r"\+\d[\d \-]{6,}\d"), "+<phone>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), "<ip>"),
]


_MASK = "*•●xX×＊"
_SEP = r"[\s\-\u00a0().]?"


def _digits_pattern(digits: str) -> str:
    """The digits in order, with an optional separator between any two (the app may have
    formatted the number: ``+49 151 1234 5678``, ``(0151) 1234-5678``)."""
    return _SEP.join(re.escape(d) for d in digits)


_MASK_RUN = re.compile(f"[{re.escape(_MASK)}]{{2}}")


def _unattached(digits: str) -> str:
    """``digits`` after a ``+`` not preceded by a digit, or not preceded by a digit other
    than a trunk or international prefix's ``0`` / ``00`` (``0151...``, ``0049151...``:
    the number is masked, the zeros before it stay). The checks come after the first
    character, so the pattern starts with a literal and the regex engine skips ahead to
    the places where that character occurs instead of trying every position."""
    first, rest = re.escape(digits[0]), _SEP + _digits_pattern(digits[1:])
    return (rf"\+(?<!\d\+){first}{rest}|{first}(?<![1-9]{first})(?<![1-9]0{first})"
            rf"(?<!\d00{first}){rest}")


class SecretScrubber:
    """Removes exactly one attempt's secrets from evidence, and nothing else.

    The attempt's own phone number in every form a screen can show it: E.164, national
    (with or without the trunk prefix), spaced or punctuated, and masked by the app
    (``+44 77** ***123``, ``151****78``); the SMS code once it is known; the account
    password; proxy credentials. Every other number on the screen (an app's service
    number, a short code to text, a hotline) stays, so that saved screens classify again
    exactly as they did live.
    """

    def __init__(self, phones: list[tuple[str, str]] | None = None,
                 values: list[str] | None = None) -> None:
        #: each pattern with its gate: None (always scan), a literal the text must
        #: contain, or a pattern the text must contain for the full one to have a chance
        self._patterns: list[tuple[str | re.Pattern[str] | None, re.Pattern[str]]] = []
        self._values: list[str] = []
        for e164, national in phones or []:
            self.add_phone(e164, national)
        for v in values or []:
            self.add(v)

    def add_phone(self, e164: str, national: str) -> None:
        digits = re.sub(r"\D", "", e164)
        nat = re.sub(r"\D", "", national)
        try:
            parsed = phonenumbers.parse(e164, None)
            cc, nsn = str(parsed.country_code), str(parsed.national_number)
            # as dialled at home: a trunk prefix other than 0 (Russia's 8...) is a form
            # of its own; a 0 before the number is allowed by every form (_unattached)
            home = re.sub(r"\D", "", phonenumbers.format_number(
                parsed, phonenumbers.PhoneNumberFormat.NATIONAL)).removeprefix("0")
        except phonenumbers.NumberParseException:
            cc, nsn, home = "", nat.lstrip("0"), nat.lstrip("0")
        forms = sorted({d for d in (digits, nat, nsn, home) if len(d) >= 5}, key=len,
                       reverse=True)
        self._patterns.append(
            (None, re.compile(rf"(?:{'|'.join(map(_unattached, forms))})(?!\d)")))
        if len(nsn) >= 6:
            # masked by the app: some leading digits, two or more mask characters, some
            # trailing digits, optionally after the calling code or the trunk prefix
            mask = f"[{re.escape(_MASK)}]"
            heads = "|".join(_digits_pattern(nsn[:k]) for k in range(min(5, len(nsn) - 2), 0,
                                                                     -1))
            tails = "|".join(_digits_pattern(nsn[-k:]) for k in range(4, 0, -1))
            lead = rf"(?:\+?{_digits_pattern(cc)}[\s\-\u00a0]?|0)?" if cc else "0?"
            self._patterns.append((_MASK_RUN, re.compile(
                rf"(?<![\d{re.escape(_MASK)}]){lead}(?:{heads})?[\s\-\u00a0]?{mask}{{2,}}"
                rf"(?:[\s\-\u00a0]?{mask}+)*[\s\-\u00a0]?(?:{tails})(?![\d{re.escape(_MASK)}])")))

    def add(self, value: str | None) -> None:
        """Another secret of the attempt (the SMS code, a password)."""
        if not value or len(value) < 4 or value in self._values:
            return
        _LOG.add(value, recent=True)  # and from the logs of the attempt
        self._values.append(value)
        self._patterns.append((value, re.compile(
            rf"(?<!\d){re.escape(value)}(?!\d)" if value.isdigit() else re.escape(value))))

    def _armed(self, text: str) -> list[re.Pattern[str]]:
        """The patterns that can match ``text``: a secret's literal value must be in it,
        a masked number needs a run of two mask characters (cheap tests that spare a
        full scan of every page source for every pattern)."""
        return [pattern for gate, pattern in self._patterns
                if gate is None or (gate in text if isinstance(gate, str)
                                    else gate.search(text) is not None)]

    def __call__(self, text: str) -> str:
        for pattern in self._armed(text):
            text = pattern.sub("***", text)
        pattern, replacement = _URL_CREDENTIALS
        return pattern.sub(replacement, text)

    def shows_secret(self, text: str) -> bool:
        return any(p.search(text) for p in self._armed(text))


def scrub(text: str, extra: list[str] | None = None) -> str:
    """Remove credentials, phone numbers, IP addresses and given secrets from a message."""
    for secret in extra or []:
        if not secret:
            continue
        digits = secret.lstrip("+")
        if digits.isdigit() and len(digits) >= 4:
            text = re.sub(r"(?<!\d)\+?" + _digits_pattern(digits) + r"(?!\d)", "***", text)
        else:
            text = text.replace(secret, "***")
    for pattern, repl in _SCRUBBERS:
        text = pattern.sub(repl, text)
    return text


# --------------------------------------------------------------------------- logs


class _LogSecrets:
    """What every log record and every printed traceback is cleaned of: the values
    registered (passwords, keys, tokens, proxy and database credentials), the phone
    numbers of the profiles in use in every form, the codes of recent attempts, and
    the credentials and secret parameters of any URL."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: set[str] = set()
        #: per-attempt secrets (SMS codes, account passwords): the latest few hundred
        self.recent: deque[str] = deque(maxlen=256)
        self.phones = SecretScrubber()
        self.phone_keys: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._dirty = False

    def add(self, value: str | None, recent: bool = False) -> None:
        if not value or len(value) < 4:
            return
        with self.lock:
            if value in self.values or value in self.recent:
                return
            (self.recent.append if recent else self.values.add)(value)
            self._dirty = True

    def add_phone(self, e164: str, national: str) -> None:
        with self.lock:
            if e164 not in self.phone_keys:
                self.phone_keys.add(e164)
                self.phones.add_phone(e164, national)

    def pattern(self) -> re.Pattern[str] | None:
        """One alternation of every value, longest first (rebuilt when values change)."""
        with self.lock:
            if self._dirty:
                alternatives = []
                for value in sorted({*self.values, *self.recent}, key=len, reverse=True):
                    digits = value.lstrip("+")
                    alternatives.append(rf"(?<!\d)\+?{_digits_pattern(digits)}(?!\d)"
                                        if digits.isdigit() else re.escape(value))
                self._pattern = re.compile("|".join(alternatives)) if alternatives else None
                self._dirty = False
            return self._pattern

    def clean(self, text: str) -> str:
        if not text:
            return text
        text = mask_urls(text)
        pattern = self.pattern()
        if pattern is not None:
            text = pattern.sub("***", text)
        text = self.phones(text)
        for regex, replacement in _SCRUBBERS[:2]:  # URL credentials, a foreign number
            text = regex.sub(replacement, text)
        return _IPV4.sub(_public_ip, text)


_IPV4 = _SCRUBBERS[2][0]


def _public_ip(m: re.Match[str]) -> str:
    """A public IPv4 address (an egress IP: personal data) as ``<ip>``; a loopback or
    private one (the simulator, a farm's nodes) stays, for whoever reads the log."""
    try:
        addr = ipaddress.ip_address(m.group(0))
    except ValueError:
        return m.group(0)
    return m.group(0) if addr.is_private or addr.is_loopback else "<ip>"


_LOG = _LogSecrets()
_INSTALL_LOCK = threading.Lock()
_INSTALLED: set[str] = set()


def register_secret(*values: str | None) -> None:
    """Scrub these values from every log record and printed traceback from now on,
    whoever logs them.

    Libraries log what they send (httpcore's debug trace includes SOCKS credentials);
    a log-record factory replaces each registered value before any handler sees it.
    """
    for v in values:
        _LOG.add(v)
    install_log_scrubbing()


def register_phone(e164: str, national: str) -> None:
    """Scrub this phone number from every log record in every form a screen or a person
    writes it (``+49 151 ...``, ``0151 ...``, ``0049151...``, masked by an app)."""
    _LOG.add_phone(e164, national)
    install_log_scrubbing()


def scrub_log_text(text: str) -> str:
    """``text`` (a message, a traceback, a failure report) cleaned as log records are."""
    return _LOG.clean(text)


def install_log_scrubbing(tracebacks: bool = False) -> None:
    """Clean every log record (its message, its traceback, its stack), once per process;
    with ``tracebacks``, every traceback printed for an uncaught exception too (main
    thread or not: what a command line wants; a test runner keeps its own hooks).

    The record factory runs when a record is made, before any handler or formatter,
    so it covers the handlers of the CLI, of pytest's logging plugin and of any library.
    """
    with _INSTALL_LOCK:
        todo = [k for k in ("records", "tracebacks" if tracebacks else "")
                if k and k not in _INSTALLED]
        _INSTALLED.update(todo)
    if "records" in todo:
        logging.setLogRecordFactory(_record_factory(logging.getLogRecordFactory()))
    if "tracebacks" in todo:
        sys.excepthook = _excepthook
        threading.excepthook = _thread_excepthook


def _record_factory(previous: Callable[..., logging.LogRecord]
                    ) -> Callable[..., logging.LogRecord]:
    formatter = logging.Formatter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:
            return record
        clean = _LOG.clean(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _LOG.clean(formatter.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = _LOG.clean(record.stack_info)
        return record

    return factory


def _excepthook(kind: type[BaseException], exc: BaseException,
                tb: TracebackType | None) -> None:
    sys.stderr.write(_LOG.clean("".join(traceback.format_exception(kind, exc, tb))))


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    sys.stderr.write(f"Exception in thread {name}:\n" + _LOG.clean("".join(
        traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))))
