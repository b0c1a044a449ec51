"""Mergeable per-feature profiles: what a feature looked like, in a few hundred bytes.

A *reference* profile is built once from the training split: numeric features get cut points at
the reference's quantiles (so every bin holds about the same share of reference rows), categorical
features keep their most frequent values (the rest share an ``other`` bucket). A *current* profile
reuses the reference's cut points and categories, so profiling traffic is a single pass of exact
counts over chunks with memory bounded by the number of bins, and two profiles of the same
reference merge by adding counts (an hour + an hour = two hours).

Nothing here does I/O: profiles become JSON-ready dicts (``to_dict``) and back (``from_dict``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

Kind = Literal["numeric", "categorical"]
NUMERIC: Final = "numeric"
CATEGORICAL: Final = "categorical"

DEFAULT_BINS = 10
DEFAULT_MAX_CATEGORIES = 50
# New (unseen) category names remembered per categorical feature, for the alert's "new value
# 'x'"; their counts are exact, the list of names is bounded.
MAX_NEW_VALUES = 20
# A reference larger than this is sampled uniformly before its quantiles are taken: the cut
# points' error is ~1/sqrt(rows), far below what a drift test can see.
MAX_REFERENCE_ROWS = 200_000
FORMAT = 1


@dataclass
class NumericSketch:
    """Exact counts of values in bins cut at fixed edges, plus nulls and moments.

    ``counts[i]`` counts values ``v`` with ``edges[i-1] < v <= edges[i]`` (open-ended first and
    last bins), so values outside the reference's range still land somewhere.
    """

    name: str
    edges: tuple[float, ...]
    counts: list[int]
    nulls: int = 0
    total: int = 0  # rows seen, nulls included
    sum: float = 0.0
    sumsq: float = 0.0
    kind: Kind = NUMERIC

    @classmethod
    def empty(cls, name: str, edges: Iterable[float]) -> NumericSketch:
        edges = tuple(float(e) for e in edges)
        return cls(name, edges, [0] * (len(edges) + 1))

    def update(self, values: Any) -> None:
        array = pd.to_numeric(pd.Series(values, copy=False), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        finite = array[np.isfinite(array)]
        self.total += len(array)
        self.nulls += len(array) - len(finite)
        if len(finite):
            bins = np.searchsorted(np.asarray(self.edges), finite, side="left")
            counts = np.bincount(bins, minlength=len(self.counts))
            self.counts = [a + int(b) for a, b in zip(self.counts, counts, strict=True)]
            self.sum += float(finite.sum())
            self.sumsq += float(np.square(finite).sum())

    def merge(self, other: NumericSketch) -> NumericSketch:
        if other.edges != self.edges:
            raise ValueError(f"cannot merge profiles of {self.name!r} with different bins")
        return NumericSketch(
            self.name,
            self.edges,
            [a + b for a, b in zip(self.counts, other.counts, strict=True)],
            self.nulls + other.nulls,
            self.total + other.total,
            self.sum + other.sum,
            self.sumsq + other.sumsq,
        )

    def like(self) -> NumericSketch:
        """An empty sketch with the same bins (to profile traffic against this reference)."""
        return NumericSketch.empty(self.name, self.edges)

    @property
    def present(self) -> int:
        return self.total - self.nulls

    @property
    def mean(self) -> float | None:
        return self.sum / self.present if self.present else None

    @property
    def std(self) -> float | None:
        if self.present < 2:
            return None
        mean = self.sum / self.present
        variance = max(self.sumsq / self.present - mean * mean, 0.0)
        return math.sqrt(variance * self.present / (self.present - 1))

    def cells(self) -> list[int]:
        """The counts the tests compare: every bin, then nulls."""
        return [*self.counts, self.nulls]

    def cell_labels(self) -> list[str]:
        edges = self.edges
        labels = []
        for i in range(len(self.counts)):
            low = f"{edges[i - 1]:.4g}" if i > 0 else "-inf"
            high = f"{edges[i]:.4g}" if i < len(edges) else "+inf"
            labels.append(f"({low}, {high}]")
        return [*labels, "null"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": NUMERIC,
            "edges": list(self.edges),
            "counts": self.counts,
            "nulls": self.nulls,
            "total": self.total,
            "sum": self.sum,
            "sumsq": self.sumsq,
        }

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> NumericSketch:
        return cls(
            name,
            tuple(float(e) for e in data["edges"]),
            [int(c) for c in data["counts"]],
            int(data["nulls"]),
            int(data["total"]),
            float(data["sum"]),
            float(data["sumsq"]),
        )


@dataclass
class CategoricalSketch:
    """Exact counts of the reference's categories, one ``other`` bucket, and nulls."""

    name: str
    categories: tuple[str, ...]
    counts: list[int]  # one per category, then ``other``
    nulls: int = 0
    total: int = 0
    new_values: dict[str, int] = field(default_factory=dict)  # bounded: MAX_NEW_VALUES names
    kind: Kind = CATEGORICAL

    @classmethod
    def empty(cls, name: str, categories: Iterable[str]) -> CategoricalSketch:
        categories = tuple(categories)
        return cls(name, categories, [0] * (len(categories) + 1))

    def update(self, values: Any) -> None:
        series = pd.Series(values, copy=False)
        self.total += len(series)
        missing = series.isna()
        self.nulls += int(missing.sum())
        present = series[~missing].astype(str)
        if present.empty:
            return
        tallies = present.value_counts()
        index = {category: i for i, category in enumerate(self.categories)}
        other = len(self.categories)
        for value, count in tallies.items():
            slot = index.get(str(value), other)
            self.counts[slot] += int(count)
            if slot == other:
                self._remember_new(str(value), int(count))

    def _remember_new(self, value: str, count: int) -> None:
        if value in self.new_values or len(self.new_values) < MAX_NEW_VALUES:
            self.new_values[value] = self.new_values.get(value, 0) + count

    def merge(self, other: CategoricalSketch) -> CategoricalSketch:
        if other.categories != self.categories:
            raise ValueError(f"cannot merge profiles of {self.name!r} with different categories")
        merged = CategoricalSketch(
            self.name,
            self.categories,
            [a + b for a, b in zip(self.counts, other.counts, strict=True)],
            self.nulls + other.nulls,
            self.total + other.total,
            dict(self.new_values),
        )
        for value, count in other.new_values.items():
            merged._remember_new(value, count)
        return merged

    def like(self) -> CategoricalSketch:
        return CategoricalSketch.empty(self.name, self.categories)

    @property
    def present(self) -> int:
        return self.total - self.nulls

    def cells(self) -> list[int]:
        return [*self.counts, self.nulls]

    def cell_labels(self) -> list[str]:
        return [*self.categories, "(other)", "null"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": CATEGORICAL,
            "categories": list(self.categories),
            "counts": self.counts,
            "nulls": self.nulls,
            "total": self.total,
            "new_values": self.new_values,
        }

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> CategoricalSketch:
        return cls(
            name,
            tuple(str(c) for c in data["categories"]),
            [int(c) for c in data["counts"]],
            int(data["nulls"]),
            int(data["total"]),
            {str(k): int(v) for k, v in data.get("new_values", {}).items()},
        )


Sketch = NumericSketch | CategoricalSketch


def sketch_from_dict(name: str, data: Mapping[str, Any]) -> Sketch:
    if data["kind"] == NUMERIC:
        return NumericSketch.from_dict(name, data)
    return CategoricalSketch.from_dict(name, data)


@dataclass
class Profile:
    """Sketches of every feature (and of the prediction, when known) over some rows."""

    features: dict[str, Sketch]
    prediction: Sketch | None = None
    rows: int = 0

    def like(self) -> Profile:
        """An empty profile with this one's bins: profile traffic against this reference."""
        return Profile(
            {name: sketch.like() for name, sketch in self.features.items()},
            self.prediction.like() if self.prediction is not None else None,
        )

    def update(self, frame: pd.DataFrame, predictions: Any = None) -> None:
        """Add a chunk of rows (a column the chunk lacks counts as nulls)."""
        rows = len(frame)
        self.rows += rows
        for name, sketch in self.features.items():
            sketch.update(frame[name] if name in frame.columns else [None] * rows)
        if self.prediction is not None and predictions is not None:
            self.prediction.update(predictions)

    def merge(self, other: Profile) -> Profile:
        if set(other.features) != set(self.features):
            raise ValueError("cannot merge profiles of different features")
        prediction = None
        if self.prediction is not None and other.prediction is not None:
            prediction = _merge(self.prediction, other.prediction)
        return Profile(
            {name: _merge(sketch, other.features[name]) for name, sketch in self.features.items()},
            prediction,
            self.rows + other.rows,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "rows": self.rows,
            "features": {name: sketch.to_dict() for name, sketch in self.features.items()},
            "prediction": self.prediction.to_dict() if self.prediction is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown profile format {data.get('format')!r} (expected {FORMAT})")
        prediction = data.get("prediction")
        return cls(
            {name: sketch_from_dict(name, item) for name, item in data["features"].items()},
            sketch_from_dict("prediction", prediction) if prediction else None,
            int(data["rows"]),
        )


def _merge(a: Sketch, b: Sketch) -> Sketch:
    if isinstance(a, NumericSketch) and isinstance(b, NumericSketch):
        return a.merge(b)
    if isinstance(a, CategoricalSketch) and isinstance(b, CategoricalSketch):
        return a.merge(b)
    raise ValueError(f"cannot merge a {a.kind} profile of {a.name!r} with a {b.kind} one")


def kind_of(series: pd.Series) -> Kind:
    """Numbers (not booleans) are numeric; everything else is a category."""
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return CATEGORICAL
    return NUMERIC


def reference_sketch(
    name: str,
    values: pd.Series,
    bins: int = DEFAULT_BINS,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    kind: Kind | None = None,
) -> Sketch:
    """A sketch of ``values`` whose bins (or categories) are chosen from the values themselves."""
    kind = kind or kind_of(values)
    if kind == NUMERIC:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        finite = numbers[np.isfinite(numbers)]
        edges: np.ndarray = np.array([])
        if len(finite):
            # Interior quantiles; ties (e.g. integer features) collapse to fewer, wider bins.
            edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))
        sketch: Sketch = NumericSketch.empty(name, edges)
    else:
        present = values.dropna().astype(str)
        top = present.value_counts().index[:max_categories]
        sketch = CategoricalSketch.empty(name, sorted(top))
    sketch.update(values)
    if isinstance(sketch, CategoricalSketch):
        sketch.new_values.clear()  # the reference's own rare values are not "new"
    return sketch


def reference_profile(
    frame: pd.DataFrame,
    features: Iterable[str] | None = None,
    *,
    predictions: Any = None,
    bins: int = DEFAULT_BINS,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    max_rows: int = MAX_REFERENCE_ROWS,
    seed: int = 0,
) -> Profile:
    """The reference profile of ``frame``'s ``features`` (all columns by default)."""
    names = list(features) if features is not None else list(frame.columns)
    if len(frame) > max_rows:
        frame = frame.sample(n=max_rows, random_state=seed)
    profile = Profile(
        {name: reference_sketch(name, frame[name], bins, max_categories) for name in names},
        rows=len(frame),
    )
    if predictions is not None:
        profile.prediction = reference_sketch(
            "prediction", pd.Series(list(predictions)), bins, max_categories
        )
    return profile


def profile_chunks(
    reference: Profile, chunks: Iterable[pd.DataFrame], prediction_column: str | None = None
) -> Profile:
    """Profile traffic against ``reference`` in one pass: memory is the bins, not the rows."""
    current = reference.like()
    for chunk in chunks:
        predictions = None
        if prediction_column is not None and prediction_column in chunk.columns:
            predictions = chunk[prediction_column]
        current.update(chunk, predictions)
    return current
