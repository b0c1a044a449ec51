"""Production data source: Snowflake, through snowflake-connector-python (the ``snowflake`` extra).

``snowflake://ACCOUNT/DATABASE/SCHEMA?warehouse=W&role=R`` (settings: ``snowflake_settings.py``;
credentials come from the environment only, never from the URI).

Parameters bind server-side in the connector's ``qmark`` style: ``ctx.query("... WHERE x > ?",
[3])``, the same ``?`` placeholders DuckDB takes locally, so a query moves from the laptop to the
warehouse unchanged. Column names Snowflake folds to upper case (unquoted identifiers) come back
lower-cased, as DuckDB returns them; a quoted mixed-case name is kept as written.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pandas as pd

from stainless.backends.data.snowflake_settings import SnowflakeSettings
from stainless.core.errors import BackendError, MissingExtraError
from stainless.core.uris import Uri

log = logging.getLogger("stainless.backends.data")

# Unquoted identifiers, optionally qualified: table, schema.table or database.schema.table.
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$")
_OBJECT_MISSING = 2003  # "Object 'X' does not exist or not authorized."
_CONNECT_FAILED = (250001, 250003)  # could not reach the host / no response in time
_CODE_PREFIX = re.compile(r"^\d{6} \([0-9A-Z]{5}\): ")
_FIXED = 0  # description type code of NUMBER


class SnowflakeSource:
    """One Snowflake session for one stage; ``close()`` ends it."""

    def __init__(self, settings: SnowflakeSettings) -> None:
        connector = _connector()
        from snowflake.connector import errors

        self.settings = settings
        self._errors = errors
        kwargs = settings.connect_kwargs()
        log.info("connecting to Snowflake: %s", settings.describe())
        try:
            self._conn = connector.connect(**kwargs)
        except errors.Error as exc:
            raise self._connect_error(exc) from None
        self._closed = False

    @classmethod
    def from_uri(cls, uri: Uri, base: Any = None) -> SnowflakeSource:
        _connector()  # a missing install is the first thing to fix, before any credentials
        return cls(SnowflakeSettings.from_uri(uri))

    def __repr__(self) -> str:
        return f"SnowflakeSource({self.settings!r})"

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        try:
            return self._run(sql, params)
        except self._errors.Error as exc:
            raise self._query_error(exc) from None

    def read(self, table: str) -> pd.DataFrame:
        if not _TABLE.match(table):
            raise BackendError(
                f"{table!r} is not a table name",
                key="data",
                expected="a name like houses, schema.houses or database.schema.houses",
                fix="use ctx.query(sql) for anything but a plain table",
            )
        try:
            return self._run(f"SELECT * FROM {table}", None)
        except self._errors.ProgrammingError as exc:
            if exc.errno != _OBJECT_MISSING:
                raise self._query_error(exc) from None
            raise BackendError(
                f"table {table!r} not found in {self.settings.where()}",
                key="data",
                fix=f"{self._available()}; load the table there, or point the data URI at "
                "the database/schema that has it (and grant the role SELECT on it)",
            ) from None
        except self._errors.Error as exc:
            raise self._query_error(exc) from None

    def tables(self) -> list[str]:
        try:
            return self._table_names()
        except self._errors.Error as exc:
            raise self._query_error(exc) from None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self._conn.close()
            except self._errors.Error as exc:  # the session is gone either way
                log.warning("closing the Snowflake session failed: %s", self._scrub(str(exc)))

    # -- internals ---------------------------------------------------------------------------

    def _run(self, sql: str, params: list[Any] | None) -> pd.DataFrame:
        cursor = self._conn.cursor()
        try:
            cursor.execute(sql, list(params) if params else None)
            frame = _plain_numbers(self._fetch(cursor), cursor.description or [])
        finally:
            cursor.close()
        frame.columns = [_normalise(str(name)) for name in frame.columns]
        return frame

    def _fetch(self, cursor: Any) -> pd.DataFrame:
        """Arrow straight into pandas when the result is Arrow (queries, with pyarrow); rows
        otherwise (SHOW/DDL results come back as JSON, and pyarrow may be missing)."""
        from snowflake.connector.errorcode import ER_NO_PYARROW

        try:
            return cursor.fetch_pandas_all()
        except self._errors.NotSupportedError:
            pass
        except self._errors.ProgrammingError as exc:
            if exc.errno != ER_NO_PYARROW:
                raise
        columns = [column.name for column in cursor.description or []]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)

    def _table_names(self) -> list[str]:
        # SHOW needs no running warehouse, and lists views too: a view reads like a table.
        frame = self._run("SHOW TERSE OBJECTS IN SCHEMA", None)
        return sorted(_normalise(str(name)) for name in frame["name"])

    def _available(self) -> str:
        try:
            names = self._table_names()
        except self._errors.Error:
            return "the tables could not be listed"
        return f"tables in {self.settings.where()}: {', '.join(names) or 'none'}"

    def _scrub(self, text: str) -> str:
        for secret in self.settings.secrets():
            text = text.replace(secret, "***")
        return " ".join(text.split())

    def _detail(self, exc: Exception) -> str:
        """Snowflake's own words, without the connector's "None:" query-id filler."""
        text = self._scrub(getattr(exc, "raw_msg", None) or str(exc)).rstrip(" .")
        text = _CODE_PREFIX.sub("", text)  # some servers send the message pre-formatted
        errno = getattr(exc, "errno", None)
        return (
            f"{text} (Snowflake error {errno:06d})"
            if isinstance(errno, int) and errno > 0
            else text
        )

    def _connect_error(self, exc: Exception) -> BackendError:
        errno = getattr(exc, "errno", None)
        detail = self._detail(exc)
        if isinstance(errno, int) and 390000 <= errno < 391000:
            return BackendError(
                f"Snowflake refused the login of {self.settings.user!r} to account "
                f"{self.settings.account!r}: {detail}",
                key="data",
                fix=f"check {self.settings.credential_variables()} (environment variables) "
                "and that the user exists in this account",
            )
        if errno in _CONNECT_FAILED or isinstance(exc, self._errors.OperationalError):
            return BackendError(
                f"cannot reach Snowflake at {self.settings.endpoint()}: {detail}",
                key="data",
                fix="check the account in the data URI (e.g. snowflake://myorg-myaccount/DB/SCHEMA),"
                " the network path to it, and SNOWFLAKE_HOST/SNOWFLAKE_PORT if set",
            )
        return BackendError(
            f"cannot connect to Snowflake ({self.settings.describe()}): {detail}",
            key="data",
            fix="check the data URI (account, database, schema, warehouse, role) and the "
            f"credentials in {self.settings.credential_variables()}",
        )

    def _query_error(self, exc: Exception) -> BackendError:
        detail = self._detail(exc)
        if not isinstance(exc, self._errors.ProgrammingError):
            return BackendError(
                f"Snowflake query failed: {detail}",
                key="data",
                fix="retry; if it persists, check the warehouse is running and the network path",
            )
        fix = "fix the SQL in preprocess.py (placeholders are ?, bound in order from params)"
        if exc.errno == _OBJECT_MISSING:
            fix = f"{self._available()}; fix the name in preprocess.py or the data URI"
        return BackendError(f"Snowflake query failed: {detail}", key="data", fix=fix)


def _connector() -> Any:
    try:
        import snowflake.connector
    except ImportError:
        raise MissingExtraError(
            "snowflake.connector", "snowflake", "The Snowflake data source"
        ) from None
    return snowflake.connector


def _normalise(name: str) -> str:
    """``AREA_SQM`` (an unquoted identifier Snowflake upper-cased) -> ``area_sqm``."""
    return name.lower() if name == name.upper() else name


def _plain_numbers(frame: pd.DataFrame, description: list[Any]) -> pd.DataFrame:
    """NUMBER columns that arrived as Decimal objects (always so from ``fetchall``) become
    float64, or int64 for whole numbers without nulls, as ``fetch_pandas_all`` gives them for
    Snowflake's own results and DuckDB gives them locally."""
    # By position: a query may return two columns of the same name.
    for position, column in enumerate(description[: len(frame.columns)]):
        values = frame.iloc[:, position]
        if column.type_code != _FIXED or values.dtype != object:
            continue
        whole = not column.scale and not values.isna().any()
        try:
            converted = values.astype("int64" if whole else "float64")
            frame.isetitem(position, converted.to_numpy())
        except (OverflowError, TypeError, ValueError):
            pass  # e.g. NUMBER(38, 0) beyond int64: exact Decimals are the honest answer
    return frame
