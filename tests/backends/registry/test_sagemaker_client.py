"""The SageMaker registry's boto3 client, and the AWS failures a person fixes told as the fix:
the missing extra, the missing region, refused permissions (from a real HTTP server answering as
SageMaker does)."""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from stainless.backends.registry import open_registry
from stainless.core.errors import BackendError, MissingExtraError


def test_without_boto3_the_error_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if the aws extra were not installed
    with pytest.raises(MissingExtraError, match=r"SageMaker model registry.*stainless-ml\[aws\]"):
        open_registry("sagemaker://house-prices", tmp_path)


def test_without_a_region_the_error_says_what_to_set(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(BackendError, match="registry: .*needs an AWS region.*Fix: add \\?region="):
        open_registry("sagemaker://house-prices", tmp_path)


class _DenyingSageMaker(BaseHTTPRequestHandler):
    """SageMaker as it answers a role without sagemaker:* permissions."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"__type": "AccessDeniedException", "message": "not authorized"})
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.integration
def test_access_denied_names_the_permissions(monkeypatch, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DenyingSageMaker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{server.server_port}",
        }.items():
            monkeypatch.setenv(key, value)
        registry = open_registry("sagemaker://house-prices", tmp_path)
        with pytest.raises(BackendError, match="AccessDeniedException.*Fix: grant sagemaker:"):
            registry.list()
    finally:
        server.shutdown()
        server.server_close()
