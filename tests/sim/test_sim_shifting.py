"""The Shifting test app: its "Continue" button moves down right after the first read of
the screen, so a tap where that read showed it misses, and a tap where it is now works."""

from __future__ import annotations

from pathlib import Path

from appium import webdriver
from appium.webdriver.common.appiumby import AppiumBy
from lxml import etree
from sim_flows import DE, Connect, finger, options, perform, tap_ticks

from harness.sim import DEMO_APPS, FIXTURE_APPS, SIM_APPS, Shifting
from harness.spec.scenarios import load_scenario
from harness.vocabulary.outcomes import Stage

PACKAGE = "org.harnessdemo.shifting"
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "shifting" / "shifting.yaml"

Box = tuple[int, int, int, int]


def bounds(source: str, rid: str) -> Box | None:
    root = etree.fromstring(source.encode("utf-8"))
    found = root.xpath(f'//*[@resource-id="{PACKAGE}:id/{rid}"]')
    if not found:
        return None
    x1, y1, x2, y2 = (int(n) for n in str(found[0].get("bounds")).strip("[]")
                      .replace("][", ",").split(","))
    return x1, y1, x2, y2


def middle(box: Box) -> tuple[int, int]:
    return (box[0] + box[2]) // 2, (box[1] + box[3]) // 2


def launch(driver: webdriver.Remote) -> None:
    driver.terminate_app(PACKAGE)
    driver.execute_script("mobile: clearApp", {"appId": PACKAGE})
    driver.activate_app(PACKAGE)


def test_the_button_moves_after_the_first_read(connect: Connect) -> None:
    driver = connect(options(DE))
    launch(driver)
    first = driver.page_source
    old = bounds(first, "continue")
    assert old is not None and bounds(first, "banner") is None
    perform(driver, finger(*tap_ticks(*middle(old))))  # where the read showed it
    second = driver.page_source
    assert bounds(second, "welcome_title") is None  # the tap landed on the banner
    banner, new = bounds(second, "banner"), bounds(second, "continue")
    assert banner is not None and new is not None
    assert banner[1] <= middle(old)[1] < banner[3]
    assert new[1] - old[1] == banner[3] - banner[1] + 36  # the banner's height and a gap
    perform(driver, finger(*tap_ticks(*middle(new))))
    assert bounds(driver.page_source, "welcome_title") is not None


def test_it_happens_again_on_every_fresh_start(connect: Connect) -> None:
    driver = connect(options(DE))
    for _ in range(2):
        launch(driver)
        assert bounds(driver.page_source, "banner") is None
        assert bounds(driver.page_source, "banner") is not None


def test_a_click_by_element_still_works_after_the_move(connect: Connect) -> None:
    driver = connect(options(DE))
    launch(driver)
    button = driver.find_element(AppiumBy.ID, "continue")
    _ = driver.page_source  # the banner comes in: the reference stays valid
    button.click()
    assert driver.find_elements(AppiumBy.ID, "welcome_title")
    driver.back()
    assert driver.find_elements(AppiumBy.ID, "continue")


def test_it_is_installed_beside_the_seven_demo_apps() -> None:
    assert len(DEMO_APPS) == 7 and PACKAGE not in DEMO_APPS
    assert {PACKAGE: Shifting} == FIXTURE_APPS
    assert dict(SIM_APPS) == {**DEMO_APPS, PACKAGE: Shifting}


def test_its_scenario_loads(connect: Connect) -> None:
    scenario = load_scenario(FIXTURE)
    assert scenario.app.android_package == PACKAGE
    assert [s.stage for s in scenario.steps][-1] is Stage.ACCOUNT
    driver = connect(options(DE))
    assert driver.is_app_installed(PACKAGE)
