"""Concepts: named groups of phrasings that mean one thing, in three scripts.

A rule says what a barrier *means* as a combination of concepts ("an identity document"
+ "a demand", cancelled by "a description of data collection"), and each concept lists how
apps write it. Chinese patterns are written once, in simplified characters: every
character with a traditional form (OpenCC's character tables, with the Taiwan and Hong
Kong variants) is widened to a class of both, so ``实名认证`` also reads ``實名認證`` and
``身份证`` reads ``身份證``. Words that differ between the regions (短信 / 簡訊, 账号 / 帳號,
支持 / 支援, 登录 / 登入) are listed as alternatives in the pattern itself.

Patterns are Python regular expressions, matched case-insensitively on normalized text
(NFKC: full-width letters, digits and punctuation folded to ASCII).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
CONCEPT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@cache
def han_variants() -> Mapping[str, str]:
    """Each Chinese character -> all forms of it (itself first): simplified, traditional,
    and the Taiwan and Hong Kong variants, from OpenCC's dictionaries."""
    groups: dict[str, list[str]] = {}
    base = resources.files("opencc").joinpath("dictionary")
    for name in ("STCharacters.txt", "TSCharacters.txt", "TWVariants.txt", "HKVariants.txt"):
        for line in base.joinpath(name).read_text(encoding="utf-8").splitlines():
            parts = line.replace("\t", " ").split()
            if len(parts) < 2:
                continue
            src, targets = parts[0], parts[1:]
            for ch in [src, *targets]:
                if len(ch) != 1:
                    continue
                forms = groups.setdefault(ch, [ch])
                for t in [src, *targets]:
                    if len(t) == 1 and t not in forms:
                        forms.append(t)
    return {ch: "".join(forms) for ch, forms in groups.items() if len(forms) > 1}


def widen(pattern: str) -> str:
    """``pattern`` with every Chinese character that has other forms widened to a class."""
    variants = han_variants()
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        forms = variants.get(ch) if _CJK.match(ch) else None
        if forms:
            out.append(forms if in_class else f"[{forms}]")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class Concept:
    """One meaning and the patterns that express it.

    ``scope`` says what a canceller of this concept cancels: ``clause`` (the default) the
    clauses it shares with what made the rule fire; ``sentence`` the whole sentence (a
    question, a bare status, a release note).
    """

    name: str
    description: str
    patterns: tuple[str, ...]
    regex: re.Pattern[str]
    scope: str = "clause"

    def find(self, text: str) -> re.Match[str] | None:
        return self.regex.search(text)


class ConceptError(ValueError):
    """A concept that cannot be compiled; the message names the concept and the pattern."""


def compile_concept(name: str, description: str, zh: Iterable[str], en: Iterable[str],
                    any_script: Iterable[str] = (), scope: str = "clause") -> Concept:
    if not CONCEPT_NAME.match(name):
        raise ConceptError(f"concept name {name!r} must be lowercase letters, digits and _")
    patterns = [widen(p) for p in zh] + list(en) + list(any_script)
    if not patterns:
        raise ConceptError(f"concept {name!r} has no patterns")
    for p in patterns:
        try:  # as it is compiled below: one alternative among the others
            re.compile(f"(?:{p})")
        except re.error as exc:
            raise ConceptError(f"concept {name!r}: {p!r} is not a valid regular expression "
                               f"as one alternative of the concept: {exc}") from None
    if scope not in ("clause", "sentence"):
        raise ConceptError(f"concept {name!r}: scope must be clause or sentence")
    try:
        regex = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    except re.error as exc:  # e.g. two patterns that name the same group
        raise ConceptError(f"concept {name!r}: its patterns do not combine into one "
                           f"regular expression: {exc}") from None
    return Concept(name, description, tuple(patterns), regex, scope)


#: Texts whose concept hits a lexicon remembers (then it starts again).
_SEEN_MAX = 20_000


@dataclass(frozen=True)
class Lexicon:
    """Every concept a rule set may name."""

    concepts: Mapping[str, Concept]
    #: ``hits`` by text: screens repeat their texts from poll to poll and step to step.
    _seen: dict[str, dict[str, str]] = field(default_factory=dict, compare=False,
                                             repr=False)

    def __getitem__(self, name: str) -> Concept:
        return self.concepts[name]

    def __contains__(self, name: object) -> bool:
        return name in self.concepts

    def hits(self, sentence: str) -> dict[str, str]:
        """Each concept found in ``sentence`` -> the text that expressed it (a new dict
        each call; the caller may change it)."""
        known = self._seen.get(sentence)
        if known is None:
            known = {}
            for name, concept in self.concepts.items():
                m = concept.find(sentence)
                if m is not None:
                    known[name] = m.group(0)
            if len(self._seen) >= _SEEN_MAX:
                self._seen.clear()
            self._seen[sentence] = known
        return dict(known)

    def merged(self, other: Lexicon) -> Lexicon:
        return Lexicon({**self.concepts, **other.concepts})


def script_of(text: str) -> str:
    """``zh-Hans``, ``zh-Hant``, ``en`` or ``mixed``: the script a matched text is in,
    by the characters that exist in only one of simplified and traditional Chinese."""
    if not _CJK.search(text):
        return "en"
    simplified, traditional = _script_sets()
    simp = sum(ch in simplified for ch in text)
    trad = sum(ch in traditional for ch in text)
    if simp > trad:
        return "zh-Hans"
    if trad > simp:
        return "zh-Hant"
    return "mixed"


@cache
def _script_sets() -> tuple[frozenset[str], frozenset[str]]:
    """Characters only simplified Chinese writes, and those only traditional writes."""
    base = resources.files("opencc").joinpath("dictionary")

    def sources(name: str) -> set[str]:
        out = set()
        for line in base.joinpath(name).read_text(encoding="utf-8").splitlines():
            parts = line.replace("\t", " ").split()
            if len(parts) >= 2 and parts[0] not in parts[1:]:
                out.add(parts[0])
        return out

    simplified, traditional = sources("STCharacters.txt"), sources("TSCharacters.txt")
    return frozenset(simplified - traditional), frozenset(traditional - simplified)
