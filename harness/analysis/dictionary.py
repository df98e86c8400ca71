"""What every exported table and column means, from one source.

``harness/data/data_dictionary.yaml`` describes each table of ``SCHEMAS`` (a title, a
paragraph, one sentence or more per column, notes) and the fields that only the published
measurement envelopes have. Everything that describes a column reads it from here: the
sections of docs/data-dictionary.md (a test checks that they match), the data dictionary
and the Table Schemas of ``harness publish``. Column names and kinds stay in
``harness.analysis.schemas``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from harness.analysis.schemas import SCHEMAS, Kind

#: The file, in the ``harness.data`` package.
DICTIONARY_FILE = "data_dictionary.yaml"

#: The wide matrix's country columns are described once, under this name.
COUNTRY_COLUMN = "XX"

#: How each column kind is named in the docs and the published dictionary.
DOC_TYPES: dict[Kind, str] = {"str": "text", "int": "integer", "float": "float",
                              "bool": "boolean", "datetime": "timestamp", "json": "json"}


@dataclass(frozen=True)
class TableEntry:
    """One table's title, description (markdown), column descriptions and notes."""

    name: str
    title: str
    description: str
    columns: Mapping[str, str]
    notes: str | None


@dataclass(frozen=True)
class Dictionary:
    """Every table's entry, and the envelope's own description and fields."""

    tables: Mapping[str, TableEntry]
    envelope_description: str
    envelope_fields: Mapping[str, str]


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuntimeError(f"harness/data/{DICTIONARY_FILE}: {where} must be a text")
    return value.strip()


@functools.cache
def dictionary() -> Dictionary:
    """The parsed dictionary (read once)."""
    raw = yaml.safe_load(resources.files("harness.data").joinpath(DICTIONARY_FILE)
                         .read_text("utf-8"))
    tables = {}
    for name, entry in raw["tables"].items():
        columns = {str(c): _text(d, f"tables.{name}.columns.{c}")
                   for c, d in entry["columns"].items()}
        tables[str(name)] = TableEntry(
            str(name), _text(entry["title"], f"tables.{name}.title"),
            _text(entry["description"], f"tables.{name}.description"), columns,
            entry.get("notes", "").strip() or None)
    env = raw["envelope"]
    return Dictionary(tables, _text(env["description"], "envelope.description"),
                      {str(k): _text(v, f"envelope.fields.{k}")
                       for k, v in env["fields"].items()})


def table_entry(table: str) -> TableEntry:
    """The entry of ``table``; ``LookupError`` for a table the dictionary lacks."""
    try:
        return dictionary().tables[table]
    except KeyError:
        raise LookupError(f"harness/data/{DICTIONARY_FILE} does not describe the table "
                          f"{table!r}") from None


def column_description(table: str, column: str) -> str:
    """What ``column`` of ``table`` means. A country column of the wide matrix gets the
    description of ``XX``. ``LookupError`` for a column the dictionary lacks."""
    columns = table_entry(table).columns
    if column in columns:
        return columns[column]
    if table == "barrier_matrix_wide" and re.fullmatch(r"[A-Z]{2}", column):
        return columns[COUNTRY_COLUMN]
    raise LookupError(f"harness/data/{DICTIONARY_FILE}: the table {table!r} has no "
                      f"description of its column {column!r}")


def envelope_field(name: str) -> str:
    """What an envelope-only field (``simulated``, ``evidence.sha256``, ...) means."""
    try:
        return dictionary().envelope_fields[name]
    except KeyError:
        raise LookupError(f"harness/data/{DICTIONARY_FILE}: envelope.fields has no "
                          f"{name!r}") from None


def missing_descriptions() -> list[str]:
    """``table.column`` for every column of ``SCHEMAS`` without a description, and every
    description of a column ``SCHEMAS`` does not have (empty when they agree)."""
    out = []
    for table, columns in SCHEMAS.items():
        names = [n for n, _ in columns]
        described = set(table_entry(table).columns) - {COUNTRY_COLUMN}
        out += [f"{table}.{n}: no description" for n in names if n not in described]
        out += [f"{table}.{n}: described but not a column" for n in sorted(described)
                if n not in names]
    return out


def markdown_columns(table: str, columns: Sequence[tuple[str, Kind]] | None = None) -> str:
    """The ``| column | type | meaning |`` table of ``table`` (its ``SCHEMAS`` columns,
    or ``columns``; the wide matrix adds its ``XX`` row)."""
    cols = list(SCHEMAS[table] if columns is None else columns)
    lines = ["| column | type | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{n}` | {DOC_TYPES[k]} | {column_description(table, n)} |" for n, k in cols]
    if table == "barrier_matrix_wide" and columns is None:
        lines.append(f"| `{COUNTRY_COLUMN}` | text | "
                     f"{table_entry(table).columns[COUNTRY_COLUMN]} |")
    return "\n".join(lines)


def markdown_section(table: str, level: int = 2) -> str:
    """The docs section of ``table``: heading, description, columns and notes."""
    entry = table_entry(table)
    parts = [f"{'#' * level} `{table}`", entry.description, markdown_columns(table)]
    if entry.notes:
        parts.append(entry.notes)
    return "\n\n".join(parts)


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def docs_out_of_date(docs: str) -> list[str]:
    """The tables whose section in ``docs`` (the text of docs/data-dictionary.md) differs
    from :func:`markdown_section` (line breaks aside)."""
    flat = _squeezed(docs)
    return [t for t in SCHEMAS if _squeezed(markdown_section(t)) not in flat]


def rewrite_docs(docs: str) -> str:
    """``docs`` with every table's section replaced by :func:`markdown_section` (a
    section runs from its ``## `table``` heading to the next ``## `` heading)."""
    for table in SCHEMAS:
        pattern = re.compile(rf"^## `{re.escape(table)}`\n.*?(?=^## |\Z)", re.S | re.M)
        section = markdown_section(table) + "\n\n"
        docs = pattern.sub(lambda _m: section, docs, count=1)  # noqa: B023 - used at once
    return docs


__all__ = [
    "COUNTRY_COLUMN",
    "DICTIONARY_FILE",
    "DOC_TYPES",
    "Dictionary",
    "TableEntry",
    "column_description",
    "dictionary",
    "docs_out_of_date",
    "envelope_field",
    "markdown_columns",
    "markdown_section",
    "missing_descriptions",
    "rewrite_docs",
    "table_entry",
]
