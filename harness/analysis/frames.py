"""Typed columns: driver rows and DataFrames converted to the exported dtypes, and free
text scrubbed of phone numbers, IP addresses and credentials on the way out.

Every writer receives Arrow tables with the types of :data:`ARROW_TYPES`; DataFrames have
the nullable dtypes ``str``, ``Int64``, ``float64``, ``boolean`` and
``datetime64[us, UTC]``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from harness.analysis.schemas import MEASUREMENT_COLUMNS, SCRUBBED_COLUMNS, Kind
from harness.support.secrets import scrub


def _as_str(series: pd.Series) -> pd.Series:
    return series.astype("str")


def _as_json(series: pd.Series) -> pd.Series:
    def dump(v: object) -> object:
        if v is None or isinstance(v, str) or (isinstance(v, float) and math.isnan(v)):
            return v
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    if series.dtype == object:
        series = series.map(dump)
    return series.astype("str")


_CONVERT: dict[Kind, Callable[[pd.Series], pd.Series]] = {
    "str": _as_str,
    "json": _as_json,
    "int": lambda s: pd.to_numeric(s).astype("Int64"),
    "float": lambda s: pd.to_numeric(s).astype("float64"),
    "bool": lambda s: s.astype("boolean"),
    "datetime": lambda s: pd.to_datetime(s, utc=True, format="ISO8601")
    .astype("datetime64[us, UTC]"),
}


def typed_frame(data: pd.DataFrame | None, columns: Sequence[tuple[str, Kind]],
                extra: Kind | None = None) -> pd.DataFrame:
    """``data`` with exactly ``columns``, in order, converted to their nullable dtypes.

    Columns of ``data`` not in ``columns`` are kept after them (converted to ``extra``)
    when ``extra`` is given (the wide matrix's country columns), dropped otherwise.
    """
    data = pd.DataFrame() if data is None else data
    out: dict[str, pd.Series] = {}
    for name, kind in columns:
        col = (data[name] if name in data.columns
               else pd.Series([None] * len(data), index=data.index, dtype=object))
        out[name] = _CONVERT[kind](col)
    if extra is not None:
        for name in data.columns:
            if name not in out:
                out[str(name)] = _CONVERT[extra](data[name])
    return pd.DataFrame(out, index=pd.RangeIndex(len(data)))


#: Arrow type of each column kind: the representation every writer receives.
ARROW_TYPES: dict[Kind, pa.DataType] = {
    "str": pa.string(), "json": pa.string(), "int": pa.int64(), "float": pa.float64(),
    "bool": pa.bool_(), "datetime": pa.timestamp("us", tz="UTC"),
}

_PANDAS_TYPES: dict[pa.DataType, Any] = {
    pa.string(): pd.StringDtype("pyarrow", na_value=np.nan),
    pa.large_string(): pd.StringDtype("pyarrow", na_value=np.nan),
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}


def arrow_schema(columns: Sequence[tuple[str, Kind]]) -> pa.Schema:
    """The Arrow schema of a table's columns."""
    return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in columns])


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as a DataFrame with the dtypes of :func:`typed_frame`."""
    frame: pd.DataFrame = table.to_pandas(types_mapper=_PANDAS_TYPES.get)
    return frame


def pandas_to_arrow(df: pd.DataFrame, columns: Sequence[tuple[str, Kind]]) -> pa.Table:
    """A typed DataFrame (see :func:`typed_frame`) as an Arrow table with ``columns``."""
    return pa.Table.from_pandas(df, schema=arrow_schema(columns), preserve_index=False)


def _first(values: Sequence[object]) -> object:
    return next((v for v in values if v is not None), None)


def column_to_arrow(values: Sequence[object], kind: Kind) -> pa.Array:
    """One column of driver values as an Arrow array of ``kind``, converted in C.

    Accepts what SQLite and PostgreSQL drivers return: timestamps as UTC text
    (``2024-03-01 12:00:00.000000``) or datetimes, booleans as 0/1 or bools, JSON as text
    or parsed objects.
    """
    if kind == "datetime":
        if isinstance(_first(values), str):
            return pa.array(values, pa.string()).cast(pa.timestamp("us")).cast(
                ARROW_TYPES["datetime"])
        return pa.array(values, ARROW_TYPES["datetime"])
    if kind == "bool":
        return pa.array(values, from_pandas=True).cast(pa.bool_())
    if kind == "json":
        if not isinstance(_first(values), str | None):
            values = [v if v is None or isinstance(v, str)
                      else json.dumps(v, ensure_ascii=False, sort_keys=True) for v in values]
        text = pa.array(values, pa.string())
        # SQLAlchemy's JSON type stores Python None as the JSON text 'null': missing
        return pc.if_else(pc.equal(text, "null"), pa.scalar(None, pa.string()), text)
    return pa.array(values, ARROW_TYPES[kind])


def scrub_arrow(array: pa.Array) -> pa.Array:
    """A string column with phone numbers, IP addresses and credentials scrubbed
    (``harness.support.secrets.scrub``), each distinct value once."""
    if array.null_count == len(array):
        return array
    encoded = array.dictionary_encode()
    cleaned = pa.array([None if v is None else scrub(v)
                        for v in encoded.dictionary.to_pylist()], pa.string())
    return pc.take(cleaned, encoded.indices)


#: What SQLite hands back for each kind (timestamps as UTC text, booleans as 0/1): rows
#: are converted to Arrow in one C call as a struct array, then cast column by column.
_SQLITE_RAW: dict[Kind, pa.DataType] = {
    "str": pa.string(), "json": pa.string(), "int": pa.int64(), "float": pa.float64(),
    "bool": pa.int64(), "datetime": pa.string(),
}


def _finish(array: pa.Array, kind: Kind) -> pa.Array:
    if kind == "datetime":
        return array.cast(pa.timestamp("us")).cast(ARROW_TYPES["datetime"])
    if kind == "bool":
        return array.cast(pa.bool_())
    if kind == "json":
        # SQLAlchemy's JSON type stores Python None as the JSON text 'null': missing
        return pc.if_else(pc.equal(array, "null"), pa.scalar(None, pa.string()), array)
    return array


def measurement_batch(rows: Sequence[Sequence[object]], sqlite_raw: bool = False
                      ) -> pa.Table:
    """Driver rows of ``queries.measurements_select`` as a typed, scrubbed Arrow table.

    ``sqlite_raw``: the rows are plain tuples from the sqlite3 module (the fast path);
    otherwise any driver's values, converted column by column.
    """
    names = [n for n, _ in MEASUREMENT_COLUMNS]
    if sqlite_raw and rows:
        struct = pa.struct([(n, _SQLITE_RAW[k]) for n, k in MEASUREMENT_COLUMNS])
        flat = pa.array(rows, type=struct).flatten()
        arrays = [_finish(a, k) for a, (_, k) in zip(flat, MEASUREMENT_COLUMNS, strict=True)]
    else:
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        arrays = [column_to_arrow(values, kind)
                  for (_, kind), values in zip(MEASUREMENT_COLUMNS, columns, strict=True)]
    arrays = [scrub_arrow(a) if n in SCRUBBED_COLUMNS else a
              for a, n in zip(arrays, names, strict=True)]
    return pa.Table.from_arrays(arrays, schema=arrow_schema(MEASUREMENT_COLUMNS))


def scrub_columns(df: pd.DataFrame, columns: Sequence[str] = SCRUBBED_COLUMNS) -> pd.DataFrame:
    """Phone numbers, IP addresses and credentials in free-text columns replaced.

    Each distinct value is scrubbed once (values repeat: rule texts, messages).
    """
    for name in columns:
        if name not in df.columns:
            continue
        col = df[name]
        present = col.notna()
        if not present.any():
            continue
        codes, uniques = pd.factorize(col[present])
        cleaned = pd.Series([scrub(str(u)) for u in uniques], dtype="str")
        df.loc[present, name] = cleaned.to_numpy()[codes]
    return df


__all__ = [
    "ARROW_TYPES",
    "arrow_schema",
    "arrow_to_pandas",
    "column_to_arrow",
    "measurement_batch",
    "pandas_to_arrow",
    "scrub_arrow",
    "scrub_columns",
    "typed_frame",
]
