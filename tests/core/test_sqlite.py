"""stainless.core.sqlite: WAL connections and up-front write transactions, shared by processes."""

import sqlite3
import threading
from pathlib import Path

import pytest
from stainless.core.sqlite import connect, transaction


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    with transaction(path) as conn:
        conn.execute("CREATE TABLE counts (name TEXT PRIMARY KEY, n INTEGER)")
    return path


def test_connections_use_wal_and_named_rows(db: Path):
    with connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute("INSERT INTO counts VALUES ('a', 1)")  # autocommit outside a transaction
        assert conn.execute("SELECT * FROM counts").fetchone()["n"] == 1


def test_a_failed_transaction_leaves_nothing_behind(db: Path):
    with pytest.raises(RuntimeError), transaction(db) as conn:
        conn.execute("INSERT INTO counts VALUES ('half', 1)")
        raise RuntimeError("crash between two writes")
    with connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM counts").fetchone()[0] == 0


def test_concurrent_writers_take_turns_without_losing_an_update(db: Path):
    with transaction(db) as conn:
        conn.execute("INSERT INTO counts VALUES ('hits', 0)")
    errors: list[BaseException] = []

    def add(times: int) -> None:
        try:
            for _ in range(times):
                with transaction(db) as conn:  # read-modify-write: safe only under BEGIN IMMEDIATE
                    n = conn.execute("SELECT n FROM counts WHERE name = 'hits'").fetchone()[0]
                    conn.execute("UPDATE counts SET n = ? WHERE name = 'hits'", (n + 1,))
        except (sqlite3.Error, AssertionError) as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(50,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    with connect(db) as conn:
        assert conn.execute("SELECT n FROM counts WHERE name = 'hits'").fetchone()[0] == 200
