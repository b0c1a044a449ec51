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
    (tmp_path / "model.yaml").write_text("name: a\nserving: {port: 1}\nserving: {port: 2}\n")
    with pytest.raises(ConfigError, match=r"model.yaml: serving: key given twice, at line 2 and"):
        load_config(tmp_path)
    (tmp_path / "model.yaml").write_text("- a list\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(tmp_path)


def test_environments_and_env_var_overrides(monkeypatch):
    aws = {"store": "s3://b/p", "notify": "slack://x", "endpoint": "sagemaker://house-prices"}
    document = {**MINIMAL, "environments": {"aws": aws}}
    cfg = config_from_mapping(document, Path("/p"), env="aws")
    assert cfg.backend("store") == "s3://b/p"
    assert cfg.backend("registry") == "sqlite://.stainless/registry.db"
    monkeypatch.setenv("STAINLESS_REGISTRY", "sqlite:///tmp/r.db")
    assert config_from_mapping(document, Path("/p")).backend("registry") == "sqlite:///tmp/r.db"
    with pytest.raises(ConfigError, match="unknown environment 'gcp'.*one of: aws"):
        config_from_mapping(document, Path("/p"), env="gcp")


@pytest.mark.parametrize(
    ("env", "declared", "why"),
    [
        ("aws", {"notify": "slack://x"}, "it is the production environment"),
        ("prod", {"store": "s3://b/p"}, "it uses store: s3://b/p"),
        ("prod", {"registry": "sagemaker://g", "endpoint": "local://"}, "registry: sagemaker://g"),
    ],
)
def test_a_cloud_environment_with_the_local_endpoint_names_the_key_and_the_fix(
    env, declared, why, monkeypatch
):
    monkeypatch.delenv("STAINLESS_ENDPOINT", raising=False)
    document = {**MINIMAL, "environments": {env: declared}}
    with pytest.raises(ConfigError) as caught:
        config_from_mapping(document, Path("/p"), env=env)
    text = caught.value.render()
    assert f"model.yaml: environments.{env}.endpoint:" in text
    assert why in text
    assert f"add `endpoint: sagemaker://house-prices` under environments.{env}" in text
    # A local environment with local backends is fine, and so is the same file without --env.
    config_from_mapping(
        {**MINIMAL, "environments": {"dev": {"notify": "console://"}}}, Path("/p"), env="dev"
    )
    assert config_from_mapping(document, Path("/p")).backend("endpoint") == "local://"
    # The deployment choosing the endpoint explicitly (a rehearsal) is deliberate.
    monkeypatch.setenv("STAINLESS_ENDPOINT", "local://")
    assert config_from_mapping(document, Path("/p"), env=env).backend("endpoint") == "local://"


def test_secrets_are_references_merged_per_environment():
    document = {
        **MINIMAL,
        "secrets": {"API_KEY": "env://MY_API_KEY", "SLACK_BOT_TOKEN": "ssm:///dev/slack"},
        "environments": {
            "aws": {
                "endpoint": "sagemaker://house-prices",
                "secrets": {"SLACK_BOT_TOKEN": "secretsmanager://ml/slack#bot_token"},
            }
        },
    }
    local = config_from_mapping(document, Path("/p"))
    assert local.secrets == {"API_KEY": "env://MY_API_KEY", "SLACK_BOT_TOKEN": "ssm:///dev/slack"}
    aws = config_from_mapping(document, Path("/p"), env="aws")
    assert aws.secrets["SLACK_BOT_TOKEN"] == "secretsmanager://ml/slack#bot_token"
    assert aws.secret_key("SLACK_BOT_TOKEN") == "environments.aws.secrets.SLACK_BOT_TOKEN"
    assert aws.secret_key("API_KEY") == "secrets.API_KEY"
    assert aws.backend("endpoint") == "sagemaker://house-prices"
    # A value instead of a reference is refused, naming the key, without echoing the value.
    with pytest.raises(ConfigError) as caught:
        config_from_mapping({**MINIMAL, "secrets": {"SNOWFLAKE_PASSWORD": "hunter2"}}, Path("/p"))
    text = caught.value.render()
    assert "secrets.SNOWFLAKE_PASSWORD: a secret must be given by reference" in text
    assert "rotate it" in text and "hunter2" not in text


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ({"my-var": "env://X"}, "secrets: secret names are environment variable names"),
        ("hunter2", "secrets: a secret must be given by reference"),
    ],
)
def test_malformed_secrets_are_explained_without_echoing_values(secrets, message):
    with pytest.raises(ConfigError) as caught:
        config_from_mapping({**MINIMAL, "secrets": secrets}, Path("/p"))
    assert message in caught.value.render() and "hunter2" not in caught.value.render()
