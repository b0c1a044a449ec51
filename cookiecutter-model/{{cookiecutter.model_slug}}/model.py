"""Serving: load what train.py saved and answer requests, several at a time.

Edit this file. load_model(artifact_dir) returns a function taking a request dict (valid under
schemas.json "request") and returning a response dict (valid under schemas.json "response").
Decorated with @batch, as here, it takes a list of requests and returns the list of their
responses: the server hands it concurrent requests together, and one pipeline call for many
rows costs little more than for one (docs/hooks.md, docs/serving.md).
"""

import json
import os
import random
from pathlib import Path

import joblib
import pandas as pd

from stainless import batch

FEATURES = ["area_sqm", "bedrooms", "age_years", "distance_km", "neighborhood"]


def load_model(artifact_dir: Path):
    model = joblib.load(Path(artifact_dir) / "model.joblib")
    settings = json.loads((Path(artifact_dir) / "settings.json").read_text())
    # Demo only: a version trained with params.inject_fault_rate > 0 fails that share of live
    # requests once warmed up (like a leak under load; STAINLESS_SERVING is set by the inference
    # server), so evaluation and health checks pass and the canary rollout has to catch it.
    # Delete this when you write your own model.
    fault_rate = settings["inject_fault_rate"] if os.environ.get("STAINLESS_SERVING") else 0.0
    faults = random.Random()
    served = [0]

    @batch
    def predict(requests: list[dict]) -> list[dict]:
        served[0] += len(requests)
        if fault_rate and served[0] > 20 and faults.random() < fault_rate:
            raise RuntimeError("injected fault (params.inject_fault_rate)")
        rows = pd.DataFrame.from_records(requests, columns=FEATURES)
{%- if cookiecutter.__classification == 'yes' %}
        probabilities = model.predict_proba(rows)[:, 1].tolist()
        return [{"prediction": int(p >= 0.5), "probability": p} for p in probabilities]
{%- else %}
        return [{"prediction": price} for price in model.predict(rows).tolist()]
{%- endif %}

    return predict
