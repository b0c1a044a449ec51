"""Fixtures shared across the suite. Keep each fixture small; add yours below the others."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def bake(tmp_path: Path) -> Callable[..., Path]:
    """Generate a model repository from the bundled template with the given answers."""
    from cookiecutter.main import cookiecutter
    from stainless.project.template import template_dir

    def _bake(**answers: str) -> Path:
        out = tmp_path / f"bake{len(list(tmp_path.glob('bake*')))}"
        return Path(
            cookiecutter(
                str(template_dir()), no_input=True, output_dir=str(out), extra_context=answers
            )
        )

    return _bake


@pytest.fixture(autouse=True)
def _isolated_backends(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A developer's shell may point backends elsewhere; tests always use the project's own."""
    for key in list(os.environ):
        if key.startswith("STAINLESS_") and key not in (
            "STAINLESS_REQUIRE_DOCKER",
            "STAINLESS_REQUIRE_AIRFLOW",
            "STAINLESS_REQUIRE_SNOWFLAKE",
            "STAINLESS_REQUIRE_SAGEMAKER",
            "STAINLESS_REQUIRE_BROWSER",
        ):
            monkeypatch.delenv(key)
    # Prices a developer refreshed (`stainless instances --refresh`) must not change results.
    monkeypatch.setenv("STAINLESS_PRICE_TABLE", str(tmp_path / "refreshed-prices.json"))


@pytest.fixture
def slack_stub():  # -> Iterator[SlackStub]
    """A real HTTP Slack Web API + webhook stub on 127.0.0.1 (stainless/testing/slack_stub.py)."""
    from stainless.testing.slack_stub import SlackStub

    with SlackStub() as stub:
        yield stub


@pytest.fixture(autouse=True)
def _stop_local_endpoints(tmp_path: Path):
    """A test that ran `stainless run` leaves a local endpoint up (as production would): stop
    every endpoint under the test's temp dir so no server outlives its test."""
    yield
    from stainless.backends.endpoints.local.endpoint import LocalEndpoint

    for state in tmp_path.glob("**/.stainless/endpoints/*/state.db"):
        project_dir = state.parents[3]
        try:
            LocalEndpoint.from_uri("local://", project_dir, state.parent.name).down()
        except Exception as exc:  # noqa: BLE001 - cleanup must not hide the test's own result
            print(f"could not stop endpoint {state.parent}: {exc}")
