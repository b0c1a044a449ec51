#!/usr/bin/env bash
# .ci/sagemaker-setup.sh -- the SageMaker SDK's local mode, for the image and rehearsal tests.
#
# sagemaker[local] (the 2.x line: `sagemaker.local` runs training/processing jobs and endpoints
# as containers on the local Docker engine through docker-compose) pins its own boto3, PyYAML,
# docker and many more, so it never goes into the main .venv: it lives in .venv-sagemaker
# (Python 3.11) next to it, with stainless installed editable so the tests exercise the framework
# under test. Debian's docker-compose (1.29) is what local mode shells out to; Debian's
# docker-registry serves the push test.
#
#   bash .ci/sagemaker-setup.sh           # idempotent; ~15 s when set up (the smoke check imports the SDK)
#   STAINLESS_SAGEMAKER_REINSTALL=1 ...   # rebuild the venv from scratch
#
# Then a smoke check: local mode's client imports and docker-compose answers, with the SDK's
# telemetry off. Last line printed: the venv's python.
set -euo pipefail

# shellcheck source=.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
venv_init sagemaker
export DEBIAN_FRONTEND=noninteractive

# Debian packages: docker-compose (local mode shells out to it) and docker-registry (a real
# registry on loopback for the `stainless container build --push` test).
missing=""
command -v docker-compose >/dev/null 2>&1 || missing="$missing docker-compose"
command -v docker-registry >/dev/null 2>&1 || missing="$missing docker-registry"
if [ -n "$missing" ]; then
  log "installing Debian's$missing"
  if [ "$(id -u)" -ne 0 ]; then
    log "ERROR: missing$missing and this is not root: apt-get install$missing"
    exit 1
  fi
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || {
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  }
fi

# moto[server]: S3/Secrets Manager/registry for the rehearsal; pytest(-timeout): the tests run
# inside this venv (pyproject's `timeout` ini key needs the plugin, or pytest warns and
# warnings are errors); slack-sdk: the notifier the rehearsal's Slack stub talks to.
# Bump the recipe (1) when this package list changes, so an existing venv gets the new packages.
venv_install "$(deps_stamp 1)" \
  "sagemaker[local]<3, boto3, moto[server] and stainless (editable)" \
  "sagemaker[local]>=2.200,<3" "boto3>=1.34" "moto[server]>=5" "slack-sdk>=3.27" \
  -e "$ROOT" "pytest>=8" "pytest-timeout>=2.3"

log "smoke check: a local-mode session with telemetry off; docker-compose answers"
# TelemetryOptOut in the SDK defaults config is the SDK's switch (stainless.backends.sagemaker_local
# passes it to every session); AWS_ENDPOINT_URL at a closed port: nothing may call AWS here.
AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL=http://127.0.0.1:9 SAGEMAKER_SUPPRESS_V2_WARNING=1 \
  "$VENV/bin/python" -c '
import sagemaker
from stainless.backends.sagemaker_local import local_session
session = local_session()
assert session.sagemaker_config["SageMaker"]["PythonSDK"]["Modules"]["TelemetryOptOut"] is True
print("sagemaker", sagemaker.__version__, "local mode ready, telemetry off")
' >&2 || {
  log "ERROR: no local-mode session in $VENV (rerun with STAINLESS_SAGEMAKER_REINSTALL=1)"
  exit 1
}
docker-compose version --short >&2
echo "$VENV/bin/python"
