"""Flows (`extends:`): a scenario filling a shared flow's placeholders, where its steps
come from, and every error a person can make, each at the file and line to fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.pytest_plugin.collection import is_scenario_path
from harness.spec.flows import is_flow_path, load_flow, resolve_flow_path
from harness.spec.scenarios import find_scenario_files, load_scenario, load_scenarios
from harness.spec.selectors import Selector, SelectorKind
from harness.spec.steps import (
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
from harness.vocabulary.outcomes import Stage

FLOW = """\
flow: mini
version: 2
description: A small sign-up flow.
params:
  consent:
    kind: selector
    default: null
    description: Accepts the privacy dialog.
  login:
    kind: selector
    default: [登录, 登入, Log in]
    description: Opens the login form.
  picker:
    kind: selector
    description: Opens the calling-code picker.
  picker_search:
    kind: selector
    default: null
    description: The picker's search field.
  phone_field:
    kind: selector
    description: The phone field.
  get_code:
    kind: selector
    description: Sends the code.
  otp_timeout:
    kind: number
    default: 90
    description: Seconds to wait for the SMS.
  after_code:
    kind: steps
    default: []
    stage: verification
    description: Steps after the code.
  home:
    kind: selector
    description: Shows once the account exists.
  features:
    kind: steps
    default: []
    description: Feature checks.
steps:
  - launch: {clear: true}
  - tap: $consent
    stage: signup
    optional: true
  - tap: $login
  - choose_calling_code:
      open: $picker
      search: $picker_search
  - input: {into: $phone_field, text: "{phone.national}"}
  - request_otp: {tap: $get_code}
  - enter_otp: {into: {id: code}}
    timeout: $otp_timeout
  - $after_code
  - wait: $home
    stage: account
  - $features
  - wait: "$$5 credit"
"""
# Lines of FLOW: `home` is declared at line 35; `- launch` is line 43, `- tap: $consent`
# 44, `- tap: $login` 47, choose_calling_code 48 (`open: $picker` 49), `- $after_code`
# 55, `- $features` 58, the `$$` wait 59.

SCENARIO = """\
id: app-one
app:
  name: One
  android_package: org.example.one
extends: flows/mini.yaml
with:
  consent: [同意, 同意, Agree]
  picker: {text_contains: "+86"}
  phone_field: [请输入手机号, 請輸入手機號, Phone number]
  get_code: [获取验证码, 獲取驗證碼, Get code]
  after_code:
    - tap: [跳过, 跳過, Skip]
      optional: true
  home: [首页, 首頁, Home]
rules:
  - id: one.banned
    barrier: risk_control_block
    match: "banned"
"""


def make_tree(tmp_path: Path, scenario: str = SCENARIO, flow: str = FLOW,
              name: str = "one.yaml") -> Path:
    root = tmp_path / "scenarios"
    (root / "flows").mkdir(parents=True, exist_ok=True)
    (root / "flows" / "mini.yaml").write_text(flow, encoding="utf-8")
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(scenario, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[ConfigError]:
    with pytest.raises(ConfigErrors) as info:
        load_scenario(path)
    return info.value.errors


def one_error(path: Path) -> ConfigError:
    errs = errors_of(path)
    assert len(errs) == 1, [str(e) for e in errs]
    return errs[0]


# --------------------------------------------------------------------------- composition


def test_placeholders_are_filled(tmp_path: Path) -> None:
    s = load_scenario(make_tree(tmp_path))
    assert [type(x) for x in s.steps] == [Launch, Tap, Tap, ChooseCallingCode, Input,
                                          RequestOtp, EnterOtp, Tap, Wait, Wait]
    consent, login, picker = s.steps[1], s.steps[2], s.steps[3]
    assert isinstance(consent, Tap) and consent.optional
    assert consent.target == Selector(SelectorKind.TEXT, ("同意", "同意", "Agree"))
    # a parameter the scenario does not give takes the flow's default
    assert isinstance(login, Tap)
    assert login.target == Selector(SelectorKind.TEXT, ("登录", "登入", "Log in"))
    # a field whose parameter is left out (null) is left out
    assert isinstance(picker, ChooseCallingCode)
    assert picker.open == Selector(SelectorKind.TEXT_CONTAINS, ("+86",))
    assert picker.search is None
    inp = s.steps[4]
    # runtime template variables stay for the run
    assert isinstance(inp, Input) and inp.text == "{phone.national}"
    otp = s.steps[6]
    assert isinstance(otp, EnterOtp) and otp.timeout == 90.0
    assert s.rules[0].id == "one.banned"
    assert s.flow is not None and (s.flow.name, s.flow.version) == ("mini", 2)


def test_dollar_dollar_writes_a_literal_dollar(tmp_path: Path) -> None:
    s = load_scenario(make_tree(tmp_path))
    last = s.steps[-1]
    assert isinstance(last, Wait)
    assert last.target == Selector(SelectorKind.TEXT, ("$5 credit",))


def test_steps_come_from_the_flow_and_the_scenario_with_their_lines(tmp_path: Path) -> None:
    path = make_tree(tmp_path)
    s = load_scenario(path)
    flow_name = str(path.parent / "flows" / "mini.yaml")
    origins = [x.origin or "" for x in s.steps]
    assert origins[0].endswith("flows/mini.yaml:43")
    assert s.steps[0].line == 43
    assert origins[1].endswith("flows/mini.yaml:44")
    # the spliced `after_code` step was written in the scenario, line 12
    assert origins[7].endswith("one.yaml:12") and s.steps[7].line == 12
    assert flow_name.endswith("mini.yaml")


def test_stages_flow_through_the_composed_steps(tmp_path: Path) -> None:
    s = load_scenario(make_tree(tmp_path))
    assert [x.stage for x in s.steps] == [
        Stage.LAUNCH, Stage.SIGNUP, Stage.SIGNUP, Stage.PHONE, Stage.PHONE, Stage.OTP,
        Stage.OTP,
        Stage.VERIFICATION,  # the `after_code` slot declares the stage of its first step
        Stage.ACCOUNT, Stage.ACCOUNT]


def test_a_left_out_step_is_dropped(tmp_path: Path) -> None:
    text = SCENARIO.replace("  consent: [同意, 同意, Agree]\n", "")
    s = load_scenario(make_tree(tmp_path, text))
    assert [type(x) for x in s.steps][:3] == [Launch, Tap, ChooseCallingCode]
    assert isinstance(s.steps[1], Tap)
    assert s.steps[1].target.values == ("登录", "登入", "Log in")


def test_null_removes_a_defaulted_step(tmp_path: Path) -> None:
    text = SCENARIO.replace("  home:", "  login: null\n  home:")
    s = load_scenario(make_tree(tmp_path, text))
    taps = [x for x in s.steps if isinstance(x, Tap)]
    assert all("Log in" not in x.target.values for x in taps)


def test_feature_slot_and_append(tmp_path: Path) -> None:
    text = SCENARIO.replace("rules:", """\
  features:
    - feature: post
      steps:
        - tap: [发布, 發佈, Post]
        - expect: [发布成功, 發佈成功, Posted]
append:
  - wait: [再见, 再見, Bye]
    stage: features
rules:""")
    s = load_scenario(make_tree(tmp_path, text))
    feature = s.steps[-3]
    assert isinstance(feature, Feature) and feature.feature == "post"
    assert [type(x) for x in feature.steps] == [Tap, Wait]
    assert all(x.stage is Stage.FEATURES for x in feature.steps)
    assert isinstance(s.steps[-1], Wait)
    assert s.steps[-1].target.values == ("再见", "再見", "Bye")
    assert (s.steps[-1].origin or "").endswith("one.yaml:21")


def test_nested_feature_steps_in_a_flow_are_filled(tmp_path: Path) -> None:
    flow = FLOW.replace("  - $features\n", "  - feature: post\n    steps:\n"
                                           "      - tap: $get_code\n      - $features\n")
    s = load_scenario(make_tree(tmp_path, flow=flow))
    feature = next(x for x in s.steps if isinstance(x, Feature))
    assert [type(x) for x in feature.steps] == [Tap]
    assert feature.steps[0].origin is not None
    assert feature.steps[0].origin.endswith("flows/mini.yaml:60")


def test_a_flow_is_found_beside_the_scenario_or_from_the_scenarios_root(
        tmp_path: Path) -> None:
    deep = make_tree(tmp_path, name="more/deeper/two.yaml")
    assert load_scenario(deep).flow is not None
    (deep.parent / "flows").mkdir()
    (deep.parent / "flows" / "mini.yaml").write_text(
        FLOW.replace("flow: mini", "flow: local"), encoding="utf-8")
    s = load_scenario(deep)
    assert s.flow is not None and s.flow.name == "local"  # the nearest wins
    found, tried = resolve_flow_path("flows/none.yaml", deep)
    assert found is None
    assert [t.parent.parent.name for t in tried] == ["deeper", "more", "scenarios"]


def test_flow_changes_are_seen_by_the_cache(tmp_path: Path) -> None:
    path = make_tree(tmp_path)
    assert load_scenario(path).flow is not None
    flow_path = path.parent / "flows" / "mini.yaml"
    first = load_flow(flow_path)
    assert load_flow(flow_path) is first
    flow_path.write_text(FLOW.replace("version: 2", "version: 3"), encoding="utf-8")
    st = flow_path.stat()
    os.utime(flow_path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert load_flow(flow_path).version == 3


# --------------------------------------------------------------------------- scenario errors


def test_unknown_parameter_suggests_and_names_the_flow(tmp_path: Path) -> None:
    err = one_error(make_tree(tmp_path, SCENARIO.replace("  consent:", "  consnt:")))
    assert err.location.endswith("one.yaml:7")
    assert err.field == "with.consnt"
    assert "unknown parameter `consnt`" in str(err)
    assert "flows/mini.yaml" in str(err)
    assert "Did you mean `consent`?" in str(err)


def test_missing_required_parameter_names_both_files(tmp_path: Path) -> None:
    err = one_error(make_tree(tmp_path, SCENARIO.replace("  home: [首页, 首頁, Home]\n", "")))
    assert err.location.endswith("one.yaml:6")       # the `with:` line
    assert err.field == "with.home"
    assert "flows/mini.yaml:35" in str(err)           # where the flow declares it
    assert "Shows once the account exists" in str(err)


def test_missing_with_points_at_extends(tmp_path: Path) -> None:
    text = SCENARIO.split("with:")[0] + "rules: []\n"
    errs = errors_of(make_tree(tmp_path, text))
    assert {e.field for e in errs} == {"extends"}
    assert all(e.location.endswith("one.yaml:5") for e in errs)
    assert len(errs) == 4  # picker, phone_field, get_code, home


def test_required_parameter_cannot_be_null(tmp_path: Path) -> None:
    err = one_error(make_tree(tmp_path, SCENARIO.replace("  home: [首页, 首頁, Home]",
                                                         "  home: null")))
    assert err.field == "with.home" and err.location.endswith("one.yaml:14")
    assert "cannot be null" in str(err)


def test_parameter_of_the_wrong_kind(tmp_path: Path) -> None:
    err = one_error(make_tree(tmp_path, SCENARIO.replace(
        "  after_code:\n    - tap: [跳过, 跳過, Skip]\n      optional: true\n",
        "  after_code: Skip\n")))
    assert err.field == "with.after_code" and err.location.endswith("one.yaml:11")
    assert "list of steps" in str(err)


def test_a_bad_selector_in_a_parameter_names_the_scenario_line_and_the_flow_step(
        tmp_path: Path) -> None:
    err = one_error(make_tree(tmp_path, SCENARIO.replace("{text_contains: \"+86\"}",
                                                         "{txt: \"+86\"}")))
    assert err.location.endswith("one.yaml:8")
    assert err.field == "with.picker.txt"
    assert "unknown selector `txt`" in str(err)
    assert "Did you mean `text`?" in str(err)
    assert "`$picker` fills steps[3].choose_calling_code.open" in str(err)
    assert "flows/mini.yaml:49" in str(err)


def test_an_unknown_template_variable_in_a_parameter(tmp_path: Path) -> None:
    err = one_error(make_tree(tmp_path, SCENARIO.replace(
        "  home: [首页, 首頁, Home]", '  home: "Hi {phone.nationl}"')))
    assert err.location.endswith("one.yaml:14")
    assert err.field == "with.home"
    assert "{phone.nationl}" in str(err)


def test_an_error_in_a_spliced_step_points_at_the_scenario(tmp_path: Path) -> None:
    err = one_error(make_tree(tmp_path, SCENARIO.replace("    - tap: [跳过, 跳過, Skip]",
                                                         "    - tpa: [跳过, 跳過, Skip]")))
    assert err.location.endswith("one.yaml:12")
    assert err.field == "with.after_code[0].tpa"
    assert "unknown step kind" in str(err)
    assert "`$after_code` fills steps[7]" in str(err)


def test_steps_and_extends_together(tmp_path: Path) -> None:
    err = one_error(make_tree(tmp_path, SCENARIO + "steps:\n  - launch\n"))
    assert err.field == "steps" and err.location.endswith("one.yaml:19")
    assert "takes no `steps:`" in str(err)
    assert err.example is not None and "extends:" in err.example


def test_with_without_extends(tmp_path: Path) -> None:
    text = SCENARIO.replace("extends: flows/mini.yaml\n", "") + "steps:\n  - launch\n"
    err = one_error(make_tree(tmp_path, text))
    assert err.field == "with" and err.location.endswith("one.yaml:5")
    assert "only goes with `extends:`" in str(err)


def test_missing_steps_without_extends(tmp_path: Path) -> None:
    text = "id: app-x\napp:\n  name: X\n  android_package: org.example.x\n"
    err = one_error(make_tree(tmp_path, text))
    assert err.field == "steps"
    assert "required" in str(err) and "extends" in str(err)


def test_flow_not_found_lists_where_it_looked(tmp_path: Path) -> None:
    err = one_error(make_tree(tmp_path, SCENARIO.replace("flows/mini.yaml", "flows/maxi.yaml")))
    assert err.field == "extends" and err.location.endswith("one.yaml:5")
    assert "flows/maxi.yaml" in str(err) and "not found" in str(err)


def test_a_flow_is_not_a_scenario(tmp_path: Path) -> None:
    path = make_tree(tmp_path)
    err = one_error(path.parent / "flows" / "mini.yaml")
    assert "is a flow, not a scenario" in str(err)


# --------------------------------------------------------------------------- flow errors


def test_an_error_in_a_flow_step_names_the_flow_line_and_the_scenario(tmp_path: Path) -> None:
    flow = FLOW.replace("  - tap: $login\n", "  - tapp: $login\n")
    err = one_error(make_tree(tmp_path, flow=flow))
    assert err.location.endswith("flows/mini.yaml:47")
    assert err.field == "steps[2].tapp"
    assert "unknown step kind `tapp`" in str(err) and "Did you mean `tap`?" in str(err)


def test_a_flow_step_made_wrong_by_its_values_names_both_files(tmp_path: Path) -> None:
    flow = FLOW.replace("  - tap: $login\n", "  - tap: $login\n    optional: maybe\n")
    err = one_error(make_tree(tmp_path, flow=flow))
    assert err.location.endswith("flows/mini.yaml:48")
    assert err.field == "steps[2].optional"
    assert "extended by" in str(err) and "one.yaml:5" in str(err)


def test_undeclared_placeholder(tmp_path: Path) -> None:
    flow = FLOW + "  - tap: $logn\n"
    err = one_error(make_tree(tmp_path, flow=flow))
    assert err.location.endswith("flows/mini.yaml:60")
    assert err.field == "steps[11].tap"
    assert "`$logn` is not a declared parameter" in str(err)
    assert "Did you mean `$login`?" in str(err)


def test_declared_but_unused_parameter(tmp_path: Path) -> None:
    flow = FLOW.replace("params:\n", "params:\n  spare:\n    description: Unused.\n")
    err = one_error(make_tree(tmp_path, flow=flow))
    assert err.location.endswith("flows/mini.yaml:5") and err.field == "params.spare"
    assert "never" in str(err) or "no step uses it" in str(err)


def test_splice_of_a_parameter_that_is_not_steps(tmp_path: Path) -> None:
    flow = FLOW.replace("  - $features\n", "  - $home\n")
    errs = errors_of(make_tree(tmp_path, flow=flow))
    messages = " | ".join(str(e) for e in errs)
    assert "`- $home` stands for a list of steps" in messages
    assert "`features` is declared but no step uses it" in messages


def test_placeholder_inside_a_text(tmp_path: Path) -> None:
    flow = FLOW.replace('"$$5 credit"', '"Tap $home now"')
    err = one_error(make_tree(tmp_path, flow=flow))
    assert err.location.endswith("flows/mini.yaml:59")
    assert "stands for a whole value" in str(err)


def test_flow_header_errors(tmp_path: Path) -> None:
    flow = FLOW.replace("flow: mini", "flow: Mini Flow").replace(
        "    description: Opens the login form.\n", "")
    errs = errors_of(make_tree(tmp_path, flow=flow))
    fields = {e.field for e in errs}
    assert fields == {"flow", "params.login.description"}
    assert all("flows/mini.yaml" in e.location for e in errs)


# --------------------------------------------------------------------------- files


def test_flows_are_not_collected_as_scenarios(tmp_path: Path) -> None:
    path = make_tree(tmp_path)
    root = path.parent
    (root / "_draft.yaml").write_text("id: [\n", encoding="utf-8")
    assert find_scenario_files([root]) == [path]
    assert is_scenario_path(path)
    assert not is_scenario_path(root / "flows" / "mini.yaml")
    assert not is_scenario_path(root / "_draft.yaml")
    assert is_flow_path(root / "flows" / "mini.yaml")
    assert [s.id for s in load_scenarios([root])] == ["app-one"]


def test_load_scenarios_checks_flows_and_reports_a_flow_error_once(tmp_path: Path) -> None:
    flow = FLOW + "  - tap: $logn\n"
    path = make_tree(tmp_path, flow=flow)
    (path.parent / "two.yaml").write_text(SCENARIO.replace("app-one", "app-two"),
                                          encoding="utf-8")
    with pytest.raises(ConfigErrors) as info:
        load_scenarios([path.parent])
    assert len(info.value.errors) == 1
    assert "`$logn`" in str(info.value.errors[0])


def test_an_unused_broken_flow_is_still_checked(tmp_path: Path) -> None:
    path = make_tree(tmp_path)
    (path.parent / "flows" / "other.yaml").write_text("flow: other\nsteps: []\n",
                                                      encoding="utf-8")
    with pytest.raises(ConfigErrors) as info:
        load_scenarios([path.parent])
    (err,) = info.value.errors
    assert "other.yaml:2" in err.location and err.field == "steps"
