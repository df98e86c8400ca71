"""The real apps' scenarios (scenarios/<catalog id>.yaml): one per catalog app, agreeing
with the catalog, unverified until run on a device, selecting by visible text in
simplified Chinese, traditional Chinese and English; Bilibili's selectors checked on its
real UI dumps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.spec.catalog import default_catalog
from harness.spec.scenarios import Scenario, load_scenario
from harness.spec.selectors import Selector, SelectorKind
from harness.spec.steps import ChooseCallingCode, EnterOtp, Input, RequestOtp, Step, Tap, Wait
from harness.verdicts.screen import Screen

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
SCREENS = REPO / "tests" / "fixtures" / "screens"
CATALOG = default_catalog()
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


def scenario(app_id: str) -> Scenario:
    return load_scenario(SCENARIOS / f"{app_id}.yaml")


def selectors(step: Step) -> list[Selector]:
    if isinstance(step, Tap | Wait | Input | RequestOtp | EnterOtp):
        return [step.target]
    if isinstance(step, ChooseCallingCode):
        return [s for s in (step.open, step.search, step.list) if s is not None]
    return []


def test_every_catalog_app_has_a_scenario_and_no_other_real_app_does() -> None:
    real = {p.stem for p in SCENARIOS.glob("*.yaml")}
    assert real == {a.id for a in CATALOG.apps}


@pytest.mark.parametrize("app_id", [a.id for a in CATALOG.apps])
def test_scenario_metadata_agrees_with_the_catalog(app_id: str) -> None:
    s = scenario(app_id)
    entry = CATALOG.get(app_id)
    assert entry is not None
    assert s.id == app_id
    assert not s.verified  # until someone confirms the flow on a device
    assert not s.app.demo
    got = (s.app.name, s.app.developer, s.app.category, s.app.android_package,
           s.app.apple_id, s.app.bundle_id)
    want = (entry.name, entry.developer, entry.category, entry.android_package,
            entry.apple_id, entry.bundle_id)
    assert got == want


@pytest.mark.parametrize("app_id", [a.id for a in CATALOG.apps])
def test_scenario_extends_the_phone_signup_flow(app_id: str) -> None:
    s = scenario(app_id)
    assert s.flow is not None and s.flow.name == "phone_signup"
    assert any(isinstance(x, ChooseCallingCode) for x in s.steps)
    assert any(isinstance(x, RequestOtp) for x in s.steps)
    assert any(isinstance(x, EnterOtp) for x in s.steps)


@pytest.mark.parametrize("app_id", [a.id for a in CATALOG.apps])
def test_text_selectors_name_all_three_languages(app_id: str) -> None:
    """A text selector with words offers Chinese and English alternatives (simplified and
    traditional are often the same characters, e.g. 同意)."""
    for step in scenario(app_id).all_steps():
        for sel in selectors(step):
            if sel.kind not in (SelectorKind.TEXT, SelectorKind.TEXT_CONTAINS):
                continue
            worded = [v for v in sel.values if LATIN.search(v) or CJK.search(v)]
            if not worded:
                continue  # "+86"
            assert len(sel.values) >= 3, (app_id, step.origin, sel.values)
            assert any(CJK.search(v) for v in sel.values), (app_id, step.origin)
            assert any(LATIN.search(v) and not CJK.search(v) for v in sel.values), (
                app_id, step.origin)


def _step(s: Scenario, name: str) -> Step:
    return next(x for x in s.all_steps() if x.name == name)


@pytest.mark.parametrize(("step_name", "dump", "text"), [
    ("consent", "bilibili_consent_dialog.xml", "同意并继续"),
    ("consent", "bilibili_consent_refused_dialog.xml", "同意并使用"),
    ("login entry", "bilibili_mine_logged_out.xml", "点击登录"),
    ("other login methods", "bilibili_login_onekey.xml", "其他方式登录"),
])
def test_bilibili_selectors_find_their_targets_on_real_dumps(step_name: str, dump: str,
                                                             text: str) -> None:
    step = _step(scenario("bilibili"), step_name)
    assert isinstance(step, Tap)
    node = step.target.find(Screen.from_file(str(SCREENS / dump), "tv.danmaku.bili"))
    assert node is not None and node.text == text


def test_bilibili_terms_checkbox_is_the_real_one() -> None:
    step = _step(scenario("bilibili"), "terms checkbox")
    assert isinstance(step, Tap) and step.optional
    screen = Screen.from_file(str(SCREENS / "bilibili_login_onekey.xml"), "tv.danmaku.bili")
    node = step.target.find(screen)
    assert node is not None and node.resource_id == "tv.danmaku.bili:id/log_reg_checkbox"


def test_bilibili_home_is_not_shown_while_logged_out() -> None:
    s = scenario("bilibili")
    home = _step(s, "home")
    assert isinstance(home, Wait)
    screen = Screen.from_file(str(SCREENS / "bilibili_mine_logged_out.xml"), "tv.danmaku.bili")
    assert home.target.find(screen) is None
