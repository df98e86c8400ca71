"""The documents of a published folder: the data dictionary, ``CITATION.cff`` (Citation
File Format 1.2.0) and the licence statement.

The data dictionary is written from ``harness.analysis.dictionary`` (every table and
column) and the envelope's JSON Schema (every field), the same descriptions the
``datapackage.json`` carries.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from harness.analysis.datapackage import LICENSES, FileEntry
from harness.analysis.definitions import (
    BARRIER_CASES,
    DOMESTIC_COUNTRIES,
    INTERVAL_METHODS,
    RNR_BARRIERS,
)
from harness.analysis.dictionary import dictionary, markdown_columns
from harness.analysis.envelopes import ENVELOPE_SCHEMA_VERSION, field_rows
from harness.analysis.schemas import SCHEMAS


@dataclass(frozen=True)
class PackageInfo:
    """What the documents say about the package: title, version, date, licence, authors,
    keywords, the abstract, and how many measurements are simulated."""

    title: str
    version: str
    released: str
    license_id: str
    authors: tuple[str, ...]
    keywords: tuple[str, ...]
    abstract: str
    measurements: int
    simulated: int


def _files_table(entries: Sequence[FileEntry]) -> list[str]:
    lines = ["| file | what it holds |", "| --- | --- |"]
    lines += [f"| `{e.path}` | {e.title} |" for e in entries]
    return lines


def _simulated_note(info: PackageInfo) -> str:
    if not info.simulated:
        return ("Every measurement was taken on a real device or emulator (`backend` "
                "`appium`); none comes from the simulator.")
    were = "was" if info.simulated == 1 else "were"
    return (f"**{info.simulated:,} of the {info.measurements:,} measurements {were} taken "
            "on the simulator** (`backend` `sim`, `simulated` true in the envelopes): they "
            "demonstrate the instrument and are not observations of real apps.")


def _definitions() -> list[str]:
    codes = ", ".join(f"`{b}`" for b in RNR_BARRIERS)
    lines = ["## Definitions", "", f"- RNR barriers (real-name registration): {codes}.",
             f"- Rates leave out instances in {', '.join(DOMESTIC_COUNTRIES)} (domestic).",
             "- Barrier cases (`barrier_case`):"]
    lines += [f"  - `{k}`: {v}" for k, v in BARRIER_CASES.items()]
    lines += ["- Interval methods (`*_ci_method`, `ci_method`); shares of (app, country) "
              "instances are clustered by app, since the same apps recur in every country:"]
    lines += [f"  - `{k}`: {v}" for k, v in INTERVAL_METHODS.items()]
    return lines


def data_dictionary(info: PackageInfo, entries: Sequence[FileEntry],
                    wide_columns: Sequence[str]) -> str:
    """The folder's ``data-dictionary.md``."""
    d = dictionary()
    lines = [f"# Data dictionary: {info.title}", "",
             f"Version {info.version}, released {info.released}; licence {info.license_id} "
             "(`LICENSE-DATA.md`). The same descriptions are in `datapackage.json` (a "
             "Frictionless Data Package).", "", _simulated_note(info), "", "## Files", "",
             *_files_table(entries), "",
             "Conventions: timestamps are UTC (CSV `2024-03-01 08:00:00.000000Z`, JSON "
             "`2024-03-01T08:00:00.000000Z`, Parquet `timestamp[us, UTC]`); booleans are "
             "`true`/`false`; a missing value is an empty CSV field, JSON `null` or a "
             "Parquet null.", "",
             f"## `measurements.jsonl` (envelope schema {ENVELOPE_SCHEMA_VERSION})", "",
             d.envelope_description, "", "| field | type | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{name}` | {kind} | {text} |" for name, kind, text in field_rows()]
    lines += ["", "## Tables (`tables/<table>.csv`, `tables/<table>.parquet`)", ""]
    for table in SCHEMAS:
        entry = d.tables[table]
        lines += [f"### `{table}`: {entry.title}", "", entry.description, "",
                  markdown_columns(table), ""]
        if table == "barrier_matrix_wide" and wide_columns:
            lines += [f"Country columns here: {', '.join(f'`{c}`' for c in wide_columns)}.",
                      ""]
        if entry.notes:
            lines += [entry.notes, ""]
    lines += _definitions()
    return "\n".join(lines) + "\n"


def _yaml(value: str) -> str:
    """A YAML scalar: JSON's double-quoted string is valid YAML."""
    return json.dumps(value, ensure_ascii=False)


def citation(info: PackageInfo) -> str:
    """``CITATION.cff`` (CFF 1.2.0) for the dataset."""
    lines = ["cff-version: 1.2.0",
             "message: If you use these data, please cite them as below.",
             "type: dataset", f"title: {_yaml(info.title)}", f"version: {_yaml(info.version)}",
             f"date-released: {info.released}", f"license: {info.license_id}",
             f"abstract: {_yaml(info.abstract)}", "authors:"]
    lines += [f"  - name: {_yaml(a)}" for a in info.authors]
    if info.keywords:
        lines.append("keywords:")
        lines += [f"  - {_yaml(k)}" for k in info.keywords]
    return "\n".join(lines) + "\n"


def licence(info: PackageInfo, entries: Sequence[FileEntry]) -> str:
    """``LICENSE-DATA.md``: the data's licence and what it covers."""
    lic = LICENSES[info.license_id]
    lines = [f"# Licence of the data: {lic['title']} ({info.license_id})", "",
             f"The files of this package ({info.title}, version {info.version}) are "
             f"published under the {lic['title']} licence: {lic['path']}", ""]
    if info.license_id == "CC-BY-4.0":
        lines += ["You may share and adapt them for any purpose, provided you give "
                  "appropriate credit (see `CITATION.cff`), link to the licence and say "
                  "whether you made changes.", ""]
    lines += ["It covers:", "", *[f"- `{e.path}`" for e in entries], "",
              "The measurements hold no personal data of the testers: phone numbers and "
              "egress addresses appear masked, and secrets (full numbers, SMS codes, "
              "passwords, keyed hashes, proxy credentials) are never part of the data.",
              "The software that produced them (rnr-harness) is licensed separately "
              "(MIT). App names and texts quoted from app screens remain their owners'.",
              "", "The data are provided as is, without warranty of any kind.", "",
              _simulated_note(info)]
    return "\n".join(lines) + "\n"


__all__ = [
    "PackageInfo",
    "citation",
    "data_dictionary",
    "licence",
]
