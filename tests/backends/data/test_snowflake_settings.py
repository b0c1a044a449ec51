"""Snowflake settings: where from the data URI, who from the environment, secrets kept out of
sight. No connector needed (the connection itself: test_snowflake.py)."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from stainless.backends.data.snowflake_settings import SnowflakeSettings
from stainless.core.errors import BackendError
from stainless.core.uris import parse_uri

PASSWORD = "pw-" + secrets.token_urlsafe(18)
CREDENTIALS = {"SNOWFLAKE_USER": "u", "SNOWFLAKE_PASSWORD": "p"}


def _settings(uri: str, **env: str) -> SnowflakeSettings:
    return SnowflakeSettings.from_uri(parse_uri(uri), env)


def test_uri_gives_where_and_environment_gives_who() -> None:
    settings = _settings(
        "snowflake://myorg-acct/ANALYTICS/SALES?warehouse=ML_WH&role=ML&login_timeout=30",
        SNOWFLAKE_USER="etl",
        SNOWFLAKE_PASSWORD=PASSWORD,
        SNOWFLAKE_HOST="127.0.0.1",
        SNOWFLAKE_PORT="8123",
        SNOWFLAKE_PROTOCOL="http",
    )
    kwargs = settings.connect_kwargs()
    assert (kwargs["account"], kwargs["database"], kwargs["schema"]) == (
        "myorg-acct",
        "ANALYTICS",
        "SALES",
    )
    assert (kwargs["warehouse"], kwargs["role"], kwargs["login_timeout"]) == ("ML_WH", "ML", 30)
    assert (kwargs["host"], kwargs["port"], kwargs["protocol"]) == ("127.0.0.1", 8123, "http")
    assert kwargs["user"] == "etl" and kwargs["password"] == PASSWORD
    assert kwargs["paramstyle"] == "qmark"
    assert PASSWORD not in repr(settings) and PASSWORD not in settings.describe()
    plain = _settings("snowflake://a/DB", **CREDENTIALS)
    assert plain.schema == "PUBLIC" and "host" not in plain.connect_kwargs()


@pytest.mark.parametrize(
    ("uri", "env", "message"),
    [
        ("snowflake://acct/DB/S", {}, "SNOWFLAKE_USER is not set"),
        ("snowflake://acct/DB/S", {"SNOWFLAKE_USER": "u"}, "no credentials for Snowflake user"),
        (f"snowflake://u:{PASSWORD}@acct/DB/S", CREDENTIALS, "carries credentials"),
        (f"snowflake://acct/DB/S?password={PASSWORD}", CREDENTIALS, "never go in the URI"),
        ("snowflake://acct", CREDENTIALS, "needs an account and a database"),
        ("snowflake://acct/DB/S?warehous=W", CREDENTIALS, "unknown Snowflake option 'warehous'"),
        ("snowflake://acct/DB/S?login_timeout=soon", CREDENTIALS, "whole number of seconds"),
        ("snowflake://acct/DB/S", {**CREDENTIALS, "SNOWFLAKE_PORT": "http"}, "SNOWFLAKE_PORT"),
        ("snowflake://acct/DB/S", {**CREDENTIALS, "SNOWFLAKE_PROTOCOL": "ftp"}, "http or https"),
    ],
)
def test_bad_uri_or_environment_is_explained(uri: str, env: dict[str, str], message: str) -> None:
    with pytest.raises(BackendError, match=re.escape(message)) as caught:
        _settings(uri, **env)
    assert caught.value.key == "data"
    assert PASSWORD not in str(caught.value)
    assert caught.value.fix or caught.value.expected  # says what to do, not only what is wrong


def _write_key(path: Path, passphrase: str | None) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )


def test_key_pair_is_preferred_and_its_problems_are_explained(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    key = tmp_path / "rsa_key.p8"
    env = {"SNOWFLAKE_USER": "u", "SNOWFLAKE_PASSWORD": PASSWORD}

    def settings(**extra: str) -> SnowflakeSettings:
        return _settings("snowflake://a/DB/S", SNOWFLAKE_PRIVATE_KEY_PATH=str(key), **env, **extra)

    with pytest.raises(BackendError, match="cannot read the private key.*rsa_key.p8"):
        settings().connect_kwargs()
    _write_key(key, PASSWORD)
    kwargs = settings(SNOWFLAKE_PRIVATE_KEY_PASSPHRASE=PASSWORD).connect_kwargs()
    assert kwargs["authenticator"] == "SNOWFLAKE_JWT" and "password" not in kwargs
    assert kwargs["private_key"][:1] == b"\x30"  # DER, as the connector takes it
    assert "key pair" in settings().describe() and PASSWORD not in repr(settings())
    with pytest.raises(BackendError, match="is encrypted.*set SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"):
        settings().connect_kwargs()
    with pytest.raises(BackendError, match="cannot load the private key") as caught:
        settings(SNOWFLAKE_PRIVATE_KEY_PASSPHRASE="wrong").connect_kwargs()
    assert PASSWORD not in str(caught.value)
    _write_key(key, None)
    with pytest.raises(BackendError, match="is not encrypted.*unset"):
        settings(SNOWFLAKE_PRIVATE_KEY_PASSPHRASE="extra").connect_kwargs()
