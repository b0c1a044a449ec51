"""The rollout state machine on a real local endpoint: real model servers, real traffic."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from stainless.backends.notify.console import ConsoleNotifier
from stainless.pipeline import rollout_controller as controller
from stainless.pipeline.rollout_state import load_state, save_state
from stainless.pipeline.runner import run_lifecycle
from stainless.pipeline.stages import Finalize
from stainless.pipeline.stages.evaluate import rows_as_requests
from stainless.pipeline.stages.preprocess import load_split
from stainless.project.config import load_config
from stainless.workspace import Workspace

pytestmark = pytest.mark.integration


def project_with(
    path: Path, monkeypatch: pytest.MonkeyPatch, **params
) -> tuple[Workspace, ConsoleNotifier]:
    monkeypatch.setenv("STAINLESS_PARAMS", json.dumps(params))
    notifier = ConsoleNotifier()
    return Workspace(load_config(path), notifier_override=notifier), notifier


def test_healthy_candidate_promoted_step_by_step_faulty_one_rolled_back(bake, monkeypatch):
    path = bake()
    first, _ = project_with(path, monkeypatch, alpha=300)
    assert run_lifecycle(first, "v1", in_process=True).ok

    healthy, notes = project_with(path, monkeypatch, alpha=30)
    report = run_lifecycle(healthy, "v2", in_process=True)
    assert report.ok, report.error
    assert report.stages["finalize"].outcome == "promoted"
    state = load_state(healthy.store, "v2")
    actions = [d["action"] for d in state.decisions]
    assert actions == ["advance", "promote"]  # local policy: steps 25 -> 50 -> 100
    assert [t["weight"] for t in state.ticks][0] == 25.0 and state.ticks[-1]["weight"] == 50.0
    assert sum(t["candidate"]["requests"] for t in state.ticks) >= 600
    assert any(e.kind == "rollout_step" for e in notes.sent)
    assert healthy.store.exists("runs/v2/figures/rollout.png")

    # A drill: the framework's serving.chaos, recorded with v3 and applied by its server.
    with (path / "model.yaml").open("a") as config:
        config.write("\nserving:\n  chaos:\n    error_rate: 0.3\n")
    faulty, notes = project_with(path, monkeypatch, alpha=1)
    report = run_lifecycle(faulty, "v3", in_process=True)
    assert report.ok, report.error
    assert (
        report.stages["evaluate"].candidate.value < report.stages["evaluate"].production.value
    )  # better offline...
    assert report.stages["finalize"].outcome == "rolled_back"  # ...but not live
    rolled = [e for e in notes.sent if e.kind == "rolled_back"]
    assert len(rolled) == 1 and rolled[0].severity == "alert"
    assert "log_likelihood_ratio" in rolled[0].fields
    statuses = {v.version: v.status for v in faulty.registry.list()}
    assert statuses == {1: "archived", 2: "production", 3: "rolled_back"}
    assert [v.name for v in faulty.endpoint.status().variants] == ["v2"]


def test_manual_operations_pause_abort_and_rollback(bake, monkeypatch):
    path = bake()
    project, notes = project_with(path, monkeypatch, alpha=300)
    assert run_lifecycle(project, "v1", in_process=True).ok
    project, notes = project_with(path, monkeypatch, alpha=30)
    assert run_lifecycle(project, "v2", in_process=True, until="decide").ok
    state = controller.start(project, "v2")
    assert state.state == "canary" and state.weight == 25.0
    assert {v.name: v.weight for v in project.endpoint.status().variants} == {
        "v1": 0.75,
        "v2": 0.25,
    }
    assert controller.pause(project, "v2").state == "paused"
    drive_traffic(project, "v2", seconds=4)
    held = controller.tick(project, "v2")
    assert held.state == "paused" and held.weight == 25.0  # a person paused it: no advance
    assert controller.resume(project, "v2").state == "canary"
    aborted = controller.abort(project, "v2", "changed my mind")
    assert aborted.state == "rolled_back"
    Finalize().run(project, "v2")
    assert project.registry.get(2).status == "rolled_back"
    assert [v.name for v in project.endpoint.status().variants] == ["v1"]
    with pytest.raises(Exception, match="already ended"):
        controller.force_promote(project, "v2")


def drive_traffic(
    project: Workspace, run_id: str, seconds: float, stop: threading.Event | None = None
) -> int:
    from stainless.pipeline.replay import drive

    requests = rows_as_requests(load_split(project, run_id, "validation"), project.config.target)
    deadline = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        summary = drive(
            project.endpoint.url, requests, rate=150, duration=1, endpoint_name=project.name
        )
        sent += sum(v.requests for v in summary.variants.values())
    return sent


def test_a_pending_action_is_completed_exactly_once_and_no_traffic_is_inconclusive(
    bake, monkeypatch
):
    path = bake()
    project, _ = project_with(path, monkeypatch, alpha=300)
    assert run_lifecycle(project, "v1", in_process=True).ok
    project, notes = project_with(path, monkeypatch, alpha=30)
    assert run_lifecycle(project, "v2", in_process=True, until="decide").ok
    state = controller.start(project, "v2")
    # As if the controller died right after deciding "advance", before touching the endpoint.
    state.decisions.append({"action": "advance", "reason": "test", "evidence": {}})
    state.pending = {
        "action": "advance",
        "weight": 50.0,
        "state": "canary",
        "reason": "test",
        "at": time.time(),
    }
    save_state(project.store, state)
    resumed = controller.tick(project, "v2")
    assert resumed.step_index == 1 and resumed.weight == 50.0 and resumed.pending is None
    assert {v.name: v.weight for v in project.endpoint.status().variants} == {"v1": 0.5, "v2": 0.5}
    again = controller.tick(project, "v2")
    assert again.step_index == 1  # not applied twice

    # Then nobody sends a request until past the deadline (local: 300 s): the rollout ends
    # inconclusive, "not enough traffic", announced as a warning, not as a failure.
    deadline = controller.rollout_policy(project.config).max_duration_seconds
    ended = controller.tick(project, "v2", now=again.rollout_started_at + deadline + 1)
    assert ended.state == "rolled_back"
    assert ended.decisions[-1]["cause"] == "not_enough_traffic"
    step = [e for e in notes.sent if e.kind == "rollout_step"][-1]
    assert step.severity == "warning" and "inconclusive (not enough traffic)" in step.title
    assert Finalize().run(project, "v2").outcome == "inconclusive"
    final = [e for e in notes.sent if e.kind == "rolled_back"][-1]
    assert final.severity == "warning" and "not enough traffic" in final.title
    assert [v.name for v in project.endpoint.status().variants] == ["v1"]


def test_kill_9_of_the_controller_at_any_moment_resumes(bake, monkeypatch):
    path = bake()
    config = yaml.safe_load((path / "model.yaml").read_text())
    config["rollout"]["local"]["tick_seconds"] = 0.5
    # Enough requests per step that the rollout outlives several controllers even when they
    # start fast (traffic counts while a controller is down, so a short rollout ends in two).
    config["rollout"]["local"]["min_requests_per_step"] = 800
    (path / "model.yaml").write_text(yaml.safe_dump(config))
    project, _ = project_with(path, monkeypatch, alpha=300)
    assert run_lifecycle(project, "v1", in_process=True).ok
    project, _ = project_with(path, monkeypatch, alpha=30)
    assert run_lifecycle(project, "v2", in_process=True, until="deploy").ok
    stop = threading.Event()
    stainless = str(Path(sys.executable).with_name("stainless"))
    env = {**os.environ, "STAINLESS_LOG_FORMAT": "plain"}
    rng = random.Random(7)
    kills = 0
    with ThreadPoolExecutor(max_workers=1) as pool:
        traffic = pool.submit(drive_traffic, project, "v2", 300, stop)
        try:
            for _ in range(80):
                if load_state(project.store, "v2").done:
                    break
                process = subprocess.Popen(
                    [stainless, "rollout", "run", "-C", str(path), "--run-id", "v2"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                # Let it make progress (start-up takes a while on a busy machine), then kill it
                # at a random moment: mid-tick, mid-decision, mid-write or while sleeping.
                ticks = len(load_state(project.store, "v2").ticks)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and process.poll() is None:
                    if len(load_state(project.store, "v2").ticks) > ticks:
                        break
                    time.sleep(0.05)
                time.sleep(rng.uniform(0.0, 1.0))
                if process.poll() is None:
                    process.send_signal(signal.SIGKILL)
                    kills += 1
                process.wait()
        finally:
            stop.set()
        sent = traffic.result(timeout=60)
    assert sent > 1000
    state = load_state(project.store, "v2")
    assert kills >= 3, "the test must actually kill the controller several times"
    assert state.done and state.state == "promoted", state.summary
    assert state.pending is None
    steps = [d["step_index"] for d in state.decisions]
    assert steps == sorted(steps) and [d["action"] for d in state.decisions] == [
        "advance",
        "promote",
    ]
    Finalize().run(project, "v2")
    Finalize().run(project, "v2")  # idempotent
    events = [e["kind"] for e in project.registry.events(2)]
    assert events.count("status:production") == 1
    assert [v.name for v in project.endpoint.status().variants] == ["v2"]
