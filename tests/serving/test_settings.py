from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from stainless.project.config import config_from_mapping, model_schema
from stainless.serving import ServingSettings


def test_defaults_match_the_model_yaml_schema() -> None:
    section = dict(model_schema()["properties"]["serving"]["properties"])
    # serving.chaos is recorded per version at training, not a server setting (test_chaos.py).
    section.pop("chaos")
    defaults = ServingSettings()
    assert {f.name for f in fields(ServingSettings)} == set(section)
    for name, schema in section.items():
        value = getattr(defaults, name)
        assert (list(value) if isinstance(value, tuple) else value) == schema["default"], name
        assert schema["description"]


def test_settings_come_from_model_yaml(tmp_path: Path) -> None:
    config = config_from_mapping(
        {
            "name": "m1",
            "owner": "me",
            "target": "y",
            "metric": "rmse",
            "serving": {"max_body_bytes": 2048, "capture_sample_rate": 0.5},
        },
        tmp_path,
    )
    settings = ServingSettings.from_config(config)
    assert settings.max_body_bytes == 2048
    assert settings.capture_sample_rate == 0.5
    assert settings.workers == 1  # resources.serve.cpus defaults to 1
    assert settings.with_overrides(workers=4, max_batch_items=None).workers == 4


def test_one_worker_per_serving_cpu_unless_set(tmp_path: Path) -> None:
    base = {"name": "m1", "owner": "me", "target": "y", "metric": "rmse"}
    four = config_from_mapping({**base, "resources": {"serve": {"cpus": 4.5}}}, tmp_path)
    assert ServingSettings.from_config(four).workers == 4
    half = config_from_mapping({**base, "resources": {"serve": {"cpus": 0.5}}}, tmp_path)
    assert ServingSettings.from_config(half).workers == 1
    pinned = config_from_mapping(
        {**base, "resources": {"serve": {"cpus": 4}}, "serving": {"workers": 2}}, tmp_path
    )
    assert ServingSettings.from_config(pinned).workers == 2
