"""stainless.core.hashing: lineage fingerprints are stable and change with the content."""

from pathlib import Path

from stainless.core.hashing import combine, config_hash, file_digest


def test_a_config_hashes_the_same_whatever_its_key_order():
    first = config_hash({"alpha": 1, "nested": {"b": [1, 2], "a": None}})
    again = config_hash({"nested": {"a": None, "b": [1, 2]}, "alpha": 1})
    assert first == again and len(first) == 16
    assert config_hash({"alpha": 2, "nested": {"b": [1, 2], "a": None}}) != first
    assert config_hash({"when": Path("/a")}) == config_hash({"when": "/a"})  # str() of the rest


def test_a_file_digest_reads_in_chunks_and_matches_sha256(tmp_path: Path):
    import hashlib

    data = bytes(range(256)) * 1000
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    assert file_digest(path, chunk=1000) == hashlib.sha256(data).hexdigest()
    path.write_bytes(data[:-1] + b"\x00")
    assert file_digest(path) != hashlib.sha256(data).hexdigest()


def test_combined_digests_do_not_depend_on_their_order():
    assert combine({"train": "aa", "validation": "bb"}) == combine(
        {"validation": "bb", "train": "aa"}
    )
    assert combine({"train": "aa", "validation": "bb"}) != combine(
        {"train": "bb", "validation": "aa"}
    )
