"""Fault injection for demos and rollback drills (``serving.chaos`` in model.yaml).

The section is recorded in each version's bundle when it is trained (so a drill version keeps
failing wherever it is served, and the versions around it do not), and applied here, by the
server, around the model: evaluation and the shared suite call the model directly and never see
it. The model's own code stays free of demo machinery.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

from stainless.project.runtime import LoadedModel

MANIFEST_KEY = "serving_chaos"


class InjectedFault(RuntimeError):
    """Raised instead of calling the model; the server answers 500 with origin ``model``."""


@dataclass(frozen=True)
class ChaosSettings:
    """Defaults equal model.schema.json's ``serving.chaos`` defaults (a test keeps them so)."""

    error_rate: float = 0.0
    warmup_requests: int = 20

    @classmethod
    def from_mapping(cls, section: dict[str, Any] | None) -> ChaosSettings:
        section = section or {}
        return cls(
            error_rate=float(section.get("error_rate", cls.error_rate)),
            warmup_requests=int(section.get("warmup_requests", cls.warmup_requests)),
        )

    @property
    def enabled(self) -> bool:
        return self.error_rate > 0


def with_chaos(model: LoadedModel, chaos: ChaosSettings, seed: int | None = None) -> LoadedModel:
    """``model`` with ``chaos.error_rate`` of its predictions (after the warm-up) failing."""
    if not chaos.enabled:
        return model
    draws = random.Random(seed)
    lock = threading.Lock()
    served = [0]

    def fail_some(predict: Any) -> Any:
        # One request at a time (a drill version does not batch), so each request gets exactly
        # one draw and the failure share is error_rate.
        def predict_with_faults(request: dict) -> dict:
            with lock:
                served[0] += 1
                fail = served[0] > chaos.warmup_requests and draws.random() < chaos.error_rate
            if fail:
                raise InjectedFault(
                    f"injected by serving.chaos.error_rate={chaos.error_rate} (a drill)"
                )
            return predict(request)

        return predict_with_faults

    return model.around(fail_some)
