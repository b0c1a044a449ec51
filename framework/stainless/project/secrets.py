"""The secrets of model.yaml, resolved into the environment of the process about to work.

Called where a process starts a stage, a job, a rollout tick or the model server, never when a
config is merely read (rendering DAGs, CI checks, listing versions need no secret).
"""

from __future__ import annotations

import logging

from stainless.backends.secrets import ExportedSecrets, export_secrets
from stainless.project.config import ModelConfig

log = logging.getLogger("stainless")


def load_secrets(config: ModelConfig) -> ExportedSecrets:
    if not config.secrets:
        return ExportedSecrets()
    keys = {name: config.secret_key(name) for name in config.secrets}
    exported = export_secrets(config.secrets, keys=keys)
    if exported.resolved:
        # Names only: the values are in this process's environment and nowhere else.
        log.info("secrets resolved into this process: %s", ", ".join(exported.resolved))
    return exported
