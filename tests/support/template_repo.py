"""The bundled template in a git repository of its own, as a fork or the framework's repository
holds it, and the `stainless` command run against it (tests of `stainless new` / `update`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from stainless.project.template import TEMPLATE_DIR, template_dir

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
}  # fmt: skip


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


def stainless(cwd: Path, *args: str, template: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAINLESS_")}
    env.update(GIT_ENV, STAINLESS_TEMPLATE_REPO=str(template))
    return subprocess.run(
        [sys.executable, "-m", "stainless", *args], cwd=cwd, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def make_template_repo(root: Path) -> Path:
    """The template committed as "template v1" in ``root``/template."""
    repo = root / "template"
    shutil.copytree(template_dir(), repo / TEMPLATE_DIR)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "template v1")
    return repo
