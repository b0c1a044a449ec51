"""``python -m stainless.serving``: the model server's module entry point.

The local endpoint starts one of these per production variant (a process boundary, so the
endpoint backend does not import the serving layer, nor spawn the CLI).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stainless.serving.server import ServeRequest, serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m stainless.serving")
    parser.add_argument("-C", "--project-dir", type=Path, default=Path("."))
    parser.add_argument("--env", default=None)
    parser.add_argument("--artifacts", type=Path, default=None)
    parser.add_argument("--model-version", default=None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    request = ServeRequest(
        project_dir=args.project_dir,
        env=args.env,
        artifacts=args.artifacts,
        model_version=args.model_version,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
    )
    serve(request, announce=lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
