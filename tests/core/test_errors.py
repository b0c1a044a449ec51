from stainless.core.errors import ConfigError, truncate


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
