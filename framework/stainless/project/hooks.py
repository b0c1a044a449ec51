"""Find and load the data scientist's hook functions from their files.

The contract is three functions in three files (plus the schemas): ``preprocess(ctx)`` in
``preprocess.py``, ``train(datasets, ctx)`` in ``train.py`` and ``load_model(artifact_dir)`` in
``model.py``. Anything else about the project is the framework's business.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from stainless.core.errors import HookError

HOOKS = {
    "preprocess": ("preprocess", "def preprocess(ctx) -> Datasets", 1),
    "train": ("train", "def train(datasets, ctx) -> None", 2),
    "model": ("load_model", "def load_model(artifact_dir) -> Callable[[dict], dict]", 1),
}


def load_module(path: Path) -> ModuleType:
    """Import a Python file by path; its directory is importable so helpers next to it work."""
    if not path.is_file():
        raise HookError(
            "file not found", file=str(path), fix="create it, or fix `hooks:` in model.yaml"
        )
    # A unique module name per file content lets two versions of model.py (candidate and
    # production) live in one process during evaluation.
    digest = hashlib.sha1(str(path.resolve()).encode() + path.read_bytes()).hexdigest()[:12]
    name = f"stainless_hook_{path.stem}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise HookError("cannot be imported as a Python module", file=str(path))
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent.resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise HookError(
            f"importing it failed: {type(exc).__name__}: {exc}",
            file=path.name,
            fix="run `python " + path.name + "` to see the full traceback",
        ) from exc
    return module


def load_hook(kind: str, path: Path) -> Callable[..., Any]:
    function_name, signature, arity = HOOKS[kind]
    module = load_module(path)
    function = getattr(module, function_name, None)
    if function is None:
        found = sorted(
            n for n, v in vars(module).items() if inspect.isfunction(v) and not n.startswith("_")
        )
        raise HookError(
            f"no function named {function_name!r}",
            file=path.name,
            expected=signature,
            found="functions " + ", ".join(found) if found else "no functions",
            fix=f"define `{signature}` in {path.name}",
        )
    if not callable(function):
        raise HookError(f"{function_name!r} is not a function", file=path.name, expected=signature)
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return function
    required = [
        p
        for p in parameters
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    variadic = any(p.kind is p.VAR_POSITIONAL for p in parameters)
    if len(required) > arity or (len(list(parameters)) < arity and not variadic):
        raise HookError(
            f"{function_name} takes the wrong arguments",
            file=path.name,
            expected=signature,
            found=f"{function_name}{inspect.signature(function)}",
            fix=f"change it to `{signature}`",
        )
    return function
