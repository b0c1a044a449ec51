"""The shared suite: what every model repository must satisfy before it is trained in
production. Collected as ``stainless::test_*`` by the plugin; each failure names the file to
edit and what to change.
"""

from __future__ import annotations

import typing
import warnings
from typing import TYPE_CHECKING, Any

import orjson
import pytest

from stainless.core.errors import StainlessError
from stainless.project.runtime import PredictionError, RequestInvalid
from stainless.testing.explain import not_json, prediction_failure, server_crash
from stainless.testing.plugin import StainlessSuiteWarning
from stainless.testing.sandbox import StageFailed, Stages, is_finite_number

if TYPE_CHECKING:
    from stainless.pipeline.stages import PreprocessResult, StageResult

JSON = {"content-type": "application/json"}


def fail(message: str) -> None:
    pytest.fail(message, pytrace=False)


def require(stages: Stages, stage: str) -> StageResult:
    try:
        return stages.require(stage)
    except StageFailed as exc:
        pytest.skip(str(exc))


def hook_file(stages: Stages, hook: str) -> str:
    return stages.project.config["hooks"][hook]


# -- configuration and schemas -----------------------------------------------------------------


def test_model_yaml_is_valid(stainless_project_dir: Any) -> None:
    from stainless.project.config import load_config

    problem = None
    try:
        load_config(stainless_project_dir)
    except StainlessError as exc:
        problem = exc.render()
    if problem:
        fail(problem)


def test_schemas_are_valid_and_their_examples_validate(stainless_stages: Stages) -> None:
    from stainless.project.schemas import load_schemas
    from stainless.testing.strategies import unsupported_keywords

    config = stainless_stages.project.config
    problem: str | None = None
    try:
        schemas = load_schemas(config.hook_path("schemas"))
    except StainlessError as exc:
        problem = exc.render()
    if problem is not None:
        fail(problem)
    name = config["hooks"]["schemas"]
    if not schemas.request_examples:
        warnings.warn(
            f"{name}: the request schema has no `examples`; the server's self-test (/ping) and "
            "the suite have nothing realistic to try. Add one or two typical requests.",
            StainlessSuiteWarning,
            stacklevel=1,
        )
    for part in ("request", "response"):
        where = unsupported_keywords(getattr(schemas, part))
        if where:
            warnings.warn(
                f"{name}: {part} schema uses {', '.join(where[:5])}, which the property tests' "
                "generator (hypothesis-jsonschema) cannot honour; generated requests are "
                "filtered by the real validator, so those parts are explored less",
                StainlessSuiteWarning,
                stacklevel=1,
            )


# -- the hooks, in pipeline order ----------------------------------------------------------------


def test_preprocess_returns_the_declared_splits(stainless_stages: Stages) -> None:
    file = hook_file(stainless_stages, "preprocess")
    problem = None
    try:
        result = typing.cast("PreprocessResult", stainless_stages.result("preprocess"))
    except StainlessError as exc:
        problem = exc.render()
    except Exception as exc:
        problem = f"{file}: preprocess(ctx) raised {type(exc).__name__}: {exc}"
    if problem:
        fail(problem)
    config = stainless_stages.project.config
    fraction, wanted = result.validation_fraction, config.test_size
    rows = sum(split.rows for split in result.splits.values())
    if abs(fraction - wanted) > max(0.05, 2 / max(rows, 1)):
        fail(
            f"{file}: the validation split holds {fraction:.0%} of the {rows} rows, but "
            f"model.yaml test_size is {wanted}. Fix: split with test_size=ctx.test_size in "
            f"{file}, or change test_size in model.yaml"
        )


def test_training_data_matches_the_request_schema(stainless_stages: Stages) -> None:
    """The check training runs before ``train``, here on the bundled sample (data/)."""
    from stainless.pipeline.stages.preprocess import load_datasets
    from stainless.pipeline.stages.train import check_training_data

    require(stainless_stages, "preprocess")
    project = stainless_stages.project
    problem = None
    try:
        check_training_data(project.config, load_datasets(project, stainless_stages.run_id))
    except StainlessError as exc:
        problem = exc.render()
    if problem:
        fail(problem)


def test_train_writes_artifacts(stainless_stages: Stages) -> None:
    require(stainless_stages, "preprocess")
    file = hook_file(stainless_stages, "train")
    problem = None
    try:
        stainless_stages.result("train")
    except StainlessError as exc:
        problem = exc.render()
    except Exception as exc:
        problem = (
            f"{file}: train(datasets, ctx) raised {type(exc).__name__}: {exc}. It gets "
            "the Datasets preprocess returned and must write the model into "
            "ctx.artifact_dir"
        )
    if problem:
        fail(problem)


def test_load_model_reads_train_output(stainless_stages: Stages) -> None:
    from stainless.pipeline.stages.evaluate import load_version

    require(stainless_stages, "train")
    file = hook_file(stainless_stages, "model")
    problem = None
    try:
        model = load_version(stainless_stages.project, stainless_stages.run_id, "suite")
        for index, example in enumerate(model.schemas.request_examples):
            try:
                model.predict(example)
            except PredictionError as exc:
                problem = prediction_failure(
                    exc, file, model.schemas.file, f"request example {index}", example
                )
                break
    except StainlessError as exc:
        problem = exc.render()
    if problem:
        fail(problem)


# -- properties of the model behind the server ---------------------------------------------------


def settings(config: pytest.Config) -> Any:
    try:
        from hypothesis import HealthCheck
        from hypothesis import settings as hypothesis_settings
    except ImportError:
        fail(
            "the property tests need hypothesis and hypothesis-jsonschema. Fix: add "
            "'stainless-ml[testing]' to the repository's development dependencies"
        )

    return hypothesis_settings(
        max_examples=config.getoption("stainless_max_examples"),
        deadline=None,
        database=None,  # never write .hypothesis/ into the model repository
        derandomize=True,  # the same examples on every CI run: a red build is reproducible
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
        print_blob=False,
    )


def test_valid_requests_get_valid_responses(
    stainless_model: Any, stainless_stages: Stages, pytestconfig: pytest.Config
) -> None:
    from hypothesis import given, reject
    from hypothesis.errors import Unsatisfiable

    from stainless.testing.strategies import valid_requests

    file = hook_file(stainless_stages, "model")
    schemas = stainless_model.schemas

    @settings(pytestconfig)
    @given(valid_requests(schemas.request))
    def check(request: Any) -> None:
        try:
            stainless_model.predict(request)
        except RequestInvalid:
            reject()  # the generator and the validator disagree (see the keyword warning)
        except PredictionError as exc:
            # Raised again on the final, shrunk example: the message shows that request.
            raise AssertionError(
                prediction_failure(exc, file, schemas.file, "a generated request", request)
            ) from None
        except Exception as exc:  # the validator cannot read the response at all
            raise AssertionError(not_json(file, exc, request)) from None

    if stainless_model.batches:
        from stainless.testing.agreement import batches_get_valid_responses

        check = batches_get_valid_responses(stainless_model, file, settings(pytestconfig))
    problem = None
    try:
        check()
    except AssertionError as exc:
        problem = str(exc)
    except Unsatisfiable:
        pytest.skip(f"could not generate requests valid under {schemas.file} 'request'")
    if problem:
        fail(problem)


def test_batch_and_single_answers_agree(
    stainless_model: Any, stainless_stages: Stages, pytestconfig: pytest.Config
) -> None:
    """Batched or alone (the server's choice, by load), a request gets the same response."""
    from hypothesis import given
    from hypothesis import settings as hypothesis_settings

    from stainless.testing.agreement import batches_of_valid_requests, disagreement

    if not stainless_model.batches:
        pytest.skip("model.py has no batch function (@stainless.batch or predict_batch)")
    file, base, found = hook_file(stainless_stages, "model"), settings(pytestconfig), []

    # A quarter of the examples: each is up to 9 predictions (singles are explored above).
    @hypothesis_settings(base, max_examples=max(10, base.max_examples // 4))
    @given(batches_of_valid_requests(stainless_model.schemas))
    def check(batch: list[Any]) -> None:
        problem = disagreement(stainless_model, batch, file)
        if problem:
            found.append(problem)
            raise AssertionError(problem)

    try:
        check()
    except AssertionError:
        fail(found[-1] if found else "batch and single answers disagree")


def test_invalid_requests_get_4xx_never_5xx(
    stainless_client: Any,
    stainless_stages: Stages,
    stainless_model: Any,
    pytestconfig: pytest.Config,
) -> None:
    from hypothesis import given

    from stainless.testing.explain import show_request
    from stainless.testing.strategies import BrokenRequest, broken_requests

    file = hook_file(stainless_stages, "model")
    schemas_file = stainless_model.schemas.file

    @settings(pytestconfig)
    @given(broken_requests(stainless_model.schemas.request))
    def check(case: BrokenRequest) -> None:
        response = stainless_client.post(
            "/invocations", content=orjson.dumps(case.request), headers=JSON
        )
        if response.status_code < 500:
            if response.status_code >= 400:
                assert response.headers.get("x-stainless-error-origin") == "client"
            return
        error = response.json()["error"]
        if error["origin"] == "response":
            reasons = (
                "; ".join(
                    f"at {v['path']}: {v['message']}" for v in error.get("violations", [])[:3]
                )
                or error["message"]
            )
            raise AssertionError(
                f"{file}: for a request {case.description}, which {schemas_file} 'request' "
                f"accepts, the response violates {schemas_file} 'response' {reasons}. Fix: "
                f"tighten the request schema so such requests are rejected with 400, or return "
                f"a valid response for them in {file}. Falsifying request:\n"
                f"{show_request(case.request)}"
            )
        raise AssertionError(
            server_crash(
                file,
                schemas_file,
                stainless_model.schemas.request,
                case.description,
                case.request,
                case.key,
                response.status_code,
            )
        )

    problem = None
    try:
        check()
    except AssertionError as exc:
        problem = str(exc)
    if problem:
        fail(problem)


def test_metric_computes_on_the_validation_rows(
    stainless_model: Any, stainless_stages: Stages
) -> None:
    from stainless.pipeline.metrics import SCORE_METRICS, compute_metric
    from stainless.pipeline.stages.evaluate import rows_as_requests, score
    from stainless.pipeline.stages.preprocess import load_split

    project = stainless_stages.project
    config = project.config
    validation = load_split(project, stainless_stages.run_id, "validation")
    requests = rows_as_requests(validation, config.target)
    fields = (config["response_field"], config["score_field"])
    problem = None
    try:
        # Through the batch function when there is one (the server's path under load): the
        # metric is what is checked here, not the latency of lone requests.
        predictions, scores, _ = score(
            stainless_model, requests, fields, config.metric in SCORE_METRICS, batch_size=64
        )
    except StainlessError as exc:
        problem = exc.render()
    except PredictionError as exc:
        row = getattr(exc, "row", "?")
        problem = prediction_failure(
            exc,
            hook_file(stainless_stages, "model"),
            stainless_model.schemas.file,
            f"validation row {row}",
            requests[row] if isinstance(row, int) else None,
        )
    if problem:
        fail(problem)
    truth = validation[config.target].tolist()
    try:
        value = compute_metric(config.metric, truth, predictions, scores)
    except Exception as exc:
        problem = (
            f"model.yaml: metric {config.metric} cannot be computed from the responses' "
            f"{fields[0]!r} values and the target {config.target!r}: {exc}. Fix: make "
            f"model.py return predictions of the target's kind, or change `metric:`"
        )
    if problem:
        fail(problem)
    if not is_finite_number(value):
        fail(
            f"{config.metric} on the validation rows is {value}. Fix: check the predictions "
            f"model.py returns (NaN?) and the target column preprocess.py keeps"
        )


# -- the server contract ---------------------------------------------------------------------------


def test_server_contract_in_process(stainless_client: Any, stainless_app: Any) -> None:
    ping = stainless_client.get("/ping")
    if ping.status_code != 200:
        fail(f"GET /ping answered {ping.status_code}: {ping.text[:500]}")
    model = stainless_app.model
    for example in model.schemas.request_examples:
        response = stainless_client.post(
            "/invocations", content=orjson.dumps(example), headers=JSON
        )
        assert response.status_code == 200, response.text[:500]
        assert "x-stainless-error-origin" not in response.headers
        assert model.schemas.response_validator.is_valid(response.json())
    malformed = stainless_client.post("/invocations", content=b'{"a": NaN', headers=JSON)
    assert malformed.status_code == 400
    assert malformed.headers["x-stainless-error-origin"] == "client"
    wrong_type = stainless_client.post(
        "/invocations", content=b"a=1", headers={"content-type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    metrics = stainless_client.get("/metrics")
    assert metrics.status_code == 200 and "stainless_invocations_total" in metrics.text
