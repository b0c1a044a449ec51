"""The embedded endpoint: a router on loopback in front of one model server per variant.

Control plane (this module, called by the CLI or the rollout controller): starts and stops the
detached processes and writes the routing table to ``<root>/<name>/state.db``. Data plane (the
router, :mod:`stainless.backends.endpoints.local.router`, in its own process): reads that table
and the weights in it, forwards each request to one variant, and writes the traffic counters
back. Both kinds of server start through module entry points, never through the CLI.
"""

from __future__ import annotations

import fcntl
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from stainless.backends.endpoints import (
    EndpointSettings,
    EndpointStatus,
    VariantCounters,
    VariantInfo,
    VariantSpec,
)
from stainless.backends.endpoints.local import processes as procs
from stainless.backends.endpoints.local.counters import CounterStore
from stainless.backends.endpoints.local.state import STATE_FILE, EndpointState, VariantRecord
from stainless.core.errors import BackendError
from stainless.core.uris import Uri, parse_uri

DEFAULT_ROOT = Path(".stainless") / "endpoints"
# SageMaker's rule for endpoint and variant names, so a local name is valid there too.
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_SPAWN_ATTEMPTS = 3  # a free port can be taken between choosing it and the server binding it


def model_server_command(project_dir: Path, model_dir: Path, version: int, port: int) -> list[str]:
    # The serving layer's module entry point. -C: the server reads the project's `serving:`
    # settings and captures data to its store. One worker: the local variants share this
    # machine's cores (and its other servers).
    return [
        sys.executable,
        "-m",
        "stainless.serving",
        "-C",
        str(project_dir),
        "--artifacts",
        str(model_dir),
        "--model-version",
        str(version),
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--workers",
        "1",
    ]


def router_command(state_db: Path, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "stainless.backends.endpoints.local.router",
        "--state",
        str(state_db),
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
    ]


class LocalEndpoint:
    def __init__(
        self,
        root: Path,
        name: str,
        *,
        project_dir: Path | None = None,
        ready_timeout_s: float = 60.0,
    ) -> None:
        check_name(name, "endpoint name")
        self.name = name
        self.project_dir = (project_dir or Path.cwd()).resolve()
        self.dir = root / name
        self.state = EndpointState(self.dir / STATE_FILE, name)
        self.counter_store = CounterStore(self.dir / STATE_FILE)
        self.ready_timeout_s = ready_timeout_s

    @classmethod
    def from_uri(
        cls, uri: Uri | str, base: Path, name: str, settings: EndpointSettings | None = None
    ) -> LocalEndpoint:
        """``local://`` keeps endpoints in ``<project>/.stainless/endpoints``; ``local://DIR``
        elsewhere (relative to the project, or absolute). ``settings`` (instances, autoscaling)
        concern cloud endpoints: one machine ignores them."""
        if isinstance(uri, str):
            uri = parse_uri(uri)
        root = uri.local_path(base) if uri.location else base / DEFAULT_ROOT
        return cls(root.resolve(), name, project_dir=base)

    @property
    def url(self) -> str:
        port = self.state.router().port
        if port is None:
            raise BackendError(
                f"endpoint {self.name!r} has never been started",
                fix=f"start it: `stainless endpoint up --name {self.name}`",
            )
        return f"http://127.0.0.1:{port}"

    # -- lifecycle ----------------------------------------------------------------------------
    def up(self, initial: VariantSpec | None = None) -> EndpointStatus:
        with self._control_lock():
            if initial is None and not self.state.variants():
                raise BackendError(
                    f"endpoint {self.name!r} has no variant to serve",
                    fix="pass the first variant (the CLI uses the registry's production version:"
                    " train and promote one with `stainless run`)",
                )
            # The router starts while the model servers load (it picks up the routing table
            # when its generation changes), instead of after them: both take seconds.
            router = self._spawn_router()
            try:
                if initial is not None:
                    self._ensure_variant(initial)
                for record in self.state.variants():
                    if not procs.is_alive(record.pid, record.identity):
                        self._restart_variant(record)
            except BaseException:
                if router is not None:
                    procs.stop([(router[1], None)], grace_s=2.0)
                raise
            self._ensure_router(router)
            self._await_router(self.state.generation())
        return self.status()

    def down(self) -> None:
        with self._control_lock():
            router = self.state.router()
            procs.stop([(router.pid, router.identity)])
            # Keep the port: the next `up` tries it first, so the endpoint's URL stays the same.
            self.state.set_router(router.port, None, None)
            procs.stop([(v.pid, v.identity) for v in self.state.variants()])
            self.state.delete_all_variants()

    def status(self) -> EndpointStatus:
        router = self.state.router()
        url = f"http://127.0.0.1:{router.port}" if router.port else ""
        running = procs.is_alive(router.pid, router.identity) and _answers(url)
        variants = [
            VariantInfo(
                name=record.name,
                version=record.version,
                weight=record.weight,
                url=record.url,
                healthy=procs.is_alive(record.pid, record.identity) and _answers(record.url),
            )
            for record in self.state.variants()
        ]
        return EndpointStatus(running=running, url=url, variants=variants, name=self.name)

    # -- variants -----------------------------------------------------------------------------
    def add_variant(self, spec: VariantSpec) -> None:
        with self._control_lock():
            self._require_router()
            generation = self._ensure_variant(spec)
            self._await_router(generation)

    def set_weights(self, weights: dict[str, float]) -> None:
        with self._control_lock():
            current = {record.name: record.weight for record in self.state.variants()}
            for name, weight in weights.items():
                if name not in current:
                    raise BackendError(
                        f"endpoint {self.name!r} has no variant {name!r}",
                        expected=", ".join(sorted(current)) or "no variants",
                    )
                check_weight(weight, name)
            if sum({**current, **weights}.values()) <= 0:
                raise BackendError(
                    "at least one variant needs a weight above 0", found=str(weights)
                )
            self._await_router(self.state.set_weights(weights))

    def remove_variant(self, name: str) -> None:
        with self._control_lock():
            record = self.state.variant(name)
            if record is None:
                return  # already gone: removing is idempotent, so a resumed rollout can repeat it
            others = [v for v in self.state.variants() if v.name != name]
            if not others:
                raise BackendError(
                    f"{name!r} is the only variant of endpoint {self.name!r}",
                    fix="stop the whole endpoint with `stainless endpoint down`",
                )
            if sum(v.weight for v in others) <= 0:
                raise BackendError(
                    f"removing {name!r} would leave no variant with weight > 0",
                    fix="give another variant a weight first (set_weights)",
                )
            # Stop routing first, then stop the server: no request is sent to a dying process.
            self._await_router(self.state.delete_variant(name))
            procs.stop([(record.pid, record.identity)])

    def counters(self, since: float | None = None) -> dict[str, VariantCounters]:
        names = [record.name for record in self.state.variants()]
        return self.counter_store.read(since, names)

    # -- internals ----------------------------------------------------------------------------
    def _ensure_variant(self, spec: VariantSpec) -> int:
        check_name(spec.name, "variant name")
        check_weight(spec.weight, spec.name)
        existing = self.state.variant(spec.name)
        if existing is not None:
            if existing.version != spec.version:
                raise BackendError(
                    f"variant {spec.name!r} already serves version {existing.version}",
                    found=f"version {spec.version}",
                    fix="remove that variant first, or give the new one another name",
                )
            if procs.is_alive(existing.pid, existing.identity):
                return self.state.generation()
            return self._restart_variant(existing)
        if not spec.model_dir.is_dir():
            raise BackendError(
                f"model directory {spec.model_dir} does not exist",
                key=f"variant {spec.name}",
                fix="extract the version's model.tar.gz there first",
            )
        port, pid = self._start_server(spec.name, spec.version, spec.model_dir.resolve(), None)
        return self.state.put_variant(
            VariantRecord(
                spec.name,
                spec.version,
                spec.model_dir.resolve(),
                spec.weight,
                port,
                pid,
                procs.identity(pid),
            )
        )

    def _restart_variant(self, record: VariantRecord) -> int:
        port, pid = self._start_server(record.name, record.version, record.model_dir, record.port)
        return self.state.put_variant(
            VariantRecord(
                record.name,
                record.version,
                record.model_dir,
                record.weight,
                port,
                pid,
                procs.identity(pid),
            )
        )

    def _start_server(
        self, variant: str, version: int, model_dir: Path, port: int | None
    ) -> tuple[int, int]:
        log = self.dir / "logs" / f"variant-{variant}.log"
        return self._spawn_ready(
            lambda p: model_server_command(self.project_dir, model_dir, version, p),
            log,
            port,
            f"model server of variant {variant!r}",
        )

    def _spawn_router(self) -> tuple[int, int] | None:
        """Start the router if it is not serving, without waiting: (port, pid), or None when
        the running one answers."""
        router = self.state.router()
        if procs.is_alive(router.pid, router.identity):
            if _answers(f"http://127.0.0.1:{router.port}"):
                return None
            procs.stop([(router.pid, router.identity)])  # alive but not answering: replace it
        port = procs.free_port(router.port)
        log = self.dir / "logs" / "router.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        return port, procs.spawn(router_command(self.dir / STATE_FILE, port), log, env)

    def _ensure_router(self, started: tuple[int, int] | None = None) -> None:
        """Wait for the router ``_spawn_router`` started (or start one, retrying ports)."""
        if started is not None:
            port, pid = started
            url = f"http://127.0.0.1:{port}"
            if procs.wait_until_ready(url, pid, self.ready_timeout_s) is None:
                self.state.set_router(port, pid, procs.identity(pid))
                return
            procs.stop([(pid, None)], grace_s=2.0)  # e.g. its port was taken: the slow path
        router = self.state.router()
        url = f"http://127.0.0.1:{router.port}"
        if procs.is_alive(router.pid, router.identity):
            if _answers(url):
                return
            procs.stop([(router.pid, router.identity)])  # alive but not answering: replace it
        db = self.dir / STATE_FILE
        port, pid = self._spawn_ready(
            lambda p: router_command(db, p), self.dir / "logs" / "router.log", router.port, "router"
        )
        self.state.set_router(port, pid, procs.identity(pid))

    def _spawn_ready(
        self, command: Callable[[int], list[str]], log: Path, preferred_port: int | None, what: str
    ) -> tuple[int, int]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        problem = ""
        for attempt in range(_SPAWN_ATTEMPTS):
            port = procs.free_port(preferred_port if attempt == 0 else None)
            pid = procs.spawn(command(port), log, env)
            problem = (
                procs.wait_until_ready(f"http://127.0.0.1:{port}", pid, self.ready_timeout_s) or ""
            )
            if not problem:
                return port, pid
            procs.stop([(pid, None)], grace_s=2.0)
            if "address already in use" not in procs.log_tail(log, 5).lower():
                break
        raise BackendError(
            f"the {what} of endpoint {self.name!r} did not start: {problem}",
            fix=f"read its log {log}; last lines:\n{procs.log_tail(log)}",
        )

    def _require_router(self) -> None:
        router = self.state.router()
        if not procs.is_alive(router.pid, router.identity):
            raise BackendError(
                f"endpoint {self.name!r} is not running",
                fix=f"start it: `stainless endpoint up --name {self.name}`",
            )

    def _await_router(self, generation: int, timeout_s: float = 5.0) -> None:
        """Wait until the router routes with ``generation`` of the table, so a change is in
        effect when the call returns (the rollout controller starts counting right after)."""
        router = self.state.router()
        if not procs.is_alive(router.pid, router.identity):
            return  # it reads the current table when it starts
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            response = procs.ping(f"http://127.0.0.1:{router.port}")
            if response is not None and response.status == 200:
                if response.json().get("generation", -1) >= generation:
                    return
            time.sleep(0.05)
        raise BackendError(
            f"the router of endpoint {self.name!r} did not apply the change within {timeout_s:g}s",
            fix=f"check {self.dir / 'logs' / 'router.log'}",
        )

    @contextmanager
    def _control_lock(self) -> Iterator[None]:
        """One control operation at a time per endpoint, across processes (CLI + controller)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / "control.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _answers(url: str) -> bool:
    response = procs.ping(url) if url else None
    return response is not None and response.status == 200


def check_name(name: str, what: str) -> None:
    if not _NAME.match(name):
        raise BackendError(
            f"invalid {what} {name!r}",
            expected="letters, digits and '-', at most 63, starting alphanumeric "
            "(SageMaker's rule)",
            fix="choose e.g. house-prices or v3",
        )


def check_weight(weight: float, variant: str) -> None:
    if not (isinstance(weight, int | float) and math.isfinite(weight) and weight >= 0):
        raise BackendError(
            f"invalid weight for variant {variant!r}",
            expected="a finite number >= 0 (weights are relative)",
            found=repr(weight),
        )
