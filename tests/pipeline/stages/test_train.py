"""The train stage checks the training data against the contract before `train` runs
(issue 13 item 6): a violation fails the stage with counts, examples and the JSON path; model.yaml
`data_checks` relaxes it."""

from __future__ import annotations

import json

import pytest
from stainless.core.errors import DataCheckError
from stainless.pipeline.stages import run_stage
from stainless.project.config import load_config
from stainless.workspace import Workspace
from stainless.workspace.layout import model_key


def test_a_schema_narrower_than_the_data_stops_training(bake):
    project_dir = bake()
    schemas_path = project_dir / "schemas.json"
    schemas = json.loads(schemas_path.read_text())
    schemas["request"]["properties"]["area_sqm"]["maximum"] = 100
    schemas["request"]["examples"] = [
        {**e, "area_sqm": 90.0} for e in schemas["request"]["examples"]
    ]
    schemas_path.write_text(json.dumps(schemas))
    project = Workspace(load_config(project_dir))
    run_stage(project, "preprocess", "r1")
    with pytest.raises(DataCheckError) as info:
        run_stage(project, "train", "r1")
    message = info.value.render()
    assert message.startswith("preprocess.py: the training data breaks the contract")
    assert "train: column 'area_sqm':" in message and "break maximum 100; e.g. " in message
    assert "(schemas.json request/properties/area_sqm/maximum)" in message
    assert not project.registry.list()  # nothing was trained or registered

    with (project_dir / "model.yaml").open("a") as config:
        config.write("\ndata_checks:\n  schema: false\n")
    relaxed = Workspace(load_config(project_dir))
    assert run_stage(relaxed, "train", "r1").version == 1


def test_training_is_idempotent_per_run_id(bake):
    project = Workspace(load_config(bake()))
    run_stage(project, "preprocess", "same")
    first = run_stage(project, "train", "same")
    tarball = project.store.get_bytes(model_key("same"))
    again = run_stage(project, "train", "same")
    assert project.store.get_bytes(model_key("same")) == tarball
    assert again.version == first.version == 1 and len(project.registry.list()) == 1
