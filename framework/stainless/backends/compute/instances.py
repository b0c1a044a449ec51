"""The cheapest SageMaker instance type for a stage's CPUs and memory.

A data scientist states what a stage needs (``resources.train: {cpus: 4, memory_gb: 16}``);
picking among dozens of ml.* types by hand is error-prone and usually over-provisions. The table
is small on purpose: general purpose (m5), compute optimised (c5), memory optimised (r5) and the
burstable types (t3 for processing jobs, t2 for endpoints).

The bundled prices are approximate on-demand USD per hour in us-east-1 (training-job prices),
written on the date in ``BUNDLED``. ``stainless instances --refresh`` replaces them with the AWS
Pricing API's current prices for a region (per job kind: training, processing, hosting), saved to
``price_table_path()``; every reader (the picker, cost figures) then uses that table, and every
cost figure says which table (region, date) it came from.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stainless.core.atomic import write_text
from stainless.core.errors import ConfigError

JOB_KINDS = ("training", "processing", "endpoint")


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_gib: float
    hourly_usd: float  # the training price (or the lowest known): what the picker ranks by
    kinds: frozenset[str]
    # Per job kind, when the table knows them (a refreshed one does): hosting costs more than
    # training for the same type, and t3 has no training price at all.
    prices: Mapping[str, float] = field(default_factory=dict, compare=False, hash=False)

    def fits(self, cpus: float, memory_gb: float) -> bool:
        return self.vcpus >= cpus and self.memory_gib >= memory_gb

    def price(self, kind: str) -> float:
        """USD per hour of this type for a job of ``kind`` (training, processing, endpoint)."""
        return float(self.prices.get(kind, self.hourly_usd))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "vcpus": self.vcpus,
            "memory_gib": self.memory_gib,
            "hourly_usd": self.hourly_usd,
            "kinds": sorted(self.kinds),
            "prices": dict(sorted(self.prices.items())),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InstanceType:
        return cls(
            str(data["name"]),
            int(data["vcpus"]),
            float(data["memory_gib"]),
            float(data["hourly_usd"]),
            frozenset(data["kinds"]),
            {str(k): float(v) for k, v in (data.get("prices") or {}).items()},
        )


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
# The families the picker chooses among; a refresh fetches these (and keeps forced types priced).
FAMILIES = ("ml.t2.", "ml.t3.", "ml.m5.", "ml.c5.", "ml.r5.")
PRICE_TABLE_ENV = "STAINLESS_PRICE_TABLE"


@dataclass(frozen=True)
class PriceTable:
    """Instance types and their on-demand prices in one region, as of one date."""

    region: str
    as_of: str  # ISO date the prices were read
    source: str
    instances: tuple[InstanceType, ...]

    def get(self, name: str) -> InstanceType | None:
        return next((i for i in self.instances if i.name == name), None)

    @property
    def label(self) -> str:
        """How a cost figure names its prices, e.g. ``us-east-1 prices of 2026-11-28 (bundled)``."""
        return f"{self.region} prices of {self.as_of} ({self.source})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "as_of": self.as_of,
            "source": self.source,
            "instances": [i.to_dict() for i in self.instances],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PriceTable:
        return cls(
            str(data["region"]),
            str(data["as_of"]),
            str(data["source"]),
            tuple(InstanceType.from_dict(i) for i in data["instances"]),
        )


BUNDLED = PriceTable("us-east-1", "2026-11-28", "bundled, approximate", INSTANCE_TYPES)


def price_table_path() -> Path:
    """Where ``stainless instances --refresh`` saves the table (``$STAINLESS_PRICE_TABLE``, else
    the user's cache directory)."""
    if os.environ.get(PRICE_TABLE_ENV):
        return Path(os.environ[PRICE_TABLE_ENV])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "stainless" / "instance-prices.json"


def load_price_table() -> PriceTable:
    """The refreshed table when there is one, else the bundled one."""
    path = price_table_path()
    if not path.is_file():
        return BUNDLED
    try:
        return PriceTable.from_dict(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"the saved instance price table is unreadable: {exc}",
            file=str(path),
            fix="run `stainless instances --refresh` again, or delete the file to use the "
            "bundled prices",
        ) from None


def save_price_table(table: PriceTable, path: Path | None = None) -> Path:
    target = path or price_table_path()
    write_text(target, json.dumps(table.to_dict(), indent=1) + "\n")
    return target


def cheapest_instance(
    cpus: float,
    memory_gb: float,
    kind: str = "training",
    key: str = "resources",
    table: PriceTable | None = None,
) -> InstanceType:
    """The lowest-priced type with at least ``cpus`` vCPUs and ``memory_gb`` GiB for ``kind``.

    Ties go to more memory, then more vCPUs (same price, more headroom).
    """
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown job kind {kind!r}; expected one of {', '.join(JOB_KINDS)}")
    types = (table or load_price_table()).instances
    candidates = [i for i in types if kind in i.kinds and i.fits(cpus, memory_gb)]
    if not candidates:
        largest = max((i for i in types if kind in i.kinds), key=lambda i: i.memory_gib)
        raise ConfigError(
            f"no SageMaker {kind} instance type has {cpus:g} vCPUs and {memory_gb:g} GiB",
            file="model.yaml",
            key=key,
            expected=f"at most {largest.vcpus} cpus and {largest.memory_gib:g} GiB "
            f"(the largest bundled type, {largest.name})",
            found=f"cpus: {cpus:g}, memory_gb: {memory_gb:g}",
            fix=f"lower {key}.cpus / memory_gb, or set {key}.instance_type explicitly",
        )
    return min(candidates, key=lambda i: (i.price(kind), -i.memory_gib, -i.vcpus))


def resolve_instance(resources: dict[str, object], kind: str, key: str) -> dict[str, object]:
    """What a stage runs on: the type forced in model.yaml, else the cheapest fitting one."""
    cpus = float(resources.get("cpus", 1))  # type: ignore[arg-type]
    memory_gb = float(resources.get("memory_gb", 2))  # type: ignore[arg-type]
    forced = resources.get("instance_type")
    if forced:
        known = load_price_table().get(str(forced))
        return {
            "instance_type": str(forced),
            "source": "model.yaml",
            "cpus": cpus,
            "memory_gb": memory_gb,
            "hourly_usd": known.price(kind) if known else None,
        }
    picked = cheapest_instance(cpus, memory_gb, kind, key)
    return {
        "instance_type": picked.name,
        "source": "cheapest fitting",
        "cpus": cpus,
        "memory_gb": memory_gb,
        "hourly_usd": picked.price(kind),
    }
