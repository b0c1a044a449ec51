"""stainless.demo without the CLI: the example it generates and the drill it trains (the whole
demo, printed by the CLI's view, runs in tests/cli/test_demo.py)."""

from pathlib import Path

from stainless.demo import CHAOS, RUNS, generate_example
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


def test_only_the_third_version_is_a_failure_drill(tmp_path: Path):
    assert [run.error_rate for run in RUNS] == [0.0, 0.0, 0.2]
    model_yaml = generate_example(tmp_path) / "model.yaml"
    model_yaml.write_text(model_yaml.read_text() + CHAOS.format(rate=RUNS[2].error_rate))
    config = open_workspace(model_yaml.parent).config
    assert ChaosSettings.from_mapping(config.raw["serving"]["chaos"]).error_rate == 0.2
