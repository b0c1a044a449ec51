import threading
from pathlib import Path

import pytest
from stainless.backends.registry import ModelRegistry, open_registry
from stainless.core.errors import StainlessError


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return open_registry("sqlite://r/registry.db", tmp_path)


def test_register_is_idempotent_per_run(registry):
    first = registry.register("run-a", "file:///a", {"config_hash": "x"})
    again = registry.register("run-a", "file:///a", {"config_hash": "x"})
    assert first.version == again.version == 1
    assert registry.register("run-b", "file:///b", {}).version == 2
    assert [v.status for v in registry.list()] == ["candidate", "candidate"]


def test_promote_archives_previous_production(registry):
    registry.register("a", "u", {})
    registry.register("b", "u", {})
    assert registry.promote(1, "first") is None
    previous = registry.promote(2, "better")
    assert previous is not None and previous.version == 1
    assert {v.version: v.status for v in registry.list()} == {1: "archived", 2: "production"}
    assert registry.production().version == 2
    kinds = [e["kind"] for e in registry.events(1)]
    assert kinds == ["registered", "status:production", "status:archived"]


def test_metrics_merge_and_decisions(registry):
    registry.register("a", "u", {})
    registry.update_metrics(1, {"rmse": 2.0})
    registry.update_metrics(1, {"training": {"r2": 0.9}})
    registry.record_decision(1, {"action": "reject"})
    version = registry.get(1)
    assert version.metrics == {"rmse": 2.0, "training": {"r2": 0.9}}
    assert version.decision == {"action": "reject"}


def test_unknown_version_and_status(registry):
    with pytest.raises(StainlessError, match="version 7 does not exist.*stainless versions"):
        registry.get(7)
    registry.register("a", "u", {})
    with pytest.raises(ValueError, match="unknown status"):
        registry.set_status(1, "deleted", "")


def test_concurrent_writers_do_not_lose_versions(tmp_path: Path):
    def work(worker: int) -> None:
        registry = open_registry("sqlite://r.db", tmp_path)
        for i in range(10):
            registry.register(f"w{worker}-{i}", "u", {})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(open_registry("sqlite://r.db", tmp_path).list()) == 40
