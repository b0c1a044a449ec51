"""stainless.demo without the CLI: the example it generates and the drill it trains (the whole
demo, printed by the CLI's view, runs in tests/cli/test_demo.py)."""

from pathlib import Path

import yaml
from stainless.demo import RUNS, drill_config, generate_example, with_serving
from stainless.serving.chaos import ChaosSettings
from stainless.serving.settings import ServingSettings
from stainless.workspace import open_workspace


def test_the_example_captures_all_of_its_traffic(tmp_path: Path):
    project_dir = generate_example(tmp_path)
    assert project_dir.parent == tmp_path and (project_dir / "train.py").is_file()
    settings = ServingSettings.from_config(open_workspace(project_dir).config)
    # The monitoring step needs 100 captured rows of the 160 it replays, within seconds.
    assert settings.capture_sample_rate == 1.0
    assert settings.capture_flush_seconds == 0.5


def test_only_the_third_version_is_a_failure_drill_and_still_captures_all_traffic(tmp_path: Path):
    assert [run.error_rate for run in RUNS] == [0.0, 0.0, 0.2]
    model_yaml = generate_example(tmp_path) / "model.yaml"
    original = model_yaml.read_text()
    assert [drill_config(original, run) == original for run in RUNS] == [True, True, False]
    model_yaml.write_text(drill_config(original, RUNS[2]))
    config = open_workspace(model_yaml.parent).config
    assert ChaosSettings.from_mapping(config.raw["serving"]["chaos"]).error_rate == 0.2
    # One serving: block with both settings (a second block used to drop the capture settings).
    settings = ServingSettings.from_config(config)
    assert (settings.capture_sample_rate, settings.capture_flush_seconds) == (1.0, 0.5)
    assert model_yaml.read_text().count("\nserving:") == 1
    # The template's comments survive the edit.
    assert original.splitlines()[:3] == model_yaml.read_text().splitlines()[:3]


def test_settings_merge_into_a_serving_block_where_it_stands():
    text = (
        "name: m\n"
        "serving:\n"
        "  # how many requests to keep\n"
        "  capture_sample_rate: 0.5\n"
        "  port: 9000\n"
        "\n"
        "# Params of the model.\n"
        "params: {seed: 1}\n"
    )
    edited = with_serving(text, {"capture_sample_rate": 1.0, "chaos": {"error_rate": 0.2}})
    assert yaml.safe_load(edited) == {
        "name": "m",
        "serving": {"capture_sample_rate": 1.0, "port": 9000, "chaos": {"error_rate": 0.2}},
        "params": {"seed": 1},
    }
    assert (
        edited.index("serving:") < edited.index("# Params of the model.") < edited.index("params")
    )
    flow = with_serving("serving: {port: 1}\nname: m\n", {"port": 2})
    assert yaml.safe_load(flow) == {"serving": {"port": 2}, "name": "m"}
    assert yaml.safe_load(with_serving("name: m", {"port": 2}, note="# n\n")) == {
        "name": "m",
        "serving": {"port": 2},
    }
