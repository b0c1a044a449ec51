"""What every model registry does, whatever its backend: ``RegistryBehaviour`` holds the tests,
and each backend's test module runs them by subclassing it next to its own ``registry``
fixture (tests/backends/registry/test_sqlite.py, test_sagemaker.py)."""

from __future__ import annotations

import pytest
from stainless.backends.registry import ModelRegistry
from stainless.core.errors import StainlessError


class RegistryBehaviour:
    def test_register_is_idempotent_per_run(self, registry: ModelRegistry) -> None:
        first = registry.register("run-a", "file:///a", {"config_hash": "x"})
        again = registry.register("run-a", "file:///a", {"config_hash": "x"})
        assert first.version == again.version == 1
        assert registry.register("run-b", "file:///b", {}).version == 2
        assert [v.status for v in registry.list()] == ["candidate", "candidate"]
        assert registry.by_run("run-b").artifact_uri == "file:///b"
        assert registry.by_run("run-c") is None

    def test_promote_archives_previous_production(self, registry: ModelRegistry) -> None:
        registry.register("a", "u", {})
        registry.register("b", "u", {})
        assert registry.production() is None
        assert registry.promote(1, "first") is None
        previous = registry.promote(2, "better")
        assert previous is not None and previous.version == 1 and previous.status == "production"
        assert {v.version: v.status for v in registry.list()} == {1: "archived", 2: "production"}
        assert registry.production().version == 2
        kinds = [e["kind"] for e in registry.events(1)]
        assert kinds == ["registered", "status:production", "status:archived"]
        # Both sides of the promotion, in whichever order the backend makes them safe.
        last_two = {(e["version"], e["kind"]): e for e in registry.events()[-2:]}
        assert set(last_two) == {(2, "status:production"), (1, "status:archived")}
        assert last_two[(1, "status:archived")]["reason"] == "replaced by version 2"

    def test_metrics_merge_and_decisions(self, registry: ModelRegistry) -> None:
        registry.register("a", "u", {})
        registry.update_metrics(1, {"rmse": 2.0})
        registry.update_metrics(1, {"training": {"r2": 0.9}})
        registry.record_decision(1, {"action": "reject"})
        version = registry.get(1)
        assert version.metrics == {"rmse": 2.0, "training": {"r2": 0.9}}
        assert version.decision == {"action": "reject"}
        assert registry.events(1)[-1] == {
            "version": 1,
            "at": registry.events(1)[-1]["at"],
            "kind": "decision",
            "action": "reject",
        }

    def test_unknown_version_and_status(self, registry: ModelRegistry) -> None:
        with pytest.raises(StainlessError, match="version 7 does not exist.*stainless versions"):
            registry.get(7)
        assert registry.events(7) == []
        registry.register("a", "u", {})
        with pytest.raises(ValueError, match="unknown status"):
            registry.set_status(1, "deleted", "")
