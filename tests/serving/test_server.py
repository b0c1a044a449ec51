"""`stainless serve` as a real process on a real socket, serving a model trained by a real run."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from stainless.serving.loading import load_artifacts

pytestmark = pytest.mark.integration
STAINLESS = [sys.executable, "-m", "stainless"]
REQUEST = {
    "area_sqm": 94.0,
    "bedrooms": 4,
    "age_years": 21,
    "distance_km": 3.45,
    "neighborhood": "east",
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("serve")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAINLESS_")}
    subprocess.run(
        [*STAINLESS, "new", "--no-input", "-o", str(out)], check=True, env=env, capture_output=True
    )
    project = out / "house-prices"
    with (project / "model.yaml").open("a") as handle:
        handle.write(
            "\nserving:\n  capture_sample_rate: 1.0\n  capture_flush_seconds: 3600\n"
            "  max_body_bytes: 65536\n"
        )
    subprocess.run(
        [*STAINLESS, "run", "--in-process", "-C", str(project)],
        check=True,
        env=env,
        capture_output=True,
    )
    yield project
    # The run deployed the version to the local endpoint, whose router outlives the run.
    subprocess.run(
        [*STAINLESS, "endpoint", "down", "-C", str(project)], env=env, capture_output=True
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, args: list[str], cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("STAINLESS_")}
        self.process = subprocess.Popen(
            [*STAINLESS, "serve", "--port", str(self.port), *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.process.stdout.read()}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{self.url}/ping", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("server did not become healthy")

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=60)
        return out


@pytest.fixture
def server(trained: Path) -> Iterator[Server]:
    running = Server(["-C", str(trained)], trained)
    yield running
    if running.process.poll() is None:
        running.stop()


def test_serves_the_production_version(server: Server) -> None:
    response = httpx.post(f"{server.url}/invocations", json=REQUEST)
    assert response.status_code == 200
    assert isinstance(response.json()["prediction"], float)
    assert response.headers["x-stainless-model-version"] == "1"


def test_streamed_body_over_the_limit_is_413(server: Server) -> None:
    def chunks() -> Iterator[bytes]:  # chunked transfer: no Content-Length to check up front
        yield b"["
        for _ in range(200):
            yield b'{"area_sqm": 1.0},' * 100

    response = httpx.post(
        f"{server.url}/invocations", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["x-stainless-error-origin"] == "client"


def urllib_post(url: str, body: bytes) -> tuple[int, bytes]:
    """POST the way urllib (and many SDKs) do: the whole body first, then read the answer."""
    request = urllib.request.Request(
        url, data=body, headers={"content-type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_a_50_mb_body_sent_whole_gets_413_not_a_broken_pipe(server: Server) -> None:
    status, body = urllib_post(f"{server.url}/invocations", b"[" + b" " * 50_000_000 + b"]")
    assert status == 413, body[:200]
    assert b"max_body_bytes" in body
    assert urllib_post(f"{server.url}/invocations", json.dumps(REQUEST).encode())[0] == 200


def test_garbage_on_the_socket_does_not_kill_the_server(server: Server) -> None:
    for garbage in (
        b"\x00\xff" * 1000,
        b"POST /invocations HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
    ):
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(garbage)
            sock.settimeout(5)
            try:
                sock.recv(1024)
            except OSError:
                pass
    assert httpx.get(f"{server.url}/ping").status_code == 200
    assert httpx.post(f"{server.url}/invocations", json=REQUEST).status_code == 200


def test_shutdown_flushes_the_capture(trained: Path) -> None:
    before = set((trained / ".stainless" / "store").rglob("*.jsonl"))
    server = Server(["-C", str(trained)], trained)
    for _ in range(3):
        assert httpx.post(f"{server.url}/invocations", json=REQUEST).status_code == 200
    server.stop()
    files = set((trained / ".stainless" / "store").rglob("*.jsonl")) - before
    lines = [line for path in files for line in path.read_text().splitlines()]
    assert len(lines) == 3
    assert all("/capture/house-prices/1/" in path.as_posix() for path in files)


def test_serves_a_tarball_with_two_workers(trained: Path, tmp_path: Path) -> None:
    tarball = next((trained / ".stainless" / "store").rglob("model.tar.gz"))
    server = Server(
        ["--artifacts", str(tarball), "--workers", "2", "--model-version", "7"], tmp_path
    )
    try:
        seen = set()
        for _ in range(20):
            response = httpx.post(f"{server.url}/invocations", json=REQUEST)
            assert response.status_code == 200
            assert response.headers["x-stainless-model-version"] == "7"
            seen.add(response.json()["prediction"])
        assert len(seen) == 1
    finally:
        server.stop()


def test_workers_share_metrics_and_each_capture_their_own_files(trained: Path) -> None:
    """Two workers: any worker's /metrics counts the
    requests of both, and every captured pair is written once."""
    import re
    from concurrent.futures import ThreadPoolExecutor

    store = trained / ".stainless" / "store"
    before = set(store.rglob("*.jsonl"))
    server = Server(["-C", str(trained), "--workers", "2"], trained)
    try:

        def client(_: int) -> list[int]:  # one keep-alive connection each, spread over workers
            with httpx.Client(base_url=server.url) as http:
                return [http.post("/invocations", json=REQUEST).status_code for _ in range(10)]

        with ThreadPoolExecutor(8) as pool:
            statuses = [code for codes in pool.map(client, range(8)) for code in codes]
        assert statuses == [200] * 80
        for _ in range(4):  # whichever worker answers the scrape reports the whole server
            text = httpx.get(f"{server.url}/metrics").text
            ok = re.search(
                r'stainless_invocations_total\{origin="none",status_class="2xx"\} (\S+)', text
            )
            assert ok and float(ok.group(1)) == 80, text
            assert 'stainless_model_info{model="house-prices",version="1"} 1.0' in text
    finally:
        server.stop()
    files = set(store.rglob("*.jsonl")) - before
    lines = [line for path in files for line in path.read_text().splitlines()]
    assert len(lines) == 80 and len(files) >= 1


def test_load_artifacts_reads_a_directory_and_a_tarball(trained: Path) -> None:
    tarball = next((trained / ".stainless" / "store").rglob("model.tar.gz"))
    from_tarball: Any = load_artifacts(tarball, version="1")
    from_dir = load_artifacts(from_tarball.model_dir)
    assert from_tarball.name == from_dir.name == "house-prices"
    assert from_dir.model.predict(REQUEST) == from_tarball.model.predict(REQUEST)


def test_without_a_production_version_serve_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAINLESS_")}
    subprocess.run(
        [*STAINLESS, "new", "--no-input", "-o", str(tmp_path)],
        check=True,
        env=env,
        capture_output=True,
    )
    result = subprocess.run(
        [*STAINLESS, "serve", "-C", str(tmp_path / "house-prices"), "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "no production version" in result.stderr and "stainless run" in result.stderr
