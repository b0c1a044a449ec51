"""Drift detection benchmark: stainless.monitoring vs Evidently's default data-drift preset.

Run: ``make benchmarks`` (sets up .venv-evidently), or
``.venv/bin/python benchmarks/drift.py [--json] [--trials N] [--seed N]``. It fails (exit 2) if
Evidently's venv is missing: run ``bash .ci/evidently-setup.sh``.

Data
    Real tabular data bundled with scikit-learn (no download): breast_cancer (569 rows, 30
    numeric features, binary label) and diabetes (442 rows, 10 features, numeric target). Each
    gets one categorical feature ``band`` (the quartile of its first feature, labels q1..q4) so
    that category shifts can be tested, and its target as a monitored column ``label`` (for
    stainless it is the prediction's sketch; for Evidently one more column).

Trials
    Every trial shuffles the rows, takes a reference of N - 200 rows and a window of W rows
    (W in {100, 200}) from the remaining rows: reference and window come from the same
    population, as in production where the window is later traffic. Then the window is left
    alone (``none``: a false alarm if flagged) or shifted:

    * ``mean+0.25sd`` / ``mean+0.5sd`` / ``mean+1sd``: 3 random continuous features + k x sd;
    * ``scale1.5`` / ``scale2``: 3 random continuous features spread k x around their mean;
    * ``newcat10%`` / ``newcat30%``: that share of ``band`` becomes a value never seen;
    * ``nulls10%`` / ``nulls30%``: that share of 3 random features become null;
    * ``label+15pt`` / ``label+30pt``: the window is resampled so that the share of rows with
      an above-median target grows by that many percentage points (all features move with it).

    Both tools get exactly the same reference and window. ``--trials`` windows per shift
    (default 5: Evidently's preset takes ~2 CPU-seconds a window), 5 x as many no-shift
    windows, per dataset and window size.

What counts as an alarm
    stainless: ``detect(...)`` with default settings says ``drift`` (Holm-corrected chi-square
    p < 0.01 and PSI >= 0.1 for some feature, or the label). Evidently: its default preset's
    dataset-drift verdict (share of drifted columns >= 0.5). Evidently's per-column answer
    (any column drifted) is reported too, as ``*_any_column_evidently``.

False alarms over many windows
    ``--null-windows N`` also checks N further no-shift windows per dataset and window size on
    our side only (a check takes milliseconds; Evidently's seconds), so that a false-alarm rate
    near the 1 % goal is measured to a useful precision: ``false_alarm_rate_many``.

Throughput
    Rows per second of profiling a table of 50,000 rows (the dataset tiled, with noise) and
    testing it against the reference: stainless in chunks of 10,000 rows (``profile_chunks`` +
    ``detect``) vs one Evidently preset run on the same table.

The last line printed is one JSON object. ``--json`` prints only that line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "framework"))

from stainless.monitoring.drift import detect  # noqa: E402
from stainless.monitoring.profile import profile_chunks, reference_profile  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EVIDENTLY_PYTHON = ROOT / ".venv-evidently" / "bin" / "python"
WINDOWS = (100, 200)
HOLDOUT = 200
SHIFTS = (
    "none",
    "mean+0.25sd",
    "mean+0.5sd",
    "mean+1sd",
    "scale1.5",
    "scale2",
    "newcat10%",
    "newcat30%",
    "nulls10%",
    "nulls30%",
    "label+15pt",
    "label+30pt",
)
BIG_ROWS = 50_000
CHUNK = 10_000


def load(name: str) -> pd.DataFrame:
    bunch = {"breast_cancer": load_breast_cancer, "diabetes": load_diabetes}[name](as_frame=True)
    frame = bunch.frame.rename(columns={"target": "label"})
    first = frame.columns[0]
    frame.insert(0, "band", pd.qcut(frame[first], 4, labels=["q1", "q2", "q3", "q4"]).astype(str))
    return frame


def shift(
    frame: pd.DataFrame, pool: pd.DataFrame, kind: str, window: int, rng: np.random.Generator
) -> pd.DataFrame:
    continuous = [
        c for c in frame.columns if c not in ("band", "label") and frame[c].nunique() > 10
    ]
    current = pool.iloc[:window].copy()
    chosen = list(rng.choice(continuous, 3, replace=False))
    sd = frame[chosen].std()
    if kind.startswith("mean+"):
        current[chosen] += float(kind[5:-2]) * sd
    elif kind.startswith("scale"):
        factor = float(kind[5:])
        mean = frame[chosen].mean()
        current[chosen] = mean + (current[chosen] - mean) * factor
    elif kind.startswith("newcat"):
        share = float(kind[6:-1]) / 100
        current.loc[current.index[: int(share * window)], "band"] = "unseen"
    elif kind.startswith("nulls"):
        share = float(kind[5:-1]) / 100
        for column in chosen:
            current.loc[current.sample(frac=share, random_state=rng).index, column] = np.nan
    elif kind.startswith("label+"):
        points = float(kind[6:-2]) / 100
        if frame["label"].nunique() > 2:
            high = pool["label"] > frame["label"].median()
        else:
            high = pool["label"] == frame["label"].max()
        target = min(high.mean() + points, 1.0)
        picks_high = rng.random(window) < target
        highs, lows = pool[high], pool[~high]
        rows = [
            highs.iloc[rng.integers(len(highs))] if h else lows.iloc[rng.integers(len(lows))]
            for h in picks_high
        ]
        current = pd.DataFrame(rows)
    return current.reset_index(drop=True)


def make_trials(
    trials: int, seed: int, datasets: list[str], shifts: tuple[str, ...] = SHIFTS
) -> dict[str, list[dict]]:
    rng = np.random.default_rng(seed)
    out: dict[str, list[dict]] = {}
    for dataset in datasets:
        frame = load(dataset)
        items = []
        for window in WINDOWS:
            for kind in shifts:
                for t in range(trials * 5 if kind == "none" else trials):
                    order = rng.permutation(len(frame))
                    reference = order[: len(frame) - HOLDOUT]
                    pool = frame.iloc[order[len(frame) - HOLDOUT :]]
                    items.append(
                        {
                            "id": f"{dataset}/{window}/{kind}/{t}",
                            "dataset": dataset,
                            "window": window,
                            "shift": kind,
                            "reference": reference.tolist(),
                            "current": shift(frame, pool, kind, window, rng),
                        }
                    )
        out[dataset] = items
    return out


def big_table(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    tiled = frame.sample(n=BIG_ROWS, replace=True, random_state=rng).reset_index(drop=True)
    numeric = [c for c in frame.columns if c not in ("band", "label")]
    tiled[numeric] += rng.normal(0, 0.01, (BIG_ROWS, len(numeric))) * frame[numeric].std().values
    return tiled


def ours(trials: dict[str, list[dict]], bigs: dict[str, pd.DataFrame]) -> tuple[dict, dict]:
    alarms: dict[str, bool] = {}
    throughput = {}
    for dataset, items in trials.items():
        frame = load(dataset)
        features = [c for c in frame.columns if c != "label"]
        for item in items:
            ref = frame.iloc[item["reference"]]
            reference = reference_profile(ref, features, predictions=ref["label"])
            current = profile_chunks(reference, [item["current"]], "label")
            alarms[item["id"]] = detect(reference, current).status == "drift"
        ref = frame.iloc[items[0]["reference"]]
        reference = reference_profile(ref, features, predictions=ref["label"])
        big = bigs[dataset]
        started = time.perf_counter()
        chunks = (big.iloc[i : i + CHUNK] for i in range(0, len(big), CHUNK))
        detect(reference, profile_chunks(reference, chunks, "label"))
        throughput[dataset] = {"rows": len(big), "seconds": time.perf_counter() - started}
    return alarms, throughput


def theirs(trials: dict[str, list[dict]], bigs: dict[str, pd.DataFrame]) -> dict:
    if not EVIDENTLY_PYTHON.exists():
        sys.exit(
            f"error: Evidently's venv is missing ({EVIDENTLY_PYTHON}); "
            "run `bash .ci/evidently-setup.sh` (make benchmarks does)"
        )
    with tempfile.TemporaryDirectory(prefix="drift-bench-") as tmp:
        directory = Path(tmp)
        spec = {"datasets": list(trials), "trials": {}}
        for dataset, items in trials.items():
            load(dataset).to_parquet(directory / f"{dataset}.base.parquet")
            currents = pd.concat(
                [item["current"].assign(_trial=item["id"]) for item in items], ignore_index=True
            )
            currents.to_parquet(directory / f"{dataset}.currents.parquet")
            bigs[dataset].to_parquet(directory / f"{dataset}.big.parquet")
            spec["trials"][dataset] = [
                {"id": item["id"], "reference": item["reference"]} for item in items
            ]
        (directory / "trials.json").write_text(json.dumps(spec))
        completed = subprocess.run(
            [str(EVIDENTLY_PYTHON), str(ROOT / "benchmarks" / "drift_evidently.py"), tmp],
            capture_output=True,
            text=True,
        )
        if completed.returncode != 0:
            sys.exit(f"error: Evidently's run failed:\n{completed.stderr[-3000:]}")
        return json.loads(completed.stdout.strip().splitlines()[-1])


def many_null_windows(count: int, seed: int, datasets: list[str]) -> dict[str, object]:
    """False alarms of our check over ``count`` no-shift windows per dataset and window size."""
    rng = np.random.default_rng(seed + 2)
    alarms: dict[str, list[bool]] = {}
    for dataset in datasets:
        frame = load(dataset)
        features = [c for c in frame.columns if c != "label"]
        for window in WINDOWS:
            found = alarms.setdefault(f"{dataset}/{window}", [])
            for _ in range(count):
                order = rng.permutation(len(frame))
                ref = frame.iloc[order[: len(frame) - HOLDOUT]]
                current = frame.iloc[order[len(frame) - HOLDOUT :][:window]]
                reference = reference_profile(ref, features, predictions=ref["label"])
                window_profile = profile_chunks(reference, [current], "label")
                found.append(detect(reference, window_profile).status == "drift")
    every = [alarm for found in alarms.values() for alarm in found]
    return {
        "windows": len(every),
        "alarms": int(sum(every)),
        "rate": round(float(np.mean(every)), 4) if every else None,
        "by_dataset_window": {k: round(float(np.mean(v)), 4) for k, v in alarms.items()},
    }


def rates(items: list[dict], alarm: dict[str, bool]) -> tuple[float, dict[str, float]]:
    by_shift: dict[str, list[bool]] = {}
    for item in items:
        by_shift.setdefault(item["shift"], []).append(alarm[item["id"]])
    false_alarms = float(np.mean(by_shift.pop("none")))
    return false_alarms, {kind: float(np.mean(v)) for kind, v in by_shift.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON summary line")
    parser.add_argument("--trials", type=int, default=5, help="windows per shift and size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--null-windows",
        type=int,
        default=0,
        help="also check this many no-shift windows per dataset and size, our side only",
    )
    parser.add_argument(
        "--datasets",
        default="breast_cancer,diabetes",
        help="comma-separated: breast_cancer,diabetes",
    )
    parser.add_argument(
        "--shifts",
        default=",".join(SHIFTS),
        help="comma-separated subset of the shifts (none is always run), e.g. "
        "label+15pt,label+30pt: more trials of the cells that matter in the same time",
    )
    args = parser.parse_args()
    shifts = ("none", *(s for s in args.shifts.split(",") if s and s != "none"))
    unknown = [s for s in shifts if s not in SHIFTS]
    if unknown:
        sys.exit(f"error: unknown shift(s) {', '.join(unknown)}; choose from {', '.join(SHIFTS)}")
    if not EVIDENTLY_PYTHON.exists():
        sys.exit(
            f"error: Evidently's venv is missing ({EVIDENTLY_PYTHON}); "
            "run `bash .ci/evidently-setup.sh` (make benchmarks does)"
        )
    trials = make_trials(args.trials, args.seed, args.datasets.split(","), shifts)
    rng = np.random.default_rng(args.seed + 1)
    bigs = {dataset: big_table(load(dataset), rng) for dataset in trials}
    alarms, our_speed = ours(trials, bigs)
    evidently = theirs(trials, bigs)
    verdict = {k: v["dataset_drift"] for k, v in evidently["trials"].items()}
    any_column = {k: v["count"] > 0 for k, v in evidently["trials"].items()}
    items = [item for dataset_items in trials.values() for item in dataset_items]

    def side_by_side(subset: list[dict[str, Any]]) -> dict[str, Any]:
        """False alarms and detection by shift: ours, Evidently's verdict, any Evidently column."""
        figures: dict[str, Any] = {}
        for suffix, flags in (("", alarms), ("_evidently", verdict)):
            fa, det = rates(subset, flags)
            figures[f"false_alarm_rate{suffix}"] = fa
            figures[f"detection_by_shift{suffix}"] = det
        fa, det = rates(subset, any_column)
        figures["false_alarm_rate_any_column_evidently"] = fa
        figures["detection_by_shift_any_column_evidently"] = det
        return figures

    summary: dict[str, object] = {
        f"window_{window}": side_by_side([item for item in items if item["window"] == window])
        for window in WINDOWS
    }
    by_dataset: dict[str, object] = {}
    for dataset in trials:
        by_dataset[dataset] = {
            **side_by_side([item for item in items if item["dataset"] == dataset]),
            "rows_per_s": our_speed[dataset]["rows"] / our_speed[dataset]["seconds"],
            "rows_per_s_evidently": evidently["throughput"][dataset]["rows"]
            / evidently["throughput"][dataset]["seconds"],
        }
    fa, det = rates(items, alarms)
    fa_e, det_e = rates(items, verdict)
    fa_a, det_a = rates(items, any_column)
    rows = sum(v["rows"] for v in our_speed.values())
    rows_per_s = rows / sum(v["seconds"] for v in our_speed.values())
    rows_e = sum(v["rows"] for v in evidently["throughput"].values())
    rows_per_s_e = rows_e / sum(v["seconds"] for v in evidently["throughput"].values())
    result = {
        "windows": list(WINDOWS),
        "checks": len(items),
        "false_alarm_rate": round(fa, 4),
        "false_alarm_rate_evidently": round(fa_e, 4),
        "false_alarm_rate_any_column_evidently": round(fa_a, 4),
        "detection_by_shift": {k: round(v, 3) for k, v in det.items()},
        "detection_by_shift_evidently": {k: round(v, 3) for k, v in det_e.items()},
        "detection_by_shift_any_column_evidently": {k: round(v, 3) for k, v in det_a.items()},
        "rows_per_s": round(rows_per_s),
        "rows_per_s_evidently": round(rows_per_s_e),
        "throughput_ratio": round(rows_per_s / rows_per_s_e, 2),
        "by_window": summary,
        "by_dataset": by_dataset,
    }
    if args.null_windows:
        result["false_alarm_rate_many"] = many_null_windows(
            args.null_windows, args.seed, args.datasets.split(",")
        )
    if not args.json:
        print(f"{len(items)} checks per tool (windows of {WINDOWS} rows), same data, same run")
        print(f"{'shift':<14}{'stainless':>10}{'evidently':>10}{'evidently any col':>19}")
        print(f"{'none (FA)':<14}{fa:>10.3f}{fa_e:>10.3f}{fa_a:>19.3f}")
        for kind in det:
            print(f"{kind:<14}{det[kind]:>10.3f}{det_e[kind]:>10.3f}{det_a[kind]:>19.3f}")
        print(
            f"throughput: {rows_per_s:,.0f} rows/s vs {rows_per_s_e:,.0f} rows/s "
            f"({rows_per_s / rows_per_s_e:.1f}x)"
        )
        if args.null_windows:
            many = result["false_alarm_rate_many"]
            print(f"false alarms over {many['windows']} more no-shift windows: {many['rate']}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
