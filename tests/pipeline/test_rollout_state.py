"""A rollout's persisted state in a real local store: read back equal, each save a
compare-and-swap (a writer that read an older revision loses, and is told what to do)."""

from __future__ import annotations

from pathlib import Path

import pytest
from stainless.backends.storage.local import LocalStore
from stainless.pipeline.rollout_state import (
    RolloutState,
    StateConflict,
    latest_rollout,
    load_state,
    save_state,
)


def state(run_id: str = "20260301-120000-aaaa") -> RolloutState:
    return RolloutState(
        run_id=run_id,
        endpoint="house-prices",
        candidate_variant="v2",
        candidate_version=2,
        production_variant="v1",
        production_version=1,
        policy={"steps": [25, 50, 100]},
    )


def test_a_saved_state_reads_back_equal(tmp_path: Path):
    store = LocalStore(tmp_path)
    assert load_state(store, "nothing") is None
    fresh = state()
    fresh.state, fresh.weight = "canary", 25.0
    save_state(store, fresh)
    again = load_state(store, fresh.run_id)
    assert again == fresh and again.revision == 1
    assert "_token" not in again.to_dict()


def test_a_writer_that_read_an_older_revision_loses(tmp_path: Path):
    store = LocalStore(tmp_path)
    save_state(store, state())
    first = load_state(store, state().run_id)
    second = load_state(store, state().run_id)
    first.weight = 50.0
    save_state(store, first)
    second.state = "paused"
    with pytest.raises(StateConflict) as caught:
        save_state(store, second)
    assert second.revision == 1  # unchanged by the lost write
    assert "stainless rollout status" in caught.value.render()
    assert load_state(store, state().run_id).weight == 50.0
    # A second state created fresh for the same run cannot overwrite it either.
    with pytest.raises(StateConflict):
        save_state(store, state())


def test_summaries_and_the_terminal_states():
    current = state()
    current.state, current.weight, current.step_index = "canary", 25.0, 0
    assert current.summary == "canary at 25% (step 1)" and not current.done
    current.state, current.paused_by = "paused", "deadline"
    assert current.summary == "paused at 25% (deadline)"
    current.state, current.reason = "rolled_back", "error rate 20% > 5%"
    assert current.done and current.summary == "rolled back: error rate 20% > 5%"


def test_the_latest_rollout_is_the_newest_run_that_has_one(tmp_path: Path):
    store = LocalStore(tmp_path)
    assert latest_rollout(store) is None
    save_state(store, state("20260301-120000-aaaa"))
    save_state(store, state("20260302-120000-bbbb"))
    store.put_bytes("runs/20260303-120000-cccc/stages/train.json", b"{}")  # no rollout
    assert latest_rollout(store) == "20260302-120000-bbbb"
