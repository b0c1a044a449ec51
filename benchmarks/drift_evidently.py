"""Evidently's side of benchmarks/drift.py; runs in .venv-evidently (.ci/evidently-setup.sh).

Reads the windows benchmarks/drift.py wrote to DIR, runs Evidently's default data-drift preset
(``Report([DataDriftPreset()])``, every option at its default) on each one, and prints one JSON
object: per trial the drifted-column count and share, and the preset's dataset-drift verdict
(share of drifted columns >= its default drift_share, 0.5); then the time of one preset run on
the large throughput table.

    .venv-evidently/bin/python benchmarks/drift_evidently.py DIR
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import pandas as pd


def run(reference: pd.DataFrame, current: pd.DataFrame) -> tuple[int, float, float]:
    from evidently import Report
    from evidently.presets import DataDriftPreset

    snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
    for metric in snapshot.dict()["metrics"]:
        if metric["metric_name"].startswith("DriftedColumnsCount"):
            value, config = metric["value"], metric["config"]
            return int(value["count"]), float(value["share"]), float(config["drift_share"])
    raise RuntimeError("Evidently's report has no DriftedColumnsCount metric")


def main(directory: Path) -> None:
    warnings.filterwarnings("ignore")
    spec = json.loads((directory / "trials.json").read_text())
    out = {"trials": {}, "throughput": {}}
    for dataset in spec["datasets"]:
        base = pd.read_parquet(directory / f"{dataset}.base.parquet")
        currents = pd.read_parquet(directory / f"{dataset}.currents.parquet")
        groups = dict(tuple(currents.groupby("_trial", sort=False)))
        for done, trial in enumerate(spec["trials"][dataset]):
            if done % 20 == 0:
                print(f"evidently: {dataset} window {done}", file=sys.stderr, flush=True)
            reference = base.iloc[trial["reference"]].reset_index(drop=True)
            current = groups[trial["id"]].drop(columns="_trial").reset_index(drop=True)
            count, share, drift_share = run(reference, current)
            out["trials"][trial["id"]] = {
                "count": count,
                "share": share,
                "dataset_drift": share >= drift_share,
            }
        big = pd.read_parquet(directory / f"{dataset}.big.parquet")
        reference = base.iloc[spec["trials"][dataset][0]["reference"]].reset_index(drop=True)
        started = time.perf_counter()
        run(reference, big)
        out["throughput"][dataset] = {"rows": len(big), "seconds": time.perf_counter() - started}
    print(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
