"""How a SageMaker endpoint's variants scale and capture data: Application Auto Scaling targets
and policies per variant, and the endpoint config's DataCaptureConfig.

SageMaker refuses to update an endpoint away from a variant that is still a scalable target, so
:class:`VariantScaling` is driven by the endpoint: deregister before the update that removes a
variant, register after the update that adds one is in service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stainless.backends.endpoints import Autoscaling, DataCapture
from stainless.core.errors import BackendError

SCALING_NAMESPACE = "sagemaker"
SCALING_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
SCALING_METRIC = "SageMakerVariantInvocationsPerInstance"
SCALING_POLICY = "stainless-invocations-per-instance"


def scaling_resource_id(endpoint: str, variant: str) -> str:
    return f"endpoint/{endpoint}/variant/{variant}"


def data_capture_config(capture: DataCapture) -> dict[str, Any]:
    """The endpoint config's DataCaptureConfig: requests and responses, sampled."""
    return {
        "EnableCapture": True,
        "InitialSamplingPercentage": capture.sampling_percentage,
        "DestinationS3Uri": capture.destination,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        # Recorded as text rather than base64: our requests and responses are JSON.
        "CaptureContentTypeHeader": {
            "JsonContentTypes": ["application/json", "application/jsonlines"]
        },
    }


class VariantScaling:
    """Target tracking of each variant of one endpoint (``settings`` None: autoscaling off)."""

    def __init__(
        self,
        client: Any,
        endpoint: str,
        settings: Autoscaling | None,
        error: Callable[[str, Exception], BackendError],
    ) -> None:
        self.client = client
        self.endpoint = endpoint
        self.settings = settings
        self._error = error

    def _target(self, variant: str) -> dict[str, str]:
        return {
            "ServiceNamespace": SCALING_NAMESPACE,
            "ResourceId": scaling_resource_id(self.endpoint, variant),
            "ScalableDimension": SCALING_DIMENSION,
        }

    def register(self, variant: str) -> None:
        """Make ``variant`` a scalable target with our target-tracking policy (idempotent:
        both calls update an existing registration)."""
        scaling = self.settings
        if scaling is None:
            return
        target = self._target(variant)
        self._call(
            "register_scalable_target",
            MinCapacity=scaling.min_instances,
            MaxCapacity=scaling.max_instances,
            **target,
        )
        self._call(
            "put_scaling_policy",
            PolicyName=SCALING_POLICY,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": float(scaling.invocations_per_instance),
                "PredefinedMetricSpecification": {"PredefinedMetricType": SCALING_METRIC},
                "ScaleInCooldown": scaling.scale_in_cooldown_s,
                "ScaleOutCooldown": scaling.scale_out_cooldown_s,
            },
            **target,
        )

    def deregister(self, variant: str) -> None:
        """Remove the variant's scaling policy and target, whoever registered them (autoscaling
        may be off in model.yaml now and on when the variant was created); absent is fine."""
        target = self._target(variant)
        for operation, extra in (
            ("delete_scaling_policy", {"PolicyName": SCALING_POLICY}),
            ("deregister_scalable_target", {}),
        ):
            try:
                getattr(self.client, operation)(**target, **extra)
            except Exception as exc:
                if not _not_found(exc):
                    raise self._error(operation, exc) from exc

    def _call(self, operation: str, **kwargs: Any) -> None:
        try:
            getattr(self.client, operation)(**kwargs)
        except Exception as exc:
            raise self._error(operation, exc) from exc


def _not_found(exc: Exception) -> bool:
    """Application Auto Scaling's answer for a target or policy that is not there
    (ObjectNotFoundException; some implementations say ValidationException "No ... found")."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    error = response.get("Error", {})
    message = str(error.get("Message", "")).lower()
    return error.get("Code") == "ObjectNotFoundException" or (
        error.get("Code") == "ValidationException" and "no " in message and "found" in message
    )
