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

# shellcheck source=.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
venv_init evidently
VERSION=0.7.23
RECIPE=2  # bump when the package list changes
# evidently 0.7.23 imports pandas internals that pandas 3 removed.
venv_install "$VENV/.stainless-evidently-setup-${VERSION}-r${RECIPE}" \
  "evidently==$VERSION and pyarrow (to read the benchmark's windows)" \
  "evidently==$VERSION" "pandas>=2.1,<3" "pyarrow>=15"

"$VENV/bin/python" -c "import evidently; assert evidently.__version__ == '$VERSION', evidently.__version__" || {
  log "ERROR: evidently $VERSION is not importable from $VENV"
  exit 1
}
echo "$VENV/bin/python"
