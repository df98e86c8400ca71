"""The data page (``data.html``): links to the open data that ``harness publish`` wrote,
how to cite it and under what licence.

``harness report --data DIR`` names the folder ``harness publish --out DIR`` wrote. Its
``datapackage.json`` (a Frictionless Data Package) lists the files (``resources[].path``
with ``title`` or ``name``, ``format``, ``bytes``, ``description``) and their licences
(``licenses[]``); ``CITATION.cff`` beside it says how to cite the data. Each is linked by
its path relative to the site, so the site and the data folder can be moved together.
Without ``--data`` the page says how to produce them. A folder without a readable
``datapackage.json`` is a one-paragraph error naming the file and the field.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.analysis.cells import esc_inline
from harness.analysis.site.layout import esc, table
from harness.support.errors import ConfigError, display_path

DATAPACKAGE = "datapackage.json"
CITATION = "CITATION.cff"
#: File names a licence statement may have, when ``licenses[].path`` names none.
LICENCE_GLOBS: tuple[str, ...] = ("LICENSE*", "LICENCE*")


@dataclass(frozen=True)
class Resource:
    title: str
    path: str
    format: str
    bytes: int | None
    description: str


@dataclass(frozen=True)
class DataFolder:
    """What the data page links to, read from a ``harness publish`` folder."""

    root: Path
    title: str
    version: str
    resources: tuple[Resource, ...]
    licences: tuple[str, ...]
    licence_files: tuple[str, ...]
    citation: str | None


def _fail(path: Path, field: str | None, problem: str) -> ConfigError:
    return ConfigError(display_path(path), field, problem,
                       "Give --data the folder `harness publish --out DIR` wrote (it holds "
                       "datapackage.json), or leave --data out")


def _resource(path: Path, i: int, raw: Any) -> Resource:
    if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
        raise _fail(path, f"resources[{i}].path", "each resource needs a `path` (text)")
    rel = raw["path"]
    if rel.startswith("/") or ".." in Path(rel).parts or "://" in rel:
        raise _fail(path, f"resources[{i}].path",
                    f"{rel!r} is not a path inside the data folder")
    size = raw.get("bytes")
    if not isinstance(size, int) and (path.parent / rel).is_file():
        size = (path.parent / rel).stat().st_size  # a package may leave `bytes` out
    return Resource(str(raw.get("title") or raw.get("name") or rel), rel,
                    str(raw.get("format") or Path(rel).suffix.lstrip(".")),
                    size if isinstance(size, int) else None,
                    str(raw.get("description") or ""))


def _licences(root: Path, doc: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names, files = [], []
    for lic in doc.get("licenses") or []:
        if isinstance(lic, dict):
            names.append(str(lic.get("title") or lic.get("name") or ""))
            rel = lic.get("path")
            if isinstance(rel, str) and "://" not in rel and (root / rel).is_file():
                files.append(rel)
    if not files:
        files = sorted({p.name for g in LICENCE_GLOBS for p in root.glob(g) if p.is_file()})
    return tuple(n for n in names if n), tuple(files)


def read_data_folder(root: Path) -> DataFolder:
    """Read ``root/datapackage.json`` (``ConfigError`` when it is missing or malformed)."""
    path = root / DATAPACKAGE
    if not root.is_dir():
        raise _fail(root, None, "no such folder")
    if not path.is_file():
        raise _fail(path, None, "no such file")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(path, None, f"not readable JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list):
        raise _fail(path, "resources", "a data package lists its files under `resources`")
    resources = tuple(_resource(path, i, r) for i, r in enumerate(doc["resources"]))
    names, files = _licences(root, doc)
    citation = CITATION if (root / CITATION).is_file() else None
    return DataFolder(root, str(doc.get("title") or doc.get("name") or "Published data"),
                      str(doc.get("version") or ""), resources, names, files, citation)


def _href(folder: DataFolder, rel: str, site_dir: Path) -> str:
    target = (folder.root / rel).resolve()
    return Path(os.path.relpath(target, site_dir.resolve())).as_posix()


def _size(n: int | None) -> str:
    if n is None:
        return "–"
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB" if n >= 1e3 else f"{n} B"


def _without_data() -> str:
    return ("<h2>Publish the data first</h2><p class='note'>This site was built without "
            "the published data. Write it, then build the site again with a link to it:</p>"
            "<pre>harness publish --out reports/data\nharness report --data reports/data "
            "--out reports/site/</pre><p class='note'>(add <code>--include-simulated</code> "
            "to both for the demo). <code>harness publish</code> writes every measurement, "
            "the analyst tables, a data dictionary, a <code>datapackage.json</code>, a "
            "<code>CITATION.cff</code> and the data's licence; this page then links each "
            "of them and says how to cite them.</p>")


def data_body(folder: DataFolder | None, site_dir: Path) -> str:
    """The data page's body."""
    head = "<h1>Data and citation</h1>"
    if folder is None:
        return head + _without_data()
    rows = [[f"<a href='{esc(_href(folder, r.path, site_dir))}'>{esc(r.title)}</a>",
             f"<code>{esc(r.path)}</code>", esc(r.format), _size(r.bytes),
             esc_inline(r.description)] for r in folder.resources]
    out = [head, f"<p class='sub'>{esc(folder.title)}"
           + (f", version {esc(folder.version)}" if folder.version else "") + "</p>",
           f"<p class='note'>The files are in <code>{esc(display_path(folder.root))}</code>; "
           f"<a href='{esc(_href(folder, DATAPACKAGE, site_dir))}'>datapackage.json</a> "
           "describes every file and column (Frictionless Data Package).</p>",
           "<h2 id='files'>Files</h2>",
           table(["File", "Path", "Format", "Size", "Description"], rows, limit=60,
                 more="files")]
    out.append("<h2 id='cite'>How to cite</h2>")
    if folder.citation:
        text = (folder.root / folder.citation).read_text(encoding="utf-8", errors="replace")
        out.append(f"<p>Cite the data as <a href='{esc(_href(folder, CITATION, site_dir))}'>"
                   f"CITATION.cff</a> says:</p><pre>{esc(text)}</pre>")
    else:
        out.append("<p class='note'>The data folder has no CITATION.cff.</p>")
    out.append("<h2 id='licence'>Licence</h2>")
    lic = ", ".join(folder.licences)
    links = " · ".join(f"<a href='{esc(_href(folder, f, site_dir))}'>{esc(f)}</a>"
                       for f in folder.licence_files)
    out.append(f"<p>{esc(lic) or 'The data package names no licence.'}"
               + (f" The licence statement: {links}." if links else "") + "</p>")
    return "".join(out)


__all__ = ["CITATION", "DATAPACKAGE", "DataFolder", "Resource", "data_body",
           "read_data_folder"]
