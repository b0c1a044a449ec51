"""Human durations in config (``90s``, ``30m``, ``2h``, ``1d``) to seconds."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_FACTORS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION_PATTERN = r"^\s*\d+(\.\d+)?\s*[smhd]?\s*$"


def parse_duration(value: str | int | float) -> float:
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration like 90s, 30m, 2h or 1d")
    return float(match.group(1)) * _FACTORS[match.group(2)]
