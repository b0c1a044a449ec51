"""requirements.lock: the model repository's exact dependency versions, for the image, CI and
the training job alike ("the wrong version of numpy" cannot happen between them).

Written by ``stainless lock`` (and ``stainless new``) with ``uv pip compile`` for the image's
platform (CPython 3.11, Linux x86_64), with hashes, resolving only what the index held at the
recorded ``exclude-newer`` time, so relocking the same inputs gives the same file. Its inputs
(pyproject.toml's dependencies and the framework's own requirements for the extras named there)
are hashed into the header: ``stainless lock --check`` recomputes that hash offline and fails
when pyproject.toml (or the framework) changed since the lock was written.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from stainless.core import atomic
from stainless.core.errors import ConfigError, StainlessError

LOCK_FILE = "requirements.lock"
FRAMEWORK = "stainless-ml"  # the distribution; the import name is stainless
PYTHON_VERSION = "3.11"
PLATFORM = "x86_64-manylinux_2_28"
TARGET_ENVIRONMENT = {
    "os_name": "posix",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


class LockError(StainlessError):
    exit_code = 1


@dataclass(frozen=True)
class LockInputs:
    """What the lock is resolved from; its hash says whether a lock file is current."""

    model: tuple[str, ...]  # pyproject.toml [project].dependencies without the framework
    framework: tuple[str, ...]  # the framework's Requires-Dist for the extras named there
    extras: tuple[str, ...]

    @property
    def digest(self) -> str:
        payload = {
            "model": sorted(self.model),
            "framework": sorted(self.framework),
            "python": PYTHON_VERSION,
            "platform": PLATFORM,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class LockStatus:
    path: Path
    current: bool
    recorded: str | None
    expected: str


def select_requirements(
    lines: list[str], extras: set[str], python_version: str = PYTHON_VERSION
) -> list[str]:
    """Requires-Dist lines that apply on the image's platform with ``extras`` selected."""
    environment = {
        **TARGET_ENVIRONMENT,
        "python_version": python_version,
        "python_full_version": f"{python_version}.0",
    }
    selected = []
    for line in lines:
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is None or any(
            marker.evaluate({**environment, "extra": extra}) for extra in extras | {""}
        ):
            requirement.marker = None
            selected.append(str(requirement))
    return selected


def declared_dependencies(project_dir: Path) -> list[Requirement]:
    """``[project].dependencies`` of the model repository's pyproject.toml, parsed (stainless
    included); :class:`FileNotFoundError` when there is no pyproject.toml."""
    path = project_dir / "pyproject.toml"
    try:
        raw = tomllib.loads(path.read_text()).get("project", {}).get("dependencies", [])
        return [Requirement(text) for text in raw]
    except (tomllib.TOMLDecodeError, InvalidRequirement) as exc:
        raise ConfigError(
            str(exc),
            file="pyproject.toml",
            key="project.dependencies",
            fix='list PEP 508 requirements, e.g. "scikit-learn>=1.4"',
        ) from None


def lock_inputs(project_dir: Path) -> LockInputs:
    try:
        parsed = declared_dependencies(project_dir)
    except FileNotFoundError:
        raise ConfigError(
            "file not found",
            file=str(project_dir / "pyproject.toml"),
            fix="run `stainless lock` in a model repository",
        ) from None
    extras: set[str] = set()
    model = []
    for requirement in parsed:
        if canonicalize_name(requirement.name) == FRAMEWORK:
            extras |= set(requirement.extras)
        else:
            model.append(str(requirement))
    try:
        declared = importlib.metadata.requires(FRAMEWORK) or []
    except importlib.metadata.PackageNotFoundError:
        declared = []
    framework = select_requirements(declared, extras)
    return LockInputs(tuple(model), tuple(framework), tuple(sorted(extras)))


def read_header(path: Path) -> dict[str, str]:
    header = {}
    for line in path.read_text().splitlines():
        if not line.startswith("# "):
            break
        key, sep, value = line[2:].partition(": ")
        if sep:
            header[key] = value
    return header


def lock_status(project_dir: Path) -> LockStatus:
    path = project_dir / LOCK_FILE
    expected = lock_inputs(project_dir).digest
    recorded = read_header(path).get("inputs-sha256") if path.is_file() else None
    return LockStatus(path, recorded == expected, recorded, expected)


def check_lock(project_dir: Path) -> LockStatus:
    """Raise unless requirements.lock exists and matches pyproject.toml (no network)."""
    status = lock_status(project_dir)
    if status.recorded is None:
        raise LockError(
            "missing (or written by hand)",
            file=LOCK_FILE,
            fix="run `stainless lock` and commit requirements.lock",
        )
    if not status.current:
        raise LockError(
            "stale: pyproject.toml's dependencies (or the framework's) changed since it was "
            "written",
            file=LOCK_FILE,
            fix="run `stainless lock` and commit requirements.lock",
        )
    return status


def write_lock(project_dir: Path, exclude_newer: datetime | None = None) -> Path:
    """Resolve the inputs with uv and write requirements.lock atomically."""
    inputs = lock_inputs(project_dir)
    moment = (exclude_newer or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        raise LockError("uv is not installed", fix=f"pip install '{FRAMEWORK}' (it depends on uv)")
    with tempfile.TemporaryDirectory(prefix="stainless-lock-") as tmp:
        scratch = Path(tmp)
        source = scratch / "requirements.in"
        source.write_text("\n".join([*inputs.model, *inputs.framework]) + "\n")
        out = scratch / LOCK_FILE
        command = [
            uv, "pip", "compile", str(source), "-o", str(out), "--quiet", "--no-header",
            "--generate-hashes", "--python-version", PYTHON_VERSION, "--python-platform",
            PLATFORM, "--exclude-newer", moment, "--annotation-style", "line",
        ]  # fmt: skip
        env = {**os.environ, "UV_NO_PROGRESS": "1"}
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-8:])
            raise LockError(
                f"uv could not resolve the dependencies:\n{tail}",
                file="pyproject.toml",
                fix="check the requirement names and versions (a package index must be reachable)",
            )
        body = out.read_text().replace(str(source), "pyproject.toml")
    header = [
        f"# {LOCK_FILE}: written by `stainless lock` (uv pip compile); do not edit by hand.",
        "# The image, CI and the training job install exactly these versions.",
        f"# inputs-sha256: {inputs.digest}",
        f"# exclude-newer: {moment}",
        f"# python: {PYTHON_VERSION} {PLATFORM}",
        f"# framework-extras: {','.join(inputs.extras)}",
    ]
    target = project_dir / LOCK_FILE
    atomic.write_text(target, "\n".join(header) + "\n" + body)
    return target


def pinned(project_dir: Path) -> list[str]:
    """``name==version`` lines of requirements.lock (what the image installs)."""
    lines = []
    for line in (project_dir / LOCK_FILE).read_text().splitlines():
        text = line.split("#", 1)[0].strip().rstrip("\\").strip()
        if text and not text.startswith("--"):
            lines.append(text)
    return lines


def lock_digest(project_dir: Path) -> str | None:
    """sha256 of requirements.lock, recorded in each version's lineage (None without one)."""
    path = project_dir / LOCK_FILE
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def with_pins(pins: list[str], wanted: list[str]) -> list[str]:
    """The lock's pins, plus any of ``wanted`` the lock does not name (e.g. the snowflake extra
    for a data source model.yaml names but pyproject.toml does not), left unpinned."""
    locked = {canonicalize_name(Requirement(pin).name) for pin in pins}
    extra = [w for w in wanted if canonicalize_name(Requirement(w).name) not in locked]
    return [*pins, *extra]


def installed_mismatches(project_dir: Path, limit: int = 20) -> list[str]:
    """Pins of requirements.lock this Python environment does not match (a local training run
    outside the image); empty when it matches or there is no lock."""
    if not (project_dir / LOCK_FILE).is_file():
        return []
    found = []
    for pin in pinned(project_dir):
        requirement = Requirement(pin)
        wanted = next(iter(requirement.specifier)).version if requirement.specifier else None
        try:
            have = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            have = "not installed"
        if wanted is not None and have != wanted:
            found.append(f"{requirement.name} {have} (lock: {wanted})")
    return found[:limit]
