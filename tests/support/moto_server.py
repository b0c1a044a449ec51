"""A real moto server on a free loopback port, for tests that use real boto3 clients."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

REGION = "us-east-1"


@contextmanager
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    route_composite_alarms(monkeypatch)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # moto keeps its state per process, not per server: start every server empty, so a secret
    # or an endpoint an earlier test created is not there.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).close()
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": url,
    }.items():
        monkeypatch.setenv(key, value)
    try:
        yield url
    finally:
        server.stop()


def route_composite_alarms(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's CloudWatch stores composite alarms (its put_metric_alarm reads AlarmRule "to
    re-use this method for composite alarms as well") and describes them, but its server does
    not route the PutCompositeAlarm action there: route it (SageMaker endpoints' SLO alarms)."""
    from moto.cloudwatch.responses import CloudWatchResponse

    monkeypatch.setattr(
        CloudWatchResponse,
        "put_composite_alarm",
        CloudWatchResponse.put_metric_alarm,
        raising=False,
    )
