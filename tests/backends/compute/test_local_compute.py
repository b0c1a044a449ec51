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
