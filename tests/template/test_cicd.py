"""The CI/CD files a baked project gets: valid for CircleCI and pre-commit, doing what
docs/cicd.md promises, and holding no secrets."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install {name})")
    return found


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cookiecutter.main import cookiecutter
    from stainless.project.template import template_dir

    out = tmp_path_factory.mktemp("cicd")
    extra = {"model_name": "Churn Risk", "metric": "roc_auc"}
    return Path(
        cookiecutter(str(template_dir()), no_input=True, output_dir=str(out), extra_context=extra)
    )


@pytest.fixture(scope="module")
def circleci(project: Path) -> dict:
    return yaml.safe_load((project / ".circleci" / "config.yml").read_text())


def steps_text(config: dict, job: str) -> str:
    """Every command a job runs, its reusable commands expanded."""
    parts = []
    for step in config["jobs"][job]["steps"]:
        name = step if isinstance(step, str) else next(iter(step))
        if name in config.get("commands", {}):
            parts += [steps_text({"jobs": {"c": config["commands"][name]}}, "c")]
        elif isinstance(step, dict) and name == "run":
            body = step["run"]
            parts.append(body if isinstance(body, str) else body["command"])
    return "\n".join(parts)


def test_circleci_config_matches_the_circleci_schema(project):
    checked = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.circle-ci",
         str(project / ".circleci" / "config.yml")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_pre_commit_config_is_valid(project):
    checked = subprocess.run(
        [tool("pre-commit"), "validate-config", str(project / ".pre-commit-config.yaml")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_lint_and_tests_run_on_every_branch(circleci):
    lint = steps_text(circleci, "lint")
    assert "ruff check ." in lint and "ruff format --check ." in lint
    assert re.search(r"^\s*pytest\b", steps_text(circleci, "test"), re.MULTILINE)
    jobs = {next(iter(j)) if isinstance(j, dict) else j: j for j in _workflow(circleci)}
    for name in ("lint", "test"):
        entry = jobs[name]
        assert not isinstance(entry, dict) or "filters" not in entry[name]


def test_image_and_dag_ship_from_main_only(circleci, project):
    jobs = {next(iter(j)): j[next(iter(j))] for j in _workflow(circleci) if isinstance(j, dict)}
    for name in ("build-and-push-image", "ship-dag"):
        assert jobs[name]["filters"] == {"branches": {"only": "main"}}
        assert "stainless-aws" in jobs[name]["context"]
    assert set(jobs["build-and-push-image"]["requires"]) == {"lint", "test"}
    assert jobs["ship-dag"]["requires"] == ["build-and-push-image"]

    build = steps_text(circleci, "build-and-push-image")
    assert 'stainless container login "${ECR_REGISTRY:?' in build
    assert '--push "$ECR_REGISTRY"' in build and "stainless container build" in build
    ship = steps_text(circleci, "ship-dag")
    assert "stainless dags render --target aws --out dags/" in ship
    assert "stainless dags upload" in ship and '--bucket "${AIRFLOW_DAGS_BUCKET:?' in ship
    assert "--delete" not in ship  # other models' DAGs share the folder
    # The DAG runs the image this very commit built.
    assert '--image "${ECR_REGISTRY}/${MODEL_SLUG}:${CIRCLE_SHA1}"' in ship
    assert circleci["executors"]["python"]["environment"]["MODEL_SLUG"] == "churn-risk"
    assert '--tag "${MODEL_SLUG}:${CIRCLE_SHA1}"' in build


# What a step may run besides `stainless`: installing Python packages, guards, the shell
# plumbing CircleCI needs, and the two tools the lint/test jobs exist for.
NOT_STAINLESS = re.compile(
    r"^(python -m venv|~/venv/bin/pip |pip install ruff==|ruff |pytest |mkdir -p test-results$|"
    r'wheel="\$\(ls |echo .*>> "\$BASH_ENV"$|: "\$\{[A-Z_]+:\?)'
)


def test_every_step_is_a_stainless_command(circleci):
    """No logic in YAML: every step that does something is one `stainless` command (each is
    tested end to end: container build --push and login in tests/cli/test_container.py,
    lock --check in tests/project/test_lock.py, dags render/upload in
    tests/dag_generator/test_cli.py)."""
    lines = []
    for job in circleci["jobs"]:
        text = steps_text(circleci, job).replace("\\\n", " ")
        lines += [line.strip() for line in text.splitlines()]
    commands = [line for line in lines if line and not line.startswith("#")]
    others = [c for c in commands if not re.match(r"^(~/venv/bin/)?stainless ", c)]
    assert [c for c in others if not NOT_STAINLESS.match(c)] == []
    assert not any(re.match(r"^(aws|docker|python -c) ", c) for c in commands)
    used = {
        " ".join(c.split()[:3]).removeprefix("~/venv/bin/") for c in commands if c not in others
    }
    assert used == {
        "stainless lock --check",
        "stainless container login",
        "stainless container build",
        "stainless dags render",
        "stainless dags upload",
    }


def test_no_secret_is_written_into_the_config(project, circleci):
    text = (project / ".circleci" / "config.yml").read_text()
    assert not re.search(r"AKIA[0-9A-Z]{16}", text)
    for executor in circleci["executors"].values():
        for key in executor.get("environment", {}):
            assert not re.search(r"SECRET|TOKEN|PASSWORD|KEY", key), key
    # Named in comments (where to set them), never given a value.
    assert not re.search(r"(secret_access_key|password|token)\s*[:=]\s*\S", text, re.IGNORECASE)


def test_the_install_step_never_takes_stainless_from_pypi(circleci, project):
    install = steps_text(circleci, "test")
    assert 'pip wheel --no-deps "$STAINLESS_PIP_SPEC"' in install
    assert not re.search(r"pip install [^\n]*\bstainless\b(?!-wheel)", install)
    # The model's dependencies come from the lock, hashes checked; CI fails on a stale lock.
    assert "pip install --require-hashes -r requirements.lock" in install
    assert "stainless lock --check" in install
    assert "stainless_ml-*.whl" in install  # the wheel's file name (distribution stainless-ml)
    # `stainless container requirements` still lists pyproject's own requirements.
    listed = subprocess.run(
        [str(BIN / "stainless"), "container", "requirements", "-C", str(project)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert listed and any(r.startswith("scikit-learn") for r in listed)
    assert not any(r.lower().startswith("stainless") for r in listed)
    assert [str(Requirement(r)) for r in listed] == listed  # what `pip install -r` takes


def test_ruff_versions_agree(project, circleci):
    pre_commit = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    ruff_repo = next(r for r in pre_commit["repos"] if r["repo"].endswith("ruff-pre-commit"))
    pinned = re.search(r"ruff==([\d.]+)", steps_text(circleci, "lint")).group(1)
    assert ruff_repo["rev"] == f"v{pinned}"
    assert {h["id"] for h in ruff_repo["hooks"]} == {"ruff", "ruff-format"}


def test_dockerfile_follows_the_contract(project):
    text = (project / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines[0] == "ARG BASE_IMAGE=python:3.11-slim"
    assert not re.search(r"^# syntax=", text, re.MULTILINE)  # would pull a frontend image
    assert all(line.startswith("FROM ${BASE_IMAGE}") for line in lines if line.startswith("FROM"))
    deps = text.index("pip install --no-cache-dir --no-index")
    assert deps < text.index("COPY --from=source")  # dependencies before the code
    # No USER: SageMaker mounts channels and outputs root-owned (docs/container.md).
    assert [line for line in lines if line.startswith("USER ")] == []
    assert '"container", "entrypoint"]' in text and 'CMD ["serve"]' in text
    ignore = (project / ".dockerignore").read_text().split()
    assert ".stainless" in ignore and "!.stainless/container" in ignore and ".git" in ignore


def _workflow(config: dict) -> list:
    (workflow,) = [w for name, w in config["workflows"].items() if name != "version"]
    return workflow["jobs"]
