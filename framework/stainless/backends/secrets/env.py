"""``env://NAME``: a secret already in the process's environment, under another name."""

from __future__ import annotations

import os

from stainless.backends.secrets import SecretRef
from stainless.core.errors import BackendError


class EnvironmentStore:
    def get(self, ref: SecretRef) -> str:
        value = os.environ.get(ref.name)
        if not value:
            raise BackendError(
                f"{ref.variable} refers to the environment variable {ref.name}, which is not set",
                file="model.yaml",
                key=ref.key,
                fix=f"export {ref.name} (or {ref.variable} itself) before running",
            )
        return value
