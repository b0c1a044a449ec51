import sys
from pathlib import Path

import pytest
from stainless.backends.compute import StageJob, open_compute


def job(tmp_path: Path, code: str, timeout: float = 30, memory_gb: float = 2) -> StageJob:
    return StageJob(
        stage="train",
        run_id="r",
        command=[sys.executable, "-c", code],
        cwd=tmp_path,
        cpus=1,
        memory_gb=memory_gb,
        timeout_s=timeout,
        env={},
    )


@pytest.mark.integration
def test_success_and_exit_codes(tmp_path):
    compute = open_compute("local://", tmp_path)
    assert compute.run(job(tmp_path, "pass")).returncode == 0
    assert compute.run(job(tmp_path, "raise SystemExit(3)")).returncode == 3


@pytest.mark.integration
def test_time_limit_stops_the_stage(tmp_path):
    result = open_compute("local://", tmp_path).run(
        job(tmp_path, "import time; time.sleep(30)", timeout=1)
    )
    assert result.reason == "exceeded max_runtime of 1s"
    assert result.duration_s < 10 and result.returncode != 0


@pytest.mark.integration
def test_memory_limit_stops_the_stage(tmp_path):
    code = (
        "import time\nblocks = []\nfor _ in range(60):\n"
        "    blocks.append(bytearray(20 << 20))\n    time.sleep(0.05)\ntime.sleep(5)"
    )
    result = open_compute("local://", tmp_path).run(job(tmp_path, code, memory_gb=0.25))
    assert result.reason is not None and "exceeded its memory of 0.25 GiB" in result.reason
    assert result.peak_memory_mb > 256


# A stage module recording what it sees. `stainless_preload_probe` lives where only the parent
# can import it: in the stage's sys.modules it can only have come from the parent's preload.
PROBE = """
import json, os, sys, time
from pathlib import Path

Path("out.json").write_text(json.dumps({
    "preloaded": "stainless_preload_probe" in sys.modules,
    "leader": os.getsid(0) == os.getpid(),
    "argv": sys.argv[1:], "probe": os.environ.get("PROBE"), "cwd": os.getcwd(),
    "threads": os.environ.get("OMP_NUM_THREADS"),
}))
print("stdout goes to stderr")
if sys.argv[1] == "sleep":
    time.sleep(30)
if sys.argv[1] == "grow":
    blocks = [bytearray(20 << 20) for _ in range(40)]
    time.sleep(30)
raise SystemExit(int(sys.argv[1]))
"""
# Runs the backend in a fresh interpreter: a process with no other thread, as `stainless run`
# is when it starts stages (this test process may hold threads of other tests).
DRIVER = """
import json, sys
from pathlib import Path
from stainless.backends.compute import StageJob, open_compute

folder, arg = Path(sys.argv[1]), sys.argv[2]
memory_gb, timeout = float(sys.argv[3]), float(sys.argv[4])
sys.path.insert(0, str(folder / "lib"))
job = StageJob(
    stage="train", run_id="r", command=[sys.executable, "-m", "probe_stage", arg], cwd=folder,
    cpus=2, memory_gb=memory_gb, timeout_s=timeout, env={"PROBE": "yes"},
    preload=("stainless_preload_probe",),
)
result = open_compute("local://", folder).run(job)
print(json.dumps({"returncode": result.returncode, "reason": result.reason}))
"""


def run_probe(
    tmp_path: Path, arg: str, timeout: float = 30, memory_gb: float = 2, fork: bool = True
) -> tuple[dict, dict | None, str]:
    import json
    import os
    import subprocess

    (tmp_path / "probe_stage.py").write_text(PROBE)
    (tmp_path / "lib").mkdir(exist_ok=True)
    (tmp_path / "lib" / "stainless_preload_probe.py").write_text("")
    env = {**os.environ, "STAINLESS_STAGE_FORK": "1" if fork else "0"}
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(tmp_path), arg, str(memory_gb), str(timeout)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out.json"
    seen = json.loads(out.read_text()) if out.is_file() else None
    return json.loads(done.stdout.splitlines()[-1]), seen, done.stderr


@pytest.mark.integration
def test_a_python_stage_is_forked_from_a_preloaded_process(tmp_path):
    result, seen, stderr = run_probe(tmp_path, "3")
    assert result == {"returncode": 3, "reason": None}
    assert seen == {
        "preloaded": True,  # imported by the parent once, inherited by the stage process
        "leader": True,  # its own session: killed as a group on its limits
        "argv": ["3"],
        "probe": "yes",
        "cwd": str(tmp_path),
        "threads": "2",
    }
    assert "stdout goes to stderr" in stderr


@pytest.mark.integration
def test_forked_stages_keep_their_limits(tmp_path):
    slow, _, _ = run_probe(tmp_path, "sleep", timeout=1)
    assert slow["reason"] == "exceeded max_runtime of 1s" and slow["returncode"] != 0
    big, _, _ = run_probe(tmp_path, "grow", memory_gb=0.4)
    assert big["reason"] is not None and "exceeded its memory of 0.4 GiB" in big["reason"]


@pytest.mark.integration
def test_forking_can_be_switched_off(tmp_path):
    result, seen, _ = run_probe(tmp_path, "0", fork=False)
    assert result["returncode"] == 0
    assert seen is not None and seen["preloaded"] is False
