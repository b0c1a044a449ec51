"""stainless.pipeline.rollout_timeline: the figure of a rollout (weights and error rates per
tick) that the run report and the rollout's Slack message show."""

from __future__ import annotations

from stainless.pipeline.rollout_state import RolloutState
from stainless.pipeline.rollout_timeline import timeline_png

PNG = b"\x89PNG\r\n\x1a\n"


def tick(
    at: float, weight: float, candidate: tuple[int, int, int], production: tuple[int, int, int]
) -> dict:
    def counts(values: tuple[int, int, int]) -> dict:
        requests, errors, client_errors = values
        return {"requests": requests, "errors": errors, "client_errors": client_errors}

    return {
        "at": at,
        "weight": weight,
        "candidate": counts(candidate),
        "production": counts(production),
    }


def state(ticks: list[dict], outcome: str = "promoted") -> RolloutState:
    return RolloutState(
        run_id="run-2", endpoint="house-prices", candidate_variant="v2", candidate_version=2,
        production_variant="v1", production_version=1, policy={}, state=outcome,
        rollout_started_at=1000.0, ticks=ticks,
    )  # fmt: skip


def test_a_rollout_is_drawn_as_a_png():
    ticks = [
        tick(1000.0, 5, (0, 0, 0), (100, 0, 0)),  # no candidate traffic yet: no rate, no crash
        tick(1060.0, 25, (50, 1, 10), (150, 0, 2)),
        tick(1120.0, 100, (200, 2, 10), (0, 0, 0)),
    ]
    png = timeline_png(state(ticks))
    assert png.startswith(PNG) and len(png) > 5000


def test_a_different_rollout_draws_a_different_figure():
    steady = [tick(1000.0 + 60 * i, 5 * (i + 1), (50, 0, 0), (100, 0, 0)) for i in range(4)]
    failing = [tick(1000.0 + 60 * i, 5, (50, 20, 0), (100, 0, 0)) for i in range(4)]
    assert timeline_png(state(steady)) != timeline_png(state(failing, "rolled_back"))
