"""W3C actions and ``mobile: clickGesture`` on the simulator, through appium-python-client.

A tap by coordinates must do exactly what a click on the view under it does (the app's
own logic: screens, SMS), a field tapped and typed into in one request must hold the
text, and a malformed request must fail as W3C says, with ``invalid argument``.
"""

from __future__ import annotations

import pytest
from appium.webdriver.common.appiumby import AppiumBy
from selenium.common.exceptions import (
    InvalidArgumentException,
    MoveTargetOutOfBoundsException,
    WebDriverException,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.pointer_input import PointerInput
from sim_flows import (
    DE,
    OPENCHAT,
    Connect,
    centre,
    finger,
    http,
    keys,
    latest_code,
    open_signup,
    options,
    perform,
    tap_ticks,
    type_at,
)

from harness.sim import LAUNCHER_PACKAGE, LONG_PRESS_MS, SimServer


def test_a_tap_at_an_elements_centre_is_a_click(connect: Connect) -> None:
    driver = connect(options(DE))
    driver.execute_script("mobile: clearApp", {"appId": OPENCHAT})
    driver.activate_app(OPENCHAT)
    driver.tap([centre(driver, "agree")])  # appium-python-client's own W3C tap
    assert driver.find_elements(AppiumBy.ID, "signup_phone")
    perform(driver, finger(*tap_ticks(*centre(driver, "signup_phone"))))
    assert driver.find_elements(AppiumBy.ID, "phone_input")
    type_at(driver, centre(driver, "phone_input"), DE.national)
    perform(driver, finger(*tap_ticks(*centre(driver, "get_code"))))
    # the app's own logic ran, as for a click: the code SMS arrived, the screen says so
    assert latest_code(driver) is not None
    assert "Code sent to +49" in driver.find_element(AppiumBy.ID, "status").text


def test_a_tap_on_a_field_then_keys_in_one_request_types_into_it(connect: Connect) -> None:
    driver = connect(options(DE))
    open_signup(driver, OPENCHAT)
    phone = driver.find_element(AppiumBy.ID, "phone_input")
    assert phone.get_attribute("focused") == "false"
    type_at(driver, centre(driver, "phone_input"), "1511234")
    assert phone.text == "1511234"
    assert phone.get_attribute("focused") == "true"
    type_at(driver, centre(driver, "code_input"), "99")  # focus moves to the code field
    assert driver.find_element(AppiumBy.ID, "code_input").text == "99"
    assert phone.get_attribute("focused") == "false"
    assert phone.text == "1511234"


def test_backspace_deletes_and_enter_is_ignored(connect: Connect) -> None:
    driver = connect(options(DE))
    open_signup(driver, OPENCHAT)
    type_at(driver, centre(driver, "phone_input"), "1234")
    perform(driver, keys("\ue003\ue003\ue0075"))
    assert driver.find_element(AppiumBy.ID, "phone_input").text == "125"
    perform(driver, keys("\ue003" * 5))  # more than there is: the field is just empty
    assert driver.find_element(AppiumBy.ID, "phone_input").text == "Phone number"  # hint


def test_keys_without_a_focused_field_type_nothing(connect: Connect) -> None:
    driver = connect(options(DE))
    open_signup(driver, OPENCHAT)
    before = driver.page_source
    perform(driver, keys("123"))
    assert driver.page_source == before


def test_a_tap_on_empty_space_does_nothing(connect: Connect) -> None:
    driver = connect(options(DE))
    open_signup(driver, OPENCHAT)
    before = driver.page_source
    title = driver.find_element(AppiumBy.ID, "phone_title").rect  # a TextView: no taps
    perform(driver, finger(*tap_ticks(title["x"] + 5, title["y"] + 5)))
    perform(driver, finger(*tap_ticks(540, 2390)))  # below everything
    assert driver.page_source == before


def test_long_presses_and_drags_are_no_taps(connect: Connect) -> None:
    driver = connect(options(DE))
    driver.execute_script("mobile: clearApp", {"appId": OPENCHAT})
    driver.activate_app(OPENCHAT)
    x, y = centre(driver, "agree")
    driver.tap([(x, y)], LONG_PRESS_MS)  # held as long as a long press
    drag = [tap_ticks(x, y)[0], {"type": "pointerDown", "button": 0},
            {"type": "pointerMove", "duration": 100, "origin": "pointer", "x": 0, "y": 40},
            {"type": "pointerMove", "duration": 100, "origin": "pointer", "x": 0, "y": -40},
            {"type": "pointerUp", "button": 0}]
    perform(driver, finger(*drag))  # it went 40 px away and came back: a scroll, no tap
    assert driver.find_elements(AppiumBy.ID, "agree")
    driver.tap([(x, y)], LONG_PRESS_MS - 50)
    assert not driver.find_elements(AppiumBy.ID, "agree")


def test_pointer_move_to_an_element_and_a_mouse_click(connect: Connect) -> None:
    driver = connect(options(DE))
    driver.execute_script("mobile: clearApp", {"appId": OPENCHAT})
    driver.activate_app(OPENCHAT)
    actions = ActionChains(driver)  # selenium's mouse: pointerMove with an element origin
    actions.move_to_element(driver.find_element(AppiumBy.ID, "agree")).click().perform()
    assert driver.find_elements(AppiumBy.ID, "signup_phone")
    builder = ActionBuilder(driver, mouse=PointerInput(interaction.POINTER_TOUCH, "touch"))
    builder.pointer_action.move_to(driver.find_element(AppiumBy.ID, "signup_phone"))
    builder.pointer_action.pointer_down().pointer_up()
    builder.perform()
    assert driver.find_elements(AppiumBy.ID, "phone_input")


def test_a_tap_on_a_launcher_icon_launches_the_app(connect: Connect) -> None:
    driver = connect(options(DE))
    driver.execute_script("mobile: pressKey", {"keycode": 3})
    assert driver.execute_script("mobile: getCurrentPackage") == LAUNCHER_PACKAGE
    rect = driver.find_element(AppiumBy.ACCESSIBILITY_ID, "OpenChat").rect
    driver.tap([(rect["x"] + rect["width"] // 2, rect["y"] + rect["height"] // 2)])
    assert driver.execute_script("mobile: getCurrentPackage") == OPENCHAT


def test_input_state_lasts_until_release(connect: Connect, sim: SimServer) -> None:
    driver = connect(options(DE))
    driver.execute_script("mobile: clearApp", {"appId": OPENCHAT})
    driver.activate_app(OPENCHAT)
    down = tap_ticks(*centre(driver, "agree"))[:2]
    perform(driver, finger(*down))  # the finger stays down between requests
    assert driver.find_elements(AppiumBy.ID, "agree")
    status, body = http(sim, "DELETE", f"/session/{driver.session_id}/actions")
    assert status == 200 and body == {"value": None}
    assert driver.find_elements(AppiumBy.ID, "signup_phone")  # lifting it was the tap
    status, _ = http(sim, "DELETE", f"/session/{driver.session_id}/actions")
    assert status == 200  # nothing is down: releasing again is harmless


MALFORMED: list[tuple[object, str]] = [
    ({}, "actions"),
    ({"actions": "tap"}, "actions"),
    ({"actions": [42]}, "input source"),
    ({"actions": [{"type": "finger", "id": "f", "actions": []}]}, "type"),
    ({"actions": [{"type": "pointer", "actions": []}]}, "'id'"),
    ({"actions": [{"type": "pointer", "id": "f"}]}, "'actions'"),
    ({"actions": [finger({"type": "pointerMove", "x": "ten", "y": 1})]}, "'x'"),
    ({"actions": [finger({"type": "pointerMove", "x": None, "y": 1})]}, "'x'"),
    ({"actions": [finger({"type": "pause", "duration": -5})]}, "duration"),
    ({"actions": [finger({"type": "keyDown", "value": "a"})]}, "type"),
    ({"actions": [finger({"type": "pointerMove", "origin": "screen"})]}, "origin"),
    ({"actions": [finger(pointer_type="stylus")]}, "pointerType"),
    ({"actions": [keys("a"), keys("b")]}, "unique"),
    ({"actions": [{"type": "key", "id": "k", "actions": [{"type": "keyDown", "value": "ab"}]}]},
     "one character"),
    ({"actions": [{"type": "key", "id": "k", "actions": [{"type": "keyDown"}]}]}, "value"),
]


@pytest.mark.parametrize(("body", "names"), MALFORMED)
def test_malformed_actions_are_invalid_arguments(
    sim: SimServer, connect: Connect, body: object, names: str
) -> None:
    driver = connect(options(DE))
    status, answer = http(sim, "POST", f"/session/{driver.session_id}/actions", body)
    assert status == 400
    assert answer["value"]["error"] == "invalid argument"
    assert names in answer["value"]["message"]


def test_malformed_actions_raise_in_the_client(connect: Connect) -> None:
    driver = connect(options(DE))
    with pytest.raises(InvalidArgumentException):
        perform(driver, {"type": "pointer", "id": "f", "actions": [{"type": "jump"}]})
    with pytest.raises(MoveTargetOutOfBoundsException, match="outside the 1080x2400 screen"):
        perform(driver, finger(*tap_ticks(1080, 10)))


def test_click_gesture_by_coordinates_and_by_element(connect: Connect) -> None:
    driver = connect(options(DE))
    driver.execute_script("mobile: clearApp", {"appId": OPENCHAT})
    driver.activate_app(OPENCHAT)
    x, y = centre(driver, "agree")
    driver.execute_script("mobile: clickGesture", {"x": x, "y": y})
    assert driver.find_elements(AppiumBy.ID, "signup_phone")
    element = driver.find_element(AppiumBy.ID, "signup_phone")
    driver.execute_script("mobile: clickGesture", {"elementId": element.id})
    assert driver.find_elements(AppiumBy.ID, "phone_input")
    driver.execute_script("mobile: clickGesture", {  # offsets from the top-left corner
        "elementId": driver.find_element(AppiumBy.ID, "phone_input").id, "x": 5, "y": 5})
    assert driver.find_element(AppiumBy.ID, "phone_input").get_attribute("focused") == "true"
    driver.execute_script("mobile: clickGesture", {
        "locator": {"strategy": "id", "selector": "country_code"}})
    assert driver.find_elements(AppiumBy.ID, "country_search")
    with pytest.raises(WebDriverException, match="'x' and 'y'"):
        driver.execute_script("mobile: clickGesture", {"x": 10})
