"""A real Docker registry (Debian's `docker-registry` package, the CNCF distribution server) on a
free loopback port. The Docker daemon treats registries on 127.0.0.0/8 as insecure-allowed, so
`docker push 127.0.0.1:PORT/name:tag` works over plain HTTP without daemon configuration."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from support.model_image import free_port
from support.processes import stop


@contextmanager
def docker_registry(folder: Path, users: dict[str, str] | None = None) -> Iterator[str]:
    """Yields the registry's host:port; its storage lives in ``folder``. With ``users`` (name:
    password) it demands HTTP basic auth, as ECR does."""
    binary = shutil.which("docker-registry")
    if binary is None:
        reason = (
            "docker-registry not installed: apt-get install docker-registry (.ci/docker-setup.sh)"
        )
        if os.environ.get("STAINLESS_REQUIRE_DOCKER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = folder / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {folder / 'storage'}}}}}\n"
        f"http: {{addr: '127.0.0.1:{port}'}}\n"
    )
    if users:
        (folder / "htpasswd").write_text(
            "".join(f"{name}:{bcrypt_hash(password)}\n" for name, password in users.items())
        )
        with config.open("a") as text:
            text.write(
                f"auth: {{htpasswd: {{realm: stainless-test, path: {folder / 'htpasswd'}}}}}\n"
            )
    log = (folder / "registry.log").open("w")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                # 401: up, and asking for the credentials it was given
                if httpx.get(f"http://{address}/v2/", timeout=2).status_code in (200, 401):
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((folder / "registry.log").read_text()[-3000:])
            time.sleep(0.2)
        yield address
    finally:
        stop(process)
        log.close()


def bcrypt_hash(password: str) -> str:
    """The registry's htpasswd wants bcrypt: the C library's crypt(3) makes it (Python 3.11's
    deprecated crypt module, in a child so its DeprecationWarning stays out of the suite)."""
    code = (
        "import crypt, sys; "
        "print(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH)))"
    )
    made = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        input=password,
        capture_output=True,
        text=True,
        check=True,
    )
    assert made.stdout.startswith("$2"), made.stdout
    return made.stdout.strip()
