"""stainless: painless ML in production.

The public surface a data scientist touches is tiny: :class:`Datasets` (what ``preprocess``
returns) and the ``ctx`` object handed to ``preprocess`` and ``train``. Everything else is run
for them by the framework.
"""

from stainless.project.datasets import Datasets

__all__ = ["Datasets", "__version__"]
__version__ = "0.1.0"
