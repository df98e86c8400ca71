"""YAML loading that remembers where each value came from.

Profiles and scenarios are written by people; when one is wrong the error must point at
``file:line`` and the field. PyYAML's composed node tree knows every node's line; this
module turns it into plain data plus a ``{path: line}`` map, and converts pydantic
validation errors into ``ConfigError``s at the right line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from harness.support.errors import ConfigError, ConfigErrors, display_path

T = TypeVar("T")
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
PathKey = tuple[str | int, ...]


@dataclass
class LoadedYaml:
    """A parsed YAML document with the line of every mapping key and list item."""

    path: Path
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return display_path(self.path)

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """Line (1-based) of the deepest known prefix of ``loc``."""
        key: PathKey = tuple(loc)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), None)

    def where(self, loc: Sequence[str | int] = ()) -> str:
        line = self.line_of(loc)
        return f"{self.name}:{line}" if line else self.name

    def error(
        self,
        loc: Sequence[str | int],
        problem: str,
        fix: str | None = None,
        example: str | None = None,
    ) -> ConfigError:
        return ConfigError(self.where(loc), dotted(loc) or None, problem, fix, example)


def load_many(paths: Iterable[Path], load: Callable[[Path], T],
              ident: Callable[[T], tuple[str, Path]], what: str) -> list[T]:
    """Load every file, report every problem of every file together, refuse duplicate ids."""
    items: list[T] = []
    errors: list[ConfigError] = []
    for path in paths:
        try:
            items.append(load(path))
        except ConfigErrors as exc:
            errors.extend(exc.errors)
        except ConfigError as exc:
            errors.append(exc)
    seen: dict[str, Path] = {}
    for item in items:
        key, path = ident(item)
        if key in seen:
            errors.append(ConfigError(display_path(path), "id",
                                      f"{what} id {key!r} is also used by "
                                      f"{display_path(seen[key])}",
                                      f"Give each {what} a unique id"))
        seen.setdefault(key, path)
    if errors:
        raise ConfigErrors(errors)
    return items


def dotted(loc: Sequence[str | int]) -> str:
    """``("steps", 3, "tap")`` -> ``steps[3].tap``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


#: The most values one document may construct. Hand-written files have a few thousand at
#: most; the bound stops aliases that expand exponentially (``a: &a [x, x]``,
#: ``b: &b [*a, *a]``, ...) from taking the machine's memory and time.
MAX_VALUES = 100_000


class _Refused(yaml.constructor.ConstructorError):
    """A document PyYAML reads but the harness will not: its own fix to show."""

    def __init__(self, problem: str, mark: yaml.Mark, fix: str) -> None:
        super().__init__(None, None, problem, mark)
        self.fix = fix


_NO_ALIASES = "Write the values out instead of repeating anchors (`&name`) inside each other"


class _Budget:
    """Values constructed so far, and the collections being constructed (an alias to one
    of those would make the document contain itself)."""

    def __init__(self) -> None:
        self.values = 0
        self.open: set[int] = set()

    def take(self, node: yaml.Node) -> None:
        self.values += 1
        if self.values > MAX_VALUES:
            raise _Refused(f"the document expands to more than {MAX_VALUES:,} values "
                           "(anchors and aliases repeated inside each other)",
                           node.start_mark, _NO_ALIASES)


def _construct(node: yaml.Node, loader: yaml.SafeLoader, prefix: PathKey,
               lines: dict[PathKey, int], budget: _Budget) -> Any:
    lines.setdefault(prefix, node.start_mark.line + 1)
    budget.take(node)
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        if id(node) in budget.open:
            raise _Refused("an alias refers to the value that contains it",
                           node.start_mark, _NO_ALIASES)
        budget.open.add(id(node))
        try:
            return _collection(node, loader, prefix, lines, budget)
        finally:
            budget.open.discard(id(node))
    return loader.construct_object(node, deep=True)


def _collection(node: yaml.MappingNode | yaml.SequenceNode, loader: yaml.SafeLoader,
                prefix: PathKey, lines: dict[PathKey, int], budget: _Budget) -> Any:
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            lines[(*prefix, i)] = item.start_mark.line + 1
            items.append(_construct(item, loader, (*prefix, i), lines, budget))
        return items
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark)
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            )
        skey = str(key)
        if skey in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {skey!r} (a list item takes one step; start "
                "a new item with '-')", key_node.start_mark)
        lines[(*prefix, skey)] = key_node.start_mark.line + 1
        out[skey] = _construct(value_node, loader, (*prefix, skey), lines, budget)
    return out


def load_yaml(path: Path) -> LoadedYaml:
    """Read ``path``; a missing file or malformed YAML is a ``ConfigError`` at its line."""
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(name, None, "file not found", "Check the path") from None
    except IsADirectoryError:
        raise ConfigError(name, None, "is a folder, not a YAML file",
                          "Give the path of the file itself") from None
    except OSError as exc:
        raise ConfigError(name, None, f"cannot be read ({exc.strerror or exc})",
                          "Check the path and its permissions") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(name, None, f"not UTF-8 text ({exc.reason})",
                          "Save the file as UTF-8") from None
    # libyaml's parser when PyYAML was built with it (about 15x faster; same nodes, marks
    # and errors), so that loading every profile and scenario stays cheap
    loader = _LOADER(text)
    lines: dict[PathKey, int] = {}
    try:
        node = loader.get_single_node()
        data = None if node is None else _construct(node, loader, (), lines, _Budget())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = f"invalid YAML: {exc.problem or exc.context}"
        ctx = exc.context_mark
        if ctx is not None and mark is not None and ctx.line != mark.line and exc.context:
            problem += f" ({exc.context} on line {ctx.line + 1})"
        raise ConfigError(
            f"{name}{line}", None, problem,
            exc.fix if isinstance(exc, _Refused) else
            "Check indentation and quoting near that line (quote values containing ': ' or '#')",
        ) from None
    except yaml.reader.ReaderError as exc:
        at = text.count("\n", 0, max(0, exc.position)) + 1
        char = exc.character
        code = ord(char) if isinstance(char, str) and len(char) == 1 else int(char)
        raise ConfigError(f"{name}:{at}", None,
                          f"invalid YAML: character #x{code:04x} is not allowed in YAML text",
                          "Remove the control character from that line") from None
    except yaml.YAMLError as exc:
        raise ConfigError(name, None, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return LoadedYaml(path=path, data=data, lines=lines)


def _field_loc(data: Any, loc: Sequence[str | int]) -> list[str | int]:
    """``loc`` without the parts pydantic adds for a union member or a validator
    (``list[str]``, ``function-after[...]``); a key the document has is always kept,
    whatever its spelling (an unknown key ``[x]`` is still named)."""
    out: list[str | int] = []
    node: Any = data
    for part in loc:
        present = (isinstance(node, dict) and isinstance(part, str) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
        if present:
            node = node[part]
        else:
            node = None
            if isinstance(part, str) and ("[" in part or part.startswith("function")):
                continue
        out.append(part)
    return out


def validation_errors(doc: LoadedYaml, exc: ValidationError,
                      examples: Mapping[str, str] | None = None,
                      base: Sequence[str | int] = (),
                      deepest: bool = False) -> list[ConfigError]:
    """Turn a pydantic error into one ``ConfigError`` per problem, each at its line.

    ``examples`` maps a field name to a correct YAML example shown with it: the first
    field of the error's path that has one, or with ``deepest`` the last.
    """
    out: list[ConfigError] = []
    for err in exc.errors(include_url=False):
        loc = _field_loc(doc.data, [p for p in (*base, *err["loc"]) if isinstance(p, str | int)])
        msg = str(err["msg"])
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if err["type"] == "missing":
            msg = "is required but missing"
        elif err["type"] == "extra_forbidden":
            msg = "is not a known field (check the spelling)"
        example = None
        if examples:
            for part in (reversed(loc) if deepest else loc):
                if isinstance(part, str) and part in examples:
                    example = examples[part]
                    break
        out.append(doc.error(loc, msg, example=example))
    return out
