from pathlib import Path

import duckdb
import pytest
from stainless.backends.data import open_source
from stainless.core.errors import BackendError


def test_files_become_tables(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "houses.csv").write_text("area,price\n50,100\n70,150\n")
    source = open_source("duckdb://data", tmp_path)
    assert source.tables() == ["houses"]
    frame = source.query("SELECT sum(price) AS total FROM houses WHERE area > ?", [10])
    assert frame["total"].iloc[0] == 250
    assert len(source.read("houses")) == 2
    with pytest.raises(BackendError, match="query failed.*tables available: houses"):
        source.query("SELECT * FROM missing")
    source.close()


def test_duckdb_database_file(tmp_path: Path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.execute("CREATE TABLE t AS SELECT 1 AS x")
    conn.close()
    assert open_source("duckdb://w.duckdb", tmp_path).read("t")["x"].tolist() == [1]


def test_missing_location_is_explained(tmp_path: Path):
    with pytest.raises(BackendError, match="data directory .* not found.*data:"):
        open_source("duckdb://nowhere", tmp_path)
