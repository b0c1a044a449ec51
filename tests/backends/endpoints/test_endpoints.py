"""Choosing an endpoint backend by URI, and the records the rollout controller reads from any
endpoint (the local endpoint serving: local/test_endpoint.py; SageMaker: test_sagemaker.py)."""

from pathlib import Path

import pytest
from stainless.backends.endpoints import (
    EndpointStatus,
    VariantCounters,
    VariantInfo,
    open_endpoint,
)
from stainless.backends.endpoints.local.endpoint import LocalEndpoint
from stainless.core.errors import BackendError


def test_the_local_endpoint_is_chosen_by_its_scheme(tmp_path: Path):
    endpoint = open_endpoint("local://", tmp_path, "house-prices")
    assert isinstance(endpoint, LocalEndpoint)
    assert endpoint.dir == tmp_path.resolve() / ".stainless" / "endpoints" / "house-prices"
    with pytest.raises(BackendError, match="`stainless endpoint up --name house-prices`"):
        endpoint.url  # noqa: B018 - never started: the error says how to start it


def test_an_unknown_scheme_lists_the_known_ones(tmp_path: Path):
    with pytest.raises(BackendError, match="no endpoint backend for scheme 'k8s'") as caught:
        open_endpoint("k8s://serving", tmp_path, "house-prices")
    assert caught.value.expected == "local://, sagemaker://"


def test_status_and_counters_read_as_plain_records():
    variant = VariantInfo("v2", 2, 25.0, "http://127.0.0.1:9/", healthy=True)
    status = EndpointStatus(True, "http://127.0.0.1:8/", [variant], "house-prices")
    assert status.to_dict()["variants"] == [
        {
            "name": "v2",
            "version": 2,
            "weight": 25.0,
            "url": "http://127.0.0.1:9/",
            "healthy": True,
            "instance_type": None,
            "instance_count": 1,
        }
    ]
    counters = VariantCounters(requests=10, ok=8, client_errors=1, model_errors=1)
    assert counters.to_dict()["latency_p99_ms"] is None and counters.to_dict()["ok"] == 8
