"""pytest hooks of the shared suite. Imported by pytest in every session where stainless is
installed, so it imports nothing heavy and does nothing unless a model.yaml is found."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from stainless.testing.fixtures import PROJECT_KEY

CONFIG_FILE = "model.yaml"
MARKER = "stainless"
SUITE_MODULE = "stainless.testing.suite"


class StainlessSuiteWarning(UserWarning):
    """Advice from the shared suite (e.g. a schema keyword the property tests cannot honour).

    Shown in the warnings summary, never turned into an error by ``filterwarnings = error``:
    it describes a limit of the suite, not a bug of the model.
    """


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stainless", "stainless shared model-repository suite")
    group.addoption(
        "--stainless-max-examples",
        type=int,
        default=100,
        metavar="N",
        help="Hypothesis examples per property test of the shared suite (default 100).",
    )


def find_project(config: pytest.Config) -> Path | None:
    """The model repository under test: the rootdir, or the invocation dir or an ancestor."""
    invocation = Path(config.invocation_params.dir).resolve()
    for candidate in (Path(config.rootpath), invocation, *invocation.parents):
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    return None


def pytest_configure(config: pytest.Config) -> None:
    project = find_project(config)
    if project is None:
        return
    config.stash[PROJECT_KEY] = project
    config.addinivalue_line(
        "markers", f"{MARKER}: the stainless shared suite (deselect with -m 'not {MARKER}')"
    )
    # Later filters win: this keeps our advice a warning under `filterwarnings = error`.
    config.addinivalue_line("filterwarnings", f"default::{__name__}.StainlessSuiteWarning")
    from stainless.testing import fixtures

    config.pluginmanager.register(fixtures, "stainless-fixtures")


def _suite_wanted(config: pytest.Config) -> bool:
    """Run the suite for `pytest` and `pytest DIR`, not when only some test files are named."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return True
    base = Path(config.invocation_params.dir)
    for arg in config.args:
        path = base / arg.split("::", 1)[0]
        if path.is_dir():
            return True
    return False


class SuiteModule(pytest.Module):
    """The suite's test module, taken from the installed package whatever the import mode."""

    def _getobj(self) -> Any:
        return importlib.import_module(SUITE_MODULE)


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselection, which must see our items too
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if PROJECT_KEY not in config.stash or not _suite_wanted(config):
        return
    suite = importlib.import_module(SUITE_MODULE)
    module = SuiteModule.from_parent(session, path=Path(suite.__file__ or ""), nodeid=MARKER)
    added = [item for item in session.genitems(module) if isinstance(item, pytest.Item)]
    for item in added:
        item.add_marker(MARKER)
    items[:0] = added


def pytest_unconfigure(config: pytest.Config) -> None:
    """The session is over: spare the interpreter's final garbage collections over the model's
    libraries (seconds of CPU at exit, for nothing)."""
    import gc

    gc.freeze()
