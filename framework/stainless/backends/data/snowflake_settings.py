"""Where and as whom the Snowflake data source connects: the data URI plus the environment.

``snowflake://ACCOUNT/DATABASE[/SCHEMA]?warehouse=W&role=R`` (SCHEMA defaults to PUBLIC) says
*where*; the environment says *who*, because the URI sits in ``model.yaml``, in git and in logs:

- ``SNOWFLAKE_USER`` and ``SNOWFLAKE_PASSWORD``, or key-pair authentication:
  ``SNOWFLAKE_PRIVATE_KEY_PATH`` (a PEM private key) + optional
  ``SNOWFLAKE_PRIVATE_KEY_PASSPHRASE``; a key, when set, is used instead of the password.
- ``SNOWFLAKE_HOST`` / ``SNOWFLAKE_PORT`` / ``SNOWFLAKE_PROTOCOL``: a private link, or a local
  test server (fakesnow).

Secrets are kept out of ``repr`` and of every message; a URI carrying one is refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stainless.core.errors import BackendError, MissingExtraError
from stainless.core.uris import Uri

# Connection options a data URI may carry, with how to read each value.
OPTIONS: dict[str, type] = {
    "warehouse": str,
    "role": str,
    "login_timeout": int,
    "network_timeout": int,
}
_SECRET_WORDS = ("password", "passphrase", "private_key", "token", "secret", "user")
_SHAPE = "snowflake://ACCOUNT/DATABASE/SCHEMA?warehouse=W&role=R"


@dataclass(frozen=True)
class SnowflakeSettings:
    account: str
    database: str
    schema: str
    user: str
    options: dict[str, Any] = field(default_factory=dict)
    host: str | None = None
    port: int | None = None
    protocol: str | None = None
    password: str | None = field(default=None, repr=False)
    private_key_path: Path | None = None
    private_key_passphrase: str | None = field(default=None, repr=False)

    @classmethod
    def from_uri(cls, uri: Uri, environ: Mapping[str, str] | None = None) -> SnowflakeSettings:
        env = os.environ if environ is None else environ
        account, database, schema = _parse_location(uri)
        options = _parse_options(uri.query)
        user = env.get("SNOWFLAKE_USER", "").strip()
        key_path = env.get("SNOWFLAKE_PRIVATE_KEY_PATH", "").strip()
        password = env.get("SNOWFLAKE_PASSWORD") or None
        if not user:
            raise BackendError(
                "SNOWFLAKE_USER is not set",
                key="data",
                fix="export SNOWFLAKE_USER and SNOWFLAKE_PASSWORD (or SNOWFLAKE_PRIVATE_KEY_PATH "
                "for key-pair authentication); credentials never go in the data URI",
            )
        if not key_path and not password:
            raise BackendError(
                f"no credentials for Snowflake user {user!r}",
                key="data",
                fix="export SNOWFLAKE_PASSWORD, or SNOWFLAKE_PRIVATE_KEY_PATH (+ "
                "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE if the key is encrypted)",
            )
        return cls(
            account=account,
            database=database,
            schema=schema,
            user=user,
            options=options,
            host=env.get("SNOWFLAKE_HOST") or None,
            port=_port(env.get("SNOWFLAKE_PORT")),
            protocol=_protocol(env.get("SNOWFLAKE_PROTOCOL")),
            password=None if key_path else password,
            private_key_path=Path(key_path).expanduser() if key_path else None,
            private_key_passphrase=env.get("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE") or None,
        )

    def connect_kwargs(self) -> dict[str, Any]:
        """Arguments for ``snowflake.connector.connect``. Holds secrets: never log it."""
        kwargs: dict[str, Any] = {
            "account": self.account,
            "user": self.user,
            "database": self.database,
            "schema": self.schema,
            # Server-side binding with ? placeholders, as DuckDB takes them locally.
            "paramstyle": "qmark",
            "application": "stainless",
            # Out-of-band telemetry would call a Snowflake host other than the one configured.
            "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
            **self.options,
        }
        for name in ("host", "port", "protocol"):
            if getattr(self, name) is not None:
                kwargs[name] = getattr(self, name)
        if self.private_key_path is not None:
            kwargs["private_key"] = self._private_key_der()
            kwargs["authenticator"] = "SNOWFLAKE_JWT"
        else:
            kwargs["password"] = self.password
        return kwargs

    def secrets(self) -> list[str]:
        """Values that must never appear in a message (scrubbed from the connector's errors)."""
        return [s for s in (self.password, self.private_key_passphrase) if s]

    def credential_variables(self) -> str:
        if self.private_key_path is not None:
            return "SNOWFLAKE_USER, SNOWFLAKE_PRIVATE_KEY_PATH and SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"
        return "SNOWFLAKE_USER and SNOWFLAKE_PASSWORD"

    def where(self) -> str:
        return f"{self.database}.{self.schema}"

    def endpoint(self) -> str:
        if self.host:
            return f"{self.protocol or 'https'}://{self.host}:{self.port or 443}"
        return f"account {self.account}"

    def describe(self) -> str:
        """For logs: everything but secrets."""
        auth = "key pair" if self.private_key_path is not None else "password"
        extras = "".join(f", {k}={v}" for k, v in sorted(self.options.items()))
        return (
            f"account={self.account}, database={self.database}, schema={self.schema}, "
            f"user={self.user}, auth={auth}{extras}"
        )

    def _private_key_der(self) -> bytes:
        """The connector wants DER bytes; reading the PEM here lets a bad file or passphrase be
        explained in terms of our environment variables rather than the connector's arguments."""
        try:
            from cryptography.hazmat.primitives import serialization
        except ImportError:
            raise MissingExtraError(
                "cryptography", "snowflake", "Snowflake key-pair authentication"
            ) from None
        path = self.private_key_path
        assert path is not None
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise BackendError(
                f"cannot read the private key {path}: {exc.strerror}",
                key="data",
                fix="set SNOWFLAKE_PRIVATE_KEY_PATH to a readable PEM private key file",
            ) from None
        passphrase = self.private_key_passphrase.encode() if self.private_key_passphrase else None
        try:
            key = serialization.load_pem_private_key(pem, password=passphrase)
        except TypeError:
            # cryptography: encrypted key without a passphrase, or a passphrase for a plain key.
            needed = passphrase is None
            raise BackendError(
                f"the private key {path} is {'' if needed else 'not '}encrypted",
                key="data",
                fix="set SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"
                if needed
                else "unset SNOWFLAKE_PRIVATE_KEY_PASSPHRASE",
            ) from None
        except ValueError:
            raise BackendError(
                f"cannot load the private key {path}",
                key="data",
                expected="a PEM private key (PKCS#8) and, if encrypted, its passphrase",
                fix="check SNOWFLAKE_PRIVATE_KEY_PATH and SNOWFLAKE_PRIVATE_KEY_PASSPHRASE",
            ) from None
        return key.private_bytes(
            encoding=serialization.Encoding.DER,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )


def _parse_location(uri: Uri) -> tuple[str, str, str]:
    if "@" in uri.location:
        # Never echo it: whatever precedes the @ may be a password.
        raise BackendError(
            "the Snowflake data URI carries credentials (user@ or user:password@)",
            key="data",
            expected=_SHAPE,
            fix="remove them from the URI and export SNOWFLAKE_USER and SNOWFLAKE_PASSWORD",
        )
    parts = [part for part in uri.location.split("/") if part]
    if len(parts) not in (2, 3):
        raise BackendError(
            "the Snowflake data URI needs an account and a database",
            key="data",
            expected=_SHAPE,
            found=f"snowflake://{uri.location}",
        )
    account, database = parts[0], parts[1]
    return account, database, parts[2] if len(parts) == 3 else "PUBLIC"


def _parse_options(query: Mapping[str, str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name, value in query.items():
        if any(word in name.lower() for word in _SECRET_WORDS):
            raise BackendError(
                f"the Snowflake data URI carries {name!r}; credentials never go in the URI",
                key="data",
                fix="remove it and use the environment: SNOWFLAKE_USER, SNOWFLAKE_PASSWORD or "
                "SNOWFLAKE_PRIVATE_KEY_PATH (+ SNOWFLAKE_PRIVATE_KEY_PASSPHRASE)",
            )
        kind = OPTIONS.get(name)
        if kind is None:
            raise BackendError(
                f"unknown Snowflake option {name!r} in the data URI",
                key="data",
                expected=", ".join(OPTIONS),
            )
        try:
            options[name] = kind(value)
        except ValueError:
            raise BackendError(
                f"Snowflake option {name} must be a whole number of seconds",
                key="data",
                found=repr(value),
                fix=f"e.g. {name}=60 in the data URI",
            ) from None
    return options


def _port(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise BackendError(
            "SNOWFLAKE_PORT must be a TCP port number",
            key="data",
            found=repr(value),
            fix="unset it (Snowflake's own port is used) or give the private link's port",
        )
    return int(value)


def _protocol(value: str | None) -> str | None:
    if not value:
        return None
    if value not in ("http", "https"):
        raise BackendError(
            "SNOWFLAKE_PROTOCOL must be http or https",
            key="data",
            found=repr(value),
            fix="unset it (https) unless you talk to a local test server (http)",
        )
    return value
