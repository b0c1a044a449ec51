"""The wheel `make dist` builds (issue 13 item 9): distribution stainless-ml, import name and
command stainless, the template inside."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.integration
def test_the_wheel_is_stainless_ml_with_the_stainless_command_and_the_template(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name.startswith("stainless_ml-")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(info).decode()
        scripts = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    assert "\nName: stainless-ml\n" in metadata
    assert "stainless = stainless.cli:main" in scripts
    assert "stainless/__init__.py" in names
    assert "stainless/_template/cookiecutter-model/cookiecutter.json" in names
