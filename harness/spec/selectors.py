"""Selectors: how a scenario step names the element it acts on.

A selector is a kind plus one or more alternative values (any may match). Scenarios
prefer visible text, listed in simplified Chinese, traditional Chinese and English,
over resource ids that change between app versions. The same selector is evaluated on a
parsed ``Screen`` (to decide, in one page-source read, whether the target is there) and
turned into Appium locators (to act on it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

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
