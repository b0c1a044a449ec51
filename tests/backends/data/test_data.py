"""Choosing a data source by URI (each source's queries: test_duckdb.py, test_snowflake.py)."""

from pathlib import Path

import pytest
from stainless.backends.data import DataSource, open_source
from stainless.backends.data.duckdb import DuckDBSource
from stainless.core.errors import BackendError


def test_duckdb_is_chosen_by_its_scheme(tmp_path: Path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "houses.csv").write_text("area_sqm,price\n50,100\n")
    source = open_source("duckdb://data", tmp_path)
    try:
        assert isinstance(source, DuckDBSource) and isinstance(source, DataSource)
        assert source.read("houses")["price"].tolist() == [100]
    finally:
        source.close()


def test_an_unknown_scheme_lists_the_known_ones(tmp_path: Path):
    with pytest.raises(BackendError, match="no data backend for scheme 'postgres'") as caught:
        open_source("postgres://db/analytics", tmp_path)
    assert caught.value.expected == "duckdb://, snowflake://"
