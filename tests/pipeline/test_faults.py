"""Faults tried on purpose: real controller processes stopped at each persisted step of a rollout
and killed with SIGKILL, concurrent controllers on one endpoint, pause/abort racing a slow tick,
and a Slack that rate-limits and hangs. After every fault the next ordinary command must converge:
the rollout ends promoted or rolled back, the registry has exactly one production version, the
endpoint serves exactly that version, and the endpoint is free for the next rollout.

One baked project serves the whole module (v1 stays the reference production version: a test
that promotes a candidate rolls back to v1 at its end), each test deploys a fresh run.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from stainless.backends.notify.background import flush_notifications
from stainless.backends.notify.console import ConsoleNotifier
from stainless.core import faults
from stainless.core.errors import StainlessError
from stainless.pipeline import rollout_controller as controller
from stainless.pipeline.endpoint_lease import EndpointBusy, claimed_by, lease_key
from stainless.pipeline.rollout_actions import abort_and_finalize, promote_and_finalize
from stainless.pipeline.rollout_state import load_state
from stainless.pipeline.runner import run_lifecycle
from stainless.pipeline.stages import Finalize
from stainless.pipeline.stages.decide import DecideResult
from stainless.pipeline.stages.evaluate import rows_as_requests
from stainless.pipeline.stages.preprocess import load_split
from stainless.pipeline.versions import rollback_to
from stainless.project.config import load_config
from stainless.workspace import Workspace

pytestmark = pytest.mark.integration

STAINLESS = str(Path(sys.executable).with_name("stainless"))
_runs = itertools.count(2)


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from cookiecutter.main import cookiecutter
    from stainless.project.template import template_dir

    out = tmp_path_factory.mktemp("faults")
    project_dir = Path(cookiecutter(str(template_dir()), no_input=True, output_dir=str(out)))
    config = yaml.safe_load((project_dir / "model.yaml").read_text())
    config["rollout"]["local"].update(
        tick_seconds=0.5, min_bake_seconds=0.5, min_requests_per_step=50
    )
    (project_dir / "model.yaml").write_text(yaml.safe_dump(config))
    first = open_project(project_dir, alpha=300)
    assert run_lifecycle(first, "v1", in_process=True).ok
    yield project_dir
    first.endpoint.down()


def open_project(path: Path, **params: object) -> Workspace:
    os.environ["STAINLESS_PARAMS"] = json.dumps(params)
    try:
        return Workspace(load_config(path), notifier_override=ConsoleNotifier())
    finally:
        del os.environ["STAINLESS_PARAMS"]


def candidate(path: Path) -> tuple[Workspace, str]:
    """A fresh run, trained and approved (better than v1), not deployed yet."""
    project = open_project(path, alpha=30)
    run_id = f"v{next(_runs)}"
    report = run_lifecycle(project, run_id, in_process=True, until="decide")
    decided = report.stages.get("decide")
    assert report.ok and isinstance(decided, DecideResult) and decided.approved, report.error
    return project, run_id


def cli(path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [STAINLESS, *args, "-C", str(path)],
        env={**os.environ, "STAINLESS_LOG_FORMAT": "plain", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def ok(path: Path, *args: str) -> str:
    process = cli(path, *args)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0, out
    return out


def kill_at(path: Path, point: str, *args: str, tmp_path: Path) -> None:
    """Run a CLI command that stops at ``point``, then SIGKILL it there."""
    flag = tmp_path / f"{point.replace(':', '_')}.pid"
    process = cli(path, *args, env={faults.STOP_AT: point, faults.FLAG: str(flag)})
    deadline = time.monotonic() + 90
    while not flag.exists():
        if process.poll() is not None:
            raise AssertionError(f"never reached {point}: {process.communicate()[0]}")
        assert time.monotonic() < deadline, f"{point} not reached in time"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL


def assert_converged(project: Workspace, run_id: str, outcome: str) -> None:
    state = load_state(project.store, run_id)
    assert state is not None and state.state == outcome and state.finalized, state
    assert state.pending is None
    production = [v for v in project.registry.list() if v.status == "production"]
    assert len(production) == 1
    expected = state.candidate_version if outcome == "promoted" else production[0].version
    assert production[0].version == expected
    variants = project.endpoint.status().variants
    assert [(v.name, v.weight) for v in variants] == [(f"v{expected}", 1.0)]
    assert claimed_by(project.store, project.name) is None  # free for the next rollout


def back_to_v1(project: Workspace) -> None:
    if project.registry.production().version != 1:
        rollback_to(project, 1, "test reset")


# -- kill -9 inside deploy ------------------------------------------------------------------------
DEPLOY_POINTS = [
    ("deploy:intent-saved", "resume"),
    ("deploy:production-up", "promote"),  # force-promote a candidate that was never added
    ("deploy:production-up", "abort"),  # abort one that was never added
    ("deploy:candidate-added", "abort"),  # added but at 0 %
    ("deploy:weights-intent-saved", "resume"),
    ("advance:weights-set", "resume"),
]


@pytest.mark.parametrize(("point", "recovery"), DEPLOY_POINTS)
def test_kill_9_inside_deploy_then_the_next_command_converges(
    path: Path, tmp_path: Path, point: str, recovery: str
) -> None:
    project, run_id = candidate(path)
    kill_at(path, point, "rollout", "start", "--run-id", run_id, tmp_path=tmp_path)
    state = load_state(project.store, run_id)
    assert state is not None and state.state == "deploying"  # the intent was saved first
    # The next command runs in this process (the kill above was the real-process part).
    if recovery == "resume":
        controller.start(project, run_id)
        state = load_state(project.store, run_id)
        assert (state.state, state.weight, state.pending) == ("canary", 25.0, None)
        assert {v.name: v.weight for v in project.endpoint.status().variants} == {
            "v1": 0.75,
            run_id: 0.25,
        }
        if point == "deploy:intent-saved":
            # A second rollout on the busy endpoint is refused, naming this one and the way out.
            other_project, other = candidate(path)
            with pytest.raises(EndpointBusy, match=f"run {run_id}") as busy:
                controller.start(other_project, other)
            assert f"stainless rollout abort --run-id {run_id}" in busy.value.render()
        abort_and_finalize(project, run_id, "test over")
        assert_converged(project, run_id, "rolled_back")
    else:
        finish = promote_and_finalize if recovery == "promote" else abort_and_finalize
        finish(project, run_id, f"{recovery} after a crash")
        outcome = "promoted" if recovery == "promote" else "rolled_back"
        assert_converged(project, run_id, outcome)
        back_to_v1(project)


# -- kill -9 at the later persisted steps ---------------------------------------------------------
LATER_POINTS = [
    # (point, the command killed there, the command that recovers, outcome)
    ("tick:observed", "tick", "abort", "rolled_back"),
    ("manual:promote-intent-saved", "promote", "finalize", "promoted"),
    ("promote:weights-set", "promote", "promote", "promoted"),
    ("finish:promoted-saved", "promote", "finalize", "promoted"),
    ("manual:rollback-intent-saved", "abort", "finalize", "rolled_back"),
    ("rollback:weights-set", "abort", "abort", "rolled_back"),
    ("finish:rolled_back-saved", "abort", "finalize", "rolled_back"),
    ("finalize:variant-removed", "abort", "finalize", "rolled_back"),
]


@pytest.mark.parametrize(("point", "killed", "recovery", "outcome"), LATER_POINTS)
def test_kill_9_at_each_later_step_then_the_next_command_converges(
    path: Path, tmp_path: Path, point: str, killed: str, recovery: str, outcome: str
) -> None:
    project, run_id = candidate(path)
    controller.start(project, run_id)
    kill_at(path, point, "rollout", killed, "--run-id", run_id, tmp_path=tmp_path)
    if recovery == "finalize":
        Finalize().run(project, run_id)
    elif recovery == "promote":
        promote_and_finalize(project, run_id, "promote after a crash")
    else:
        abort_and_finalize(project, run_id, "abort after a crash")
    assert_converged(project, run_id, outcome)
    events = [e["kind"] for e in project.registry.events(int(run_id[1:]))]
    assert events.count("status:production") == (outcome == "promoted")
    back_to_v1(project)


def test_kill_9_inside_a_rollback_then_rollback_again(path: Path, tmp_path: Path) -> None:
    project, run_id = candidate(path)
    controller.start(project, run_id)
    promote_and_finalize(project, run_id, "test")
    kill_at(path, "rollback:endpoint-switched", "rollback", "--to", "1", tmp_path=tmp_path)
    assert project.registry.production().version == int(run_id[1:])  # the registry: untouched
    ok(path, "rollback", "--to", "1")  # the command itself, once
    assert project.registry.production().version == 1
    assert project.registry.get(int(run_id[1:])).status == "rolled_back"
    assert [v.name for v in project.endpoint.status().variants] == ["v1"]


# -- concurrency ----------------------------------------------------------------------------------
def drive_traffic(project: Workspace, run_id: str, stop: threading.Event) -> int:
    from stainless.pipeline.replay import drive

    requests = rows_as_requests(load_split(project, run_id, "validation"), project.config.target)
    sent = 0
    while not stop.is_set():
        summary = drive(
            project.endpoint.url, requests, rate=300, duration=0.5, endpoint_name=project.name
        )
        sent += sum(v.requests for v in summary.variants.values())
    return sent


def test_two_controllers_ticking_one_endpoint_take_turns(path: Path) -> None:
    project, run_id = candidate(path)
    controller.start(project, run_id)
    stop = threading.Event()
    traffic = threading.Thread(target=drive_traffic, args=(project, run_id, stop), daemon=True)
    traffic.start()
    try:
        both = [cli(path, "rollout", "run", "--run-id", run_id) for _ in range(2)]
        outputs = [p.communicate(timeout=120)[0] for p in both]
    finally:
        stop.set()
        traffic.join(30)
    assert [p.returncode for p in both] == [0, 0], outputs
    state = load_state(project.store, run_id)
    # No lost or doubled step: one decision per step, in order, each applied once.
    assert [d["action"] for d in state.decisions] == ["advance", "promote"], state.decisions
    assert [d["step_index"] for d in state.decisions] == [0, 1]
    assert [t["at"] for t in state.ticks] == sorted(t["at"] for t in state.ticks)
    assert_converged(project, run_id, "promoted")
    back_to_v1(project)


@pytest.mark.parametrize("command", ["pause", "abort"])
def test_pause_or_abort_racing_a_slow_tick_is_not_lost(path: Path, command: str) -> None:
    project, run_id = candidate(path)
    controller.start(project, run_id)
    # The tick reads the counters, then sits 3 s before saving: the window where a pause used
    # to be overwritten and an abort undone.
    ticking = cli(
        path,
        "rollout",
        "tick",
        "--run-id",
        run_id,
        env={faults.DELAY_AT: "tick:counters-read=3"},
    )
    deadline = time.monotonic() + 60
    while "tick of the rollout" not in lease_purpose(project):
        assert time.monotonic() < deadline and ticking.poll() is None
        time.sleep(0.05)
    started = time.monotonic()
    if command == "pause":
        controller.pause(project, run_id)
    else:
        controller.abort(project, run_id, "aborted during a tick")
    assert time.monotonic() - started > 1.0  # it waited for the tick's lease
    ticking.communicate(timeout=60)
    assert ticking.returncode == 0
    state = load_state(project.store, run_id)
    if command == "pause":
        assert state.state == "paused" and state.paused_by == "user"
        assert controller.tick(project, run_id).state == "paused"  # and stays paused
        controller.abort(project, run_id, "test over")
        Finalize().run(project, run_id)
    else:
        assert state.state == "rolled_back"  # not undone by the tick that saved after it
        weights = {v.name: v.weight for v in project.endpoint.status().variants}
        assert weights == {"v1": 1.0, run_id: 0.0}
        Finalize().run(project, run_id)
    assert_converged(project, run_id, "rolled_back")


def lease_purpose(project: Workspace) -> str:
    found = project.store.get_versioned(lease_key(project.name))
    return json.loads(found[0])["purpose"] if found else ""


def test_rollback_during_a_canary_aborts_it_first(path: Path) -> None:
    project, run_id = candidate(path)
    controller.start(project, run_id)
    out = ok(path, "rollback", "--to", "1")  # v1 is production: this stops the canary
    assert f"aborted the rollout of run {run_id}" in out
    assert_converged(project, run_id, "rolled_back")
    assert project.registry.production().version == 1
    with pytest.raises(StainlessError, match="already production"):
        rollback_to(project, 1)
    # A version that never served production needs --force; then the canary is aborted first.
    never_served, run_b = candidate(path)
    controller.start(never_served, run_b)
    other, run_c = candidate(path)
    with pytest.raises(StainlessError, match="never served production"):
        rollback_to(other, int(run_c[1:]))
    result = rollback_to(other, int(run_c[1:]), force=True)
    assert (result.version, result.previous, result.aborted_run) == (int(run_c[1:]), 1, run_b)
    assert_converged(project, run_b, "rolled_back")
    statuses = {v.version: v.status for v in project.registry.list()}
    assert statuses[1] == "rolled_back" and statuses[int(run_c[1:])] == "production"
    assert [v.name for v in project.endpoint.status().variants] == [run_c]
    back_to_v1(project)


# -- Slack off the critical path ------------------------------------------------------------------
def test_a_slack_that_rate_limits_and_hangs_costs_the_pipeline_under_2_s(
    path: Path, slack_stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten pause/resume commands (20 notifications): with a healthy Slack, then with one that
    answers 429 (Retry-After: 20) and then hangs 30 s per call. Synchronously that would be
    minutes; the pipeline may only spend the ~1 s flush deadline more."""
    project, run_id = candidate(path)
    controller.start(project, run_id)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_stub.token)
    monkeypatch.setenv("SLACK_API_URL", slack_stub.base_url)
    monkeypatch.setenv("STAINLESS_NOTIFY", "slack://#ml-models")

    def timed() -> float:
        slacked = Workspace(load_config(path))
        started = time.monotonic()
        for _ in range(10):
            controller.pause(slacked, run_id)
            controller.resume(slacked, run_id)
        flush_notifications(slacked.notifier)
        return time.monotonic() - started

    healthy = timed()
    assert len(slack_stub.messages) == 20  # all delivered within the flush
    slack_stub.reset()
    slack_stub.rate_limit_next(2, retry_after=20)
    slack_stub.hang_next(20, seconds=30)
    degraded = timed()
    assert degraded - healthy < 2.0, (healthy, degraded)
    abort_and_finalize(project, run_id, "test over")
