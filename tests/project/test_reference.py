from pathlib import Path

from stainless.project.reference import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "model-yaml.md"


def test_model_yaml_reference_is_generated_from_the_schema():
    assert DOC.read_text() == render(), "docs/model-yaml.md is stale: run `make docs`"


def test_every_schema_property_is_described():
    for line in render().splitlines():
        if line.startswith("| `"):
            assert not line.rstrip().endswith("|  |"), f"no description: {line}"
