"""Fixtures of the pipeline tests."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def canary(bake, monkeypatch: pytest.MonkeyPatch):  # -> tuple[Workspace, ConsoleNotifier]
    """A baked project whose version 1 is production on the local endpoint and whose better
    version 2 (run "r2") is in its canary, step 1 of 3 at 25 %; notifications recorded."""
    from stainless.backends.notify.console import ConsoleNotifier
    from stainless.pipeline.runner import run_lifecycle
    from stainless.project.config import load_config
    from stainless.workspace import Workspace

    project_dir = bake()
    monkeypatch.setenv("STAINLESS_PARAMS", json.dumps({"alpha": 300}))
    assert run_lifecycle(Workspace(load_config(project_dir)), "r1", in_process=True).ok
    monkeypatch.setenv("STAINLESS_PARAMS", json.dumps({"alpha": 30}))
    notifier = ConsoleNotifier()
    project = Workspace(load_config(project_dir), notifier_override=notifier)
    report = run_lifecycle(project, "r2", in_process=True, until="deploy")
    assert report.ok and report.stages["deploy"].state == "canary", report.error
    return project, notifier
