"""``ctx``: what the framework hands to ``preprocess`` and ``train``."""

from __future__ import annotations

import io
import json
import logging
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from stainless.core import atomic
from stainless.core.errors import HookError

if TYPE_CHECKING:
    from stainless.backends.data import DataSource
    from stainless.project.config import ModelConfig

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class Context:
    """Data access, parameters, a logger, metrics and figures for one stage of one run.

    ``artifact_dir`` is where ``train`` writes the model's files; everything written there is
    packaged as ``model.tar.gz`` and handed to ``load_model`` at serving time.
    """

    def __init__(
        self,
        config: ModelConfig,
        run_id: str,
        stage: str,
        work_dir: Path,
        data: DataSource | None = None,
        artifact_dir: Path | None = None,
    ) -> None:
        self.config = config
        self.run_id = run_id
        self.stage = stage
        self.params: dict[str, Any] = dict(config.params)
        self.logger = logging.getLogger(f"stainless.model.{config.name}")
        self.artifact_dir = artifact_dir
        self.figures_dir = work_dir / "figures"
        self.metrics_file = work_dir / f"metrics-{stage}.json"
        self._data = data
        self.metrics: dict[str, float] = {}

    @property
    def target(self) -> str:
        return self.config.target

    @property
    def test_size(self) -> float:
        return self.config.test_size

    @property
    def seed(self) -> int:
        return int(self.params.get("seed", 0))

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run SQL on the configured data source (DuckDB locally, Snowflake in production)."""
        return self._source().query(sql, params)

    def read(self, table: str) -> pd.DataFrame:
        """Read a whole table (locally: the file ``data/<table>.csv`` or ``.parquet``)."""
        return self._source().read(table)

    def _source(self) -> DataSource:
        if self._data is None:
            raise HookError(
                f"the {self.stage} stage has no data source",
                fix="read data in preprocess.py; train receives the datasets preprocess returned",
            )
        return self._data

    def log_metric(self, name: str, value: float) -> None:
        """Record a training metric (kept with the run and shown in `stainless versions`)."""
        number = float(value)
        if not _NAME.match(name) or not math.isfinite(number):
            raise HookError(
                f"log_metric({name!r}, {value!r}) is invalid",
                file=f"{self.stage}.py",
                expected="a simple name and a finite number",
            )
        self.metrics[name] = number
        atomic.write_text(self.metrics_file, json.dumps(self.metrics, sort_keys=True))

    def save_figure(self, name: str, figure: Any) -> Path:
        """Keep a diagnostic figure with the run: a matplotlib Figure or PNG bytes."""
        if not _NAME.match(name):
            raise HookError(f"figure name {name!r} is invalid", file=f"{self.stage}.py")
        filename = name if name.endswith(".png") else f"{name}.png"
        path = self.figures_dir / filename
        if isinstance(figure, bytes | bytearray):
            atomic.write_bytes(path, bytes(figure))
        elif hasattr(figure, "savefig"):
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
            atomic.write_bytes(path, buffer.getvalue())
        else:
            raise HookError(
                "save_figure needs a matplotlib Figure or PNG bytes",
                file=f"{self.stage}.py",
                found=type(figure).__name__,
            )
        return path
