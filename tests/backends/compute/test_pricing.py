"""`stainless instances --refresh`: the AWS Pricing API through a real boto3 client whose calls
and answers botocore's Stubber checks against the real service model (moto has no pricing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from stainless.backends.compute.instances import (
    BUNDLED,
    cheapest_instance,
    load_price_table,
    price_table_path,
)
from stainless.backends.compute.pricing import SERVICE_CODE, parse_product, refresh_price_table
from stainless.core.errors import BackendError, ConfigError

REGION = "eu-west-1"


def _product(name: str, component: str, vcpus: int, memory: str, usd: str, usage: str = "") -> str:
    # The shape of one PriceList item as the Pricing API returns it (a JSON document per string).
    return json.dumps(
        {
            "product": {
                "productFamily": "ML Instance",
                "attributes": {
                    "regionCode": REGION,
                    "servicecode": SERVICE_CODE,
                    "component": component,
                    "instanceName": name,
                    "vCpu": str(vcpus),
                    "memory": memory,
                    "usagetype": usage or f"EU-{component}:{name}",
                },
                "sku": f"SKU{name}{component}",
            },
            "serviceCode": SERVICE_CODE,
            "terms": {
                "OnDemand": {
                    "T1": {
                        "priceDimensions": {
                            "D1": {"unit": "Hrs", "pricePerUnit": {"USD": usd}},
                        }
                    }
                }
            },
        }
    )


def _request(component: str, token: str | None = None) -> dict:
    request = {
        "ServiceCode": SERVICE_CODE,
        "Filters": [
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": REGION},
            {"Type": "TERM_MATCH", "Field": "component", "Value": component},
        ],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    if token:
        request["NextToken"] = token
    return request


@pytest.fixture
def pricing():
    import boto3
    from botocore.stub import Stubber

    client = boto3.client(
        "pricing",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_refresh_saves_a_dated_regional_table_that_the_picker_uses(pricing) -> None:
    client, stubber = pricing
    # Training: two pages; a spot product and a GPU family the picker ignores.
    stubber.add_response(
        "get_products",
        {
            "FormatVersion": "aws_v1",
            "PriceList": [
                _product("ml.m5.large", "Training", 2, "8 GiB", "0.1290000000"),
                _product("ml.m5.large", "Training", 2, "8 GiB", "0.04", "EU-Train-Spot:ml.m5"),
                _product("ml.p3.2xlarge", "Training", 8, "61 GiB", "4.28"),
            ],
            "NextToken": "page-2",
        },
        _request("Training"),
    )
    stubber.add_response(
        "get_products",
        {
            "FormatVersion": "aws_v1",
            "PriceList": [_product("ml.c5.xlarge", "Training", 4, "8 GiB", "0.2290000000")],
        },
        _request("Training", "page-2"),
    )
    stubber.add_response(
        "get_products",
        {
            "FormatVersion": "aws_v1",
            "PriceList": [_product("ml.t3.medium", "Processing", 2, "4 GiB", "0.0560000000")],
        },
        _request("Processing"),
    )
    stubber.add_response(
        "get_products",
        {
            "FormatVersion": "aws_v1",
            "PriceList": [_product("ml.m5.large", "Hosting", 2, "8 GiB", "0.1350000000")],
        },
        _request("Hosting"),
    )
    table = refresh_price_table(REGION, client=client)
    assert table.region == REGION and table.source == "AWS Pricing API"
    assert table.as_of == __import__("datetime").date.today().isoformat()
    m5 = table.get("ml.m5.large")
    assert m5.price("training") == pytest.approx(0.129)  # not the spot price
    assert m5.price("endpoint") == pytest.approx(0.135)
    assert m5.kinds == {"training", "endpoint"}
    assert table.get("ml.p3.2xlarge") is None
    assert table.get("ml.t3.medium").kinds == {"processing"}
    # Saved where every reader looks, and used by them.
    assert price_table_path().is_file()
    assert load_price_table() == table
    assert cheapest_instance(1, 2, "processing").name == "ml.t3.medium"
    assert cheapest_instance(4, 8, "training").name == "ml.c5.xlarge"
    assert load_price_table().label == f"{REGION} prices of {table.as_of} (AWS Pricing API)"


def test_a_refused_request_says_what_permission_is_needed(pricing) -> None:
    client, stubber = pricing
    stubber.add_client_error(
        "get_products", "AccessDeniedException", "not authorized", 400, None, _request("Training")
    )
    with pytest.raises(BackendError, match="pricing:GetProducts"):
        refresh_price_table(REGION, client=client)
    assert not price_table_path().exists()  # nothing half-written
    assert load_price_table() is BUNDLED


def test_an_unknown_region_returns_nothing_and_is_named(pricing) -> None:
    client, stubber = pricing
    for component in ("Training", "Processing", "Hosting"):
        stubber.add_response(
            "get_products", {"FormatVersion": "aws_v1", "PriceList": []}, _request(component)
        )
    with pytest.raises(BackendError, match="no SageMaker prices for region 'eu-west-1'"):
        refresh_price_table(REGION, client=client)


def test_product_parsing_skips_what_is_not_an_instance_hour() -> None:
    assert parse_product(_product("ml.r5.large", "Training", 2, "16 GiB", "0.17")) == (
        "ml.r5.large",
        2,
        16.0,
        0.17,
    )
    assert parse_product(_product("ml.r5.large", "Training", 2, "NA", "0.17")) is None
    assert parse_product(_product("ml.r5.large", "Training", 2, "16 GiB", "0")) is None


def test_a_corrupt_saved_table_names_the_file_and_the_fix(tmp_path: Path) -> None:
    price_table_path().write_text("{not json")
    with pytest.raises(ConfigError) as caught:
        load_price_table()
    text = caught.value.render()
    assert str(price_table_path()) in text and "--refresh" in text


def test_the_instances_command_shows_the_table_in_use(pricing) -> None:
    from click.testing import CliRunner
    from stainless.backends.compute.instances import PriceTable, save_price_table
    from stainless.cli import main

    runner = CliRunner()
    bundled = json.loads(runner.invoke(main, ["instances", "--json"]).output)
    assert (bundled["region"], bundled["as_of"]) == (BUNDLED.region, BUNDLED.as_of)
    save_price_table(PriceTable(REGION, "2027-01-02", "AWS Pricing API", BUNDLED.instances[:2]))
    shown = runner.invoke(main, ["instances"], env={"COLUMNS": "160"})
    assert shown.exit_code == 0, shown.output
    assert "eu-west-1 prices of 2027-01-02 (AWS Pricing API)" in shown.output
    assert "ml.t3.medium" in shown.output and "ml.m5.large" not in shown.output
