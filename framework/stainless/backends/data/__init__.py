"""Data sources: what ``ctx.query(sql)`` and ``ctx.read(table)`` talk to."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from stainless.backends import resolve

IMPLEMENTATIONS = {
    "duckdb": "stainless.backends.data.duckdb:DuckDBSource",
    "snowflake": "stainless.backends.data.snowflake:SnowflakeSource",
}


@runtime_checkable
class DataSource(Protocol):
    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame: ...
    def read(self, table: str) -> pd.DataFrame: ...
    def tables(self) -> list[str]: ...
    def close(self) -> None: ...


def open_source(uri: str, base: Path) -> DataSource:
    cls, parsed = resolve("data", IMPLEMENTATIONS, uri)
    return cls.from_uri(parsed, base)
