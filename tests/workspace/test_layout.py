"""Store keys are built and parsed in one place."""

from __future__ import annotations

from pathlib import Path

from stainless.backends.storage.local import LocalStore
from stainless.core.uris import parse_uri
from stainless.workspace.layout import (
    dataset_key,
    latest_run_having,
    model_key,
    rollout_state_key,
    run_id_of,
    runs_having,
)


def test_run_id_of_parses_what_the_builders_make():
    for key in (dataset_key("r-1", "train"), model_key("r-1"), rollout_state_key("r-1")):
        assert run_id_of(key) == "r-1"
    assert run_id_of("other/thing") is None and run_id_of("runs") is None


def test_runs_having_finds_exactly_the_runs_with_that_artifact(tmp_path: Path):
    store = LocalStore.from_uri(parse_uri(f"file://{tmp_path}"), tmp_path)
    store.put_bytes(dataset_key("20260101-a", "validation"), b"x")
    store.put_bytes(dataset_key("20260102-b", "validation"), b"x")
    store.put_bytes(dataset_key("20260103-c", "train"), b"x")  # no validation split
    store.put_bytes(rollout_state_key("20260102-b"), b"{}")
    validation = lambda run_id: dataset_key(run_id, "validation")  # noqa: E731
    assert runs_having(store, validation) == ["20260101-a", "20260102-b"]
    assert latest_run_having(store, validation) == "20260102-b"
    assert latest_run_having(store, rollout_state_key) == "20260102-b"
    assert latest_run_having(store, model_key) is None


def test_cost_report_and_history_keys() -> None:
    from stainless.workspace.layout import (
        ENDPOINT_HISTORY_PREFIX,
        endpoint_change_key,
        report_key,
        run_id_of,
        stage_cost_key,
    )

    assert run_id_of(stage_cost_key("r1", "train")) == "r1"
    assert run_id_of(report_key("r1")) == "r1"
    # Keys of the endpoint's history sort by time as strings.
    keys = [endpoint_change_key(ms) for ms in (9_000, 10_000, 1_700_000_000_000)]
    assert sorted(keys) == keys and all(k.startswith(ENDPOINT_HISTORY_PREFIX) for k in keys)
    assert run_id_of(keys[0]) is None
