"""Load and validate ``model.yaml`` against the JSON Schema shipped with the framework.

Every error names the file, the key, what was expected and what was found, because the person
reading it is a data scientist who just edited that file.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from stainless.core.durations import parse_duration
from stainless.core.errors import ConfigError, truncate
from stainless.core.hashing import config_hash
from stainless.project.yaml_file import load_yaml

CONFIG_FILE = "model.yaml"
BACKEND_KEYS = ("data", "store", "registry", "notify", "endpoint")
MINIMIZED_METRICS = frozenset({"rmse", "mae", "log_loss"})
CLASSIFICATION_METRICS = frozenset({"accuracy", "f1", "roc_auc", "log_loss"})
SCORE_METRICS = frozenset({"roc_auc", "log_loss"})


@cache
def model_schema() -> dict[str, Any]:
    text = resources.files("stainless.project").joinpath("schema/model.schema.json").read_text()
    return json.loads(text)


@dataclass(frozen=True)
class ModelConfig:
    """The validated ``model.yaml`` with every default filled in."""

    project_dir: Path
    raw: dict[str, Any]
    env: str | None = None
    backends: dict[str, str] = field(default_factory=dict)
    # Environment variable -> secret reference (never a value) for the selected environment.
    secrets: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    @property
    def name(self) -> str:
        return self.raw["name"]

    @property
    def target(self) -> str:
        return self.raw["target"]

    @property
    def metric(self) -> str:
        return self.raw["metric"]

    @property
    def direction(self) -> str:
        return self.raw["direction"]

    @property
    def is_classification(self) -> bool:
        return self.metric in CLASSIFICATION_METRICS

    @property
    def test_size(self) -> float:
        return float(self.raw["test_size"])

    @property
    def max_runtime_seconds(self) -> float:
        return parse_duration(self.raw["max_runtime"])

    @property
    def params(self) -> dict[str, Any]:
        return self.raw["params"]

    def hook_path(self, hook: str) -> Path:
        return self.project_dir / self.raw["hooks"][hook]

    def backend(self, kind: str) -> str:
        return self.backends[kind]

    def resources_for(self, stage: str) -> dict[str, Any]:
        return self.raw["resources"][stage]

    def secret_key(self, variable: str) -> str:
        """Where ``variable``'s reference sits in model.yaml (for error messages)."""
        declared = self.raw["environments"].get(self.env or "", {}).get("secrets", {})
        if self.env and variable in declared:
            return f"environments.{self.env}.secrets.{variable}"
        return f"secrets.{variable}"

    @property
    def hash(self) -> str:
        """Hash of the effective configuration (for lineage): same config, same hash."""
        return config_hash({"config": self.raw, "backends": self.backends})


def load_config(project_dir: str | os.PathLike[str] = ".", env: str | None = None) -> ModelConfig:
    project = Path(project_dir).resolve()
    path = project / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(
            "file not found",
            file=str(path),
            fix="run stainless inside a model repository, or pass -C PROJECT_DIR "
            "(create one with `stainless new`)",
        )
    document = load_yaml(path.read_text(encoding="utf-8"), CONFIG_FILE)
    if document is None:
        document = {}
    return config_from_mapping(document, project, env=env)


def config_from_mapping(
    document: Any, project_dir: Path, env: str | None = None, file: str = CONFIG_FILE
) -> ModelConfig:
    if not isinstance(document, dict):
        raise ConfigError(
            "the top level must be a mapping of keys to values",
            file=file,
            found=type(document).__name__,
        )
    validator = Draft202012Validator(model_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: (len(e.path), list(e.path)))
    if errors:
        raise explain_schema_error(errors[0], file, len(errors))
    raw = _with_defaults(copy.deepcopy(document), model_schema(), model_schema())
    raw.setdefault("direction", "minimize" if raw["metric"] in MINIMIZED_METRICS else "maximize")
    _check_semantics(raw, file)
    raw["params"] = {**raw["params"], **_params_override()}
    env = env if env is not None else os.environ.get("STAINLESS_ENV") or None
    return ModelConfig(
        project_dir=project_dir,
        raw=raw,
        env=env,
        backends=_backends(raw, env, file),
        secrets=_secrets(raw, env),
    )


def _backends(raw: dict[str, Any], env: str | None, file: str) -> dict[str, str]:
    chosen = {key: raw.get(key, "") for key in BACKEND_KEYS}
    chosen["endpoint"] = chosen["endpoint"] or "local://"
    if env:
        if env not in raw["environments"]:
            known = ", ".join(sorted(raw["environments"])) or "none defined"
            raise ConfigError(
                f"unknown environment {env!r}",
                file=file,
                key="environments",
                expected=f"one of: {known}",
                fix=f"add environments.{env} to {file}, or unset STAINLESS_ENV / --env",
            )
        declared = raw["environments"][env]
        chosen.update({key: declared[key] for key in BACKEND_KEYS if key in declared})
        _check_cloud_endpoint(env, declared, chosen, file, raw["name"])
    # 12-factor: the deployment (CI, Airflow, the container) can point any backend elsewhere.
    for key in BACKEND_KEYS:
        override = os.environ.get(f"STAINLESS_{key.upper()}")
        if override:
            chosen[key] = override
    return chosen


CLOUD_SCHEMES = {"store": ("s3://",), "registry": ("sagemaker://",)}


def _check_cloud_endpoint(
    env: str, declared: dict[str, Any], chosen: dict[str, str], file: str, name: str
) -> None:
    """A production environment with the local endpoint would deploy to this machine and roll
    out with the local (seconds-long, no latency guard) settings: refuse it at load time.

    Only the environment's own declaration counts: STAINLESS_ENDPOINT set by the deployment is a
    deliberate choice (e.g. a rehearsal) and is applied after this check."""
    if os.environ.get("STAINLESS_ENDPOINT") or not chosen["endpoint"].startswith("local://"):
        return
    cloud = [
        f"{key}: {chosen[key]}"
        for key, schemes in CLOUD_SCHEMES.items()
        if chosen[key].startswith(schemes)
    ]
    if env != "aws" and not cloud:
        return
    why = f"it uses {' and '.join(cloud)}" if cloud else "it is the production environment"
    raise ConfigError(
        f"environment {env!r} serves from the local endpoint, but {why}",
        file=file,
        key=f"environments.{env}.endpoint",
        expected="sagemaker://ENDPOINT_NAME",
        found=str(declared.get("endpoint", "(not set: local://)")),
        fix=f"add `endpoint: sagemaker://{name}` under environments.{env} "
        "(instance type from resources.serve, scaling from hosting:)",
    )


def _secrets(raw: dict[str, Any], env: str | None) -> dict[str, str]:
    """Top-level secrets, with the selected environment's on top."""
    chosen = dict(raw.get("secrets", {}))
    if env and env in raw["environments"]:
        chosen.update(raw["environments"][env].get("secrets", {}))
    return chosen


def _params_override() -> dict[str, Any]:
    """``STAINLESS_PARAMS`` (a JSON object, set by ``--param KEY=VALUE``) overrides params, so a
    one-off run needs no edit of model.yaml; it is part of the config hash, hence the lineage."""
    text = os.environ.get("STAINLESS_PARAMS")
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise ConfigError(
            "must be a JSON object",
            key="STAINLESS_PARAMS",
            found=truncate(text),
            fix="use --param KEY=VALUE",
        )
    return value


def _check_semantics(raw: dict[str, Any], file: str) -> None:
    metric, direction = raw["metric"], raw["direction"]
    natural = "minimize" if metric in MINIMIZED_METRICS else "maximize"
    if direction != natural:
        raise ConfigError(
            f"{metric} is a metric to {natural}",
            file=file,
            key="direction",
            expected=natural,
            found=direction,
            fix=f"set direction: {natural} (or remove the key; it defaults from the metric)",
        )
    try:
        parse_duration(raw["max_runtime"])
    except ValueError as exc:
        raise ConfigError(
            str(exc), file=file, key="max_runtime", fix="use e.g. 30m or 2h"
        ) from None


def explain_schema_error(
    error: ValidationError, file: str | None, total: int = 1, section: str = ""
) -> ConfigError:
    """A schema violation as an error naming the file, the key, what was expected and the fix.

    ``section`` is the dotted key of the mapping that was validated when it is a part of
    model.yaml (``rollout``), so that keys are named as the person wrote them.
    """
    parts = ([section] if section else []) + [str(part) for part in error.absolute_path]
    key = ".".join(parts) or "(top level)"
    more = f" ({total - 1} more problem(s) after this one)" if total > 1 else ""
    validator, value = error.validator, error.validator_value
    if validator == "required":
        missing = [name for name in value if name not in error.instance]
        field_name = missing[0] if missing else "?"
        prefix = f"{key}." if parts else ""
        description = _description_of(error, field_name)
        return ConfigError(
            f"required key is missing{more}",
            file=file,
            key=f"{prefix}{field_name}",
            fix=f"add `{field_name}:` ({description})" if description else f"add `{field_name}:`",
        )
    if validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        prefix = f"{key}." if parts else ""
        return ConfigError(
            f"unknown key{more}",
            file=file,
            key=f"{prefix}{extra[0] if extra else '?'}",
            expected="one of " + ", ".join(allowed),
            fix="check the spelling, or remove the key",
        )
    expected = {
        "enum": lambda: "one of " + ", ".join(map(str, value)),
        "type": lambda: f"a value of type {value}",
        "pattern": lambda: f"text matching {value}",
        "minimum": lambda: f"a number >= {value}",
        "maximum": lambda: f"a number <= {value}",
        "exclusiveMinimum": lambda: f"a number > {value}",
        "exclusiveMaximum": lambda: f"a number < {value}",
        "minLength": lambda: f"text of at least {value} character(s)",
    }.get(validator, lambda: error.message)()
    path = [str(part) for part in error.absolute_path]
    if "secrets" in path and "propertyNames" in error.absolute_schema_path:
        return ConfigError(
            f"secret names are environment variable names{more}",
            file=file,
            key=key,
            expected="letters, digits and '_', not starting with a digit (e.g. SNOWFLAKE_PASSWORD)",
            found=truncate(error.instance),
            fix="name the variable the backend or your hook reads",
        )
    if "secrets" in path:
        # What sits where a reference belongs is most likely the secret itself: never echo it.
        return ConfigError(
            f"a secret must be given by reference, not by value{more}",
            file=file,
            key=key,
            expected="secretsmanager://ID[#KEY], ssm:///NAME or env://NAME",
            found="a value that is not a reference (not shown)",
            fix="store the value in Secrets Manager or SSM Parameter Store and name it here; "
            "if it was committed, rotate it",
        )
    return ConfigError(
        f"invalid value{more}",
        file=file,
        key=key,
        expected=expected,
        found=truncate(error.instance),
        fix=_description_of(error, None) or "see docs/model-yaml.md",
    )


def _description_of(error: ValidationError, child: str | None) -> str:
    schema = error.schema
    if child is not None:
        schema = schema.get("properties", {}).get(child, {})
    return str(schema.get("description", ""))


def _with_defaults(value: Any, schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """Fill JSON Schema ``default``s recursively (jsonschema validates but never fills)."""
    if "$ref" in schema:
        ref = schema["$ref"].removeprefix("#/")
        target = root
        for part in ref.split("/"):
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    if not isinstance(value, dict):
        return value
    for name, sub in schema.get("properties", {}).items():
        sub_resolved = sub
        if "$ref" in sub:
            ref = sub["$ref"].removeprefix("#/")
            sub_resolved = root
            for part in ref.split("/"):
                sub_resolved = sub_resolved[part]
            # Keywords beside the $ref (a default given where the shared definition is used)
            # win over the definition's own.
            sub_resolved = {**sub_resolved, **{k: v for k, v in sub.items() if k != "$ref"}}
        if name not in value and "default" in sub_resolved:
            value[name] = copy.deepcopy(sub_resolved["default"])
        if name in value:
            value[name] = _with_defaults(value[name], sub, root)
    return value
