"""Preprocessing: turn raw data into train and validation DataFrames.

Edit this file. `ctx.query(sql)` runs SQL on the data source (locally: DuckDB over the files in
data/, each file a table; in production: the warehouse). Return a stainless.Datasets.
"""

from sklearn.model_selection import train_test_split
from stainless import Context, Datasets

COLUMNS = "area_sqm, bedrooms, age_years, distance_km, neighborhood"


def preprocess(ctx: Context) -> Datasets:
    frame = ctx.query(f"SELECT {COLUMNS}, {{ cookiecutter.__target }} FROM houses")
    frame = frame.dropna()
    train, validation = train_test_split(
        frame,
        test_size=ctx.test_size,
        random_state=ctx.seed,
{%- if cookiecutter.__classification == 'yes' %}
        stratify=frame[ctx.target],
{%- endif %}
    )
    ctx.logger.info("preprocessed %d training and %d validation rows", len(train), len(validation))
    return Datasets(
        train=train.reset_index(drop=True),
        validation=validation.reset_index(drop=True),
    )
