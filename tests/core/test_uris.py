from pathlib import Path

import pytest
from stainless.core.uris import parse_uri


def test_uris_resolve_relative_to_project(tmp_path: Path):
    assert (
        parse_uri("file://.stainless/store").local_path(tmp_path) == tmp_path / ".stainless/store"
    )
    assert parse_uri("file:///var/x").local_path(tmp_path) == Path("/var/x")
    s3 = parse_uri("s3://bucket/prefix/a?region=eu-west-1")
    assert (s3.scheme, s3.netloc, s3.path, s3.query) == (
        "s3",
        "bucket",
        "/prefix/a",
        {"region": "eu-west-1"},
    )
    with pytest.raises(ValueError):
        parse_uri("no-scheme")
