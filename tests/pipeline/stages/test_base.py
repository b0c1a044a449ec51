"""The stage protocol: skip when done, refuse without the prerequisite, announce a failure once,
record a typed result that reads back equal."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from stainless.backends.notify.console import ConsoleNotifier
from stainless.core.errors import HookError, StageError
from stainless.pipeline.stages import EvaluateResult, PreprocessResult
from stainless.pipeline.stages.base import Stage, StageResult
from stainless.pipeline.stages.evaluate import ScoredVersion
from stainless.pipeline.stages.preprocess import SplitSummary
from stainless.project.config import load_config
from stainless.workspace import Workspace, markers


@dataclass(frozen=True)
class Counted(StageResult):
    calls: int
    notes: dict[str, float] = field(default_factory=dict)


class First(Stage[Counted]):
    name = "first"
    result_type = Counted
    calls = 0

    def _run(self, workspace: Workspace, run_id: str, previous: None) -> Counted:
        First.calls += 1
        return Counted(First.calls, {"x": 1.5})


class Second(Stage[Counted]):
    name = "second"
    result_type = Counted
    requires = First
    missing = "has no first result"

    def _run(self, workspace: Workspace, run_id: str, previous: Counted) -> Counted:
        if previous.notes.get("fail"):
            raise HookError("the hook broke", file="train.py", fix="fix it")
        return Counted(previous.calls + 100)


@pytest.fixture
def workspace(bake) -> tuple[Workspace, ConsoleNotifier]:
    notifier = ConsoleNotifier()
    return Workspace(load_config(bake()), notifier_override=notifier), notifier


def test_a_completed_stage_is_skipped_unless_forced(workspace):
    ws, _ = workspace
    First.calls = 0
    first = First().run(ws, "r1")
    assert first == Counted(1, {"x": 1.5})
    assert First().run(ws, "r1") == first and First.calls == 1
    assert First().run(ws, "r1", force=True).calls == 2
    record = markers.completed(ws.store, "r1", "first")
    assert record["run_id"] == "r1" and record["stage"] == "first" and "completed_at" in record


def test_a_missing_prerequisite_names_the_command_to_run_first(workspace):
    ws, notifier = workspace
    with pytest.raises(StageError, match="has no first result") as raised:
        Second().run(ws, "r2")
    assert "stainless first --run-id r2" in raised.value.render()
    assert not notifier.sent  # refusing to start is not a failure of the stage


def test_a_failure_is_announced_once_and_records_nothing(workspace):
    ws, notifier = workspace
    markers.mark_completed(ws.store, "r3", "first", Counted(1, {"fail": 1.0}).to_record())
    with pytest.raises(HookError):
        Second().run(ws, "r3")
    failures = [e for e in notifier.sent if e.kind == "stage_failed"]
    assert len(failures) == 1 and "second failed" in failures[0].title
    assert failures[0].fields == {"stage": "second"}
    assert Second.completed(ws, "r3") is None


def test_nested_results_read_back_typed():
    result = EvaluateResult(
        metric="rmse",
        direction="minimize",
        rows=10,
        candidate=ScoredVersion(2, 1.5, 3.0),
        production=ScoredVersion(1, None, error="schema changed"),
    )
    again = EvaluateResult.from_record({**result.to_record(), "stage": "evaluate"})
    assert again == result and isinstance(again.production, ScoredVersion)
    prep = PreprocessResult({"train": SplitSummary(8, "ab")}, "ab", 0.2, 0.1)
    assert PreprocessResult.from_record(prep.to_record()).splits["train"].rows == 8


def test_results_summarise_for_people(tmp_path: Path):
    prep = PreprocessResult(
        {"train": SplitSummary(8, "a"), "validation": SplitSummary(2, "b")}, "a-b", 0.2, 0.1
    )
    assert prep.summary("rmse") == "train: 8 rows, validation: 2 rows"
