#!/usr/bin/env bash
# .ci/airflow-setup.sh -- Apache Airflow 3 in its own virtualenv, for the DAG tests and benchmark.
#
# Airflow pins many libraries (SQLAlchemy, pydantic, ...), so it never goes into the main .venv:
# it lives in .venv-airflow (Python 3.11) next to it, with stainless installed editable so the
# generated DAGs import the framework under test.
#
#   bash .ci/airflow-setup.sh           # idempotent; a no-op (~1 s) when already set up
#   STAINLESS_AIRFLOW_REINSTALL=1 ...   # rebuild the venv from scratch
#
# Then a smoke check: `airflow db migrate` on SQLite in a throw-away AIRFLOW_HOME (the tests make
# their own AIRFLOW_HOME; nothing is written to ~/airflow). Last line printed: the venv's python.
set -euo pipefail

log() { printf '[airflow-setup] %s\n' "$*" >&2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${STAINLESS_AIRFLOW_VENV:-$ROOT/.venv-airflow}"
PYTHON="${STAINLESS_AIRFLOW_PYTHON:-python3.11}"
# Bump when the package list below changes, so an existing venv gets the new packages.
RECIPE_VERSION=2
# ...and when our own dependencies change (the editable install does not follow pyproject.toml).
DEPS_HASH="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-12)"
STAMP="$VENV/.stainless-airflow-setup-r${RECIPE_VERSION}-${DEPS_HASH}"

if [ "${STAINLESS_AIRFLOW_REINSTALL:-0}" = 1 ]; then
  rm -rf "$VENV"
fi

if [ ! -f "$STAMP" ]; then
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
  fi
  log "installing apache-airflow, the standard provider and stainless (editable)"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  # [aws,slack]: what docs/production.md tells the workers of an aws DAG to install (boto3 for
  # the SageMaker/S3 backends, slack-sdk for the notifier; the rehearsal found the latter
  # missing); moto: the aws target's tests; pytest: the airflow-marked tests.
  "$VENV/bin/python" -m pip install --quiet \
    "apache-airflow>=3.0" "apache-airflow-providers-standard" \
    -e "$ROOT[aws,slack]" "moto[server]>=5" "pytest>=8" "pytest-timeout>=2.3"
  touch "$STAMP"
else
  log "$VENV already set up (delete $STAMP or set STAINLESS_AIRFLOW_REINSTALL=1 to redo)"
fi

HOME_DIR="$(mktemp -d)"
trap 'rm -rf "$HOME_DIR"' EXIT
log "smoke check: airflow db migrate in $HOME_DIR"
AIRFLOW_HOME="$HOME_DIR" AIRFLOW__CORE__LOAD_EXAMPLES=False \
  "$VENV/bin/airflow" db migrate >"$HOME_DIR/migrate.log" 2>&1 || {
    cat "$HOME_DIR/migrate.log" >&2
    log "ERROR: airflow db migrate failed"
    exit 1
  }
log "airflow $("$VENV/bin/airflow" version 2>/dev/null) ready"
echo "$VENV/bin/python"
