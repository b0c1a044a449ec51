#!/usr/bin/env bash
# .ci/evidently-setup.sh -- the anchor of benchmarks/drift.py: Evidently's data-drift preset, in
# its own virtualenv (.venv-evidently), because Evidently pins its own pandas/numpy/pydantic
# ranges and must not move the framework's.
#
#   bash .ci/evidently-setup.sh           # idempotent; a no-op (~1 s) when already set up
#   STAINLESS_EVIDENTLY_REINSTALL=1 ...   # rebuild the venv from scratch
#
# Last line printed: the venv's python (benchmarks/drift.py runs Evidently through it).
set -euo pipefail

log() { printf '[evidently-setup] %s\n' "$*" >&2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${STAINLESS_EVIDENTLY_VENV:-$ROOT/.venv-evidently}"
PYTHON="${STAINLESS_EVIDENTLY_PYTHON:-python3.11}"
VERSION=0.7.23
RECIPE=2  # bump when the package list changes
STAMP="$VENV/.stainless-evidently-setup-${VERSION}-r${RECIPE}"

if [ "${STAINLESS_EVIDENTLY_REINSTALL:-0}" = 1 ]; then
  rm -rf "$VENV"
fi

if [ ! -f "$STAMP" ]; then
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
  fi
  log "installing evidently==$VERSION and pyarrow (to read the benchmark's windows)"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  # evidently 0.7.23 imports pandas internals that pandas 3 removed.
  "$VENV/bin/python" -m pip install --quiet "evidently==$VERSION" "pandas>=2.1,<3" "pyarrow>=15"
  rm -f "$VENV"/.stainless-evidently-setup-*
  touch "$STAMP"
else
  log "$VENV already set up (delete $STAMP or set STAINLESS_EVIDENTLY_REINSTALL=1 to redo)"
fi

"$VENV/bin/python" -c "import evidently; assert evidently.__version__ == '$VERSION', evidently.__version__" || {
  log "ERROR: evidently $VERSION is not importable from $VENV"
  exit 1
}
echo "$VENV/bin/python"
