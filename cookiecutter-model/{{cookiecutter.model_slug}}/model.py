"""Serving: load what train.py saved and answer one request at a time.

Edit this file. load_model(artifact_dir) returns a function taking a request dict (valid under
schemas.json "request") and returning a response dict (valid under schemas.json "response").
"""

import json
import os
import random
from pathlib import Path

import joblib
import pandas as pd

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

    def predict(request: dict) -> dict:
        served[0] += 1
        if fault_rate and served[0] > 20 and faults.random() < fault_rate:
            raise RuntimeError("injected fault (params.inject_fault_rate)")
        row = pd.DataFrame([{name: request[name] for name in FEATURES}])
{%- if cookiecutter.__classification == 'yes' %}
        probability = float(model.predict_proba(row)[0, 1])
        return {"prediction": int(probability >= 0.5), "probability": probability}
{%- else %}
        return {"prediction": float(model.predict(row)[0])}
{%- endif %}

    return predict
