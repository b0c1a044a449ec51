"""A SageMaker real-time endpoint with production variants (boto3: the `aws` extra).

``sagemaker://[NAME]?role=ARN&image=URI&instance_type=ml.m5.large&instance_count=1&region=R``;
``role`` and ``image`` may come from ``STAINLESS_SAGEMAKER_ROLE`` / ``STAINLESS_IMAGE_URI``
instead (CI knows the image it pushed); instance type and count default to the
:class:`EndpointSettings` built from model.yaml (``resources.serve``, ``hosting``). Each variant is
a SageMaker model (our image + the version's model.tar.gz on S3, ``VariantSpec.model_data``);
adding or removing one is a new endpoint config + ``update_endpoint`` (blue/green, no
downtime); weights change in place. Counters: SageMaker's per-variant CloudWatch metrics.

Every variant has an autoscaling target (sagemaker_scaling) and SLO alarms (sagemaker_alarms),
deregistered before the update that removes it (SageMaker refuses otherwise), registered once
the update that adds it is in service. The endpoint config carries a DataCaptureConfig if asked.
"""

from __future__ import annotations

import math
import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stainless.backends.aws import client_config, sagemaker_poll_s
from stainless.backends.endpoints import (
    EndpointSettings,
    EndpointStatus,
    VariantCounters,
    VariantInfo,
    VariantSpec,
)
from stainless.backends.endpoints.sagemaker_alarms import VariantAlarms, VariantAttachments
from stainless.backends.endpoints.sagemaker_metrics import variant_counters
from stainless.backends.endpoints.sagemaker_scaling import VariantScaling, data_capture_config
from stainless.backends.sagemaker_local import local_mode_requested, sagemaker_client
from stainless.core.errors import BackendError, MissingExtraError
from stainless.core.uris import Uri

_VERSION_SUFFIX = re.compile(r"-v(\d+)$")
DEFAULT_WINDOW_S = 3 * 3600  # counters() without ``since``
DEFAULT_INSTANCE_TYPE = "ml.m5.large"


def model_name(endpoint: str, variant: str, version: int) -> str:
    """SageMaker names are at most 63 characters; the version is recoverable from the end."""
    suffix = f"-{variant}-v{version}"
    return endpoint[: 63 - len(suffix)] + suffix


def config_variants(
    current: list[dict[str, Any]],
    weights: dict[str, float],
    add: dict[str, Any] | None = None,
    remove: str | None = None,
    counts: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """The ProductionVariants of the next endpoint config: the current ones at their current
    weights and instance counts (autoscaling may have moved them since the config was made),
    plus ``add`` or minus ``remove``."""
    keep = ("VariantName", "ModelName", "InstanceType", "InitialInstanceCount")
    counts = counts or {}
    variants = [
        {
            **{k: v[k] for k in keep if k in v},
            "InitialVariantWeight": weights.get(v["VariantName"], v["InitialVariantWeight"]),
        }
        for v in current
        if v["VariantName"] != remove
    ]
    for variant in variants:
        if counts.get(variant["VariantName"], 0) > 0:
            variant["InitialInstanceCount"] = counts[variant["VariantName"]]
    if add is not None:
        variants.append(add)
    return variants


class SageMakerEndpoint:
    def __init__(
        self,
        name: str,
        *,
        role: str | None,
        image: str | None,
        region: str | None,
        instance_type: str = DEFAULT_INSTANCE_TYPE,
        instance_count: int = 1,
        settings: EndpointSettings | None = None,
        poll_s: float | None = None,
        wait_timeout_s: float = 1800.0,
        local_mode: bool | None = None,
    ) -> None:
        try:
            import boto3
        except ImportError:
            raise MissingExtraError("boto3", "aws", "the SageMaker endpoint") from None
        self.name = name
        self.role = role
        self.image = image
        self.instance_type = instance_type
        self.instance_count = instance_count
        self.settings = settings or EndpointSettings()
        self.poll_s = sagemaker_poll_s(15.0) if poll_s is None else poll_s
        self.wait_timeout_s = wait_timeout_s
        session = boto3.session.Session(region_name=region)
        self.region = session.region_name or "us-east-1"
        # The rehearsal: local mode's client (docs/rehearsal.md) in place of SageMaker's.
        self.local_mode = local_mode_requested() if local_mode is None else local_mode
        self.sagemaker = sagemaker_client(session, self.local_mode)
        self.cloudwatch = session.client("cloudwatch", config=client_config())
        scaling = session.client("application-autoscaling", config=client_config())
        self.scaling = VariantAttachments(  # registered and deregistered with each variant
            VariantScaling(scaling, name, self.settings.autoscaling, self._error),
            VariantAlarms(self.cloudwatch, name, self.settings.slo, self._error),
        )

    @classmethod
    def from_uri(
        cls, uri: Uri, base: Path, name: str, settings: EndpointSettings | None = None
    ) -> SageMakerEndpoint:
        """The URI's location names the endpoint (default: the model's name); its query
        overrides the settings from model.yaml."""
        query = uri.query
        settings = settings or EndpointSettings()
        count = query.get("instance_count")
        if count is not None and (not count.isdigit() or int(count) < 1):
            raise BackendError(
                "instance_count must be a whole number >= 1",
                key="endpoint",
                found=uri.raw,
                fix="write e.g. sagemaker://NAME?instance_count=2, or use hosting.instance_count",
            )
        return cls(
            uri.location.strip("/") or name,
            role=query.get("role") or os.environ.get("STAINLESS_SAGEMAKER_ROLE"),
            image=query.get("image")
            or os.environ.get("STAINLESS_IMAGE_URI")
            or os.environ.get("STAINLESS_IMAGE"),  # the name the aws DAG's workers use
            region=query.get("region"),
            instance_type=query.get("instance_type")
            or settings.instance_type
            or DEFAULT_INSTANCE_TYPE,
            instance_count=int(count) if count else settings.instance_count,
            settings=settings,
            local_mode=local_mode_requested(query),
        )

    @property
    def url(self) -> str:
        """The runtime endpoint boto3's ``sagemaker-runtime`` client calls (SigV4-signed)."""
        if self.local_mode:
            return str(self.sagemaker.serving_url)
        return f"https://runtime.sagemaker.{self.region}.amazonaws.com"

    # -- lifecycle ----------------------------------------------------------------------------
    def up(self, initial: VariantSpec | None = None) -> EndpointStatus:
        if self._describe() is None:
            if initial is None:
                raise BackendError(
                    f"SageMaker endpoint {self.name!r} does not exist",
                    fix="pass its first variant (the production version)",
                )
            config = self._new_config([self._variant(initial)])
            self._call("create_endpoint", EndpointName=self.name, EndpointConfigName=config)
            self._wait_in_service()
        # Also a repair: an endpoint whose scaling registration was lost (or whose model.yaml
        # changed min/max) gets it back.
        current, _, _ = self._current()
        for variant in current:
            self.scaling.register(variant["VariantName"])
        return self.status()

    def down(self) -> None:
        described = self._describe()
        if described is None:
            return
        config = described["EndpointConfigName"]
        variants = self._config(config)["ProductionVariants"]
        models = [v["ModelName"] for v in variants]
        for variant in variants:
            self.scaling.deregister(variant["VariantName"])
        self._call("delete_endpoint", EndpointName=self.name)
        self._call("delete_endpoint_config", EndpointConfigName=config)
        for model in models:
            self._call("delete_model", ModelName=model)

    def status(self) -> EndpointStatus:
        described = self._describe()
        if described is None:
            return EndpointStatus(running=False, url=self.url, variants=[], name=self.name)
        configured = self._config(described["EndpointConfigName"])["ProductionVariants"]
        by_name = {v["VariantName"]: v for v in configured}  # its model and instance type
        variants = []
        for live in described.get("ProductionVariants", []):
            name, count = live["VariantName"], int(live.get("CurrentInstanceCount", 1))
            match = _VERSION_SUFFIX.search(by_name.get(name, {}).get("ModelName", ""))
            variants.append(
                VariantInfo(
                    name=name,
                    version=int(match.group(1)) if match else 0,
                    weight=float(live.get("CurrentWeight", 0.0)),
                    url=f"{self.url}/endpoints/{self.name}/invocations",
                    healthy=described["EndpointStatus"] in ("InService", "Updating") and count > 0,
                    instance_type=by_name.get(name, {}).get("InstanceType"),
                    instance_count=count,
                )
            )
        return EndpointStatus(
            running=described["EndpointStatus"] == "InService",
            url=self.url,
            variants=variants,
            name=self.name,
        )

    # -- variants -----------------------------------------------------------------------------
    def add_variant(self, spec: VariantSpec) -> None:
        current, weights, counts = self._current()
        if any(v["VariantName"] == spec.name for v in current):
            # Already there (a resumed rollout repeats this call); its scaling may not be.
            self.scaling.register(spec.name)
            return
        self._update(config_variants(current, weights, add=self._variant(spec), counts=counts))
        self.scaling.register(spec.name)

    def set_weights(self, weights: dict[str, float]) -> None:
        desired = [
            {"VariantName": name, "DesiredWeight": float(weight)}
            for name, weight in weights.items()
        ]
        self._call(
            "update_endpoint_weights_and_capacities",
            EndpointName=self.name,
            DesiredWeightsAndCapacities=desired,
        )
        self._wait_in_service()

    def remove_variant(self, name: str) -> None:
        current, weights, counts = self._current()
        if all(v["VariantName"] != name for v in current):
            self.scaling.deregister(name)  # an earlier attempt may have stopped in between
            return
        if len(current) == 1:
            raise BackendError(
                f"{name!r} is the only variant of endpoint {self.name!r}",
                fix="delete the endpoint instead (`stainless endpoint down`)",
            )
        # SageMaker refuses to update away a variant that is still a scalable target.
        self.scaling.deregister(name)
        self._update(config_variants(current, weights, remove=name, counts=counts))

    def counters(self, since: float | None = None) -> dict[str, VariantCounters]:
        # A minute past now: the newest datapoint's timestamp can lie ahead of our clock.
        end = datetime.now(UTC) + timedelta(seconds=60)
        start = (
            datetime.fromtimestamp(since, UTC)
            if since is not None
            else end - timedelta(seconds=DEFAULT_WINDOW_S)
        )
        # One period spanning the window: CloudWatch returns one datapoint per metric.
        period = max(60, math.ceil((end - start).total_seconds() / 60) * 60)
        names = [v.name for v in self.status().variants]
        return {
            name: variant_counters(
                self.cloudwatch, self.name, name, (start, end, period), self._error
            )
            for name in names
        }

    # -- internals ----------------------------------------------------------------------------

    def _variant(self, spec: VariantSpec) -> dict[str, Any]:
        """Create the SageMaker model of a variant; return its ProductionVariant entry."""
        if not (spec.model_data or "").startswith("s3://"):
            raise BackendError(
                f"variant {spec.name!r} has no model.tar.gz on S3",
                found=str(spec.model_data),
                key="VariantSpec.model_data",
                fix="use an s3:// artifact store (model.yaml `store:`) and pass the registry "
                "version's artifact URI",
            )
        for what, value, source in (
            ("role", self.role, "STAINLESS_SAGEMAKER_ROLE"),
            ("image", self.image, "STAINLESS_IMAGE_URI"),
        ):
            if not value:
                raise BackendError(
                    f"the SageMaker endpoint needs an execution {what}",
                    key="endpoint",
                    fix=f"add ?{what}=... to the sagemaker:// URI in model.yaml, or set {source}",
                )
        name = model_name(self.name, spec.name, spec.version)
        self._call(
            "create_model",
            ModelName=name,
            ExecutionRoleArn=self.role,
            PrimaryContainer={
                "Image": self.image,
                "ModelDataUrl": spec.model_data,
                "Environment": {
                    **self.settings.container_env,
                    "STAINLESS_MODEL_VERSION": str(spec.version),
                },
            },
        )
        return {
            "VariantName": spec.name,
            "ModelName": name,
            "InstanceType": self.instance_type,
            "InitialInstanceCount": self.instance_count,
            "InitialVariantWeight": float(spec.weight),
        }

    def _new_config(self, variants: list[dict[str, Any]]) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        name = f"{self.name[: 62 - len(stamp)]}-{stamp}"
        extra: dict[str, Any] = {}
        if self.settings.data_capture is not None:
            extra["DataCaptureConfig"] = data_capture_config(self.settings.data_capture)
        self._call(
            "create_endpoint_config", EndpointConfigName=name, ProductionVariants=variants, **extra
        )
        return name

    def _update(self, variants: list[dict[str, Any]]) -> None:
        config = self._new_config(variants)
        self._call(
            "update_endpoint",
            EndpointName=self.name,
            EndpointConfigName=config,
            RetainAllVariantProperties=False,
        )
        self._wait_in_service()

    def _current(self) -> tuple[list[dict[str, Any]], dict[str, float], dict[str, int]]:
        """The current config's variants, their live weights and live instance counts."""
        described = self._describe()
        if described is None:
            raise BackendError(
                f"SageMaker endpoint {self.name!r} does not exist",
                fix="create it with `stainless endpoint up`",
            )
        live = described.get("ProductionVariants", [])
        weights = {v["VariantName"]: float(v.get("CurrentWeight", 0.0)) for v in live}
        counts = {
            v["VariantName"]: int(
                v.get("DesiredInstanceCount") or v.get("CurrentInstanceCount") or 0
            )
            for v in live
        }
        config = self._config(described["EndpointConfigName"])
        return list(config["ProductionVariants"]), weights, counts

    def _describe(self) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return dict(self.sagemaker.describe_endpoint(EndpointName=self.name))
        except ClientError as exc:
            if "Could not find" in str(exc) or exc.response["Error"]["Code"] in (
                "ValidationException",
                "ValidationError",
            ):
                return None
            raise self._error("describe_endpoint", exc) from exc

    def _config(self, name: str) -> dict[str, Any]:
        return dict(self._call("describe_endpoint_config", EndpointConfigName=name))

    def _wait_in_service(self) -> None:
        deadline = time.monotonic() + self.wait_timeout_s
        while True:
            described = self._describe()
            state = described["EndpointStatus"] if described else "missing"
            if state == "InService":
                return
            if state in ("Failed", "missing") or time.monotonic() > deadline:
                reason = (described or {}).get("FailureReason", state)
                raise BackendError(
                    f"SageMaker endpoint {self.name!r} is {state}: {reason}",
                    fix="see the endpoint's CloudWatch logs "
                    f"(/aws/sagemaker/Endpoints/{self.name})",
                )
            time.sleep(self.poll_s)

    def _call(self, operation: str, client: Any = None, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(client or self.sagemaker, operation)(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(operation, exc) from exc

    def _error(self, operation: str, exc: Exception) -> BackendError:
        return BackendError(
            f"SageMaker {operation} failed for endpoint {self.name!r}: {exc}",
            fix="check the AWS credentials, region and IAM permissions",
        )
