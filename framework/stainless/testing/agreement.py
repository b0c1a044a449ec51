"""The shared suite's checks of a model's batch function: every generated request gets a valid
response through it, and it answers a request as it does when the request comes alone (the
server batches or not depending on the load)."""

from __future__ import annotations

import math
from typing import Any

from stainless.core.errors import truncate
from stainless.project.runtime import LoadedModel, PredictionError
from stainless.project.schemas import ModelSchemas
from stainless.testing.explain import prediction_failure


def batches_of_valid_requests(schemas: ModelSchemas) -> Any:
    """Lists of 2 to 8 requests valid under the request schema."""
    from hypothesis import strategies as st

    from stainless.testing.strategies import valid_requests

    validator = schemas.request_validator
    return st.lists(
        valid_requests(schemas.request).filter(validator.is_valid), min_size=2, max_size=8
    )


def batches_get_valid_responses(model: Any, file: str, base: Any) -> Any:
    """The property for a batch model, which the server calls through its batch function even
    for one request: lists of 1 to 8 generated requests, each list one call, each response
    checked on its own. Half the examples of the one-request form check about twice as many
    requests (4.5 per list on average) with half the model calls; a list that fails shrinks to
    the one request that fails. Whether a request is answered alike alone and in company is
    the property of test_batch_and_single_answers_agree."""
    from hypothesis import given
    from hypothesis import settings as hypothesis_settings
    from hypothesis import strategies as st

    from stainless.testing.strategies import valid_requests

    schemas = model.schemas
    requests = valid_requests(schemas.request).filter(schemas.request_validator.is_valid)

    @hypothesis_settings(base, max_examples=max(10, base.max_examples // 2))
    @given(st.lists(requests, min_size=1, max_size=8))
    def check(batch: list[Any]) -> None:
        for request, outcome in zip(batch, model.predict_valid(batch), strict=True):
            if isinstance(outcome, PredictionError):
                raise AssertionError(
                    prediction_failure(outcome, file, schemas.file, "a generated request", request)
                )

    return check


def disagreement(model: LoadedModel, batch: list[Any], file: str) -> str | None:
    """Why the batch's answers differ from the single ones (naming ``file`` and the fix), or
    None when they agree."""
    together = model.predict_valid(batch)
    for index, (request, joint) in enumerate(zip(batch, together, strict=True)):
        try:
            alone: Any = model.predict(request)
        except PredictionError as exc:
            alone = exc
        failed_alone = isinstance(alone, PredictionError)
        failed_together = isinstance(joint, PredictionError)
        if failed_alone and failed_together:
            continue  # failing alone and in a batch alike: the suite's other tests report it
        if failed_alone or failed_together:
            outcome = "fails" if failed_together else "succeeds"
            return (
                f"{file}: request {truncate(request, 300)} {outcome} in a batch of {len(batch)} "
                f"(position {index}) but not alone. Fix: make the batch function treat each "
                "request independently of its neighbours"
            )
        if not same(alone, joint):
            return (
                f"{file}: the batch function answers {truncate(joint, 200)} for "
                f"{truncate(request, 300)} at position {index} of a batch of {len(batch)}, "
                f"but {truncate(alone, 200)} alone. Fix: return one response per request, "
                "in the order of the requests, computed independently of the others"
            )
    return None


def same(a: Any, b: Any) -> bool:
    """Equal, numbers up to rounding (a vectorised call may sum in another order)."""
    if isinstance(a, bool) or isinstance(b, bool):  # JSON true is not the number 1
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (a != a and b != b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
