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

# shellcheck source=.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
venv_init airflow
# [aws,slack]: what docs/production.md tells the workers of an aws DAG to install (boto3 for the
# SageMaker/S3 backends, slack-sdk for the notifier; the rehearsal found the latter missing);
# moto: the aws target's tests; pytest: the airflow-marked tests.
# Bump the recipe (2) when this package list changes, so an existing venv gets the new packages.
venv_install "$(deps_stamp 2)" "apache-airflow, the standard provider and stainless[aws,slack] (editable)" \
  "apache-airflow>=3.0" "apache-airflow-providers-standard" \
  -e "$ROOT[aws,slack]" "moto[server]>=5" "pytest>=8" "pytest-timeout>=2.3"

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
