"""One writer at a time per endpoint: a lease with an owner and an expiry, in the artifact store.

Every command that changes a rollout or an endpoint's variants (deploy, tick, pause, resume,
abort, promote, finalize, rollback) holds the endpoint's lease while it works, so a ``pause``
issued during a tick waits for the tick instead of being overwritten by it, and two controllers
(``stainless run`` and an Airflow sensor, say) take turns. The lease lives in the artifact store
(``endpoints/<name>/lease.json``), written with a conditional write, so local runs and AWS
workers on different machines see the same one.

A lease ends when released, when it expires (``ttl_s`` after its last renewal; every saved
rollout state renews it), or at once when its owner is a process on this machine that no longer
exists (a ``kill -9``): a crashed controller never blocks the next command for long.

The *claim* (``endpoints/<name>/rollout.json``) is longer-lived: it names the run whose rollout
owns the endpoint from deploy until finalize, so a second rollout is refused while one is in
flight.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from stainless.backends.storage import ArtifactStore, WriteConflict
from stainless.core.errors import StainlessError
from stainless.core.processes import pid_exists

log = logging.getLogger("stainless.rollout")

TTL_S = 600.0  # longer than the slowest step (a SageMaker variant takes minutes to start)
WAIT_S = 60.0  # how long a command waits for another one to finish before refusing
_local = threading.local()


class EndpointBusy(StainlessError):
    """Another command or another rollout holds the endpoint."""


def lease_key(endpoint: str) -> str:
    return f"endpoints/{endpoint}/lease.json"


def claim_key(endpoint: str) -> str:
    return f"endpoints/{endpoint}/rollout.json"


@dataclass
class Lease:
    endpoint: str
    owner: str  # host:pid:nonce, unique per holder
    host: str
    pid: int
    purpose: str
    acquired_at: float
    expires_at: float

    def live(self, now: float) -> bool:
        if self.expires_at <= now:
            return False
        if self.host == socket.gethostname() and not pid_exists(self.pid):
            return False  # its process died (kill -9, OOM): nobody will release it
        return True

    def describe(self) -> str:
        return (
            f"{self.purpose} (process {self.pid} on {self.host}, "
            f"expires in {max(0, self.expires_at - time.time()):.0f}s)"
        )


@dataclass
class _Held:
    lease: Lease
    token: str
    depth: int = 1


def _held() -> dict[str, _Held]:
    if not hasattr(_local, "held"):
        _local.held = {}
    held: dict[str, _Held] = _local.held
    return held


@contextlib.contextmanager
def endpoint_lease(
    store: ArtifactStore,
    endpoint: str,
    purpose: str,
    wait_s: float = WAIT_S,
    ttl_s: float = TTL_S,
) -> Iterator[Lease]:
    """Hold the endpoint's lease for the block. Re-entrant within a thread (abort inside a
    rollback). Waits up to ``wait_s`` for another holder, then raises :class:`EndpointBusy`
    naming it."""
    key = lease_key(endpoint)
    held = _held()
    mine = held.get(key)
    if mine is not None:
        mine.depth += 1
        try:
            yield mine.lease
        finally:
            mine.depth -= 1
        return
    mine = _acquire(store, endpoint, purpose, wait_s, ttl_s)
    held[key] = mine
    try:
        yield mine.lease
    finally:
        del held[key]
        _release(store, key, mine)


def renew(store: ArtifactStore, endpoint: str, ttl_s: float = TTL_S) -> None:
    """Push the expiry of the lease this thread holds (no-op when it holds none)."""
    key = lease_key(endpoint)
    mine = _held().get(key)
    if mine is None:
        return
    lease = Lease(**{**asdict(mine.lease), "expires_at": time.time() + ttl_s})
    try:
        mine.token = store.put_if(key, _encode(lease), mine.token)
    except WriteConflict:
        raise EndpointBusy(
            f"lost the lease of endpoint {endpoint!r} while doing {mine.lease.purpose}",
            fix="another command took over after it expired; check `stainless rollout status`",
        ) from None
    mine.lease = lease


def _acquire(
    store: ArtifactStore, endpoint: str, purpose: str, wait_s: float, ttl_s: float
) -> _Held:
    key = lease_key(endpoint)
    host, pid = socket.gethostname(), os.getpid()
    owner = f"{host}:{pid}:{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        now = time.time()
        found = store.get_versioned(key)
        current = _decode(found[0]) if found else None
        if current is None or not current.live(now):
            lease = Lease(endpoint, owner, host, pid, purpose, now, now + ttl_s)
            try:
                token = store.put_if(key, _encode(lease), found[1] if found else None)
                if current is not None and current.expires_at > now:
                    log.warning("took over the lease of a dead process: %s", current.describe())
                return _Held(lease, token)
            except WriteConflict:
                pass  # someone else was faster: look again
        elif time.monotonic() >= deadline:
            raise EndpointBusy(
                f"endpoint {endpoint!r} is busy: {current.describe()}",
                fix="retry when it is done; a crashed holder's lease expires by itself",
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def _release(store: ArtifactStore, key: str, mine: _Held) -> None:
    released = Lease(**{**asdict(mine.lease), "expires_at": 0.0})
    try:
        store.put_if(key, _encode(released), mine.token)
    except (WriteConflict, OSError) as exc:  # expired and taken over: nothing of ours to free
        log.warning("could not release the lease %s: %s", key, exc)


def _encode(lease: Lease) -> bytes:
    return json.dumps(asdict(lease), sort_keys=True).encode()


def _decode(data: bytes) -> Lease | None:
    try:
        return Lease(**json.loads(data))
    except (ValueError, TypeError):
        return None  # unreadable: treat as free, the conditional write still arbitrates


# -- the endpoint's rollout claim ----------------------------------------------------------------
def claimed_by(store: ArtifactStore, endpoint: str) -> str | None:
    """The run whose rollout owns the endpoint (deploy to finalize), if any."""
    found = store.get_versioned(claim_key(endpoint))
    if found is None:
        return None
    run_id = json.loads(found[0]).get("run_id")
    return str(run_id) if run_id else None


def set_claim(store: ArtifactStore, endpoint: str, run_id: str | None) -> None:
    """Write the claim; callers hold the lease, so a plain compare-and-swap loop suffices."""
    key = claim_key(endpoint)
    for _ in range(10):
        found = store.get_versioned(key)
        try:
            store.put_if(
                key,
                json.dumps({"run_id": run_id, "at": time.time()}).encode(),
                found[1] if found else None,
            )
            return
        except WriteConflict:
            continue
    raise EndpointBusy(f"could not update {key}: it keeps changing")


def refuse_if_busy(store: ArtifactStore, endpoint: str, run_id: str) -> None:
    """One rollout per endpoint: refuse while another run's rollout is not finalized."""
    from stainless.pipeline.rollout_state import load_state

    other = claimed_by(store, endpoint)
    if other is None or other == run_id:
        return
    state = load_state(store, other)
    if state is None or state.finalized:
        return  # a claim left by a deploy that died before saving anything, or a finished one
    if state.done:
        raise EndpointBusy(
            f"endpoint {endpoint!r} still has the rollout of run {other} ({state.summary}) "
            "waiting to be finalized",
            fix=f"finalize it first: `stainless finalize {other}`",
        )
    raise EndpointBusy(
        f"endpoint {endpoint!r} is busy with the rollout of run {other} ({state.summary})",
        fix=f"wait for it to end, or abort it: `stainless rollout abort --run-id {other}`",
    )
