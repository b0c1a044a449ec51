#!/usr/bin/env bash
# The anchors the benchmarks compare against, installed side by side with the project:
#   wrk (the load generator, from the OS packages), MLServer 1.7.1 with its scikit-learn runtime
#   in .venv-mlserver, BentoML 1.4.40 in .venv-bentoml if it installs cleanly.
# The anchors load the same scikit-learn artifact as our server, so their venvs get the
# project's exact scikit-learn, numpy, pandas and joblib versions. Idempotent; `make benchmarks`
# runs it. A missing wrk or MLServer is an error: the benchmarks refuse to run without them.
set -Eeuo pipefail
# Loud, not just non-zero: say which step failed (make stops there; no benchmark runs).
trap 'echo "benchmark-setup: FAILED (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
BIN=.venv/bin

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
command -v wrk >/dev/null || { echo "benchmark-setup: wrk could not be installed" >&2; exit 1; }

# The versions of our venv, so the anchors unpickle the very same model.
pins=$($BIN/python - <<'PY'
from importlib.metadata import version
print(" ".join(f"{name}=={version(name)}" for name in ("scikit-learn", "numpy", "pandas", "joblib")))
PY
)

install_venv() {  # install_venv DIR STAMP PACKAGES...
  local dir=$1 stamp=$2; shift 2
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then return 0; fi
  rm -rf "$dir"
  $PYTHON -m venv "$dir"
  "$dir/bin/python" -m pip install -q --upgrade pip
  "$dir/bin/python" -m pip install -q "$@"
  echo "$stamp" > "$dir/.stamp"
}

# uvloop 0.22+ raises in asyncio.get_event_loop() outside a running loop, which MLServer
# 1.7.1's parallel inference workers call at start-up: they die and the model never loads.
install_venv .venv-mlserver "mlserver-1.7.1 uvloop<0.22 $pins" \
  mlserver==1.7.1 mlserver-sklearn==1.7.1 "uvloop<0.22" $pins
.venv-mlserver/bin/mlserver --help >/dev/null

# BentoML is optional: a resolver conflict or a failed build is reported, not fatal.
if ! install_venv .venv-bentoml "bentoml-1.4.40 $pins" bentoml==1.4.40 $pins 2>/tmp/bentoml-install.log; then
  echo "benchmark-setup: BentoML 1.4.40 did not install cleanly (benchmarks run without it):" >&2
  tail -5 /tmp/bentoml-install.log >&2 || true
  rm -rf .venv-bentoml
fi
# `wrk --version` prints its version and then exits 1 (it shows the usage too): not a failure.
wrk_version=$( (wrk --version 2>&1 || true) | head -1 | awk '{print $2}')
bentoml=""
if [ -d .venv-bentoml ]; then bentoml=", BentoML 1.4.40"; fi
echo "benchmark-setup: wrk $wrk_version, MLServer 1.7.1$bentoml"
