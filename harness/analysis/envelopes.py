"""The published raw measurements: one versioned JSON envelope per attempt (JSON Lines).

An envelope is the measurement record of DESIGN.md §3 (OONI's measurement envelope is
the model): ids, versions, the scenario, app, target country, profile, device and backend,
the times, the verdict with its rule id and rules version, the verdict as measured, the
store observation, the observed vantage, and the evidence files' names and SHA-256
hashes. It holds exactly the columns of the ``measurements`` export (``ENVELOPE_LAYOUT``
places each one) plus ``schema_version``, ``simulated`` and ``evidence``, so
:func:`flatten` gives the export's row back.

Secrets are never present: the measurements export already withholds the keyed hashes,
the proxy and the device set-up; every string of an envelope is run through
``harness.support.secrets.scrub`` once more on the way out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

from harness.analysis.dictionary import column_description, dictionary, envelope_field
from harness.analysis.frames import typed_frame
from harness.analysis.schemas import MEASUREMENT_COLUMNS, Kind
from harness.analysis.tables import Analysis
from harness.storage.models import Artifact
from harness.support.secrets import scrub
from harness.vocabulary.outcomes import Backend

#: Version of the envelope layout. A change of layout (a field moved, renamed or removed)
#: is a new major version; a new field is a new minor version.
ENVELOPE_SCHEMA_VERSION = "1.0.0"

#: The grouped fields and the ``measurements`` column each holds, as (key, column).
_GROUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "verdict": tuple((c, c) for c in (
        "status", "outcome", "stage", "barrier", "rnr_barrier", "failure", "failure_detail",
        "access_level", "rule_id", "rules_version", "matched_text", "reclassified",
        "reclassified_at")),
    "measured_verdict": tuple((c, f"measured_{c}") for c in (
        "status", "outcome", "barrier", "rule_id", "rules_version")),
    "store": (("result", "store_result"), ("rule_id", "store_rule_id"),
              ("detail", "store_detail")),
    "vantage": (*((c, c) for c in (
        "phone_masked", "phone_source", "phone_country", "egress_ip_masked", "egress_asn",
        "ip_country", "geoip_country", "ip_sources_agree", "sim_country", "network_country",
        "device_sim_operator", "device_locale", "device_timezone", "gps_country",
        "location_set", "gps_detail", "device_egress_country")),
        ("source", "vantage_source"), ("checked_at", "vantage_checked_at")),
}
_MATCHES: tuple[tuple[str, str], ...] = (
    ("ip_country", "ip_country_match"), ("sim_country", "sim_country_match"),
    ("locale", "locale_match"), ("timezone", "timezone_match"),
    ("gps_country", "gps_country_match"), ("device_egress_country", "device_egress_match"))
_TOP_HEAD = ("measurement_id", "run_id", "data_format_version", "harness_version",
             "scenario_id", "scenario_version", "scenario_verified", "app_id", "app_name",
             "country", "region", "profile_id", "device_id", "backend")
_TOP_TIMES = ("started_at", "ended_at", "duration_s")
_TOP_TAIL = ("features", "steps_done")


def _layout() -> tuple[tuple[tuple[str, ...], str], ...]:
    out: list[tuple[tuple[str, ...], str]] = [((c,), c) for c in (*_TOP_HEAD, *_TOP_TIMES)]
    for group in ("verdict", "measured_verdict", "store"):
        out += [((group, key), col) for key, col in _GROUPS[group]]
    out += [((c,), c) for c in _TOP_TAIL]
    out += [(("vantage", key), col) for key, col in _GROUPS["vantage"]]
    out += [(("vantage", "matches", key), col) for key, col in _MATCHES]
    return tuple(out)


#: Where each ``measurements`` column sits in an envelope: (path of keys, column).
ENVELOPE_LAYOUT: tuple[tuple[tuple[str, ...], str], ...] = _layout()

if sorted(c for _, c in ENVELOPE_LAYOUT) != sorted(n for n, _ in MEASUREMENT_COLUMNS):
    # pragma: no cover - a developer's mistake
    raise RuntimeError("ENVELOPE_LAYOUT is out of date with MEASUREMENT_COLUMNS")

#: The top-level keys of an envelope, in order (``schema_version`` first).
TOP_KEYS: tuple[str, ...] = ("schema_version", *_TOP_HEAD, "simulated", *_TOP_TIMES,
                             "verdict", "measured_verdict", "store", *_TOP_TAIL, "vantage",
                             "evidence")

_KINDS: dict[str, Kind] = dict(MEASUREMENT_COLUMNS)


def _value(value: Any, kind: Kind) -> Any:
    """A column's value as JSON: timestamps ISO 8601 UTC with microseconds and ``Z``,
    JSON columns parsed, NaN as null, text scrubbed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind == "datetime":
        stamp = value if isinstance(value, datetime) else pd.Timestamp(value).to_pydatetime()
        return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if kind == "json":
        return json.loads(scrub(value)) if isinstance(value, str) else value
    if isinstance(value, str):
        return scrub(value)
    return value


def envelope(row: Mapping[str, Any], evidence: Sequence[Mapping[str, Any]] = ()
             ) -> dict[str, Any]:
    """The envelope of one ``measurements`` row (a column -> value mapping)."""
    out: dict[str, Any] = {key: None for key in TOP_KEYS}
    out["schema_version"] = ENVELOPE_SCHEMA_VERSION
    for path, column in ENVELOPE_LAYOUT:
        node = out
        for key in path[:-1]:
            if node.get(key) is None:
                node[key] = {}
            node = node[key]
        node[path[-1]] = _value(row.get(column), _KINDS[column])
    out["simulated"] = row.get("backend") == Backend.SIM.value
    out["evidence"] = [{k: (scrub(v) if isinstance(v, str) else v) for k, v in e.items()}
                       for e in evidence]
    return out


def flatten(env: Mapping[str, Any]) -> dict[str, Any]:
    """The ``measurements`` row of an envelope (column -> JSON value): the inverse of
    :func:`envelope` for every column."""
    row: dict[str, Any] = {}
    for path, column in ENVELOPE_LAYOUT:
        node: Any = env
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        row[column] = node
    return row


def evidence_of(conn: Connection, measurement_ids: Sequence[str]
                ) -> dict[str, list[dict[str, Any]]]:
    """measurement id -> its evidence files in the order saved: ``kind``, ``step``,
    ``path`` (relative to the artifacts root), ``sha256`` and ``bytes``. URLs are left
    out: they name a local folder or a bucket."""
    a = Artifact.__table__.c
    out: dict[str, list[dict[str, Any]]] = {}
    ids = list(measurement_ids)
    for start in range(0, len(ids), 500):
        stmt = (select(a.measurement_id, a.kind, a.step_idx, a.path, a.sha256, a.size)
                .where(a.measurement_id.in_(ids[start:start + 500]))
                .order_by(a.measurement_id, a.id))
        for mid, kind, step, path, sha, size in conn.execute(stmt):
            out.setdefault(str(mid), []).append(
                {"kind": str(kind), "step": None if step is None else int(step),
                 "path": str(path), "sha256": str(sha), "bytes": int(size)})
    return out


def iter_envelopes(analysis: Analysis, chunk_rows: int = 5_000) -> Iterator[dict[str, Any]]:
    """Every exported attempt of ``analysis`` as an envelope, oldest first."""
    with analysis.store.engine.connect() as conn:
        for batch in analysis.iter_measurement_batches(chunk_rows):
            rows: list[dict[str, Any]] = batch.to_pylist()
            files = evidence_of(conn, [str(r["measurement_id"]) for r in rows])
            for row in rows:
                yield envelope(row, files.get(str(row["measurement_id"]), ()))


def write_envelopes(analysis: Analysis, path: Path) -> int:
    """Write ``analysis``'s envelopes to ``path`` as JSON Lines (UTF-8); return how many."""
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for env in iter_envelopes(analysis):
            fh.write(json.dumps(env, ensure_ascii=False, allow_nan=False) + "\n")
            n += 1
    return n


def read_envelopes(path: Path) -> list[dict[str, Any]]:
    """The envelopes of a ``measurements.jsonl``; ``ValueError`` naming the line for one
    that is not JSON or whose ``schema_version`` has another major version."""
    major = ENVELOPE_SCHEMA_VERSION.split(".")[0]
    out = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            try:
                env = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not a JSON object ({exc})") from None
            version = str(env.get("schema_version", ""))
            if version.split(".")[0] != major:
                raise ValueError(f"{path}:{number}: schema_version {version!r}; this reader "
                                 f"reads {major}.x (harness {ENVELOPE_SCHEMA_VERSION})")
            out.append(env)
    return out


def envelopes_frame(envelopes: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Envelopes as the ``measurements`` table (the exact columns and dtypes)."""
    rows = [flatten(e) for e in envelopes]
    for row in rows:
        if row.get("features") is not None:
            row["features"] = json.dumps(row["features"], ensure_ascii=False,
                                         sort_keys=True)
    return typed_frame(pd.DataFrame(rows, columns=[n for n, _ in MEASUREMENT_COLUMNS]),
                       MEASUREMENT_COLUMNS)


# ------------------------------------------------------------------------ descriptions

_JSON_TYPES: dict[Kind, str] = {"str": "string", "int": "integer", "float": "number",
                                "bool": "boolean", "datetime": "string", "json": "object"}


def _json_schema_of(column: str) -> dict[str, Any]:
    kind = _KINDS[column]
    out: dict[str, Any] = {"type": [_JSON_TYPES[kind], "null"],
                           "description": column_description("measurements", column)}
    if kind == "datetime":
        out["format"] = "date-time"
    return out


def _nested(paths: Sequence[tuple[tuple[str, ...], str]], prefix: tuple[str, ...]
            ) -> dict[str, Any]:
    """The JSON Schema of the object at ``prefix``."""
    props: dict[str, Any] = {}
    for path, column in paths:
        if path[:len(prefix)] != prefix:
            continue
        key = path[len(prefix)]
        if len(path) == len(prefix) + 1:
            props[key] = _json_schema_of(column)
        elif key not in props:
            sub = (*prefix, key)
            props[key] = {**_nested(paths, sub),
                          "description": envelope_field(".".join(sub))}
    return {"type": "object", "properties": props, "required": list(props),
            "additionalProperties": False}


def envelope_json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of one envelope, with every field described."""
    schema = _nested(ENVELOPE_LAYOUT, ())
    props = schema["properties"]
    props["schema_version"] = {"type": "string", "pattern": r"^\d+\.\d+\.\d+$",
                               "description": envelope_field("schema_version")}
    props["simulated"] = {"type": "boolean", "description": envelope_field("simulated")}
    files: dict[str, dict[str, Any]] = {
        "kind": {"type": "string"}, "step": {"type": ["integer", "null"]},
        "path": {"type": "string"},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "bytes": {"type": "integer", "minimum": 0}}
    for key, sub in files.items():
        sub["description"] = envelope_field(f"evidence.{key}")
    item = {"type": "object", "additionalProperties": False, "required": list(files),
            "properties": files}
    props["evidence"] = {"type": "array", "items": item,
                         "description": envelope_field("evidence")}
    schema["properties"] = {key: props[key] for key in TOP_KEYS}
    schema["required"] = list(TOP_KEYS)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "measurements.schema.json",
            "title": f"Measurement envelope {ENVELOPE_SCHEMA_VERSION}",
            "description": dictionary().envelope_description, **schema}


def field_rows() -> list[tuple[str, str, str]]:
    """Every envelope field as (dotted name, type, description), in envelope order, for
    the data dictionary."""
    rows: list[tuple[str, str, str]] = []

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, sub in node["properties"].items():
            name = f"{prefix}{key}"
            types = sub["type"] if isinstance(sub["type"], list) else [sub["type"]]
            shown = "/".join(t for t in types if t != "null")
            if sub.get("format") == "date-time":
                shown = "timestamp"
            rows.append((name, shown, str(sub.get("description", ""))))
            if sub["type"] == "object" and "properties" in sub:
                walk(sub, name + ".")
            if sub["type"] == "array":
                walk(sub["items"], name + "[].")

    walk(envelope_json_schema(), "")
    return rows


__all__ = [
    "ENVELOPE_LAYOUT",
    "ENVELOPE_SCHEMA_VERSION",
    "TOP_KEYS",
    "envelope",
    "envelope_json_schema",
    "envelopes_frame",
    "evidence_of",
    "field_rows",
    "flatten",
    "iter_envelopes",
    "read_envelopes",
    "write_envelopes",
]
