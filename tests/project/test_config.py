from pathlib import Path

import pytest
from stainless.core.errors import ConfigError
from stainless.project.config import config_from_mapping, load_config

MINIMAL = {"name": "house-prices", "owner": "jane", "target": "price", "metric": "rmse"}


def config(**changes):
    return config_from_mapping({**MINIMAL, **changes}, Path("/p"))


def test_defaults_are_filled():
    cfg = config()
    assert cfg.direction == "minimize"
    assert cfg["hooks"] == {
        "preprocess": "preprocess.py",
        "train": "train.py",
        "model": "model.py",
        "schemas": "schemas.json",
    }
    assert cfg.resources_for("train") == {"cpus": 1, "memory_gb": 2, "instance_type": None}
    assert cfg["promotion"]["bootstrap"]["confidence"] == 0.95
    assert cfg.backend("store") == "file://.stainless/store"
    assert cfg.max_runtime_seconds == 3600
    assert config(metric="roc_auc").direction == "maximize"


def test_config_hash_is_stable_and_sensitive():
    assert config().hash == config().hash
    assert config().hash != config(test_size=0.3).hash


@pytest.mark.parametrize(
    ("changes", "key", "fragment"),
    [
        ({"metric": "rsme"}, "metric", "one of rmse, mae"),
        ({"test_size": 1.5}, "test_size", "a number < 1"),
        ({"promotion": {"min_improvment": 0.1}}, "promotion.min_improvment", "unknown key"),
        ({"resources": {"train": {"cpus": "two"}}}, "resources.train.cpus", "type"),
        ({"direction": "maximize"}, "direction", "rmse is a metric to minimize"),
        ({"max_runtime": "soon"}, "max_runtime", "text matching"),
    ],
)
def test_errors_name_file_key_and_expectation(changes, key, fragment):
    with pytest.raises(ConfigError) as info:
        config(**changes)
    message = str(info.value)
    assert message.startswith(f"model.yaml: {key}: ")
    assert fragment in message


def test_missing_required_key_says_what_to_add():
    document = dict(MINIMAL)
    del document["target"]
    with pytest.raises(
        ConfigError, match=r"model.yaml: target: required key is missing.*add `target:`"
    ):
        config_from_mapping(document, Path("/p"))


def test_missing_file_and_bad_yaml(tmp_path: Path):
    with pytest.raises(ConfigError, match="file not found.*stainless new"):
        load_config(tmp_path)
    (tmp_path / "model.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_config(tmp_path)
    (tmp_path / "model.yaml").write_text("- a list\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(tmp_path)


def test_environments_and_env_var_overrides(monkeypatch):
    document = {**MINIMAL, "environments": {"aws": {"store": "s3://b/p", "notify": "slack://x"}}}
    cfg = config_from_mapping(document, Path("/p"), env="aws")
    assert cfg.backend("store") == "s3://b/p"
    assert cfg.backend("registry") == "sqlite://.stainless/registry.db"
    monkeypatch.setenv("STAINLESS_REGISTRY", "sqlite:///tmp/r.db")
    assert config_from_mapping(document, Path("/p")).backend("registry") == "sqlite:///tmp/r.db"
    with pytest.raises(ConfigError, match="unknown environment 'gcp'.*one of: aws"):
        config_from_mapping(document, Path("/p"), env="gcp")
