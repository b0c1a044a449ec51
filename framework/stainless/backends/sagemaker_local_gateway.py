"""The rehearsal's SageMaker API: local mode behind SageMaker's own wire protocol, over HTTP.

SageMaker's SDK local mode (``sagemaker[local]<3``) pins ``packaging<25`` while Airflow 3 needs
``packaging>=25``, so the two cannot share a venv; and local mode keeps its jobs and endpoints in
the memory of the process that created them, where SageMaker keeps them in a service. This
gateway is that service for one machine: a process in .venv-sagemaker that answers boto3's
``sagemaker`` client (AWS's JSON 1.1 protocol: ``POST /`` with ``X-Amz-Target: SageMaker.<Op>``)
by calling local mode (:class:`~stainless.backends.sagemaker_local.LocalModeClient`), and
forwards every other SageMaker operation (the model registry's model packages) unchanged to an
upstream such as a moto server. A process anywhere on the machine (an Airflow task) reaches it
with ``AWS_ENDPOINT_URL_SAGEMAKER=<gateway URL>``: our backends run unchanged.

Jobs and endpoints are created in the background and described ``InProgress`` / ``Creating``
until local mode has finished them, as SageMaker does (local mode itself runs them inside the
create call). ``POST /endpoints/<name>/invocations`` (boto3's ``sagemaker-runtime``) is passed to
local mode's serving container.

    python -m stainless.backends.sagemaker_local_gateway --upstream http://HOST:PORT [--port 0]

prints ``listening on http://127.0.0.1:PORT`` once it answers (docs/rehearsal.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger("stainless.sagemaker_gateway")

JOB_KINDS = {"Training": "training", "Processing": "processing"}
# Operations local mode implements (its client's method names); the rest go upstream.
LOCAL_OPERATIONS = frozenset(
    {
        "DescribeModel",
        "CreateModel",
        "DeleteModel",
        "CreateEndpointConfig",
        "DescribeEndpointConfig",
        "DeleteEndpointConfig",
        "DescribeEndpoint",
        "DeleteEndpoint",
        "UpdateEndpoint",
        "CreateEndpoint",
        "UpdateEndpointWeightsAndCapacities",
        *(f"{verb}{kind}Job" for verb in ("Create", "Describe", "Stop") for kind in JOB_KINDS),
    }
)


def snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def _json_default(value: Any) -> Any:
    # The JSON protocol's timestamps are epoch seconds.
    return value.timestamp() if isinstance(value, datetime) else str(value)


class Gateway:
    """SageMaker's operations over one local-mode client (one endpoint at a time: local mode
    serves on one port per session)."""

    def __init__(self, client: Any, upstream: str | None) -> None:
        self.client = client
        self.upstream = upstream.rstrip("/") if upstream else None
        self._lock = threading.Lock()
        self._running: dict[str, dict[str, Any]] = {}  # job or endpoint name -> its description
        self._failed_endpoints: dict[str, str] = {}

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        for kind in JOB_KINDS:
            if operation == f"Create{kind}Job":
                return self._create_job(kind, request)
            if operation == f"Describe{kind}Job":
                name = request[f"{kind}JobName"]
                with self._lock:
                    running = self._running.get(name)
                if running is not None:
                    return dict(running)
        if operation == "CreateEndpoint":
            return self._create_endpoint(request)
        if operation == "DescribeEndpoint":
            name = request["EndpointName"]
            with self._lock:
                failure = self._failed_endpoints.get(name)
                creating = self._running.get(name)
            if failure is not None:
                return {"EndpointName": name, "EndpointStatus": "Failed", "FailureReason": failure}
            if creating is not None:
                return dict(creating)
        if operation == "UpdateEndpoint":
            # boto3 sends RetainAllVariantProperties; local mode takes two arguments and then
            # refuses the update anyway (NotImplementedError: told to the caller below).
            request = {k: request[k] for k in ("EndpointName", "EndpointConfigName")}
        if operation == "DeleteEndpoint":
            with self._lock:
                self._failed_endpoints.pop(request["EndpointName"], None)
        method = getattr(self.client, snake(operation), None)
        if method is None:  # e.g. UpdateEndpointWeightsAndCapacities
            raise NotImplementedError(f"{operation} is not implemented by SageMaker's local mode")
        return dict(method(**request) or {})

    def _create_job(self, kind: str, request: dict[str, Any]) -> dict[str, Any]:
        name = request[f"{kind}JobName"]
        described = {f"{kind}JobName": name, f"{kind}JobStatus": "InProgress"}
        create = getattr(self.client, f"create_{JOB_KINDS[kind]}_job")

        def run() -> None:
            try:
                create(**request)  # LocalModeClient records a failed container itself
            except Exception as exc:  # anything else (S3, Docker): the job failed, say why
                log.exception("local-mode %s job %s failed", kind.lower(), name)
                self.client.record_failure(kind, name, f"{type(exc).__name__}: {exc}")
            finally:
                with self._lock:
                    self._running.pop(name, None)

        self._background(name, described, run)
        return {f"{kind}JobArn": f"arn:aws:sagemaker:local:000000000000:{kind.lower()}-job/{name}"}

    def _create_endpoint(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["EndpointName"]

        def run() -> None:
            try:
                self.client.create_endpoint(**request)
            except Exception as exc:
                log.exception("local-mode endpoint %s failed", name)
                with self._lock:
                    self._failed_endpoints[name] = f"{type(exc).__name__}: {exc}"[-1024:]
            finally:
                with self._lock:
                    self._running.pop(name, None)

        described = {
            "EndpointName": name,
            "EndpointConfigName": request["EndpointConfigName"],
            "EndpointStatus": "Creating",
        }
        self._background(name, described, run)
        return {"EndpointArn": f"arn:aws:sagemaker:local:000000000000:endpoint/{name}"}

    def _background(self, name: str, described: dict[str, Any], run: Callable[[], None]) -> None:
        with self._lock:
            self._failed_endpoints.pop(name, None)
            self._running[name] = described
        threading.Thread(target=run, name=f"local-mode-{name}", daemon=True).start()


class _Handler(BaseHTTPRequestHandler):
    gateway: Gateway
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        try:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/endpoints/") and self.path.endswith("/invocations"):
                self._invoke(body)
                return
            target = self.headers.get("X-Amz-Target", "")
            operation = target.removeprefix("SageMaker.")
            if operation in LOCAL_OPERATIONS:
                self._local(operation, json.loads(body or b"{}"))
            else:
                self._forward(body)
        except Exception as exc:  # a server never dies on a request
            log.exception("request failed")
            self._error(500, "InternalFailure", f"{type(exc).__name__}: {exc}")

    def _local(self, operation: str, request: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        try:
            answer = self.gateway.call(operation, request)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            self._error(400, error.get("Code", "ValidationException"), error.get("Message", ""))
            return
        except (NotImplementedError, TypeError, KeyError) as exc:
            self._error(400, "ValidationException", f"local mode: {type(exc).__name__}: {exc}")
            return
        self._send(200, json.dumps(answer, default=_json_default).encode())

    def _forward(self, body: bytes) -> None:
        """Everything local mode does not implement goes to the upstream SageMaker (moto)."""
        if self.gateway.upstream is None:
            self._error(400, "UnknownOperationException", "no upstream for this operation")
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
        request = urllib.request.Request(
            f"{self.gateway.upstream}{self.path}", data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                status, content, kind = answer.status, answer.read(), answer.headers
        except urllib.error.HTTPError as exc:
            status, content, kind = exc.code, exc.read(), exc.headers
        self._send(status, content, kind.get("Content-Type", "application/x-amz-json-1.1"))

    def _invoke(self, body: bytes) -> None:
        """boto3's sagemaker-runtime InvokeEndpoint, to local mode's serving container."""
        url = f"{self.gateway.client.serving_url}/invocations"
        headers = {
            k: v
            for k, v in self.headers.items()
            if k.lower() in ("content-type", "accept") or k.lower().startswith("x-amzn-sagemaker")
        }
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                content, kind = answer.read(), answer.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:  # SageMaker's answer to a model's 4xx/5xx
            original = exc.read().decode(errors="replace")
            self._send(
                424,
                json.dumps(
                    {
                        "__type": "ModelError",
                        "message": f"Received client error ({exc.code}) from primary",
                        "OriginalStatusCode": exc.code,
                        "OriginalMessage": original,
                    }
                ).encode(),
            )
            return
        self._send(200, content, kind or "application/json")

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, json.dumps({"__type": code, "message": message}).encode())

    def _send(
        self, status: int, body: bytes, content_type: str = "application/x-amz-json-1.1"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(gateway: Gateway, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A started server (its own thread); ``server.server_address`` says where."""

    class Handler(_Handler):
        pass

    Handler.gateway = gateway
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="sagemaker-gateway", daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    from stainless.backends.sagemaker_local import local_mode_client

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--upstream", help="where other SageMaker operations go (moto)")
    parser.add_argument("--serving-port", type=int, help="local mode's endpoint port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    client = local_mode_client(serving_port=args.serving_port)
    server = serve(Gateway(client, args.upstream), args.host, args.port)
    host, port = server.server_address[:2]
    print(f"listening on http://{host!s}:{port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        for name in client.endpoint_names():  # stop the containers local mode started
            client.delete_endpoint(EndpointName=name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
