"""Training data against the contract (issue 13 item 6): pure checks, typed report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from stainless.project.data_checks import DataCheckSettings, check_datasets
from stainless.project.datasets import Datasets

SCHEMA = {
    "type": "object",
    "required": ["area", "rooms", "zone"],
    "additionalProperties": False,
    "properties": {
        "area": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000},
        "rooms": {"type": "integer", "minimum": 0},
        "zone": {"enum": ["north", "south"]},
        "income": {"type": ["number", "null"]},
    },
}


def frame(rows: int = 10, **columns) -> pd.DataFrame:
    base = {
        "area": [50.0 + i for i in range(rows)],
        "rooms": [i % 4 for i in range(rows)],
        "zone": ["north", "south"] * (rows // 2),
        "price": [100.0 * i for i in range(rows)],
    }
    return pd.DataFrame({**base, **columns})


def check(train: pd.DataFrame, validation: pd.DataFrame | None = None, **settings):
    datasets = Datasets(train=train, validation=frame() if validation is None else validation)
    return check_datasets(
        datasets, SCHEMA, "price", DataCheckSettings.from_mapping(settings), "schemas.json"
    )


def test_clean_data_passes() -> None:
    report = check(frame())
    assert report.ok and report.rows == {"train": 10, "validation": 10}


def test_a_column_empty_in_production_fails_with_counts_and_the_json_path() -> None:
    """The talk's war story: filled in development, empty in production."""
    report = check(frame(area=[None] * 10))
    assert not report.ok
    (violation,) = report.violations
    assert (violation.split, violation.column, violation.count, violation.rows) == (
        "train", "area", 10, 10,
    )  # fmt: skip
    text = report.render()
    assert "train: column 'area': 10 of 10 rows (100.0%) are empty (null)" in text
    assert "schemas.json request/properties/area" in text


def test_types_ranges_and_enums_are_reported_with_examples() -> None:
    bad = frame(
        area=["2019.0"] + [50.0] * 9,
        rooms=[1.5, 2, 3, 4, 5, 6, 7, 8, 9, -1],
        zone=["north", "east", "east", "west"] + ["south"] * 6,
    )
    report = check(bad)
    rendered = {(v.column, v.where.rsplit("/", 1)[-1]): v for v in report.violations}
    assert rendered[("area", "type")].count == 1
    assert rendered[("area", "type")].examples == ("2019.0",)
    assert rendered[("rooms", "type")].examples == (1.5,)
    assert rendered[("rooms", "minimum")].count == 1
    assert rendered[("zone", "enum")].count == 3
    assert rendered[("zone", "enum")].examples == ("east", "west")
    assert "e.g. 'east', 'west'" in rendered[("zone", "enum")].render()


def test_unknown_and_missing_columns() -> None:
    report = check(frame().drop(columns=["rooms"]).assign(user_id=range(10)))
    found = {(v.column, v.check) for v in report.violations}
    assert (None, "lack required request field(s) rooms") in found
    assert ("user_id", "hold a column the request schema does not allow") in found
    assert check(frame().assign(user_id=range(10)), ignore_columns=["user_id"]).ok


def test_null_share_relaxes_or_tightens() -> None:
    some_nulls = frame(area=[None, None] + [60.0] * 8)
    assert not check(some_nulls).ok
    assert check(some_nulls, max_null_share={"area": 0.25}).ok
    assert not check(some_nulls, max_null_share={"area": 0.1}).ok
    # The schema allows null income; the limit still applies, and all-empty is always flagged.
    assert check(frame(income=[None] + [1.0] * 9)).ok
    assert not check(frame(income=[None] + [1.0] * 9), max_null_share={"income": 0.05}).ok
    assert "are all empty" in check(frame(income=[None] * 10)).render()


def test_row_bounds_and_freshness() -> None:
    assert "fewer rows than min_rows" in check(frame(), min_rows=20).render()
    assert "more rows than max_rows" in check(frame(), max_rows=5).render()
    now = datetime.now(UTC)
    fresh = frame(sold_at=[now - timedelta(hours=h) for h in range(10)])
    settings = {"ignore_columns": ["sold_at"], "freshness": {"column": "sold_at", "max_age": "1d"}}
    assert check(fresh, validation=fresh, **settings).ok
    stale = frame(sold_at=[now - timedelta(days=3 + h) for h in range(10)])
    report = check(stale, validation=stale, **settings)
    assert "older than max_age" in report.render()


@pytest.mark.parametrize("switch_off", [{"schema": False}])
def test_the_schema_check_can_be_switched_off(switch_off) -> None:
    assert check(frame(area=[None] * 10), **switch_off).ok
