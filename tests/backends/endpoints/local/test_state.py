"""The local endpoint's state in a real SQLite file: variants, weights and the router, shared by
processes; every routing change bumps the generation the router watches."""

from __future__ import annotations

from pathlib import Path

from stainless.backends.endpoints.local.state import (
    STATE_FILE,
    EndpointState,
    Route,
    VariantRecord,
)


def record(name: str, port: int, weight: float = 1.0) -> VariantRecord:
    return VariantRecord(name, int(name[1:]), Path(f"/m/{name}"), weight, port, 100, "id")


def test_variants_and_routes_change_with_the_generation(tmp_path: Path):
    state = EndpointState(tmp_path / "house-prices" / STATE_FILE, "house-prices")
    assert (state.name(), state.generation(), state.variants()) == ("house-prices", 0, [])
    assert state.put_variant(record("v1", 9001)) == 1
    assert state.put_variant(record("v2", 9002, weight=0.0)) == 2
    assert state.set_weights({"v1": 75.0, "v2": 25.0}) == 3
    generation, routes = state.routes()
    assert generation == 3
    assert routes == [
        Route("v1", 75.0, "http://127.0.0.1:9001"),
        Route("v2", 25.0, "http://127.0.0.1:9002"),
    ]
    assert [v.name for v in state.variants()] == ["v1", "v2"]  # in the order they were added
    assert state.variant("v2") == record("v2", 9002, weight=25.0)
    assert state.variant("v2").url == "http://127.0.0.1:9002"

    # Putting a variant again replaces it (a restart on a new port), keeping its place.
    state.put_variant(record("v1", 9011, weight=75.0))
    assert [v.port for v in state.variants()] == [9011, 9002]
    assert state.delete_variant("v1") == 5 and state.variant("v1") is None
    assert state.delete_all_variants() == 6 and state.variants() == []


def test_a_second_process_opening_the_file_sees_the_same_endpoint(tmp_path: Path):
    path = tmp_path / STATE_FILE
    EndpointState(path, "house-prices").put_variant(record("v1", 9001))
    reader = EndpointState(path)  # the router opens it without a name
    assert reader.name() == "house-prices" and reader.generation() == 1
    assert EndpointState(path, "other-name").name() == "house-prices"  # created once


def test_the_router_record(tmp_path: Path):
    state = EndpointState(tmp_path / STATE_FILE, "house-prices")
    assert state.router().port is None
    state.set_router(8080, 4242, "boot-1")
    router = state.router()
    assert (router.port, router.pid, router.identity) == (8080, 4242, "boot-1")
    assert state.generation() == 0  # the routing table did not change
