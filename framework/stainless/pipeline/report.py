"""One self-contained HTML page per run: what happened, why, what it cost, where it came from.

Everything is read from the store and the registry (stage records, evaluation, decision, rollout
state, figures, costs) into typed rows, then rendered by a Jinja2 template shipped with the
package (``templates/report.html.j2``, autoescaped). Figures are embedded as ``data:`` URIs and
the page loads nothing from anywhere, so it can be mailed, archived, or opened from S3 through a
presigned URL. The page is stored with the run (``runs/<run>/report.html``).
"""

from __future__ import annotations

import base64
import json
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stainless.core.atomic import write_text
from stainless.core.errors import StainlessError
from stainless.pipeline.cost import format_usd, run_cost
from stainless.pipeline.status import run_outcome
from stainless.workspace import Workspace, markers
from stainless.workspace.layout import evaluation_key, report_key, run_prefix

log = logging.getLogger("stainless.report")

STAGES = ("preprocess", "train", "evaluate", "decide", "deploy", "finalize")
SHARE_EXPIRES_S = 7 * 24 * 3600  # the longest a SigV4 presigned URL may live


@dataclass(frozen=True)
class StageRow:
    name: str
    completed_at: str | None
    seconds: float | None
    cost: str
    basis: str
    instance_type: str | None


@dataclass(frozen=True)
class Comparison:
    metric: str
    direction: str
    rows: int | None
    candidate: float | None
    candidate_version: int | None
    production: float | None
    production_version: int | None
    margin: float | None
    required: float | None
    ci_low: float | None
    ci_high: float | None

    @property
    def has_interval(self) -> bool:
        return self.ci_low is not None and self.ci_high is not None


@dataclass(frozen=True)
class Decision:
    action: str
    reason: str


@dataclass(frozen=True)
class Figure:
    name: str
    data_uri: str


@dataclass(frozen=True)
class RolloutEvent:
    at: str
    action: str
    reason: str
    weight: float | None
    target_weight: float | None
    evidence: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RolloutTick:
    at: str
    weight: float
    candidate: str
    production: str


@dataclass(frozen=True)
class Rollout:
    state: str
    reason: str
    candidate_version: int
    production_version: int | None
    started_at: str
    events: tuple[RolloutEvent, ...]
    ticks: tuple[RolloutTick, ...]


@dataclass(frozen=True)
class Lineage:
    commit: str | None
    dirty: bool | None
    data_hash: str | None
    lock_hash: str | None
    image: str | None
    config_hash: str | None
    environment: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RunReportData:
    model: str
    run_id: str
    version: int | None
    status: str | None
    outcome: str
    generated_at: str
    total_cost: str
    prices: str
    stages: tuple[StageRow, ...]
    comparison: Comparison | None
    decision: Decision | None
    figures: tuple[Figure, ...]
    rollout: Rollout | None
    lineage: Lineage | None
    notional: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ReportFile:
    key: str  # in the store
    path: Path  # a local copy to open
    url: str  # to share: presigned https on S3, file:// locally


def build_report(project: Workspace, run_id: str) -> RunReportData:
    store = project.store
    if not store.list(f"{run_prefix(run_id)}/"):
        raise StainlessError(
            f"run {run_id} has nothing in the store",
            fix="pick a run id from `stainless versions` (the run id column)",
        )
    config = project.config
    version = project.registry.by_run(run_id)
    records = {s: markers.completed(store, run_id, s) for s in STAGES}
    cost = run_cost(store, run_id)
    costs = {c.stage: c for c in cost.stages}
    stages = []
    for name in STAGES:
        record, spent = records[name], costs.get(name)
        if record is None and spent is None:
            continue
        seconds = spent.seconds if spent else (record or {}).get("duration_s")
        stages.append(
            StageRow(
                name,
                (record or {}).get("completed_at"),
                seconds,
                format_usd(spent.usd) if spent else "—",
                spent.basis if spent else "",
                spent.instance_type if spent else None,
            )
        )
    rollout_row = _rollout_row(project, run_id)
    if rollout_row is not None:  # between deploy and finalize, like the lifecycle
        at = next((i for i, row in enumerate(stages) if row.name == "finalize"), len(stages))
        stages.insert(at, rollout_row)
    decision_record = records["decide"]
    comparison = _comparison(project, run_id, decision_record)
    decision = (
        Decision(str(decision_record.get("action")), str(decision_record.get("reason", "")))
        if decision_record
        else None
    )
    rollout = _rollout(project, run_id)
    figures = tuple(
        Figure(key.rsplit("/", 1)[1], _data_uri(store.get_bytes(key)))
        for key in sorted(store.list(f"{run_prefix(run_id)}/figures/"))
        if key.endswith(".png")
    )
    lineage = _lineage(version.lineage if version else None)
    return RunReportData(
        model=project.name,
        run_id=run_id,
        version=version.version if version else None,
        status=version.status if version else None,
        outcome=run_outcome(project, run_id),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        total_cost=format_usd(cost.usd, cost.notional) if cost.stages else "—",
        prices=cost.stages[0].prices if cost.stages else "",
        stages=tuple(stages),
        comparison=comparison,
        decision=decision,
        figures=figures,
        rollout=rollout,
        lineage=lineage,
        notional=cost.notional,
        notes=(f"metric: {config.metric} ({config.direction})",),
    )


def render_report(data: RunReportData) -> str:
    try:
        import jinja2
    except ImportError:  # a dependency of stainless (and of cookiecutter): a broken install
        raise StainlessError("jinja2 is missing", fix="pip install stainless again") from None
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("stainless.pipeline", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["seconds"] = _seconds
    env.filters["percent"] = lambda v: "—" if v is None else f"{float(v):g}%"
    return env.get_template("report.html.j2").render(report=data)


def write_report(project: Workspace, run_id: str) -> ReportFile:
    """Build, render and store the run's report; a local copy under .stainless/work to open."""
    page = render_report(build_report(project, run_id))
    key = report_key(run_id)
    project.store.put_bytes(key, page.encode("utf-8"))
    path = project.work_dir / run_id / "report.html"
    write_text(path, page)
    # The store's own link: presigned on S3 (Slack links it), the stored file locally.
    return ReportFile(key, path, project.store.share_url(key, SHARE_EXPIRES_S))


def publish_report(project: Workspace, run_id: str) -> ReportFile | None:
    """write_report for the end of a run: never fails it (a report is about the run, not part
    of it); the failure is logged."""
    try:
        return write_report(project, run_id)
    except Exception:
        log.exception("could not write the report of run %s", run_id)
        return None


# -- reading ---------------------------------------------------------------------------------------
def _comparison(
    project: Workspace, run_id: str, decision: dict[str, Any] | None
) -> Comparison | None:
    config = project.config
    store = project.store
    if not store.exists(evaluation_key(run_id)):
        return None
    evaluation = json.loads(store.get_bytes(evaluation_key(run_id)))
    production = evaluation.get("production") or {}
    decision = decision or {}
    return Comparison(
        metric=config.metric,
        direction=config.direction,
        rows=evaluation.get("rows"),
        candidate=_float(evaluation.get("candidate", {}).get("value")),
        candidate_version=evaluation.get("candidate", {}).get("version"),
        production=_float(production.get("value")),
        production_version=production.get("version"),
        margin=_float(decision.get("margin")),
        required=_float(decision.get("required")),
        ci_low=_float(decision.get("ci_low")),
        ci_high=_float(decision.get("ci_high")),
    )


def _rollout(project: Workspace, run_id: str) -> Rollout | None:
    from stainless.pipeline.rollout_state import load_state

    state = load_state(project.store, run_id)
    if state is None:
        return None
    events = tuple(
        RolloutEvent(
            _time(record.get("at")),
            str(record.get("action", "")),
            str(record.get("reason", "")),
            _float(record.get("weight")),
            _float(record.get("target_weight")),
            tuple((str(k), _text(v)) for k, v in (record.get("evidence") or {}).items()),
        )
        for record in state.decisions
    )
    ticks = tuple(
        RolloutTick(
            _time(tick.get("at")),
            float(tick.get("weight", 0.0)),
            _counts(tick.get("candidate")),
            _counts(tick.get("production")),
        )
        for tick in state.ticks
    )
    return Rollout(
        state.state,
        state.reason,
        state.candidate_version,
        state.production_version,
        _time(state.rollout_started_at),
        events,
        ticks,
    )


def _rollout_row(project: Workspace, run_id: str) -> StageRow | None:
    """The rollout has no stage record: its duration runs from its start to its last look."""
    from stainless.pipeline.rollout_state import load_state

    state = load_state(project.store, run_id)
    if state is None or not state.ticks:
        return None
    last = float(state.ticks[-1]["at"])
    finished = datetime.fromtimestamp(last, UTC).isoformat(timespec="seconds")
    seconds = max(0.0, last - state.rollout_started_at)
    # Its cost is the endpoint's (see `stainless cost`), not a job's.
    return StageRow("rollout", finished, seconds, "—", "endpoint", None)


def _lineage(record: dict[str, Any] | None) -> Lineage | None:
    if record is None:
        return None
    git = record.get("git") or {}
    lock = record.get("lock") or {}
    return Lineage(
        commit=git.get("commit"),
        dirty=git.get("dirty"),
        data_hash=record.get("data_fingerprint"),
        lock_hash=record.get("requirements_lock_sha256")  # `stainless lock`'s requirements.lock
        or (lock.get("hash") if isinstance(lock, dict) else None),
        image=record.get("image"),
        config_hash=record.get("config_hash"),
        environment=tuple((str(k), str(v)) for k, v in (record.get("environment") or {}).items()),
    )


def _counts(counts: Any) -> str:
    if not isinstance(counts, dict):
        return "—"
    # A tick's counts (rollout_controller._delta): "errors" are the model's (5xx, crashes).
    requests, errors = counts.get("requests", 0), counts.get("errors", 0)
    return f"{requests} requests, {errors} model errors"


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _time(unix: Any) -> str:
    number = _float(unix)
    if number is None:
        return "—"
    return datetime.fromtimestamp(number, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _text(value: Any) -> str:
    if value is None:  # undefined so far (e.g. a ratio with no errors yet)
        return "—"
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def _num(value: Any) -> str:
    number = _float(value)
    return "—" if number is None else f"{number:.4g}"


def _seconds(value: Any) -> str:
    number = _float(value)
    if number is None:
        return "—"
    if number < 60:
        return f"{number:.1f} s"
    minutes, secs = divmod(round(number), 60)
    return f"{minutes} min {secs:02d} s"
