"""The SageMaker bring-your-own-container contract: ``docker run IMAGE train|serve``.

SageMaker starts a training job with the argument ``train`` (channels under
``/opt/ml/input/data/<channel>/``, hyperparameters in ``/opt/ml/input/config/``, the model goes to
``/opt/ml/model``, a failure reason to ``/opt/ml/output/failure``) and an endpoint with ``serve``
(the model in ``/opt/ml/model``, HTTP on port 8080 or ``SAGEMAKER_BIND_TO_PORT``).

Training needs the pipeline (hooks, packaging), a sibling layer this module may not import, so
the caller (``stainless container entrypoint``) passes the training function in.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from stainless.backends.endpoints import CAPTURE_ENV
from stainless.core import atomic
from stainless.core.errors import ConfigError, StainlessError
from stainless.core.redact import redact

log = logging.getLogger("stainless.serving")

OPT_ML_ENV = "STAINLESS_OPT_ML"  # moves /opt/ml, so the contract runs outside a container too
PORT_ENV = "SAGEMAKER_BIND_TO_PORT"
WORKERS_ENV = "SAGEMAKER_MODEL_SERVER_WORKERS"  # the name SageMaker's own toolkits use
# SageMaker shows the first 1024 characters of the failure file as the job's FailureReason.
FAILURE_LIMIT = 1024
COMMANDS = ("train", "serve")


@dataclass(frozen=True)
class OptMl:
    """The directories of the SageMaker contract, under one root (``/opt/ml`` in the image)."""

    root: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> OptMl:
        return cls(Path(environ.get(OPT_ML_ENV) or "/opt/ml"))

    @property
    def model_dir(self) -> Path:
        return self.root / "model"

    @property
    def channels_dir(self) -> Path:
        return self.root / "input" / "data"

    @property
    def hyperparameters_file(self) -> Path:
        return self.root / "input" / "config" / "hyperparameters.json"

    @property
    def output_data_dir(self) -> Path:
        """Uploaded by SageMaker as output.tar.gz: metrics and figures go here."""
        return self.root / "output" / "data"

    @property
    def failure_file(self) -> Path:
        return self.root / "output" / "failure"

    def channel(self, name: str) -> Path:
        return self.channels_dir / name


TrainFunction = Callable[[OptMl, Path, Mapping[str, Any]], object]


class Terminated(Exception):
    """SIGTERM arrived (SageMaker stopping the job, ``docker stop``): stop and report it."""


def read_hyperparameters(path: Path) -> dict[str, Any]:
    """SageMaker writes every hyperparameter as a string; numbers and booleans are decoded so
    ``ctx.params["alpha"]`` is 0.5, not "0.5". A missing file means no overrides."""
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"not valid JSON ({exc})", file=str(path), fix="write a JSON object of strings"
        ) from exc
    if not isinstance(raw, dict):
        raise ConfigError(
            "hyperparameters must be a JSON object",
            file=str(path),
            found=type(raw).__name__,
            fix='write e.g. {"alpha": "0.5"}',
        )
    return {str(key): _decode(value) for key, value in raw.items()}


def _decode(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def write_failure(opt: OptMl, message: str) -> None:
    """The reason SageMaker (and ``docker run`` users) see; bounded, written atomically."""
    text = redact(message).strip() or "training failed"
    if len(text) > FAILURE_LIMIT:
        text = text[: FAILURE_LIMIT - 3] + "..."
    try:
        atomic.write_text(opt.failure_file, text + "\n")
    except OSError as exc:  # a read-only /opt/ml/output must not hide the real error
        log.error("cannot write %s: %s", opt.failure_file, exc)


def port_from_env(environ: Mapping[str, str]) -> int:
    return _positive_int(environ, PORT_ENV, 8080, upper=65535)


def workers_from_env(environ: Mapping[str, str]) -> int | None:
    """None: use ``serving.workers`` of model.yaml."""
    if not environ.get(WORKERS_ENV):
        return None
    return _positive_int(environ, WORKERS_ENV, 1, upper=1024)


def _positive_int(environ: Mapping[str, str], name: str, default: int, upper: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= upper:
        raise ConfigError(
            f"environment variable {name} must be a whole number from 1 to {upper}",
            key=name,
            found=repr(raw),
            fix=f"set {name} to e.g. {default}, or unset it",
        )
    return int(raw)


def serve(opt: OptMl, project_dir: Path, environ: Mapping[str, str]) -> None:
    """Serve ``/opt/ml/model`` on 0.0.0.0 until SIGTERM (uvicorn drains requests, then exits)."""
    from stainless.project.config import CONFIG_FILE, load_config
    from stainless.project.secrets import load_secrets
    from stainless.serving.loading import load_artifacts
    from stainless.serving.server import ServeSpec, run_server
    from stainless.serving.settings import ServingSettings

    port, workers = port_from_env(environ), workers_from_env(environ)
    config = load_config(project_dir) if (project_dir / CONFIG_FILE).is_file() else None
    if config is not None:
        # Before the model loads: load_model may need them too. Into this process only.
        load_secrets(config)
    served = load_artifacts(
        opt.model_dir,
        version=environ.get("STAINLESS_MODEL_VERSION") or None,
        name=config.name if config else None,
    )
    settings = ServingSettings.from_config(config) if config else ServingSettings()
    settings = settings.with_overrides(workers=workers)
    spec = ServeSpec(
        model_dir=str(served.model_dir),
        name=served.name,
        version=served.version,
        settings=asdict(settings),
        # Capture only where it can be read later, and only once.
        capture_store=capture_store(config, environ),
        project_dir=str(project_dir),
        secret_names=sorted(config.secrets) if config else [],
    )
    log.info(
        "serving %s from %s on port %d (%d worker(s))",
        served.name,
        opt.model_dir,
        port,
        settings.worker_count,
    )
    run_server(spec, "0.0.0.0", port, served=served)


def capture_store(config: Any, environ: Mapping[str, str]) -> str | None:
    """Where the server writes captured pairs: a store outside this container, unless the
    endpoint captures itself (SageMaker's DataCaptureConfig sets CAPTURE_ENV=off)."""
    if config is None or environ.get(CAPTURE_ENV) == "off":
        return None
    store = config.backend("store")
    return None if store.startswith("file:") else store


def run(
    argv: list[str],
    train: TrainFunction,
    project_dir: Path,
    environ: Mapping[str, str] = os.environ,
) -> int:
    """Run ``train`` or ``serve``; returns the process exit code."""
    if len(argv) != 1 or argv[0] not in COMMANDS:
        print(
            f"usage: IMAGE {{{'|'.join(COMMANDS)}}} (got {' '.join(argv) or 'no argument'}); "
            "to run another command use `docker run --entrypoint stainless IMAGE ...`",
            file=sys.stderr,
        )
        return 2
    opt = OptMl.from_env(environ)
    if argv[0] == "serve":
        try:
            serve(opt, project_dir, environ)
        except StainlessError as exc:
            log.error("cannot serve: %s", exc.render())
            return exc.exit_code
        return 0
    return _train(opt, train, project_dir, environ)


def _train(opt: OptMl, train: TrainFunction, project_dir: Path, environ: Mapping[str, str]) -> int:
    opt.failure_file.unlink(missing_ok=True)
    # As PID 1 in a container the default SIGTERM action is ignored; turn it into an exception
    # so training stops, the failure is recorded and the exit code says what happened.
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        train(opt, project_dir, environ)
    except Terminated:
        write_failure(opt, "training stopped: the container received SIGTERM")
        return 128 + signal.SIGTERM
    except StainlessError as exc:
        write_failure(opt, exc.render())
        log.error("training failed: %s", exc.render())
        return exc.exit_code
    except Exception as exc:  # the data scientist's code: report it, never a bare traceback only
        traceback.print_exc()
        write_failure(opt, f"{type(exc).__name__}: {exc}")
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    log.info("training finished: model written to %s", opt.model_dir)
    return 0


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()
