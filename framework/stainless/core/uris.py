"""Backend URIs: ``scheme://location``. Relative local paths resolve against the project."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Uri:
    raw: str
    scheme: str
    location: str  # everything after "scheme://" without the query
    query: dict[str, str]

    def local_path(self, base: Path) -> Path:
        """For local backends: ``file://.stainless/store`` is relative to the project,
        ``file:///var/data`` is absolute."""
        path = Path(self.location)
        return path if path.is_absolute() else (base / path).resolve()

    @property
    def netloc(self) -> str:
        return urlsplit(self.raw).netloc

    @property
    def path(self) -> str:
        return urlsplit(self.raw).path


def parse_uri(raw: str) -> Uri:
    if "://" not in raw:
        raise ValueError(f"{raw!r} is not a URI of the form scheme://location")
    scheme, rest = raw.split("://", 1)
    location, _, query = rest.partition("?")
    return Uri(raw=raw, scheme=scheme.lower(), location=location, query=dict(parse_qsl(query)))
