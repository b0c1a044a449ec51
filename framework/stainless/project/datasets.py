"""What ``preprocess`` returns: the splits, as pandas DataFrames."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

SPLITS = ("train", "validation", "test")


@dataclass
class Datasets:
    """Train and validation splits (test optional), each a pandas DataFrame with the target."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame | None = None

    def items(self) -> Iterator[tuple[str, pd.DataFrame]]:
        for name in SPLITS:
            frame = getattr(self, name)
            if frame is not None:
                yield name, frame
