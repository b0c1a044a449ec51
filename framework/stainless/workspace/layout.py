"""Where a run's artifacts live in the store. One place, so every stage and command agrees: keys
are built here and parsed here, nowhere else."""

from __future__ import annotations

from collections.abc import Callable

from stainless.backends.storage import ArtifactStore

RUNS = "runs"


def run_prefix(run_id: str) -> str:
    return f"{RUNS}/{run_id}"


def dataset_key(run_id: str, split: str) -> str:
    return f"runs/{run_id}/datasets/{split}.parquet"


def model_key(run_id: str) -> str:
    return f"runs/{run_id}/model.tar.gz"


def stage_marker_key(run_id: str, stage: str) -> str:
    return f"runs/{run_id}/stages/{stage}.json"


def evaluation_key(run_id: str) -> str:
    return f"runs/{run_id}/evaluation/evaluation.json"


def predictions_key(run_id: str) -> str:
    return f"runs/{run_id}/evaluation/predictions.parquet"


def figure_key(run_id: str, name: str) -> str:
    return f"runs/{run_id}/figures/{name}"


def rollout_state_key(run_id: str) -> str:
    return f"runs/{run_id}/rollout/state.json"


def run_id_of(key: str) -> str | None:
    """The run id a store key belongs to (None for keys outside ``runs/``)."""
    parts = key.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == RUNS else None


def runs_having(store: ArtifactStore, key_of: Callable[[str], str]) -> list[str]:
    """Run ids (oldest first: run ids sort by time) whose ``key_of(run_id)`` is in the store."""
    found = set()
    for key in store.list(RUNS):
        run_id = run_id_of(key)
        if run_id is not None and key == key_of(run_id):
            found.add(run_id)
    return sorted(found)


def latest_run_having(store: ArtifactStore, key_of: Callable[[str], str]) -> str | None:
    runs = runs_having(store, key_of)
    return runs[-1] if runs else None


def stage_cost_key(run_id: str, stage: str) -> str:
    return f"runs/{run_id}/cost/{stage}.json"


def stage_cost_prefix(run_id: str) -> str:
    return f"runs/{run_id}/cost/"


def report_key(run_id: str) -> str:
    return f"runs/{run_id}/report.html"


ENDPOINT_HISTORY_PREFIX = "endpoint/history/"


def endpoint_change_key(at_ms: int) -> str:
    """One object per change (stores cannot append); zero-padded so keys sort by time."""
    return f"{ENDPOINT_HISTORY_PREFIX}{at_ms:015d}.json"


def reference_profile_key(run_id: str) -> str:
    """The version's reference profile (training split + validation predictions)."""
    return f"runs/{run_id}/monitoring/reference.json"


def monitoring_result_key(model: str, checked_at: str) -> str:
    """One monitoring check's result (JSON) and, beside it, its HTML report."""
    return f"monitoring/{model}/{checked_at}/result.json"


def monitoring_report_key(model: str, checked_at: str) -> str:
    return f"monitoring/{model}/{checked_at}/report.html"


def monitoring_state_key(model: str) -> str:
    """The last alert per model."""
    return f"monitoring/{model}/state.json"


def monitoring_results(store: ArtifactStore, model: str) -> list[str]:
    """Result keys of a model's monitoring checks, oldest first (check times sort as text)."""
    prefix = monitoring_result_key(model, "")[: -len("/result.json")]
    return sorted(key for key in store.list(prefix) if key.endswith("/result.json"))
