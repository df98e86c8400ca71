"""Scenario files: the shipped ones, every short form, and every error a person can make
(each at file:line, with the field path and a hint). Also the YAML reader underneath."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from harness.spec.scenarios import (
    DEFAULT_OTP_TIMEOUT,
    DEFAULT_TIMEOUT,
    Scenario,
    find_scenario_files,
    load_scenario,
    load_scenarios,
)
from harness.spec.selectors import Selector, SelectorKind
from harness.spec.steps import (
    DEFAULT_OTP_PATTERN,
    ChooseCallingCode,
    EnterOtp,
    Feature,
    Input,
    Launch,
    RequestOtp,
    Tap,
    Wait,
)
from harness.support.errors import ConfigError, ConfigErrors
from harness.support.yamlfile import dotted, load_yaml, validation_errors
from harness.vocabulary.outcomes import Stage

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"

HEADER = """\
id: demo-test
app:
  name: Test
  android_package: org.example.test
steps:
  - launch
"""
# HEADER's `- launch` is steps[0] at line 6; the next step is steps[1] at line 7.
#: Every scenario ends sign-up with a step of stage account (what shows the account exists).
ACCOUNT = "  - wait: Home\n    stage: account\n"


def write(tmp_path: Path, text: str, name: str = "s.yaml", account: bool = True) -> Path:
    """A scenario file; one with steps and no step of stage account gets ``ACCOUNT`` at
    the end (every scenario needs one) unless ``account`` is False."""
    if account and "\nsteps:\n" in text and "stage: account" not in text:
        text = text.rstrip("\n") + "\n" + ACCOUNT
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[ConfigError]:
    with pytest.raises(ConfigErrors) as info:
        load_scenario(path)
    return info.value.errors


def one_error(path: Path) -> ConfigError:
    errs = errors_of(path)
    assert len(errs) == 1, [str(e) for e in errs]
    return errs[0]


def step_error(tmp_path: Path, steps: str) -> ConfigError:
    return one_error(write(tmp_path, HEADER + steps))


# --------------------------------------------------------------------------- shipped files


def test_shipped_scenarios_load() -> None:
    files = find_scenario_files([SCENARIOS])
    scenarios = load_scenarios([SCENARIOS])
    assert len(scenarios) == len(files)
    assert len({s.id for s in scenarios}) == len(scenarios)
    for s in scenarios:
        assert any(isinstance(x, Launch) for x in s.steps), s.name
        if s.source.parent.name == "demo":
            # docs/scenarios.md and docs/simulator.md: simulator apps are marked demo and
            # live under org.harnessdemo.
            assert s.app.demo, s.name
            assert s.app.android_package.startswith("org.harnessdemo."), s.name


# --------------------------------------------------------------------------- a good scenario

GOOD = """\
id: demo-good
version: 3
verified: true
app:
  name: Good App
  android_package: org.example.good
  developer: Example Ltd
  apple_id: 123456
  bundle_id: org.example.good
  demo: true
defaults:
  timeout: 20
rules:
  - id: good.blocked
    barrier: region_blocked
    match: "not available in your region"
steps:
  - launch
  - tap: "同意"
    stage: signup
  - tap: ["登录", "Log in"]
    optional: true
    name: log in
  - choose_calling_code: {open: {id: country_code}, search: {accessibility_id: Search}}
  - input: {into: {xpath: "//android.widget.EditText[1]"}, text: "{phone.national}"}
  - request_code: {tap: {text: 获取验证码}}
  - enter_code: {into: {id: code_input}}
  - expect: {text_contains: 欢迎}
    stage: account
    timeout: 30
  - feature: post
    steps:
      - tap: {id: tv.danmaku.bili:id/compose}
      - wait: Posted
        timeout: 5
  - enter_otp: {into: {id: x}, timeout: 5, pattern: "code (\\\\d{6})"}
  - request_otp: "Resend"
    stage: phone
  - wait: {accessibility_id: Back}
"""


@pytest.fixture
def good(tmp_path: Path) -> Scenario:
    return load_scenario(write(tmp_path, GOOD))


def test_good_scenario_header(good: Scenario) -> None:
    assert (good.id, good.version, good.verified) == ("demo-good", 3, True)
    assert good.app.name == "Good App"
    assert good.app.android_package == "org.example.good"
    assert good.app.developer == "Example Ltd"
    assert good.app.apple_id == 123456
    assert good.app.demo
    assert [r.id for r in good.rules] == ["good.blocked"]
    assert good.name.endswith("s.yaml")


def test_good_scenario_step_types(good: Scenario) -> None:
    assert [type(s) for s in good.steps] == [
        Launch, Tap, Tap, ChooseCallingCode, Input, RequestOtp, EnterOtp, Wait, Feature,
        EnterOtp, RequestOtp, Wait]
    feature = good.steps[8]
    assert isinstance(feature, Feature)
    assert feature.feature == "post"
    assert [type(s) for s in feature.steps] == [Tap, Wait]
    assert len(good.all_steps()) == len(good.steps) + 2
    assert good.all_steps()[9:11] == list(feature.steps)


def test_good_scenario_stages(good: Scenario) -> None:
    stages = [s.stage for s in good.steps]
    assert stages == [
        Stage.LAUNCH,    # launch: default for launch
        Stage.SIGNUP,    # explicit
        Stage.SIGNUP,    # inherited from the step before
        Stage.PHONE,     # choose_calling_code default
        Stage.PHONE,     # inherited
        Stage.OTP,       # request_otp default
        Stage.OTP,       # enter_otp default
        Stage.ACCOUNT,   # explicit
        Stage.FEATURES,  # feature default
        Stage.OTP,       # enter_otp default again
        Stage.PHONE,     # explicit stage wins over request_otp's default
        Stage.PHONE,     # inherited
    ]
    feature = good.steps[8]
    assert isinstance(feature, Feature)
    assert [s.stage for s in feature.steps] == [Stage.FEATURES, Stage.FEATURES]


def test_steps_inside_a_feature_keep_the_features_stage(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, HEADER + (
        "  - feature: comment\n"
        "    steps:\n"
        "      - request_otp: Verify\n"
        "      - enter_otp: {id: code}\n"
        "      - tap: Send\n"
        "        stage: verification\n"
        "      - wait: Sent\n"
        "  - tap: After\n")))
    feature = s.steps[1]
    assert isinstance(feature, Feature)
    assert [st.stage for st in feature.steps] == [
        Stage.FEATURES, Stage.FEATURES, Stage.VERIFICATION, Stage.VERIFICATION]
    assert feature.steps[1].timeout == DEFAULT_OTP_TIMEOUT
    # a feature's inner stages do not leak to the steps after it
    assert s.steps[2].stage is Stage.FEATURES


def test_good_scenario_timeouts(good: Scenario) -> None:
    t = [s.timeout for s in good.steps]
    assert t[0] == 20.0                    # defaults.timeout
    assert t[6] == DEFAULT_OTP_TIMEOUT     # enter_otp default, above defaults.timeout
    assert DEFAULT_OTP_TIMEOUT >= 90
    assert t[7] == 30.0                    # per-step timeout
    assert t[9] == 5.0                     # enter_otp's own timeout wins
    feature = good.steps[8]
    assert isinstance(feature, Feature)
    assert [s.timeout for s in feature.steps] == [20.0, 5.0]


def test_good_scenario_selectors(good: Scenario) -> None:
    s = good.steps
    assert isinstance(s[1], Tap) and s[1].target == Selector(SelectorKind.TEXT, ("同意",))
    assert isinstance(s[2], Tap)
    assert s[2].target == Selector(SelectorKind.TEXT, ("登录", "Log in"))
    assert s[2].optional and s[2].name == "log in"
    assert not s[1].optional and s[1].name == "tap"
    cc = s[3]
    assert isinstance(cc, ChooseCallingCode)
    assert cc.open == Selector(SelectorKind.ID, ("country_code",))
    assert cc.search == Selector(SelectorKind.ACCESSIBILITY_ID, ("Search",))
    assert cc.list is None
    assert (cc.entry, cc.search_text) == ("+{phone.calling_code}", "{phone.calling_code}")
    inp = s[4]
    assert isinstance(inp, Input)
    assert inp.target == Selector(SelectorKind.XPATH, ("//android.widget.EditText[1]",))
    assert inp.text == "{phone.national}" and inp.clear
    assert isinstance(s[5], RequestOtp)
    assert s[5].target == Selector(SelectorKind.TEXT, ("获取验证码",))
    assert s[5].name == "request_code"  # the name shows what the author wrote
    otp = s[6]
    assert isinstance(otp, EnterOtp)
    assert otp.target == Selector(SelectorKind.ID, ("code_input",))
    assert otp.pattern == DEFAULT_OTP_PATTERN
    assert isinstance(s[7], Wait)
    assert s[7].target == Selector(SelectorKind.TEXT_CONTAINS, ("欢迎",))
    otp2 = s[9]
    assert isinstance(otp2, EnterOtp) and otp2.pattern == r"code (\d{6})"
    assert isinstance(s[10], RequestOtp)
    assert s[10].target == Selector(SelectorKind.TEXT, ("Resend",))
    assert isinstance(s[11], Wait)
    assert s[11].target == Selector(SelectorKind.ACCESSIBILITY_ID, ("Back",))
    feature = s[8]
    assert isinstance(feature, Feature) and isinstance(feature.steps[0], Tap)
    assert feature.steps[0].target == Selector(SelectorKind.ID, ("tv.danmaku.bili:id/compose",))


def test_good_scenario_lines(good: Scenario) -> None:
    lines = GOOD.splitlines()
    for step in good.all_steps():
        assert step.line is not None
        assert lines[step.line - 1].lstrip().startswith("- "), step


def test_defaults_without_defaults_block(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, HEADER + "  - tap: x\n  - enter_otp: {id: code}\n"))
    assert [st.timeout for st in s.steps] == [DEFAULT_TIMEOUT, DEFAULT_TIMEOUT,
                                             DEFAULT_OTP_TIMEOUT, DEFAULT_TIMEOUT]
    assert s.version == 1 and not s.verified and s.rules == ()


def test_enter_otp_default_follows_a_longer_default_timeout(tmp_path: Path) -> None:
    text = HEADER.replace("steps:", "defaults: {timeout: 120}\nsteps:") + \
        "  - enter_otp: {id: code}\n"
    s = load_scenario(write(tmp_path, text))
    assert s.steps[1].timeout == 120.0


def test_launch_forms(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, HEADER.replace("- launch", "- launch: {clear: true}")))
    assert isinstance(s.steps[0], Launch) and s.steps[0].clear
    s = load_scenario(write(tmp_path, HEADER))
    assert isinstance(s.steps[0], Launch) and not s.steps[0].clear
    assert s.steps[0].stage is Stage.LAUNCH


@pytest.mark.parametrize(("written", "cls"), [
    ("expect", Wait), ("wait", Wait), ("wait_for", Wait), ("click", Tap),
])
def test_selector_step_aliases(tmp_path: Path, written: str, cls: type) -> None:
    s = load_scenario(write(tmp_path, HEADER + f"  - {written}: Hello\n"))
    assert type(s.steps[1]) is cls
    assert s.steps[1].target == Selector(SelectorKind.TEXT, ("Hello",))  # type: ignore[attr-defined]


def test_otp_aliases(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, HEADER + "  - request_code: Send\n"
                                                "  - enter_code: {into: {id: c}}\n"))
    assert isinstance(s.steps[1], RequestOtp)
    assert isinstance(s.steps[2], EnterOtp)
    assert s.steps[2].stage is Stage.OTP


@pytest.mark.parametrize(("yaml_sel", "expected"), [
    ('"Sign up"', Selector(SelectorKind.TEXT, ("Sign up",))),
    ("[登录, 登入, Log in]", Selector(SelectorKind.TEXT, ("登录", "登入", "Log in"))),
    ("{text: [a, b]}", Selector(SelectorKind.TEXT, ("a", "b"))),
    ("{id: submit}", Selector(SelectorKind.ID, ("submit",))),
    ("{resource_id: org.x:id/submit}", Selector(SelectorKind.ID, ("org.x:id/submit",))),
    ("{accessibility_id: Back}", Selector(SelectorKind.ACCESSIBILITY_ID, ("Back",))),
    ("{desc: Back}", Selector(SelectorKind.ACCESSIBILITY_ID, ("Back",))),
    ('{xpath: "//*[@text=\'x\']"}', Selector(SelectorKind.XPATH, ("//*[@text='x']",))),
    ("{class: android.widget.Button}", Selector(SelectorKind.CLASS, ("android.widget.Button",))),
    ("{text_contains: 验证码}", Selector(SelectorKind.TEXT_CONTAINS, ("验证码",))),
    ("2024", Selector(SelectorKind.TEXT, ("2024",))),
])
def test_selector_forms(tmp_path: Path, yaml_sel: str, expected: Selector) -> None:
    s = load_scenario(write(tmp_path, HEADER + f"  - tap: {yaml_sel}\n"))
    assert s.steps[1].target == expected  # type: ignore[attr-defined]


def test_template_escapes_are_allowed(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, HEADER +
                            '  - input: {into: {id: x}, text: "{{not a var}} {country}"}\n'))
    assert s.steps[1].text == "{{not a var}} {country}"  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- errors


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + '  - tap: a: b\n')
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert info.value.location.endswith("s.yaml:7")
    assert "invalid YAML" in str(info.value)
    assert "quot" in str(info.value)  # the hint about quoting


def test_bad_indentation_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "id: demo-x\napp:\n  name: y\n android_package: z\nsteps: []\n")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert info.value.location.endswith("s.yaml:4")


def test_unknown_step_kind_suggests(tmp_path: Path) -> None:
    err = step_error(tmp_path, '  - tapp: "Agree"\n')
    assert err.location.endswith("s.yaml:7")
    assert err.field == "steps[1].tapp"
    assert "unknown step kind `tapp`" in str(err)
    assert "Did you mean `tap`?" in str(err)
    assert err.example is not None and "- launch" in err.example


def test_unknown_step_kind_suggests_an_alias(tmp_path: Path) -> None:
    err = step_error(tmp_path, "  - expcet: Hi\n")
    assert "Did you mean `expect`?" in str(err)


def test_two_kinds_in_one_item(tmp_path: Path) -> None:
    err = step_error(tmp_path, '  - tap: "Agree"\n    wait: "Next"\n')
    assert err.location.endswith("s.yaml:7")
    assert err.field == "steps[1]"
    assert "2 step kinds (tap, wait)" in str(err)
    assert "one per list item" in str(err)


def test_step_without_kind(tmp_path: Path) -> None:
    err = step_error(tmp_path, "  - stage: signup\n")
    assert err.field == "steps[1]"
    assert "no step kind" in str(err)


def test_step_that_is_not_a_mapping(tmp_path: Path) -> None:
    err = step_error(tmp_path, "  - [tap, x]\n")
    assert err.field == "steps[1]"
    assert "mapping" in str(err)


def test_unknown_selector_key_suggests(tmp_path: Path) -> None:
    err = step_error(tmp_path, '  - tap: {txt: "Agree"}\n')
    assert err.location.endswith("s.yaml:7")
    assert err.field == "steps[1].tap.txt"
    assert "unknown selector `txt`" in str(err)
    assert "Did you mean `text`?" in str(err)
    assert err.example is not None and "{id: submit}" in err.example


def test_selector_with_two_keys_is_refused(tmp_path: Path) -> None:
    err = step_error(tmp_path, "  - tap: {id: a, text: b}\n")
    assert err.field == "steps[1].tap"
    assert "not a selector" in str(err)


@pytest.mark.parametrize("sel", ['""', "{id: ''}", "[]", "{id: [1, 2]}"])
def test_empty_or_malformed_selector_values(tmp_path: Path, sel: str) -> None:
    err = step_error(tmp_path, f"  - tap: {sel}\n")
    assert err.field is not None and err.field.startswith("steps[1].tap")
    assert err.location.endswith("s.yaml:7")


def test_missing_android_package(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, HEADER.replace("  android_package: org.example.test\n", "")))
    assert err.field == "app.android_package"
    assert err.location.endswith("s.yaml:2")
    assert "required" in str(err)
    assert err.example is not None and "android_package:" in err.example


def test_invalid_android_package(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, HEADER.replace("org.example.test", "not a package")))
    assert err.field == "app.android_package"
    assert err.location.endswith("s.yaml:4")


def test_invalid_scenario_id(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, HEADER.replace("demo-test", "Demo Test")))
    assert err.field == "id"
    assert err.location.endswith("s.yaml:1")
    assert err.example is not None and "lowercase" in err.example


def test_unknown_top_level_field(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, "colour: red\n" + HEADER))
    assert err.field == "colour"
    assert err.location.endswith("s.yaml:1")


def test_unknown_template_variable(tmp_path: Path) -> None:
    err = step_error(tmp_path, '  - input: {into: {id: phone}, text: "{phone.nationl}"}\n')
    assert err.location.endswith("s.yaml:7")
    assert err.field == "steps[1].input.text"
    assert "{phone.nationl}" in str(err)
    assert "{phone.national}" in str(err)  # the known variables are listed
    assert "{{" in str(err)


def test_unknown_template_variable_in_selector(tmp_path: Path) -> None:
    err = step_error(tmp_path, '  - tap: "+{phone.code}"\n')
    assert err.field == "steps[1].tap"
    assert "{phone.code}" in str(err)


def test_invalid_stage(tmp_path: Path) -> None:
    err = step_error(tmp_path, '  - tap: "Agree"\n    stage: singup\n')
    assert err.location.endswith("s.yaml:8")
    assert err.field == "steps[1].stage"
    assert "'singup'" in str(err)
    assert "signup" in str(err)


def test_invalid_xpath(tmp_path: Path) -> None:
    err = step_error(tmp_path, '  - tap: {xpath: "//*[@text="}\n')
    assert err.location.endswith("s.yaml:7")
    assert err.field == "steps[1].tap"
    assert "not a valid XPath" in str(err)


def test_otp_pattern_without_group(tmp_path: Path) -> None:
    err = step_error(tmp_path, '  - enter_otp: {into: {id: code}, pattern: "\\\\d{6}"}\n')
    assert err.location.endswith("s.yaml:7")
    assert err.field == "steps[1].enter_otp.pattern"
    assert "capture group" in str(err)
    assert err.example is not None and "(" in err.example


def test_otp_pattern_that_does_not_compile(tmp_path: Path) -> None:
    err = step_error(tmp_path, '  - enter_otp: {into: {id: code}, pattern: "(\\\\d{6}"}\n')
    assert err.field == "steps[1].enter_otp.pattern"
    assert "regular expression" in str(err)


def test_unknown_field_in_step(tmp_path: Path) -> None:
    errs = errors_of(write(tmp_path, HEADER + '  - input: {into: {id: a}, txt: "x"}\n'))
    assert [e.field for e in errs] == ["steps[1].input.txt", "steps[1].input"]
    assert "Did you mean `text`?" in str(errs[0])
    assert "needs `into`" in str(errs[1])  # and `text` is then missing
    errs = errors_of(write(tmp_path, HEADER + '  - input: {into: {id: a}, text: x, claer: 1}\n'))
    assert [e.field for e in errs] == ["steps[1].input.claer"]
    assert "Did you mean `clear`?" in str(errs[0])


def test_feature_without_steps(tmp_path: Path) -> None:
    err = step_error(tmp_path, "  - feature: post\n")
    assert err.location.endswith("s.yaml:7")
    assert err.field == "steps[1].steps"
    assert "non-empty `steps:`" in str(err)
    assert err.example is not None and "feature: post" in err.example


def test_feature_without_name(tmp_path: Path) -> None:
    err = step_error(tmp_path, "  - feature:\n    steps:\n      - tap: x\n")
    assert err.field == "steps[1].feature"


def test_nested_steps_only_in_a_feature(tmp_path: Path) -> None:
    err = step_error(tmp_path, "  - tap: x\n    steps:\n      - tap: y\n")
    assert err.field == "steps[1].steps"
    assert err.location.endswith("s.yaml:8")


def test_error_inside_a_feature_has_the_nested_path(tmp_path: Path) -> None:
    err = step_error(tmp_path, "  - feature: post\n    steps:\n      - tap: x\n"
                               "      - tpa: y\n")
    assert err.field == "steps[1].steps[1].tpa"
    assert err.location.endswith("s.yaml:10")


def test_bad_timeout(tmp_path: Path) -> None:
    err = step_error(tmp_path, "  - tap: x\n    timeout: -1\n")
    assert err.field == "steps[1].timeout"
    assert err.location.endswith("s.yaml:8")
    err = step_error(tmp_path, "  - tap: x\n    timeout: soon\n")
    assert err.field == "steps[1].timeout"


def test_scenario_without_launch(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, HEADER.replace("  - launch\n", "  - tap: Agree\n")))
    assert err.field == "steps"
    assert err.location.endswith("s.yaml:5")
    assert "launch" in str(err)


def test_empty_steps(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, HEADER.replace("steps:\n  - launch\n", "steps: []\n")))
    assert err.field == "steps"
    assert err.location.endswith("s.yaml:5")
    assert err.example is not None and "steps:" in err.example


def test_not_a_mapping(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, "- launch\n"))
    assert "mapping" in str(err)


def test_every_error_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    errs = errors_of(write(tmp_path, HEADER + "  - tapp: x\n  - tap: {txt: y}\n"
                                              "  - wait: z\n    stage: nope\n"))
    assert [e.field for e in errs] == ["steps[1].tapp", "steps[2].tap.txt", "steps[3].stage"]
    assert [e.location.rsplit(":", 1)[1] for e in errs] == ["7", "8", "10"]


def test_rule_errors_are_reported_with_the_scenario(tmp_path: Path) -> None:
    text = HEADER.replace("steps:", "rules:\n  - id: x.y\n    barrier: nope\n    match: a\n"
                                    "steps:")
    err = one_error(write(tmp_path, text))
    assert err.field == "rules[0].barrier"
    assert err.location.endswith("s.yaml:7")


# --------------------------------------------------------------------------- several files


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, HEADER, "a.yaml")
    sub = tmp_path / "more"
    sub.mkdir()
    write(sub, HEADER, "b.yml")
    with pytest.raises(ConfigErrors) as info:
        load_scenarios([tmp_path])
    (err,) = info.value.errors
    assert err.field == "id"
    assert "b.yml" in err.location
    assert "a.yaml" in str(err)
    assert "'demo-test'" in str(err)


def test_load_scenarios_collects_errors_of_every_file(tmp_path: Path) -> None:
    write(tmp_path, HEADER + "  - tapp: x\n", "a.yaml")
    write(tmp_path, "id: [\n", "b.yaml")
    write(tmp_path, HEADER.replace("demo-test", "demo-ok"), "c.yaml")
    write(tmp_path, "not yaml at all: [", "notes.txt")
    with pytest.raises(ConfigErrors) as info:
        load_scenarios([tmp_path])
    locs = [e.location for e in info.value.errors]
    assert len(locs) == 2
    assert "a.yaml:7" in locs[0]
    assert "b.yaml" in locs[1]


def test_find_scenario_files(tmp_path: Path) -> None:
    a = write(tmp_path, HEADER, "b.yaml")
    b = write(tmp_path, HEADER, "a.yml")
    write(tmp_path, "x", "c.txt")
    assert find_scenario_files([tmp_path]) == [b, a]
    assert find_scenario_files([a]) == [a]
    with pytest.raises(ConfigError) as info:
        find_scenario_files([tmp_path / "missing.yaml"])
    assert "missing.yaml" in str(info.value)


def test_load_scenarios_of_files_and_dirs(tmp_path: Path) -> None:
    a = write(tmp_path, HEADER, "a.yaml")
    got = load_scenarios([a])
    assert [s.id for s in got] == ["demo-test"]
    assert got[0].source == a


# --------------------------------------------------------------------------- yamlfile


def test_dotted() -> None:
    assert dotted(("steps", 3, "tap")) == "steps[3].tap"
    assert dotted(("phone", "number")) == "phone.number"
    assert dotted((0, "a")) == "[0].a"
    assert dotted(()) == ""


def test_load_yaml_lines(tmp_path: Path) -> None:
    doc = load_yaml(write(tmp_path, "# comment\na: 1\nb:\n  c: [x, y]\n  d:\n    - e: 1\n"))
    assert doc.data == {"a": 1, "b": {"c": ["x", "y"], "d": [{"e": 1}]}}
    assert doc.line_of(("a",)) == 2
    assert doc.line_of(("b", "c")) == 4
    assert doc.line_of(("b", "d", 0)) == 6
    assert doc.line_of(("b", "d", 0, "e")) == 6
    # unknown deeper keys fall back to the deepest known prefix
    assert doc.line_of(("b", "c", "nope", 7)) == 4
    assert doc.line_of(("zzz",)) == 2  # the document itself
    assert doc.where(("b", "c")).endswith("s.yaml:4")
    err = doc.error(("b", "d", 0, "e"), "wrong", "fix it", "e: 2")
    assert err.location.endswith("s.yaml:6")
    assert err.field == "b.d[0].e"
    assert str(err).endswith("fix it.\n  Example:\n    e: 2")


def test_load_yaml_empty_document(tmp_path: Path) -> None:
    assert load_yaml(write(tmp_path, "")).data is None


def test_load_yaml_missing_and_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_yaml(tmp_path / "missing.yaml")
    assert "file not found" in str(info.value)
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError) as info:
        load_yaml(bad)
    assert "UTF-8" in str(info.value)


def test_load_yaml_refuses_complex_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_yaml(write(tmp_path, "a: 1\n? [x, y]\n: 2\n"))
    assert info.value.location.endswith("s.yaml:2")
    assert "plain value" in str(info.value)


def test_load_yaml_keys_become_strings(tmp_path: Path) -> None:
    doc = load_yaml(write(tmp_path, "1: a\ntrue: b\n"))
    assert doc.data == {"1": "a", "True": "b"}


def test_load_yaml_reports_duplicate_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_yaml(write(tmp_path, "steps:\n  - tap: A\n    tap: B\n"))


def test_validation_errors_lines_and_examples(tmp_path: Path) -> None:
    class Inner(BaseModel):
        model_config = ConfigDict(extra="forbid")
        n: int

    class Outer(BaseModel):
        model_config = ConfigDict(extra="forbid")
        inner: Inner
        name: str

    doc = load_yaml(write(tmp_path, "inner:\n  n: many\n  extra: 1\n"))
    with pytest.raises(ValidationError) as info:
        Outer.model_validate(doc.data)
    errs = validation_errors(doc, info.value, {"inner": "inner: {n: 1}"})
    by_field = {e.field: e for e in errs}
    assert set(by_field) == {"inner.n", "inner.extra", "name"}
    assert by_field["inner.n"].location.endswith("s.yaml:2")
    assert by_field["inner.n"].example == "inner: {n: 1}"
    assert "not a known field" in by_field["inner.extra"].problem
    assert by_field["inner.extra"].location.endswith("s.yaml:3")
    assert by_field["name"].problem == "is required but missing"
    assert by_field["name"].location.endswith("s.yaml:1")
    assert by_field["name"].example is None


def test_optional_must_be_a_boolean(tmp_path: Path) -> None:
    err = step_error(tmp_path, '  - tap: x\n    optional: "false"\n')
    assert err.field == "steps[1].optional"


def test_a_scenario_needs_a_step_of_stage_account(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, HEADER + "  - wait: Home\n", account=False))
    assert err.location.endswith("s.yaml:5") and err.field == "steps"
    assert "no step of stage `account`" in str(err) and "stage: account" in str(err)
    # an optional account step does not count: it may never run
    err = one_error(write(tmp_path, HEADER + "  - wait: Home\n    stage: account\n"
                                             "    optional: true\n", account=False))
    assert "no step of stage `account`" in str(err)


def test_a_regular_expression_selector_is_not_a_template(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, HEADER + '  - tap: {text_matches: "^\\\\+\\\\d{1,4}$"}\n'))
    sel = s.steps[1].target  # type: ignore[attr-defined]
    assert sel.kind is SelectorKind.TEXT_MATCHES and sel.values == ("^\\+\\d{1,4}$",)
    assert sel.render({"phone.calling_code": "49"}) == sel
    err = step_error(tmp_path, '  - tap: {text_matches: "(unclosed"}\n')
    assert "not a valid regular expression" in str(err)
