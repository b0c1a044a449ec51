# .ci/lib.sh -- sourced by the setup scripts that keep a tool in a virtualenv of its own
# (.ci/airflow-setup.sh, evidently-, sagemaker-, snowflake-setup.sh): the tool pins libraries
# the framework must not share, so it lives in .venv-NAME next to the main .venv.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   venv_init snowflake                  # log(), ROOT, VENV, PYTHON for [snowflake-setup]
#   venv_install "$(deps_stamp 1)" "what is installed" PIP-ARGS...
#
# Knobs, per NAME (upper case): STAINLESS_NAME_VENV (default $ROOT/.venv-NAME),
# STAINLESS_NAME_PYTHON (default python3.11), STAINLESS_NAME_REINSTALL=1 (rebuild from scratch).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf '[%s-setup] %s\n' "$SETUP_NAME" "$*" >&2; }

venv_init() {  # venv_init NAME
  SETUP_NAME=$1
  SETUP_UPPER=$(printf '%s' "$1" | tr '[:lower:]' '[:upper:]')
  local venv_var="STAINLESS_${SETUP_UPPER}_VENV" python_var="STAINLESS_${SETUP_UPPER}_PYTHON"
  VENV="${!venv_var:-$ROOT/.venv-$SETUP_NAME}"
  PYTHON="${!python_var:-python3.11}"
}

# The stamp of a venv that installs stainless editable: it changes with RECIPE (bump it when the
# script's package list changes) and with pyproject.toml (the editable install does not follow
# our own dependencies).
deps_stamp() {  # deps_stamp RECIPE
  echo "$VENV/.stainless-$SETUP_NAME-setup-r$1-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-12)"
}

# Idempotent: a no-op while STAMP exists; else (re)creates the venv when needed, installs the
# packages, and replaces any older stamp with STAMP.
venv_install() {  # venv_install STAMP DESCRIPTION PIP-ARGS...
  local stamp=$1 description=$2 reinstall_var="STAINLESS_${SETUP_UPPER}_REINSTALL"
  shift 2
  if [ "${!reinstall_var:-0}" = 1 ]; then
    rm -rf "$VENV"
  fi
  if [ -f "$stamp" ]; then
    log "$VENV already set up (delete $stamp or set $reinstall_var=1 to redo)"
    return 0
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
  fi
  log "installing $description"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet "$@"
  rm -f "$VENV/.stainless-$SETUP_NAME-setup-"*
  touch "$stamp"
}
