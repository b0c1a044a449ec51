"""Choosing an artifact store by URI (each store's reads and writes: test_local.py, test_s3.py)."""

from pathlib import Path

import pytest
from stainless.backends.storage import ArtifactStore, WriteConflict, open_store
from stainless.backends.storage.local import LocalStore
from stainless.core.errors import BackendError, StainlessError


def test_a_file_store_lives_under_the_project(tmp_path: Path):
    store = open_store("file://.stainless/store", tmp_path)
    assert isinstance(store, LocalStore) and isinstance(store, ArtifactStore)
    store.put_bytes("runs/r1/x.json", b"{}")
    assert (tmp_path / ".stainless" / "store" / "runs" / "r1" / "x.json").read_bytes() == b"{}"


def test_a_lost_conditional_write_is_a_write_conflict(tmp_path: Path):
    store = open_store("file://store", tmp_path)
    token = store.put_if("lease.json", b"a", None)
    with pytest.raises(WriteConflict):
        store.put_if("lease.json", b"b", None)  # no longer absent
    store.put_if("lease.json", b"c", token)
    assert issubclass(WriteConflict, StainlessError)


def test_an_unknown_scheme_lists_the_known_ones(tmp_path: Path):
    with pytest.raises(BackendError, match="no store backend for scheme 'gs'") as caught:
        open_store("gs://bucket", tmp_path)
    assert caught.value.expected == "file://, s3://"
