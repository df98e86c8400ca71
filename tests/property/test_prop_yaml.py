"""Any text given as a YAML file loads, or is one ``ConfigError`` at ``file:line``."""

from __future__ import annotations

from pathlib import Path

from _parsing import Rejected, check_errors, parse, raw_yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.support.yamlfile import MAX_VALUES, load_yaml


@given(text=raw_yaml())
def test_any_yaml_ish_text_loads_or_names_its_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    got = parse(load_yaml, path)
    if isinstance(got, Rejected):
        check_errors(got, [path])


@given(data=st.binary(max_size=200))
def test_any_bytes_load_or_are_one_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "doc.yaml"
    path.write_bytes(data)
    got = parse(load_yaml, path)
    if isinstance(got, Rejected):
        check_errors(got, [path], need_line=False)
        assert len(got) == 1


@settings(max_examples=25)  # an example near the bound constructs 100,000 values
@given(depth=st.integers(min_value=2, max_value=12), width=st.integers(min_value=2,
                                                                       max_value=12))
def test_nested_aliases_never_expand_without_bound(tmp_path: Path, depth: int,
                                                   width: int) -> None:
    """The billion-laughs document, at every size: loaded when small, refused at its
    line when it would expand past ``MAX_VALUES``; never a hang."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, depth):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = parse(load_yaml, path)
    sizes = [1 + width]  # a list of `width` strings, then lists of `width` of the last
    for _ in range(1, depth):
        sizes.append(1 + width * sizes[-1])
    total = 1 + sum(sizes)  # the root mapping and every value under it
    if isinstance(got, Rejected):
        check_errors(got, [path])
        assert total > MAX_VALUES and "expands to more than" in str(got[0])
    else:
        assert total <= MAX_VALUES


def test_an_alias_inside_its_own_anchor_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "self.yaml"
    path.write_text("steps:\n  - &s [a, *s]\n", encoding="utf-8")
    [err] = parse(load_yaml, path)  # type: ignore[misc]
    assert err.location.endswith("self.yaml:2")
    assert "refers to the value that contains it" in str(err)
