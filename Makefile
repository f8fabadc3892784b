# The two commands: `make run` and `make test`. Everything else is what they are made of.
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app orders_app
HOST   ?= 127.0.0.1
PORT   ?= 5000
STAMP  := $(VENV)/.installed

.PHONY: install run test bench db clean

# Python packages from requirements.txt; the browser's Socket.IO client from the npm lockfile.
$(STAMP): requirements.txt orders_app/web/package.json orders_app/web/package-lock.json
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --requirement requirements.txt
	npm ci --prefix orders_app/web --no-audit --no-fund --loglevel=error
	touch $@

install: $(STAMP)

# Migrate and seed the SQLite database in instance/ (both idempotent).
db: install
	$(FLASK) init-db
	$(FLASK) seed

run: db
	@echo
	@echo "  API + Swagger UI   http://$(HOST):$(PORT)/docs"
	@echo "  Socket.IO page     http://$(HOST):$(PORT)/"
	@echo "  Demo credentials   printed above, and kept in instance/demo-credentials.json"
	@echo
	HOST=$(HOST) PORT=$(PORT) $(PY) wsgi.py

# SQLite always; PostgreSQL as well when TEST_DATABASE_URL is set.
test: install
	$(PY) -m pytest tests -ra --db sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
		$(PY) -m pytest tests -ra --db postgresql; \
	else \
		echo "== TEST_DATABASE_URL is not set: PostgreSQL run skipped"; \
	fi

# Figures, not pass/fail: the engine in-process, then HTTP against real servers (SQLite, and
# PostgreSQL when TEST_DATABASE_URL is set). wrk is the load generator of the throughput, delivery and
# two-process benchmarks (bench/README.md).
bench: install
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	$(PY) bench/engine_bench.py
	$(PY) bench/writer_bench.py
	$(PY) bench/http_bench.py
	$(PY) bench/login_flood_bench.py
	$(PY) bench/throughput_bench.py
	$(PY) bench/socketio_delivery_bench.py
	$(PY) bench/alternating_processes_bench.py

clean:
	rm -rf $(VENV) orders_app/web/node_modules .pytest_cache
