from pathlib import Path

import pytest
from stainless.backends.storage import ArtifactStore, open_store
from stainless.core.errors import BackendError, StageError


def test_round_trip_list_and_delete(tmp_path: Path):
    store = open_store("file://store", tmp_path)
    assert isinstance(store, ArtifactStore)
    store.put_bytes("runs/r1/a.json", b"{}")
    source = tmp_path / "f.bin"
    source.write_bytes(b"\x00" * 10)
    store.put_file("runs/r1/model.tar.gz", source)
    assert store.list("runs/r1") == ["runs/r1/a.json", "runs/r1/model.tar.gz"]
    store.get_file("runs/r1/model.tar.gz", tmp_path / "copy")
    assert (tmp_path / "copy").read_bytes() == b"\x00" * 10
    assert store.url("runs/r1/a.json").startswith("file:///")
    store.delete("runs/r1/a.json")
    assert not store.exists("runs/r1/a.json")
    with pytest.raises(StageError, match="not found"):
        store.get_bytes("runs/r1/a.json")


def test_keys_cannot_escape_the_root(tmp_path: Path):
    store = open_store("file://store", tmp_path)
    with pytest.raises(ValueError, match="escapes"):
        store.put_bytes("../outside", b"x")


def test_unknown_scheme_is_explained(tmp_path: Path):
    with pytest.raises(BackendError, match="no store backend for scheme 'gs'.*file://, s3://"):
        open_store("gs://bucket", tmp_path)
