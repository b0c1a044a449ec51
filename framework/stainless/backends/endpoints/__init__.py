"""Endpoints: a named HTTPS/HTTP entry point serving one or more model versions ("production
variants") with a traffic split, mirroring a SageMaker endpoint.

The rollout controller drives an endpoint only through :class:`Endpoint`: add the candidate as a
variant, shift weights, read per-variant counters, remove the loser.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from stainless.backends import resolve

IMPLEMENTATIONS = {
    "local": "stainless.backends.endpoints.local.endpoint:LocalEndpoint",
    "sagemaker": "stainless.backends.endpoints.sagemaker:SageMakerEndpoint",
}


@dataclass(frozen=True)
class VariantSpec:
    """One model version to serve: ``model_dir`` is the extracted model.tar.gz (local endpoint);
    ``model_data`` the model.tar.gz's URI in the store (``s3://...``, needed by SageMaker)."""

    name: str
    version: int
    model_dir: Path
    weight: float
    model_data: str | None = None


@dataclass(frozen=True)
class VariantInfo:
    name: str
    version: int
    weight: float
    url: str
    healthy: bool
    # What the variant runs on (cost): SageMaker's instance type and current instance count
    # (autoscaling changes it); None locally, where a variant is one process on this machine.
    instance_type: str | None = None
    instance_count: int = 1


@dataclass(frozen=True)
class EndpointStatus:
    running: bool
    url: str
    variants: list[VariantInfo] = field(default_factory=list)
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VariantCounters:
    """Traffic a variant served. ``model_errors`` are 5xx answers (the model raised or broke its
    response schema) plus crashes and timeouts; ``client_errors`` are invalid requests (4xx), which
    are not the model's fault. Latency covers requests the variant answered."""

    requests: int = 0
    ok: int = 0
    client_errors: int = 0
    model_errors: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None  # for rollout.latency_percentile: p99

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Set to "off" in a cloud endpoint's containers when the endpoint samples requests itself
# (SageMaker's DataCaptureConfig); the model server then does not capture.
CAPTURE_ENV = "STAINLESS_CAPTURE"


@dataclass(frozen=True)
class Autoscaling:
    """Target tracking of one variant's instance count (SageMaker: Application Auto Scaling)."""

    min_instances: int = 1
    max_instances: int = 4
    invocations_per_instance: float = 600.0  # per minute, SageMakerVariantInvocationsPerInstance
    scale_in_cooldown_s: int = 300
    scale_out_cooldown_s: int = 60


@dataclass(frozen=True)
class DataCapture:
    """Request/response sampling done by the endpoint itself (SageMaker's DataCaptureConfig)."""

    destination: str  # s3://... ; SageMaker adds <endpoint>/<variant>/yyyy/mm/dd/hh/
    sampling_percentage: int


@dataclass(frozen=True)
class SloAlarms:
    """Objectives a cloud endpoint turns into alarms per variant (model.yaml ``monitoring.slo``;
    SageMaker: CloudWatch burn-rate alarms)."""

    error_rate: float  # allowed share of failed requests, e.g. 0.001
    latency_p95_ms: float | None = None
    min_requests: int = 10
    alarm_actions: tuple[str, ...] = ()  # ARNs notified when an alarm fires (e.g. SNS topics)


@dataclass(frozen=True)
class EndpointSettings:
    """How a cloud endpoint hosts its variants (model.yaml ``resources.serve`` and ``hosting``);
    the local endpoint ignores them. ``container_env`` is handed to every variant's container:
    names and non-secret values only (secrets are resolved inside the container)."""

    instance_type: str | None = None
    instance_count: int = 1
    autoscaling: Autoscaling | None = None
    data_capture: DataCapture | None = None
    container_env: dict[str, str] = field(default_factory=dict)
    slo: SloAlarms | None = None


@runtime_checkable
class Endpoint(Protocol):
    @property
    def url(self) -> str:
        """Base URL of the endpoint (``{url}/endpoints/{name}/invocations`` for boto3)."""
        ...

    def up(self, initial: VariantSpec | None = None) -> EndpointStatus:
        """Start (or repair) the endpoint; idempotent. ``initial`` is its first variant."""
        ...

    def down(self) -> None: ...
    def status(self) -> EndpointStatus: ...

    def add_variant(self, spec: VariantSpec) -> None:
        """Serve another version; returns once it answers health checks (bounded wait)."""
        ...

    def set_weights(self, weights: dict[str, float]) -> None:
        """Relative weights of the named variants (others unchanged); in effect on return."""
        ...

    def remove_variant(self, name: str) -> None: ...

    def counters(self, since: float | None = None) -> dict[str, VariantCounters]:
        """Per-variant traffic since the unix time ``since`` (whole seconds; all when None)."""
        ...


def open_endpoint(
    uri: str, base: Path, name: str, settings: EndpointSettings | None = None
) -> Endpoint:
    cls, parsed = resolve("endpoint", IMPLEMENTATIONS, uri)
    return cls.from_uri(parsed, base, name, settings or EndpointSettings())
