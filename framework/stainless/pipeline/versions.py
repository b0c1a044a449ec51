"""Manual rollback to an earlier version (`stainless rollback --to`), as one library call.

Order matters for crash safety. Under the endpoint's lease: a rollout in flight is aborted and
finalized first (it would otherwise keep moving weights under our feet); then the endpoint is
made to serve the target alone (idempotent: a re-run after a crash repeats it harmlessly); then
the registry swaps production in ONE change (the old production becomes ``rolled_back``), so a
crash at any point leaves exactly one production version.
"""

from __future__ import annotations

from dataclasses import dataclass

from stainless.core import faults
from stainless.core.errors import StainlessError
from stainless.pipeline.endpoint_history import record_endpoint
from stainless.pipeline.endpoint_lease import claimed_by, endpoint_lease
from stainless.workspace import Workspace
from stainless.workspace.variants import variant_spec


@dataclass(frozen=True)
class RollbackResult:
    version: int
    previous: int | None  # the production version it replaced
    aborted_run: str | None  # the rollout aborted on the way, if any


def served_production(project: Workspace, version: int) -> bool:
    return any(e["kind"] == "status:production" for e in project.registry.events(version))


def rollback_to(
    project: Workspace, version: int, reason: str = "manual rollback", force: bool = False
) -> RollbackResult:
    """Make ``version`` production again; ``force`` allows one that never served production
    (e.g. a candidate that never went through a canary)."""
    registry = project.registry
    with endpoint_lease(project.store, project.name, f"rollback to version {version}"):
        target = registry.get(version)
        if target.status == "production":
            # Back to the version serving now: that means "stop the canary", if one runs.
            aborted = _abort_rollout_in_flight(project)
            if aborted is None:
                raise StainlessError(f"version {version} is already production")
            return RollbackResult(version, version, aborted)
        if target.status == "rejected" and not force:
            raise StainlessError(
                f"version {version} was rejected by evaluation and never served",
                fix="pick a version that was production before (see `stainless versions`)",
            )
        if not force and not served_production(project, version):
            raise StainlessError(
                f"version {version} ({target.status}) never served production traffic",
                fix="pick a version that was production before (see `stainless versions`), "
                "or pass --force to serve it anyway",
            )
        aborted = _abort_rollout_in_flight(project)
        serve_only(project, version)
        faults.point("rollback:endpoint-switched")
        current = registry.production()
        registry.promote(
            version,
            f"{reason}: back to {version}" + (f" from {current.version}" if current else ""),
            replaced_status="rolled_back",
        )
    project.notify(
        "rolled_back",
        f"Rolled back to version {version}" + (f" (was {current.version})" if current else ""),
        fields={"reason": reason, **({"aborted rollout": aborted} if aborted else {})},
        severity="alert",
    )
    return RollbackResult(version, current.version if current else None, aborted)


def _abort_rollout_in_flight(project: Workspace) -> str | None:
    """A canary in progress is aborted and finalized before the rollback touches the endpoint."""
    from stainless.pipeline.rollout_controller import abort
    from stainless.pipeline.rollout_state import load_state
    from stainless.pipeline.stages import Finalize

    run_id = claimed_by(project.store, project.name)
    if run_id is None:
        return None
    state = load_state(project.store, run_id)
    if state is None or state.finalized:
        return None
    if not state.done:
        abort(project, run_id, "aborted by a manual rollback")
    Finalize().run(project, run_id)
    return run_id


def serve_only(project: Workspace, version: int) -> None:
    """Make the endpoint serve one version with all traffic (manual rollback). Starts the
    endpoint when it is down; any other variant is drained, then removed."""
    record = project.registry.get(version)
    spec = variant_spec(project, record.run_id, version, 1.0)
    endpoint = project.endpoint
    status = endpoint.status()
    if not status.running:
        endpoint.up(spec)
        status = endpoint.status()
    if spec.name not in {v.name for v in status.variants}:
        endpoint.add_variant(spec)
    others = [v.name for v in status.variants if v.name != spec.name]
    endpoint.set_weights({spec.name: 1.0, **{name: 0.0 for name in others}})
    for name in others:
        endpoint.remove_variant(name)
    record_endpoint(project, f"v{version} serves alone")
