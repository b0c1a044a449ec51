"""fakesnow's Snowflake HTTP server on a free loopback port, with Snowflake's login checks.

Runs inside .venv-snowflake (made by `bash .ci/snowflake-setup.sh`). fakesnow speaks Snowflake's
REST protocol, so the real snowflake-connector-python talks to it over HTTP, but it accepts any
login. This wraps its app with the check Snowflake makes, so tests see the connector's real
auth-failure path: the user must be FAKESNOW_EXPECT_USER with the password
FAKESNOW_EXPECT_PASSWORD, or present a key-pair JWT (RS256) that FAKESNOW_EXPECT_PUBLIC_KEY (a PEM
file) verifies; a failure gets Snowflake's own answer (code 390100 or 390144).

    python tests/support/fakesnow_server.py            # serve; prints {"port": N}, stops on SIGTERM
    python tests/support/fakesnow_server.py --smoke    # start, run SELECT 1 via the connector, stop

The socket is bound here (port 0, so the kernel picks a free port) and handed to uvicorn, so
there is no window in which another process can take the port between choosing and binding it.
"""

from __future__ import annotations

import gzip
import importlib
import json
import logging
import os
import signal
import socket
import sys
import threading
import warnings
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

LOGIN_PATH = "/session/v1/login-request"


def _refused(code: str, message: str, method: str) -> JSONResponse:
    # Snowflake answers a failed login with HTTP 200 and success=false, as here.
    data = {"nextAction": "RETRY_LOGIN", "authnMethod": method, "signInOptions": {}}
    return JSONResponse(
        {"data": data, "code": code, "message": message, "success": False, "headers": None}
    )


def _jwt_ok(token: str, user: str, public_key_file: str) -> bool:
    import jwt  # PyJWT: a dependency of snowflake-connector-python

    with open(public_key_file, "rb") as handle:
        public_key = handle.read()
    try:
        claims = jwt.decode(token, public_key, algorithms=["RS256"])
    except jwt.PyJWTError:
        return False
    # sub is ACCOUNT.USER, both upper-cased by the connector.
    return str(claims.get("sub", "")).split(".")[-1] == user.upper()


def build_app() -> Starlette:
    # `from fakesnow import server` would give fakesnow's server() helper, not the module.
    fake = importlib.import_module("fakesnow.server")
    # fakesnow's own performance note on every query; nothing a test can act on.
    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")

    user = os.environ.get("FAKESNOW_EXPECT_USER")
    password = os.environ.get("FAKESNOW_EXPECT_PASSWORD")
    public_key_file = os.environ.get("FAKESNOW_EXPECT_PUBLIC_KEY")

    async def login(request: Request) -> Response:
        body = await request.body()  # starlette caches it, so fakesnow's handler reads it again
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        data = json.loads(body)["data"]
        if user is not None:
            if data.get("AUTHENTICATOR") == "SNOWFLAKE_JWT":
                if not (public_key_file and _jwt_ok(data.get("TOKEN", ""), user, public_key_file)):
                    return _refused("390144", "JWT token is invalid.", "KEY_PAIR")
            elif data.get("LOGIN_NAME") != user or data.get("PASSWORD") != password:
                return _refused(
                    "390100", "Incorrect username or password was specified.", "USERNAME_PASSWORD"
                )
        return await fake.login_request(request)

    routes = [Route(LOGIN_PATH, login, methods=["POST"])]
    routes += [route for route in fake.routes if getattr(route, "path", None) != LOGIN_PATH]
    return Starlette(routes=routes)


def _serve(sock: socket.socket, started: threading.Event | None = None) -> Any:
    import uvicorn

    config = uvicorn.Config(build_app(), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    if started is None:
        signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
        server.run(sockets=[sock])
        return None
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    return server, thread


def _bind() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # FAKESNOW_HOST: another address of this machine (the rehearsal: the Docker bridge's, so
    # containers reach it); loopback by default.
    sock.bind((os.environ.get("FAKESNOW_HOST") or "127.0.0.1", 0))
    sock.listen(128)
    return sock


def smoke() -> int:
    """The setup script's check: the connector logs in over HTTP and gets a row back."""
    import time

    import snowflake.connector

    sock = _bind()
    server, thread = _serve(sock, threading.Event())
    logging.getLogger("fakesnow.server").setLevel(logging.WARNING)  # set INFO on its import
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        conn = snowflake.connector.connect(
            account="smoke",
            user="smoke",
            password="smoke",
            host="127.0.0.1",
            port=sock.getsockname()[1],
            protocol="http",
            session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
            login_timeout=20,
        )
        try:
            value = conn.cursor().execute("SELECT 41 + 1").fetchone()[0]
        finally:
            conn.close()
    finally:
        server.should_exit = True
        thread.join(10)
    print(f"fakesnow smoke check: SELECT 41 + 1 -> {value}", file=sys.stderr)
    return 0 if value == 42 else 1


def main() -> int:
    if "--smoke" in sys.argv[1:]:
        return smoke()
    sock = _bind()
    print(json.dumps({"port": sock.getsockname()[1]}), flush=True)
    _serve(sock)
    return 0


if __name__ == "__main__":
    sys.exit(main())
