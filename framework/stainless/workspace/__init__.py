"""The project workspace: a model's config with its resolved backends, where a run's artifacts
live in the store, how a model is packaged, and which stages of a run are done.

These are the foundations under every orchestrator (pipeline, serving, testing, container): they
know the project contract and the backends, and nothing above them.
"""

from stainless.workspace.workspace import Workspace, open_workspace

__all__ = ["Workspace", "open_workspace"]
