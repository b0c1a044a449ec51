"""The stage protocol: what every pipeline stage has in common, written once.

A stage has a name, the stage whose result it needs (its prerequisite), and a typed result. The
template method :meth:`Stage.run` does the rest, the same way for the runner, the stage commands,
the container entry point and the Airflow tasks:

- a stage already completed for this run id is skipped and its recorded result returned, so a
  re-run resumes where it stopped (``force`` runs it again);
- a missing prerequisite is an error that says which command to run first;
- a failure is announced once (the ``stage_failed`` notice) and re-raised;
- the result is recorded last and atomically as the stage's completion marker, so a stage killed
  half-way has no marker and simply runs again.

Subclasses implement only :meth:`Stage._run`.
"""

from __future__ import annotations

import dataclasses
import logging
import types
import typing
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar, get_args, get_origin

from stainless.core.errors import StageError, StainlessError
from stainless.workspace import Workspace, markers

log = logging.getLogger("stainless.pipeline")

R = TypeVar("R", bound="StageResult")


@dataclasses.dataclass(frozen=True)
class StageResult:
    """A stage's result. Recorded as JSON in the stage's marker and read back typed."""

    def to_record(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_record(cls: type[R], record: dict[str, Any]) -> R:
        """Read a recorded result; keys the type does not know (the marker's own ``stage``,
        ``run_id``, ``completed_at``) are ignored."""
        return typing.cast(R, _build(cls, record))

    def summary(self, metric: str) -> str:
        """One line for people (the run table, logs)."""
        return ""


def _build(kind: Any, value: Any) -> Any:
    """Rebuild a (possibly nested) dataclass value from its JSON form."""
    if value is None:
        return None
    origin = get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in get_args(kind) if arg is not type(None)]
        return _build(options[0], value) if len(options) == 1 else value
    if origin is dict:
        _, item = get_args(kind)
        return {key: _build(item, entry) for key, entry in value.items()}
    if origin is list:
        (item,) = get_args(kind)
        return [_build(item, entry) for entry in value]
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        known = {f.name for f in dataclasses.fields(kind) if f.init}
        return kind(**{k: _build(hints[k], v) for k, v in value.items() if k in known})
    return value


class Stage(ABC, Generic[R]):
    """One step of a run. ``name`` is also its command (`stainless <name>`) and marker."""

    name: ClassVar[str]
    result_type: ClassVar[type[StageResult]]
    # The stage whose recorded result this one needs, and how its absence reads.
    requires: ClassVar[type[Stage[Any]] | None] = None
    missing: ClassVar[str] = ""

    @classmethod
    def completed(cls, workspace: Workspace, run_id: str) -> R | None:
        record = markers.completed(workspace.store, run_id, cls.name)
        if record is None:
            return None
        return typing.cast(R, cls.result_type.from_record(record))

    def run(self, workspace: Workspace, run_id: str, force: bool = False) -> R:
        if not force and (done := self.completed(workspace, run_id)) is not None:
            log.info("%s already done for run %s; skipping", self.name, run_id)
            return done
        previous = self._prerequisite(workspace, run_id)
        try:
            result = self._run(workspace, run_id, previous)
        except Exception as exc:
            announce_failure(workspace, self.name, run_id, exc)
            raise
        markers.mark_completed(workspace.store, run_id, self.name, result.to_record())
        return result

    def _prerequisite(self, workspace: Workspace, run_id: str) -> Any:
        if self.requires is None:
            return None
        previous = self.requires.completed(workspace, run_id)
        if previous is None:
            raise StageError(
                f"run {run_id} {self.missing}",
                fix=f"run `stainless {self.requires.name} --run-id {run_id}` first",
            )
        return previous

    @abstractmethod
    def _run(self, workspace: Workspace, run_id: str, previous: Any) -> R:
        """Do the stage's work; ``previous`` is the prerequisite's result (or None)."""


def announce_failure(workspace: Workspace, stage: str, run_id: str, exc: BaseException) -> None:
    """The one ``stage_failed`` notice of a failed stage (or rollout)."""
    text = exc.render() if isinstance(exc, StainlessError) else f"{type(exc).__name__}: {exc}"
    workspace.notify(
        "stage_failed",
        f"{stage} failed: {text}",
        run_id,
        fields={"stage": stage},
        severity="alert",
    )
