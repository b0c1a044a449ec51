"""A baked project whose first version is trained, promoted and served by the local endpoint,
driven through the CLI as a user would: what the monitoring tests (``stainless monitor`` and
the monitoring DAG) and the endpoint commands' tests share."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from stainless.cli import main
from stainless.pipeline.runner import run_lifecycle
from stainless.serving.records import CapturedRecord, parse_lines
from stainless.workspace import open_workspace


def stainless(*args: str) -> str:
    """``stainless ARGS`` in this process; fails the test unless it exits 0. Its stdout."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@contextmanager
def promoted(project_dir: Path, **sections: dict[str, Any]) -> Iterator[Path]:
    """``project_dir`` with ``sections`` set in its model.yaml, its first version (run-1)
    trained and promoted; the endpoint it may start is stopped on the way out."""
    config_file = project_dir / "model.yaml"
    config = yaml.safe_load(config_file.read_text())
    config.update(sections)
    config_file.write_text(yaml.safe_dump(config))
    assert run_lifecycle(open_workspace(project_dir), "run-1", in_process=True).ok
    try:
        yield project_dir
    finally:
        CliRunner().invoke(main, ["endpoint", "down", "-C", str(project_dir)])


def captured(project_dir: Path) -> list[CapturedRecord]:
    """Every request/response pair the endpoint has captured so far."""
    store = open_workspace(project_dir).store
    return [r for key in store.list("capture") for r in parse_lines(store.get_bytes(key))]


def replay(project_dir: Path, count: int, *shifts: str) -> None:
    """``stainless traffic``: ``count`` validation rows (with ``--shift`` each of ``shifts``),
    all answered by v1 and all captured before it returns."""
    before = len(captured(project_dir))
    args = ["--max-requests", str(count), "--rate", "400", "--duration", "5", "--json"]
    for shift in shifts:
        args += ["--shift", shift]
    sent = json.loads(stainless("traffic", "-C", str(project_dir), *args))
    assert sent["variants"]["v1"]["ok"] == count
    deadline = time.monotonic() + 10
    while len(captured(project_dir)) < before + count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(captured(project_dir)) == before + count
