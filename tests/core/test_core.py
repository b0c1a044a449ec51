from pathlib import Path

import pytest
from stainless.core import atomic
from stainless.core.durations import parse_duration
from stainless.core.errors import ConfigError, StainlessError, truncate
from stainless.core.ids import check_run_id, new_run_id, sanitize_run_id
from stainless.core.uris import parse_uri


def test_error_names_file_key_expected_found_and_fix():
    error = ConfigError(
        "invalid value",
        file="model.yaml",
        key="metric",
        expected="one of rmse",
        found="'rsme'",
        fix="check the spelling",
    )
    assert str(error) == (
        "model.yaml: metric: invalid value; expected one of rmse; found 'rsme'."
        " Fix: check the spelling"
    )
    assert error.exit_code == 2


def test_truncate_bounds_huge_values():
    assert len(truncate("x" * 10_000)) == 120


def test_run_ids_are_sortable_and_checked():
    assert check_run_id(new_run_id())
    with pytest.raises(StainlessError):
        check_run_id("../etc")


def test_airflow_run_ids_map_deterministically():
    raw = "scheduled__2026-11-28T03:00:00+00:00"
    assert sanitize_run_id(raw) == sanitize_run_id(raw) == "scheduled__2026-11-28T03-00-00-00-00"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400), (45, 45), ("10", 10)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def test_bad_duration():
    with pytest.raises(ValueError, match="like 90s"):
        parse_duration("soon")


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


def test_atomic_write_replaces_whole_file(tmp_path: Path):
    target = tmp_path / "sub" / "f.json"
    atomic.write_json(target, {"a": 1})
    atomic.write_json(target, {"a": 2})
    assert target.read_text().strip().endswith("}")
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]


def test_atomic_write_failure_leaves_old_content(tmp_path: Path):
    target = tmp_path / "f.txt"
    atomic.write_text(target, "old")

    with pytest.raises(TypeError):
        atomic.write_bytes(target, object())  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
