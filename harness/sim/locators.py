"""Locator strategies: which nodes of a snapshot a ``find element`` request means.

Strategies are those UiAutomator2 accepts and the harness uses: ``id`` (resource id, in
full ``pkg:id/name`` or the short ``name``), ``xpath`` (evaluated by lxml on the very
tree ``/source`` returns), ``accessibility id`` (content-desc), ``class name``, and
``-android uiautomator`` for the common ``new UiSelector()`` methods. A search inside an
element only returns that element's descendants.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from harness.sim.errors import InvalidArgument, InvalidSelector
from harness.sim.ui import Node, Snapshot

Predicate = Callable[[Node], bool]

_CALL = re.compile(r"""\.\s*(\w+)\s*\(\s*("(?:[^"\\]|\\.)*"|true|false|-?\d+)?\s*\)""")
_SELECTOR_START = re.compile(r"^\s*(?:new\s+)?UiSelector\s*\(\s*\)")


def _id_matches(value: str) -> Predicate:
    if ":id/" in value:
        return lambda node: node.resource_id == value
    suffix = ":id/" + value
    return lambda node: node.resource_id == value or node.resource_id.endswith(suffix)


def _java_string(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InvalidSelector(f"bad regular expression {pattern!r}: {exc}") from exc


@dataclass(frozen=True)
class _UiSelector:
    predicates: tuple[Predicate, ...]
    instance: int | None


#: UiSelector string methods: which node attribute each reads, and how it compares.
_STRING_METHODS: dict[str, tuple[Callable[[Node], str], str]] = {
    "text": (lambda n: n.display_text, "equals"),
    "textContains": (lambda n: n.display_text, "contains"),
    "textStartsWith": (lambda n: n.display_text, "startswith"),
    "textMatches": (lambda n: n.display_text, "matches"),
    "resourceId": (lambda n: n.resource_id, "equals"),
    "resourceIdMatches": (lambda n: n.resource_id, "matches"),
    "description": (lambda n: n.content_desc, "equals"),
    "descriptionContains": (lambda n: n.content_desc, "contains"),
    "descriptionStartsWith": (lambda n: n.content_desc, "startswith"),
    "descriptionMatches": (lambda n: n.content_desc, "matches"),
    "className": (lambda n: n.cls, "equals"),
    "classNameMatches": (lambda n: n.cls, "matches"),
    "packageName": (lambda n: n.package, "equals"),
}


def _string_predicate(method: str, arg: str) -> Predicate:
    if method not in _STRING_METHODS:
        raise InvalidSelector(f"UiSelector.{method}(String) is not supported")
    read, how = _STRING_METHODS[method]
    if how == "equals":
        return lambda n: read(n) == arg
    if how == "contains":
        return lambda n: arg in read(n)
    if how == "startswith":
        return lambda n: read(n).startswith(arg)
    pattern = _regex(arg)
    return lambda n: pattern.fullmatch(read(n)) is not None


def _index_is(index: int) -> Predicate:
    return lambda node: node.index == index


def _bool_attr(name: str, wanted: bool) -> Predicate:
    return lambda node: bool(getattr(node, name)) is wanted


def parse_uiselector(expression: str) -> _UiSelector:
    """Parse ``new UiSelector().text("x").className("y")``; unsupported methods fail."""
    start = _SELECTOR_START.match(expression)
    if start is None:
        raise InvalidSelector(
            f"only 'new UiSelector()...' expressions are supported, got {expression!r}"
        )
    rest = expression[start.end() :].strip().rstrip(";").strip()
    predicates: list[Predicate] = []
    instance: int | None = None
    position = 0
    while position < len(rest):
        call = _CALL.match(rest, position)
        if call is None:
            raise InvalidSelector(f"cannot parse UiSelector near {rest[position:]!r}")
        position = call.end()
        method, raw = call.group(1), call.group(2)
        if raw is None:
            raise InvalidSelector(f"UiSelector.{method}() needs an argument")
        if raw.startswith('"'):
            predicates.append(_string_predicate(method, _java_string(raw)))
        elif raw in ("true", "false"):
            flags = {
                "clickable": "clickable",
                "enabled": "enabled",
                "checked": "checked",
                "checkable": "checkable",
                "focused": "focused",
                "focusable": "focusable",
                "scrollable": "scrollable",
                "selected": "selected",
                "longClickable": "long_clickable",
            }
            if method not in flags:
                raise InvalidSelector(f"UiSelector.{method}(boolean) is not supported")
            predicates.append(_bool_attr(flags[method], raw == "true"))
        else:
            number = int(raw)
            if method == "instance":
                instance = number
            elif method == "index":
                predicates.append(_index_is(number))
            else:
                raise InvalidSelector(f"UiSelector.{method}(int) is not supported")
    return _UiSelector(tuple(predicates), instance)


def _in_scope(node: Node, scope: Node | None) -> bool:
    return scope is None or any(a is scope for a in node.ancestors())


def _xpath(snapshot: Snapshot, expression: str, scope: Node | None) -> list[Node]:
    context = snapshot.hierarchy if scope is None else snapshot.element_of(scope)
    try:
        result = context.xpath(expression)
    except etree.XPathError as exc:
        raise InvalidSelector(f"invalid XPath {expression!r}: {exc}") from exc
    if not isinstance(result, list):
        raise InvalidSelector(f"XPath {expression!r} does not select elements")
    found: list[Node] = []
    for item in result:
        if not isinstance(item, etree._Element):
            raise InvalidSelector(f"XPath {expression!r} does not select elements")
        node = snapshot.node_of(item)
        if node is not None and _in_scope(node, scope) and node not in found:
            found.append(node)
    return found


def find_nodes(snapshot: Snapshot, using: str, value: str, scope: Node | None = None) -> list[Node]:
    """All nodes matching the locator, in document order, inside ``scope`` if given."""
    if not isinstance(value, str):
        raise InvalidArgument("the locator value must be a string")
    if using == "xpath":
        return _xpath(snapshot, value, scope)
    predicate: Predicate
    instance: int | None = None
    if using == "id":
        predicate = _id_matches(value)
    elif using == "accessibility id":
        predicate = lambda node: node.content_desc == value  # noqa: E731
    elif using == "class name":
        predicate = lambda node: node.cls == value  # noqa: E731
    elif using == "-android uiautomator":
        selector = parse_uiselector(value)
        predicate = lambda node: all(p(node) for p in selector.predicates)  # noqa: E731
        instance = selector.instance
    else:
        raise InvalidArgument(f"locator strategy {using!r} is not supported by the simulator")
    found = [n for n in snapshot.nodes() if n is not scope and _in_scope(n, scope) and predicate(n)]
    if instance is not None:
        return found[instance : instance + 1]
    return found
