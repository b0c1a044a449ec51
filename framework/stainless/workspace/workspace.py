"""A model project opened for work: its config and the backends that config points at.

The foundation every orchestrator stands on (the runner, the Airflow tasks, the container entry
points, the shared test suite): it resolves each backend URI of model.yaml once, lazily."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from stainless.backends.data import DataSource, open_source
from stainless.backends.endpoints import Endpoint, open_endpoint
from stainless.backends.notify import Event, Notifier, open_notifier
from stainless.backends.registry import ModelRegistry, open_registry
from stainless.backends.storage import ArtifactStore, open_store
from stainless.core.redact import redact
from stainless.project.config import ModelConfig, load_config
from stainless.project.hosting import endpoint_settings
from stainless.project.secrets import load_secrets

log = logging.getLogger("stainless")


@dataclass
class Workspace:
    config: ModelConfig
    notifier_override: Notifier | None = field(default=None, repr=False)
    _secrets_loaded: bool = field(default=False, init=False, repr=False)

    @property
    def dir(self) -> Path:
        return self.config.project_dir

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def work_dir(self) -> Path:
        """Scratch space for extracted models and in-flight files (never the source of truth)."""
        return self.dir / ".stainless" / "work"

    @cached_property
    def store(self) -> ArtifactStore:
        return open_store(self.config.backend("store"), self.dir)

    @cached_property
    def registry(self) -> ModelRegistry:
        return open_registry(self.config.backend("registry"), self.dir)

    @cached_property
    def notifier(self) -> Notifier:
        if self.notifier_override is not None:
            return self.notifier_override
        if not self.config.backend("notify").startswith("console:"):
            self.use_secrets()  # e.g. SLACK_BOT_TOKEN
        return open_notifier(self.config.backend("notify"), self.dir, self.config["slack"])

    @cached_property
    def endpoint(self) -> Endpoint:
        return open_endpoint(
            self.config.backend("endpoint"), self.dir, self.name, endpoint_settings(self.config)
        )

    def endpoint_named(self, name: str | None) -> Endpoint:
        """The model's endpoint, or another endpoint of the same kind by name."""
        if name is None or name == self.name:
            return self.endpoint
        return open_endpoint(
            self.config.backend("endpoint"), self.dir, name, endpoint_settings(self.config)
        )

    def open_data(self) -> DataSource:
        self.use_secrets()  # e.g. SNOWFLAKE_PASSWORD
        return open_source(self.config.backend("data"), self.dir)

    def use_secrets(self) -> None:
        """Resolve model.yaml's secrets into this process's environment (once): called by
        whatever is about to do the work, never when a config is only read."""
        if not self._secrets_loaded:
            load_secrets(self.config)
            self._secrets_loaded = True

    def notify(self, kind: str, title: str, run_id: str | None = None, **kwargs: object) -> None:
        title = redact(title)
        fields = kwargs.get("fields")
        if isinstance(fields, dict):
            kwargs["fields"] = {
                k: redact(v) if isinstance(v, str) else v for k, v in fields.items()
            }
        event = Event(kind=kind, model=self.name, title=title, run_id=run_id, **kwargs)  # type: ignore[arg-type]
        try:
            self.notifier.send(event)
        except Exception:  # a notification must never fail a pipeline
            log.exception("notifier failed for %s", kind)


def open_workspace(project_dir: str | Path = ".", env: str | None = None) -> Workspace:
    return Workspace(load_config(project_dir, env=env))
