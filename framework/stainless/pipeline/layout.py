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


def stage_cost_key(run_id: str, stage: str) -> str:
    return f"runs/{run_id}/cost/{stage}.json"


def report_key(run_id: str) -> str:
    return f"runs/{run_id}/report.html"


ENDPOINT_HISTORY_PREFIX = "endpoint/history/"


def endpoint_change_key(at_ms: int) -> str:
    """One object per change (stores cannot append); zero-padded so keys sort by time."""
    return f"{ENDPOINT_HISTORY_PREFIX}{at_ms:015d}.json"


MONITORING_RESULT_KEY = "monitoring/latest.json"
