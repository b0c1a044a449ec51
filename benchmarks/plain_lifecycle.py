"""The anchor of benchmarks/lifecycle.py: the data work of `stainless run` on the template's
example project, as a plain one-process script a data scientist might write instead: read the
data with DuckDB, split it, fit the same scikit-learn pipeline, save it, and score the
validation rows one request at a time (a one-row DataFrame each, as the served model answers
them); with --compare, score the previous model on the same rows too (what evaluating a
candidate against production does).

    python benchmarks/plain_lifecycle.py PROJECT_DIR [--compare PREVIOUS.joblib] [--alpha 1.0]
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import duckdb
import joblib
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["area_sqm", "bedrooms", "age_years", "distance_km"]
CATEGORICAL = ["neighborhood"]


def rmse(model: Pipeline, validation: pd.DataFrame) -> float:
    errors = []
    for row in validation.drop(columns=["price"]).to_dict(orient="records"):
        errors.append(float(model.predict(pd.DataFrame([row]))[0]))
    truth = validation["price"].tolist()
    return math.sqrt(sum((p - t) ** 2 for p, t in zip(errors, truth, strict=True)) / len(truth))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("project", type=Path)
    parser.add_argument("--compare", type=Path, default=None)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    data = args.project / "data" / "houses.csv"
    frame = (
        duckdb.connect()
        .execute(f"SELECT {', '.join(NUMERIC + CATEGORICAL)}, price FROM read_csv_auto('{data}')")
        .df()
        .dropna()
    )
    train, validation = train_test_split(frame, test_size=0.2, random_state=42)
    model = Pipeline(
        [
            (
                "features",
                ColumnTransformer(
                    [
                        ("numeric", StandardScaler(), NUMERIC),
                        ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
                    ]
                ),
            ),
            ("model", Ridge(alpha=args.alpha)),
        ]
    )
    model.fit(train[NUMERIC + CATEGORICAL], train["price"])
    out = args.out or Path(tempfile.mkdtemp()) / "model.joblib"
    joblib.dump(model, out)
    print(f"candidate rmse {rmse(model, validation):.1f}")
    if args.compare:
        print(f"previous rmse {rmse(joblib.load(args.compare), validation):.1f}")


if __name__ == "__main__":
    main()
