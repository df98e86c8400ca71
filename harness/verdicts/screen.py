"""A parsed screen: the page source of an Android device as a tree of nodes.

Accepts both shapes of Android UI dumps: UiAutomator2's page source (each element's tag
is its class, e.g. ``<android.widget.TextView ...>``) and ``uiautomator dump`` files
(``<node class=...>``). Selectors, the prompt reader and the rules are evaluated on this
parse, so a saved screen classifies exactly as the live one did.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar, overload

from lxml import etree

#: Packages whose nodes are system chrome (status bar, notifications, navigation), never
#: the app's own message. A notification that mentions 实名认证 is not a barrier.
SYSTEM_PACKAGES = frozenset({"com.android.systemui", "com.android.launcher3"})

#: Packages of the system's own dialogs shown over the app (runtime permissions, "app
#: isn't responding"). Selectors may act on them; barrier rules never read them.
SYSTEM_DIALOG_PACKAGES = frozenset({
    "com.android.permissioncontroller", "com.google.android.permissioncontroller",
    "com.android.packageinstaller", "com.google.android.packageinstaller", "android",
})

_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")

Bounds = tuple[int, int, int, int]

_T = TypeVar("_T")


class _once(Generic[_T]):
    """``functools.cached_property`` without its per-access lock: a node's attributes are
    read on one thread, and thousands of them per screen."""

    def __init__(self, fn: Callable[[Any], _T]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _once[_T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> _T | _once[_T]:
        if obj is None:
            return self
        value = self.fn(obj)
        obj.__dict__[self.name] = value
        return value


def _interned(table: dict[etree._Element, Node], element: etree._Element) -> Node:
    """The one ``Node`` of ``element`` in ``table``, made on first use (the key keeps
    lxml's proxy alive, so the same proxy, and so the same node, comes back)."""
    node = table.get(element)
    if node is None:
        node = table[element] = Node(element, table)
    return node


class ScreenParseError(ValueError):
    """The page source is not an XML UI hierarchy."""


@dataclass(frozen=True, eq=False)
class Node:
    """One element of the hierarchy, with the attributes that selectors and rules read.

    Nodes reached from a ``Screen`` are made once per element (``table``), so what a node
    computes from its element (its class, bounds, ancestors) is computed once per screen,
    however often the prompt reader and the rules walk past it."""

    element: etree._Element
    table: dict[etree._Element, Node] | None = field(default=None, repr=False)

    def _wrap(self, element: etree._Element) -> Node:
        return Node(element) if self.table is None else _interned(self.table, element)

    def attr(self, name: str) -> str:
        return str(self.element.get(name, ""))

    def flag(self, name: str) -> bool:
        return self.attr(name) == "true"

    @_once
    def text(self) -> str:
        return self.attr("text")

    @_once
    def content_desc(self) -> str:
        return self.attr("content-desc")

    @_once
    def resource_id(self) -> str:
        return self.attr("resource-id")

    @_once
    def cls(self) -> str:
        return self.attr("class") or str(self.element.tag)

    @_once
    def package(self) -> str:
        return self.attr("package")

    @_once
    def displayed(self) -> bool:
        return self.attr("displayed") != "false" and self.attr("visible-to-user") != "false"

    @_once
    def clickable(self) -> bool:
        return self.flag("clickable")

    @_once
    def label(self) -> str:
        """What a person reads on this node: its text, else its content description."""
        return self.text or self.content_desc

    @_once
    def bounds(self) -> Bounds | None:
        m = _BOUNDS.fullmatch(self.attr("bounds"))
        if m is None:
            return None
        x1, y1, x2, y2 = (int(g) for g in m.groups())
        return x1, y1, x2, y2

    @_once
    def area(self) -> int:
        b = self.bounds
        return 0 if b is None else max(b[2] - b[0], 0) * max(b[3] - b[1], 0)

    def parent(self) -> Node | None:
        up = self.element.getparent()
        if up is None or not isinstance(up.tag, str) or up.tag == "hierarchy":
            return None
        return self._wrap(up)

    @_once
    def _chain(self) -> tuple[Node, ...]:
        up = self.parent()
        return () if up is None else (up, *up._chain)

    def ancestors(self) -> Iterator[Node]:
        """The parent, its parent, ... up to the window."""
        return iter(self._chain)

    def children(self) -> list[Node]:
        return [self._wrap(e) for e in self.element if isinstance(e.tag, str)]

    def descendants(self) -> Iterator[Node]:
        for el in self.element.iter():
            if el is not self.element and isinstance(el.tag, str):
                yield self._wrap(el)

    def window(self) -> Node:
        """The top-level node (window) this node belongs to."""
        return self._chain[-1] if self._chain else self

    def __hash__(self) -> int:
        return id(self.element)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other.element is self.element


class Screen:
    """A page source parsed once, queried many times."""

    def __init__(self, source: str, app_package: str | None = None) -> None:
        self.source = source
        self.app_package = app_package
        try:
            data = source.encode("utf-8") if isinstance(source, str) else source
            parser = etree.XMLParser(recover=False, huge_tree=True, resolve_entities=False,
                                     remove_comments=True)
            self.root = etree.fromstring(data, parser)
        except (etree.XMLSyntaxError, ValueError) as exc:
            raise ScreenParseError(f"page source is not XML: {exc}") from None
        self._table: dict[etree._Element, Node] = {}

    @classmethod
    def from_file(cls, path: str, app_package: str | None = None) -> Screen:
        with open(path, encoding="utf-8") as fh:
            return cls(fh.read(), app_package)

    def node(self, element: etree._Element) -> Node:
        """The screen's one ``Node`` of ``element``."""
        return _interned(self._table, element)

    @cached_property
    def _all(self) -> tuple[Node, ...]:
        return tuple(self.node(el) for el in self.root.iter()
                     if isinstance(el.tag, str) and el.tag != "hierarchy")

    def nodes(self) -> Iterator[Node]:
        """Every element of the hierarchy, in document order."""
        return iter(self._all)

    @cached_property
    def size(self) -> tuple[int, int]:
        """The screen's width and height: the hierarchy's, else the largest window's."""
        w, h = self.root.get("width"), self.root.get("height")
        if w and h and w.isdigit() and h.isdigit():
            return int(w), int(h)
        best = (0, 0)
        for el in self.root:
            if not isinstance(el.tag, str):
                continue
            b = self.node(el).bounds
            if b is not None and (b[2] - b[0]) * (b[3] - b[1]) > best[0] * best[1]:
                best = (b[2] - b[0], b[3] - b[1])
        return best if best != (0, 0) else (1080, 2400)

    @cached_property
    def packages(self) -> frozenset[str]:
        return frozenset(n.package for n in self.nodes() if n.package)

    @cached_property
    def foreground_package(self) -> str | None:
        """The package owning most nodes outside system chrome."""
        counts: dict[str, int] = {}
        for n in self.nodes():
            if n.package and n.package not in SYSTEM_PACKAGES | SYSTEM_DIALOG_PACKAGES:
                counts[n.package] = counts.get(n.package, 0) + 1
        return max(counts, key=lambda k: counts[k]) if counts else None

    def app_nodes(self) -> list[Node]:
        """Displayed nodes of the app under test (or, unknown, of any app: not system
        chrome and not the system's own dialogs)."""
        pkg = self.app_package if self.app_package in self.packages else None
        out = []
        for n in self.nodes():
            if not n.displayed:
                continue
            if pkg is not None:
                if n.package == pkg:
                    out.append(n)
            elif n.package not in SYSTEM_PACKAGES | SYSTEM_DIALOG_PACKAGES:
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
        return [self.node(e) for e in found if isinstance(e, etree._Element)]
