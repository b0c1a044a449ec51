"""Shipping rendered DAG files to an S3 DAGs folder of a real moto server: unchanged files are
not uploaded again."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from stainless.cli import main
from stainless.core.errors import BackendError
from support.moto_server import moto_server

from dag_generator.upload import upload_dags


@pytest.mark.integration
def test_upload_to_a_real_s3_api(bake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    import httpx

    out = tmp_path / "dags"
    assert (
        CliRunner().invoke(main, ["dags", "render", "-C", str(bake()), "--out", str(out)]).exit_code
        == 0
    )
    with moto_server(monkeypatch) as url:
        httpx.post(f"{url}/moto-api/reset").raise_for_status()  # moto state is per process
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="airflow-dags")
        args = ["dags", "upload", "--bucket", "airflow-dags", "--prefix", "dags", str(out)]
        first = CliRunner().invoke(main, args)
        assert first.exit_code == 0, first.output
        assert first.stdout.splitlines() == [
            "uploaded: s3://airflow-dags/dags/stainless_house_prices.py",
            "uploaded: s3://airflow-dags/dags/stainless_house_prices__monitor.py",
        ]
        again = CliRunner().invoke(main, args)
        assert [line.split(": ")[0] for line in again.stdout.splitlines()] == ["unchanged"] * 2
        body = s3.get_object(Bucket="airflow-dags", Key="dags/stainless_house_prices.py")["Body"]
        assert body.read() == (out / "stainless_house_prices.py").read_bytes()


@pytest.mark.integration
def test_only_changed_files_are_uploaded_and_keys_follow_the_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    (tmp_path / "a.py").write_text("A = 1\n")
    (tmp_path / "b.py").write_text("B = 1\n")
    (tmp_path / "notes.txt").write_text("not a DAG")
    with moto_server(monkeypatch):
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="dags")
        first = upload_dags(tmp_path, "dags", prefix="/", client=s3)
        assert [(u.key, u.changed) for u in first] == [("a.py", True), ("b.py", True)]
        (tmp_path / "b.py").write_text("B = 2\n")
        second = upload_dags(tmp_path, "dags", prefix="/", client=s3)
        assert [(u.key, u.changed) for u in second] == [("a.py", False), ("b.py", True)]
        assert s3.get_object(Bucket="dags", Key="b.py")["Body"].read() == b"B = 2\n"


def test_a_folder_without_dag_files_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="stainless dags render --out DIR"):
        upload_dags(tmp_path, "dags")
