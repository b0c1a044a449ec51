"""Tests of this model's own behaviour (the framework's shared suite -- schemas, hooks, serving
contract, property tests -- runs too, with no code here).

`model` is the model the shared suite trained on data/ in a temporary place (its
`stainless_model` fixture): call `model.predict(request)` as the server would.

REPLACE the two tests marked EXAMPLE when you replace the example model: they check the
house-price example (its `area_sqm` field). Keep the first one: it holds for any model.
"""

import pytest


@pytest.fixture
def model(request):
    if not request.config.pluginmanager.has_plugin("stainless"):
        pytest.skip("the stainless pytest plugin is off (-p no:stainless)")
    return request.getfixturevalue("stainless_model")


def test_every_schema_example_gets_a_prediction(model):
    """Holds for any model: each request example of schemas.json is answered."""
    for request in model.schemas.request_examples:
        assert "prediction" in model.predict(request)


def test_example_larger_houses_are_predicted_higher(model):
    """EXAMPLE (replace): the same house with twice the area gets a higher prediction."""
    house = dict(model.schemas.request_examples[0])
    small = model.predict(house)
    large = model.predict({**house, "area_sqm": house["area_sqm"] * 2})
{%- if cookiecutter.__classification == 'yes' %}
    assert large["probability"] > small["probability"]
{%- else %}
    assert large["prediction"] > small["prediction"]
{%- endif %}


def test_example_neighborhood_must_be_known(model):
    """EXAMPLE (replace): an unknown neighborhood is the caller's mistake, not a guess."""
    house = dict(model.schemas.request_examples[0])
    assert not model.schemas.request_validator.is_valid({**house, "neighborhood": "atlantis"})
