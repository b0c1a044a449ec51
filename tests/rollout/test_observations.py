"""Per-tick counts as decide() receives them: checked once, tabulated for the statistics."""

from __future__ import annotations

import pytest
from stainless.rollout.observations import (
    C_CLIENT,
    C_ERR,
    C_EXP,
    P_EXP,
    STEP,
    StepObservations,
    Tick,
    VariantCounts,
    count_table,
)


def test_count_table_takes_invalid_requests_out_of_the_exposure() -> None:
    ticks = [
        Tick(0, VariantCounts(100, 2, 5), VariantCounts(900, 9, 1)),
        Tick(1, VariantCounts(200, 0, 0), VariantCounts(800, 8, 0)),
    ]
    table = count_table(ticks)
    assert table.shape == (2, 7)
    assert table[0, [STEP, C_EXP, C_ERR, C_CLIENT, P_EXP]].tolist() == [0, 95, 2, 5, 899]
    assert count_table([]).shape == (0, 7)


def test_current_step_ticks_are_the_tail_at_the_current_index() -> None:
    ticks = [Tick(s, VariantCounts(10, 0), VariantCounts(10, 0)) for s in (0, 0, 1, 2, 2)]
    assert len(StepObservations(2, 0.0, 0.0, ticks).current_step_ticks) == 2
    assert StepObservations(3, 0.0, 0.0, ticks).current_step_ticks == ()


@pytest.mark.parametrize(
    "build",
    [
        lambda: VariantCounts(10, 0, 0, 100.0, -1.0),
        lambda: VariantCounts(10, 0, 0, 100.0, float("inf")),
        lambda: VariantCounts(10, 0, 0, True),
        lambda: Tick(0, VariantCounts(1, 0), None),  # type: ignore[arg-type]
    ],
)
def test_bad_latencies_and_ticks_are_rejected(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        build()
