"""What local compute preloads for a project's stage processes."""

from pathlib import Path

from stainless.pipeline.runner import hook_imports
from stainless.project.config import load_config


def test_third_party_imports_of_the_hooks_are_preloaded_not_the_projects_own(
    bake, tmp_path: Path
) -> None:
    project = bake()
    (project / "features.py").write_text("X = 1\n")
    (project / "helpers").mkdir()
    (project / "helpers" / "__init__.py").write_text("")
    train = project / "train.py"
    train.write_text(
        "import features\nfrom helpers import x\nfrom . import y\nimport sklearn.ensemble\n"
        "def train(datasets, ctx):\n    import xgboost  # inside a function: not preloaded\n"
        + train.read_text()
    )
    found = hook_imports(load_config(project))
    assert "sklearn.ensemble" in found and "sklearn.pipeline" in found
    assert "matplotlib.pyplot" in found and "pandas" in found
    assert not {"features", "helpers", "xgboost"} & set(found)
    assert len(found) == len(set(found))
