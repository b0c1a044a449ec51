"""``Datasets``: what preprocess returns; the stages store its splits in ``SPLITS`` order."""

import pandas as pd
from stainless.project.datasets import SPLITS, Datasets


def test_items_are_the_splits_given_in_lifecycle_order():
    train, validation, test = (pd.DataFrame({"y": [n]}) for n in range(3))
    assert [name for name, _ in Datasets(train, validation).items()] == ["train", "validation"]
    both = dict(Datasets(test=test, validation=validation, train=train).items())
    assert list(both) == list(SPLITS) and both["test"] is test
