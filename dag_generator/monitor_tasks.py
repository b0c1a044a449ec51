"""What the monitoring DAG's tasks do. Imported at parse time, so: stdlib only at module level
(like :mod:`dag_generator.tasks`, whose project opening it shares).

``check`` runs one monitoring check (the function `stainless monitor` calls) and says whether the
``retrain`` task follows; ``retrain`` records the retraining (the cooldown counts from it) and
returns the evidence Airflow attaches to the asset event that schedules the training DAG.
"""

from __future__ import annotations

import logging
from typing import Any

from dag_generator import tasks

log = logging.getLogger("stainless.airflow")
RETRAIN_TASK = "retrain"


def check(spec: dict[str, Any], context: Any) -> str | None:
    """One check of the production version; ``retrain`` when it asks for a retraining (and the
    DAG can start one), else None (nothing follows)."""
    from stainless.pipeline.monitor import run_monitor
    from stainless.pipeline.monitor_retrain import retrain_decision

    project = tasks.open_project(spec)
    if project.registry.production() is None:
        # Not an error: the monitoring DAG runs from the first render, before any promotion.
        log.info("%s has no production version yet: nothing to monitor", spec["model"])
        return None
    result = run_monitor(project, (context.get("params") or {}).get("since"))
    log.info(
        "%s v%s: %s, %d rows checked, drifted: %s; report %s",
        result.model,
        result.version,
        result.status,
        result.rows,
        ", ".join(result.drift.drifted) or "none",
        result.report_url,
    )
    decision = retrain_decision(project, result)
    log.info("retraining %s: %s", "wanted" if decision.wanted else "not started", decision.reason)
    return RETRAIN_TASK if decision.wanted and spec.get("retrain_asset") else None


def request_retraining(spec: dict[str, Any], context: Any) -> dict[str, Any]:
    """Record the retraining; the returned evidence becomes the asset event's ``extra``."""
    from stainless.pipeline.monitor_retrain import read_state, record_retrain

    project = tasks.open_project(spec)
    state = read_state(project)  # what the check just recorded about its alert
    started = record_retrain(project)
    evidence = {
        "model": spec["model"],
        "version": state.get("version"),
        "alerts": state.get("alerts", []),
        "drifted": state.get("drifted", []),
        "alert_at": state.get("last_alert"),
        "result_key": state.get("result_key"),
        "requested_at": started.isoformat(),
        "monitor_run_id": tasks.run_id_of(context),
    }
    log.info(
        "%s: retraining requested (%s; drifted: %s)",
        spec["model"],
        ", ".join(evidence["alerts"]) or "alert",
        ", ".join(evidence["drifted"]) or "none",
    )
    return tasks.plain(evidence)
