"""Render the model.yaml reference (docs/model-yaml.md) from its JSON Schema.

The schema is the single source of truth: `make docs` regenerates the page, and a test fails
when the committed page and the schema disagree.
"""

from __future__ import annotations

import json
from typing import Any

from stainless.project.config import model_schema

HEADER = """# `model.yaml` reference

<!-- Generated from framework/stainless/project/schema/model.schema.json by `make docs`.
     Do not edit by hand. -->

Every model repository has a `model.yaml`. The template writes one with all the answers you
gave; most keys have defaults. `stainless` validates it on every command and names the key, the
expected value and the fix when something is wrong. A key given twice in one mapping (two
`serving:` blocks, say) is an error, not "the last one wins": merge the two blocks.

| key | type | default | description |
|---|---|---|---|
"""


def _type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    kind = schema.get("type", "object" if "properties" in schema else "any")
    return " or ".join(kind) if isinstance(kind, list) else str(kind)


def _rows(
    schema: dict[str, Any], root: dict[str, Any], prefix: str, required: set[str]
) -> list[str]:
    rows = []
    for name, sub in schema.get("properties", {}).items():
        if "$ref" in sub:
            target = root
            for part in sub["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            sub = {**target, **{k: v for k, v in sub.items() if k != "$ref"}}
        key = f"{prefix}{name}"
        if "default" in sub and not isinstance(sub["default"], dict):
            default = f"`{json.dumps(sub['default'])}`"
        elif name in required:
            default = "**required**"
        else:
            default = ""
        description = sub.get("description", "").replace("|", "\\|")
        rows.append(f"| `{key}` | {_type(sub)} | {default} | {description} |")
        if "properties" in sub:
            rows.extend(_rows(sub, root, f"{key}.", set(sub.get("required", []))))
        extra = sub.get("additionalProperties")
        if isinstance(extra, dict) and "properties" in extra:
            rows.extend(_rows(extra, root, f"{key}.<name>.", set(extra.get("required", []))))
    return rows


def render() -> str:
    schema = model_schema()
    rows = _rows(schema, schema, "", set(schema.get("required", [])))
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(render(), end="")
