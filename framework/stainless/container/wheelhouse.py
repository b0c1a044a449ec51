"""The wheelhouse of an image build: every dependency as a Linux wheel, downloaded on the host.

Installing from wheels inside ``docker build`` needs no network there (no proxy, no CA, works
with ``--network none``), and the downloads are cached under ``~/.cache/stainless/wheels`` so a
second build resolves offline in seconds. The framework (distribution ``stainless-ml``) is not
published on an index, so its wheel is built from where it is installed and never looked up.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlparse

from packaging.utils import canonicalize_name

from stainless.core.errors import BackendError, ConfigError
from stainless.project.lock import declared_dependencies, select_requirements

log = logging.getLogger("stainless.container")

FRAMEWORK = "stainless-ml"  # the distribution name; the import name is stainless
WHEEL_PREFIX = "stainless_ml-"  # wheel file names use the normalised name
CACHE_ENV = "STAINLESS_WHEEL_CACHE"
WHEEL_ENV = "STAINLESS_FRAMEWORK_WHEEL"
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64")


def cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stainless" / "wheels"


def build_framework_wheel(out_dir: Path, explicit: Path | None = None) -> Path:
    """A wheel of the installed stainless: given, or built from its source checkout / VCS URL."""
    out_dir.mkdir(parents=True, exist_ok=True)
    given = explicit or (Path(os.environ[WHEEL_ENV]) if os.environ.get(WHEEL_ENV) else None)
    if given is not None:
        if not given.is_file() or not given.name.startswith(WHEEL_PREFIX):
            raise ConfigError(
                "not a stainless wheel",
                key="--framework-wheel",
                found=str(given),
                fix="pass the stainless_ml-<version>-py3-none-any.whl built from the framework",
            )
        return Path(shutil.copy2(given, out_dir / given.name))
    source = framework_source()
    before = set(out_dir.glob("*.whl"))
    _pip(["wheel", "--no-deps", "--quiet", "-w", str(out_dir), source], "building the wheel")
    built = sorted(set(out_dir.glob(f"{WHEEL_PREFIX}*.whl")) - before) or sorted(
        out_dir.glob(f"{WHEEL_PREFIX}*.whl")
    )
    if not built:
        raise BackendError(f"pip wheel {source} produced no stainless wheel")
    return built[-1]


def framework_source() -> str:
    """What ``pip wheel`` should build: the local checkout or the VCS URL it was installed from."""
    try:
        text = importlib.metadata.distribution(FRAMEWORK).read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        text = None
    info = json.loads(text) if text else {}
    url = info.get("url", "")
    if "dir_info" in info and url.startswith("file://"):
        return unquote(urlparse(url).path)
    if "vcs_info" in info:
        vcs = info["vcs_info"]
        return f"{FRAMEWORK} @ {vcs['vcs']}+{url}@{vcs['commit_id']}"
    raise BackendError(
        "cannot find the stainless source to put into the image",
        key="--framework-wheel",
        fix="install stainless from its git URL or a checkout (pip install "
        "'stainless-ml @ git+https://github.com/ORG/stainless@vX.Y.Z'), or pass "
        "--framework-wheel / "
        f"{WHEEL_ENV}=path/to/stainless_ml-X.Y.Z-py3-none-any.whl",
    )


def wheel_requirements(wheel: Path, extras: set[str], python_version: str = "3.11") -> list[str]:
    """Requires-Dist of a wheel for Linux x86_64 / CPython with ``extras`` selected."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode()
    lines = [
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    ]
    return select_requirements(lines, extras, python_version)


def project_requirements(project_dir: Path) -> list[str]:
    """``[project].dependencies`` of the model repository, without stainless itself."""
    if not (project_dir / "pyproject.toml").is_file():
        return []
    parsed = declared_dependencies(project_dir)
    return [str(r) for r in parsed if canonicalize_name(r.name) != FRAMEWORK]


def download(requirements: list[str], dest: Path, python_version: str, refresh: bool) -> None:
    """Put the wheels of ``requirements`` (and their dependencies) into ``dest``: resolved from
    the cache when it has them all, else downloaded into the cache first."""
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    listing = dest / ".requirements.txt"
    listing.write_text("\n".join(requirements) + "\n")
    target = ["--only-binary=:all:", "--python-version", python_version, "--implementation", "cp"]
    for platform in PLATFORMS:
        target += ["--platform", platform]
    offline = ["download", "--quiet", "--no-index", "--find-links", str(cache), "-d", str(dest)]
    offline += [*target, "-r", str(listing)]
    if not refresh and _pip(offline, "", check=False) == 0:
        listing.unlink()
        return
    log.info("downloading Linux wheels into %s (first build of these requirements)", cache)
    online = ["download", "--quiet", "-d", str(cache), *target, "-r", str(listing)]
    _pip(online, "downloading the wheels")
    _pip(offline, "collecting the wheels from the cache")
    listing.unlink()


def _pip(arguments: list[str], what: str, check: bool = True) -> int:
    command = [sys.executable, "-m", "pip", *arguments]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0 and check:
        tail = "\n".join(completed.stderr.strip().splitlines()[-8:])
        raise BackendError(
            f"pip failed {what}:\n{tail}",
            fix="check the requirement names and that each has a Linux wheel for CPython "
            + _python(arguments),
        )
    return completed.returncode


def _python(arguments: list[str]) -> str:
    match = re.search(r"--python-version (\S+)", " ".join(arguments))
    return match.group(1) if match else "3.11"
