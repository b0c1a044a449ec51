"""Profiles: exact counts against fixed bins, one pass over chunks, mergeable, JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from stainless.monitoring.profile import (
    CategoricalSketch,
    NumericSketch,
    Profile,
    profile_chunks,
    reference_profile,
)


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 5000
    return pd.DataFrame(
        {
            "x": rng.normal(10, 2, n),
            "k": rng.integers(0, 5, n),
            "c": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        }
    )


def test_reference_bins_hold_equal_shares_and_counts_are_exact(frame: pd.DataFrame) -> None:
    profile = reference_profile(frame, predictions=frame["x"] * 2)
    x = profile.features["x"]
    assert isinstance(x, NumericSketch) and len(x.counts) == 10
    assert sum(x.counts) == 5000 and max(x.counts) - min(x.counts) <= 2
    assert x.mean == pytest.approx(frame["x"].mean()) and x.std == pytest.approx(frame["x"].std())
    k = profile.features["k"]
    assert isinstance(k, NumericSketch) and k.edges == (0, 1, 2, 3, 4)  # ties collapse
    c = profile.features["c"]
    assert isinstance(c, CategoricalSketch) and c.categories == ("a", "b", "c")
    assert c.counts[-1] == 0 and sum(c.counts) == 5000
    assert profile.prediction is not None and profile.prediction.total == 5000


def test_chunks_merge_to_the_same_profile_as_one_pass(frame: pd.DataFrame) -> None:
    reference = reference_profile(frame)
    traffic = frame.assign(c=frame["c"].where(frame.index % 7 != 0, "zzz"))
    traffic.loc[::11, "x"] = np.nan
    one = profile_chunks(reference, [traffic])
    parts = [profile_chunks(reference, [traffic.iloc[i : i + 333]]) for i in range(0, 5000, 333)]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    exact, summed = merged.to_dict(), one.to_dict()
    for moment in ("sum", "sumsq"):  # float sums in another order: equal up to rounding
        for name in ("x", "k"):
            assert exact["features"][name].pop(moment) == pytest.approx(
                summed["features"][name].pop(moment)
            )
    assert exact == summed
    assert one.rows == 5000
    assert one.features["x"].nulls == len(traffic.index[::11])
    c = one.features["c"]
    assert isinstance(c, CategoricalSketch) and c.new_values == {"zzz": c.counts[-1]}


def test_a_missing_column_counts_as_nulls_and_bad_numbers_too(frame: pd.DataFrame) -> None:
    reference = reference_profile(frame)
    current = reference.like()
    current.update(pd.DataFrame({"x": ["oops", 3.0], "c": ["a", None]}))
    assert current.features["x"].nulls == 1 and current.features["k"].nulls == 2
    assert current.features["c"].nulls == 1


def test_json_round_trip(frame: pd.DataFrame) -> None:
    profile = reference_profile(frame, predictions=frame["c"])
    again = Profile.from_dict(json.loads(json.dumps(profile.to_dict())))
    assert again.to_dict() == profile.to_dict()
    with pytest.raises(ValueError, match="different bins"):
        reference_profile(frame.assign(x=frame["x"] + 1)).merge(again)
