#!/usr/bin/env bash
# .ci/snowflake-setup.sh -- the Snowflake data source's test environment: the real connector
# talking HTTP to fakesnow's server, in its own virtualenv.
#
# fakesnow needs snowflake-connector-python<5 and its own DuckDB pin, so it never goes into the
# main .venv: it lives in .venv-snowflake (Python 3.11) next to it, with stainless installed
# editable so the tests exercise the framework under test.
#
#   bash .ci/snowflake-setup.sh           # idempotent; a no-op (~1 s) when already set up
#   STAINLESS_SNOWFLAKE_REINSTALL=1 ...   # rebuild the venv from scratch
#
# Then a smoke check: start fakesnow's server on a free loopback port and run one query through
# the real connector. Last line printed: the venv's python.
set -euo pipefail

# shellcheck source=.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
venv_init snowflake
# pyarrow + pandas: fetch_pandas_all; pytest(-timeout): the tests run inside this venv
# (pyproject's `timeout` ini key needs the plugin, or pytest warns and warnings are errors).
# Bump the recipe (1) when this package list changes, so an existing venv gets the new packages.
venv_install "$(deps_stamp 1)" \
  "fakesnow[server], snowflake-connector-python<5 and stainless (editable)" \
  "fakesnow[server]>=0.11" "snowflake-connector-python>=3.6,<5" "pyarrow>=15" "pandas>=2.1" \
  -e "$ROOT" "pytest>=8" "pytest-timeout>=2.3"

log "smoke check: a query through the connector against fakesnow's server on loopback"
"$VENV/bin/python" "$ROOT/tests/support/fakesnow_server.py" --smoke >&2 || {
  log "ERROR: the smoke check failed"
  exit 1
}
echo "$VENV/bin/python"
