from pathlib import Path

import pytest
from stainless.core.errors import HookError
from stainless.project.hooks import load_hook


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_missing_function_lists_what_is_there(tmp_path):
    hook = write(tmp_path / "train.py", "def fit(datasets, ctx):\n    pass\n")
    with pytest.raises(HookError) as info:
        load_hook("train", hook)
    message = str(info.value)
    assert message.startswith("train.py: no function named 'train'")
    assert "found functions fit" in message
    assert "def train(datasets, ctx) -> None" in message


def test_wrong_arity_is_explained(tmp_path):
    hook = write(tmp_path / "train.py", "def train(datasets):\n    pass\n")
    with pytest.raises(
        HookError, match=r"train takes the wrong arguments.*found train\(datasets\)"
    ):
        load_hook("train", hook)


def test_import_error_names_the_file(tmp_path):
    hook = write(tmp_path / "preprocess.py", "import not_a_module_xyz\n")
    with pytest.raises(HookError, match="preprocess.py: importing it failed: ModuleNotFoundError"):
        load_hook("preprocess", hook)
