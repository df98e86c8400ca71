"""Open data: a folder that publishes the measurements the way measurement projects do.

``write_package(analysis, DIR)`` (``harness publish --out DIR``) writes::

    DIR/measurements.jsonl        one versioned envelope per attempt (harness.analysis.envelopes)
    DIR/measurements.schema.json  the JSON Schema of an envelope
    DIR/tables/<table>.csv        every analyst table of ``harness export``, as CSV ...
    DIR/tables/<table>.parquet    ... and Parquet
    DIR/data-dictionary.md        every file, field and column, and the definitions
    DIR/CITATION.cff              how to cite the dataset (CFF 1.2.0)
    DIR/LICENSE-DATA.md           the data's licence (CC BY 4.0 by default)
    DIR/datapackage.json          a Frictionless Data Package describing all of them

The folder is built beside ``DIR`` and renamed into place at the end, so a crash never
leaves a half-written package; a previous package in ``DIR`` is replaced whole. A folder
that holds anything else is never overwritten. Nothing secret is written (see
``harness.analysis.envelopes``); simulated measurements are flagged per row
(``simulated``, ``backend``) and in the package's description.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import __version__
from harness.analysis.datapackage import (
    LICENSES,
    FileEntry,
    envelope_table_schema,
    package_descriptor,
    table_entries,
)
from harness.analysis.definitions import (
    BARRIER_CASES,
    DOMESTIC_COUNTRIES,
    INTERVAL_METHODS,
    RNR_BARRIERS,
    TABLE_NAMES,
)
from harness.analysis.dictionary import dictionary
from harness.analysis.envelopes import (
    ENVELOPE_SCHEMA_VERSION,
    envelope_json_schema,
    iter_envelopes,
)
from harness.analysis.formats import MANIFEST_FILE, write_export
from harness.analysis.publish_docs import PackageInfo, citation, data_dictionary, licence
from harness.analysis.tables import Analysis
from harness.support.errors import ConfigError, HarnessError
from harness.support.secrets import mask_url
from harness.vocabulary.outcomes import DATA_FORMAT_VERSION

#: The descriptor's file name.
DATAPACKAGE_FILE = "datapackage.json"
#: The formats the tables are published in.
TABLE_FORMATS: tuple[str, ...] = ("csv", "parquet")

DEFAULT_TITLE = "Real-name registration and app-store barriers in mobile apps, by country"
DEFAULT_KEYWORDS: tuple[str, ...] = (
    "real-name registration", "mobile apps", "censorship measurement", "China",
    "app stores", "identifiability")


@dataclass(frozen=True)
class PublishOptions:
    """What the package says about itself. ``version`` defaults to the UTC date
    (``YYYY.MM.DD``); ``license_id`` is one of ``LICENSES``."""

    title: str = DEFAULT_TITLE
    name: str = "rnr-harness-measurements"
    version: str | None = None
    license_id: str = "CC-BY-4.0"
    authors: tuple[str, ...] = ("rnr-harness contributors",)
    keywords: tuple[str, ...] = DEFAULT_KEYWORDS


@dataclass
class PublishResult:
    """What ``write_package`` wrote: the folder, its files (relative paths), the rows
    per table, the envelopes and how many of them are simulated."""

    out_dir: Path
    files: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    envelopes: int = 0
    simulated: int = 0


def check_target(out_dir: Path) -> None:
    """``ConfigError`` unless ``out_dir`` is absent, an empty folder or a package written
    before (it has a ``datapackage.json``): anything else is never overwritten."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise ConfigError(f"--out={out_dir}", None, "is a file, not a folder",
                          "Give a new folder (it is created) or a folder written by "
                          "`harness publish` before", "--out open-data/")
    if any(out_dir.iterdir()) and not (out_dir / DATAPACKAGE_FILE).is_file():
        raise ConfigError(f"--out={out_dir}", None,
                          "holds files but no datapackage.json, so it is not a package "
                          "written by `harness publish`; it is left alone",
                          "Give a new or empty folder", "--out open-data/")


def check_not_empty(analysis: Analysis) -> None:
    """``ConfigError`` when the selection holds no measurement: an empty package says
    nothing (and a JSON Lines file without lines is no table)."""
    if analysis.count_measurements():
        return
    hidden = analysis.status_counts()["simulated_excluded"]
    hint = (f"{hidden:,} simulator rows are left out: add --include-simulated to publish "
            "them (they are flagged as simulated)" if hidden else
            "Widen the selection (--run, --since, --country, --region, --app), or measure "
            "first (`harness run`)")
    shown = mask_url(analysis.store.engine.url.render_as_string(hide_password=False))
    raise ConfigError(f"--db={shown}", None, "no measurement matches the selection, so there is "
                      "nothing to publish", hint, None)


def _envelopes(analysis: Analysis, path: Path) -> tuple[int, int]:
    n = simulated = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for env in iter_envelopes(analysis):
            fh.write(json.dumps(env, ensure_ascii=False, allow_nan=False) + "\n")
            n += 1
            simulated += bool(env["simulated"])
    return n, simulated


def _tables(analysis: Analysis, root: Path) -> tuple[dict[str, int], list[FileEntry],
                                                     list[str]]:
    """Every table as CSV and Parquet under ``root/tables``; their rows, file entries and
    the wide matrix's country columns."""
    result = write_export(analysis, root / "tables", TABLE_FORMATS, TABLE_NAMES)
    (root / "tables" / MANIFEST_FILE).unlink()  # its facts are in datapackage.json
    entries: list[FileEntry] = []
    wide: list[str] = []
    for table in TABLE_NAMES:
        with (root / "tables" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
            names = next(csv.reader(fh), [])
        if table == "barrier_matrix_wide":
            wide = names[2:]
        entries += table_entries(table, names, TABLE_FORMATS)
    return result.rows, entries, wide


def _harness_section(analysis: Analysis, result: PublishResult) -> dict[str, Any]:
    counts = analysis.status_counts()
    return {
        "harness_version": __version__, "data_format_version": DATA_FORMAT_VERSION,
        "envelope_schema_version": ENVELOPE_SCHEMA_VERSION,
        "selection": analysis.filters.describe(), "resolved_runs": list(analysis.runs),
        "verdicts": "as_measured" if analysis.filters.as_measured else "latest",
        "measurements": result.envelopes, "simulated_measurements": result.simulated,
        "simulated_rows_excluded": counts["simulated_excluded"],
        "rows": result.rows,
        "definitions": {
            "rnr_barriers": list(RNR_BARRIERS), "barrier_cases": dict(BARRIER_CASES),
            "confirmation_min_attempts": analysis.confirmation.min_attempts,
            "confirmation_min_hours": analysis.confirmation.min_hours,
            "domestic_countries_excluded_from_rates": list(DOMESTIC_COUNTRIES),
            "interval_methods": dict(INTERVAL_METHODS), "interval_cluster": "app"},
    }


def _description(info: PackageInfo) -> str:
    were = "was" if info.simulated == 1 else "were"
    sim = (f" {info.simulated:,} of them {were} taken on the simulator (backend sim, "
           "`simulated` true): they demonstrate the instrument and are not observations "
           "of real apps." if info.simulated else
           " None was taken on the simulator.")
    return (f"{info.abstract} {info.measurements:,} measurements (sign-up attempts) as "
            "versioned JSON envelopes with their verdicts, rule ids, rules versions and "
            "evidence hashes, and the analyst tables (barrier matrix, regional and per-app "
            "shares with 95% intervals clustered by app, funnel, headline figures) as CSV "
            f"and Parquet.{sim}")


def _info(options: PublishOptions, created: datetime, n: int, simulated: int) -> PackageInfo:
    return PackageInfo(
        title=options.title, version=options.version or created.strftime("%Y.%m.%d"),
        released=created.date().isoformat(), license_id=options.license_id,
        authors=options.authors, keywords=options.keywords,
        abstract=("Automated, repeated attempts to sign up to mobile apps from device "
                  "profiles of many countries, recording where sign-up stops and why "
                  "(real-name registration, phone-number and app-store barriers)."),
        measurements=n, simulated=simulated)


def _write_text(root: Path, name: str, text: str) -> None:
    (root / name).write_text(text, encoding="utf-8", newline="\n")


def _build(analysis: Analysis, root: Path, options: PublishOptions,
           created: datetime) -> PublishResult:
    result = PublishResult(root)
    result.envelopes, result.simulated = _envelopes(analysis, root / "measurements.jsonl")
    _write_text(root, "measurements.schema.json",
                json.dumps(envelope_json_schema(), indent=2, ensure_ascii=False) + "\n")
    result.rows, tables, wide = _tables(analysis, root)
    if result.rows.get("measurements") != result.envelopes:
        raise HarnessError("the database changed while publishing (the envelopes and the "
                           "measurements table differ in rows); publish again when no "
                           "run is writing to it")
    info = _info(options, created, result.envelopes, result.simulated)
    d = dictionary()
    entries = [
        FileEntry("measurements.jsonl", "measurements", "Measurements: one envelope per "
                  "attempt (JSON Lines)", d.envelope_description, "jsonl",
                  envelope_table_schema()),
        FileEntry("measurements.schema.json", "measurements-schema",
                  "JSON Schema of a measurement envelope",
                  "Every field of an envelope in measurements.jsonl, typed and described.",
                  "json"),
        *tables,
        FileEntry("data-dictionary.md", "data-dictionary", "Data dictionary",
                  "Every file, field and column of the package, and the definitions.", "md"),
        FileEntry("CITATION.cff", "citation", "How to cite (CITATION.cff)",
                  "Citation File Format 1.2.0.", "cff"),
        FileEntry("LICENSE-DATA.md", "license", f"Licence ({options.license_id})",
                  f"The data's licence: {LICENSES[options.license_id]['title']}.", "md"),
    ]
    _write_text(root, "data-dictionary.md", data_dictionary(info, entries, wide))
    _write_text(root, "CITATION.cff", citation(info))
    _write_text(root, "LICENSE-DATA.md", licence(info, entries))
    package = package_descriptor(
        root, entries, name=options.name, title=options.title,
        description=_description(info), version=info.version,
        created=created.isoformat(timespec="seconds").replace("+00:00", "Z"),
        license_id=options.license_id, authors=options.authors,
        keywords=options.keywords, harness=_harness_section(analysis, result))
    _write_text(root, DATAPACKAGE_FILE, json.dumps(package, indent=2, ensure_ascii=False)
                + "\n")
    result.files = [e.path for e in entries] + [DATAPACKAGE_FILE]
    return result


def _swap(built: Path, out_dir: Path) -> None:
    """Put ``built`` in place of ``out_dir`` (renames on the same file system)."""
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{datetime.now(UTC):%Y%m%d%H%M%S%f}")
        out_dir.rename(old)
    try:
        built.rename(out_dir)
    except BaseException:
        if old is not None:
            old.rename(out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_package(analysis: Analysis, out_dir: Path,
                  options: PublishOptions | None = None,
                  created: datetime | None = None) -> PublishResult:
    """Publish ``analysis`` in ``out_dir`` (see the module doc); ``ConfigError`` before
    writing anything for a folder it must not overwrite, an unknown licence or a
    selection without measurements."""
    options = options or PublishOptions()
    if options.license_id not in LICENSES:
        raise ConfigError(f"--license={options.license_id}", None, "is not offered",
                          f"Choose one of {', '.join(LICENSES)}", "--license CC-BY-4.0")
    out_dir = out_dir.resolve()
    check_target(out_dir)
    check_not_empty(analysis)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    built = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    os.chmod(built, 0o755)  # mkdtemp makes it private; the package is for publishing
    try:
        result = _build(analysis, built, options, created or datetime.now(UTC))
        _swap(built, out_dir)
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise
    result.out_dir = out_dir
    return result


def published_files(out_dir: Path) -> Sequence[str]:
    """The files a published folder's ``datapackage.json`` lists (its resources' paths)."""
    package = json.loads((out_dir / DATAPACKAGE_FILE).read_text(encoding="utf-8"))
    return [str(r["path"]) for r in package["resources"]]


__all__ = [
    "DATAPACKAGE_FILE",
    "DEFAULT_KEYWORDS",
    "DEFAULT_TITLE",
    "TABLE_FORMATS",
    "PublishOptions",
    "PublishResult",
    "check_not_empty",
    "check_target",
    "published_files",
    "write_package",
]
