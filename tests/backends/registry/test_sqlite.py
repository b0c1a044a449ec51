import threading
from pathlib import Path

import pytest
from stainless.backends.registry import ModelRegistry, open_registry

from tests.backends.registry.contract import RegistryBehaviour


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return open_registry("sqlite://r/registry.db", tmp_path)


class TestRegistryBehaviour(RegistryBehaviour):
    """tests/backends/registry/contract.py, on SQLite."""


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
