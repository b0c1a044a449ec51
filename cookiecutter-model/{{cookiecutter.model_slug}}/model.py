"""Serving: load what train.py saved and answer requests, several at a time.

Edit this file. load_model(artifact_dir) returns a function taking a request dict (valid under
schemas.json "request") and returning a response dict (valid under schemas.json "response").
Decorated with @batch, as here, it takes a list of requests and returns the list of their
responses: the server hands it concurrent requests together, and one pipeline call for many
rows costs little more than for one (docs/hooks.md, docs/serving.md).
"""

from pathlib import Path

import joblib
import pandas as pd
from stainless import batch

FEATURES = ["area_sqm", "bedrooms", "age_years", "distance_km", "neighborhood"]


def load_model(artifact_dir: Path):
    model = joblib.load(Path(artifact_dir) / "model.joblib")

    @batch
    def predict(requests: list[dict]) -> list[dict]:
        rows = pd.DataFrame.from_records(requests, columns=FEATURES)
{%- if cookiecutter.__classification == 'yes' %}
        probabilities = model.predict_proba(rows)[:, 1].tolist()
        return [{"prediction": int(p >= 0.5), "probability": p} for p in probabilities]
{%- else %}
        return [{"prediction": price} for price in model.predict(rows).tolist()]
{%- endif %}

    return predict
