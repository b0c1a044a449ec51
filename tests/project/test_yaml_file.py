import pytest
from stainless.core.errors import ConfigError
from stainless.project.yaml_file import load_yaml

TWO_SERVING_BLOCKS = """\
name: house-prices
serving:
  capture_sample_rate: 1.0
metric: rmse
serving:
  chaos:
    error_rate: 0.2
"""


def test_a_second_top_level_block_is_refused_naming_both_lines_and_the_fix():
    with pytest.raises(ConfigError) as caught:
        load_yaml(TWO_SERVING_BLOCKS, "model.yaml")
    error = caught.value
    assert (error.file, error.key) == ("model.yaml", "serving")
    assert "line 2 and line 5" in error.message
    assert error.fix == "merge the two `serving:` blocks into one"
    assert str(error).startswith("model.yaml: serving: key given twice")


@pytest.mark.parametrize(
    ("text", "key", "lines"),
    [
        (
            "serving:\n  chaos:\n    error_rate: 0.1\n    error_rate: 0.2\n",
            "serving.chaos.error_rate",
            (3, 4),
        ),
        (
            "environments:\n  aws: {store: s3://a, store: s3://b}\n",
            "environments.aws.store",
            (2, 2),
        ),
        ("checks:\n  - {column: a}\n  - {column: b, column: c}\n", "checks[1].column", (3, 3)),
    ],
)
def test_nested_duplicates_name_their_key_path(text, key, lines):
    with pytest.raises(ConfigError) as caught:
        load_yaml(text, "model.yaml")
    assert caught.value.key == key
    assert f"line {lines[0]} and line {lines[1]}" in caught.value.message


def test_valid_yaml_loads_as_pyyaml_reads_it():
    text = (
        "base: &base {cpus: 1, memory_gb: 2}\n"
        "train:\n  <<: *base\n  cpus: 4\n"  # a merge key beside the key it is overridden by
        "serve: *base\n"  # an alias read twice is not a duplicate
        "codes: {1: int, '1': str}\n"  # an int and a string key differ
    )
    assert load_yaml(text, "model.yaml") == {
        "base": {"cpus": 1, "memory_gb": 2},
        "train": {"cpus": 4, "memory_gb": 2},
        "serve": {"cpus": 1, "memory_gb": 2},
        "codes": {1: "int", "1": "str"},
    }
    assert load_yaml("", "model.yaml") is None
    assert load_yaml("# only a comment\n", "model.yaml") is None


def test_invalid_yaml_names_the_file_and_the_line():
    with pytest.raises(ConfigError, match=r"^x.yaml: not valid YAML at line 2, column 1"):
        load_yaml("a: [1,\n", "x.yaml")
