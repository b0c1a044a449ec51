"""stainless.workspace.markers: a stage's completion record, per run (the Stage protocol that
writes them last runs in tests/pipeline/stages/test_base.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from stainless.backends.storage.local import LocalStore
from stainless.workspace.layout import stage_marker_key
from stainless.workspace.markers import completed, mark_completed


def test_a_stage_is_done_once_its_record_exists_per_run(tmp_path: Path):
    store = LocalStore(tmp_path / "store")
    assert completed(store, "run-1", "train") is None
    written = mark_completed(store, "run-1", "train", {"version": 3, "artifact": Path("/m")})
    record = completed(store, "run-1", "train")
    assert record == {**written, "artifact": "/m"}  # stored as JSON: a path becomes its text
    assert (record["stage"], record["run_id"]) == ("train", "run-1")
    assert datetime.fromisoformat(record["completed_at"]).tzinfo is not None
    assert completed(store, "run-2", "train") is None
    assert completed(store, "run-1", "evaluate") is None
    assert store.exists(stage_marker_key("run-1", "train"))


def test_the_records_own_fields_win_over_a_result_that_names_them(tmp_path: Path):
    store = LocalStore(tmp_path / "store")
    record = mark_completed(store, "run-1", "decide", {"stage": "other", "run_id": "x"})
    assert (record["stage"], record["run_id"]) == ("decide", "run-1")
