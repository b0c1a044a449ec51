"""stainless: painless ML in production.

The public surface a data scientist touches is tiny: :class:`Datasets` (what ``preprocess``
returns) and :class:`Context` (the ``ctx`` handed to ``preprocess`` and ``train``), so hooks can
be annotated ``def train(datasets: Datasets, ctx: Context) -> None`` and editors complete
``ctx.``. Everything else is run for them by the framework.
"""

from stainless.project.context import Context
from stainless.project.datasets import Datasets

__all__ = ["Context", "Datasets", "__version__"]
__version__ = "0.1.0"
