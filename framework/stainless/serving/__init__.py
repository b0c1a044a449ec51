"""The inference server: SageMaker's bring-your-own-container contract (``GET /ping``,
``POST /invocations`` on port 8080) around one :class:`~stainless.project.runtime.LoadedModel`.

Build an app in-process with :func:`create_app`; run it with ``stainless serve``.
"""

from stainless.serving.app import ServingApp, create_app
from stainless.serving.loading import ServedModel, load_artifacts, load_registered
from stainless.serving.settings import ServingSettings

__all__ = [
    "ServedModel",
    "ServingApp",
    "ServingSettings",
    "create_app",
    "load_artifacts",
    "load_registered",
]
