"""Masking of URLs, headers and log output: secret query parameters and headers, log
records (their messages, tracebacks and stacks), uncaught tracebacks, the stored command
line."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.support.secrets import (
    SecretScrubber,
    install_log_scrubbing,
    is_secret_name,
    mask_headers,
    mask_url,
    mask_urls,
    register_phone,
    register_secret,
    scrub_log_text,
    shown_db,
)


@pytest.mark.parametrize(("url", "masked"), [
    ("https://sms.example.net/api/latest?number=%2B4915112345678&key=k-123",
     "https://sms.example.net/api/latest?number=***&key=***"),
    ("postgresql+psycopg://db.example.net/h?password=pw-1&sslmode=require",
     "postgresql+psycopg://db.example.net/h?password=***&sslmode=require"),
    ("postgresql+psycopg://alice:pw-1@db/h?sslpassword=x2",
     "postgresql+psycopg://alice:***@db/h?sslpassword=***"),
    ("https://hooks.example.net/in?access_token=t1;api_key=t2&page=2#top",
     "https://hooks.example.net/in?access_token=***;api_key=***&page=2#top"),
    ("https://s3.example.net/b/k?X-Amz-Signature=abc&X-Amz-Credential=def&x-id=GetObject",
     "https://s3.example.net/b/k?X-Amz-Signature=***&X-Amz-Credential=***&x-id=GetObject"),
    ("http://127.0.0.1:4723/wd/hub?keep=1", "http://127.0.0.1:4723/wd/hub?keep=1"),
])
def test_secret_query_parameters_are_masked(url: str, masked: str) -> None:
    assert mask_url(url) == masked
    assert shown_db(url) == masked if "://" in url else True


def test_secret_names_and_headers() -> None:
    for name in ("key", "api_key", "apiKey", "X-Api-Key", "Authorization", "token",
                 "access_token", "password", "client_secret", "sig", "Cookie", "auth"):
        assert is_secret_name(name), name
    for name in ("page", "sslmode", "q", "format", "Accept", "Content-Type", "x-id"):
        assert not is_secret_name(name), name
    assert mask_headers({"Authorization": "Bearer t-1", "X-Api-Key": "k", "Accept": "json"}
                        ) == {"Authorization": "***", "X-Api-Key": "***", "Accept": "json"}


def test_a_command_line_is_masked_whatever_the_option_form() -> None:
    line = ("harness run --db=postgresql+psycopg://u:pw-db-1@h/d --ip-echo-url "
            "'https://echo.example.net/json?token=tok-2' scenarios/")
    masked = mask_urls(line)
    assert "pw-db-1" not in masked and "tok-2" not in masked
    assert "--db=postgresql+psycopg://u:***@h/d" in masked and "token=***'" in masked
    assert mask_urls("no URL here") == "no URL here"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """What a logging handler writes (with the standard formatter, tracebacks included)."""
    install_log_scrubbing()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("harness.test_masking")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.removeHandler(handler)


def test_log_records_lose_secrets_in_messages_and_tracebacks(captured: io.StringIO) -> None:
    log = logging.getLogger("harness.test_masking")
    register_secret("reg-secret-77", "12345678")
    register_phone("+4915199887766", "15199887766")
    log.info("GET https://sms.example.net/a?key=q-key-1 with %s", "reg-secret-77")
    log.warning("typed 0151 99887766, abroad 0049 151 99887766, pin 12345678, id 712345678")
    try:
        raise RuntimeError("could not connect to socks5://bob:bob-pw-3@10.0.0.1:1080 "
                           "(token reg-secret-77)")
    except RuntimeError:
        log.exception("proxy failed")
    log.debug("where", stack_info=True)  # a stack is cleaned as a message is
    log.info("egress 193.99.144.80 via 127.0.0.1:8080 and node 10.1.2.3")
    text = captured.getvalue()
    for secret in ("q-key-1", "reg-secret-77", "99887766", "bob-pw-3", " 12345678"):
        assert secret not in text, (secret, text)
    assert "Traceback" in text and "RuntimeError" in text and "bob:***@" in text
    assert "key=***" in text and "id 712345678" in text  # a longer number is not the pin
    # a public address is personal data (the egress IP); loopback and private ones stay
    assert "egress <ip> via 127.0.0.1:8080 and node 10.1.2.3" in text


def test_an_attempts_codes_leave_the_logs_too(captured: io.StringIO) -> None:
    SecretScrubber().add("739184")
    logging.getLogger("harness.test_masking").debug('<EditText text="739184"/>')
    assert "739184" not in captured.getvalue()
    assert scrub_log_text("code 739184 and 7391845") == "code *** and 7391845"


def test_uncaught_tracebacks_are_cleaned_in_every_thread(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import threading
        from harness.support.secrets import install_log_scrubbing, register_secret

        install_log_scrubbing(tracebacks=True)
        register_secret("uncaught-pw-5")

        def worker():
            raise ValueError("in a thread: uncaught-pw-5")

        t = threading.Thread(target=worker, name="w1")
        t.start()
        t.join()
        raise RuntimeError("postgresql://u:uncaught-pw-6@h/db refused uncaught-pw-5")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path,
                          env={"PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert done.returncode == 1
    assert "uncaught-pw-5" not in done.stderr and "uncaught-pw-6" not in done.stderr
    assert "Exception in thread w1" in done.stderr and "ValueError: in a thread: ***" in \
        done.stderr
    assert "Traceback" in done.stderr and "postgresql://u:***@h/db refused ***" in done.stderr


def test_a_stored_command_keeps_no_secret_query_parameter(tmp_path: Path) -> None:
    from harness.storage import Store
    from harness.storage.models import Run

    store = Store.open(str(tmp_path / "r.db"))
    try:
        rid = store.start_run("sim", "x", command="harness run --ip-echo-url "
                              "https://echo.example.net/json?token=tok-9 scenarios/")
        with store.session() as s:
            run = s.get(Run, rid)
            assert run is not None and run.command is not None
            assert "tok-9" not in run.command and "json?token=***" in run.command
    finally:
        store.close()
