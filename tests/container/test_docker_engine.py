"""The Docker engine through the docker command line: what a person is told when the command is
missing, the engine does not answer, or AWS refuses an ECR login (builds and pushes with a real
engine: tests/cli/test_container.py)."""

from __future__ import annotations

import shutil

import pytest
from stainless.container.docker_engine import DOCKER_ENV, docker_binary, ensure_reachable
from stainless.core.errors import BackendError


def test_a_missing_docker_command_names_the_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(DOCKER_ENV, raising=False)
    with pytest.raises(BackendError) as caught:
        docker_binary()
    assert "the docker command is not installed" in caught.value.render()
    assert DOCKER_ENV in caught.value.render()


@pytest.mark.skipif(not shutil.which("docker"), reason="no docker command on PATH")
def test_an_engine_that_does_not_answer_names_docker_host(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(BackendError) as caught:
        ensure_reachable(timeout_s=20)
    text = caught.value.render()
    assert "the Docker engine at unix:///nonexistent/docker.sock is not reachable" in text
    assert caught.value.key == "DOCKER_HOST" and "start Docker" in text


def test_login_names_the_registry_when_aws_refuses(monkeypatch, tmp_path):
    from click.testing import CliRunner
    from stainless.cli import main

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nobody answers
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    result = CliRunner().invoke(main, ["container", "login", registry])
    assert result.exit_code != 0
    assert f"cannot get an ECR login token for {registry}" in result.output
    assert "ecr:GetAuthorizationToken" in result.output
