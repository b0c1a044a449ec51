"""Run the app under uvicorn: one process, or several workers each loading the same model.

Worker processes are spawned (serving/workers.py), so they rebuild the app from a small JSON
spec in the environment instead of inheriting objects from the parent. Each listens on its own
socket of one SO_REUSEPORT group (the kernel spreads connections evenly), and they share a
metrics directory (prometheus-client's multiprocess mode: any worker's ``/metrics`` reports all
of them) and nothing else: each has its own data capture writer, whose files have unique
names, so workers never write the same object.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from stainless.backends.storage import open_store
from stainless.core import redact
from stainless.project.config import CONFIG_FILE, load_config
from stainless.serving.app import ServingApp, create_app
from stainless.serving.chaos import MANIFEST_KEY as CHAOS_KEY
from stainless.serving.chaos import ChaosSettings, with_chaos
from stainless.serving.loading import ServedModel, load_artifacts, load_registered, read_manifest
from stainless.serving.metrics import MULTIPROC_ENV
from stainless.serving.protocol import JoinedWritesProtocol
from stainless.serving.settings import ServingSettings
from stainless.serving.workers import run_workers

log = logging.getLogger("stainless.serving")
SPEC_ENV = "STAINLESS_SERVE_SPEC"


@dataclass(frozen=True)
class ServeSpec:
    """Everything a server process needs to build the app; JSON-serialisable."""

    model_dir: str
    name: str
    version: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    capture_store: str | None = None  # store URI for data capture; None = no capture
    project_dir: str = "."  # base of relative store URIs
    # Names (never values) of the secrets the parent fetched: workers inherit the values through
    # the environment and mask them in their own logs too.
    secret_names: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeSpec:
        return cls(**json.loads(text))


def build_app(spec: ServeSpec, served: ServedModel | None = None) -> ServingApp:
    if served is None:
        served = load_artifacts(Path(spec.model_dir), version=spec.version, name=spec.name)
    store = None
    if spec.capture_store:
        store = open_store(spec.capture_store, Path(spec.project_dir))
    # A drill version carries its fault injection in its bundle (see serving/chaos.py).
    chaos = ChaosSettings.from_mapping(read_manifest(served.model_dir).get(CHAOS_KEY))
    return create_app(
        with_chaos(served.model, chaos),
        ServingSettings.from_mapping(spec.settings),
        name=spec.name,
        version=spec.version,
        capture_store=store,
    )


def app_from_environment() -> ServingApp:
    """uvicorn's factory in each worker process."""
    spec = ServeSpec.from_json(os.environ[SPEC_ENV])
    for name in spec.secret_names:
        redact.register(os.environ.get(name, ""))
    app = build_app(spec)
    settle_heap()
    return app


def settle_heap() -> None:
    """Move everything loaded so far (model, pandas, numpy...) out of the garbage collector's
    sight. Requests allocate a little and trigger collections; without this each full
    collection walks the whole model and its libraries, which measurably costs throughput."""
    gc.collect()
    gc.freeze()


def run_server(
    spec: ServeSpec,
    host: str,
    port: int,
    served: ServedModel | None = None,
    log_level: str = "info",
) -> None:
    workers = int(spec.settings.get("workers") or 1)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        # Per-request access logs cost more than the whole framework; /metrics counts instead.
        "access_log": False,
        "lifespan": "on",
        "server_header": False,
        # Each answer written in one system call instead of two (serving/protocol.py).
        "http": JoinedWritesProtocol,
        # Nothing reads the client's address; the middleware would rewrite it on every request.
        "proxy_headers": False,
        "timeout_graceful_shutdown": 30,
    }
    if workers == 1:
        app = build_app(spec, served)
        settle_heap()
        uvicorn.run(app, **options)
        return
    os.environ[SPEC_ENV] = spec.to_json()
    # A fresh directory per server: values left by an earlier server must not be added in.
    metrics_dir = tempfile.mkdtemp(prefix="stainless-metrics-")
    os.environ[MULTIPROC_ENV] = metrics_dir
    try:
        # Not uvicorn's workers=N: they share one socket, and one of them accepts every
        # connection opened at once (see serving/workers.py).
        run_workers(
            "stainless.serving.server:app_from_environment",
            options,
            workers,
            pin=bool(spec.settings.get("pin_workers", True)),
        )
    finally:
        del os.environ[MULTIPROC_ENV]
        shutil.rmtree(metrics_dir, ignore_errors=True)


@dataclass(frozen=True)
class ServeRequest:
    """What to serve and where: a project (its model.yaml ``serving:`` settings and store), an
    extracted model directory or a registry version, and the address."""

    project_dir: Path
    env: str | None = None
    artifacts: Path | None = None
    version: int | None = None
    model_version: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int | None = None
    log_level: str = "info"


def prepare(request: ServeRequest) -> tuple[ServeSpec, ServedModel, ServingSettings]:
    """Load the model and settings a server will run with (raises before binding a port)."""
    if request.artifacts is not None and request.version is not None:
        raise ValueError("pass either artifacts or a registry version, not both")
    config = None
    if request.artifacts is None or (request.project_dir / CONFIG_FILE).is_file():
        config = load_config(request.project_dir, env=request.env)
    if request.artifacts is not None:
        served = load_artifacts(
            request.artifacts, version=request.model_version, name=config.name if config else None
        )
    else:
        assert config is not None
        served = load_registered(config, request.version)
    settings = ServingSettings.from_config(config) if config else ServingSettings()
    settings = settings.with_overrides(workers=request.workers)
    spec = ServeSpec(
        model_dir=str(served.model_dir),
        name=served.name,
        version=served.version,
        settings=asdict(settings),
        capture_store=config.backend("store") if config else None,
        project_dir=str(config.project_dir if config else Path.cwd()),
    )
    return spec, served, settings


def serve(request: ServeRequest, announce: Any = None) -> None:
    """Serve until SIGTERM: what `stainless serve` and `python -m stainless.serving` run."""
    spec, served, settings = prepare(request)
    if announce is not None:
        announce(
            f"serving {served.name} version {served.version or '?'} from {served.model_dir} "
            f"on http://{request.host}:{request.port} ({settings.worker_count} worker(s))"
        )
    run_server(spec, request.host, request.port, served=served, log_level=request.log_level)
