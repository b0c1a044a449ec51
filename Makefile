# Two entry points: `make demo` and `make test`. Both set up what they need first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test test-fast rehearsal lint docs dist benchmarks clean

$(BIN)/stainless: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The distribution was called "stainless" before it became "stainless-ml".
	$(BIN)/python -m pip uninstall -q -y stainless 2>/dev/null || true
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(BIN)/stainless

setup: $(BIN)/stainless

demo: setup
	$(BIN)/stainless demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

docs: setup
	$(BIN)/python -m stainless.project.reference > docs/model-yaml.md

# The wheel a user outside this repository installs: pip install dist/stainless_ml-*.whl
dist: setup
	rm -rf dist
	$(BIN)/python -m pip wheel --no-deps -q -w dist .
	@ls dist/*.whl

# The full suite: unit, integration, Docker (a local dockerd) and Airflow (its own venv).
test: setup
	bash .ci/docker-setup.sh || { [ -z "$${STAINLESS_REQUIRE_DOCKER:-}" ] && echo "no Docker engine: docker tests will be skipped"; }
	bash .ci/airflow-setup.sh
	bash .ci/snowflake-setup.sh
	bash .ci/sagemaker-setup.sh
	bash .ci/browser-setup.sh
	$(MAKE) lint
	$(BIN)/pytest

test-fast: setup
	$(BIN)/pytest -m "not integration and not docker and not airflow and not sagemaker"

# The aws target's SageMaker jobs and endpoints under SageMaker's local mode, then the rendered
# aws DAG end to end under `airflow dags test` on local mode and a Snowflake preprocess as a
# local-mode processing job (docs/rehearsal.md).
rehearsal: setup
	bash .ci/docker-setup.sh
	bash .ci/sagemaker-setup.sh
	bash .ci/airflow-setup.sh
	bash .ci/snowflake-setup.sh
	.venv-sagemaker/bin/python -m pytest tests/container/test_sagemaker_local_mode.py -p no:cacheprovider \
		-p no:unraisableexception -rfEs
	$(BIN)/pytest tests/dag_generator/test_aws_rehearsal.py tests/backends/test_sagemaker_local_gateway.py -rfEs

# Installs its anchors first (wrk, MLServer, BentoML if it installs): see .ci/benchmark-setup.sh.
benchmarks: setup
	bash .ci/benchmark-setup.sh
	bash .ci/airflow-setup.sh
	$(BIN)/python benchmarks/serving.py --json
	$(BIN)/python benchmarks/serving_model.py --json
	$(BIN)/python benchmarks/lifecycle.py --json
	$(BIN)/python benchmarks/canary.py --json
	.venv-airflow/bin/python benchmarks/dag_parse.py --json
	bash .ci/evidently-setup.sh
	$(BIN)/python benchmarks/drift.py --json

clean:
	rm -rf $(VENV) .venv-airflow .venv-snowflake .venv-sagemaker .venv-evidently .stainless dist
