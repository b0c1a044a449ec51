"""Compute backends: where a stage's command runs, with its CPU, memory and time limits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from stainless.backends import resolve

IMPLEMENTATIONS = {
    "local": "stainless.backends.compute.local:LocalCompute",
    "sagemaker": "stainless.backends.compute.sagemaker:SageMakerCompute",
}


@dataclass(frozen=True)
class StageJob:
    """One stage of one run, as a command line plus the limits it must respect."""

    stage: str
    run_id: str
    command: list[str]
    cwd: Path
    cpus: float
    memory_gb: float
    timeout_s: float
    env: dict[str, str]
    # Modules worth importing once and sharing with every stage process (pandas, scikit-learn,
    # the stage's own modules): local compute forks stages from a process that has them loaded.
    preload: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobResult:
    returncode: int
    duration_s: float
    peak_memory_mb: float
    reason: str | None = None  # why it was stopped, when it was
    # What the job was billed for, when the backend knows it (SageMaker): the instance type and
    # the billable seconds (training jobs report them; processing jobs bill start to end).
    instance_type: str | None = None
    billable_s: float | None = None


@runtime_checkable
class Compute(Protocol):
    def run(self, job: StageJob) -> JobResult: ...


def open_compute(uri: str, base: Path) -> Compute:
    cls, parsed = resolve("compute", IMPLEMENTATIONS, uri)
    return cls.from_uri(parsed, base)
