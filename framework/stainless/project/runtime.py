"""The serving path: a loaded model plus its schemas, one validated request at a time.

Evaluation, the inference server and the shared test suite all predict through
:class:`LoadedModel`, so what was evaluated is exactly what is served.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from stainless.core.errors import HookError
from stainless.project.hooks import load_hook
from stainless.project.schemas import ModelSchemas, Violation, load_schemas

# Inside model.tar.gz, next to the artifacts train wrote, the framework keeps the code that
# loads them, so an older production version is evaluated with its own model.py.
BUNDLE_DIR = ".stainless"
MANIFEST = "manifest.json"


class PredictionError(Exception):
    """A request that did not produce a valid response; ``origin`` says whose fault it was."""

    origin = "model"
    status = 500

    def __init__(self, message: str, violations: list[Violation] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.violations = violations or []
        self.error_id = uuid.uuid4().hex[:12]


class RequestInvalid(PredictionError):
    """The caller sent a request that violates the request schema (a 4xx, not the model's fault)."""

    origin = "client"
    status = 400


class ModelFailure(PredictionError):
    """``load_model``'s callable raised (a 5xx, the model's fault)."""


class ResponseInvalid(PredictionError):
    """The model answered with something the response schema rejects (our bug, a 5xx)."""

    origin = "response"


BatchFunction = Callable[[list[dict]], Sequence[dict]]


class batch:  # noqa: N801 -- a decorator, named like one
    """Mark a prediction function as taking a *list* of requests and returning the list of
    their responses, in order (``@stainless.batch``). The server then hands it several
    concurrent requests at once (adaptive batching); called with one request, it still answers
    one response, so everything that predicts one request at a time keeps working."""

    def __init__(self, function: BatchFunction) -> None:
        self.predict_batch = function
        self.__wrapped__ = function
        self.__name__ = getattr(function, "__name__", "predict")
        self.__doc__ = getattr(function, "__doc__", None)

    def __call__(self, request: dict) -> dict:
        return _only_answer(self.predict_batch([request]), self.__name__)


def _only_answer(responses: Sequence[dict], name: str) -> dict:
    if not isinstance(responses, Sequence) or isinstance(responses, str | bytes | dict):
        raise TypeError(f"{name} must return a list of responses, got {type(responses).__name__}")
    if len(responses) != 1:
        raise TypeError(f"{name} returned {len(responses)} responses for 1 request")
    return responses[0]


# One answer of a batch: the valid response, or the PredictionError this request got instead.
Outcome = Any


class LoadedModel:
    def __init__(self, predict: Callable[[dict], dict], schemas: ModelSchemas, source: str) -> None:
        self._predict_batch: BatchFunction | None = getattr(predict, "predict_batch", None)
        if not callable(self._predict_batch):
            self._predict_batch = None
        # One request is a batch of one, when there is no separate single function: the same
        # checks of the batch's shape then apply to both paths.
        self._single_is_batch = isinstance(predict, batch) or not callable(predict)
        self._predict = predict
        self.schemas = schemas
        self.source = source

    @property
    def batches(self) -> bool:
        """Whether the model offers a batch function (``predict_batch`` or ``@stainless.batch``)."""
        return self._predict_batch is not None

    @classmethod
    def load(cls, artifact_dir: Path, model_file: Path, schemas_file: Path) -> LoadedModel:
        schemas = load_schemas(schemas_file)
        load_model = load_hook("model", model_file)
        try:
            predict = load_model(artifact_dir)
        except Exception as exc:
            raise HookError(
                f"load_model raised {type(exc).__name__}: {exc}",
                file=model_file.name,
                fix="load_model must read the files train wrote into ctx.artifact_dir",
            ) from exc
        if not callable(predict) and not callable(getattr(predict, "predict_batch", None)):
            raise HookError(
                "load_model must return a callable taking a request dict, or an object with "
                "a predict_batch(requests: list[dict]) -> list[dict] method",
                file=model_file.name,
                found=type(predict).__name__,
                fix="return e.g. `def predict(request: dict) -> dict` from load_model, or a "
                "function decorated with @stainless.batch taking and returning lists",
            )
        return cls(predict, schemas, source=model_file.name)

    @classmethod
    def from_bundle(cls, model_dir: Path) -> LoadedModel:
        """Load an extracted ``model.tar.gz`` (as SageMaker puts it in /opt/ml/model)."""
        manifest = json.loads((model_dir / BUNDLE_DIR / MANIFEST).read_text())
        bundle = model_dir / BUNDLE_DIR
        return cls.load(
            model_dir, bundle / manifest["model_file"], bundle / manifest["schemas_file"]
        )

    def around(
        self, wrap: Callable[[Callable[[dict], dict]], Callable[[dict], dict]]
    ) -> LoadedModel:
        """The same model with its one-request predict function wrapped (validation stays
        outside). The result predicts one request at a time, even for a batch model."""
        single: Callable[[dict], dict] = self._predict  # a @batch function answers one, too
        return LoadedModel(wrap(single), self.schemas, self.source)

    def predict(self, request: Any) -> dict[str, Any]:
        violations = self.schemas.request_validator.violations(request)
        if violations:
            raise RequestInvalid("request does not match the request schema", violations)
        if self._single_is_batch:
            outcome = self.predict_valid([request])[0]
            if isinstance(outcome, PredictionError):
                raise outcome
            return outcome
        try:
            response = self._predict(request)
        except Exception as exc:
            raise ModelFailure(f"{type(exc).__name__}: {exc}") from exc
        return self._checked(response)

    def predict_many(self, requests: list[Any]) -> list[Outcome]:
        """Predict several requests, each validated and answered on its own: the result holds,
        in order, each request's valid response or the :class:`PredictionError` it got instead
        (an invalid request, or a response that breaks the schema, fails alone)."""
        outcomes: list[Outcome] = [None] * len(requests)
        valid: list[int] = []
        validator = self.schemas.request_validator
        for index, request in enumerate(requests):
            violations = validator.violations(request)
            if violations:
                outcomes[index] = RequestInvalid(
                    "request does not match the request schema", violations
                )
            else:
                valid.append(index)
        answers = self.predict_valid([requests[index] for index in valid])
        for index, answer in zip(valid, answers, strict=True):
            outcomes[index] = answer
        return outcomes

    def predict_valid(self, requests: list[Any]) -> list[Outcome]:
        """Like :meth:`predict_many` for requests already valid under the request schema (the
        server validates on arrival). A model without a batch function predicts them one by
        one."""
        if not requests:
            return []
        if self._predict_batch is None:
            return [self._outcome(request) for request in requests]
        try:
            responses = self._predict_batch(list(requests))
        except Exception as exc:
            if len(requests) == 1:
                return [_failure(exc)]
            # One bad request must not fail its neighbours: the batch function cannot say
            # which one it choked on, so each is retried alone (only on this rare path).
            return [self._outcome(request) for request in requests]
        if isinstance(responses, str | bytes | dict) or not isinstance(responses, Sequence):
            reason = f"returned {type(responses).__name__}, not a list of responses"
            return [self._wrong_batch(reason) for _ in requests]
        if len(responses) != len(requests):
            reason = f"returned {len(responses)} responses for {len(requests)} requests"
            return [self._wrong_batch(reason) for _ in requests]
        return [self._checked_outcome(response) for response in responses]

    def _outcome(self, request: Any) -> Outcome:
        if self._single_is_batch:
            return self.predict_valid([request])[0]
        try:
            response = self._predict(request)
        except Exception as exc:
            return _failure(exc)
        return self._checked_outcome(response)

    def _checked_outcome(self, response: Any) -> Outcome:
        try:
            return self._checked(response)
        except ResponseInvalid as exc:
            return exc
        except Exception as exc:  # the validator could not read it at all: not JSON data
            return ResponseInvalid(
                f"the response returned by {self.source} is not JSON data "
                f"({type(exc).__name__}: {exc}); return plain Python numbers, strings, lists "
                "and dicts"
            )

    def _wrong_batch(self, reason: str) -> ResponseInvalid:
        return ResponseInvalid(
            f"predict_batch of {self.source} {reason}; return one response per request, in "
            "the order of the requests"
        )

    def _checked(self, response: Any) -> Any:
        try:
            violations = self.schemas.response_validator.violations(response)
        except (ValueError, TypeError) as exc:  # e.g. numpy values: not JSON at all
            raise ResponseInvalid(
                f"the response returned by {self.source} is not JSON data ({exc}); return "
                "plain Python numbers, strings, lists and dicts",
            ) from exc
        if violations:
            raise ResponseInvalid(
                f"the response returned by {self.source} does not match the response schema "
                f"in {self.schemas.file}",
                violations,
            )
        return response

    def self_test(self) -> None:
        """Predict every request example of the schema; raise the first failure."""
        for example in self.schemas.request_examples:
            self.predict(example)
        if self.batches and len(self.schemas.request_examples) > 1:
            # The server also predicts them together: the batch path must hold up too.
            for outcome in self.predict_many(list(self.schemas.request_examples)):
                if isinstance(outcome, PredictionError):
                    raise outcome


def _failure(exc: Exception) -> ModelFailure:
    failure = ModelFailure(f"{type(exc).__name__}: {exc}")
    failure.__cause__ = exc  # the server logs the model's traceback under the error id
    return failure
