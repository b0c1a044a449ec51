"""Where a run's artifacts live in the store. One place, so every stage agrees."""

from __future__ import annotations


def run_prefix(run_id: str) -> str:
    return f"runs/{run_id}"


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


def reference_profile_key(run_id: str) -> str:
    """The version's reference profile (training split + validation predictions)."""
    return f"runs/{run_id}/monitoring/reference.json"


def monitoring_result_key(model: str, checked_at: str) -> str:
    """One monitoring check's result (JSON) and, beside it, its HTML report."""
    return f"monitoring/{model}/{checked_at}/result.json"


def monitoring_report_key(model: str, checked_at: str) -> str:
    return f"monitoring/{model}/{checked_at}/report.html"


def monitoring_state_key(model: str) -> str:
    """The last alert per model: what the retraining cooldown reads."""
    return f"monitoring/{model}/state.json"
