"""How the model's endpoint hosts it, from model.yaml: ``resources.serve`` picks the instance type
(the cheapest fitting one unless ``instance_type`` is set), ``hosting`` the count, autoscaling
and who captures data; ``serving.capture_sample_rate`` the capture sampling; ``monitoring.slo``
the CloudWatch alarms of each variant.

Only cloud endpoints use these settings; the local endpoint runs on this machine as it is.
"""

from __future__ import annotations

import math

from stainless.backends.compute.instances import resolve_instance
from stainless.backends.endpoints import (
    CAPTURE_ENV,
    Autoscaling,
    DataCapture,
    EndpointSettings,
    SloAlarms,
)
from stainless.core.errors import ConfigError
from stainless.project.config import CONFIG_FILE, ModelConfig

CAPTURE_PREFIX = "datacapture"


def endpoint_settings(config: ModelConfig) -> EndpointSettings:
    hosting = config.raw["hosting"]
    if not config.backend("endpoint").startswith("sagemaker:"):
        return EndpointSettings()
    instance = resolve_instance(config.resources_for("serve"), "endpoint", key="resources.serve")
    scaling = hosting["autoscaling"]
    autoscaling = None
    if scaling["enabled"]:
        if scaling["max_instances"] < scaling["min_instances"]:
            raise ConfigError(
                "max_instances is below min_instances",
                file=CONFIG_FILE,
                key="hosting.autoscaling.max_instances",
                expected=f"at least {scaling['min_instances']}",
                found=str(scaling["max_instances"]),
                fix="raise max_instances or lower min_instances",
            )
        count = hosting["instance_count"]
        if not scaling["min_instances"] <= count <= scaling["max_instances"]:
            raise ConfigError(
                "instance_count lies outside the autoscaling range (autoscaling would move it "
                "at once)",
                file=CONFIG_FILE,
                key="hosting.instance_count",
                expected=f"between {scaling['min_instances']} and {scaling['max_instances']}",
                found=str(count),
                fix="change instance_count or hosting.autoscaling.min_instances/max_instances",
            )
        autoscaling = Autoscaling(
            min_instances=int(scaling["min_instances"]),
            max_instances=int(scaling["max_instances"]),
            invocations_per_instance=float(scaling["invocations_per_instance"]),
            scale_in_cooldown_s=int(scaling["scale_in_cooldown_seconds"]),
            scale_out_cooldown_s=int(scaling["scale_out_cooldown_seconds"]),
        )
    # The container loads model.yaml's environment (its secrets, its store) like the jobs do.
    container_env = {"STAINLESS_ENV": config.env} if config.env else {}
    data_capture = None
    rate = float(config.raw["serving"]["capture_sample_rate"])
    if hosting["data_capture"] == "sagemaker":
        container_env[CAPTURE_ENV] = "off"
        if rate > 0:
            data_capture = DataCapture(
                destination=f"{_s3_store(config)}/{CAPTURE_PREFIX}",
                # SageMaker samples in whole percent; a small non-zero rate keeps 1 %.
                sampling_percentage=max(1, min(100, math.floor(rate * 100 + 0.5))),
            )
    slo = config.raw["monitoring"]["slo"]
    return EndpointSettings(
        instance_type=str(instance["instance_type"]),
        instance_count=int(hosting["instance_count"]),
        autoscaling=autoscaling,
        data_capture=data_capture,
        container_env=container_env,
        slo=SloAlarms(
            error_rate=float(slo["error_rate"]),
            latency_p95_ms=slo["latency_p95_ms"],
            min_requests=int(slo["min_requests"]),
            alarm_actions=tuple(slo["alarm_actions"]),
        )
        if slo["enabled"]
        else None,
    )


def _s3_store(config: ModelConfig) -> str:
    store = config.backend("store")
    if not store.startswith("s3://"):
        where = f"environments.{config.env}.store" if config.env else "store"
        raise ConfigError(
            "SageMaker's data capture writes to S3, but the artifact store is not on S3",
            file=CONFIG_FILE,
            key=where,
            found=store,
            fix="use an s3://BUCKET/PREFIX store with a sagemaker:// endpoint, or set "
            "hosting.data_capture: server",
        )
    return store.rstrip("/")
