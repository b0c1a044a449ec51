"""Secrets stores: model.yaml names a secret by reference, a process resolves it at run time.

``secrets: {SNOWFLAKE_PASSWORD: "secretsmanager://ml/snowflake#password"}`` puts a *reference*
in git, in the DAG file and in job definitions; the value is fetched by the process that needs it
(a local stage subprocess, a SageMaker job, the endpoint container, an Airflow task) when it
starts its work, into that process's own environment, where the backends (Snowflake, Slack)
read it as before. One module per store, chosen by the reference's scheme:

- ``secretsmanager://SECRET_ID[#JSON_KEY][?region=R]``: AWS Secrets Manager (a JSON key of the
  secret string, or the whole string)
- ``ssm:///PARAMETER/NAME[?region=R]``: SSM Parameter Store, SecureString decrypted
- ``env://NAME``: another environment variable of the process (renaming, local runs)

A variable already set in the process's environment wins over its reference (a laptop can export
SNOWFLAKE_PASSWORD; Airflow can set it from a connection). Values are registered with
:mod:`stainless.core.redact` so they never reach logs, errors or notifications.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from urllib.parse import parse_qsl

from stainless.backends import resolve
from stainless.core import redact
from stainless.core.errors import BackendError

IMPLEMENTATIONS = {
    "secretsmanager": "stainless.backends.secrets.secretsmanager:SecretsManagerStore",
    "ssm": "stainless.backends.secrets.ssm:ParameterStore",
    "env": "stainless.backends.secrets.env:EnvironmentStore",
}


@dataclass(frozen=True)
class SecretRef:
    """A parsed reference; ``variable`` and ``key`` (the model.yaml key) are for error messages."""

    raw: str
    scheme: str
    name: str
    field: str | None
    region: str | None
    variable: str
    key: str

    @classmethod
    def parse(cls, raw: str, variable: str, key: str) -> SecretRef:
        scheme, sep, rest = raw.partition("://")
        rest, _, query = rest.partition("?")
        name, _, field = rest.partition("#")
        if not sep or not name:
            raise BackendError(
                f"{raw!r} is not a secret reference",
                file="model.yaml",
                key=key,
                expected="secretsmanager://ID[#KEY], ssm:///NAME or env://NAME",
                fix="name the secret, never write its value in model.yaml",
            )
        return cls(
            raw=raw,
            scheme=scheme.lower(),
            name=name,
            field=field or None,
            region=dict(parse_qsl(query)).get("region"),
            variable=variable,
            key=key,
        )


@runtime_checkable
class SecretStore(Protocol):
    def get(self, ref: SecretRef) -> str:
        """The secret's value; a BackendError naming ``ref.key`` (never a value) otherwise."""
        ...


@dataclass(frozen=True)
class ExportedSecrets:
    """What :func:`export_secrets` did: names only, so it can be logged."""

    resolved: tuple[str, ...] = ()
    already_set: tuple[str, ...] = ()


# What this process set from a store: a child process resolves its own (child_environ).
_exported: dict[str, str] = {}


def resolve_secrets(
    refs: Mapping[str, str], keys: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Fetch every reference (``keys`` maps a variable to its model.yaml key for errors)."""
    stores: dict[str, SecretStore] = {}
    values: dict[str, str] = {}
    for variable, raw in refs.items():
        key = (keys or {}).get(variable, f"secrets.{variable}")
        ref = SecretRef.parse(raw, variable, key)
        if ref.scheme not in stores:
            cls, _ = resolve("secrets", IMPLEMENTATIONS, raw)
            stores[ref.scheme] = cls()
        value = stores[ref.scheme].get(ref)
        redact.register(value)
        values[variable] = value
    return values


def export_secrets(
    refs: Mapping[str, str],
    environ: MutableMapping[str, str] | None = None,
    keys: Mapping[str, str] | None = None,
) -> ExportedSecrets:
    """Resolve the references not already set in ``environ`` (default: this process's) and set
    them there. Idempotent: a second call finds them set and fetches nothing."""
    target = os.environ if environ is None else environ
    already = tuple(sorted(name for name in refs if target.get(name)))
    wanted = {name: raw for name, raw in refs.items() if not target.get(name)}
    for name in already:
        if name not in _exported and target is os.environ:
            # Set by the deployment (a shell, an Airflow connection): mask it all the same.
            redact.register(target[name])
    values = resolve_secrets(wanted, keys)
    target.update(values)
    if target is os.environ:
        _exported.update(values)
    return ExportedSecrets(resolved=tuple(sorted(values)), already_set=already)


def child_environ(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process that resolves its own secrets: this process's,
    without the values it fetched from a store (so they pass through no job definition)."""
    source = os.environ if environ is None else environ
    return {name: value for name, value in source.items() if _exported.get(name) != value}
