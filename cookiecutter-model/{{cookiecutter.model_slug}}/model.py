"""Serving: load what train.py saved and answer one request at a time.

Edit this file. load_model(artifact_dir) returns a function taking a request dict (valid under
schemas.json "request") and returning a response dict (valid under schemas.json "response").
"""

from pathlib import Path

import joblib
import pandas as pd

FEATURES = ["area_sqm", "bedrooms", "age_years", "distance_km", "neighborhood"]


def load_model(artifact_dir: Path):
    model = joblib.load(Path(artifact_dir) / "model.joblib")

    def predict(request: dict) -> dict:
        row = pd.DataFrame([{name: request[name] for name in FEATURES}])
{%- if cookiecutter.__classification == 'yes' %}
        probability = float(model.predict_proba(row)[0, 1])
        return {"prediction": int(probability >= 0.5), "probability": probability}
{%- else %}
        return {"prediction": float(model.predict(row)[0])}
{%- endif %}

    return predict
