"""Session fixtures of the shared suite, registered only inside a model repository. A data
scientist's own tests may use them too (e.g. ``stainless_model`` to predict, ``stainless_client``
to call the server in-process)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Where the plugin leaves the model repository it found (set at configure time).
PROJECT_KEY = pytest.StashKey[Path]()


@pytest.fixture(scope="session")
def stainless_project_dir(pytestconfig: pytest.Config) -> Path:
    """The model repository under test (the folder holding model.yaml)."""
    return pytestconfig.stash[PROJECT_KEY]


@pytest.fixture(scope="session")
def stainless_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A temporary store and registry; the backend variables point there for the session."""
    from stainless.testing.sandbox import sandbox_environment

    sandbox = tmp_path_factory.mktemp("stainless")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("STAINLESS_ENV", "STAINLESS_DATA", "STAINLESS_ENDPOINT"):
            patch.delenv(name, raising=False)
        for name, value in sandbox_environment(sandbox).items():
            patch.setenv(name, value)
        _keep_hypothesis_files_in(hypothesis_cache())
        try:
            yield sandbox
        finally:
            _keep_hypothesis_files_in(None)


def hypothesis_cache() -> Path:
    """Where Hypothesis keeps its files during the suite: out of the model repository (by
    default it writes ./.hypothesis), but kept between sessions. The suite's property tests
    use no example database (their examples are derandomised); what lives here is Hypothesis's
    table of the characters a codec can encode, which it otherwise rebuilds by encoding all
    1.1 million code points (about two seconds of every `pytest` run)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stainless" / "hypothesis"


def _keep_hypothesis_files_in(directory: Path | None) -> None:
    try:
        from hypothesis.configuration import set_hypothesis_home_dir
    except ImportError:  # the property tests report the missing package themselves
        return
    set_hypothesis_home_dir(directory)


@pytest.fixture(scope="session")
def stainless_stages(stainless_project_dir: Path, stainless_sandbox: Path) -> Any:
    """preprocess and train of one run, each run at most once per session."""
    from stainless.pipeline.stages import run_stage
    from stainless.project.config import load_config
    from stainless.testing.sandbox import Stages, open_sandbox

    try:
        config = load_config(stainless_project_dir)
    except Exception:
        pytest.skip("model.yaml is invalid (see stainless::test_model_yaml_is_valid)")
    return Stages(open_sandbox(config, stainless_sandbox), run_stage)


@pytest.fixture(scope="session")
def stainless_model(stainless_stages: Any) -> Any:
    """The trained model loaded through the serving path (a LoadedModel)."""
    from stainless.pipeline.stages.evaluate import load_version
    from stainless.testing.sandbox import StageFailed

    try:
        stainless_stages.require("train")
        return load_version(stainless_stages.project, stainless_stages.run_id, "suite")
    except StageFailed as exc:
        pytest.skip(str(exc))
    except Exception as exc:
        pytest.skip(f"load_model failed (see stainless::test_load_model_reads_train_output): {exc}")


@pytest.fixture(scope="session")
def stainless_app(stainless_model: Any, stainless_stages: Any) -> Any:
    """The inference server's ASGI app for the trained model (no data capture)."""
    from stainless.serving import ServingSettings, create_app

    settings = ServingSettings.from_config(stainless_stages.project.config)
    return create_app(
        stainless_model, settings, name=stainless_stages.project.name, version="suite"
    )


@pytest.fixture(scope="session")
def stainless_client(stainless_app: Any) -> Iterator[Any]:
    """An HTTP client talking to ``stainless_app`` in this process."""
    from stainless.testing.client import InProcessClient

    client = InProcessClient(stainless_app)
    yield client
    client.close()
