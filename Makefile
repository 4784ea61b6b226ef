# Two entry points a new machine needs: `make demo` (the main job) and `make test`.
# Both create .venv and install Python and npm packages on first use.
VENV   ?= .venv
PY     := $(VENV)/bin/python
WHARF  := $(VENV)/bin/wharf
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint golden bench bench-scale clean

$(STAMP): pyproject.toml package.json
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	npm install --no-audit --no-fund --silent
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(WHARF) validate
	$(WHARF) generate --check
	$(WHARF) run --report build/run-report.json

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check platform infra tests

golden: setup
	$(WHARF) generate --out tests/golden

bench: setup
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/tpch_bench.py --scale 1

bench-scale: setup
	$(PY) bench/scale_bench.py --run 100

clean:
	rm -rf build .wharf
