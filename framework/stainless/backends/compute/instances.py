"""The cheapest SageMaker instance type for a stage's CPUs and memory.

A data scientist states what a stage needs (``resources.train: {cpus: 4, memory_gb: 16}``);
picking among dozens of ml.* types by hand is error-prone and usually over-provisions. The table
is small on purpose: general purpose (m5), compute optimised (c5), memory optimised (r5) and the
burstable types (t3 for processing jobs, t2 for endpoints). Prices are approximate on-demand USD
per hour in us-east-1 (training-job prices), used to rank types, not to bill anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from stainless.core.errors import ConfigError

JOB_KINDS = ("training", "processing", "endpoint")


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_gib: float
    hourly_usd: float
    kinds: frozenset[str]

    def fits(self, cpus: float, memory_gb: float) -> bool:
        return self.vcpus >= cpus and self.memory_gib >= memory_gb


_ALL = frozenset(JOB_KINDS)
# Burstable types differ by job kind: processing takes t3, real-time endpoints only t2 (the
# ProductionVariantInstanceType enum of SageMaker's API; tests check the table against it).
_PROCESSING = frozenset({"processing"})
_ENDPOINT = frozenset({"endpoint"})

INSTANCE_TYPES: tuple[InstanceType, ...] = (
    InstanceType("ml.t3.medium", 2, 4, 0.050, _PROCESSING),
    InstanceType("ml.t3.large", 2, 8, 0.100, _PROCESSING),
    InstanceType("ml.t3.xlarge", 4, 16, 0.200, _PROCESSING),
    InstanceType("ml.t3.2xlarge", 8, 32, 0.399, _PROCESSING),
    InstanceType("ml.t2.medium", 2, 4, 0.056, _ENDPOINT),
    InstanceType("ml.t2.large", 2, 8, 0.111, _ENDPOINT),
    InstanceType("ml.t2.xlarge", 4, 16, 0.223, _ENDPOINT),
    InstanceType("ml.t2.2xlarge", 8, 32, 0.445, _ENDPOINT),
    InstanceType("ml.m5.large", 2, 8, 0.115, _ALL),
    InstanceType("ml.m5.xlarge", 4, 16, 0.230, _ALL),
    InstanceType("ml.m5.2xlarge", 8, 32, 0.461, _ALL),
    InstanceType("ml.m5.4xlarge", 16, 64, 0.922, _ALL),
    InstanceType("ml.m5.12xlarge", 48, 192, 2.765, _ALL),
    InstanceType("ml.m5.24xlarge", 96, 384, 5.530, _ALL),
    InstanceType("ml.c5.xlarge", 4, 8, 0.204, _ALL),
    InstanceType("ml.c5.2xlarge", 8, 16, 0.408, _ALL),
    InstanceType("ml.c5.4xlarge", 16, 32, 0.816, _ALL),
    InstanceType("ml.c5.9xlarge", 36, 72, 1.836, _ALL),
    InstanceType("ml.c5.18xlarge", 72, 144, 3.672, _ALL),
    InstanceType("ml.r5.large", 2, 16, 0.151, _ALL),
    InstanceType("ml.r5.xlarge", 4, 32, 0.302, _ALL),
    InstanceType("ml.r5.2xlarge", 8, 64, 0.605, _ALL),
    InstanceType("ml.r5.4xlarge", 16, 128, 1.210, _ALL),
    InstanceType("ml.r5.12xlarge", 48, 384, 3.629, _ALL),
    InstanceType("ml.r5.24xlarge", 96, 768, 7.258, _ALL),
)
BY_NAME = {instance.name: instance for instance in INSTANCE_TYPES}


def cheapest_instance(
    cpus: float, memory_gb: float, kind: str = "training", key: str = "resources"
) -> InstanceType:
    """The lowest-priced type with at least ``cpus`` vCPUs and ``memory_gb`` GiB for ``kind``.

    Ties go to more memory, then more vCPUs (same price, more headroom).
    """
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown job kind {kind!r}; expected one of {', '.join(JOB_KINDS)}")
    candidates = [i for i in INSTANCE_TYPES if kind in i.kinds and i.fits(cpus, memory_gb)]
    if not candidates:
        largest = max((i for i in INSTANCE_TYPES if kind in i.kinds), key=lambda i: i.memory_gib)
        raise ConfigError(
            f"no SageMaker {kind} instance type has {cpus:g} vCPUs and {memory_gb:g} GiB",
            file="model.yaml",
            key=key,
            expected=f"at most {largest.vcpus} cpus and {largest.memory_gib:g} GiB "
            f"(the largest bundled type, {largest.name})",
            found=f"cpus: {cpus:g}, memory_gb: {memory_gb:g}",
            fix=f"lower {key}.cpus / memory_gb, or set {key}.instance_type explicitly",
        )
    return min(candidates, key=lambda i: (i.hourly_usd, -i.memory_gib, -i.vcpus))


def resolve_instance(resources: dict[str, object], kind: str, key: str) -> dict[str, object]:
    """What a stage runs on: the type forced in model.yaml, else the cheapest fitting one."""
    cpus = float(resources.get("cpus", 1))  # type: ignore[arg-type]
    memory_gb = float(resources.get("memory_gb", 2))  # type: ignore[arg-type]
    forced = resources.get("instance_type")
    if forced:
        known = BY_NAME.get(str(forced))
        return {
            "instance_type": str(forced),
            "source": "model.yaml",
            "cpus": cpus,
            "memory_gb": memory_gb,
            "hourly_usd": known.hourly_usd if known else None,
        }
    picked = cheapest_instance(cpus, memory_gb, kind, key)
    return {
        "instance_type": picked.name,
        "source": "cheapest fitting",
        "cpus": cpus,
        "memory_gb": memory_gb,
        "hourly_usd": picked.hourly_usd,
    }
