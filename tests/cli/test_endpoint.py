"""`stainless endpoint` and `stainless traffic` on a real baked project whose first run was
promoted: the endpoint serves the registry's production version, traffic replays validation
rows, and deliberately invalid requests are counted as client errors, not model errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from support.served_project import stainless

pytestmark = pytest.mark.integration


def test_up_traffic_status_down(project_dir: Path) -> None:
    where = ["-C", str(project_dir)]
    up = json.loads(stainless("endpoint", "up", *where, "--json"))
    assert up["running"] and up["name"] == "house-prices"
    assert [(v["name"], v["version"], v["weight"], v["healthy"]) for v in up["variants"]] == [
        ("v1", 1, 1.0, True)
    ]
    assert (project_dir / ".stainless" / "endpoints" / "house-prices" / "state.db").is_file()
    again = json.loads(stainless("endpoint", "up", *where, "--json"))  # idempotent
    assert again["url"] == up["url"] and len(again["variants"]) == 1

    sent = json.loads(
        stainless(
            "traffic",
            *where,
            "--rate",
            "100",
            "--duration",
            "2",
            "--max-requests",
            "60",
            "--invalid-fraction",
            "0.25",
            "--seed",
            "4",
            "--json",
        )
    )
    assert sent["run_id"] == "run-1" and sent["sent"] == 60
    v1 = sent["variants"]["v1"]
    assert v1["requests"] == 60 and v1["model_errors"] == 0
    assert v1["client_errors"] == sent["invalid_sent"] > 0
    assert v1["ok"] == 60 - sent["invalid_sent"]

    deadline = time.monotonic() + 5  # the router flushes its counters every 0.5 s
    while True:
        status = json.loads(stainless("endpoint", "status", *where, "--json", "--window", "0"))
        counted = status["counters"]["v1"]
        if counted["requests"] >= 60 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert (counted["requests"], counted["client_errors"], counted["model_errors"]) == (
        60,
        sent["invalid_sent"],
        0,
    )
    assert "v1" in stainless("endpoint", "status", *where)

    assert "stopped" in stainless("endpoint", "down", *where)
    assert json.loads(stainless("endpoint", "status", *where, "--json"))["running"] is False
