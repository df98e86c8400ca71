"""Secrets (masking, scrubbing, ${ENV} references, keyed hashes) and scenario templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.spec.templates import (
    SECRET_VARIABLES,
    VARIABLES,
    is_secret,
    render,
    unknown_variables,
    variables_in,
)
from harness.support.secrets import (
    MissingEnv,
    Secret,
    SecretScrubber,
    env_names,
    expand_env,
    has_env_ref,
    keyed_hash,
    mask_ip,
    mask_phone,
    mask_url,
    scrub,
)

DE_NUMBER = "+4915223456789"


@pytest.fixture(autouse=True)
def _hash_key(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
              ) -> None:
    monkeypatch.setenv("HARNESS_HASH_KEY", "unit-test-key")
    monkeypatch.setenv("HARNESS_HASH_KEY_FILE", str(tmp_path_factory.mktemp("k") / "hash.key"))


# --------------------------------------------------------------------------- mask_phone


@pytest.mark.parametrize(("number", "masked"), [
    (DE_NUMBER, "+49*********89"),
    ("+12015550123", "+1********23"),
    ("+886912345678", "+886*******78"),
    ("+85291234567", "+852******67"),
])
def test_mask_phone_keeps_calling_code_and_last_two(number: str, masked: str) -> None:
    assert mask_phone(number) == masked
    # same length as the number: the shape is visible, the digits are not
    assert len(mask_phone(number)) == len(number)


def test_mask_phone_of_short_value_hides_all_digits_after_code() -> None:
    out = mask_phone("+491234")
    assert out.startswith("+49")
    assert not re.search(r"\d", out[3:])


# --------------------------------------------------------------------------- mask_url


@pytest.mark.parametrize(("url", "masked"), [
    ("http://alice:hunter2@proxy.example.net:3128", "http://alice:***@proxy.example.net:3128"),
    ("https://alice:hunter2@proxy.example.net/p?q=1", "https://alice:***@proxy.example.net/p?q=1"),
    ("socks5://alice:hunter2@10.0.0.1:1080", "socks5://alice:***@10.0.0.1:1080"),
    ("socks5h://alice:hunter2@[2001:db8::1]:1080", "socks5h://alice:***@[2001:db8::1]:1080"),
    ("http://tokenonly@proxy.example.net:8080", "http://***@proxy.example.net:8080"),
])
def test_mask_url_hides_credentials(url: str, masked: str) -> None:
    out = mask_url(url)
    assert out == masked
    assert "hunter2" not in out
    assert "tokenonly" not in out


@pytest.mark.parametrize("url", [
    "http://proxy.example.net:3128",
    "socks5://10.0.0.1:1080",
    "http://127.0.0.1:4723/wd/hub",
    "${HARNESS_PROXY_DE:-}",
])
def test_mask_url_leaves_credential_free_urls_alone(url: str) -> None:
    assert mask_url(url) == url


def test_mask_url_unparseable() -> None:
    assert mask_url("http://[::1") == "<unparseable URL>"


@pytest.mark.parametrize("url", ["http://u:p@h:99999", "http://u:p@h:abc"])
def test_mask_url_with_bad_port_does_not_raise(url: str) -> None:
    assert "p@" not in mask_url(url)


# --------------------------------------------------------------------------- mask_ip


def test_mask_ip() -> None:
    assert mask_ip("203.0.113.77") == "203.0.113.x"
    assert mask_ip("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
    assert mask_ip("not-an-ip") == "<invalid>"
    assert mask_ip("") == "<invalid>"


# --------------------------------------------------------------------------- scrub


@pytest.mark.parametrize("shown", [
    "+4915223456789",
    "+49 152 23456789",
    "+49-152-2345-6789",
    "49 152 234 567 89",
    "+49\u00a0152\u00a023456789",
    "4915223456789",
])
def test_scrub_removes_a_given_number_however_formatted(shown: str) -> None:
    out = scrub(f"Code sent to {shown}.", [DE_NUMBER])
    assert out == "Code sent to ***."
    assert "23456789" not in out


def test_scrub_does_not_eat_longer_digit_runs() -> None:
    # the secret's digits inside a longer number are not the secret
    assert scrub("id 149152234567891", [DE_NUMBER]) == "id 149152234567891"


def test_scrub_non_numeric_secret_and_empty_secret() -> None:
    assert scrub("token=abcd1234xyz ok", ["abcd1234xyz", ""]) == "token=*** ok"


def test_scrub_generic_credentials_phones_and_ips() -> None:
    out = scrub("proxy socks5://bob:s3cret@198.51.100.4:1080 failed for +33 6 12 34 56 78")
    assert "s3cret" not in out
    assert "bob" not in out
    assert "198.51.100.4" not in out
    assert "12 34 56 78" not in out
    assert "+<phone>" in out
    assert "***:***@" in out


# --------------------------------------------------------------------------- ${ENV}


def test_expand_env() -> None:
    env = {"A": "1", "EMPTY": ""}
    assert expand_env("x${A}y", env) == "x1y"
    assert expand_env("${NOPE:-dflt}", env) == "dflt"
    assert expand_env("${EMPTY:-dflt}", env) == "dflt"
    assert expand_env("${NOPE:-}", env) == ""
    assert expand_env("no refs $A {A}", env) == "no refs $A {A}"
    assert expand_env("${A}${A:-z}", env) == "11"


def test_expand_env_missing_names_the_variable() -> None:
    with pytest.raises(MissingEnv) as info:
        expand_env("http://u:${HARNESS_PASS}@h:1", {})
    assert info.value.var == "HARNESS_PASS"
    # set but empty, without a default, is missing too
    with pytest.raises(MissingEnv):
        expand_env("${E}", {"E": ""})


def test_expand_env_defaults_to_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_UNIT_X", "from-env")
    assert expand_env("${HARNESS_UNIT_X}") == "from-env"


def test_env_names_and_has_env_ref() -> None:
    assert env_names("${A} and ${B_2:-x} and $C and ${1BAD}") == ["A", "B_2"]
    assert has_env_ref("${A}")
    assert not has_env_ref("$A")
    assert not has_env_ref("+4915223456789")


# --------------------------------------------------------------------------- Secret


def test_secret_never_shows_its_value() -> None:
    s = Secret(DE_NUMBER, mask_phone(DE_NUMBER))
    shown_forms = (repr(s), str(s), f"{s}", format(s), f"{s!r}", repr([s]), repr({"k": s}),
                   "%s" % (s,))  # noqa: UP031  (logging still formats with %)
    for shown in shown_forms:
        assert DE_NUMBER not in shown
        assert "23456789" not in shown
    assert str(s) == "+49*********89"
    assert repr(s) == "Secret('+49*********89')"
    assert s.masked == "+49*********89"
    assert s.reveal() == DE_NUMBER
    assert str(Secret("x")) == "***"


def test_secret_equality_and_hash() -> None:
    a = Secret("abc", "m1")
    b = Secret("abc", "m2")
    assert a == b
    assert hash(a) == hash(b)
    assert a != Secret("abd")
    assert a != "abc"  # never equal to the clear string
    assert len({a, b}) == 1


def test_secret_equality_with_non_ascii_value() -> None:
    assert Secret("pässwort") == Secret("pässwort")


# --------------------------------------------------------------------------- keyed_hash


def test_keyed_hash_is_stable_per_key_and_differs_between_keys(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_HASH_KEY", "key-one")
    h1 = keyed_hash(DE_NUMBER)
    assert h1 == keyed_hash(DE_NUMBER)
    assert re.fullmatch(r"[0-9a-f]{32}", h1)
    assert keyed_hash("+4915223456788") != h1
    monkeypatch.setenv("HARNESS_HASH_KEY", "key-two")
    h2 = keyed_hash(DE_NUMBER)
    assert h2 != h1
    monkeypatch.setenv("HARNESS_HASH_KEY", "key-one")
    assert keyed_hash(DE_NUMBER) == h1
    assert DE_NUMBER.lstrip("+") not in h1


def test_keyed_hash_key_file_is_created_once_and_reused(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key_file = tmp_path / "sub" / "hash.key"
    monkeypatch.delenv("HARNESS_HASH_KEY")
    monkeypatch.setenv("HARNESS_HASH_KEY_FILE", str(key_file))
    h1 = keyed_hash("x")
    assert key_file.exists()
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert keyed_hash("x") == h1
    monkeypatch.setenv("HARNESS_HASH_KEY", key_file.read_text().strip())
    assert keyed_hash("x") == h1


def test_key_file_is_created_once_when_threads_and_processes_race(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A fresh machine: many workers ask for the key at once; one key wins, all use it."""
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from harness.support import secrets as sec

    key_file = tmp_path / "fresh" / "hash.key"
    monkeypatch.delenv("HARNESS_HASH_KEY")
    monkeypatch.setenv("HARNESS_HASH_KEY_FILE", str(key_file))
    code = ("import sys; from harness.support.secrets import keyed_hash; "
            "sys.stdout.write(keyed_hash('x'))")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                              text=True) for _ in range(4)]

    def fresh_hash(_: int) -> str:
        with sec._KEY_LOCK:
            sec._KEY_CACHE.clear()
        return keyed_hash("x")

    with ThreadPoolExecutor(8) as pool:
        thread_hashes = set(pool.map(fresh_hash, range(32)))
    proc_hashes = {p.communicate(timeout=60)[0] for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(thread_hashes | proc_hashes) == 1
    assert [p.name for p in key_file.parent.iterdir()] == ["hash.key"]  # no temp files left


@pytest.mark.parametrize("breakage", ["empty", "directory", "parent_is_a_file"])
def test_a_key_that_cannot_be_read_or_made_is_an_error_never_a_constant(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, breakage: str) -> None:
    from harness.support.secrets import HashKeyError

    monkeypatch.delenv("HARNESS_HASH_KEY")
    key_file = tmp_path / "k" / "hash.key"
    key_file.parent.mkdir()
    if breakage == "empty":
        key_file.write_text("")
    elif breakage == "directory":
        key_file.mkdir()
    else:  # the folder cannot be made, even by root
        (tmp_path / "k" / "file").write_text("x")
        key_file = tmp_path / "k" / "file" / "hash.key"
    monkeypatch.setenv("HARNESS_HASH_KEY_FILE", str(key_file))
    with pytest.raises(HashKeyError) as info:
        keyed_hash("x")
    assert str(key_file) in str(info.value) and "HARNESS_HASH_KEY" in str(info.value)


# --------------------------------------------------------------------------- templates


def test_render_substitutes_and_unescapes() -> None:
    values = {"phone.calling_code": "49", "otp": "123456", "country": "DE"}
    assert render("+{phone.calling_code}", values) == "+49"
    assert render("{ otp }", values) == "123456"
    assert render("{{literal}}", values) == "{literal}"
    assert render("{{{country}}}", values) == "{DE}"
    assert render("no variables", values) == "no variables"


def test_render_unknown_value_raises_key_error() -> None:
    with pytest.raises(KeyError) as info:
        render("{country}", {})
    assert info.value.args == ("country",)


def test_unknown_variables() -> None:
    assert unknown_variables("{phone.nationl} {country} {{escaped}}") == ["phone.nationl"]
    assert unknown_variables("{ phone.national }") == []
    assert unknown_variables("plain") == []
    assert variables_in("{{a}} {b} {c}") == ["b", "c"]


def test_is_secret() -> None:
    assert is_secret("{phone.e164}")
    assert is_secret("code: { otp }")
    assert is_secret("{phone.national}")
    assert not is_secret("{phone.calling_code}")
    assert not is_secret("{{otp}}")
    assert not is_secret("otp")


def test_every_variable_is_documented_and_secrets_are_variables() -> None:
    assert all(doc.strip() for doc in VARIABLES.values())
    assert set(SECRET_VARIABLES) <= set(VARIABLES)
    for name in SECRET_VARIABLES:
        assert "secret" in VARIABLES[name]


def test_database_urls_are_masked_wherever_they_are_shown() -> None:
    from harness.support.secrets import mask_urls, shown_db

    url = "postgresql+psycopg://alice:S3cretPW99@db.example.net:5432/harness"
    assert shown_db(url) == "postgresql+psycopg://alice:***@db.example.net:5432/harness"
    assert shown_db("results.db") == "results.db"
    line = f"harness run scenarios/ --db {url} --proxy 'socks5://u:pw-xyz-1@p:1080'"
    masked = mask_urls(line)
    assert "S3cretPW99" not in masked and "pw-xyz-1" not in masked
    assert "--db postgresql+psycopg://alice:***@db.example.net:5432/harness" in masked


def test_a_run_stores_its_command_without_passwords(tmp_path: Path) -> None:
    from harness.storage import Store
    from harness.storage.models import Run

    store = Store.open(str(tmp_path / "r.db"))
    try:
        rid = store.start_run("sim", "x", command="harness run --db "
                              "postgresql+psycopg://alice:S3cretPW99@db/h scenarios/")
        with store.session() as s:
            run = s.get(Run, rid)
            assert run is not None and run.command is not None
            assert "S3cretPW99" not in run.command and "alice:***@db/h" in run.command
    finally:
        store.close()


def _reference_number_pattern(forms: list[str]) -> re.Pattern[str]:
    """The plain statement of "one of these numbers, however punctuated, not inside a
    longer digit run (a trunk or international prefix's 0 or 00 before it aside)": what
    the scrubber's faster pattern must match, exactly."""
    sep = r"[\s\-\u00a0().]?"
    full = "|".join(sep.join(re.escape(c) for c in d) for d in forms)
    return re.compile(rf"(?:(?<!\d)\+|(?<![1-9])(?<![1-9]0)(?<!\d00))(?:{full})(?!\d)")


def test_the_scrubbers_number_pattern_matches_exactly_what_the_plain_one_does() -> None:
    import random

    rng = random.Random(20261202)
    scrubber = SecretScrubber([("+4915123456789", "015123456789")])
    reference = _reference_number_pattern(["4915123456789", "015123456789", "15123456789"])
    alphabet = [*"0123456789+ -().\u00a0ab", "4915123456789", "015123456789",
                "151 2345 6789", "+49 151", "1512345", "0049 151"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        expected = reference.sub("***", text)
        if "*" * 2 in expected.replace("***", ""):
            continue  # the masked-number pattern has its own say there
        assert scrubber(text) == expected, text


def test_a_masked_number_is_found_only_where_mask_characters_run() -> None:
    scrubber = SecretScrubber([("+447700900123", "07700900123")])
    assert scrubber("code sent to +44 77** ***123 now") == "code sent to *** now"
    assert scrubber('<node text="index x 123" bounds="[0,0][1080,123]"/>') == \
        '<node text="index x 123" bounds="[0,0][1080,123]"/>'
    assert scrubber.shows_secret("sent to 07700 900123")
    assert not scrubber.shows_secret("sent to 07700 900124")
