"""The ``datapackage.json`` of a published folder: a Frictionless Data Package (v2).

Every file is a resource with its ``path``, ``title``, ``description``, ``format``,
``mediatype``, ``hash`` (``sha256:<hex>``) and, but for Parquet files, ``bytes``; every
table (the CSV and Parquet tables, and the JSON Lines envelopes) has a Table Schema whose
field descriptions come from ``harness.analysis.dictionary``, the same source as the data
dictionary. The package also
states its licence, sources, version, creation time, and, under ``harness``, the
selection, the definitions and the interval methods it was computed with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.analysis.dictionary import column_description, dictionary, envelope_field
from harness.analysis.envelopes import ENVELOPE_LAYOUT, TOP_KEYS, envelope_json_schema
from harness.analysis.schemas import SCHEMAS, Kind

#: The Data Package profile the descriptor follows.
PACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"

#: The licences a package can be published under (SPDX id -> title and text).
LICENSES: dict[str, dict[str, str]] = {
    "CC-BY-4.0": {"title": "Creative Commons Attribution 4.0 International",
                  "path": "https://creativecommons.org/licenses/by/4.0/"},
    "CC0-1.0": {"title": "Creative Commons Zero v1.0 Universal (public domain dedication)",
                "path": "https://creativecommons.org/publicdomain/zero/1.0/"},
    "ODbL-1.0": {"title": "Open Data Commons Open Database License v1.0",
                 "path": "https://opendatacommons.org/licenses/odbl/1-0/"},
}

#: Table Schema type of each column kind.
FIELD_TYPES: dict[Kind, str] = {"str": "string", "int": "integer", "float": "number",
                                "bool": "boolean", "datetime": "datetime", "json": "object"}

#: How timestamps are written, per format (Parquet stores them typed).
DATETIME_FORMATS: dict[str, str] = {"csv": "%Y-%m-%d %H:%M:%S.%fZ",
                                    "jsonl": "%Y-%m-%dT%H:%M:%S.%fZ"}

#: Each file format's media type.
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv", "parquet": "application/vnd.apache.parquet",
    "jsonl": "application/x-ndjson", "json": "application/schema+json",
    "md": "text/markdown", "cff": "application/x-yaml"}

#: The columns that identify a row, per table (checked as primary keys).
PRIMARY_KEYS: dict[str, list[str]] = {
    "measurements": ["measurement_id"], "barrier_matrix": ["app", "country"],
    "barrier_matrix_wide": ["app"], "by_region": ["region"], "by_app": ["app"],
    "funnel": ["stage"], "summary": ["metric"], "changes": ["app", "country"],
    "regional_contrasts": ["outcome", "region_a", "region_b"],
    "app_regions": ["app", "region"],
}


def sha256_of(path: Path) -> str:
    """``sha256:<hex>`` of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"


def _field(name: str, kind: Kind, description: str, fmt: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": FIELD_TYPES[kind], "description": description}
    if kind == "datetime" and fmt in DATETIME_FORMATS:
        out["format"] = DATETIME_FORMATS[fmt]
    return out


def table_schema(table: str, names: Sequence[str], fmt: str) -> dict[str, Any]:
    """The Table Schema of ``table`` as written in ``fmt`` with columns ``names`` (the
    wide matrix's country columns are text)."""
    kinds: dict[str, Kind] = dict(SCHEMAS[table])
    fields = [_field(n, kinds.get(n, "str"), column_description(table, n), fmt)
              for n in names]
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    if table in PRIMARY_KEYS:
        schema["primaryKey"] = PRIMARY_KEYS[table]
    return schema


def envelope_table_schema() -> dict[str, Any]:
    """The Table Schema of ``measurements.jsonl``: one field per top-level key of an
    envelope (groups are objects, the evidence an array; ``measurements.schema.json``
    describes them field by field)."""
    kinds: dict[str, Kind] = dict(SCHEMAS["measurements"])
    top = {path[0]: column for path, column in ENVELOPE_LAYOUT if len(path) == 1}
    props = envelope_json_schema()["properties"]
    fields: list[dict[str, Any]] = []
    for key in TOP_KEYS:
        if key in top:
            fields.append(_field(key, kinds[top[key]],
                                 column_description("measurements", top[key]), "jsonl"))
        else:
            kind = {"object": "object", "array": "array", "boolean": "boolean",
                    "string": "string"}[props[key]["type"]]
            fields.append({"name": key, "type": kind, "description": envelope_field(key)})
    return {"fields": fields, "primaryKey": ["measurement_id"]}


@dataclass(frozen=True)
class FileEntry:
    """One published file: its path under the folder, resource name, title and
    description, format, and Table Schema (``None`` for a file that is not a table)."""

    path: str
    name: str
    title: str
    description: str
    fmt: str
    schema: dict[str, Any] | None = None


def resource(root: Path, entry: FileEntry) -> dict[str, Any]:
    """The resource descriptor of ``entry`` (the file must exist under ``root``)."""
    path = root / entry.path
    out: dict[str, Any] = {
        "name": entry.name, "path": entry.path, "title": entry.title,
        "description": entry.description,
        "type": "table" if entry.schema is not None else (
            "text" if entry.fmt in ("md", "cff") else "file"),
        "format": entry.fmt, "mediatype": MEDIA_TYPES[entry.fmt]}
    if entry.fmt != "parquet":
        # frictionless reads Parquet through pyarrow, not as a byte stream, so it cannot
        # count a Parquet file's bytes and would fail the check; the hash is still given
        out["encoding"] = "utf-8"
        out["bytes"] = path.stat().st_size
    out["hash"] = sha256_of(path)
    if entry.schema is not None:
        out["schema"] = entry.schema
    return out


def table_entries(table: str, names: Sequence[str], formats: Sequence[str]
                  ) -> list[FileEntry]:
    """The CSV and Parquet files of one table, under ``tables/``."""
    info = dictionary().tables[table]
    return [FileEntry(f"tables/{table}.{fmt}", f"{table}-{fmt}",
                      f"{info.title} ({fmt.upper() if fmt == 'csv' else fmt.title()})",
                      info.description, fmt, table_schema(table, names, fmt))
            for fmt in formats]


def package_descriptor(root: Path, entries: Sequence[FileEntry], *, name: str, title: str,
                       description: str, version: str, created: str, license_id: str,
                       authors: Sequence[str], keywords: Sequence[str],
                       harness: Mapping[str, Any]) -> dict[str, Any]:
    """The whole ``datapackage.json`` for the files of ``entries`` under ``root``."""
    lic = LICENSES[license_id]
    return {
        "$schema": PACKAGE_PROFILE,
        "name": name, "title": title, "description": description, "version": version,
        "created": created,
        "licenses": [{"name": license_id, "path": lic["path"], "title": lic["title"]}],
        "sources": [{"title": f"rnr-harness {harness.get('harness_version', '')} "
                              "measurements database (the automated sign-up attempts)"
                              .replace("  ", " ")}],
        "contributors": [{"title": a, "roles": ["creator"]} for a in authors],
        "keywords": list(keywords),
        "resources": [resource(root, e) for e in entries],
        "harness": dict(harness),
    }


__all__ = [
    "DATETIME_FORMATS",
    "FIELD_TYPES",
    "LICENSES",
    "MEDIA_TYPES",
    "PACKAGE_PROFILE",
    "PRIMARY_KEYS",
    "FileEntry",
    "envelope_table_schema",
    "package_descriptor",
    "resource",
    "sha256_of",
    "table_entries",
    "table_schema",
]
