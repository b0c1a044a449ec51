"""stainless: painless ML in production.

The public surface a data scientist touches is tiny: :class:`Datasets` (what ``preprocess``
returns), the ``ctx`` object handed to ``preprocess`` and ``train``, and :func:`batch` (marks a
prediction function of ``model.py`` as taking a list of requests). Everything else is run for
them by the framework.
"""

from stainless.project.datasets import Datasets
from stainless.project.runtime import batch

__all__ = ["Datasets", "__version__", "batch"]
__version__ = "0.1.0"
