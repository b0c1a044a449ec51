"""Errors a user can cause, each saying where (file, key), what was expected, and the fix.

The CLI prints these without a traceback: a data scientist should never have to read our stack
frames to learn that a key in ``model.yaml`` is misspelt.
"""

from __future__ import annotations

from stainless.core.redact import redact


class StainlessError(Exception):
    """Base class for errors the framework explains to a person."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        expected: str | None = None,
        found: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.key = key
        self.expected = expected
        self.found = found
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        where = ""
        if self.file and self.key:
            where = f"{self.file}: {self.key}: "
        elif self.file:
            where = f"{self.file}: "
        elif self.key:
            where = f"{self.key}: "
        parts = [f"{where}{self.message}"]
        if self.expected is not None:
            parts.append(f"expected {self.expected}")
        if self.found is not None:
            parts.append(f"found {self.found}")
        text = "; ".join(parts)
        if self.fix:
            text += f". Fix: {self.fix}"
        # An error may quote what a library said, and that may hold a secret of this process.
        return redact(text)


class ConfigError(StainlessError):
    """``model.yaml`` (or another config file) is missing, malformed or invalid."""

    exit_code = 2


class HookError(StainlessError):
    """A data scientist's hook (preprocess / train / load_model) is missing or misbehaved."""

    exit_code = 3


class SchemaError(StainlessError):
    """A request/response JSON Schema is invalid, or data does not match it."""

    exit_code = 3


class DataCheckError(StainlessError):
    """The training data breaks the request schema or a ``data_checks`` rule of model.yaml."""

    exit_code = 3


class StageError(StainlessError):
    """A pipeline stage cannot run (missing inputs, earlier stage not run, ...)."""

    exit_code = 4


class BackendError(StainlessError):
    """A backend (store, registry, data source, notifier) is misconfigured or unreachable."""

    exit_code = 5


class MissingExtraError(BackendError):
    """An optional dependency is needed for the chosen backend."""

    def __init__(self, module: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the Python package '{module}', which is not installed",
            fix=f"pip install 'stainless-ml[{extra}]'",
        )


def truncate(value: object, limit: int = 120) -> str:
    """repr() of a value, cut so error messages never echo a huge payload."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
