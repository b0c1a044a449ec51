"""The endpoint lease and compare-and-swap writes, on the local store and on S3 (real moto
server), with real competing processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from stainless.backends.storage import ArtifactStore, WriteConflict, open_store
from stainless.pipeline.endpoint_lease import (
    EndpointBusy,
    Lease,
    endpoint_lease,
    lease_key,
)
from support.moto_server import moto_server


@pytest.fixture(params=["file", "s3"])
def store(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ArtifactStore]:
    if request.param == "file":
        yield open_store("file://store", tmp_path)
        return
    with moto_server(monkeypatch):
        import boto3

        boto3.client("s3").create_bucket(Bucket="artifacts")
        # moto keeps its buckets across servers in one process: a fresh prefix per test.
        yield open_store(f"s3://artifacts/{uuid.uuid4().hex}", tmp_path)


@pytest.mark.integration
def test_put_if_is_a_compare_and_swap(store: ArtifactStore) -> None:
    assert store.get_versioned("a.json") is None
    first = store.put_if("a.json", b"1", None)
    with pytest.raises(WriteConflict):
        store.put_if("a.json", b"x", None)  # it exists now
    second = store.put_if("a.json", b"2", first)
    with pytest.raises(WriteConflict):
        store.put_if("a.json", b"3", first)  # stale version
    assert store.get_versioned("a.json") == (b"2", second)
    assert store.list("") == ["a.json"]  # no lock files in listings


@pytest.mark.integration
def test_a_held_lease_makes_others_wait_then_refuse_by_name(store: ArtifactStore) -> None:
    with endpoint_lease(store, "ep", "tick of the rollout of run r7"):
        with endpoint_lease(store, "ep", "nested, same thread"):  # re-entrant
            pass
        # Another holder (here: a live process that is not us) is respected.
        holder = json.loads(store.get_versioned(lease_key("ep"))[0])
        assert holder["purpose"] == "tick of the rollout of run r7"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        now = time.time()
        lease = Lease("ep", "x", socket.gethostname(), other.pid, "deploy of run r8", now, now + 60)
        found = store.get_versioned(lease_key("ep"))
        store.put_if(lease_key("ep"), json.dumps(lease.__dict__).encode(), found[1])
        started = time.monotonic()
        with pytest.raises(EndpointBusy, match="deploy of run r8") as busy:
            with endpoint_lease(store, "ep", "pause", wait_s=0.5):
                pass
        assert time.monotonic() - started >= 0.5
        assert f"process {other.pid}" in busy.value.render()
        # Its process dies (kill -9): the lease is taken over at once, without waiting.
        other.kill()
        other.wait()
        with endpoint_lease(store, "ep", "pause", wait_s=0.0):
            pass
    finally:
        other.kill()
        other.wait()


@pytest.mark.integration
def test_an_expired_lease_is_taken_over(store: ArtifactStore) -> None:
    now = time.time()
    lease = Lease("ep", "y", "another-host", 1, "deploy of run r9", now - 700, now - 100)
    store.put_if(lease_key("ep"), json.dumps(lease.__dict__).encode(), None)
    with endpoint_lease(store, "ep", "tick", wait_s=0.0) as mine:
        assert mine.purpose == "tick"


WORKER = """
import json, sys
from pathlib import Path
from stainless.backends.storage import open_store
from stainless.pipeline.endpoint_lease import endpoint_lease

store = open_store(sys.argv[1], Path(sys.argv[2]))
for _ in range(int(sys.argv[3])):
    with endpoint_lease(store, "ep", "increment", wait_s=60):
        found = store.get_versioned("counter.json")
        value = json.loads(found[0]) if found else 0
        store.put_bytes("counter.json", json.dumps(value + 1).encode())
"""


@pytest.mark.integration
def test_processes_under_the_lease_never_lose_an_update(tmp_path: Path) -> None:
    """Plain (unconditional) read-modify-write in 4 processes at once: only the lease makes
    the count come out right."""
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, "file://store", str(tmp_path), "15"])
        for _ in range(4)
    ]
    assert [w.wait(120) for w in workers] == [0, 0, 0, 0]
    store = open_store("file://store", tmp_path)
    assert json.loads(store.get_bytes("counter.json")) == 60


def test_pid_of_this_process_is_alive() -> None:
    now = time.time()
    assert Lease("ep", "z", socket.gethostname(), os.getpid(), "x", now, now + 5).live(now)
