"""What every parser of a user's file must do with any input, and inputs to try.

A parser given any text returns a parsed object or raises the project's user-facing error
(``ConfigError`` / ``ConfigErrors``), each error naming the file (and its line wherever
the parser knows it) and, for a problem in one field, that field. Anything else escaping
the parser (a ``KeyError``, a ``RecursionError``, pydantic's own exception) is a bug, and
hypothesis shows it with its traceback and the input that caused it.

Inputs come in two kinds: *structured* ones, a real file's data with one node replaced,
removed or added, dumped back to YAML (so the error must name that node), and *raw* ones,
a real file's text with lines dropped, repeated, re-indented or spliced with random text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from hypothesis import strategies as st

from harness.support.errors import ConfigError, ConfigErrors, HarnessError, display_path
from harness.support.yamlfile import dotted, load_yaml

T = TypeVar("T")
PathKey = tuple[str | int, ...]
_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
REPO = Path(__file__).resolve().parents[2]

#: Text that must never appear in a message shown to a user.
_INTERNALS = ("Traceback", " object at 0x", "<class '", "pydantic_core", "For further "
              "information visit")


class Rejected(list[ConfigError]):
    """The errors a parser raised for an input."""


def parse(load: Callable[[Path], T], path: Path) -> T | Rejected:
    """``load(path)``, or the user-facing errors it raised; any other exception escapes."""
    try:
        return load(path)
    except ConfigErrors as exc:
        assert exc.errors, "ConfigErrors without any error"
        return Rejected(exc.errors)
    except ConfigError as exc:
        return Rejected([exc])
    except HarnessError as exc:  # user-facing too: one paragraph naming the file
        text = str(exc)
        assert display_path(path) in text, text
        return Rejected([ConfigError(display_path(path), None, text)])


def parse_change(load: Callable[[Path], T], change: Mutated, path: Path, tmp: Path
                 ) -> T | None:
    """Write the changed document to ``path`` and load it: the parsed object, or None
    once its errors were checked to name the file and the changed place (or its line;
    ``tmp`` is where ``line_of`` may write its probe)."""
    text = change.text()
    path.write_text(text, encoding="utf-8")
    got = parse(load, path)
    if not isinstance(got, Rejected):
        return got
    check_errors(got, [path])
    assert names_place(got, change.loc, line_of(text, change.loc, tmp)), \
        (change.kind, change.loc, [str(e) for e in got])
    return None


def check_errors(errors: Sequence[ConfigError], files: Sequence[Path],
                 need_line: bool = True) -> None:
    """Each error is one clear message at ``file`` or ``file:line`` of one of ``files``;
    with ``need_line``, an error about a field always has the line (an error about the
    whole file, such as an empty one, may have none)."""
    names = [display_path(f) for f in files]
    for e in errors:
        text = str(e)
        assert text.strip(), "an empty error message"
        for bad in _INTERNALS:
            assert bad not in text, text
        assert any(e.location == n or e.location.startswith(n + ":") for n in names), \
            (e.location, names, text)
        if need_line and e.field:
            assert re.search(r":\d+$", e.location), f"no line in {e.location!r}: {text}"


def names_place(errors: Sequence[ConfigError], loc: PathKey, line: int | None) -> bool:
    """Whether some error points at ``loc``: a field on the same branch of the document
    (the node, a field inside it, or the mapping that holds it), or its line; else
    whether every error points at some other field at its line (a change can make
    another field wrong: a step that no longer uses a flow's parameter is reported at
    the parameter).

    A change to a top-level field may be reported at another top-level field that
    depends on it (``extends:`` removed: its ``with:`` is then refused), so for those any
    named field counts.
    """
    want = dotted(loc)
    top = str(loc[0]) if loc else ""
    for e in errors:
        field = e.field or ""
        if field and (len(loc) <= 1 or field.startswith(want) or want.startswith(field)
                      or field.split(".")[0].split("[")[0] == top):
            return True
        if line is not None and e.location.endswith(f":{line}"):
            return True
    return all(e.field and re.search(r":\d+$", e.location) for e in errors)


# --------------------------------------------------------------------------- structured


def node_paths(data: Any, prefix: PathKey = ()) -> list[PathKey]:
    """The path of every node below the root of a YAML document's data."""
    out: list[PathKey] = []
    items: list[tuple[str | int, Any]] = (
        list(data.items()) if isinstance(data, dict)
        else list(enumerate(data)) if isinstance(data, list) else [])
    for key, value in items:
        out.append((*prefix, key))
        out.extend(node_paths(value, (*prefix, key)))
    return out


def _scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(), st.booleans(), st.integers(min_value=-10**12, max_value=10**12),
        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
        st.sampled_from(["", " ", "-1", "0", "1e309", "${HARNESS_NOPE}", "$param", "{phone.x}",
                         "+49", "+4915123456789", "DE", "xx", "[", "同意", "http://",
                         "socks5://u:p@h:1", "//*[@id='x']", "(?P<", "a" * 300]))


def yaml_values() -> st.SearchStrategy[Any]:
    """Values a person might write anywhere: scalars, short lists and mappings of them."""
    return st.recursive(
        _scalars(),
        lambda inner: st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=10), inner, max_size=3),
        max_leaves=6)


@dataclass(frozen=True)
class Mutated:
    """A document with one change, and where that change is."""

    data: Any
    loc: PathKey
    kind: str

    def text(self) -> str:
        return yaml.dump(self.data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False)


def _copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copy(v) for v in data]
    return data


def _parent(data: Any, loc: PathKey) -> Any:
    node = data
    for key in loc[:-1]:
        node = node[key]
    return node


@st.composite
def mutated(draw: st.DrawFn, data: Any) -> Mutated:
    """``data`` with one node replaced, deleted, or given an unknown sibling key."""
    doc = _copy(data)
    paths = node_paths(doc)
    if not paths:
        return Mutated(draw(yaml_values()), (), "replace")
    loc = draw(st.sampled_from(paths))
    parent, key = _parent(doc, loc), loc[-1]
    kind = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "retype"]))
    if kind == "delete":
        del parent[key]
        return Mutated(doc, loc[:-1], kind)
    if kind == "add" and isinstance(parent, dict):
        name = draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in parent))
        parent[name] = draw(yaml_values())
        return Mutated(doc, (*loc[:-1], name), kind)
    if kind == "retype":  # the same value in another shape: a list of it, its text
        old = parent[key]
        parent[key] = draw(st.sampled_from([[old], {"value": old}, str(old), None]))
        return Mutated(doc, loc, kind)
    parent[key] = draw(yaml_values())
    return Mutated(doc, loc, "replace")


def line_of(text: str, loc: PathKey, tmp: Path) -> int | None:
    """The line of ``loc`` (or its nearest parent) in the YAML ``text``."""
    probe = tmp / "_probe.yaml"
    probe.write_text(text, encoding="utf-8")
    return load_yaml(probe).line_of(loc)


# --------------------------------------------------------------------------- raw text


@st.composite
def damaged(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few lines dropped, repeated, re-indented, or spliced with noise."""
    lines = text.splitlines()
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        if not lines:
            lines = [""]
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        op = draw(st.sampled_from(["drop", "repeat", "indent", "dedent", "splice", "insert",
                                   "truncate"]))
        if op == "drop":
            del lines[i]
        elif op == "repeat":
            lines.insert(i, lines[i])
        elif op == "indent":
            lines[i] = " " * draw(st.integers(1, 4)) + lines[i]
        elif op == "dedent":
            lines[i] = lines[i].lstrip()
        elif op == "splice":
            at = draw(st.integers(min_value=0, max_value=len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.text(max_size=8)) + lines[i][at:]
        elif op == "insert":
            lines.insert(i, draw(st.text(max_size=40)))
        else:
            lines = lines[: i + 1]
    return "\n".join(lines) + "\n"


def raw_yaml() -> st.SearchStrategy[str]:
    """Text that is YAML-ish: keys, lists, flow collections, anchors and noise."""
    token = st.sampled_from([": ", "- ", "{", "}", "[", "]", ", ", "&a ", "*a", "!!str ",
                             "!!python/object ", "? ", "|\n  ", ">-\n  ", "'", '"', "#",
                             "\t", "\n", "\n  ", "id", "steps", "phone", "null", "~", "1",
                             "<<: ", "%YAML 1.1\n", "---\n", "...\n", "\\x00", "\ufeff"])
    return st.lists(st.one_of(token, st.text(max_size=6)), max_size=40).map("".join)


def load_seed(path: Path) -> Any:
    """A real file's data, as the seed of structured mutations."""
    return load_yaml(path).data


def repo_files(*patterns: str) -> list[Path]:
    return sorted(p for pattern in patterns for p in REPO.glob(pattern))
