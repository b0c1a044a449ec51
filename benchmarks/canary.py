"""Canary rollout benchmark: our sequential decision vs. two naive threshold rules.

Run: ``PYTHONPATH=framework python benchmarks/canary.py [--json] [--seed N] [--trials N]``
(``--policy '{"min_requests_per_step": 1000}'`` tries other settings; ``--workers N``).

What is simulated
    Each trial is one rollout of a candidate model beside production. Time moves in ticks of
    one minute. A trial gets its own traffic level, drawn uniformly between 200 and 1000
    requests a minute (a small-to-medium model endpoint); each tick's request count is Poisson
    around it, and each request goes to the candidate with probability equal to its current
    weight. 0.5 % of requests on both variants are invalid client requests (excluded from the
    error counts, as upstream does). Every other request fails independently with the
    variant's error rate: ``p_old`` for production, ``ratio * p_old`` for the candidate.
    Each variant's p95 latency per tick is 120 ms times log-normal noise the size of a sample
    p95's (sd ~ 1.06 / sqrt(requests) in log space); latency is the same for both variants
    except in the two latency scenarios.

    Scenarios: ``p_old`` in {1 %, 0.1 %} x ``ratio`` in {1, 1.5, 2}, plus an error spike: for
    15 minutes, starting at a random minute in the first 45, both variants' error rates triple
    (a broken dependency) while the candidate is healthy (ratio 1). Latency: a healthy candidate
    whose first tick at each weight is 2x slower (cold start), and one 1.6x slower in every tick
    (above the 1.5 guard). Low traffic: a healthy candidate on an endpoint serving 0.2 requests a
    second (12 a minute), which cannot reach the default minimum sample in 6 h. ``--trials``
    rollouts (default 1000) per scenario and rule; half as many for ratio 1.5, ratio 2 at 0.1 %
    and the slow candidate, 4 % for low traffic (its rollouts run all 361 ticks and hardly vary):
    about 150 CPU-seconds in all.

What is compared, on the same scenarios in the same run
    * ``sequential``: our rollout. At the end of every tick the benchmark calls
      :func:`stainless.rollout.decision.decide` with the default :class:`RolloutPolicy` and
      all ticks so far (a new ``StepObservations`` from the stored ticks, the controller's
      way), and obeys it. "advance" moves to the next weight (5, 10, 25, 50 %), "promote" ends
      the trial as a promotion, "rollback" as a rollback (whatever the cause: error test,
      latency guard, not enough traffic).
    * ``first_failure``: every tick, a threshold check "candidate error rate > production error
      rate x (1 + tolerance)"; roll back on the first failed check. Like Flagger, a passing check
      after the step's bake time (60 s, i.e. every tick) advances one step; passing at the last
      step promotes.
    * ``fifth_failure``: the same, but roll back at the 5th failed check (Flagger's default
      failure threshold).
    * ``fifth_failure_min_sample``: the 5th-failure rule but held to our minimum requests per
      step, to show that a minimum sample alone does not fix repeated threshold checks.

Reported
    ``false_rollback_healthy`` / ``false_rollback_spike``: rollback rate of a healthy candidate
    (the worse of the two ``p_old``); ``detection_2x``: share of 2x-regression trials at
    ``p_old`` = 1 % rolled back (i.e. before full promotion); ``median_requests_2x``: median
    candidate requests served until that rollback; ``fixed_horizon_median_requests_2x``: the
    candidate sample a single-look two-proportion test needs for the same power at the first
    step's weight (normal approximation; it always needs that many, so its median is itself);
    ``promotions_below_min``: promotions at ``p_old`` = 0.1 % with fewer candidate requests
    than ``policy.min_promotion_requests`` (6,000 with the defaults);
    ``false_rollback_cold_start``: rollback rate of the cold-start candidate;
    ``detection_latency_1_6x``: rollback rate of the 1.6x slower one;
    ``low_traffic_reported_not_enough_traffic``: share of low-traffic rollouts that ended with
    the cause "not_enough_traffic" (inconclusive, not a failure), and
    ``low_traffic_warned_at_load``: whether the load-time check
    (:func:`stainless.rollout.feasibility.check_traffic`) warns at that traffic.

The last line printed is one JSON object. ``--json`` prints only that line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from stainless.rollout.decision import StepObservations, Tick, VariantCounts, decide
from stainless.rollout.feasibility import check_traffic
from stainless.rollout.policy import RolloutPolicy
from stainless.rollout.single_look import fixed_horizon_sample_size

TICK_SECONDS = 60.0
TRAFFIC_PER_TICK = (200.0, 1000.0)  # uniform range of a trial's mean requests per minute
CLIENT_ERROR_RATE = 0.005
SPIKE_FACTOR = 3.0
SPIKE_TICKS = 15
SPIKE_START_BEFORE = 45
LATENCY_P95_MS = 120.0
LATENCY_LOG_SD_ONE_REQUEST = 1.06  # sd of log(sample p95) ~ this / sqrt(n) for log-normal latency
COLD_START_FACTOR = 2.0  # cold-start scenario: the first tick at each weight is this much slower
SLOW_FACTOR = 1.6  # slow-candidate scenario: every tick, above the 1.5 guard
LOW_TRAFFIC_PER_TICK = (12.0, 12.0)  # 0.2 requests a second

DEFAULT_TRIALS = 1000
TARGETS = {
    "false_rollback_healthy": 0.01,
    "false_rollback_spike": 0.01,
    "false_rollback_cold_start": 0.01,
    "detection_latency_1_6x": 0.95,
    "low_traffic_reported_not_enough_traffic": 1.0,
    "detection_2x": 0.95,
    "median_requests_2x": 1600,
    "promotions_below_min": 0,
}


@dataclass(frozen=True)
class Scenario:
    name: str
    p_old: float
    ratio: float
    spike: bool = False
    # Share of --trials this scenario runs: half for those no target depends on, far fewer for
    # the low-traffic one (its 361 ticks per rollout cost the most, and its outcome hardly
    # varies), to keep the benchmark near a minute.
    share: float = 1.0
    traffic: tuple[float, float] = TRAFFIC_PER_TICK  # mean requests per minute, uniform range
    cold_start: bool = False  # the candidate's first tick at each weight is 2x slower
    latency_factor: float = 1.0  # the candidate's latency over production's, every tick

    @property
    def label(self) -> str:
        kind = f"spike x{SPIKE_FACTOR:g}" if self.spike else f"ratio {self.ratio:g}"
        if self.cold_start:
            kind = "cold start"
        if self.latency_factor != 1.0:
            kind = f"latency x{self.latency_factor:g}"
        if self.traffic != TRAFFIC_PER_TICK:
            kind = f"{self.traffic[0] / 60:g} req/s"
        return f"{kind}, p_old {self.p_old:.1%}"

    def trials(self, requested: int) -> int:
        return max(1, round(requested * self.share))


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("healthy_1pct", 0.01, 1.0),
    Scenario("healthy_0.1pct", 0.001, 1.0),
    Scenario("spike_1pct", 0.01, 1.0, spike=True),
    Scenario("spike_0.1pct", 0.001, 1.0, spike=True),
    Scenario("ratio1.5_1pct", 0.01, 1.5, share=0.5),
    Scenario("ratio2_1pct", 0.01, 2.0),
    Scenario("ratio1.5_0.1pct", 0.001, 1.5, share=0.5),
    Scenario("ratio2_0.1pct", 0.001, 2.0, share=0.5),
    Scenario("cold_start_1pct", 0.01, 1.0, cold_start=True),
    Scenario("slow_latency_1pct", 0.01, 1.0, latency_factor=SLOW_FACTOR, share=0.5),
    Scenario("low_traffic_1pct", 0.01, 1.0, traffic=LOW_TRAFFIC_PER_TICK, share=0.04),
)

DRAW_COLUMNS = (
    "cand",
    "cand_err",
    "cand_client",
    "cand_p95",
    "prod",
    "prod_err",
    "prod_client",
    "prod_p95",
)

RULES = ("sequential", "first_failure", "fifth_failure", "fifth_failure_min_sample")

PROMOTE, ROLLBACK, UNDECIDED = 1, 2, 0


class Traffic:
    """Draws one tick of traffic for many trials at once (numpy, vectorised over trials)."""

    def __init__(self, scenario: Scenario, trials: int, rng: np.random.Generator) -> None:
        self.scenario = scenario
        self.rng = rng
        self.level = rng.uniform(*scenario.traffic, size=trials)
        self.spike_start = rng.integers(0, SPIKE_START_BEFORE, size=trials)

    def tick(
        self,
        t: int,
        trials: np.ndarray,
        weight_pct: np.ndarray,
        first_at_weight: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """One tick for ``trials``; ``first_at_weight`` marks trials whose weight just changed."""
        rng, sc = self.rng, self.scenario
        total = rng.poisson(self.level[trials])
        cand = rng.binomial(total, weight_pct / 100.0)
        prod = total - cand
        factor = np.ones(len(trials))
        if sc.spike:
            start = self.spike_start[trials]
            factor[(t >= start) & (t < start + SPIKE_TICKS)] = SPIKE_FACTOR
        cand_client = rng.binomial(cand, CLIENT_ERROR_RATE)
        prod_client = rng.binomial(prod, CLIENT_ERROR_RATE)
        cand_err = rng.binomial(cand - cand_client, np.minimum(sc.p_old * sc.ratio * factor, 1.0))
        prod_err = rng.binomial(prod - prod_client, np.minimum(sc.p_old * factor, 1.0))
        sd = LATENCY_LOG_SD_ONE_REQUEST
        slow = np.full(len(trials), sc.latency_factor)
        if sc.cold_start and first_at_weight is not None:
            slow[first_at_weight] *= COLD_START_FACTOR
        cand_p95 = (
            LATENCY_P95_MS
            * slow
            * np.exp(rng.normal(0, 1, len(trials)) * sd / np.sqrt(np.maximum(cand, 1)))
        )
        prod_p95 = LATENCY_P95_MS * np.exp(
            rng.normal(0, 1, len(trials)) * sd / np.sqrt(np.maximum(prod, 1))
        )
        return {
            "cand": cand,
            "prod": prod,
            "cand_err": cand_err,
            "prod_err": prod_err,
            "cand_client": cand_client,
            "prod_client": prod_client,
            "cand_p95": cand_p95,
            "prod_p95": prod_p95,
        }


@dataclass
class Outcomes:
    """Per-trial end state of one rule on one scenario."""

    outcome: np.ndarray  # PROMOTE / ROLLBACK / UNDECIDED
    candidate_requests: np.ndarray  # candidate requests served until the decision
    minutes: np.ndarray  # minutes until the decision
    cause: list[str]  # for rollbacks: "error_test", "latency_guard", "not_enough_traffic"...

    def summary(self, policy: RolloutPolicy) -> dict[str, float | int | None]:
        n = len(self.outcome)
        rolled = self.outcome == ROLLBACK
        promoted = self.outcome == PROMOTE
        return {
            "trials": n,
            "rollback": float(rolled.mean()),
            "promote": float(promoted.mean()),
            "undecided": float((self.outcome == UNDECIDED).mean()),
            "median_requests_rollback": _median(self.candidate_requests[rolled]),
            "median_minutes_rollback": _median(self.minutes[rolled]),
            "median_requests_promote": _median(self.candidate_requests[promoted]),
            "median_minutes_promote": _median(self.minutes[promoted]),
            "promotions_below_min": int(
                (promoted & (self.candidate_requests < policy.min_promotion_requests)).sum()
            ),
            "rollbacks_by_deadline": sum(1 for c in self.cause if c == "deadline"),
            "rollbacks_not_enough_traffic": sum(1 for c in self.cause if c == "not_enough_traffic"),
            "rollbacks_by_latency": sum(1 for c in self.cause if c == "latency_guard"),
        }


def _median(values: np.ndarray) -> float | None:
    return float(np.median(values)) if len(values) else None


def run_sequential(
    policy: RolloutPolicy, scenario: Scenario, trials: int, seed: Sequence[int]
) -> Outcomes:
    """Our rollout, one `decide` call per trial per tick, exactly as a controller would."""
    rng = np.random.default_rng(np.random.SeedSequence(list(seed)))
    traffic = Traffic(scenario, trials, rng)
    weights = np.array(policy.observed_steps)
    step = np.zeros(trials, dtype=np.int64)
    # Per trial, every tick so far and when its step began: what a controller stores.
    history: list[list[Tick]] = [[] for _ in range(trials)]
    step_started = np.zeros(trials)
    outcome = np.full(trials, UNDECIDED)
    served = np.zeros(trials, dtype=np.int64)
    minutes = np.zeros(trials)
    causes: list[str] = []
    active = np.arange(trials)
    max_ticks = math.ceil(policy.max_duration_seconds / TICK_SECONDS) + 1
    for t in range(max_ticks):
        if not len(active):
            break
        first = step_started[active] == t * TICK_SECONDS
        draw = traffic.tick(t, active, weights[step[active]], first)
        now = (t + 1) * TICK_SECONDS
        still = []
        # Plain Python numbers, as a controller reading counters would have.
        columns = [draw[key].tolist() for key in DRAW_COLUMNS]
        for (
            i,
            cand_n,
            cand_err,
            cand_client,
            cand_p95,
            prod_n,
            prod_err,
            prod_client,
            prod_p95,
        ) in zip(active.tolist(), *columns, strict=True):
            index = int(step[i])
            history[i].append(
                Tick(
                    index,
                    VariantCounts(cand_n, cand_err, cand_client, cand_p95 if cand_n else None),
                    VariantCounts(prod_n, prod_err, prod_client, prod_p95 if prod_n else None),
                )
            )
            served[i] += cand_n
            observations = StepObservations(index, float(step_started[i]), 0.0, history[i])
            decision = decide(policy, observations, now)
            if decision.action == "advance":
                step[i] += 1
                step_started[i] = now
            elif decision.action in ("promote", "rollback"):
                outcome[i] = PROMOTE if decision.action == "promote" else ROLLBACK
                minutes[i] = now / 60.0
                if decision.action == "rollback":
                    causes.append(decision.cause)
                continue
            still.append(i)
        active = np.array(still, dtype=np.int64)
    minutes[active] = max_ticks
    return Outcomes(outcome, served, minutes, causes)


def run_naive(
    policy: RolloutPolicy,
    scenario: Scenario,
    trials: int,
    seed: Sequence[int],
    failures_to_rollback: int,
    min_sample: bool = False,
) -> Outcomes:
    """Flagger-style threshold checks, vectorised over trials (no `decide`: it is the baseline)."""
    rng = np.random.default_rng(np.random.SeedSequence(list(seed)))
    traffic = Traffic(scenario, trials, rng)
    weights = np.array(policy.observed_steps)
    last = len(weights) - 1
    step = np.zeros(trials, dtype=np.int64)
    step_started = np.zeros(trials)
    step_requests = np.zeros(trials, dtype=np.int64)
    failures = np.zeros(trials, dtype=np.int64)
    outcome = np.full(trials, UNDECIDED)
    served = np.zeros(trials, dtype=np.int64)
    minutes = np.zeros(trials)
    causes: list[str] = []
    tol = policy.error_rate_tolerance
    max_ticks = math.ceil(policy.max_duration_seconds / TICK_SECONDS) + 1
    for t in range(max_ticks):
        active = np.flatnonzero(outcome == UNDECIDED)
        if not len(active):
            break
        d = traffic.tick(t, active, weights[step[active]])
        now = (t + 1) * TICK_SECONDS
        cand_exp = d["cand"] - d["cand_client"]
        prod_exp = d["prod"] - d["prod_client"]
        served[active] += d["cand"]
        step_requests[active] += cand_exp
        # "candidate error rate > production error rate x (1 + tol)", without dividing by zero.
        failed = (
            (cand_exp > 0)
            & (prod_exp > 0)
            & (d["cand_err"] * prod_exp > (1 + tol) * d["prod_err"] * cand_exp)
        )
        failures[active] += failed
        rollback = failures[active] >= failures_to_rollback
        ready = ~failed & (now - step_started[active] >= policy.min_bake_seconds)
        if min_sample:
            ready &= step_requests[active] >= policy.min_requests_per_step
        ready &= ~rollback
        promote = ready & (step[active] == last)
        advance = ready & ~promote
        deadline = ~rollback & ~promote & (now >= policy.max_duration_seconds)
        for mask, code in ((rollback | deadline, ROLLBACK), (promote, PROMOTE)):
            outcome[active[mask]] = code
            minutes[active[mask]] = now / 60.0
        causes += ["error_test"] * int(rollback.sum()) + ["deadline"] * int(deadline.sum())
        moved = active[advance]
        step[moved] += 1
        step_started[moved] = now
        step_requests[moved] = 0
    return Outcomes(outcome, served, minutes, causes)


def _task(
    args: tuple[str, int, int, tuple[int, ...], dict[str, Any]],
) -> tuple[str, int, dict[str, float | int | None], float]:
    rule, scenario_index, trials, seed, settings = args
    policy = RolloutPolicy.from_mapping(settings)
    scenario = SCENARIOS[scenario_index]
    started = time.process_time()  # CPU time: comparable on a busy machine
    if rule == "sequential":
        outcomes = run_sequential(policy, scenario, trials, seed)
    elif rule == "first_failure":
        outcomes = run_naive(policy, scenario, trials, seed, 1)
    elif rule == "fifth_failure":
        outcomes = run_naive(policy, scenario, trials, seed, 5)
    else:
        outcomes = run_naive(policy, scenario, trials, seed, 5, min_sample=True)
    return rule, scenario_index, outcomes.summary(policy), time.process_time() - started


def headline(
    policy: RolloutPolicy, results: dict[str, dict[str, dict]]
) -> dict[str, float | int | None]:
    """The figures the targets are about, for one rule."""
    by = results

    def worst(prefix: str) -> float:
        return max(v["rollback"] for k, v in by.items() if k.startswith(prefix))

    below_min = sum(v["promotions_below_min"] for k, v in by.items() if k.endswith("_0.1pct"))
    return {
        "false_rollback_healthy": worst("healthy_"),
        "false_rollback_spike": worst("spike_"),
        "detection_2x": by["ratio2_1pct"]["rollback"],
        "median_requests_2x": by["ratio2_1pct"]["median_requests_rollback"],
        "detection_1_5x": by["ratio1.5_1pct"]["rollback"],
        "false_rollback_cold_start": by["cold_start_1pct"]["rollback"],
        "detection_latency_1_6x": by["slow_latency_1pct"]["rollback"],
        "median_minutes_latency_1_6x": by["slow_latency_1pct"]["median_minutes_rollback"],
        "low_traffic_rollback": by["low_traffic_1pct"]["rollback"],
        "low_traffic_promote": by["low_traffic_1pct"]["promote"],
        # Share of low-traffic rollouts that ended saying "not enough traffic" (not a failure).
        "low_traffic_reported_not_enough_traffic": by["low_traffic_1pct"][
            "rollbacks_not_enough_traffic"
        ]
        / by["low_traffic_1pct"]["trials"],
        "median_minutes_promote_healthy_1pct": by["healthy_1pct"]["median_minutes_promote"],
        "promotions_below_min": below_min,
    }


def print_table(results: dict[str, dict[str, dict]], out=sys.stdout) -> None:
    print(
        f"{'scenario':<24} {'rule':<25} {'rollback':>9} {'promote':>8} "
        f"{'req@rollback':>12} {'min@rollback':>12} {'req@promote':>11} {'min@promote':>11} "
        f"{'promo<min':>9}",
        file=out,
    )
    for scenario in SCENARIOS:
        for rule in RULES:
            r = results[rule][scenario.name]
            print(
                f"{scenario.label:<24} {rule:<25} {r['rollback']:>9.2%} {r['promote']:>8.2%} "
                f"{_fmt(r['median_requests_rollback']):>12} "
                f"{_fmt(r['median_minutes_rollback']):>12} "
                f"{_fmt(r['median_requests_promote']):>11} {_fmt(r['median_minutes_promote']):>11} "
                f"{r['promotions_below_min']:>9}",
                file=out,
            )
        print(file=out)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON summary line")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--trials",
        type=int,
        default=DEFAULT_TRIALS,
        help="rollouts per scenario and rule (half that for scenarios no target depends on)",
    )
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument(
        "--policy",
        type=json.loads,
        default={},
        help="rollout settings to try instead of the defaults, as JSON: '{\"alpha\": 0.05}'",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    policy = RolloutPolicy.from_mapping(args.policy)
    tasks = []
    for s_index, scenario in enumerate(SCENARIOS):
        trials = scenario.trials(args.trials)
        for r_index, rule in enumerate(RULES):
            # Each rule sees its own traffic draws (its weights differ over time anyway).
            seed = (args.seed, s_index, r_index)
            tasks.append((rule, s_index, trials, seed, args.policy))

    # Longest first (sequential rule, most trials, longest rollouts), so workers finish together.
    # A low-traffic rollout runs to its 6 h deadline: about 4x the ticks, and each tick costs in
    # proportion to the ticks so far.
    def cost(task: tuple) -> float:
        long = SCENARIOS[task[1]].traffic != TRAFFIC_PER_TICK
        return task[2] * (16.0 if long else 1.0) * (0.5 if SCENARIOS[task[1]].ratio > 1.5 else 1)

    tasks.sort(key=lambda t: (t[0] != "sequential", -cost(t)))
    results: dict[str, dict[str, dict]] = {rule: {} for rule in RULES}
    busy = {rule: 0.0 for rule in RULES}
    if args.workers > 1:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            done = list(pool.map(_task, tasks))
    else:
        done = [_task(task) for task in tasks]
    for rule, s_index, summary, seconds in done:
        results[rule][SCENARIOS[s_index].name] = summary
        busy[rule] += seconds

    ours = headline(policy, results["sequential"])
    # What loading model.yaml says about this traffic (stainless.rollout.feasibility).
    low_rps = sum(LOW_TRAFFIC_PER_TICK) / 2 / TICK_SECONDS
    low_check = check_traffic(policy, low_rps)
    power = min(max(float(ours["detection_2x"]), 0.5), 0.999)
    fixed = fixed_horizon_sample_size(0.01, 2.0, policy.alpha, power, policy.observed_steps[0])
    summary = {
        "benchmark": "canary",
        "seed": args.seed,
        "trials": args.trials,
        "policy": policy.as_dict(),
        **ours,
        "fixed_horizon_median_requests_2x": fixed,
        "fixed_horizon_power": round(power, 4),
        "fixed_horizon_requests_2x_power_0.95": fixed_horizon_sample_size(
            0.01, 2.0, policy.alpha, 0.95, policy.observed_steps[0]
        ),
        "low_traffic_requests_per_second": low_rps,
        "low_traffic_estimated_hours_to_minimum_sample": round(low_check.seconds_needed / 3600, 1),
        "low_traffic_warned_at_load": low_check.warning() is not None,
        # The naive rules never look at latency: their "detection" of a slow candidate would
        # only be their false alarms, so it is left out.
        "naive": {
            rule: {k: v for k, v in headline(policy, results[rule]).items() if "latency" not in k}
            for rule in RULES[1:]
        },
        "scenarios": results["sequential"],
        "targets": TARGETS,
        "targets_met": bool(
            ours["false_rollback_healthy"] <= TARGETS["false_rollback_healthy"]
            and ours["false_rollback_spike"] <= TARGETS["false_rollback_spike"]
            and ours["false_rollback_cold_start"] <= TARGETS["false_rollback_cold_start"]
            and ours["detection_latency_1_6x"] >= TARGETS["detection_latency_1_6x"]
            and ours["low_traffic_reported_not_enough_traffic"]
            >= TARGETS["low_traffic_reported_not_enough_traffic"]
            and ours["detection_2x"] >= TARGETS["detection_2x"]
            and (ours["median_requests_2x"] or math.inf) <= TARGETS["median_requests_2x"]
            and ours["promotions_below_min"] == TARGETS["promotions_below_min"]
        ),
        "cpu_seconds": {rule: round(s, 1) for rule, s in busy.items()},
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    if not args.json:
        print(
            f"Canary benchmark: {args.trials} rollouts per scenario and rule "
            f"({max(1, args.trials // 2)} for ratio 1.5, ratio 2 at 0.1 % and latency x"
            f"{SLOW_FACTOR:g}; {SCENARIOS[-1].trials(args.trials)} at low traffic), "
            f"seed {args.seed}, "
            f"{TRAFFIC_PER_TICK[0]:.0f}-{TRAFFIC_PER_TICK[1]:.0f} requests/minute, "
            + (f"policy overrides {json.dumps(args.policy)}." if args.policy else "default policy.")
        )
        print(
            "req@ = median candidate requests served until the decision; min@ = median minutes.\n"
        )
        print_table(results)
        print(
            f"Fixed-horizon test for 2x at 1 % ({policy.observed_steps[0]:g} % weight, power "
            f"{power:.3f}): {fixed:,} candidate requests, every time."
        )
    print(json.dumps(summary, sort_keys=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
