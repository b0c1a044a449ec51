"""A version's record packed into SageMaker model package metadata: every value within the
service's pattern and limits, read back equal, others' keys kept, the oldest events dropped
(and counted) when the record grows too big."""

from __future__ import annotations

import secrets

import pytest
from stainless.backends.registry.package_metadata import (
    FORMAT_KEY,
    MAX_KEYS,
    RUN_ID_KEY,
    STATUS_KEY,
    Record,
    decode,
    encode,
    foreign,
    is_valid_value,
)
from stainless.core.errors import BackendError


def record(**changes) -> Record:
    base = Record(
        run_id="20260301-120000-abcd",
        status="candidate",
        artifact_uri="s3://bucket/runs/r1/model.tar.gz",
        lineage={"note": 'quotes " braces { } and unicode é', "git": {"commit": "f" * 40}},
        metrics={"rmse": 1.5},
        decision={"action": "promote"},
        events=[{"kind": "registered"}],
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_a_record_reads_back_equal_beside_other_tools_keys():
    others = {"owner": "ops team"}
    properties = encode(record(), others)
    assert properties["owner"] == "ops team" and properties[RUN_ID_KEY] == "20260301-120000-abcd"
    assert properties[STATUS_KEY] == "candidate"
    assert all(is_valid_value(value) for value in properties.values())
    assert decode(properties) == record()
    assert foreign(properties) == others


def test_packages_stainless_did_not_register_and_unknown_formats():
    assert decode({"owner": "ops"}) is None
    properties = encode(record(), {})
    with pytest.raises(BackendError, match="upgrade stainless"):
        decode({**properties, FORMAT_KEY: "zlib-base64-json-9"})


def test_values_outside_sagemakers_pattern_are_refused():
    assert is_valid_value("a b_c.d:e/f=g+h-i@j") and not is_valid_value('{"json": 1}')
    assert not is_valid_value("") and not is_valid_value("x" * 257)
    with pytest.raises(BackendError) as caught:
        encode(record(run_id="run #1"), {})
    assert caught.value.key == RUN_ID_KEY


def test_the_oldest_events_give_way_and_a_record_that_cannot_fit_is_an_error():
    events = [{"kind": "status", "reason": secrets.token_hex(96)} for _ in range(100)]
    properties = encode(record(events=events), {"owner": "ops"})
    assert len(properties) <= MAX_KEYS
    kept = decode(properties)
    assert kept.events == events[-len(kept.events) :] and len(kept.events) < 100
    assert kept.events_dropped == 100 - len(kept.events)

    noise = {f"k{i}": secrets.token_hex(64) for i in range(200)}  # incompressible
    with pytest.raises(BackendError, match="metadata entries but only 47 are free"):
        encode(record(lineage=noise, events=[]), {})
