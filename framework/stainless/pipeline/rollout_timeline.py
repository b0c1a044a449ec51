"""The rollout timeline figure: candidate weight and each variant's error rate over time."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from stainless.pipeline.rollout_state import RolloutState  # noqa: E402


def timeline_png(state: RolloutState) -> bytes:
    start = state.rollout_started_at
    times = [(t["at"] - start) / 60 for t in state.ticks]
    figure, (weights, errors) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    try:
        weights.step(
            times,
            [t["weight"] for t in state.ticks],
            where="post",
            label=f"{state.candidate_variant} weight",
        )
        weights.set_ylabel("candidate traffic %")
        weights.set_ylim(0, 105)
        for key, variant in (
            ("candidate", state.candidate_variant),
            ("production", state.production_variant),
        ):
            rates = [
                100 * t[key]["errors"] / max(t[key]["requests"] - t[key]["client_errors"], 1)
                if t[key]["requests"]
                else None
                for t in state.ticks
            ]
            errors.plot(
                times,
                [r if r is not None else float("nan") for r in rates],
                marker=".",
                label=f"{variant} errors",
            )
        errors.set_ylabel("model error rate %")
        errors.set_xlabel("minutes since the rollout began")
        errors.legend(fontsize=8)
        weights.set_title(
            f"rollout of version {state.candidate_version}: {state.state}", fontsize=9
        )
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
        return buffer.getvalue()
    finally:
        plt.close(figure)
