import json
from pathlib import Path

import pytest
from stainless.core.errors import SchemaError
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


def test_a_key_given_twice_is_refused_not_silently_dropped(tmp_path):
    path = tmp_path / "schemas.json"
    request = json.dumps(REQUEST)[:-1] + ', "required": []}'  # a second "required"
    write(path, '{"request": ' + request + ', "response": ' + json.dumps(RESPONSE) + "}")
    with pytest.raises(SchemaError) as info:
        load_schemas(path)
    message = str(info.value)
    assert "schemas.json" in message and "'required' appears twice" in message
    assert "merge the two" in message


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
