"""The data scientist's inner loop: `stainless run` and the generated project's `pytest` on a
fresh example project, each divided by a plain one-process script doing the same data work
(benchmarks/plain_lifecycle.py: DuckDB read, split, fit, save, row-by-row scoring).

- (a) first version: `stainless run --skip-canary --no-traffic` on a fresh project:
  preprocess, train, evaluate, decide (promote), deploy to the local endpoint with all traffic
  at once (the canary rollout is skipped: it waits on purpose), finalize. Anchor: the plain
  script.
- (b) a version evaluated and rejected: a second `stainless run -p alpha=1000` on the same
  project: a worse model, scored against production on the same rows and rejected. Anchor: the
  plain script scoring a second model (--compare).
- the project's `pytest` (its own tests plus the shared suite). Anchor: the plain script.

Stages run as separate processes with their resource limits, forked from a process that already
imported the data libraries (backends/compute/local.py); `--no-fork` measures spawned stages.

    python benchmarks/lifecycle.py [--json] [--rounds 3] [--no-fork]

With --json the last line is one JSON object: run_first_vs_plain, run_rejected_vs_plain,
pytest_vs_plain, seconds (object), plus the conditions. Each figure is the best of --rounds.
Python writes its bytecode caches as it does by default (PYTHONDONTWRITEBYTECODE is dropped):
the framework is then compiled once, as a user's installed wheel is.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import finish

ROOT = Path(__file__).resolve().parent
STAINLESS = [sys.executable, "-m", "stainless"]


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(
            f"lifecycle benchmark: {' '.join(command[1:4])}... failed ({result.returncode}):\n"
            + (result.stdout + result.stderr)[-3000:]
        )
    return elapsed


def one_round(folder: Path, env: dict[str, str]) -> dict[str, float]:
    subprocess.run(
        [*STAINLESS, "new", "--no-input", "-o", str(folder)],
        check=True,
        env=env,
        capture_output=True,
    )
    project = folder / "house-prices"
    plain = [sys.executable, str(ROOT / "plain_lifecycle.py"), str(project)]
    previous = folder / "previous.joblib"
    seconds = {"plain": timed([*plain, "--out", str(previous)], folder, env)}
    seconds["plain_compare"] = timed(
        [*plain, "--alpha", "1000", "--compare", str(previous)], folder, env
    )
    run = [*STAINLESS, "run", "-C", str(project), "--skip-canary", "--no-traffic"]
    seconds["run_first"] = timed(run, folder, env)
    seconds["run_rejected"] = timed([*run, "-p", "alpha=1000"], folder, env)
    decision = subprocess.run(
        [*STAINLESS, "versions", "-C", str(project)], env=env, capture_output=True, text=True
    ).stdout
    if "rejected" not in decision:
        raise SystemExit(f"lifecycle benchmark: the second run was not rejected:\n{decision}")
    seconds["pytest"] = timed(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, env
    )
    subprocess.run(
        [*STAINLESS, "endpoint", "down", "-C", str(project)], env=env, capture_output=True
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="End with one JSON line.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-fork", action="store_true", help="Spawn stage processes instead.")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STAINLESS_", "PYTEST_"))}
    # Python's default: modules compiled once and cached. A user's stainless comes from a wheel,
    # compiled at install like the libraries the plain script imports; this repository's
    # editable install is compiled on first import, so with PYTHONDONTWRITEBYTECODE (set by
    # .ci/run and some sandboxes) every process would compile the framework again and pytest
    # would rewrite its assertions again, about 0.7 s per pytest run that no user pays.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.no_fork:
        env["STAINLESS_STAGE_FORK"] = "0"
    best: dict[str, float] = {}
    for number in range(args.rounds):
        folder = Path(tempfile.mkdtemp(prefix="stainless-bench-lifecycle-"))
        try:
            seconds = one_round(folder, env)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(
            f"round {number + 1}: " + ", ".join(f"{k} {v:.1f}s" for k, v in seconds.items()),
            file=sys.stderr,
        )
        for key, value in seconds.items():
            best[key] = min(best.get(key, value), value)
    summary = {
        "run_first_vs_plain": round(best["run_first"] / best["plain"], 2),
        "run_rejected_vs_plain": round(best["run_rejected"] / best["plain_compare"], 2),
        "pytest_vs_plain": round(best["pytest"] / best["plain"], 2),
        "seconds": {k: round(v, 2) for k, v in best.items()},
        "first_run": "promoted, deployed with --skip-canary --no-traffic (no canary rollout)",
        "stage_processes": "spawned" if args.no_fork else "forked from a preloaded process",
        "rounds": args.rounds,
        "bytecode": "cached (Python's default; the first round compiles)",
        "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 1),
    }
    finish(summary, ("run_first_vs_plain", "run_rejected_vs_plain", "pytest_vs_plain"), args.json)


if __name__ == "__main__":
    main()
