# Two entry points a new machine needs: `make demo` (the main job) and `make test`.
# Both create .venv and install Python and npm packages on first use.
VENV   ?= .venv
PY     := $(VENV)/bin/python
WHARF  := $(VENV)/bin/wharf
STAMP  := $(VENV)/.installed

.PHONY: setup browser demo test lint golden bench bench-scale clean

$(STAMP): pyproject.toml package.json
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	npm install --no-audit --no-fund --silent
	touch $(STAMP)

setup: $(STAMP)

# The docs site's browser test (tests/docs_site) drives Debian's chromium. Installed where it is
# missing, apt-get exists and we are root (CI: a fresh Debian machine, as root); otherwise the
# test skips and says why. Quiet: one line when something happens.
browser:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing chromium for the docs site's browser test (apt-get)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq chromium >/dev/null 2>&1 || \
	  { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; } || \
	  echo "chromium could not be installed: the browser test will skip"; \
	fi

demo: setup
	$(WHARF) validate
	$(WHARF) generate --check
	$(WHARF) run --report build/run-report.json

test: setup browser
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
