"""stainless.pipeline.lineage: what each version records of its code, data and environment."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import stainless
from stainless.pipeline.lineage import environment, frame_fingerprint, git_commit, hook_digests


def test_a_frame_fingerprint_follows_values_index_and_column_types():
    frame = pd.DataFrame({"area": [50.0, 70.0], "rooms": [2, 3]})
    assert frame_fingerprint(frame) == frame_fingerprint(frame.copy())
    assert frame_fingerprint(frame) != frame_fingerprint(frame.assign(area=[50.0, 71.0]))
    assert frame_fingerprint(frame) != frame_fingerprint(frame.astype({"rooms": "float64"}))
    assert frame_fingerprint(frame) != frame_fingerprint(frame.set_axis([5, 6]))


def test_the_commit_and_whether_the_tree_was_dirty(tmp_path: Path):
    assert git_commit(tmp_path) is None  # not a repository: no lineage, no failure
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e", "PATH": "/usr/bin:/bin"}  # fmt: skip
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "first"]):
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert git_commit(tmp_path) == {"commit": head, "dirty": False}
    (tmp_path / "train.py").write_text("edited\n")
    assert git_commit(tmp_path) == {"commit": head, "dirty": True}


def test_hook_digests_skip_missing_files_and_follow_content(tmp_path: Path):
    (tmp_path / "train.py").write_text("def train(): ...\n")
    digests = hook_digests({"train": tmp_path / "train.py", "model": tmp_path / "model.py"})
    assert list(digests) == ["train"] and len(digests["train"]) == 16
    (tmp_path / "train.py").write_text("def train(): return 1\n")
    assert hook_digests({"train": tmp_path / "train.py"})["train"] != digests["train"]


def test_the_environment_names_python_and_stainless():
    found = environment()
    assert found["stainless"] == stainless.__version__ and found["python"].count(".") == 2
