"""The wheels the image installs: the model's requirements without stainless, the framework
wheel's own requirements for the chosen extras on Linux, and what may be passed as that wheel."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from stainless.container.wheelhouse import (
    CACHE_ENV,
    build_framework_wheel,
    cache_dir,
    project_requirements,
    wheel_requirements,
)
from stainless.core.errors import ConfigError


def test_project_requirements_never_include_stainless(bake):
    requirements = project_requirements(bake())
    assert requirements and not any(r.lower().startswith("stainless") for r in requirements)
    assert any(r.startswith("scikit-learn") for r in requirements)


def test_wheel_requirements_select_extras_and_linux(tmp_path):
    wheel = tmp_path / "stainless-9.9.9-py3-none-any.whl"
    metadata = "\n".join(
        [
            "Metadata-Version: 2.3",
            "Name: stainless",
            "Version: 9.9.9",
            "Requires-Dist: click>=8.1",
            "Requires-Dist: uvloop>=0.19; sys_platform != 'win32'",
            "Requires-Dist: pywin32; sys_platform == 'win32'",
            "Requires-Dist: boto3>=1.34; extra == 'aws'",
            "Requires-Dist: slack-sdk>=3.27; extra == 'slack'",
            "Requires-Dist: tomli; python_version < '3.11'",
        ]
    )
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("stainless-9.9.9.dist-info/METADATA", metadata)
    assert wheel_requirements(wheel, {"aws"}) == ["click>=8.1", "uvloop>=0.19", "boto3>=1.34"]
    assert "tomli" in wheel_requirements(wheel, set(), python_version="3.10")


def test_only_a_stainless_wheel_is_accepted_as_the_framework(tmp_path: Path):
    other = tmp_path / "requests-2.0-py3-none-any.whl"
    other.write_bytes(b"")
    with pytest.raises(ConfigError) as caught:
        build_framework_wheel(tmp_path / "out", explicit=other)
    assert caught.value.key == "--framework-wheel" and "stainless_ml-" in caught.value.render()
    given = tmp_path / "stainless_ml-9.9.9-py3-none-any.whl"
    given.write_bytes(b"wheel")
    copied = build_framework_wheel(tmp_path / "out", explicit=given)
    assert copied == tmp_path / "out" / given.name and copied.read_bytes() == b"wheel"


def test_the_wheel_cache_follows_the_environment(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "wheels"))
    assert cache_dir() == tmp_path / "wheels"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "stainless" / "wheels"
