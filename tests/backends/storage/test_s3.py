"""The S3 store against a real moto server, through real boto3."""

from pathlib import Path

import pytest
from stainless.backends.storage import open_store
from stainless.core.errors import StageError
from support.moto_server import moto_server


@pytest.fixture
def s3(monkeypatch):
    with moto_server(monkeypatch):
        import boto3

        boto3.client("s3").create_bucket(Bucket="artifacts")
        yield


@pytest.mark.integration
def test_round_trip(s3, tmp_path: Path):
    store = open_store("s3://artifacts/models/house-prices", tmp_path)
    store.put_bytes("runs/r1/a.json", b"{}")
    source = tmp_path / "model.tar.gz"
    source.write_bytes(b"tar" * 1000)
    store.put_file("runs/r1/model.tar.gz", source)
    assert store.exists("runs/r1/a.json") and not store.exists("runs/r1/a")
    assert store.list("runs/r1") == ["runs/r1/a.json", "runs/r1/model.tar.gz"]
    store.get_file("runs/r1/model.tar.gz", tmp_path / "copy")
    assert (tmp_path / "copy").read_bytes() == b"tar" * 1000
    assert store.url("runs/r1/a.json") == "s3://artifacts/models/house-prices/runs/r1/a.json"
    store.delete("runs/r1/a.json")
    with pytest.raises(StageError, match="not found"):
        store.get_bytes("runs/r1/a.json")
    with pytest.raises(ValueError):
        store.put_bytes("../x", b"")


@pytest.mark.integration
def test_a_whole_run_uses_s3(s3, bake, monkeypatch):
    from stainless.pipeline.runner import run_lifecycle
    from stainless.workspace import open_workspace

    project_dir = bake()
    monkeypatch.setenv("STAINLESS_STORE", "s3://artifacts/house-prices")
    project = open_workspace(project_dir)
    report = run_lifecycle(project, "s3-run", in_process=True)
    assert report.ok, report.error
    assert project.store.exists("runs/s3-run/model.tar.gz")
    assert project.registry.production().artifact_uri.startswith("s3://artifacts/")
    assert not (project_dir / ".stainless" / "store").exists()


@pytest.mark.integration
def test_a_shared_link_opens_the_report_as_html_without_credentials(s3, tmp_path: Path):
    import httpx

    store = open_store("s3://artifacts/models/house-prices", tmp_path)
    store.put_bytes("runs/r1/report.html", b"<!DOCTYPE html><p>report</p>")
    url = store.share_url("runs/r1/report.html", 3600)
    assert url.startswith("http") and "X-Amz-Signature=" in url and "X-Amz-Expires=3600" in url
    # Whoever holds the link reads the page (no AWS credentials of their own), as HTML.
    answer = httpx.get(url)
    assert answer.status_code == 200 and answer.text.endswith("<p>report</p>")
    assert answer.headers["content-type"].startswith("text/html")
