"""Whether a rollout can reach its minimum sample before its deadline, at a given traffic."""

from __future__ import annotations

import pytest
from stainless.rollout.feasibility import (
    DEADLINE_MARGIN,
    check_traffic,
    seconds_to_minimum_sample,
)
from stainless.rollout.policy import RolloutPolicy

DEFAULTS = RolloutPolicy()


def test_time_to_the_minimum_sample_at_each_step() -> None:
    # 1,500 candidate requests at 5, 10, 25 and 50 % of 1 request/s: 30,000 + 15,000 + 6,000 +
    # 3,000 seconds; at very high traffic the bake time (60 s a step) is what remains.
    assert seconds_to_minimum_sample(DEFAULTS, 1.0) == pytest.approx(54_000)
    assert seconds_to_minimum_sample(DEFAULTS, 10_000.0) == pytest.approx(4 * 60)


def test_a_low_traffic_model_is_warned_with_the_settings_to_change() -> None:
    check = check_traffic(DEFAULTS, 0.2)  # 216 candidate requests in 6 h at 5 %
    assert not check.fits
    assert check.seconds_needed == pytest.approx(270_000)  # 75 h
    warning = check.warning()
    assert warning is not None
    for words in (
        "0.2 requests/s",
        "rollout.expected_rps",
        "75.0 h",
        "not enough traffic",
        "rollout.max_duration_seconds",
        "rollout.min_requests_per_step",
        "rollout.steps",
    ):
        assert words in warning, words
    # The advice works: each suggested change alone makes the check pass.
    longer = RolloutPolicy(max_duration_seconds=check.shortest_deadline_seconds)
    assert check_traffic(longer, 0.2).fits
    smaller = RolloutPolicy(min_requests_per_step=check.largest_min_requests_per_step)
    assert check_traffic(smaller, 0.2).fits


def test_enough_traffic_gives_no_warning_and_the_margin_counts() -> None:
    assert check_traffic(DEFAULTS, 6.0).warning() is None  # 2.5 h of 6 h
    # 5.5 h of a 6 h deadline: it may just fit on an average day, not on a quiet one.
    tight = check_traffic(DEFAULTS, 54_000 / (5.5 * 3600))
    assert tight.seconds_needed < tight.deadline_seconds
    assert tight.seconds_needed > DEADLINE_MARGIN * tight.deadline_seconds
    assert "over 80% of" in (tight.warning() or "")


def test_the_source_of_the_traffic_figure_is_named() -> None:
    warning = check_traffic(DEFAULTS, 0.1, "the endpoint's recent traffic").warning()
    assert warning and "the endpoint's recent traffic" in warning


@pytest.mark.parametrize("rps", [0.0, -1.0, float("inf"), float("nan")])
def test_traffic_must_be_a_positive_number(rps: float) -> None:
    with pytest.raises(ValueError):
        check_traffic(DEFAULTS, rps)
