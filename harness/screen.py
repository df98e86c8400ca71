"""A parsed screen: the page source of an Android device as a tree of nodes.

Accepts both shapes of Android UI dumps: UiAutomator2's page source (each element's tag
is its class, e.g. ``<android.widget.TextView ...>``) and ``uiautomator dump`` files
(``<node class=...>``). Rules and selectors are evaluated on this parse, so a saved screen
classifies exactly as the live one did.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from lxml import etree

#: Packages whose nodes are system chrome (status bar, notifications, navigation), never
#: the app's own message. A notification that mentions 实名认证 is not a barrier.
SYSTEM_PACKAGES = frozenset({"com.android.systemui", "com.android.launcher3"})


class ScreenParseError(ValueError):
    """The page source is not an XML UI hierarchy."""


@dataclass(frozen=True)
class Node:
    """One element of the hierarchy, with the attributes that selectors and rules read."""

    element: etree._Element

    def attr(self, name: str) -> str:
        return str(self.element.get(name, ""))

    @property
    def text(self) -> str:
        return self.attr("text")

    @property
    def content_desc(self) -> str:
        return self.attr("content-desc")

    @property
    def resource_id(self) -> str:
        return self.attr("resource-id")

    @property
    def cls(self) -> str:
        return self.attr("class") or str(self.element.tag)

    @property
    def package(self) -> str:
        return self.attr("package")

    @property
    def displayed(self) -> bool:
        return self.attr("displayed") != "false"

    @property
    def label(self) -> str:
        """What a person reads on this node: its text, else its content description."""
        return self.text or self.content_desc


class Screen:
    """A page source parsed once, queried many times."""

    def __init__(self, source: str, app_package: str | None = None) -> None:
        self.source = source
        self.app_package = app_package
        try:
            data = source.encode("utf-8") if isinstance(source, str) else source
            parser = etree.XMLParser(recover=False, huge_tree=True, resolve_entities=False)
            self.root = etree.fromstring(data, parser)
        except (etree.XMLSyntaxError, ValueError) as exc:
            raise ScreenParseError(f"page source is not XML: {exc}") from None

    @classmethod
    def from_file(cls, path: str, app_package: str | None = None) -> Screen:
        with open(path, encoding="utf-8") as fh:
            return cls(fh.read(), app_package)

    def nodes(self) -> Iterator[Node]:
        for el in self.root.iter():
            if isinstance(el.tag, str) and el.tag != "hierarchy":
                yield Node(el)

    @cached_property
    def packages(self) -> frozenset[str]:
        return frozenset(n.package for n in self.nodes() if n.package)

    @cached_property
    def foreground_package(self) -> str | None:
        """The package owning most nodes outside system chrome."""
        counts: dict[str, int] = {}
        for n in self.nodes():
            if n.package and n.package not in SYSTEM_PACKAGES:
                counts[n.package] = counts.get(n.package, 0) + 1
        return max(counts, key=lambda k: counts[k]) if counts else None

    def app_nodes(self) -> list[Node]:
        """Nodes that belong to the app under test (or, unknown, to any non-system package)."""
        pkg = self.app_package if self.app_package in self.packages else None
        out = []
        for n in self.nodes():
            if not n.displayed:
                continue
            if pkg is not None:
                if n.package == pkg:
                    out.append(n)
            elif n.package not in SYSTEM_PACKAGES:
                out.append(n)
        return out

    @cached_property
    def texts(self) -> list[str]:
        """Visible strings of the app's nodes (text and content descriptions), in order."""
        out: list[str] = []
        for n in self.app_nodes():
            for s in (n.text, n.content_desc):
                s = s.strip()
                if s and s not in out:
                    out.append(s)
        return out

    def xpath(self, expr: str) -> list[Node]:
        try:
            found = self.root.xpath(expr)
        except etree.XPathError as exc:
            raise ValueError(f"invalid XPath {expr!r}: {exc}") from None
        if not isinstance(found, list):
            return []
        return [Node(e) for e in found if isinstance(e, etree._Element)]
