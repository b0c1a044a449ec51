"""Run by `.venv-airflow/bin/python` (not collected by pytest): load a folder of DAG files with
Airflow's own DagBag and print, as one JSON line, what a test needs to check.

Parse-time hygiene is checked here because this is a fresh interpreter: every socket connection
and DNS lookup is refused (and recorded), DeprecationWarnings are recorded, and afterwards
sys.modules says whether anything heavy was imported.

    .venv-airflow/bin/python tests/dag_generator/airflow_probe.py DAG_FOLDER
"""

from __future__ import annotations

import json
import socket
import sys
import time
import warnings

HEAVY = (
    "pandas",
    "numpy",
    "sklearn",
    "scipy",
    "boto3",
    "botocore",
    "duckdb",
    "pyarrow",
    "matplotlib",
    "stainless.pipeline",
    "stainless.project",
)
attempts: list[str] = []


def _refuse(kind: str):  # noqa: ANN202
    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        attempts.append(f"{kind}{args[1:2] or args[:1]}")
        raise OSError(f"network access during DAG parsing: {kind}")

    return refuse


def main(folder: str) -> None:
    from airflow.dag_processing.dagbag import DagBag  # Airflow itself may import what it likes

    before = set(sys.modules)
    socket.socket.connect = _refuse("connect")  # type: ignore[method-assign]
    socket.socket.connect_ex = _refuse("connect_ex")  # type: ignore[method-assign]
    socket.create_connection = _refuse("create_connection")  # type: ignore[assignment]
    socket.getaddrinfo = _refuse("getaddrinfo")  # type: ignore[assignment]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.perf_counter()
        bag = DagBag(dag_folder=folder)
        elapsed = time.perf_counter() - started
    loaded = sorted(set(sys.modules) - before)
    dags = {}
    for dag_id, dag in bag.dags.items():
        dags[dag_id] = {
            "schedule": dag.schedule if dag.schedule is None else str(dag.schedule),
            "timetable": type(dag.timetable).__name__,
            "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs,
            "tags": sorted(dag.tags),
            "params": {name: dag.params[name] for name in dag.params},
            "fileloc": dag.fileloc,
            "tasks": {
                task.task_id: {
                    "operator": type(task).__name__,
                    "downstream": sorted(task.downstream_task_ids),
                    "upstream": sorted(task.upstream_task_ids),
                    "execution_timeout_s": task.execution_timeout.total_seconds()
                    if task.execution_timeout
                    else None,
                    "trigger_rule": str(task.trigger_rule.value),
                    "retries": task.retries,
                    "retry_delay_s": task.retry_delay.total_seconds(),
                    "retry_exponential_backoff": task.retry_exponential_backoff,
                    "owner": task.owner,
                    "mode": getattr(task, "mode", None),
                    "poke_interval": getattr(task, "poke_interval", None),
                    "has_failure_callback": bool(task.on_failure_callback),
                    "outlets": [getattr(o, "uri", str(o)) for o in task.outlets],
                }
                for task in dag.tasks
            },
        }
    print(
        json.dumps(
            {
                "import_errors": bag.import_errors,
                "captured_warnings": {k: list(v) for k, v in bag.captured_warnings.items()},
                "warnings": [
                    f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught
                ],
                "socket_attempts": attempts,
                "heavy_modules": [m for m in HEAVY if m in sys.modules],
                "modules_loaded_by_parse": [
                    m for m in loaded if not m.startswith("unusual_prefix")
                ],
                "parse_s": elapsed,
                "dags": dags,
            },
            default=str,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
