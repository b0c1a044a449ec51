"""Build the model's image from its Dockerfile, with its dependencies from a local wheelhouse,
and optionally push it to a registry."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from stainless.container import docker_engine, wheelhouse
from stainless.core.errors import ConfigError
from stainless.project import lock
from stainless.project.config import ModelConfig, load_config

# Inside the project, ignored by git; the template's .dockerignore lets only this through.
BUILD_DIR = Path(".stainless") / "container"
EXTRA_SCHEMES = {
    "aws": ("s3:", "sagemaker:", "secretsmanager:", "ssm:"),
    "snowflake": ("snowflake:",),
    "slack": ("slack:",),
}


@dataclass(frozen=True)
class BuildRequest:
    project_dir: Path
    tag: str | None = None
    base_image: str | None = None
    registry: str | None = None  # also tag as REGISTRY/<tag> and push
    extras: set[str] | None = None  # default: what model.yaml's backends need
    framework_wheel: Path | None = None
    python_version: str = "3.11"
    refresh_wheels: bool = False


@dataclass(frozen=True)
class BuiltImage:
    image_id: str
    tag: str
    pushed: str | None = None


def build_image(request: BuildRequest) -> BuiltImage:
    """Build (and push) the image. Dependencies are installed from a wheelhouse prepared on
    this machine (cached in ~/.cache/stainless/wheels), so the build needs no network access."""
    project_dir = request.project_dir
    config = load_config(project_dir)
    if not (project_dir / "Dockerfile").is_file():
        raise ConfigError(
            "no Dockerfile in the model repository",
            file=str(project_dir / "Dockerfile"),
            fix="copy the Dockerfile and .dockerignore from a freshly generated project "
            "(`stainless new`)",
        )
    docker_engine.ensure_reachable()
    chosen = request.extras if request.extras is not None else extras_for(config)
    staging = project_dir / BUILD_DIR
    if staging.exists():
        shutil.rmtree(staging)
    wheel = wheelhouse.build_framework_wheel(staging / "framework", request.framework_wheel)
    version = wheel.name.split("-")[1]
    # Third-party wheels and the framework's wheel apart: the Dockerfile installs them in two
    # layers, so a new framework (or an edit of it) leaves the big dependency layer cached.
    dependencies = wheelhouse.wheel_requirements(wheel, chosen, request.python_version)
    dependencies += wheelhouse.project_requirements(project_dir)
    lock_sha = lock.lock_digest(project_dir)
    if lock_sha is not None:  # the image installs exactly what CI tested and training used
        lock.check_lock(project_dir)
        dependencies = lock.with_pins(lock.pinned(project_dir), dependencies)
    (staging / "wheels").mkdir(parents=True)
    wheelhouse.download(
        dependencies, staging / "wheels", request.python_version, request.refresh_wheels
    )
    (staging / "requirements.txt").write_text("\n".join(dependencies) + "\n")

    image_tag = request.tag or f"{config.name}:{git_revision(project_dir) or 'latest'}"
    build_args = {"GIT_COMMIT": git_revision(project_dir, short=False) or ""}
    if request.base_image:
        build_args["BASE_IMAGE"] = request.base_image
    labels = {
        "org.opencontainers.image.title": config.name,
        "ai.stainless.version": version,
        "ai.stainless.extras": ",".join(sorted(chosen)),
        "ai.stainless.requirements-lock-sha256": lock_sha or "",
    }
    image_id = docker_engine.build(project_dir, [image_tag], build_args, labels)
    pushed = None
    if request.registry:
        pushed = f"{request.registry.rstrip('/')}/{image_tag}"
        docker_engine.tag(image_id, pushed)
        docker_engine.push(pushed)
    return BuiltImage(image_id, image_tag, pushed)


def parse_extras(text: str) -> set[str]:
    return {part.strip() for part in text.split(",") if part.strip()}


def extras_for(config: ModelConfig) -> set[str]:
    """The extras the backends of every environment need (the image runs in all of them)."""
    raw = config.raw
    uris = [str(raw.get(key) or "") for key in ("data", "store", "registry", "notify")]
    uris += [str(ref) for ref in (raw.get("secrets") or {}).values()]  # fetched in the image
    for environment in (raw.get("environments") or {}).values():
        for key, value in (environment or {}).items():
            if key == "secrets":
                uris += [str(ref) for ref in (value or {}).values()]
            else:
                uris.append(str(value))
    return {
        extra
        for extra, schemes in EXTRA_SCHEMES.items()
        if any(uri.startswith(schemes) for uri in uris)
    }


def git_revision(project_dir: Path, short: bool = True) -> str | None:
    command = ["git", "rev-parse", *(["--short=12"] if short else []), "HEAD"]
    try:
        completed = subprocess.run(
            command,
            cwd=project_dir,
            capture_output=True,
            text=True,
            timeout=10,
            env={**os.environ, "GIT_DIR": str(project_dir / ".git")},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() or None if completed.returncode == 0 else None
