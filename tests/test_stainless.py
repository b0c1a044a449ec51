"""``import stainless``: the public API a data scientist types, loaded on first use so that the
package itself stays light (every CLI command and the endpoint's router import it)."""

import subprocess
import sys

import pytest


def test_the_public_names_are_the_project_contracts():
    import stainless
    from stainless import Context, Datasets, batch
    from stainless.project.context import Context as ProjectContext
    from stainless.project.datasets import Datasets as ProjectDatasets
    from stainless.project.runtime import batch as runtime_batch

    assert (Context, Datasets, batch) == (ProjectContext, ProjectDatasets, runtime_batch)
    assert set(stainless.__all__) == {"Context", "Datasets", "__version__", "batch"}
    with pytest.raises(AttributeError, match="has no attribute 'Dataset'"):
        stainless.Dataset  # noqa: B018 - the attribute access is the test


def test_importing_the_package_does_not_import_pandas():
    code = (
        "import sys, stainless; assert 'pandas' not in sys.modules;"
        "stainless.Datasets; assert 'pandas' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
