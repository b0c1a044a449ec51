"""Lineage recorded with every version: code, config, data, run, environment."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd

import stainless
from stainless.core.hashing import combine, file_digest


def git_commit(project_dir: Path) -> dict[str, Any] | None:
    """The checked-out commit and whether the tree has changes; None outside a git checkout."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=project_dir, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain")
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(dirty)}


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """Content hash of a DataFrame (values, index and column names), stable across runs."""
    hashed = pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
    columns = ",".join(f"{c}:{t}" for c, t in frame.dtypes.astype(str).items())
    return combine({"rows": _sha(hashed), "columns": _sha(columns.encode())})


def hook_digests(paths: dict[str, Path]) -> dict[str, str]:
    return {name: file_digest(path)[:16] for name, path in paths.items() if path.is_file()}


def environment() -> dict[str, str]:
    return {"python": platform.python_version(), "stainless": stainless.__version__}


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()[:16]
