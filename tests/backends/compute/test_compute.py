"""Choosing a compute backend by URI (local processes run in test_local.py, SageMaker jobs in
test_sagemaker.py)."""

from pathlib import Path

import pytest
from stainless.backends.compute import Compute, open_compute
from stainless.backends.compute.local import LocalCompute
from stainless.core.errors import BackendError


def test_local_compute_is_chosen_by_its_scheme(tmp_path: Path):
    compute = open_compute("local://", tmp_path)
    assert isinstance(compute, LocalCompute) and isinstance(compute, Compute)


def test_an_unknown_scheme_lists_the_known_ones(tmp_path: Path):
    with pytest.raises(BackendError, match="no compute backend for scheme 'k8s'") as caught:
        open_compute("k8s://cluster", tmp_path)
    assert caught.value.expected == "local://, sagemaker://"
