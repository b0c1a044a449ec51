"""Tests of this model's own behaviour. The framework's shared suite (schemas, hooks, serving
contract, property tests) runs too, with no code here."""

import math

from stainless.project.config import load_config
from stainless.project.schemas import load_schemas


def test_schema_examples_are_realistic():
    schemas = load_schemas(load_config(".").hook_path("schemas"))
    assert len(schemas.request_examples) >= 1
    for example in schemas.request_examples:
        assert example["area_sqm"] > 0


def test_metric_is_configured():
    config = load_config(".")
    assert config.metric == "{{ cookiecutter.metric }}"
    assert math.isclose(config.test_size, {{ cookiecutter.test_size }})
