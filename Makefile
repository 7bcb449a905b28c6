# ggzy — two commands: `make demo` and `make test`. Everything installs into .venv.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed

.PHONY: install demo demo-reset demo-evaluation demo-award test test-journey-embedded lint audit typecheck pytest migrate messages bench clean deploy-check cluster cluster-test

$(STAMP): requirements.lock pyproject.toml libs/ggzy-core/pyproject.toml clients/ggzy-bid/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip sync --quiet --python $(PY) requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e libs/ggzy-core -e clients/ggzy-bid -e .
	touch $@

install: $(STAMP)

## demo: embedded defaults (SQLite, in-memory channel layer, filesystem broker), demo data,
## daphne + Celery worker + beat; prints the URL and logins. Ctrl-C stops everything.
demo: install
	DEBUG=true $(PY) manage.py migrate --no-input
	DEBUG=true $(PY) manage.py demo_data
	DEBUG=true VENV=$(VENV) scripts/run-demo

## demo-reset: deletes the demo's data under var/ (says what, asks; YES=1 skips the question),
## then `make demo` creates it anew, with a new demo opening five minutes ahead
demo-reset: install
	scripts/demo-reset
	$(MAKE) demo

## demo-evaluation: after the demo opening has closed, an evaluation to try as expert1: draws the
## committee, opens it and acts for the other four members; run it again at each step (it says which)
demo-evaluation: install
	DEBUG=true PUBLICITY_SECONDS=$${PUBLICITY_SECONDS:-300} $(PY) manage.py demo_evaluation

## demo-award: after the evaluation, the rest of the tender one step a run: an objection to the
## result and its answer, the award and its notices, the contract, the archive (it says which)
demo-award: install
	DEBUG=true PUBLICITY_SECONDS=$${PUBLICITY_SECONDS:-300} $(PY) manage.py demo_award

## test: lint, types and the whole test suite (PostgreSQL + Redis when DATABASE_URL/REDIS_URL are set)
test: install lint typecheck pytest

SOURCE_DIRS := config ggzy libs/ggzy-core/ggzy_core clients/ggzy-bid/ggzy_bid accounts trading bidding deposits experts realtime award supervision simulators

## lint: ruff, import-linter (the floors: [tool.importlinter] in pyproject.toml), bandit on its own (each exception justified on its line: # nosec BXXX # why),
## and pip-audit (see audit)
lint: install audit
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/bandit -c pyproject.toml -r $(SOURCE_DIRS) -q

## audit: known vulnerabilities in the locked dependencies (pip-audit --strict against PyPI's
## per-version JSON API). Where that API is unreachable it says loudly that no audit ran
## (GGZY_REQUIRE_AUDIT=1: fail instead). To accept a reported vulnerability add
## `--ignore-vuln ID` in scripts/audit with a comment saying why.
audit: install
	VENV=$(VENV) scripts/audit

typecheck: install
	DEBUG=true $(VENV)/bin/mypy .

## pytest: the suite in PYTEST_WORKERS processes (pytest-xdist; each with its own test database,
## Redis database and var directory: config/settings.py); PYTEST_WORKERS=0 runs it in one
PYTEST_WORKERS ?= 3
## --dist load: the tests are handed out in collection order, where the slow ones come first
## (tests/conftest.py; worksteal would give them all to the first worker); --durations: CI's
## budget is 20 minutes, the log shows what spends it
pytest: install
	DEBUG=true $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist load --durations=25 $(PYTEST_ARGS)

## test-journey-embedded: the journey test (the whole tender in Chromium) on the embedded
## defaults — SQLite, in-memory channel layer, the broker that needs no server; `make test`
## runs it on PostgreSQL + Redis when DATABASE_URL/REDIS_URL are set
test-journey-embedded: install
	env -u DATABASE_URL -u REDIS_URL GGZY_VAR_DIR=var/journey-embedded DEBUG=true \
		$(VENV)/bin/pytest -p no:cacheprovider -m journey tests/browser/test_journey.py

## messages: after adding strings: extract, translate the new entries in the .po, run again
messages: install
	DEBUG=true $(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=var --ignore=tests --ignore=bench
	DEBUG=true $(PY) manage.py compilemessages --ignore=.venv

## deploy-check: `manage.py check --deploy` under production settings (DEBUG off, a real
## secret key, a signing key file, behind the TLS proxy); any warning fails
deploy-check: install
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && touch "$$tmp/platform-signing.pem" && \
	env -u DEBUG GGZY_VAR_DIR="$$tmp/var" PLATFORM_SIGNING_KEY_FILE="$$tmp/platform-signing.pem" \
	  SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  ALLOWED_HOSTS=ggzy.example.cn CSRF_TRUSTED_ORIGINS=https://ggzy.example.cn \
	  $(PY) manage.py check --deploy --fail-level WARNING

bench: install
	$(PY) -m bench.bench_gm
	DEBUG=true $(PY) -m bench.bench_ledger

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

## cluster: the production topology without docker — its own PostgreSQL, Redis and S3 (moto),
## 2 daphne processes, a Celery worker and beat, the bank and issuer simulators, demo data;
## all under var/cluster, ports 55000-55999; Ctrl-C stops everything (docs/cluster.md)
cluster: install
	$(PY) scripts/cluster.py up

## cluster-test: tests/cluster (daphne, Redis, PostgreSQL, worker and disk faults) on a private
## cluster; not part of `make test`. One test: make cluster-test PYTEST_ARGS="-k redis"
cluster-test: install
	$(PY) scripts/cluster.py test -q $(PYTEST_ARGS)
