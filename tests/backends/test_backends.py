"""Finding the implementation of a backend URI by its scheme, imported only when chosen."""

from __future__ import annotations

import subprocess
import sys

import pytest
from stainless.backends import resolve
from stainless.core.errors import BackendError

TABLE = {
    "file": "stainless.backends.storage.local:LocalStore",
    "s3": "stainless.backends.storage.s3:S3Store",
}


def test_a_scheme_resolves_to_its_class_and_the_parsed_uri():
    from stainless.backends.storage.local import LocalStore

    cls, uri = resolve("store", TABLE, "file://.stainless/store")
    assert cls is LocalStore and uri.scheme == "file"


def test_an_unknown_scheme_lists_the_known_ones():
    with pytest.raises(BackendError) as caught:
        resolve("store", TABLE, "gcs://bucket/prefix")
    error = caught.value
    assert error.key == "store" and error.found == "gcs://bucket/prefix"
    assert error.expected == "file://, s3://"
    assert "no store backend for scheme 'gcs'" in error.render()


def test_a_value_that_is_no_uri_names_the_setting_and_the_schemes():
    with pytest.raises(BackendError) as caught:
        resolve("store", TABLE, "just-a-folder")
    assert caught.value.key == "store" and caught.value.fix == "use one of: file://, s3://"


def test_an_implementation_is_imported_only_when_chosen():
    code = (
        "import sys; from stainless.backends import resolve;"
        f"resolve('store', {TABLE!r}, 'file://x');"
        "assert 'stainless.backends.storage.s3' not in sys.modules;"
        "assert 'boto3' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
