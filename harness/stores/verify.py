"""``harness stores verify``: confirm the catalog's Apple ids against the lookup API.

Identifiers in the catalog come from public catalogues and may be wrong. The check looks
every Apple id up (all of them in one request per storefront) and compares the record's
``bundleId`` with the catalog's ``bundle_id``:

- ``match``: both agree, so ``apple_id`` and ``bundle_id`` can be marked verified;
- ``mismatch``: the id belongs to an app with another bundle id: one of the two is
  wrong, and neither may stay verified;
- ``unconfirmed``: a record exists but the catalog has no ``bundle_id`` to compare; the
  report shows the store's, for a person to add;
- ``not_found``: no record in any storefront asked (the app may be sold only elsewhere,
  e.g. Douyin in CN, or withdrawn); nothing changes;
- ``failed``: the lookup itself failed; nothing changes.

With ``--write`` the catalog's ``verified:`` lists are rewritten in place (one line per
app, comments and layout kept), the result is re-validated, and the file is replaced
atomically.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from harness.spec.catalog import Catalog, CatalogApp, load_catalog
from harness.stores.apple import AppleLookup, AppleRecord
from harness.stores.fetch import failure_detail
from harness.support.errors import ConfigError, display_path
from harness.support.yamlfile import LoadedYaml, load_yaml

APPLE_IDENTIFIERS = frozenset({"apple_id", "bundle_id"})


class VerifyStatus(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    UNCONFIRMED = "unconfirmed"
    NOT_FOUND = "not_found"
    FAILED = "failed"


@dataclass(frozen=True)
class VerifyRow:
    app: CatalogApp
    status: VerifyStatus
    country: str | None = None
    record: AppleRecord | None = None
    detail: str = ""

    def new_verified(self) -> frozenset[str] | None:
        """The app's ``verified`` set after this check, or None when it does not change."""
        old = set(self.app.verified)
        if self.status is VerifyStatus.MATCH:
            return frozenset(old | APPLE_IDENTIFIERS)
        if self.status is VerifyStatus.MISMATCH:
            return frozenset(old - APPLE_IDENTIFIERS)
        return None


def verify_catalog(apple: AppleLookup, apps: Sequence[CatalogApp], countries: Sequence[str]
                   ) -> list[VerifyRow]:
    """Look every app with an Apple id up in ``countries`` (in order) and compare."""
    wanted = [a for a in apps if a.apple_id is not None]
    found: dict[int, tuple[str, AppleRecord]] = {}
    errors: dict[int, str] = {}
    ids = sorted({a.apple_id for a in wanted if a.apple_id is not None})
    for country in countries:
        missing = [i for i in ids if i not in found]
        for start in range(0, len(missing), apple.chunk_size):
            chunk = missing[start:start + apple.chunk_size]
            ex, records = apple.lookup(chunk, country)
            if records is None:
                msg = (failure_detail("apple", ex.failed, ex.attempts) if ex.failed
                       else "no answer")
                for i in chunk:
                    errors.setdefault(i, f"{country}: {msg}")
                continue
            for i in chunk:
                if i in records:
                    found[i] = (country, records[i])
                    errors.pop(i, None)
    rows: list[VerifyRow] = []
    for app in wanted:
        assert app.apple_id is not None
        hit = found.get(app.apple_id)
        if hit is None:
            if app.apple_id in errors:
                rows.append(VerifyRow(app, VerifyStatus.FAILED, detail=errors[app.apple_id]))
            else:
                rows.append(VerifyRow(app, VerifyStatus.NOT_FOUND,
                                      detail=f"no record in {', '.join(countries)}"))
            continue
        country, rec = hit
        if not app.bundle_id:
            rows.append(VerifyRow(app, VerifyStatus.UNCONFIRMED, country, rec,
                                  f"the store says bundle id {rec.bundle_id}; add "
                                  f"`bundle_id: {rec.bundle_id}` to the catalog to verify"))
        elif rec.bundle_id == app.bundle_id:
            rows.append(VerifyRow(app, VerifyStatus.MATCH, country, rec, "bundle ids agree"))
        else:
            rows.append(VerifyRow(app, VerifyStatus.MISMATCH, country, rec,
                                  f"catalog bundle id {app.bundle_id}, store {rec.bundle_id}"))
    return rows


_VERIFIED_LINE = re.compile(r"^(?P<indent>\s*)verified:\s*(?P<value>\[[^\]]*\])?\s*"
                            r"(?P<comment>#.*)?$")


def _flow(values: Iterable[str]) -> str:
    return "[" + ", ".join(sorted(values)) + "]"


_Edits = dict[int, tuple[int, str]]  # first line index -> (lines to drop, new text)


def _verified_edit(path: Path, doc: LoadedYaml, lines: list[str], i: int,
                   new: frozenset[str]) -> tuple[int, tuple[int, str]]:
    """The edit that gives app ``i`` the ``verified:`` line ``new``, keyed by its first line."""
    key_line = doc.lines.get(("apps", i, "verified"))
    if key_line is None:
        id_line = doc.lines[("apps", i, "id")] - 1
        col = lines[id_line].index("id:")
        return id_line + 1, (0, f"{' ' * col}verified: {_flow(new)}\n")
    idx = key_line - 1
    m = _VERIFIED_LINE.match(lines[idx].rstrip("\r\n"))
    if m is None:
        raise ConfigError(f"{display_path(path)}:{key_line}", f"apps[{i}].verified",
                          "cannot rewrite this `verified:` line automatically",
                          "Write it on one line, e.g. `verified: [apple_id]`")
    drop = 1
    if m.group("value") is None:  # block list: drop the "- item" lines under it
        indent = len(m.group("indent"))
        while (idx + drop < len(lines)
               and re.match(r"^\s*-\s", lines[idx + drop])
               and len(lines[idx + drop]) - len(lines[idx + drop].lstrip()) >= indent):
            drop += 1
    comment = f"  {m.group('comment')}" if m.group("comment") else ""
    return idx, (drop, f"{m.group('indent')}verified: {_flow(new)}{comment}\n")


def _apply_edits(lines: list[str], edits: _Edits) -> str:
    """``lines`` with each edit's lines dropped and its new text put in their place."""
    out: list[str] = []
    i = 0
    while i <= len(lines):
        if i in edits:
            drop, text = edits[i]
            out.append(text)
            if drop:
                i += drop
                continue
        if i < len(lines):
            out.append(lines[i])
        i += 1
    return "".join(out)


def _replace_checked(path: Path, text: str, changes: Mapping[str, frozenset[str]],
                     changed: list[str]) -> None:
    """Replace ``path`` by ``text`` atomically once it loads with the intended values."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        check: Catalog = load_catalog(tmp)
        for app_id in changed:
            got = check.get(app_id)
            if got is None or got.verified != changes[app_id]:
                raise ConfigError(display_path(path), None,
                                  f"rewriting `verified:` of {app_id} did not give the "
                                  "intended value; the file was left unchanged")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def update_verified(path: Path, changes: Mapping[str, frozenset[str]]) -> list[str]:
    """Rewrite ``verified:`` of the apps in ``changes`` (app id -> identifiers) in ``path``.

    Returns the ids whose line changed. The new text is validated as a catalog before the
    file is replaced, so a failed edit never leaves a broken catalog behind.
    """
    doc = load_yaml(path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    apps = doc.data.get("apps", []) if isinstance(doc.data, dict) else []
    edits: _Edits = {}
    changed: list[str] = []
    for i, app in enumerate(apps):
        if not isinstance(app, dict) or app.get("id") not in changes:
            continue
        app_id = str(app["id"])
        new = changes[app_id]
        if set(app.get("verified") or []) == set(new):
            continue
        at, edit = _verified_edit(path, doc, lines, i, new)
        edits[at] = edit
        changed.append(app_id)
    if not changed:
        return []
    _replace_checked(path, _apply_edits(lines, edits), changes, changed)
    return changed
