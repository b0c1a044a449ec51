"""Where the bundled cookiecutter template is: inside the wheel, or in a source checkout."""

from __future__ import annotations

from pathlib import Path

from stainless.core.errors import StainlessError

_PACKAGE = Path(__file__).resolve().parent.parent


def template_dir() -> Path:
    candidates = [
        _PACKAGE / "_template" / "cookiecutter-model",  # installed wheel
        _PACKAGE.parent.parent / "cookiecutter-model",  # source checkout (editable install)
    ]
    for candidate in candidates:
        if (candidate / "cookiecutter.json").is_file():
            return candidate
    raise StainlessError(
        "the bundled model template is missing from this installation", fix="reinstall stainless"
    )
