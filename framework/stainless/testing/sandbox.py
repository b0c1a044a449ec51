"""The model project run once per test session in a temporary place: its own store, registry
and scratch space, so the suite never writes into the repository's .stainless folder."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stainless.backends.notify import Event
from stainless.core.ids import new_run_id
from stainless.project.config import ModelConfig
from stainless.workspace import Workspace

if TYPE_CHECKING:
    from stainless.pipeline.stages import StageResult


class CollectingNotifier:
    """Keeps the messages a run would post (the suite has nobody to tell)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def send(self, event: Event) -> None:
        self.events.append(event)


@dataclass
class SandboxProject(Workspace):
    sandbox: Path = field(default_factory=Path)

    @property
    def work_dir(self) -> Path:
        return self.sandbox / "work"


def sandbox_environment(sandbox: Path) -> dict[str, str]:
    """Backend overrides (the same variables CI uses) pointing into ``sandbox``."""
    return {
        "STAINLESS_STORE": f"file://{sandbox / 'store'}",
        "STAINLESS_REGISTRY": f"sqlite://{sandbox / 'registry.db'}",
        "STAINLESS_NOTIFY": "console://",
    }


def open_sandbox(config: ModelConfig, sandbox: Path) -> SandboxProject:
    return SandboxProject(config, notifier_override=CollectingNotifier(), sandbox=sandbox)


ORDER = ("preprocess", "train")


class StageFailed(Exception):
    """A stage the current test depends on failed in an earlier test of the session."""


class Stages:
    """Each stage runs at most once per session; later tests get its result or its error."""

    def __init__(self, project: SandboxProject, run: Callable[[Workspace, str, str], Any]) -> None:
        self.project = project
        self.run_id = new_run_id()
        self._run = run
        self._results: dict[str, StageResult] = {}
        self._errors: dict[str, BaseException] = {}

    def result(self, stage: str) -> StageResult:
        """Run ``stage`` (once); raise its error in the test that owns the stage."""
        if stage in self._errors:
            raise self._errors[stage]
        for earlier in ORDER[: ORDER.index(stage)] if stage in ORDER else []:
            self.require(earlier)  # e.g. `pytest -k train` still preprocesses first
        if stage not in self._results:
            try:
                self._results[stage] = self._run(self.project, stage, self.run_id)
            except BaseException as exc:
                self._errors[stage] = exc
                raise
        return self._results[stage]

    def require(self, stage: str) -> StageResult:
        """For tests that only depend on ``stage``: a failure there is reported once, there."""
        try:
            return self.result(stage)
        except Exception as exc:
            raise StageFailed(f"{stage} failed (see the test of {stage}): {exc}") from exc


def is_finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
