"""Serving a real model: the template's example scikit-learn pipeline, trained by the framework,
served side by side by

- ``stainless serve`` with the model answering one request at a time (``per_row``: one one-row
  DataFrame and one ``predict`` per request, the template's model.py before adaptive batching);
- ``stainless serve`` with the template's ``@stainless.batch`` model.py (``batched``);
- MLServer 1.7.1's scikit-learn runtime on the same ``model.joblib``, with its adaptive batching
  (``mlserver``);
- BentoML 1.4.40, a batchable API over the same pipeline (``bentoml``), when it is installed;

each with as many workers as the machine has cores, loaded by wrk with 64 connections, and our
batched server also with one connection (its unloaded latency).

    python benchmarks/serving_model.py [--json] [--seconds 8] [--connections 64]

wrk and MLServer are required (``make benchmarks`` installs them with .ci/benchmark-setup.sh):
without them the benchmark refuses, non-zero, rather than report a Python client's limit or a
missing anchor as a ratio. With --json the last line is one JSON object: batched_vs_per_row,
batched_vs_mlserver, p99_over_single_p50, rps, p50_ms, p99_ms, workers, plus the conditions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from harness import (
    CLIENT_NICE,
    REQUEST,
    Load,
    finish,
    free_port,
    refusal,
    require_wrk,
    start,
    stop,
    wrk,
)

BENCHMARK = "serving_model"
ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
MLSERVER = ROOT / ".venv-mlserver" / "bin" / "mlserver"
BENTOML = ROOT / ".venv-bentoml" / "bin" / "bentoml"
# The template's model.py as it was before adaptive batching: one request, one DataFrame row.
PER_ROW_MODEL_PY = """
from pathlib import Path

import joblib
import pandas as pd

FEATURES = ["area_sqm", "bedrooms", "age_years", "distance_km", "neighborhood"]


def load_model(artifact_dir):
    model = joblib.load(Path(artifact_dir) / "model.joblib")

    def predict(request: dict) -> dict:
        row = pd.DataFrame([{name: request[name] for name in FEATURES}])
        return {"prediction": float(model.predict(row)[0])}

    return predict
"""
# The V2 inference protocol request MLServer's scikit-learn runtime reads as a DataFrame.
MLSERVER_REQUEST = {
    "parameters": {"content_type": "pd"},
    "inputs": [
        {"name": "area_sqm", "shape": [1], "datatype": "FP64", "data": [94.0]},
        {"name": "bedrooms", "shape": [1], "datatype": "INT64", "data": [4]},
        {"name": "age_years", "shape": [1], "datatype": "INT64", "data": [21]},
        {"name": "distance_km", "shape": [1], "datatype": "FP64", "data": [3.45]},
        {
            "name": "neighborhood",
            "shape": [1],
            "datatype": "BYTES",
            "data": ["east"],
            "parameters": {"content_type": "str"},
        },
    ],
}
# BentoML's adaptive batching: a batchable API over the same pipeline, same bounds as ours.
BENTOML_SERVICE = """
import os

import bentoml
import joblib
import pandas as pd
from pydantic import BaseModel

FEATURES = ["area_sqm", "bedrooms", "age_years", "distance_km", "neighborhood"]


class House(BaseModel):
    area_sqm: float
    bedrooms: int
    age_years: int
    distance_km: float
    neighborhood: str


@bentoml.service(workers=int(os.environ["BENCH_WORKERS"]))
class Houses:
    def __init__(self) -> None:
        self.model = joblib.load(os.environ["BENCH_MODEL"])

    @bentoml.api(batchable=True, max_batch_size=64, max_latency_ms=1000)
    def predict(self, houses: list[House]) -> list[float]:
        rows = pd.DataFrame.from_records([h.model_dump() for h in houses], columns=FEATURES)
        return self.model.predict(rows).tolist()
"""
BENTOML_REQUEST = {"houses": [REQUEST]}


def train_example(folder: Path) -> Path:
    """Bake the template and train it with the framework; the extracted model directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAINLESS_")}
    stainless = [PYTHON, "-m", "stainless"]
    subprocess.run(
        [*stainless, "new", "--no-input", "-o", str(folder)],
        check=True,
        env=env,
        capture_output=True,
    )
    project = folder / "house-prices"
    subprocess.run(
        [*stainless, "run", "--in-process", "--until", "train", "-C", str(project)],
        check=True,
        env=env,
        capture_output=True,
    )
    tarball = next((project / ".stainless" / "store").rglob("model.tar.gz"))
    model_dir = folder / "batched"
    model_dir.mkdir()
    subprocess.run(["tar", "-xzf", str(tarball), "-C", str(model_dir)], check=True)
    return model_dir


def per_row_copy(model_dir: Path, folder: Path) -> Path:
    """The same artifact, with the one-request-at-a-time model.py."""
    copy = folder / "per_row"
    shutil.copytree(model_dir, copy)
    manifest = json.loads((copy / ".stainless" / "manifest.json").read_text())
    (copy / ".stainless" / manifest["model_file"]).write_text(PER_ROW_MODEL_PY)
    return copy


def mlserver_folder(model_dir: Path, folder: Path, port: int, workers: int) -> Path:
    models = folder / "mlserver"
    (models / "houses").mkdir(parents=True)
    shutil.copy(model_dir / "model.joblib", models / "houses" / "model.joblib")
    # Adaptive batching as MLServer's docs describe it (max_batch_size / max_batch_time in
    # model-settings.json), with the same bounds as ours; parallel_workers is MLServer's way
    # of using several cores (inference in a pool of worker processes).
    (models / "houses" / "model-settings.json").write_text(
        json.dumps(
            {
                "name": "houses",
                "implementation": "mlserver_sklearn.SKLearnModel",
                "parameters": {"uri": "./model.joblib"},
                "max_batch_size": 64,
                "max_batch_time": 0.002,
            }
        )
    )
    (models / "settings.json").write_text(
        json.dumps(
            {
                "http_port": port,
                "grpc_port": free_port(),
                "metrics_port": free_port(),
                "parallel_workers": workers,
                "debug": False,
            }
        )
    )
    return models


def serve_ours(model_dir: Path, workers: int, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [PYTHON, "-m", "stainless", "serve", "--artifacts", str(model_dir)]
    command += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    base = f"http://127.0.0.1:{port}"
    return start(command, f"{base}/ping", folder), f"{base}/invocations"


def run_bentoml(model_dir: Path, folder: Path, args: argparse.Namespace) -> Load:
    service = folder / "bentoml"
    service.mkdir()
    (service / "service.py").write_text(BENTOML_SERVICE)
    port = free_port()
    env = {
        **os.environ,
        "BENCH_MODEL": str(model_dir / "model.joblib"),
        "BENCH_WORKERS": str(args.workers),
        "BENTOML_HOME": str(folder / "bentoml-home"),
        "BENTOML_DO_NOT_TRACK": "true",
    }
    command = [str(BENTOML), "serve", "service:Houses", "--port", str(port)]
    process = start(command, f"http://127.0.0.1:{port}/readyz", service, env=env)
    try:
        url = f"http://127.0.0.1:{port}/predict"
        check = httpx.post(url, json=BENTOML_REQUEST, timeout=30)
        if check.status_code != 200:
            raise RuntimeError(f"BentoML answered {check.status_code}: {check.text[:300]}")
        return wrk(url, BENTOML_REQUEST, args.seconds, args.connections)
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="End with one JSON line.")
    parser.add_argument("--seconds", type=float, default=8.0, help="Load per server.")
    parser.add_argument("--connections", type=int, default=64, help="Concurrent connections.")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    require_wrk(BENCHMARK)
    if not MLSERVER.exists():
        raise refusal(BENCHMARK, f"MLServer is not installed in {MLSERVER.parent}")

    load_at_start = os.getloadavg()[0]
    folder = Path(tempfile.mkdtemp(prefix="stainless-bench-model-"))
    results: dict[str, Load] = {}
    try:
        print("training the template's example model...", file=sys.stderr)
        batched_dir = train_example(folder)
        per_row_dir = per_row_copy(batched_dir, folder)
        for name, model_dir in (("per_row", per_row_dir), ("batched", batched_dir)):
            process, url = serve_ours(model_dir, args.workers, folder)
            try:
                results[name] = wrk(url, REQUEST, args.seconds, args.connections)
                print(results[name].line(name), file=sys.stderr)
                if name == "batched":  # its unloaded latency, the p99 goal's yardstick
                    results["batched_single"] = wrk(url, REQUEST, args.seconds, 1)
                    print(results["batched_single"].line("batched_single"), file=sys.stderr)
            finally:
                stop(process)
        port = free_port()
        models = mlserver_folder(batched_dir, folder, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            process = start(
                [str(MLSERVER), "start", str(models)], f"{base}/v2/models/houses/ready", folder
            )
        except RuntimeError as exc:
            raise refusal(BENCHMARK, f"MLServer could not start ({exc})") from None
        try:
            check = httpx.post(f"{base}/v2/models/houses/infer", json=MLSERVER_REQUEST, timeout=30)
            if check.status_code != 200:
                raise refusal(BENCHMARK, f"MLServer answered {check.text[:300]}")
            results["mlserver"] = wrk(
                f"{base}/v2/models/houses/infer", MLSERVER_REQUEST, args.seconds, args.connections
            )
            print(results["mlserver"].line("mlserver"), file=sys.stderr)
        finally:
            stop(process)
        bentoml_error = None
        if BENTOML.exists():
            try:
                results["bentoml"] = run_bentoml(batched_dir, folder, args)
                print(results["bentoml"].line("bentoml"), file=sys.stderr)
            except (RuntimeError, subprocess.CalledProcessError) as exc:
                bentoml_error = str(exc)[-500:]
                print(f"bentoml: not measured ({bentoml_error})", file=sys.stderr)
        else:
            bentoml_error = f"BentoML is not installed in {BENTOML.parent} (optional)"
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    failed = {name: r.non_2xx for name, r in results.items() if r.non_2xx}
    if failed:
        raise SystemExit(f"serving_model benchmark: non-2xx answers {failed}: ratios not reported")
    batched = results["batched"]
    summary = {
        "batched_vs_per_row": round(batched.rps / results["per_row"].rps, 2),
        "batched_vs_mlserver": round(batched.rps / results["mlserver"].rps, 2),
        "p99_over_single_p50": round(batched.p99_ms / results["batched_single"].p50_ms, 2),
        "batched_vs_bentoml": (
            round(batched.rps / results["bentoml"].rps, 2) if "bentoml" in results else None
        ),
        "bentoml_error": bentoml_error,
        "rps": {name: round(r.rps) for name, r in results.items()},
        "p50_ms": {name: round(r.p50_ms, 2) for name, r in results.items()},
        "p99_ms": {name: round(r.p99_ms, 2) for name, r in results.items()},
        "workers": args.workers,
        "connections": args.connections,
        "seconds": args.seconds,
        "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 1),
        "load_average_start": round(load_at_start, 1),
        "client": "wrk",
        "client_nice": CLIENT_NICE,
    }
    finish(summary, ("batched_vs_per_row", "batched_vs_mlserver", "p99_over_single_p50"), args.json)


if __name__ == "__main__":
    main()
