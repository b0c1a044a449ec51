"""A real Docker registry (Debian's `docker-registry` package, the CNCF distribution server) on a
free loopback port. The Docker daemon treats registries on 127.0.0.0/8 as insecure-allowed, so
`docker push 127.0.0.1:PORT/name:tag` works over plain HTTP without daemon configuration."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from support.model_image import free_port


@contextmanager
def docker_registry(folder: Path) -> Iterator[str]:
    """Yields the registry's host:port; its storage lives in ``folder``."""
    binary = shutil.which("docker-registry")
    if binary is None:
        reason = (
            "docker-registry not installed: apt-get install docker-registry (.ci/docker-setup.sh)"
        )
        if os.environ.get("STAINLESS_REQUIRE_DOCKER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    port = free_port()
    config = folder / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {folder / 'storage'}}}}}\n"
        f"http: {{addr: '127.0.0.1:{port}'}}\n"
    )
    log = (folder / "registry.log").open("w")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://{address}/v2/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((folder / "registry.log").read_text()[-3000:])
            time.sleep(0.2)
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
