"""Screens as element trees, laid out and serialised the way UiAutomator2 shows them.

Apps describe a screen as a small tree of ``Node`` objects built with the widget
helpers below (``text_view``, ``button``, ``edit_text``, ``list_view`` ...), without
coordinates. ``Snapshot`` lays the tree out on a 1080x2400 portrait screen inside the
usual window decor, gives every node a stable key (its resource id, or an explicit key
for list rows) and builds the lxml tree that ``/source`` returns and that XPath
locators are evaluated against, so what a client reads is always what it can find.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from lxml import etree

SCREEN_WIDTH = 1080
SCREEN_HEIGHT = 2400

FRAME_LAYOUT = "android.widget.FrameLayout"
LINEAR_LAYOUT = "android.widget.LinearLayout"
TEXT_VIEW = "android.widget.TextView"
BUTTON = "android.widget.Button"
EDIT_TEXT = "android.widget.EditText"
LIST_VIEW = "android.widget.ListView"
IMAGE_VIEW = "android.widget.ImageView"

XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"

Bounds = tuple[int, int, int, int]

_MARGIN = 60
_GAP = 36
_ROW_HEIGHT = 150
_STATUS_BAR = 96
#: Glyph height in px by text style; a CJK glyph is about as wide as it is high.
_FONT_PX = {"title": 72, "body": 46, "small": 38}
_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(eq=False)
class Node:
    """One view. ``action`` is what tapping it tells the app; ``binds`` names the app
    field an EditText edits. Both are simulator-internal and never serialised."""

    cls: str
    text: str = ""
    resource_id: str = ""
    content_desc: str = ""
    hint: str = ""
    clickable: bool = False
    enabled: bool = True
    focusable: bool = False
    focused: bool = False
    checkable: bool = False
    checked: bool = False
    scrollable: bool = False
    password: bool = False
    selected: bool = False
    long_clickable: bool = False
    action: str | None = None
    binds: str | None = None
    key: str = ""
    style: str = "body"
    children: list[Node] = field(default_factory=list)
    package: str = ""
    bounds: Bounds = (0, 0, 0, 0)
    index: int = 0
    parent: Node | None = field(default=None, repr=False)

    @property
    def display_text(self) -> str:
        """The ``text`` attribute: an empty EditText shows its hint, as Android reports it."""
        if self.cls == EDIT_TEXT and not self.text:
            return self.hint
        return self.text

    @property
    def center(self) -> tuple[int, int]:
        x1, y1, x2, y2 = self.bounds
        return (x1 + x2) // 2, (y1 + y2) // 2

    def walk(self) -> Iterator[Node]:
        """This node and its descendants in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


# --- widget helpers --------------------------------------------------------------------


def column(children: Sequence[Node], *, rid: str = "", style: str = "body") -> Node:
    """A vertical LinearLayout; ``style="dialog"`` centres it as a dialog panel."""
    return Node(LINEAR_LAYOUT, resource_id=rid, style=style, children=list(children))


def grid(children: Sequence[Node], *, rid: str = "") -> Node:
    """Four cells a row, as a launcher's app grid."""
    return Node(LINEAR_LAYOUT, resource_id=rid, style="grid", children=list(children))


def text_view(text: str, *, rid: str = "", style: str = "body", desc: str = "") -> Node:
    return Node(TEXT_VIEW, text=text, resource_id=rid, style=style, content_desc=desc)


def button(text: str, action: str, *, rid: str = "", enabled: bool = True, desc: str = "") -> Node:
    return Node(
        BUTTON,
        text=text,
        resource_id=rid,
        content_desc=desc,
        action=action,
        clickable=True,
        focusable=True,
        enabled=enabled,
    )


def edit_text(binds: str, value: str, *, rid: str, hint: str = "", focused: bool = False) -> Node:
    return Node(
        EDIT_TEXT,
        text=value,
        hint=hint,
        resource_id=rid,
        binds=binds,
        clickable=True,
        focusable=True,
        focused=focused,
        long_clickable=True,
    )


def list_row(text: str, action: str, *, rid: str, key: str, desc: str = "") -> Node:
    """A tappable ListView row; ``key`` keeps its element id valid while it stays listed."""
    return Node(
        TEXT_VIEW,
        text=text,
        resource_id=rid,
        content_desc=desc,
        action=action,
        key=key,
        clickable=True,
        focusable=True,
        style="row",
    )


def list_view(rows: Sequence[Node], *, rid: str) -> Node:
    """A ListView that takes the remaining height; rows below the fold are not in the
    hierarchy, as with a real (recycling) list."""
    return Node(LIST_VIEW, resource_id=rid, scrollable=True, focusable=True, children=list(rows))


def image(desc: str, *, rid: str = "", style: str = "image") -> Node:
    return Node(IMAGE_VIEW, content_desc=desc, resource_id=rid, style=style)


# --- layout ------------------------------------------------------------------------------


def _text_height(text: str, style: str, width: int) -> int:
    px = _FONT_PX.get(style, _FONT_PX["body"])
    lines = 0
    for paragraph in text.split("\n") or [""]:
        units = sum(px if ord(ch) >= 0x2E80 else px * 0.55 for ch in paragraph)
        lines += max(1, math.ceil(units / max(width, 1)))
    return lines * int(px * 1.35) + 24


def _preferred_height(node: Node, width: int) -> int | None:
    """Height a node wants at ``width``; None for a list, which fills what is left."""
    if node.cls == LIST_VIEW:
        return None
    if node.cls in (BUTTON, EDIT_TEXT):
        return max(150, _text_height(node.display_text, "body", width - 60) + 40)
    if node.cls == IMAGE_VIEW:
        return 480 if node.style == "qr" else 200
    if node.cls == TEXT_VIEW:
        return _text_height(node.text, node.style, width)
    if node.style == "grid":
        return math.ceil(len(node.children) / 4) * 300
    inner = width - 2 * _MARGIN
    heights = [_preferred_height(child, inner) or 600 for child in node.children]
    return sum(heights) + _GAP * max(len(heights) - 1, 0) + 2 * _MARGIN


def _layout(node: Node, bounds: Bounds) -> None:
    node.bounds = bounds
    x1, y1, x2, y2 = bounds
    if node.cls == LIST_VIEW:
        kept: list[Node] = []
        y = y1
        for row in node.children:
            if y + _ROW_HEIGHT > y2:
                break
            _layout(row, (x1, y, x2, y + _ROW_HEIGHT))
            kept.append(row)
            y += _ROW_HEIGHT
        node.children = kept
        return
    if node.style == "grid":
        cell = (x2 - x1) // 4
        for i, child in enumerate(node.children):
            cx, cy = x1 + (i % 4) * cell, y1 + (i // 4) * 300
            _layout(child, (cx + 12, cy + 12, cx + cell - 12, cy + 288))
        return
    if not node.children or node.cls not in (LINEAR_LAYOUT, FRAME_LAYOUT):
        return
    if node.cls == FRAME_LAYOUT:
        for child in node.children:
            if child.style == "dialog":
                panel = min(_preferred_height(child, x2 - x1 - 2 * _MARGIN) or 0, y2 - y1)
                top = y1 + (y2 - y1 - panel) // 2
                _layout(child, (x1 + _MARGIN, top, x2 - _MARGIN, top + panel))
            else:
                _layout(child, bounds)
        return
    inner_x1, inner_x2 = x1 + _MARGIN, x2 - _MARGIN
    width = inner_x2 - inner_x1
    wanted = [_preferred_height(child, width) for child in node.children]
    fixed = sum(h for h in wanted if h is not None) + _GAP * (len(wanted) - 1)
    fill = max(y2 - y1 - 2 * _MARGIN - fixed, 300)
    y = y1 + _MARGIN
    for child, height in zip(node.children, wanted, strict=True):
        h = fill if height is None else height
        _layout(child, (inner_x1, y, inner_x2, y + h))
        y += h + _GAP


def _link(node: Node, package: str, parent_key: str, rid_counts: dict[str, int]) -> None:
    node.package = package
    if not node.key:
        unique = node.resource_id and rid_counts.get(node.resource_id, 0) == 1
        node.key = f"#{node.resource_id}" if unique else f"{parent_key}/{node.index}"
    for i, child in enumerate(node.children):
        child.index = i
        child.parent = node
        _link(child, package, node.key, rid_counts)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _clean(value: str) -> str:
    return _XML_INVALID.sub("", value)


class Snapshot:
    """One rendering of the current screen: laid-out nodes and their XML twins.

    ``content`` is wrapped in the window decor (a full-screen FrameLayout holding
    ``android:id/content``); a ``style="dialog"`` content is shown as a centred panel,
    the only window in the hierarchy, as UiAutomator2 shows an active dialog.
    """

    def __init__(self, content: Node, package: str) -> None:
        decor = Node(
            FRAME_LAYOUT,
            style="dim" if content.style == "dialog" else "body",
            children=[Node(FRAME_LAYOUT, resource_id="android:id/content", children=[content])],
        )
        _layout(decor, (0, _STATUS_BAR, SCREEN_WIDTH, SCREEN_HEIGHT))
        decor.bounds = (0, 0, SCREEN_WIDTH, SCREEN_HEIGHT)
        rid_counts: dict[str, int] = {}
        for node in decor.walk():
            if node.resource_id:
                rid_counts[node.resource_id] = rid_counts.get(node.resource_id, 0) + 1
        _link(decor, package, "", rid_counts)
        self.root = decor
        self.package = package
        self.hierarchy = etree.Element("hierarchy")
        for name, value in (
            ("index", "0"),
            ("class", "hierarchy"),
            ("rotation", "0"),
            ("width", str(SCREEN_WIDTH)),
            ("height", str(SCREEN_HEIGHT)),
        ):
            self.hierarchy.set(name, value)
        self._node_of: dict[etree._Element, Node] = {}
        self._element_of: dict[int, etree._Element] = {}
        self._by_key: dict[str, Node] = {}
        self._build(decor, self.hierarchy)

    def _build(self, node: Node, parent: etree._Element) -> None:
        x1, y1, x2, y2 = node.bounds
        attrs = {
            "index": str(node.index),
            "package": node.package,
            "class": node.cls,
            "text": _clean(node.display_text),
            "content-desc": _clean(node.content_desc),
            "resource-id": node.resource_id,
            "hint": _clean(node.hint),
            "checkable": _bool(node.checkable),
            "checked": _bool(node.checked),
            "clickable": _bool(node.clickable),
            "enabled": _bool(node.enabled),
            "focusable": _bool(node.focusable),
            "focused": _bool(node.focused),
            "long-clickable": _bool(node.long_clickable),
            "password": _bool(node.password),
            "scrollable": _bool(node.scrollable),
            "selected": _bool(node.selected),
            "bounds": f"[{x1},{y1}][{x2},{y2}]",
            "displayed": "true",
        }
        element = etree.SubElement(parent, node.cls)
        for name, value in attrs.items():
            element.set(name, value)
        self._node_of[element] = node
        self._element_of[id(node)] = element
        self._by_key.setdefault(node.key, node)
        for child in node.children:
            self._build(child, element)

    def source(self) -> str:
        """The page source, as UiAutomator2's ``/source`` returns it."""
        body = etree.tostring(self.hierarchy, encoding="unicode", pretty_print=True)
        return f"{XML_DECLARATION}\r\n{body}"

    def nodes(self) -> Iterator[Node]:
        """Every node in document order."""
        return self.root.walk()

    def by_key(self, key: str) -> Node | None:
        return self._by_key.get(key)

    def element_of(self, node: Node) -> etree._Element:
        return self._element_of[id(node)]

    def node_of(self, element: etree._Element) -> Node | None:
        return self._node_of.get(element)
