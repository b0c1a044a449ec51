import pytest
from stainless.core.errors import StainlessError
from stainless.core.ids import check_run_id, new_run_id, sanitize_run_id


def test_run_ids_are_sortable_and_checked():
    assert check_run_id(new_run_id())
    with pytest.raises(StainlessError):
        check_run_id("../etc")


def test_airflow_run_ids_map_deterministically():
    raw = "scheduled__2026-11-28T03:00:00+00:00"
    assert sanitize_run_id(raw) == sanitize_run_id(raw) == "scheduled__2026-11-28T03-00-00-00-00"
