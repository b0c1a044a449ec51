import json
from pathlib import Path

import pytest
from stainless.core.errors import HookError, SchemaError
from stainless.project.hooks import load_hook
from stainless.project.runtime import LoadedModel, ModelFailure, RequestInvalid, ResponseInvalid
from stainless.project.schemas import load_schemas

REQUEST = {
    "type": "object",
    "required": ["x"],
    "properties": {"x": {"type": "number"}},
    "examples": [{"x": 1}],
}
RESPONSE = {"type": "object", "required": ["y"], "properties": {"y": {"type": "number"}}}


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_missing_function_lists_what_is_there(tmp_path):
    hook = write(tmp_path / "train.py", "def fit(datasets, ctx):\n    pass\n")
    with pytest.raises(HookError) as info:
        load_hook("train", hook)
    message = str(info.value)
    assert message.startswith("train.py: no function named 'train'")
    assert "found functions fit" in message
    assert "def train(datasets, ctx) -> None" in message


def test_wrong_arity_is_explained(tmp_path):
    hook = write(tmp_path / "train.py", "def train(datasets):\n    pass\n")
    with pytest.raises(
        HookError, match=r"train takes the wrong arguments.*found train\(datasets\)"
    ):
        load_hook("train", hook)


def test_import_error_names_the_file(tmp_path):
    hook = write(tmp_path / "preprocess.py", "import not_a_module_xyz\n")
    with pytest.raises(HookError, match="preprocess.py: importing it failed: ModuleNotFoundError"):
        load_hook("preprocess", hook)


def test_schemas_are_checked(tmp_path):
    path = tmp_path / "schemas.json"
    write(path, json.dumps({"request": REQUEST}))
    with pytest.raises(SchemaError, match="schemas.json: response: missing JSON Schema"):
        load_schemas(path)
    write(path, json.dumps({"request": {"type": "nope"}, "response": RESPONSE}))
    with pytest.raises(SchemaError, match="request/type: not a valid JSON Schema"):
        load_schemas(path)
    write(path, "{not json")
    with pytest.raises(SchemaError, match="not valid JSON at line 1"):
        load_schemas(path)


def test_a_bad_example_names_its_json_path_and_quotes_as_json(tmp_path):
    """Issue 13 item 3: the failing field's path, values quoted as in the file."""
    path = tmp_path / "schemas.json"
    request = {
        "type": "object",
        "properties": {"x": {"type": "number"}, "year_built": {"type": "number"}},
        "examples": [{"x": 1}, {"x": 2, "year_built": "2019.0"}],
    }
    write(path, json.dumps({"request": request, "response": RESPONSE}))
    with pytest.raises(SchemaError) as info:
        load_schemas(path)
    assert str(info.value) == (
        'schemas.json: request/examples/1/year_built: example 1 does not validate: "2019.0" is '
        "not of type number. Fix: fix the example or the schema at "
        "request/properties/year_built/type so they agree"
    )
    response = {**RESPONSE, "examples": [{"y": 1}, {}]}
    write(path, json.dumps({"request": REQUEST, "response": response}))
    with pytest.raises(SchemaError, match=r'response/examples/1: .*"y" is a required property'):
        load_schemas(path)


def loaded(tmp_path, body: str) -> LoadedModel:
    write(tmp_path / "schemas.json", json.dumps({"request": REQUEST, "response": RESPONSE}))
    write(tmp_path / "model.py", "def load_model(artifact_dir):\n" + body)
    return LoadedModel.load(tmp_path, tmp_path / "model.py", tmp_path / "schemas.json")


def test_runtime_classifies_failures_by_origin(tmp_path):
    model = loaded(tmp_path, "    return lambda r: {'y': 1 / r['x']}\n")
    assert model.predict({"x": 2}) == {"y": 0.5}
    model.self_test()
    with pytest.raises(RequestInvalid) as invalid:
        model.predict({"x": "2"})
    assert invalid.value.origin == "client" and invalid.value.violations[0].path == "/x"
    with pytest.raises(ModelFailure) as failure:
        model.predict({"x": 0})
    assert failure.value.origin == "model" and "ZeroDivisionError" in failure.value.message
    assert len(failure.value.error_id) == 12


def test_response_violations_are_the_models_fault(tmp_path):
    model = loaded(tmp_path, "    return lambda r: {'y': 'high'}\n")
    with pytest.raises(ResponseInvalid) as info:
        model.predict({"x": 1})
    assert info.value.origin == "response"
    assert "model.py" in info.value.message and info.value.violations[0].path == "/y"


def test_load_model_must_return_a_callable(tmp_path):
    with pytest.raises(HookError, match="model.py: load_model must return a callable"):
        loaded(tmp_path, "    return 42\n")
