# The README's two set-up commands are `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test lint bench screenshots clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)

# torch 2.13.0 (CPU build) first, so Lightning's torch requirement does not pull a CUDA build.
$(VENV)/.runtime: pyproject.toml | $(VENV)/bin/python
	$(PIP) install "torch==2.13.0"
	$(PIP) install -e .
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.runtime
	$(PIP) install -e ".[test]"
	# prefigure 0.0.10 beside the pinned 0.0.9, without its gradio dependency, for one test.
	$(PIP) install --no-deps --upgrade --target $(VENV)/prefigure-0.0.10 "prefigure==0.0.10"
	touch $@

run: $(VENV)/.runtime
	$(VENV)/bin/satconf

test: $(VENV)/.test
	$(VENV)/bin/ruff check src tests bench
	$(PY) -m pytest -q tests

lint: $(VENV)/.test
	$(VENV)/bin/ruff check src tests bench

bench: $(VENV)/.test
	$(PY) bench/run.py

screenshots: $(VENV)/.test
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache
