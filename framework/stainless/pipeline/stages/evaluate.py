"""Stage 3: score the candidate and the current production version on the same validation rows,
through the serving path (load_model + request/response schema validation)."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from stainless.backends.registry import ModelVersion
from stainless.core.errors import HookError, SchemaError, StageError
from stainless.monitoring.profile import Profile, reference_sketch
from stainless.pipeline import diagnostics
from stainless.pipeline.metrics import SCORE_METRICS, compute_metric
from stainless.pipeline.stages.base import Stage, StageResult
from stainless.pipeline.stages.preprocess import load_split
from stainless.pipeline.stages.train import Train, TrainResult
from stainless.project.runtime import (
    LoadedModel,
    ModelFailure,
    PredictionError,
    RequestInvalid,
    ResponseInvalid,
)
from stainless.serving.settings import ServingSettings
from stainless.workspace import Workspace
from stainless.workspace.layout import (
    evaluation_key,
    figure_key,
    model_key,
    predictions_key,
    reference_profile_key,
)
from stainless.workspace.packaging import fetch_model

log = logging.getLogger("stainless.pipeline")
STAGE = "evaluate"
# Rows also predicted one at a time, for the lone-request latency the evaluation records, when
# the metric's rows go through a batch function.
LATENCY_SAMPLE = 16


def rows_as_requests(frame: pd.DataFrame, target: str) -> list[dict[str, Any]]:
    """Validation rows as JSON requests, exactly as a client would send them (NaN -> null)."""
    features = frame.drop(columns=[target])
    return json.loads(features.to_json(orient="records", date_format="iso"))


def load_version(project: Workspace, run_id: str, label: str) -> LoadedModel:
    """Load a run's packaged model through the serving path."""
    models = project.work_dir / "models"
    model_dir = fetch_model(project.store, model_key(run_id), models, f"{run_id}.{label}")
    return LoadedModel.from_bundle(model_dir)


def score(
    model: LoadedModel,
    requests: list[dict[str, Any]],
    config_fields: tuple[str, str],
    needs_score: bool,
    batch_size: int = 1,
) -> tuple[list[Any], list[Any] | None, float]:
    """Predict every request; return predictions, scores and mean latency in microseconds.

    One request at a time by default (the latency is that of a lone request); with
    ``batch_size`` > 1 a batch model gets that many per call, as the server's adaptive batching
    hands them under load (the shared suite uses this: it checks the metric, not latency)."""
    field, score_field = config_fields
    predictions: list[Any] = []
    scores: list[Any] = []
    started = time.perf_counter()
    for response in _responses(model, requests, batch_size):
        if needs_score:
            if score_field not in response:
                raise HookError(
                    f"the response has no {score_field!r} key, needed for the metric",
                    file=model.source,
                    fix=f"return {{'{score_field}': <probability>, ...}} or set score_field "
                    "in model.yaml",
                )
            scores.append(_score_value(response[score_field]))
        if field not in response:
            if not needs_score:
                raise HookError(
                    f"the response has no {field!r} key to compare with the target",
                    file=model.source,
                    fix=f"return {{'{field}': <prediction>, ...}} or set response_field in "
                    "model.yaml",
                )
            predictions.append(None)
        else:
            predictions.append(response[field])
    elapsed = time.perf_counter() - started
    return predictions, (scores if needs_score else None), elapsed / max(len(requests), 1) * 1e6


def score_version(
    model: LoadedModel,
    requests: list[dict[str, Any]],
    config_fields: tuple[str, str],
    needs_score: bool,
    batch_size: int,
) -> tuple[list[Any], list[Any] | None, float]:
    """:func:`score` as evaluate does it: a batch model gets ``batch_size`` requests per call,
    as the server's batcher hands them under load (it answers even a lone request through the
    batch function, so these are the served answers), and the latency is still that of a lone
    request, timed on the first :data:`LATENCY_SAMPLE` rows. A model without a batch function
    is called once per row, which times every row."""
    predictions, scores, latency = score(model, requests, config_fields, needs_score, batch_size)
    if model.batches and batch_size > 1:
        _, _, latency = score(model, requests[:LATENCY_SAMPLE], config_fields, needs_score)
    return predictions, scores, latency


def _responses(model: LoadedModel, requests: list[Any], batch_size: int) -> Iterator[Any]:
    """Each request's response, in order; the first failure is raised with its ``row``."""
    size = batch_size if model.batches else 1
    for start in range(0, len(requests), size):
        chunk = requests[start : start + size]
        outcomes: list[Any] = model.predict_many(chunk) if size > 1 else [None]
        for offset, outcome in enumerate(outcomes):
            try:
                if size == 1:
                    outcome = model.predict(chunk[0])
                elif isinstance(outcome, PredictionError):
                    raise outcome
            except PredictionError as exc:
                exc.row = start + offset  # type: ignore[attr-defined]
                raise
            yield outcome


def _score_value(value: Any) -> Any:
    if isinstance(value, dict):  # {class: probability}, sorted by class label
        return [float(value[key]) for key in sorted(value)]
    return float(value)


@dataclass(frozen=True)
class ScoredVersion:
    """A version's metric on this run's validation rows (``value`` None: it could not score
    them, and ``error`` says why)."""

    version: int
    value: float | None
    latency_us: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class EvaluateResult(StageResult):
    metric: str
    direction: str
    rows: int
    candidate: ScoredVersion
    production: ScoredVersion | None = None

    def summary(self, metric: str) -> str:
        text = f"candidate {metric} = {self.candidate.value:.4g}"
        prod = self.production
        if prod is not None and prod.value is not None:
            text += f", production v{prod.version} = {prod.value:.4g}"
        return text


class Evaluate(Stage[EvaluateResult]):
    name = STAGE
    result_type = EvaluateResult
    requires = Train
    missing = "has no trained model"

    def _run(self, workspace: Workspace, run_id: str, previous: TrainResult) -> EvaluateResult:
        config = workspace.config
        validation = load_split(workspace, run_id, "validation")
        requests = rows_as_requests(validation, config.target)
        truth = validation[config.target].tolist()
        fields = (config["response_field"], config["score_field"])
        needs_score = config.metric in SCORE_METRICS

        batch_size = ServingSettings.from_config(config).max_batch_size
        candidate = load_version(workspace, run_id, "candidate")
        try:
            cand_pred, cand_score, cand_latency = score_version(
                candidate, requests, fields, needs_score, batch_size
            )
        except PredictionError as exc:
            raise _explain(exc, candidate, config["hooks"]["schemas"]) from exc
        cand_value = compute_metric(config.metric, truth, cand_pred, cand_score)
        _add_prediction_profile(workspace, run_id, cand_pred)
        table = pd.DataFrame({"y_true": truth, "candidate_pred": cand_pred})
        if cand_score is not None:
            table["candidate_score"] = list(cand_score)
        production = workspace.registry.production()
        scored_production = None
        if production is not None and production.run_id != run_id:
            scored_production = _score_production(
                workspace, production, requests, truth, (fields, needs_score, batch_size), table
            )
        result = EvaluateResult(
            metric=config.metric,
            direction=config.direction,
            rows=len(requests),
            candidate=ScoredVersion(previous.version, cand_value, round(cand_latency, 1)),
            production=scored_production,
        )
        buffer = io.BytesIO()
        table.to_parquet(buffer, index=False)
        workspace.store.put_bytes(predictions_key(run_id), buffer.getvalue())
        record = result.to_record()
        workspace.store.put_bytes(evaluation_key(run_id), json.dumps(record, indent=2).encode())
        prod = scored_production
        figure = diagnostics.evaluation_figure(
            config,
            table,
            cand_value,
            (prod.version, prod.value) if prod is not None and prod.value is not None else None,
        )
        figures = []
        if figure is not None:
            path = workspace.work_dir / run_id / STAGE / "evaluation.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(figure)
            workspace.store.put_file(figure_key(run_id, "evaluation.png"), path)
            figures.append(path)
        workspace.registry.update_metrics(
            previous.version, {config.metric: cand_value, "validation_rows": len(requests)}
        )
        fields_out: dict[str, Any] = {f"candidate {config.metric}": cand_value}
        if scored_production is not None and scored_production.value is not None:
            label = f"production {config.metric} (v{scored_production.version})"
            fields_out[label] = scored_production.value
        workspace.notify(
            "evaluation",
            f"Version {previous.version} evaluated",
            run_id,
            fields=fields_out,
            figures=figures,
        )
        return result


def _score_production(
    project: Workspace,
    production: ModelVersion,
    requests: list[dict[str, Any]],
    truth: list[Any],
    how: tuple[tuple[str, str], bool, int],
    table: pd.DataFrame,
) -> ScoredVersion:
    """``how``: the response fields, whether the metric needs scores, the batch size."""
    try:
        model = load_version(project, production.run_id, "production")
        pred, scores, latency = score_version(model, requests, *how)
    except (PredictionError, HookError, SchemaError, StageError) as exc:
        # Production cannot score the new data (e.g. the request schema changed). That is a
        # fact for the decision, not a crash: decide refuses to promote automatically.
        log.warning("production version %s could not be scored: %s", production.version, exc)
        return ScoredVersion(production.version, None, error=str(exc)[:500])
    table["production_pred"] = pred
    if scores is not None:
        table["production_score"] = list(scores)
    value = compute_metric(project.config.metric, truth, pred, scores)
    return ScoredVersion(production.version, value, round(latency, 1))


def _explain(exc: PredictionError, model: LoadedModel, schemas_file: str) -> Exception:
    row = getattr(exc, "row", "?")
    detail = "; ".join(f"{v.path}: {v.message}" for v in exc.violations[:3])
    if isinstance(exc, RequestInvalid):
        return SchemaError(
            f"validation row {row} does not match the request schema ({detail})",
            file=schemas_file,
            key="request",
            fix="make preprocess produce the columns the request schema describes (minus the "
            "target), or change the request schema",
        )
    if isinstance(exc, ResponseInvalid):
        return HookError(
            f"for validation row {row} the model's response violates the response schema "
            f"({detail})",
            file=model.source,
            fix=f"return what {schemas_file} 'response' describes, or change that schema",
        )
    if isinstance(exc, ModelFailure):
        return HookError(
            f"the model raised on validation row {row}: {exc.message}", file=model.source
        )
    return exc


def _add_prediction_profile(workspace: Workspace, run_id: str, predictions: list[Any]) -> None:
    """The prediction's distribution on validation: the reference for live predictions."""
    key = reference_profile_key(run_id)
    if not workspace.store.exists(key):  # trained before profiles existed
        return
    profile = Profile.from_dict(json.loads(workspace.store.get_bytes(key)))
    profile.prediction = reference_sketch("prediction", pd.Series(predictions))
    workspace.store.put_bytes(key, json.dumps(profile.to_dict()).encode())
