"""`stainless update` end to end on a generated repository (issue 13 item 8): the template's
changes to framework-owned files merge with the data scientist's edits; the files they own are
left alone; a clash is a conflict, shown as one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from stainless.project.template import TEMPLATE_DIR, template_dir

pytestmark = pytest.mark.integration
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


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    """The template in a git repository of its own, as a fork or the framework's repo holds it."""
    repo = tmp_path / "template"
    shutil.copytree(template_dir(), repo / TEMPLATE_DIR)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "template v1")
    return repo


def test_update_merges_the_template_into_the_data_scientists_edits(tmp_path, template_repo):
    created = stainless(tmp_path, "new", "--no-input", "--no-lock", template=template_repo)
    assert created.returncode == 0, created.stderr
    project = tmp_path / "house-prices"
    recorded = json.loads((project / ".cruft.json").read_text())
    assert recorded["template"] == str(template_repo)
    assert recorded["context"]["cookiecutter"]["model_slug"] == "house-prices"
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "stainless new")
    # The data scientist's edits: a framework-owned file and their own model.
    (project / ".gitignore").write_text((project / ".gitignore").read_text() + "my-notes/\n")
    (project / "model.py").write_text((project / "model.py").read_text() + "# my model\n")
    git(project, "commit", "-qam", "my edits")
    assert stainless(project, "update", template=template_repo).stdout.startswith("already")

    # The framework's next template: a new ignore line, a CI change and a new example model.
    baked = template_repo / TEMPLATE_DIR / "{{cookiecutter.model_slug}}"
    edit(baked / ".gitignore", ".stainless/", "# added by the template\n.stainless/")
    edit(baked / ".pre-commit-config.yaml", "repos:", "# template v2\nrepos:")
    (baked / "model.py").write_text((baked / "model.py").read_text() + "# new example\n")
    git(template_repo, "commit", "-qam", "template v2")

    updated = stainless(project, "update", template=template_repo)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "updated  .gitignore" in updated.stdout
    ignore = (project / ".gitignore").read_text()
    assert "# added by the template" in ignore and "my-notes/" in ignore  # both sides kept
    assert "# template v2" in (project / ".pre-commit-config.yaml").read_text()
    model = (project / "model.py").read_text()
    assert "# my model" in model and "# new example" not in model  # the DS's file is theirs
    state = json.loads((project / ".cruft.json").read_text())
    assert state["commit"] == git(template_repo, "rev-parse", "HEAD").strip()
    assert state["context"]["cookiecutter"]["model_slug"] == "house-prices"  # answers reused


def test_a_clash_is_shown_as_a_conflict(tmp_path, template_repo):
    assert (
        stainless(tmp_path, "new", "--no-input", "--no-lock", template=template_repo).returncode
        == 0
    )
    project = tmp_path / "house-prices"
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "stainless new")
    edit(project / "Dockerfile", "ARG BASE_IMAGE=python:3.11-slim", "ARG BASE_IMAGE=mine:3.11")
    git(project, "commit", "-qam", "our base image")
    baked = template_repo / TEMPLATE_DIR / "{{cookiecutter.model_slug}}"
    edit(baked / "Dockerfile", "ARG BASE_IMAGE=python:3.11-slim", "ARG BASE_IMAGE=python:3.12-slim")
    git(template_repo, "commit", "-qam", "template v2")

    updated = stainless(project, "update", template=template_repo)
    assert updated.returncode == 1
    assert "CONFLICT Dockerfile" in updated.stdout and "1 conflict(s)" in updated.stderr
    text = (project / "Dockerfile").read_text()
    assert (
        "<<<<<<< ours\nARG BASE_IMAGE=mine:3.11\n=======\nARG BASE_IMAGE=python:3.12-slim" in text
    )


def test_update_refuses_a_dirty_tree_and_a_repository_without_a_record(tmp_path, template_repo):
    assert (
        stainless(tmp_path, "new", "--no-input", "--no-lock", template=template_repo).returncode
        == 0
    )
    project = tmp_path / "house-prices"
    git(project, "init", "-q")
    dirty = stainless(project, "update", template=template_repo)
    assert dirty.returncode == 1 and "uncommitted changes" in dirty.stderr
    (project / ".cruft.json").unlink()
    missing = stainless(project, "update", template=template_repo)
    assert missing.returncode == 1 and "no .cruft.json" in missing.stderr
