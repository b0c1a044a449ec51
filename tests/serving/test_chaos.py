"""serving.chaos: the framework's fault injection for drills, applied by the server around the
model and carried by the version's bundle (issue 13 item 5: no demo machinery in model.py)."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest
from stainless.project.config import model_schema
from stainless.serving.chaos import ChaosSettings, InjectedFault, with_chaos
from stainless.serving.server import ServeSpec, build_app
from support.toy_model import OK, make_toy_model


def test_defaults_match_the_model_yaml_schema() -> None:
    section = model_schema()["properties"]["serving"]["properties"]["chaos"]["properties"]
    assert {f.name for f in fields(ChaosSettings)} == set(section)
    for name, schema in section.items():
        assert getattr(ChaosSettings(), name) == schema["default"], name


def test_off_by_default_and_failing_about_the_share_after_the_warmup(model) -> None:
    assert with_chaos(model, ChaosSettings()) is model
    drill = with_chaos(model, ChaosSettings(error_rate=0.3, warmup_requests=20), seed=1)
    for _ in range(20):
        assert drill.predict({"x": 1.0}) == {"prediction": 2.0}
    failed = 0
    for _ in range(1000):
        try:
            drill.predict({"x": 1.0})
        except Exception as exc:  # a ModelFailure caused by the injected fault
            assert isinstance(exc.__cause__, InjectedFault)
            failed += 1
    assert 240 <= failed <= 360
    assert model.predict({"x": 1.0}) == {"prediction": 2.0}  # the model itself is untouched


def serve(directory: Path, chaos: dict | None, client_for) -> object:
    make_toy_model(directory, 2.0)
    manifest = directory / ".stainless" / "manifest.json"
    record = json.loads(manifest.read_text())
    if chaos is not None:
        record["serving_chaos"] = chaos
    manifest.write_text(json.dumps(record))
    return client_for(build_app(ServeSpec(model_dir=str(directory), name="toy", version="3")))


@pytest.mark.parametrize(("chaos", "expected"), [(None, {200}), ({"error_rate": 1}, {200, 500})])
def test_the_server_applies_the_chaos_its_version_was_trained_with(
    tmp_path, client_for, chaos, expected
) -> None:
    client = serve(tmp_path / "model", chaos, client_for)
    assert client.get("/ping").status_code == 200  # the self-test runs inside the warm-up
    statuses = [client.post("/invocations", json=OK).status_code for _ in range(25)]
    assert set(statuses) == expected
    if chaos:
        failed = client.post("/invocations", json=OK)
        assert failed.headers["x-stainless-error-origin"] == "model"
        assert statuses.count(200) == 19  # warmup_requests (20) minus the self-test example
