"""Backends: one folder per kind, a small Protocol per kind, one module per implementation.

Implementations are looked up by URI scheme and imported only when chosen, so an optional SDK
(boto3, snowflake, slack-sdk) is needed only by those who use it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from stainless.core.errors import BackendError
from stainless.core.uris import Uri, parse_uri


def resolve(kind: str, table: Mapping[str, str], raw_uri: str) -> tuple[type[Any], Uri]:
    """Find the class implementing ``raw_uri`` among ``table`` (scheme -> "module:Class")."""
    try:
        uri = parse_uri(raw_uri)
    except ValueError as exc:
        raise BackendError(str(exc), key=kind, fix=f"use one of: {_schemes(table)}") from None
    target = table.get(uri.scheme)
    if target is None:
        raise BackendError(
            f"no {kind} backend for scheme {uri.scheme!r}",
            key=kind,
            expected=_schemes(table),
            found=raw_uri,
        )
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name), uri


def _schemes(table: Mapping[str, str]) -> str:
    return ", ".join(f"{scheme}://" for scheme in table)
