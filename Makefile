# The README's two set-up commands are `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
# Not -q: the first `make run` installs torch and Lightning (a minute or more), and silence
# looked like a hang. Each step also says what it does.
PIP := $(PY) -m pip --disable-pip-version-check

.PHONY: run test lint bench screenshots mutate clean

$(VENV)/bin/python:
	@echo "==> satconf set-up 1/3: a virtual environment in $(VENV)"
	python3 -m venv $(VENV)

# torch 2.13.0 (CPU build) first, so Lightning's torch requirement does not pull a CUDA build.
$(VENV)/.runtime: pyproject.toml | $(VENV)/bin/python
	@echo "==> satconf set-up 2/3: torch 2.13.0 (CPU build, the largest download)"
	$(PIP) install "torch==2.13.0"
	@echo "==> satconf set-up 3/3: satconf and its dependencies (Textual, pydantic, Lightning)"
	$(PIP) install -e .
	@echo "==> done: satconf is $(VENV)/bin/satconf (or activate: . $(VENV)/bin/activate)"
	touch $@

# The test-only packages live in a second venv layered over $(VENV): a .pth file there adds
# $(VENV)'s site-packages, so pip sees the runtime as installed and adds only what it lacks.
# $(VENV) stays exactly what `make run` installs, and tests/test_runtime_only.py launches
# the demo in it. (`pip install --target DIR` plus PYTHONPATH does not work: --target
# ignores installed packages, so prefigure would bring a second torch, Lightning and
# pydantic, and PyPI's argparse/configparser backports ahead of the standard library.)
TVENV ?= .venv-test
TPY := $(TVENV)/bin/python
TPIP := $(TPY) -m pip --disable-pip-version-check
PURELIB := import sysconfig; print(sysconfig.get_path('purelib'))

$(TVENV)/.test: pyproject.toml $(VENV)/.runtime
	python3 -m venv $(TVENV)
	$(PY) -c "$(PURELIB)" > "$$($(TPY) -c "$(PURELIB)")/satconf-runtime.pth"
	$(TPIP) install -e ".[test]"
	# ruff is a binary in bin/: where an older $(VENV) already holds it, pip would skip it here
	# (the version is the test extra's, read from pyproject.toml).
	$(TPIP) install --ignore-installed --no-deps "$$(sed -n 's/.*"\(ruff[^"]*\)".*/\1/p' pyproject.toml)"
	# prefigure 0.0.10 beside the pinned 0.0.9, without its gradio dependency, for one test.
	$(TPIP) install --no-deps --upgrade --target $(TVENV)/prefigure-0.0.10 "prefigure==0.0.10"
	touch $@

run: $(VENV)/.runtime
	$(VENV)/bin/satconf

test: $(TVENV)/.test
	$(TVENV)/bin/ruff check src tests bench
	SATCONF_RUNTIME_PYTHON=$(abspath $(PY)) $(TPY) -m pytest -q tests

lint: $(TVENV)/.test
	$(TVENV)/bin/ruff check src tests bench

bench: $(TVENV)/.test
	$(TPY) bench/run.py

screenshots: $(TVENV)/.test
	$(TPY) scripts/screenshots.py

# Mutation testing of the core modules (tens of minutes; not part of `make test` or CI).
# One module: make mutate MODULES=runs/recover.py
mutate: $(TVENV)/.test
	$(TPY) scripts/mutate.py --survivors $(MODULES)

clean:
	rm -rf $(VENV) $(TVENV) .pytest_cache
