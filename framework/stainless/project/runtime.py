"""The serving path: a loaded model plus its schemas, one validated request at a time.

Evaluation, the inference server and the shared test suite all predict through
:class:`LoadedModel`, so what was evaluated is exactly what is served.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
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


class LoadedModel:
    def __init__(self, predict: Callable[[dict], dict], schemas: ModelSchemas, source: str) -> None:
        self._predict = predict
        self.schemas = schemas
        self.source = source

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
        if not callable(predict):
            raise HookError(
                "load_model must return a callable taking a request dict",
                file=model_file.name,
                found=type(predict).__name__,
                fix="return e.g. `def predict(request: dict) -> dict` from load_model",
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
        """The same model with its predict function wrapped (validation stays outside)."""
        return LoadedModel(wrap(self._predict), self.schemas, self.source)

    def predict(self, request: Any) -> dict[str, Any]:
        violations = self.schemas.request_validator.violations(request)
        if violations:
            raise RequestInvalid("request does not match the request schema", violations)
        try:
            response = self._predict(request)
        except Exception as exc:
            raise ModelFailure(f"{type(exc).__name__}: {exc}") from exc
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
