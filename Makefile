# Smart Trading: `make run` serves the product with demo data, `make test` runs every test.
SHELL := /bin/bash
# Debian's CPython is built with profile-guided and link-time optimization: the pure-Python
# simulator runs about 20% faster on it than on a default source build (pyenv's).
PYTHON ?= $(shell /usr/bin/python3.11 -c 'import ensurepip' 2>/dev/null && echo /usr/bin/python3.11 || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
export SMARTTRADING_VAR_DIR ?= $(CURDIR)/var
export SMARTTRADING_PORT ?= 8000
export PYTHONUNBUFFERED := 1

.PHONY: run test test-postgres bench bench-smoke fix-acceptance soak lint setup browser clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.runtime
	mkdir -p $(SMARTTRADING_VAR_DIR)
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py demo_setup
	$(PY) manage.py fix_demo_setup
	$(PY) manage.py exchange_open

run: setup
	@echo ""
	@echo "  Smart Trading is starting: http://127.0.0.1:$(SMARTTRADING_PORT)/"
	@echo "  Logins (password: $${SMARTTRADING_DEMO_PASSWORD:-smarttrading-demo}):"
	@echo "    trader1, trader2  -> /orders/     enter and watch orders"
	@echo "    supervisor1       -> /execution/  live execution panels"
	@echo "    analyst1          -> /tca/        transaction cost analysis"
	@echo "  API docs: http://127.0.0.1:$(SMARTTRADING_PORT)/api/docs/   Stop: Ctrl-C"
	@echo "  FIX 4.4: 127.0.0.1:$${SMARTTRADING_FIX_PORT:-9878}, SenderCompID=OMS1 TargetCompID=SMARTTRADING (orders),"
	@echo "           SenderCompID=DROPCOPY1 TargetCompID=SMARTTRADING (drop copy)"
	@echo ""
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m smarttrading.supervise $(if $(REDIS_URL),worker reports beat web fix,)

browser:
	@bash scripts/ensure-chromium

# The tests on one pytest-xdist worker a core (each with its own var/, test database and
# embedded Redis), then the browser's on their own: each drives a whole stack and Chromium.
test: lint browser
	$(PY) -m pytest -n auto --dist load -m "not browser"
	$(PY) -m pytest -m browser

# The database-touching tests again, on PostgreSQL (DATABASE_URL must point at it).
test-postgres: $(VENV)/.dev
	$(PY) -m pytest -n auto --dist load -m django_db

# Every group in a process of its own, on its own fresh database and Redis.
bench: $(VENV)/.dev
	SMARTTRADING_SIM_SPEED=0 $(PY) -m bench
	@if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then \
	  echo "PostgreSQL answers on 127.0.0.1:5432: the sessions again, on it"; \
	  SMARTTRADING_SIM_SPEED=0 $(PY) -m bench --database postgresql sessions; \
	fi

# Every group at a small size, two at a time (about 2.5 minutes): fails on an exception or a broken invariant,
# never on a time.
bench-smoke: $(VENV)/.dev
	BENCH_SMOKE=1 SMARTTRADING_SIM_SPEED=0 $(PY) -m bench --jobs 2

# QuickFIX's acceptance scripts (fix44 and fix42) against the FIX gateway's acceptance profile.
fix-acceptance: $(VENV)/.runtime
	bash scripts/fix-acceptance

# The order lifecycle's stateful property test at length (SOAK_SEQUENCES random desk days).
soak: $(VENV)/.dev
	SMARTTRADING_LIFECYCLE_EXAMPLES=$${SOAK_SEQUENCES:-2000} $(PY) -m pytest -q -s --timeout=0 tests/integration/test_lifecycle_machine.py

# ruff, and the layers by import-linter's contracts in pyproject.toml.
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-logo --no-cache

clean:
	rm -rf $(SMARTTRADING_VAR_DIR) staticfiles
