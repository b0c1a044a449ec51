"""stainless: painless ML in production.

The public surface a data scientist touches is tiny: :class:`Datasets` (what ``preprocess``
returns), :class:`Context` (the ``ctx`` handed to ``preprocess`` and ``train``, so hooks can be
annotated ``def train(datasets: Datasets, ctx: Context) -> None`` and editors complete
``ctx.``), and :func:`batch` (marks a prediction function of ``model.py`` as taking a list of
requests). Everything else is run for them by the framework.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stainless.project.context import Context
    from stainless.project.datasets import Datasets
    from stainless.project.runtime import batch

__all__ = ["Context", "Datasets", "__version__", "batch"]
__version__ = "0.1.0"

# Imported on first use: `import stainless` (every CLI command, the endpoint's router) must not
# pay for pandas, which Datasets and Context need.
_LAZY = {
    "Context": "stainless.project.context",
    "Datasets": "stainless.project.datasets",
    "batch": "stainless.project.runtime",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'stainless' has no attribute {name!r}")
