"""stainless.project.secrets: model.yaml's secrets resolved into the working process, by name,
with errors naming their key in model.yaml (the stores run in tests/backends/secrets/)."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from stainless.core.errors import BackendError
from stainless.project.config import load_config
from stainless.project.secrets import load_secrets


def with_secrets(project_dir: Path, lines: str) -> Path:
    model_yaml = project_dir / "model.yaml"
    model_yaml.write_text(model_yaml.read_text() + "\nsecrets:\n" + lines)
    return project_dir


def test_no_secrets_no_work(bake: Callable[..., Path]):
    assert load_secrets(load_config(bake())).resolved == ()


def test_secrets_land_in_the_environment_and_only_their_names_in_the_log(
    bake: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    value = "tok-" + secrets.token_hex(8)
    monkeypatch.setenv("CI_DB_TOKEN", value)
    monkeypatch.setenv("DB_TOKEN", "")  # so that undoing the test removes what it resolves
    monkeypatch.delenv("DB_TOKEN")
    monkeypatch.setenv("API_KEY", "set-by-the-shell")
    project = with_secrets(bake(), "  DB_TOKEN: env://CI_DB_TOKEN\n  API_KEY: env://CI_DB_TOKEN\n")
    with caplog.at_level(logging.INFO, logger="stainless"):
        exported = load_secrets(load_config(project))
    assert exported.resolved == ("DB_TOKEN",)  # API_KEY was set already: the shell's wins
    assert os.environ["DB_TOKEN"] == value and os.environ["API_KEY"] == "set-by-the-shell"
    assert "secrets resolved into this process: DB_TOKEN" in caplog.text
    assert value not in caplog.text


def test_an_unresolvable_secret_names_its_key_in_model_yaml(
    bake: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("CI_MISSING", raising=False)
    monkeypatch.setenv("DB_TOKEN", "")  # so that undoing the test removes what it resolves
    monkeypatch.delenv("DB_TOKEN")
    project = with_secrets(bake(), "  DB_TOKEN: env://CI_MISSING\n")
    with pytest.raises(BackendError) as missing:
        load_secrets(load_config(project))
    assert missing.value.key == "secrets.DB_TOKEN"
