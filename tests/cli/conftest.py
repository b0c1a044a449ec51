"""Fixtures of the command-line tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from stainless.cli import main
from stainless.pipeline.runner import run_lifecycle
from stainless.workspace import open_workspace


@pytest.fixture
def runner() -> CliRunner:
    """click's runner: a command in this process, on real files."""
    return CliRunner()


@pytest.fixture
def project_dir(bake) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """A baked project whose first run was promoted: its local endpoint serves version 1."""
    project_dir = bake()
    assert run_lifecycle(open_workspace(project_dir), "run-1", in_process=True).ok
    try:
        yield project_dir
    finally:
        CliRunner().invoke(main, ["endpoint", "down", "-C", str(project_dir)])
