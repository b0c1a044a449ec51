"""Training data checked against the contract: the feature columns of each split against the
request schema (types, ranges, enums, required keys and nulls), plus the checks of model.yaml's
``data_checks`` section (null share limits, row count bounds, freshness of a timestamp column).

Pure: DataFrames and dicts in, a typed report out. Training runs it before ``train`` (a column
that is filled in development and empty in production must stop the run, not train a model the
serving schema then rejects, or worse, accepts); the shared suite runs it on the bundled sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from stainless.core.durations import parse_duration
from stainless.project.datasets import Datasets

MAX_EXAMPLES = 3


@dataclass(frozen=True)
class Freshness:
    column: str
    max_age_s: float


@dataclass(frozen=True)
class DataCheckSettings:
    """model.yaml ``data_checks`` (defaults in model.schema.json)."""

    schema: bool = True
    ignore_columns: tuple[str, ...] = ()
    max_null_share: dict[str, float] = field(default_factory=dict)
    min_rows: int = 1
    max_rows: int | None = None
    freshness: Freshness | None = None

    @classmethod
    def from_mapping(cls, section: dict[str, Any] | None) -> DataCheckSettings:
        section = section or {}
        fresh = section.get("freshness")
        return cls(
            schema=bool(section.get("schema", True)),
            ignore_columns=tuple(section.get("ignore_columns", ())),
            max_null_share={str(k): float(v) for k, v in section.get("max_null_share", {}).items()},
            min_rows=int(section.get("min_rows", 1)),
            max_rows=section.get("max_rows"),
            freshness=(
                Freshness(fresh["column"], parse_duration(fresh["max_age"])) if fresh else None
            ),
        )


@dataclass(frozen=True)
class Violation:
    """One check that failed on one split: how many rows, and a few of the values."""

    split: str
    column: str | None
    check: str
    count: int
    rows: int
    examples: tuple[Any, ...]
    expected: str
    where: str  # what to edit: "schemas.json request/properties/x" or "model.yaml data_checks..."

    def render(self) -> str:
        subject = f"column {self.column!r}" if self.column else "the split"
        share = f" ({self.count / self.rows:.1%})" if self.rows else ""
        shown = ", ".join(_show(v) for v in self.examples)
        examples = f"; e.g. {shown}" if shown else ""
        return (
            f"{self.split}: {subject}: {self.count:,} of {self.rows:,} rows{share} "
            f"{self.check}{examples}; {self.expected} ({self.where})"
        )


@dataclass(frozen=True)
class DataCheckReport:
    violations: tuple[Violation, ...]
    rows: dict[str, int]

    @property
    def ok(self) -> bool:
        return not self.violations

    def render(self) -> str:
        return "\n".join("  - " + v.render() for v in self.violations)


def check_datasets(
    datasets: Datasets,
    request_schema: dict[str, Any],
    target: str,
    settings: DataCheckSettings,
    schemas_file: str = "schemas.json",
    now: datetime | None = None,
) -> DataCheckReport:
    found: list[Violation] = []
    rows: dict[str, int] = {}
    for split, frame in datasets.items():
        rows[split] = len(frame)
        found += _row_bounds(split, frame, settings)
        features = frame.drop(columns=[target], errors="ignore")
        features = features.drop(columns=list(settings.ignore_columns), errors="ignore")
        if settings.schema:
            found += _against_schema(split, features, request_schema, settings, schemas_file)
        found += _null_limits(split, features, settings)
    if settings.freshness is not None:
        found += _freshness(datasets, settings.freshness, now or datetime.now(UTC))
    return DataCheckReport(tuple(found), rows)


def _row_bounds(split: str, frame: pd.DataFrame, settings: DataCheckSettings) -> list[Violation]:
    n = len(frame)
    where = "model.yaml data_checks"
    if n < settings.min_rows:
        return [
            Violation(split, None, "is fewer rows than min_rows", n, n, (), f"at least "
                      f"{settings.min_rows:,} rows wanted", f"{where}.min_rows")
        ]  # fmt: skip
    if settings.max_rows is not None and n > settings.max_rows:
        return [
            Violation(split, None, "is more rows than max_rows", n, n, (), f"at most "
                      f"{settings.max_rows:,} rows wanted", f"{where}.max_rows")
        ]  # fmt: skip
    return []


def _against_schema(
    split: str,
    frame: pd.DataFrame,
    schema: dict[str, Any],
    settings: DataCheckSettings,
    schemas_file: str,
) -> list[Violation]:
    found: list[Violation] = []
    n = len(frame)
    properties = schema.get("properties", {})
    base = f"{schemas_file} request"
    if schema.get("additionalProperties", True) is False:
        for column in frame.columns:
            if column not in properties:
                found.append(
                    Violation(split, str(column), "hold a column the request schema does not "
                              "allow", n, n, (), "serving rejects requests with it: add it under "
                              "properties, drop it in preprocess.py, or list it in "
                              "data_checks.ignore_columns", f"{base}/properties")
                )  # fmt: skip
    missing = [
        name
        for name in schema.get("required", [])
        if name not in frame.columns and name not in settings.ignore_columns
    ]
    if missing:
        found.append(
            Violation(split, None, f"lack required request field(s) {', '.join(missing)}", n,
                      n, (), "every request must have them: keep the columns in preprocess.py "
                      "or make the fields optional", f"{base}/required")
        )  # fmt: skip
    for column in frame.columns:
        prop = properties.get(column)
        if isinstance(prop, dict):
            found += _column(split, frame[column], str(column), prop, settings, f"{base}"
                             f"/properties/{column}")  # fmt: skip
    return found


def _column(
    split: str,
    values: pd.Series,
    column: str,
    prop: dict[str, Any],
    settings: DataCheckSettings,
    where: str,
) -> list[Violation]:
    found: list[Violation] = []
    n = len(values)
    types = prop.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    nulls = values.isna()
    null_ok = "null" in types or ("enum" in prop and None in prop["enum"])
    if null_ok and n and nulls.all() and column not in settings.max_null_share:
        # Filled in development, empty here: a model trained on it learns nothing from it.
        found.append(
            Violation(split, column, "are all empty (null)", n, n, (), "the column carries no "
                      "data: check the source, or drop the field", where)
        )  # fmt: skip
    if not null_ok and column not in settings.max_null_share and nulls.any():
        found.append(
            Violation(split, column, "are empty (null)", int(nulls.sum()), n, (), "the request "
                      "schema does not allow null: fill or drop them in preprocess.py, allow "
                      'null ("type": [..., "null"]), or set data_checks.max_null_share.'
                      f"{column}", where)
        )  # fmt: skip
    present = values[~nulls]
    if present.empty:
        return found
    bad = _type_mismatch(present, [t for t in types if t != "null"])
    if bad is not None and bad.any():
        found.append(
            Violation(split, column, f"are not of type {' or '.join(types)}", int(bad.sum()), n,
                      _examples(present[bad]), "change the column's type in preprocess.py or "
                      "the property's type", f"{where}/type")
        )  # fmt: skip
        present = present[~bad]
    if "enum" in prop:
        outside = ~present.isin([v for v in prop["enum"] if v is not None])
        if outside.any():
            found.append(
                Violation(split, column, f"are not one of {prop['enum']}", int(outside.sum()), n,
                          _examples(present[outside]), "serving would reject them: map them in "
                          "preprocess.py or add them to the enum", f"{where}/enum")
            )  # fmt: skip
    numeric = pd.to_numeric(present, errors="coerce")
    if numeric.notna().all() and not pd.api.types.is_bool_dtype(present):
        for keyword, breaks in (
            ("minimum", lambda v, x: v < x),
            ("maximum", lambda v, x: v > x),
            ("exclusiveMinimum", lambda v, x: v <= x),
            ("exclusiveMaximum", lambda v, x: v >= x),
        ):
            if keyword in prop:
                outside = breaks(numeric, prop[keyword])
                if outside.any():
                    found.append(
                        Violation(split, column, f"break {keyword} {prop[keyword]}",
                                  int(outside.sum()), n, _examples(present[outside]),
                                  "serving would reject them: clean them in preprocess.py or "
                                  "widen the range", f"{where}/{keyword}")
                    )  # fmt: skip
    return found


def _type_mismatch(values: pd.Series, types: list[str]) -> pd.Series | None:
    """Rows whose value a JSON request could not carry as one of ``types``; None = any type."""
    if not types:
        return None
    ok = pd.Series(False, index=values.index)
    is_bool = values.map(lambda v: isinstance(v, bool) or type(v).__name__ == "bool_")
    is_number = (
        values.map(lambda v: isinstance(v, int | float) or pd.api.types.is_number(v)) & ~is_bool
    )
    for kind in types:
        if kind == "number":
            ok |= is_number
        elif kind == "integer":
            ok |= is_number & values.map(lambda v: _integral(v))
        elif kind == "string":
            ok |= values.map(lambda v: isinstance(v, str))
        elif kind == "boolean":
            ok |= is_bool
        elif kind in ("array", "object"):
            ok |= values.map(lambda v: isinstance(v, list | dict | tuple))
    return ~ok


def _integral(value: Any) -> bool:
    try:
        return math.isfinite(float(value)) and float(value) == int(float(value))
    except (TypeError, ValueError, OverflowError):
        return False


def _null_limits(split: str, frame: pd.DataFrame, settings: DataCheckSettings) -> list[Violation]:
    found: list[Violation] = []
    n = len(frame)
    for column, limit in settings.max_null_share.items():
        if column in frame.columns and n:
            nulls = int(frame[column].isna().sum())
            if nulls / n > limit:
                found.append(
                    Violation(split, column, "are empty (null)", nulls, n, (), f"at most "
                              f"{limit:.1%} may be", f"model.yaml data_checks.max_null_share."
                              f"{column}")
                )  # fmt: skip
    return found


def _freshness(datasets: Datasets, rule: Freshness, now: datetime) -> list[Violation]:
    frames = [frame for _, frame in datasets.items() if rule.column in frame.columns]
    where = "model.yaml data_checks.freshness"
    if not frames:
        return [Violation("all splits", rule.column, "have no such column", 0, 0, (),
                          "name a timestamp column preprocess.py keeps", where)]  # fmt: skip
    stamps = pd.concat([pd.to_datetime(f[rule.column], utc=True) for f in frames])
    newest = stamps.max()
    rows = len(stamps)
    if pd.isna(newest):
        return [Violation("all splits", rule.column, "are empty (null)", rows, rows, (),
                          "a timestamp is needed to judge freshness", where)]  # fmt: skip
    age = (now - newest.to_pydatetime()).total_seconds()
    if age > rule.max_age_s:
        return [Violation("all splits", rule.column, f"are older than max_age (the newest is "
                          f"{age / 3600:.1f} hours old)", rows, rows, (newest.isoformat(),),
                          "the data source may have stopped updating", where)]  # fmt: skip
    return []


def _examples(values: pd.Series) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(values.head(50).tolist()))[:MAX_EXAMPLES]


def _show(value: Any) -> str:
    return repr(value.item() if hasattr(value, "item") else value)
