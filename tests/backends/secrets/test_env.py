"""stainless.backends.secrets.env: ``env://NAME``, a secret the process already holds."""

from __future__ import annotations

import pytest
from stainless.backends.secrets import SecretRef
from stainless.backends.secrets.env import EnvironmentStore
from stainless.core.errors import BackendError


def test_the_value_comes_from_the_named_variable(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CI_SNOWFLAKE_PASSWORD", "from-the-ci")
    ref = SecretRef.parse("env://CI_SNOWFLAKE_PASSWORD", "SNOWFLAKE_PASSWORD", "secrets.X")
    assert EnvironmentStore().get(ref) == "from-the-ci"


@pytest.mark.parametrize("value", [None, ""])
def test_an_unset_or_empty_variable_names_both_variables_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, value: str | None
):
    if value is None:
        monkeypatch.delenv("CI_TOKEN", raising=False)
    else:
        monkeypatch.setenv("CI_TOKEN", value)
    ref = SecretRef.parse("env://CI_TOKEN", "SLACK_BOT_TOKEN", "secrets.SLACK_BOT_TOKEN")
    with pytest.raises(BackendError) as missing:
        EnvironmentStore().get(ref)
    assert missing.value.key == "secrets.SLACK_BOT_TOKEN"
    assert "CI_TOKEN, which is not set" in missing.value.message
    assert missing.value.fix == "export CI_TOKEN (or SLACK_BOT_TOKEN itself) before running"
