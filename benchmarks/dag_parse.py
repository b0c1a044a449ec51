"""How long Airflow takes to parse generated DAG files, next to a hand-written equivalent.

Airflow's DAG processor re-parses every file every few seconds, so a generated DAG must cost
no more to parse than one written by hand. This script renders a real model (the template's
example) into 100 DAG files, copies benchmarks/handwritten_dag.py 100 times, and parses each
folder with Airflow's DagBag in this process, several rounds, alternating. "Warm" means
Airflow and our runtime module are already imported, as in a long-running DAG processor.

Run with Airflow's venv (bash .ci/airflow-setup.sh):

    .venv-airflow/bin/python benchmarks/dag_parse.py [--files 100] [--rounds 7] [--json]

The last line with --json: {"warm_ms_per_file", "ratio_vs_handwritten", "total_s_100", ...}.
Targets: warm <= 5 ms per file, <= 1.2x hand-written, 100 files < 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Rendering imports the config loader (and with it pandas); it runs in a child process so the
# measuring process holds only what a DAG processor would.
RENDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from cookiecutter.main import cookiecutter
    from dag_generator.render import write_dag
    from dag_generator.spec import build_spec
    from stainless.project.config import load_config
    from stainless.project.template import template_dir

    base, out, count = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    project = cookiecutter(str(template_dir()), no_input=True, output_dir=str(base))
    spec = build_spec(load_config(project), "local")
    for i in range(count):
        spec["dag_id"] = spec["model"] = f"model-{i:03d}"
        write_dag(spec, out)
    print(project)
""")


def prepare(work: Path, files: int) -> tuple[Path, Path]:
    generated, handwritten = work / "generated", work / "handwritten"
    handwritten.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", RENDER, str(work), str(generated), str(files)],
        check=True,
        capture_output=True,
        text=True,
    )
    project = done.stdout.strip().splitlines()[-1]
    source = (HERE / "handwritten_dag.py").read_text()
    for i in range(files):
        text = source.replace('DAG_ID = "handwritten"', f'DAG_ID = "handwritten-{i:03d}"')
        text = text.replace('PROJECT_DIR = "/path/to/model"', f"PROJECT_DIR = {project!r}")
        (handwritten / f"handwritten_{i:03d}.py").write_text(text)
    return generated, handwritten


def parse(folder: Path, expected: int) -> float:
    from airflow.dag_processing.dagbag import DagBag

    started = time.perf_counter()
    bag = DagBag(dag_folder=str(folder))
    elapsed = time.perf_counter() - started
    if bag.import_errors or len(bag.dags) != expected:
        raise SystemExit(f"{folder}: {len(bag.dags)} DAGs, errors: {bag.import_errors}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("AIRFLOW_HOME", str(Path(tmp) / "airflow-home"))
        os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        import logging

        logging.disable(logging.INFO)  # DagBag logs a line per folder; keep the output readable
        generated, handwritten = prepare(Path(tmp), args.files)
        started = time.perf_counter()
        cold_generated = parse(generated, args.files)  # first: imports the runtime module
        cold_handwritten = parse(handwritten, args.files)
        first_pass_s = time.perf_counter() - started
        timings: dict[str, list[float]] = {"generated": [], "handwritten": []}
        for _ in range(args.rounds):
            timings["generated"].append(parse(generated, args.files))
            timings["handwritten"].append(parse(handwritten, args.files))
    gen = statistics.median(timings["generated"])
    hand = statistics.median(timings["handwritten"])
    result = {
        "files": args.files,
        "rounds": args.rounds,
        "warm_ms_per_file": round(gen / args.files * 1000, 3),
        "handwritten_warm_ms_per_file": round(hand / args.files * 1000, 3),
        "ratio_vs_handwritten": round(gen / hand, 3),
        "total_s_100": round(gen * 100 / args.files, 4),
        "cold_first_folder_s": {
            "generated": round(cold_generated, 4),
            "handwritten": round(cold_handwritten, 4),
            "both": round(first_pass_s, 4),
        },
        "targets": {"warm_ms_per_file": 5.0, "ratio_vs_handwritten": 1.2, "total_s_100": 1.0},
    }
    result["meets_targets"] = (
        result["warm_ms_per_file"] <= 5.0
        and result["ratio_vs_handwritten"] <= 1.2
        and result["total_s_100"] < 1.0
    )
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
