"""Training: fit the model on the training split and save it into ctx.artifact_dir.

Edit this file. Everything written into ctx.artifact_dir is packaged and handed to
model.load_model at serving time. ctx.log_metric and ctx.save_figure keep diagnostics with the run.
"""

import joblib
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
{%- if cookiecutter.__classification == 'yes' %}
from sklearn.linear_model import LogisticRegression  # noqa: E402
{%- else %}
from sklearn.linear_model import Ridge  # noqa: E402
{%- endif %}
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402
from stainless import Context, Datasets  # noqa: E402

NUMERIC = ["area_sqm", "bedrooms", "age_years", "distance_km"]
CATEGORICAL = ["neighborhood"]


def train(datasets: Datasets, ctx: Context) -> None:
    features = datasets.train[NUMERIC + CATEGORICAL]
    target = datasets.train[ctx.target]
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
{%- if cookiecutter.__classification == 'yes' %}
            ("model", LogisticRegression(max_iter=1000, C=ctx.params.get("C", 1.0))),
{%- else %}
            ("model", Ridge(alpha=ctx.params.get("alpha", 1.0))),
{%- endif %}
        ]
    )
    model.fit(features, target)
    ctx.log_metric("train_score", model.score(features, target))
    joblib.dump(model, ctx.artifact_dir / "model.joblib")

    figure, axis = plt.subplots(figsize=(5, 3))
    coefficients = model.named_steps["model"].coef_.ravel()
    names = model.named_steps["features"].get_feature_names_out()
    axis.barh(names, coefficients)
    axis.set_title("model coefficients")
    ctx.save_figure("coefficients", figure)
    plt.close(figure)
