"""Current SageMaker on-demand prices from the AWS Pricing API (boto3 ``pricing``; ``[aws]``).

The Pricing API answers from a few regions only (us-east-1 among them) but knows every region's
prices: we ask us-east-1 for the products of ``regionCode=<region>``, one job kind (SageMaker's
``component``: Training, Processing, Hosting) at a time, and keep the families the instance
picker chooses among. A product's price is its OnDemand term's USD per hour.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from stainless.backends.compute.instances import (
    BY_NAME,
    FAMILIES,
    InstanceType,
    PriceTable,
    load_price_table,
    save_price_table,
)
from stainless.core.errors import BackendError, MissingExtraError

SERVICE_CODE = "AmazonSageMaker"
# SageMaker's "component" attribute -> our job kind.
COMPONENTS = {"Training": "training", "Processing": "processing", "Hosting": "endpoint"}
PRICING_REGION = "us-east-1"  # the Pricing API's own endpoint; prices are for any region
_MEMORY = re.compile(r"([\d.,]+)\s*GiB", re.IGNORECASE)


def fetch_price_table(region: str, client: Any = None) -> PriceTable:
    """Today's on-demand prices of the picker's instance families in ``region``."""
    client = client or _pricing_client()
    found: dict[str, dict[str, Any]] = {}
    for component, kind in COMPONENTS.items():
        for product in _products(client, region, component):
            parsed = parse_product(product)
            if parsed is None:
                continue
            name, vcpus, memory, price = parsed
            entry = found.setdefault(name, {"vcpus": vcpus, "memory": memory, "prices": {}})
            entry["prices"][kind] = price
    if not found:
        raise BackendError(
            f"the AWS Pricing API returned no SageMaker prices for region {region!r}",
            key="--region",
            found=region,
            fix="use a region code such as us-east-1 or eu-west-1",
        )
    instances = tuple(
        InstanceType(
            name,
            int(entry["vcpus"]),
            float(entry["memory"]),
            float(entry["prices"].get("training", min(entry["prices"].values()))),
            _kinds(name, entry["prices"]),
            dict(entry["prices"]),
        )
        for name, entry in sorted(found.items())
    )
    today = datetime.now(UTC).date().isoformat()
    return PriceTable(region, today, "AWS Pricing API", instances)


def _kinds(name: str, prices: Mapping[str, float]) -> frozenset[str]:
    """The job kinds a type may be picked for: those priced, but never beyond what SageMaker's
    API accepts for a bundled type (a price list may show t3 hosting; endpoints take only t2)."""
    known = BY_NAME.get(name)
    return frozenset(prices) & known.kinds if known else frozenset(prices)


def refresh_price_table(region: str | None = None, client: Any = None) -> PriceTable:
    """Fetch the prices (for the current table's region unless ``region`` is given) and save
    them where every cost figure and the instance picker read them."""
    table = fetch_price_table(region or load_price_table().region, client)
    save_price_table(table)
    return table


def parse_product(product: Mapping[str, Any] | str) -> tuple[str, int, float, float] | None:
    """(instance name, vCPUs, GiB, USD/hour) of one PriceList item, or None when it is not an
    on-demand instance-hour of the picker's families."""
    item = json.loads(product) if isinstance(product, str) else product
    attributes = item.get("product", {}).get("attributes", {})
    name = str(attributes.get("instanceName") or attributes.get("instanceType") or "")
    usage = str(attributes.get("usagetype", ""))
    if not name.startswith(FAMILIES) or "spot" in usage.lower():
        return None
    memory = _MEMORY.search(str(attributes.get("memory", "")))
    try:
        vcpus = int(str(attributes.get("vCpu", "")).strip())
    except ValueError:
        return None
    if memory is None:
        return None
    price = _on_demand_usd(item.get("terms", {}).get("OnDemand", {}))
    if price is None or price <= 0:
        return None
    return name, vcpus, float(memory.group(1).replace(",", "")), price


def _on_demand_usd(terms: Mapping[str, Any]) -> float | None:
    for term in terms.values():
        for dimension in term.get("priceDimensions", {}).values():
            if str(dimension.get("unit", "")).lower() in ("hrs", "hour", "hours"):
                usd = dimension.get("pricePerUnit", {}).get("USD")
                if usd is not None:
                    return float(usd)
    return None


def _products(client: Any, region: str, component: str) -> Iterable[Mapping[str, Any] | str]:
    filters = [
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
        {"Type": "TERM_MATCH", "Field": "component", "Value": component},
    ]
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {
            "ServiceCode": SERVICE_CODE,
            "Filters": filters,
            "FormatVersion": "aws_v1",
            "MaxResults": 100,
        }
        if token:
            kwargs["NextToken"] = token
        try:
            page = client.get_products(**kwargs)
        except Exception as exc:  # botocore's ClientError/NoCredentialsError: say what to do
            raise BackendError(
                f"the AWS Pricing API refused the request: {exc}",
                fix="run with AWS credentials allowed to call pricing:GetProducts",
            ) from None
        yield from page.get("PriceList", [])
        token = page.get("NextToken")
        if not token:
            return


def _pricing_client() -> Any:
    try:
        import boto3
    except ImportError:
        raise MissingExtraError("boto3", "aws", "`stainless instances --refresh`") from None
    return boto3.client("pricing", region_name=PRICING_REGION)
