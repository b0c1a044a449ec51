"""Embedded default registry: one SQLite file (WAL), safe for several processes at once."""

from __future__ import annotations

import builtins
import json
import sqlite3
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stainless.backends.registry import STATUSES, ModelVersion
from stainless.core.errors import StainlessError
from stainless.core.sqlite import connect, transaction
from stainless.core.uris import Uri

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    version INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    artifact_uri TEXT NOT NULL,
    lineage TEXT NOT NULL,
    metrics TEXT NOT NULL DEFAULT '{}',
    decision TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version INTEGER NOT NULL REFERENCES versions(version),
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SQLiteRegistry:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(_SCHEMA)

    @classmethod
    def from_uri(cls, uri: Uri, base: Path) -> SQLiteRegistry:
        return cls(uri.local_path(base))

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return connect(self.path)

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self.path)

    @staticmethod
    def _row(row: sqlite3.Row) -> ModelVersion:
        return ModelVersion(
            version=row["version"],
            run_id=row["run_id"],
            status=row["status"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            artifact_uri=row["artifact_uri"],
            lineage=json.loads(row["lineage"]),
            metrics=json.loads(row["metrics"]),
            decision=json.loads(row["decision"]) if row["decision"] else None,
        )

    def register(self, run_id: str, artifact_uri: str, lineage: dict[str, Any]) -> ModelVersion:
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM versions WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                now = _now()
                cursor = conn.execute(
                    "INSERT INTO versions (run_id, status, created_at, updated_at, artifact_uri,"
                    " lineage) VALUES (?, 'candidate', ?, ?, ?, ?)",
                    (run_id, now, now, artifact_uri, json.dumps(lineage, sort_keys=True)),
                )
                self._event(conn, cursor.lastrowid, "registered", {"run_id": run_id})
                row = conn.execute(
                    "SELECT * FROM versions WHERE version = ?", (cursor.lastrowid,)
                ).fetchone()
        return self._row(row)

    def get(self, version: int) -> ModelVersion:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM versions WHERE version = ?", (version,)).fetchone()
        if row is None:
            raise StainlessError(
                f"model version {version} does not exist",
                fix="list versions with `stainless versions`",
            )
        return self._row(row)

    def by_run(self, run_id: str) -> ModelVersion | None:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM versions WHERE run_id = ?", (run_id,)).fetchone()
        return self._row(row) if row else None

    def list(self) -> list[ModelVersion]:
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM versions ORDER BY version").fetchall()
        return [self._row(row) for row in rows]

    def production(self) -> ModelVersion | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT * FROM versions WHERE status = 'production' ORDER BY version DESC"
            ).fetchone()
        return self._row(row) if row else None

    def update_metrics(self, version: int, metrics: dict[str, Any]) -> None:
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT metrics FROM versions WHERE version = ?", (version,)
            ).fetchone()
            merged = {**json.loads(row["metrics"]), **metrics} if row else metrics
            conn.execute(
                "UPDATE versions SET metrics = ?, updated_at = ? WHERE version = ?",
                (json.dumps(merged, sort_keys=True), _now(), version),
            )

    def record_decision(self, version: int, decision: dict[str, Any]) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE versions SET decision = ?, updated_at = ? WHERE version = ?",
                (json.dumps(decision, sort_keys=True), _now(), version),
            )
            self._event(conn, version, "decision", decision)

    def set_status(self, version: int, status: str, reason: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; expected one of {STATUSES}")
        with self._transaction() as conn:
            self._set(conn, version, status, reason)

    def promote(self, version: int, reason: str) -> ModelVersion | None:
        with self._transaction() as conn:
            old = conn.execute(
                "SELECT * FROM versions WHERE status = 'production' AND version != ?", (version,)
            ).fetchall()
            for row in old:
                self._set(conn, row["version"], "archived", f"replaced by version {version}")
            self._set(conn, version, "production", reason)
        return self._row(old[-1]) if old else None

    def _set(self, conn: sqlite3.Connection, version: int, status: str, reason: str) -> None:
        updated = conn.execute(
            "UPDATE versions SET status = ?, updated_at = ? WHERE version = ?",
            (status, _now(), version),
        ).rowcount
        if not updated:
            raise StainlessError(f"model version {version} does not exist")
        self._event(conn, version, f"status:{status}", {"reason": reason})

    def events(self, version: int | None = None) -> builtins.list[dict[str, Any]]:
        query = "SELECT * FROM events"
        args: tuple[Any, ...] = ()
        if version is not None:
            query += " WHERE version = ?"
            args = (version,)
        with self._connect() as conn:
            rows = conn.execute(query + " ORDER BY id", args).fetchall()
        return [
            {"version": r["version"], "at": r["at"], "kind": r["kind"], **json.loads(r["detail"])}
            for r in rows
        ]

    @staticmethod
    def _event(conn: sqlite3.Connection, version: int | None, kind: str, detail: dict) -> None:
        conn.execute(
            "INSERT INTO events (version, at, kind, detail) VALUES (?, ?, ?, ?)",
            (version, _now(), kind, json.dumps(detail, sort_keys=True, default=str)),
        )
