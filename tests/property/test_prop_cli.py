"""The ``harness`` command with any arguments: a documented exit status (0 done, 1 some
attempts or checks failed, 2 bad input), a one-paragraph error, never a traceback, never
a hang.

Each example runs ``main(argv)`` in this process, in an empty working folder (so no
scenario or profile of the project is found unless an argument names one), with every
network endpoint pointed at a closed port on 127.0.0.1, and a timer that fails an example
that takes longer than ``BOUND`` seconds.
"""

from __future__ import annotations

import argparse
import signal
import socket
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from types import FrameType

import pytest
from _parsing import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.cli.main import build_parser, main

#: Seconds one command may take before the example counts as a hang.
BOUND = 20.0
#: Commands that serve until stopped (their interruption is tested elsewhere).
SERVING = {("sim",)}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CLOSED = f"http://127.0.0.1:{_closed_port()}"
#: Appended last (argparse keeps the last value, and checks every one given): no command
#: reaches the internet, and none waits on pacing or retries.
OFFLINE = {"--appium-url": CLOSED, "--apple-url": CLOSED, "--play-url": CLOSED,
           "--ip-echo-url": CLOSED, "--hub": CLOSED, "--apple-rate": "0", "--play-rate": "0",
           "--max-attempts": "1", "--backoff": "0", "--timeout": "2"}
#: Given first, so that a generated value replaces them: a store sweep of one app in one
#: country unless the example asks for more.
NARROW = {("stores", "check"): ["--country", "DE", "--app", "wechat"],
          ("stores", "verify"): ["--country", "DE", "--app", "wechat"]}


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
              ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*prefix, name))
            return
    yield prefix, parser


COMMANDS = {path: p for path, p in _commands(build_parser()) if path not in SERVING}


def _value() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=12),
        st.sampled_from(["0", "-1", "1", "2.5", "nan", "inf", "-inf", "1e308", "", " ", "all",
                         "DE", "DE,FR", "de", "Germny", "europe", "latest", "2024-01",
                         "2024-13-45", "csv", "all", "x=y", "month=Date", "sim", "appium",
                         "--", "-", "results.db", "sqlite:///nowhere/x.db", "nope://x",
                         "postgresql+psycopg://u:secret-pw@127.0.0.1:1/db", CLOSED,
                         "scenarios", "device_profiles", "missing.yaml", ".", "~nobody-here/x.db",
                         "~/x"]))


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    """A command and arguments for it: its own options with any values, stray words."""
    path = draw(st.sampled_from(sorted(COMMANDS)))
    parser = COMMANDS[path]
    options = [a for a in parser._actions if a.option_strings and a.dest != "help"]
    argv = [*path, *NARROW.get(path, [])]
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["option", "option", "option", "word"]))
        if kind == "word" or not options:
            argv.append(draw(_value()))
            continue
        action = draw(st.sampled_from(options))
        argv.append(draw(st.sampled_from(action.option_strings)))
        if action.nargs != 0:
            choices = [str(c) for c in action.choices or ()]
            argv.append(draw(st.sampled_from(choices) if choices and draw(st.booleans())
                             else _value()))
    for option, url in OFFLINE.items():
        if any(option in a.option_strings for a in options):
            argv += [option, url]
    return argv


class Hung(Exception):
    """The command ran past ``BOUND``."""


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise Hung(f"the command ran for more than {BOUND:g} s")


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HARNESS_DB", str(tmp_path / "results.db"))
    for name in ("HARNESS_APPIUM_URL", "HARNESS_IP_ECHO_URL", "HARNESS_GRID_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HARNESS_PHONE_DE", "+4915123456789")
    previous = signal.signal(signal.SIGALRM, _alarm)
    yield tmp_path
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    signal.setitimer(signal.ITIMER_REAL, BOUND)
    try:
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse: --help, --version, a usage error
            status = exc.code if isinstance(exc.code, int) else 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    out, err = capsys.readouterr()
    return status, out, err


def check(argv: list[str], status: int, out: str, err: str) -> None:
    shown = " ".join(argv)
    assert status in (0, 1, 2), (shown, status, err)
    assert "Traceback" not in err and "Traceback" not in out, (shown, err)
    if any(a == "--db" and "secret-pw" in b for a, b in pairwise(argv)):
        assert "secret-pw" not in err + out, shown  # a database password is never shown
    if status == 2:
        assert "error:" in err or "usage:" in err + out, (shown, err)


@settings(max_examples=150, deadline=None)  # the timer bounds each example instead
@given(argv=argvs())
def test_any_arguments_exit_with_a_documented_status(offline: Path, argv: list[str],
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    check(argv, *run(argv, capsys))


#: Commands that read files the project has, given those files and any other arguments.
READERS = [["scenarios", "check", str(REPO / "scenarios")],
           ["profiles", "check", str(REPO / "device_profiles")],
           ["classify", str(REPO / "tests" / "corpus" / "screens")],
           ["trends", "import", str(REPO / "tests" / "fixtures" / "trends" / "sicily.csv")],
           ["trends", "fit", "--data", str(REPO / "tests" / "fixtures" / "trends" /
                                           "sicily.csv")]]


@settings(max_examples=60, deadline=None)
@given(base=st.sampled_from(READERS), extra=st.lists(_value(), max_size=4))
def test_the_readers_with_real_files_and_any_extra_arguments(
        offline: Path, base: list[str], extra: list[str],
        capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*base, *extra]
    check(argv, *run(argv, capsys))
