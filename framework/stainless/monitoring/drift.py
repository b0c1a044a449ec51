"""Drift tests: did a feature's distribution in traffic move away from its reference?

Per feature (and for the prediction), on the cells of its sketch (numeric: reference-decile
bins + nulls; categorical: reference categories + ``other`` + nulls):

* **significance** -- a chi-square test of homogeneity on the 2 x cells table (reference counts
  vs current counts). It is a two-sample test: the reference is a sample too, so a small
  reference does not make noise look like drift. Cells too sparse for the chi-square
  approximation are pooled first. For numbers (features and a numeric prediction) also a rank
  test (Mann-Whitney U on the ordered bins): the chi-square test sees ~10 unordered cells and
  spends its power on every possible shape, while the usual change -- values moving up or down,
  a label shift moving the prediction -- is one direction, which the rank test sees at smaller
  windows. The column's p-value is the smaller of the two, doubled (Bonferroni over the two
  tests: still a valid p-value, so the false-alarm guarantee below is unchanged).
* **size** -- the population stability index (PSI) and the Jensen-Shannon distance between the
  two cell distributions; for numbers also the mean shift in reference standard deviations and
  the ratio of standard deviations (what a data scientist acts on).

A feature *drifted* when its p-value, corrected for testing every feature at once (Holm by
default: the chance of any false alarm in a check stays <= ``alpha``), is below ``alpha`` AND its
PSI reaches ``min_psi`` (so a huge sample does not alarm on a change too small to matter). The
prediction is tested on ``prediction_share`` of ``alpha`` (half by default), the features share
the rest: one column that summarises the model is not drowned among dozens of features.
Nothing is claimed below ``min_rows`` current rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

from stainless.monitoring.profile import CategoricalSketch, NumericSketch, Profile, Sketch

Correction = Literal["holm", "bh", "none"]
Status = Literal["ok", "drift", "insufficient_data"]
MIN_EXPECTED = 5.0  # the chi-square approximation's usual rule for every expected cell count
PSI_FLOOR = 1e-4  # proportions are floored here so an empty cell has a finite PSI


@dataclass(frozen=True)
class DriftSettings:
    """Thresholds (the ``monitoring.drift`` section of model.yaml; defaults in its schema)."""

    alpha: float = 0.01
    min_psi: float = 0.1
    min_rows: int = 100
    correction: Correction = "holm"
    # The prediction is one column but the model's whole answer: it gets this share of alpha to
    # itself, the features share the rest (weighted Bonferroni: the total stays <= alpha).
    prediction_share: float = 0.5

    @classmethod
    def from_mapping(cls, section: Mapping[str, object]) -> DriftSettings:
        known = {"alpha", "min_psi", "min_rows", "correction", "prediction_share"}
        return cls(**{k: v for k, v in section.items() if k in known})  # type: ignore[arg-type]


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    kind: str
    drifted: bool
    p_value: float  # numbers: 2 x min(p_chi_square, p_rank), capped at 1
    p_adjusted: float
    statistic: float  # chi-square
    psi: float
    js_distance: float
    reference_rows: int
    current_rows: int
    null_share_reference: float
    null_share_current: float
    mean_reference: float | None = None
    mean_current: float | None = None
    mean_shift_sd: float | None = None  # (current mean - reference mean) / reference sd
    std_ratio: float | None = None  # current sd / reference sd
    new_values: tuple[str, ...] = ()  # categories never seen in the reference
    since: datetime | None = None  # start of the earliest time bucket of an unbroken drift
    p_chi_square: float | None = None
    p_rank: float | None = None  # numbers only: Mann-Whitney U on the bins
    # The cells as proportions, for the figure: labels, reference shares, current shares.
    cells: tuple[str, ...] = ()
    reference_shares: tuple[float, ...] = ()
    current_shares: tuple[float, ...] = ()

    def summary(self) -> str:
        """One line a person can act on."""
        parts = [f"PSI {self.psi:.2f}", f"p={self.p_adjusted:.2g}"]
        if self.mean_shift_sd is not None and abs(self.mean_shift_sd) >= 0.05:
            parts.insert(0, f"mean {self.mean_shift_sd:+.2f} sd")
        if self.std_ratio is not None and abs(math.log(max(self.std_ratio, 1e-9))) >= 0.1:
            parts.insert(1, f"sd x{self.std_ratio:.2f}")
        if self.null_share_current - self.null_share_reference >= 0.01:
            parts.insert(
                0, f"nulls {self.null_share_reference:.0%} -> {self.null_share_current:.0%}"
            )
        if self.new_values:
            parts.insert(0, "new values " + ", ".join(repr(v) for v in self.new_values[:3]))
        return f"{self.feature}: " + ", ".join(parts)


@dataclass(frozen=True)
class DriftResult:
    status: Status
    settings: DriftSettings
    current_rows: int
    features: tuple[FeatureDrift, ...] = ()
    prediction: FeatureDrift | None = None
    reason: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def drifted(self) -> list[str]:
        """Names of the drifted features (the prediction is reported apart)."""
        return [f.feature for f in self.features if f.drifted]

    @property
    def prediction_drifted(self) -> bool:
        return self.prediction is not None and self.prediction.drifted


def _pool_sparse(ref: np.ndarray, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pool the cells whose expected count is under MIN_EXPECTED into one cell (adding the next
    smallest cells until that pooled cell reaches it too)."""
    keep = (ref + cur) > 0
    ref, cur = ref[keep], cur[keep]
    total = ref.sum() + cur.sum()
    if len(ref) < 2 or total == 0:
        return ref, cur
    scale = min(ref.sum(), cur.sum()) / total  # expected count of the smaller sample per unit
    pooled = ref + cur
    order = np.argsort(pooled, kind="stable")
    chosen: list[int] = []
    size = 0.0
    for index in order:
        if pooled[index] * scale >= MIN_EXPECTED and (not chosen or size * scale >= MIN_EXPECTED):
            break
        chosen.append(int(index))
        size += pooled[index]
    if len(chosen) <= 1:
        return ref, cur
    rest = np.setdiff1d(np.arange(len(ref)), chosen)
    return np.append(ref[rest], ref[chosen].sum()), np.append(cur[rest], cur[chosen].sum())


def chi_square(reference: Sequence[int], current: Sequence[int]) -> tuple[float, float]:
    """Chi-square test of homogeneity of two count vectors; (statistic, p-value)."""
    ref, cur = _pool_sparse(np.asarray(reference, float), np.asarray(current, float))
    if len(ref) < 2 or ref.sum() == 0 or cur.sum() == 0:
        return 0.0, 1.0
    result = stats.chi2_contingency(np.vstack([ref, cur]), correction=False)
    return float(result.statistic), float(result.pvalue)


def rank_test(reference: Sequence[int], current: Sequence[int]) -> float:
    """Two-sided p-value of the Mann-Whitney U test on values counted in ordered bins: values of
    one bin are ties (mid-ranks, the tie-corrected normal approximation). Counts per bin, lowest
    bin first, nulls excluded."""
    ref, cur = np.asarray(reference, float), np.asarray(current, float)
    n_ref, n_cur = ref.sum(), cur.sum()
    total = n_ref + n_cur
    if n_ref == 0 or n_cur == 0 or total < 3:
        return 1.0
    ties = ref + cur
    # U counts, over (current, reference) pairs, the reference values below (ties count half).
    u = float(np.sum(cur * (np.cumsum(ref) - ref / 2)))
    variance = n_ref * n_cur / 12 * ((total + 1) - np.sum(ties**3 - ties) / (total * (total - 1)))
    if variance <= 0:
        return 1.0  # every value in one bin: nothing to rank
    z = (u - n_ref * n_cur / 2) / math.sqrt(variance)
    return float(min(1.0, 2 * stats.norm.sf(abs(z))))


def psi(reference: Sequence[int], current: Sequence[int]) -> float:
    """Population stability index: sum over cells of (c - r) * ln(c / r), shares floored."""
    ref = np.maximum(np.asarray(reference, float) / max(sum(reference), 1), PSI_FLOOR)
    cur = np.maximum(np.asarray(current, float) / max(sum(current), 1), PSI_FLOOR)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def js_distance(reference: Sequence[int], current: Sequence[int]) -> float:
    """Jensen-Shannon distance (base 2: 0 = identical, 1 = disjoint)."""
    if sum(reference) == 0 or sum(current) == 0:
        return 0.0
    return float(jensenshannon(np.asarray(reference, float), np.asarray(current, float), base=2))


def adjust(p_values: Sequence[float], method: Correction) -> list[float]:
    """Multiple-testing adjusted p-values (Holm step-down, or Benjamini-Hochberg)."""
    p = np.asarray(p_values, float)
    n = len(p)
    if n == 0 or method == "none":
        return p.tolist()
    if method == "bh":
        return [float(v) for v in stats.false_discovery_control(p, method="bh")]
    order = np.argsort(p)
    adjusted = np.empty(n)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (n - rank) * p[index]))
        adjusted[index] = running
    return adjusted.tolist()


def compare(reference: Sketch, current: Sketch) -> FeatureDrift:
    """Test one feature (uncorrected: :func:`detect` corrects across features)."""
    ref_cells, cur_cells = reference.cells(), current.cells()
    statistic, p_value = chi_square(ref_cells, cur_cells)
    ref_total, cur_total = max(sum(ref_cells), 1), max(sum(cur_cells), 1)
    numeric: dict[str, float | None] = {}
    p_chi_square, p_rank = p_value, None
    if isinstance(reference, NumericSketch) and isinstance(current, NumericSketch):
        # With values in two bins at most (a 0/1 label) the rank test is the chi-square test
        # again: doubling the p-value would only cost power.
        if sum(1 for r, c in zip(reference.counts, current.counts, strict=True) if r + c) > 2:
            p_rank = rank_test(reference.counts, current.counts)
            p_value = min(1.0, 2 * min(p_chi_square, p_rank))
        sd = reference.std
        mean_ref, mean_cur = reference.mean, current.mean
        shift = None
        if sd and mean_ref is not None and mean_cur is not None:
            shift = (mean_cur - mean_ref) / sd
        ratio = current.std / sd if sd and current.std is not None else None
        numeric = {
            "mean_reference": mean_ref,
            "mean_current": mean_cur,
            "mean_shift_sd": shift,
            "std_ratio": ratio,
        }
    new_values: tuple[str, ...] = ()
    if isinstance(current, CategoricalSketch):
        ranked = sorted(current.new_values.items(), key=lambda kv: (-kv[1], kv[0]))
        new_values = tuple(name for name, _ in ranked)
    return FeatureDrift(
        feature=reference.name,
        kind=reference.kind,
        drifted=False,
        p_value=p_value,
        p_adjusted=p_value,
        statistic=statistic,
        psi=psi(ref_cells, cur_cells),
        js_distance=js_distance(ref_cells, cur_cells),
        reference_rows=reference.total,
        current_rows=current.total,
        null_share_reference=reference.nulls / ref_total,
        null_share_current=current.nulls / cur_total,
        new_values=new_values,
        p_chi_square=p_chi_square,
        p_rank=p_rank,
        cells=tuple(reference.cell_labels()),
        reference_shares=tuple(c / ref_total for c in ref_cells),
        current_shares=tuple(c / cur_total for c in cur_cells),
        **numeric,  # type: ignore[arg-type]
    )


def _decide(result: FeatureDrift, p_adjusted: float, settings: DriftSettings) -> FeatureDrift:
    drifted = p_adjusted < settings.alpha and result.psi >= settings.min_psi
    return _replace(result, p_adjusted=p_adjusted, drifted=drifted)


def _replace(result: FeatureDrift, **changes: object) -> FeatureDrift:
    from dataclasses import replace

    return replace(result, **changes)  # type: ignore[arg-type]


def detect(
    reference: Profile,
    current: Profile,
    settings: DriftSettings | None = None,
    since: Mapping[str, datetime | None] | None = None,
) -> DriftResult:
    """Compare ``current`` traffic with ``reference``; corrected across all features."""
    settings = settings or DriftSettings()
    rows = current.rows
    if rows < settings.min_rows:
        return DriftResult(
            "insufficient_data",
            settings,
            rows,
            reason=f"{rows} rows of traffic; at least {settings.min_rows} are needed before "
            "drift is claimed (monitoring.drift.min_rows)",
        )
    raw = [compare(sketch, current.features[name]) for name, sketch in reference.features.items()]
    pred = None
    if reference.prediction is not None and current.prediction is not None:
        pred = compare(reference.prediction, current.prediction)
    # The prediction is tested on its own share of alpha; the features are corrected among
    # themselves on the rest. Adjusted p-values are scaled by the share, so every column is
    # drifted when its adjusted p < alpha (and PSI >= min_psi).
    share = settings.prediction_share if pred is not None and settings.correction != "none" else 0
    adjusted = [
        min(1.0, p / (1 - share)) for p in adjust([r.p_value for r in raw], settings.correction)
    ]
    decided = [_decide(r, p, settings) for r, p in zip(raw, adjusted, strict=True)]
    if pred is not None:
        decided.append(
            _decide(pred, min(1.0, pred.p_value / share) if share else pred.p_value, settings)
        )
    if since:
        decided = [_replace(r, since=since.get(r.feature)) if r.drifted else r for r in decided]
    features = tuple(decided[: len(raw)])
    prediction = decided[len(raw)] if pred is not None else None
    drift = any(f.drifted for f in features) or (prediction is not None and prediction.drifted)
    return DriftResult("drift" if drift else "ok", settings, rows, features, prediction)


def onset(
    reference: Sketch,
    buckets: Sequence[tuple[datetime, Sketch]],
    settings: DriftSettings | None = None,
) -> datetime | None:
    """Since when a feature has drifted: the start of the earliest bucket of the unbroken run of
    buckets, ending at the latest one, whose PSI reaches ``min_psi`` (buckets with fewer rows than
    a tenth of ``min_rows`` are too small to judge and do not break the run)."""
    settings = settings or DriftSettings()
    small = max(settings.min_rows // 10, 1)
    start: datetime | None = None
    for at, sketch in sorted(buckets, key=lambda item: item[0], reverse=True):
        if sketch.total < small:
            continue
        if psi(reference.cells(), sketch.cells()) >= settings.min_psi:
            start = at
        else:
            break
    return start
