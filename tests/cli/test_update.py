"""`stainless update`: what it prints and its exit code when it cannot merge cleanly or must
refuse (the three-way merge itself: tests/project/test_template.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from stainless.project.template import TEMPLATE_DIR
from support.template_repo import edit, git, make_template_repo, stainless

pytestmark = pytest.mark.integration


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    return make_template_repo(tmp_path)


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
