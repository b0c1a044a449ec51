"""`stainless update` end to end on a generated repository (issue 13 item 8): the template's
changes to framework-owned files merge with the data scientist's edits; the files they own are
left alone (a clash, and what the command refuses: tests/cli/test_update.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from stainless.project.template import TEMPLATE_DIR
from support.template_repo import edit, git, make_template_repo, stainless

pytestmark = pytest.mark.integration


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    return make_template_repo(tmp_path)


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
