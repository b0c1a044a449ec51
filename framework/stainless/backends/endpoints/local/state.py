"""The local endpoint's state: variants, weights, ports and pids, in one SQLite file (WAL).

Several processes share it: the CLI or rollout controller write it (control plane), the router
reads it (data plane) and writes the traffic counters (see ``counters.py``). Every change to the
routing table bumps ``generation``, so the router notices a change with a one-row read instead of
reloading the table on every request.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from stainless.core.sqlite import connect, transaction

STATE_FILE = "state.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS endpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0,
    router_port INTEGER,
    router_pid INTEGER,
    router_identity TEXT
);
CREATE TABLE IF NOT EXISTS variants (
    name TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    model_dir TEXT NOT NULL,
    weight REAL NOT NULL,
    port INTEGER NOT NULL,
    pid INTEGER,
    identity TEXT,
    added_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    variant TEXT NOT NULL,
    second INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    client_errors INTEGER NOT NULL,
    model_errors INTEGER NOT NULL,
    latency TEXT NOT NULL,
    PRIMARY KEY (variant, second)
);
CREATE INDEX IF NOT EXISTS counters_by_second ON counters (second);
"""


@dataclass(frozen=True)
class VariantRecord:
    name: str
    version: int
    model_dir: Path
    weight: float
    port: int
    pid: int | None
    identity: str | None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass(frozen=True)
class RouterRecord:
    port: int | None
    pid: int | None
    identity: str | None


@dataclass(frozen=True)
class Route:
    """What the router needs to send a request to a variant."""

    name: str
    weight: float
    url: str


class EndpointState:
    def __init__(self, path: Path, name: str | None = None) -> None:
        """Open (creating with ``name`` when given) the state of one endpoint."""
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with connect(path) as conn:
            conn.executescript(_SCHEMA)
            if name is not None:
                conn.execute("INSERT OR IGNORE INTO endpoint (id, name) VALUES (1, ?)", (name,))

    # -- reads ---------------------------------------------------------------------------------
    def name(self) -> str:
        with connect(self.path) as conn:
            return conn.execute("SELECT name FROM endpoint WHERE id = 1").fetchone()["name"]

    def generation(self) -> int:
        with connect(self.path) as conn:
            return _generation(conn)

    def router(self) -> RouterRecord:
        with connect(self.path) as conn:
            row = conn.execute("SELECT * FROM endpoint WHERE id = 1").fetchone()
        return RouterRecord(row["router_port"], row["router_pid"], row["router_identity"])

    def variants(self) -> list[VariantRecord]:
        with connect(self.path) as conn:
            rows = conn.execute("SELECT * FROM variants ORDER BY added_at, name").fetchall()
        return [_variant(row) for row in rows]

    def variant(self, name: str) -> VariantRecord | None:
        with connect(self.path) as conn:
            row = conn.execute("SELECT * FROM variants WHERE name = ?", (name,)).fetchone()
        return _variant(row) if row else None

    def routes(self) -> tuple[int, list[Route]]:
        """The routing table and the generation it belongs to, read consistently."""
        with connect(self.path) as conn:
            conn.execute("BEGIN")
            generation = _generation(conn)
            rows = conn.execute("SELECT name, weight, port FROM variants ORDER BY name").fetchall()
            conn.execute("COMMIT")
        return generation, [
            Route(row["name"], row["weight"], f"http://127.0.0.1:{row['port']}") for row in rows
        ]

    # -- writes (each bumps the generation the router watches) ---------------------------------
    def set_router(self, port: int | None, pid: int | None, identity: str | None) -> None:
        with transaction(self.path) as conn:
            conn.execute(
                "UPDATE endpoint SET router_port = ?, router_pid = ?, router_identity = ?"
                " WHERE id = 1",
                (port, pid, identity),
            )

    def put_variant(self, record: VariantRecord) -> int:
        with transaction(self.path) as conn:
            conn.execute(
                "INSERT INTO variants (name, version, model_dir, weight, port, pid, identity,"
                " added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                " version = excluded.version, model_dir = excluded.model_dir,"
                " weight = excluded.weight, port = excluded.port, pid = excluded.pid,"
                " identity = excluded.identity",
                (
                    record.name,
                    record.version,
                    str(record.model_dir),
                    record.weight,
                    record.port,
                    record.pid,
                    record.identity,
                    time.time(),
                ),
            )
            return _bump(conn)

    def set_weights(self, weights: dict[str, float]) -> int:
        with transaction(self.path) as conn:
            for name, weight in weights.items():
                conn.execute("UPDATE variants SET weight = ? WHERE name = ?", (weight, name))
            return _bump(conn)

    def delete_variant(self, name: str) -> int:
        with transaction(self.path) as conn:
            conn.execute("DELETE FROM variants WHERE name = ?", (name,))
            return _bump(conn)

    def delete_all_variants(self) -> int:
        with transaction(self.path) as conn:
            conn.execute("DELETE FROM variants")
            return _bump(conn)


def _generation(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT generation FROM endpoint WHERE id = 1").fetchone()[0])


def _bump(conn: sqlite3.Connection) -> int:
    conn.execute("UPDATE endpoint SET generation = generation + 1 WHERE id = 1")
    return _generation(conn)


def _variant(row: sqlite3.Row) -> VariantRecord:
    return VariantRecord(
        name=row["name"],
        version=row["version"],
        model_dir=Path(row["model_dir"]),
        weight=row["weight"],
        port=row["port"],
        pid=row["pid"],
        identity=row["identity"],
    )
