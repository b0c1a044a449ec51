"""The Snowflake data source: the real snowflake-connector-python over real HTTP to fakesnow.

fakesnow needs snowflake-connector-python<5 and its own DuckDB, so it lives in .venv-snowflake
(`bash .ci/snowflake-setup.sh`). This module runs in two places:

- in the main .venv (no connector): the missing-extra error, and `test_suite_passes_in_its_venv`,
  which runs this same module under .venv-snowflake's pytest and asserts every test there passed.
  Skipped when .venv-snowflake is absent, unless STAINLESS_REQUIRE_SNOWFLAKE=1 (CI): then it fails;
- in .venv-snowflake: everything else, against tests/support/fakesnow_server.py (fakesnow's
  server plus Snowflake's login checks) on a free loopback port.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from stainless.backends.data import DataSource, open_source
from stainless.backends.data.snowflake_settings import SnowflakeSettings
from stainless.core.errors import BackendError, MissingExtraError
from stainless.core.uris import parse_uri
from support.processes import stop
from support.venv_suite import assert_passes_in_venv

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
LAUNCHER = ROOT / "tests" / "support" / "fakesnow_server.py"


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is missing
        return False


HAS_CONNECTOR = _importable("snowflake.connector")
IN_SNOWFLAKE_VENV = _importable("fakesnow")
USER = "stainless_ci"
PASSWORD = "pw-" + secrets.token_urlsafe(18)  # a fresh secret per run, so a leak is detectable
PASSPHRASE = "pp-" + secrets.token_urlsafe(18)
needs_fakesnow = pytest.mark.skipif(
    not IN_SNOWFLAKE_VENV,
    reason="runs inside .venv-snowflake (test_suite_passes_in_its_venv runs it there)",
)


def _clean_env(**extra: str) -> dict[str, str]:
    """No developer's real Snowflake credentials or backend overrides reach a test process."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STAINLESS_", "SNOWFLAKE_", "PYTEST_"))
    }
    env.update(extra)
    return env


# -- main .venv: run the connector tests in their own venv ----------------------------------------


@pytest.mark.skipif(IN_SNOWFLAKE_VENV, reason="this is .venv-snowflake")
def test_suite_passes_in_its_venv(tmp_path: Path) -> None:
    assert_passes_in_venv("snowflake", __file__, tmp_path, _clean_env(), min_passed=9, timeout=540)


@pytest.mark.skipif(HAS_CONNECTOR, reason="snowflake-connector-python is installed here")
def test_missing_connector_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("SNOWFLAKE_"):
            monkeypatch.delenv(key)  # the install is reported before the missing credentials
    with pytest.raises(MissingExtraError, match=r"snowflake\.connector.*stainless-ml\[snowflake\]"):
        open_source("snowflake://acct/DB/PUBLIC", Path("."))


# -- .venv-snowflake: the real connector against fakesnow over HTTP ------------------------------


@dataclass(frozen=True)
class FakeSnowflake:
    port: int
    private_key: Path  # the registered key, encrypted with PASSPHRASE
    other_key: Path  # a key Snowflake does not know (unencrypted)

    def env(self, monkeypatch: pytest.MonkeyPatch, **overrides: str) -> None:
        for key in list(os.environ):
            if key.startswith("SNOWFLAKE_"):
                monkeypatch.delenv(key)
        values = {
            "SNOWFLAKE_USER": USER,
            "SNOWFLAKE_PASSWORD": PASSWORD,
            "SNOWFLAKE_HOST": "127.0.0.1",
            "SNOWFLAKE_PORT": str(self.port),
            "SNOWFLAKE_PROTOCOL": "http",
            **overrides,
        }
        for key, value in values.items():
            if value:
                monkeypatch.setenv(key, value)


def _write_key_pair(folder: Path, name: str, passphrase: str | None) -> tuple[Path, bytes]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    path = folder / f"{name}.p8"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, public


@pytest.fixture(scope="module")
def fakesnow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeSnowflake]:
    folder = tmp_path_factory.mktemp("fakesnow")
    private_key, public_key = _write_key_pair(folder, "registered", PASSPHRASE)
    other_key, _ = _write_key_pair(folder, "unknown", None)
    (folder / "registered.pub").write_bytes(public_key)
    log_file = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(LAUNCHER)],
        stdout=subprocess.PIPE,
        stderr=log_file,
        text=True,
        env=_clean_env(
            FAKESNOW_EXPECT_USER=USER,
            FAKESNOW_EXPECT_PASSWORD=PASSWORD,
            FAKESNOW_EXPECT_PUBLIC_KEY=str(folder / "registered.pub"),
        ),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # {"port": N} once the socket listens
        assert line, (folder / "server.log").read_text()[-3000:]
        port = int(re.search(r"\d+", line).group())  # type: ignore[union-attr]
        yield FakeSnowflake(port, private_key, other_key)
    finally:
        stop(process)
        log_file.close()


def _database() -> str:
    """A database per test: fakesnow's server shares one in-memory instance between sessions."""
    return f"T_{uuid.uuid4().hex[:10].upper()}"


def _uri(database: str, **options: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"warehouse": "ML_WH", "role": "ML", **options}.items())
    return f"snowflake://testacct/{database}/PUBLIC?{query}"


def _load(database: str, table: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
    """Create and fill a table with the connector itself, as a warehouse team would."""
    import snowflake.connector

    settings = SnowflakeSettings.from_uri(parse_uri(_uri(database)))
    with snowflake.connector.connect(**settings.connect_kwargs()) as conn:
        cursor = conn.cursor()
        columns = ", ".join(f"{name} {kind}" for name, kind in types.items())
        cursor.execute(f"CREATE OR REPLACE TABLE {table} ({columns})")
        marks = ", ".join("?" for _ in types)
        rows = [tuple(None if pd.isna(v) else v for v in row) for row in frame.to_numpy().tolist()]
        cursor.executemany(f"INSERT INTO {table} ({', '.join(types)}) VALUES ({marks})", rows)


HOUSES = pd.DataFrame(
    {
        "area_sqm": [58.5, 94.0, 120.25, 71.0],
        "bedrooms": [2, 4, 5, 3],
        "neighborhood": ["west", "east", "east", "north"],
        "price": [134700.5, 280300.0, 410000.0, 199000.0],
    }
)
HOUSE_TYPES = {
    "area_sqm": "FLOAT",
    "bedrooms": "INTEGER",
    "neighborhood": "VARCHAR",
    "price": "NUMBER(12, 2)",
}


@pytest.fixture
def source(fakesnow_server: FakeSnowflake, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    fakesnow_server.env(monkeypatch)
    database = _database()
    _load(database, "houses", HOUSES, HOUSE_TYPES)
    opened = open_source(_uri(database), Path("."))
    yield opened
    opened.close()


@needs_fakesnow
def test_query_binds_qmark_params_and_returns_lower_case_columns(source) -> None:
    assert isinstance(source, DataSource)
    frame = source.query(
        "SELECT area_sqm, price, neighborhood FROM houses "
        "WHERE bedrooms >= ? AND neighborhood = ? ORDER BY area_sqm",
        [4, "east"],
    )
    assert list(frame.columns) == ["area_sqm", "price", "neighborhood"]
    assert frame["area_sqm"].tolist() == [94.0, 120.25]
    assert frame["price"].tolist() == [280300.0, 410000.0]
    assert frame["price"].dtype == "float64"
    # Injection through a parameter stays a value, not SQL.
    assert source.query("SELECT * FROM houses WHERE neighborhood = ?", ["x' OR '1'='1"]).empty
    # A quoted mixed-case name is the data scientist's choice and is kept.
    assert list(source.query('SELECT 1 AS "MixedCase", 2 AS plain').columns) == [
        "MixedCase",
        "plain",
    ]


@needs_fakesnow
def test_read_and_tables(source) -> None:
    frame = source.read("houses")
    assert list(frame.columns) == list(HOUSES.columns)
    assert sorted(frame["bedrooms"].tolist()) == [2, 3, 4, 5]
    assert frame["bedrooms"].dtype == "int64" and frame["price"].dtype == "float64"
    assert source.tables() == ["houses"]
    source.query("CREATE VIEW big_houses AS SELECT * FROM houses WHERE area_sqm > 100")
    assert source.tables() == ["big_houses", "houses"]
    assert source.read("PUBLIC.big_houses")["area_sqm"].tolist() == [120.25]


@needs_fakesnow
def test_rows_fallback_when_the_result_is_not_arrow(source) -> None:
    # DDL/DML answers come back as JSON rows: fetch_pandas_all refuses them, fetchall serves.
    frame = source.query("INSERT INTO houses VALUES (?, ?, ?, ?)", [50.0, 1, "south", 99000.5])
    assert frame.iloc[0, 0] == 1 and "rows" in frame.columns[0]
    assert len(source.read("houses")) == 5


@needs_fakesnow
def test_missing_table_is_named_with_the_fix(source) -> None:
    with pytest.raises(BackendError) as caught:
        source.read("housez")
    text = str(caught.value)
    assert caught.value.key == "data"
    assert "table 'housez' not found in" in text and ".PUBLIC" in text
    assert "Fix: tables in" in text and "houses" in text and "point the data URI" in text
    with pytest.raises(BackendError, match=r"(?s)HOUSEZ.*Fix: tables in .*: houses"):
        source.query("SELECT * FROM housez")


@needs_fakesnow
def test_bad_sql_is_a_backend_error_pointing_at_preprocess(source) -> None:
    with pytest.raises(BackendError, match=r"query failed.*Fix: fix the SQL in preprocess\.py"):
        source.query("SELEC price FROM houses")
    # Snowflake's messages quote the offending value; should it be a secret, it is scrubbed.
    with pytest.raises(BackendError, match=r"query failed.*\*\*\*") as caught:
        source.query("SELECT CAST(? AS INTEGER) AS n", [PASSWORD])
    assert PASSWORD not in str(caught.value)
    with pytest.raises(BackendError, match="not a table name"):
        source.read("houses; DROP TABLE houses")
    assert len(source.read("houses")) == 4


@needs_fakesnow
def test_wrong_password_is_refused_without_leaking_it(
    fakesnow_server: FakeSnowflake, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-" + secrets.token_urlsafe(12)
    fakesnow_server.env(monkeypatch, SNOWFLAKE_PASSWORD=wrong)
    with pytest.raises(BackendError) as caught:
        open_source(_uri(_database(), login_timeout="10"), Path("."))
    text = str(caught.value)
    assert (
        "refused the login of 'stainless_ci'" in text and "Incorrect username or password" in text
    )
    assert "Fix: check SNOWFLAKE_USER and SNOWFLAKE_PASSWORD" in text
    assert wrong not in text and wrong not in caplog.text and PASSWORD not in caplog.text


@needs_fakesnow
def test_key_pair_authentication(
    fakesnow_server: FakeSnowflake, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    fakesnow_server.env(
        monkeypatch,
        SNOWFLAKE_PASSWORD="",
        SNOWFLAKE_PRIVATE_KEY_PATH=str(fakesnow_server.private_key),
        SNOWFLAKE_PRIVATE_KEY_PASSPHRASE=PASSPHRASE,
    )
    opened = open_source(_uri(_database()), Path("."))
    try:
        assert opened.query("SELECT ? + 1 AS answer", [41])["answer"].tolist() == [42]
        assert PASSPHRASE not in repr(opened)
    finally:
        opened.close()
    key_text = fakesnow_server.private_key.read_text().splitlines()[1]
    assert PASSPHRASE not in caplog.text and key_text not in caplog.text

    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "not-the-passphrase")
    with pytest.raises(BackendError, match="cannot load the private key.*PASSPHRASE"):
        open_source(_uri(_database()), Path("."))
    monkeypatch.delenv("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE")
    with pytest.raises(BackendError, match="is encrypted.*set SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"):
        open_source(_uri(_database()), Path("."))
    # A well-formed key Snowflake does not know: the server refuses the JWT.
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_PATH", str(fakesnow_server.other_key))
    with pytest.raises(BackendError, match="refused the login.*JWT token is invalid"):
        open_source(_uri(_database(), login_timeout="10"), Path("."))


@needs_fakesnow
def test_unreachable_host_is_explained_quickly(
    fakesnow_server: FakeSnowflake, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    fakesnow_server.env(monkeypatch, SNOWFLAKE_PORT=str(closed_port))
    started = time.monotonic()
    with pytest.raises(BackendError) as caught:
        open_source(_uri(_database(), login_timeout="3", network_timeout="3"), Path("."))
    elapsed = time.monotonic() - started
    text = str(caught.value)
    assert f"cannot reach Snowflake at http://127.0.0.1:{closed_port}" in text, text
    assert "Fix: check the account in the data URI" in text
    assert PASSWORD not in text
    assert elapsed < 30, elapsed


@needs_fakesnow
def test_secrets_never_in_logs_repr_or_errors(
    fakesnow_server: FakeSnowflake, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    caplog.set_level(logging.DEBUG)  # the connector's own debug logging included
    fakesnow_server.env(monkeypatch)
    database = _database()
    opened = open_source(_uri(database), Path("."))
    try:
        opened.query("CREATE TABLE t (x INTEGER)")
        opened.query("INSERT INTO t VALUES (?)", [1])
        assert opened.read("t")["x"].tolist() == [1]
        shown = repr(opened) + repr(opened.settings) + opened.settings.describe()
        assert "testacct" in shown and PASSWORD not in shown
    finally:
        opened.close()
    assert "connecting to Snowflake: account=testacct" in caplog.text
    assert PASSWORD not in caplog.text


@needs_fakesnow
def test_baked_project_preprocesses_from_snowflake(
    fakesnow_server: FakeSnowflake, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    baked = subprocess.run(
        [sys.executable, "-m", "stainless", "new", "--no-input", "-o", str(tmp_path)]
        + ["data_source=snowflake"],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert baked.returncode == 0, baked.stderr
    project = tmp_path / "house-prices"
    assert "snowflake://" in (project / "model.yaml").read_text()
    houses = pd.read_csv(project / "data" / "houses.csv")
    fakesnow_server.env(monkeypatch)
    database = _database()
    types = {
        name: "FLOAT" if pd.api.types.is_numeric_dtype(houses[name]) else "VARCHAR"
        for name in houses.columns
    }
    _load(database, "houses", houses, types)
    shutil.rmtree(project / "data")  # so the splits can only have come from Snowflake

    env = _clean_env(
        STAINLESS_DATA=_uri(database),
        **{k: v for k, v in os.environ.items() if k.startswith("SNOWFLAKE_")},
    )
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "stainless", "preprocess", "--run-id", "r1"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    print(f"stainless preprocess from fakesnow: {time.monotonic() - started:.1f}s")
    assert PASSWORD not in run.stdout + run.stderr
    datasets = project / ".stainless" / "store" / "runs" / "r1" / "datasets"
    files = sorted(path.name for path in datasets.iterdir())
    assert files == ["train.parquet", "validation.parquet"], files
    train = pd.read_parquet(datasets / "train.parquet")
    validation = pd.read_parquet(datasets / "validation.parquet")
    assert len(train) + len(validation) == len(houses.dropna())
    assert {"area_sqm", "neighborhood", "price"} <= set(train.columns)


@needs_fakesnow
def test_live_quality_labels_query_runs_on_snowflake(
    fakesnow_server: FakeSnowflake, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """monitoring.quality.labels_query on a Snowflake data source, as tests/pipeline/
    test_monitor.py runs it on DuckDB: outcomes recorded later by the business (Snowflake
    answers in upper case), joined with captured predictions by request id, judged against the
    version's validation metric."""
    from stainless.core.errors import ConfigError
    from stainless.pipeline.monitor_quality import labels_by_request, quality_of
    from stainless.project.config import config_from_mapping
    from stainless.workspace import Workspace

    fakesnow_server.env(monkeypatch)
    database = _database()
    ids = [f"req-{i:03d}" for i in range(120)]
    prices = [100_000.0 + 1_000.0 * i for i in range(120)]
    outcomes = pd.DataFrame({"inference_id": [*ids, "not-captured"], "sold_price": [*prices, 1.0]})
    _load(
        database, "outcomes", outcomes, {"inference_id": "VARCHAR", "sold_price": "NUMBER(12, 2)"}
    )
    document = {
        "name": "house-prices",
        "owner": "jane",
        "target": "price",
        "metric": "rmse",
        "data": _uri(database),
        "store": "file://.stainless/store",
    }
    project = Workspace(config_from_mapping(document, tmp_path))
    labels = labels_by_request(
        project, "SELECT inference_id AS request_id, sold_price AS label FROM outcomes"
    )
    assert labels is not None and len(labels) == 121
    assert labels["req-003"] == 103_000.0 and isinstance(labels["req-003"], float)

    # The captured requests of the window: their predictions are 5,000 too high.
    captured = {request_id: price + 5_000.0 for request_id, price in zip(ids, prices, strict=True)}
    labelled = [(labels[r], prediction, None) for r, prediction in captured.items() if r in labels]
    section = {"min_labels": 100, "confidence": 0.95, "tolerance": 0}
    worse = quality_of(project, {"rmse": 4_000.0}, labelled, section)
    assert worse.status == "dropped" and worse.labels == 120
    assert worse.live_value == pytest.approx(5_000.0)
    assert quality_of(project, {"rmse": 6_000.0}, labelled, section).status == "ok"
    assert quality_of(project, {"rmse": 4_000.0}, labelled[:50], section).status == (
        "insufficient_data"
    )

    with pytest.raises(ConfigError) as caught:
        labels_by_request(project, "SELECT inference_id, sold_price FROM outcomes")
    text = caught.value.render()
    assert "monitoring.quality.labels_query" in text and "inference_id, sold_price" in text
