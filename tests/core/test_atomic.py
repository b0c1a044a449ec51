"""Atomic writes are durable: the data and the rename both reach the disk (fsync of the file,
then of its directory), observed with strace on a real process when strace is available."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from stainless.backends.storage.local import LocalStore
from stainless.core import atomic

SCRIPT = """
import sys
from pathlib import Path
from stainless.backends.storage.local import LocalStore
from stainless.core import atomic

root = Path(sys.argv[1])
atomic.write_bytes(root / "a" / "marker.json", b"{}")
source = root / "big.bin"
source.write_bytes(b"x" * 100000)
LocalStore(root / "store").put_file("runs/r1/model.tar.gz", source)
"""


def test_writes_replace_whole_files(tmp_path: Path) -> None:
    atomic.write_bytes(tmp_path / "a.json", b"old")
    atomic.write_bytes(tmp_path / "a.json", b"new")
    source = tmp_path / "src"
    source.write_bytes(b"data")
    store = LocalStore(tmp_path / "store")
    store.put_file("k/model.tar.gz", source)
    assert (tmp_path / "a.json").read_bytes() == b"new"
    assert store.get_bytes("k/model.tar.gz") == b"data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "src", "store"]  # no temps


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_file_and_directory_are_fsynced_around_the_rename(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    subprocess.run(
        [
            "strace",
            "-f",
            "-e",
            "trace=fsync,rename,renameat,renameat2,openat",
            "-o",
            str(trace),
            sys.executable,
            "-c",
            SCRIPT,
            str(tmp_path),
        ],
        check=True,
    )
    calls = [line.split(None, 1)[1] for line in trace.read_text().splitlines()]
    calls = [c for c in calls if c.startswith(("fsync", "rename", "openat"))]
    for directory, target in (("a", "marker.json"), ("store/runs/r1", "model.tar.gz")):
        rename = next(i for i, c in enumerate(calls) if c.startswith("rename") and target in c)
        assert calls[rename - 1].startswith("fsync"), calls[rename - 1]  # the data first
        opened, synced = calls[rename + 1], calls[rename + 2]
        assert f'"{tmp_path / directory}"' in opened and "O_DIRECTORY" in opened, opened
        assert synced.startswith("fsync"), synced  # then the directory holding the rename


def test_atomic_write_replaces_whole_file(tmp_path: Path):
    target = tmp_path / "sub" / "f.json"
    atomic.write_json(target, {"a": 1})
    atomic.write_json(target, {"a": 2})
    assert target.read_text().strip().endswith("}")
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]


def test_atomic_write_failure_leaves_old_content(tmp_path: Path):
    target = tmp_path / "f.txt"
    atomic.write_text(target, "old")

    with pytest.raises(TypeError):
        atomic.write_bytes(target, object())  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
