"""Selectors: how a scenario step names the element it acts on.

A selector is a kind plus one or more alternative values (any may match). Scenarios
prefer visible text, listed in simplified Chinese, traditional Chinese and English,
over resource ids that change between app versions. The same selector is evaluated on a
parsed ``Screen`` (to decide, in one page-source read, whether the target is there) and
turned into Appium locators (to act on it). ``parse_selector`` reads the forms a scenario
writes (``"Agree"``, ``["同意", "Agree"]``, ``{id: submit}``) into a ``Selector``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from harness.verdicts.screen import SYSTEM_PACKAGES, Node, Screen


class SelectorKind(StrEnum):
    TEXT = "text"
    TEXT_CONTAINS = "text_contains"
    #: a regular expression on the visible text, e.g. any calling code ``^\+\d{1,4}$``
    #: (evaluated on the parsed screen; the device is then given the matched node's own
    #: text and resource id as locators)
    TEXT_MATCHES = "text_matches"
    ID = "id"
    ACCESSIBILITY_ID = "accessibility_id"
    XPATH = "xpath"
    CLASS = "class"


#: Locator strategies of the W3C / Appium protocol.
BY_XPATH = "xpath"
BY_ID = "id"
BY_ACCESSIBILITY_ID = "accessibility id"
BY_CLASS = "class name"

#: The keys of a written selector (``tap: {id: submit}``) and the kind each names.
SELECTOR_KEYS: dict[str, SelectorKind] = {
    "text": SelectorKind.TEXT,
    "text_contains": SelectorKind.TEXT_CONTAINS,
    "text_matches": SelectorKind.TEXT_MATCHES,
    "id": SelectorKind.ID,
    "resource_id": SelectorKind.ID,
    "accessibility_id": SelectorKind.ACCESSIBILITY_ID,
    "desc": SelectorKind.ACCESSIBILITY_ID,
    "content_desc": SelectorKind.ACCESSIBILITY_ID,
    "xpath": SelectorKind.XPATH,
    "class": SelectorKind.CLASS,
}

#: Every written form of a selector, the example of a selector's error messages.
SELECTOR_EXAMPLE = ('tap: "Sign up"              # exact visible text\n'
                    'tap: ["登录", "登入", "Log in"]  # any of these texts\n'
                    "tap: {id: submit}           # resource id\n"
                    'tap: {text_contains: "验证码"}\n'
                    'tap: {text_matches: "^\\\\+\\\\d{1,4}$"}  # a regular expression\n'
                    "tap: {accessibility_id: Back}\n"
                    'tap: {xpath: "//android.widget.Button[1]"}')


def xpath_literal(s: str) -> str:
    """Quote ``s`` for XPath 1.0, which has no escape character."""
    if '"' not in s:
        return f'"{s}"'
    if "'" not in s:
        return f"'{s}'"
    parts = s.split('"')
    return "concat(" + ", '\"', ".join(f'"{p}"' for p in parts) + ")"


@dataclass(frozen=True)
class Selector:
    kind: SelectorKind
    values: tuple[str, ...]

    def describe(self) -> str:
        vals = " | ".join(self.values)
        return f"{self.kind.value}={vals}"

    def render(self, variables: dict[str, str]) -> Selector:
        """The selector with template variables filled in (a ``text_matches`` regular
        expression is taken as written: its braces are quantifiers, not variables)."""
        from harness.spec.templates import render

        if self.kind is SelectorKind.TEXT_MATCHES:
            return self
        return Selector(self.kind, tuple(render(v, variables) for v in self.values))

    def xpaths(self) -> list[str]:
        """One XPath per alternative, matching what ``find`` matches on a Screen (none for
        ``text_matches``: XPath 1.0 has no regular expressions)."""
        out: list[str] = []
        if self.kind is SelectorKind.TEXT_MATCHES:
            return out
        for v in self.values:
            lit = xpath_literal(v)
            if self.kind is SelectorKind.TEXT:
                out.append(f"//*[@text={lit} or (@text='' and @content-desc={lit})]")
            elif self.kind is SelectorKind.TEXT_CONTAINS:
                out.append(f"//*[contains(@text, {lit}) or contains(@content-desc, {lit})]")
            elif self.kind is SelectorKind.ID:
                if ":id/" in v:
                    out.append(f"//*[@resource-id={lit}]")
                else:
                    suffix = xpath_literal(":id/" + v)
                    out.append(
                        f"//*[@resource-id={lit} or substring(@resource-id, "
                        f"string-length(@resource-id) - {len(v) + 3}) = {suffix}]"
                    )
            elif self.kind is SelectorKind.ACCESSIBILITY_ID:
                out.append(f"//*[@content-desc={lit}]")
            elif self.kind is SelectorKind.CLASS:
                out.append(f"//*[@class={lit}] | //{v}")
            else:
                out.append(v)
        return out

    def find(self, screen: Screen) -> Node | None:
        """The first displayed node this selector matches on ``screen``."""
        system_ok = screen.app_package in SYSTEM_PACKAGES
        if self.kind is SelectorKind.TEXT_MATCHES:
            patterns = [re.compile(v) for v in self.values]
            for node in screen.nodes():
                if not node.displayed or (node.package in SYSTEM_PACKAGES and not system_ok):
                    continue
                if any(p.search(node.text) or (not node.text and p.search(node.content_desc))
                       for p in patterns):
                    return node
            return None
        for expr in self.xpaths():
            for node in screen.xpath(expr):
                if not node.displayed:
                    continue
                if node.package in SYSTEM_PACKAGES and not system_ok:
                    continue  # a notification is never the app's element
                return node
        return None

    def locators(self, matched: Node | None = None) -> list[tuple[str, str]]:
        """Appium locators for acting on the target, most specific first.

        When the node was already found on the screen, its resource id (if unique on the
        screen) is the cheapest locator for the device; the selector's own XPaths follow.
        """
        out: list[tuple[str, str]] = []
        if self.kind is SelectorKind.ID:
            out.extend((BY_ID, v) for v in self.values)
        elif self.kind is SelectorKind.ACCESSIBILITY_ID:
            out.extend((BY_ACCESSIBILITY_ID, v) for v in self.values)
        if matched is not None:
            rid = matched.resource_id
            if rid and self.kind != SelectorKind.ID:
                root = matched.element.getroottree()
                same = root.xpath(f"//*[@resource-id={xpath_literal(rid)}]")
                if isinstance(same, list) and len(same) == 1:
                    out.insert(0, (BY_ID, rid))
            if matched.text and self.kind in (SelectorKind.TEXT, SelectorKind.TEXT_CONTAINS,
                                              SelectorKind.TEXT_MATCHES):
                out.append((BY_XPATH, f"//*[@text={xpath_literal(matched.text)}]"))
            elif self.kind is SelectorKind.TEXT_MATCHES and matched.content_desc:
                out.append((BY_ACCESSIBILITY_ID, matched.content_desc))
        out.extend((BY_XPATH, x) for x in self.xpaths())
        seen: set[tuple[str, str]] = set()
        uniq = []
        for loc in out:
            if loc not in seen:
                seen.add(loc)
                uniq.append(loc)
        return uniq


# --------------------------------------------------------------------------- written selectors


class Report(Protocol):
    """Where a written selector's problems go: its location, the problem, a fix, an example."""

    def __call__(self, loc: Sequence[str | int], problem: str, fix: str | None = None,
                 example: str | None = None) -> None:
        """Report ``problem`` at ``loc``, with a fix and an example if there are any."""


#: Checks a selector value's template variables, reporting any unknown one at ``loc``.
CheckTemplate = Callable[[str, Sequence[str | int]], None]


def parse_selector(value: Any, loc: Sequence[str | int], report: Report,
                   check_template: CheckTemplate) -> Selector | None:
    """The ``Selector`` a scenario wrote at ``loc``, or None once its problems are reported."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return _checked(Selector(SelectorKind.TEXT, (str(value),)), loc, report, check_template)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return _checked(Selector(SelectorKind.TEXT, tuple(value)), loc, report, check_template)
    if isinstance(value, dict) and len(value) == 1:
        return _keyed(value, loc, report, check_template)
    report(loc, "is not a selector", "Give a text, a list of texts, or one of "
           "{text, text_contains, text_matches, id, accessibility_id, xpath, class}",
           SELECTOR_EXAMPLE)
    return None


def _keyed(value: dict[Any, Any], loc: Sequence[str | int], report: Report,
           check_template: CheckTemplate) -> Selector | None:
    """A selector written as a one-key mapping: its kind's key and one value or a list."""
    key, inner = next(iter(value.items()))
    kind = SELECTOR_KEYS.get(key)
    if kind is None:
        near = difflib.get_close_matches(key, list(SELECTOR_KEYS), n=1)
        hint = f"Did you mean `{near[0]}`?" if near else (
            "Use one of: " + ", ".join(sorted(SELECTOR_KEYS)))
        report((*loc, key), f"unknown selector `{key}`", hint, SELECTOR_EXAMPLE)
        return None
    vals: list[str]
    if isinstance(inner, str):
        vals = [inner]
    elif isinstance(inner, list) and inner and all(isinstance(v, str) for v in inner):
        vals = list(inner)
    else:
        report((*loc, key), "must be a string or a list of strings", example=SELECTOR_EXAMPLE)
        return None
    return _checked(Selector(kind, tuple(vals)), loc, report, check_template)


def _checked(sel: Selector, loc: Sequence[str | int], report: Report,
             check_template: CheckTemplate) -> Selector | None:
    """``sel`` if its values are non-empty, valid regular expressions or XPaths, else None."""
    for v in sel.values:
        if not v.strip():
            report(loc, "a selector value is empty", example=SELECTOR_EXAMPLE)
            return None
        if sel.kind is not SelectorKind.TEXT_MATCHES:
            check_template(v, loc)
    if sel.kind is SelectorKind.TEXT_MATCHES:
        for v in sel.values:
            try:
                re.compile(v)
            except re.error as exc:
                report(loc, f"{v!r} is not a valid regular expression ({exc})",
                       example='tap: {text_matches: "^\\+\\d{1,4}$"}   # any calling code')
                return None
    if sel.kind is SelectorKind.XPATH:
        from lxml import etree

        for v in sel.values:
            try:
                etree.XPath(v)
            except etree.XPathSyntaxError as exc:
                report(loc, f"{v!r} is not a valid XPath ({exc})")
                return None
    return sel
