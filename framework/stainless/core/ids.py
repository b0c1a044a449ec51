"""Run identifiers: sortable by time, safe in paths, S3 keys, SageMaker and Airflow names."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from stainless.core.errors import StainlessError

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def new_run_id(now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    return f"{moment}-{secrets.token_hex(3)}"


def sanitize_run_id(raw: str) -> str:
    """Turn an external id (e.g. Airflow's ``manual__2026-01-01T00:00:00+00:00``) into ours.

    Deterministic, so an Airflow retry of the same run maps to the same run id and re-uses
    what the first try already produced.
    """
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-._")
    return check_run_id(cleaned[:128] or "run")


def check_run_id(run_id: str) -> str:
    if not _RUN_ID.match(run_id):
        raise StainlessError(
            f"invalid run id {run_id!r}",
            expected="letters, digits, '.', '_' or '-' (at most 128, starting alphanumeric)",
            fix="pass --run-id with a simple name, e.g. 2026-11-28-nightly",
        )
    return run_id
