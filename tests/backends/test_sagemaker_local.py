"""Choosing the SageMaker SDK's local mode in place of boto3's SageMaker client, and the error
without its extra (local mode itself, with Docker, runs in its own venv:
tests/container/test_sagemaker_local_mode.py)."""

from __future__ import annotations

import importlib.util

import boto3
import pytest
from stainless.backends.sagemaker_local import (
    LOCAL_MODE_ENV,
    local_mode_requested,
    local_session,
    sagemaker_client,
)
from stainless.core.errors import MissingExtraError


def test_local_mode_is_asked_for_by_the_uri_or_the_environment(monkeypatch):
    monkeypatch.delenv(LOCAL_MODE_ENV, raising=False)
    assert not local_mode_requested() and not local_mode_requested({"region": "eu-west-1"})
    assert local_mode_requested({"mode": " Local "})
    monkeypatch.setenv(LOCAL_MODE_ENV, "local")
    assert local_mode_requested()
    assert not local_mode_requested({"mode": "aws"})  # the URI wins


def test_without_local_mode_it_is_boto3s_client():
    session = boto3.Session(
        region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    client = sagemaker_client(session, local_mode=False)
    assert client.meta.service_model.service_name == "sagemaker"
    assert client.meta.region_name == "eu-west-1"


@pytest.mark.skipif(
    importlib.util.find_spec("sagemaker") is not None, reason="the SageMaker SDK is installed"
)
def test_without_the_sdk_the_error_names_the_extra():
    with pytest.raises(MissingExtraError, match="sagemaker-local"):
        local_session()
