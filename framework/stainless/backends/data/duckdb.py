"""Embedded default data source: DuckDB over local files or a DuckDB database file.

``duckdb://data`` makes every ``*.csv`` / ``*.parquet`` / ``*.json`` file in ``data/`` a view
named after the file, so the SQL a data scientist writes locally looks like the SQL they will
run against the warehouse.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from stainless.core.errors import BackendError
from stainless.core.uris import Uri

_READERS = {".csv": "read_csv_auto", ".parquet": "read_parquet", ".json": "read_json_auto"}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class DuckDBSource:
    def __init__(self, location: Path) -> None:
        self.location = location
        if location.is_dir():
            self._conn = duckdb.connect(":memory:")
            for path in sorted(location.iterdir()):
                reader = _READERS.get(path.suffix.lower())
                view = re.sub(r"\W", "_", path.stem)
                if reader and _IDENT.match(view):
                    literal = str(path).replace("'", "''")
                    self._conn.execute(
                        f"CREATE VIEW \"{view}\" AS SELECT * FROM {reader}('{literal}')"
                    )
        elif location.is_file() or location.suffix == ".duckdb":
            if not location.is_file():
                raise BackendError(f"DuckDB database {location} not found", key="data")
            self._conn = duckdb.connect(str(location), read_only=True)
        else:
            raise BackendError(
                f"data directory {location} not found",
                key="data",
                fix="point `data:` in model.yaml at a folder of CSV/Parquet files or a .duckdb",
            )

    @classmethod
    def from_uri(cls, uri: Uri, base: Path) -> DuckDBSource:
        return cls(uri.local_path(base))

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        try:
            return self._conn.execute(sql, params or []).df()
        except duckdb.Error as exc:
            raise BackendError(
                "query failed: " + " ".join(str(exc).split()),
                key="data",
                fix=f"tables available: {', '.join(self.tables()) or 'none'}",
            ) from None

    def read(self, table: str) -> pd.DataFrame:
        if not _IDENT.match(table):
            raise BackendError(f"{table!r} is not a table name", key="data")
        return self.query(f'SELECT * FROM "{table}"')

    def tables(self) -> list[str]:
        rows = self._conn.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY table_name"
        ).fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        self._conn.close()
