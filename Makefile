# normlab — `make lab` to learn, `make test` to check everything. `make help` lists all targets.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.normlab-setup
ASSETS := $(VENV)/web-assets
HUBPROXY := $(VENV)/hub-proxy
# pip prints one warning per package for the machine's empty extra indexes; hide only that noise.
QUIET_PIP := { grep -v "^WARNING: Location 'file:" || true; }
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg

.PHONY: help setup lab test lint

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "normlab needs Python 3.11, got " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)

# d2l goes in with --no-deps (requirements-nodeps.txt says why); tools/pip_check.py fails on any broken requirement
# other than d2l's own 2023 pins.
$(STAMP): $(BIN)/python requirements-lock.txt requirements-nodeps.txt pyproject.toml
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-lock.txt 2>&1 | $(QUIET_PIP)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -r requirements-nodeps.txt 2>&1 | $(QUIET_PIP)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2>&1 | $(QUIET_PIP)
	$(BIN)/python tools/pip_check.py
	@touch $@

setup: $(STAMP) ## create .venv (Python 3.11) with the pinned lock and normlab (editable); idempotent

lab: setup ## open JupyterLab on notebooks/ at 127.0.0.1 (token printed below; Ctrl-C twice to stop)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks --ServerApp.ip=127.0.0.1 --no-browser \
		$$( [ "$$(id -u)" = 0 ] && echo --allow-root )

# The architecture contract (pyproject.toml [tool.importlinter]): which layer of normlab may import which.
lint: setup ## ruff over normlab/, tests/, tools/, site/, benchmarks/ and the notebooks; import-linter's layer contract
	$(BIN)/ruff check normlab tests notebooks tools site benchmarks noxfile.py
	$(BIN)/lint-imports --no-cache --no-logo

# One torch thread per process: two pytest workers (each with a kernel) already fill both cores, and
# oversubscribed threads make small torch ops crawl. No printed number depends on it: make test-portable checks.
test: setup lint ## lint, then unit, nbval (every notebook) and browser tests in one pytest run
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder $(NBVAL) \
		--ignore=tests/browser/web --ignore=tests/classroom tests notebooks

# The instructor's web tools in Chromium (tests/browser/web): the site, the live slides, the accessibility audit, and
# the nbgitpuller link clicked on a real hub.
.PHONY: test-web
test-web: setup $(ASSETS)/.stamp $(HUBPROXY)/.stamp ## the site, live slides and the hub's course link in Chromium; axe-core's audit
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest tests/browser/web

# The stored outputs must hold on every CPU: the same strict nbval under the numeric paths torch can take (its kernels'
# vector ISA, oneDNN's, MKL's code path, 1 or 2 threads). tools/portable.py lists them; the README says why.
.PHONY: test-portable test-portable-list
test-portable: setup ## strict nbval of every notebook under every numeric path this CPU can take (PATHS="isa-default" for one)
	$(BIN)/python tools/portable.py $(PATHS)

test-portable-list: setup ## the numeric paths of test-portable, and which this CPU can take
	$(BIN)/python tools/portable.py --list

# The course as a package for the learner's own environment: the wheel holds normlab and the notebooks.
.PHONY: dist test-matrix
dist: setup ## build dist/normlab-*.whl and the sdist (the package and the notebooks; `normlab course DIR` copies them)
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist . 2>&1 | tail -1

# nox finds python3.11, python3.12 and python3.13 on PATH; where pyenv manages them, every installed version is put there.
test-matrix: dist ## the wheel on Py 3.11/torch 2.4, Py 3.12/torch 2.14, Py 3.13/torch 2.15: unit + strict nbval (STACK=newest for one; GBs)
	$(if $(shell command -v pyenv),PYENV_VERSION=$$(pyenv versions --bare | paste -sd: -)) \
		timeout 3600 $(BIN)/nox -f noxfile.py $(if $(STACK),-k $(STACK))

.PHONY: bench
bench: setup ## time normlab vs torch kernels, widget redraws, the nbval suite, import; writes build/bench.json
	$(BIN)/python -m benchmarks.bench

# Instructor's tools. The slides and the site are built from the notebooks' stored outputs (nothing is executed) and
# load every script and font from their own folder, copied from pinned npm tarballs fetched once (tools/web-assets.lock).
.PHONY: web-assets slides site present refresh

$(ASSETS)/.stamp: tools/web-assets.lock tools/web_assets.py | $(STAMP)
	$(BIN)/python tools/web_assets.py $(ASSETS)
	@touch $@

web-assets: $(ASSETS)/.stamp ## fetch reveal.js, MathJax, require.js, jQuery, the widget manager, fonts, axe-core (npm, pinned; once)

slides: setup $(ASSETS)/.stamp ## offline reveal.js slides of every notebook: build/slides/NN_*.slides.html
	$(BIN)/python tools/export_static.py slides notebooks build $(ASSETS)

present: setup $(ASSETS)/.stamp ## live slides with working widgets (Voila, 127.0.0.1, token): make present NB=notebooks/09_*.ipynb
	$(if $(NB),,$(error make present needs a notebook: make present NB=notebooks/09_group_instance_rms_norm.ipynb))
	$(BIN)/python tools/present.py $(NB) build $(ASSETS)

site: setup $(ASSETS)/.stamp ## the course website (Sphinx + myst-nb, offline, searchable): build/site/index.html
	$(BIN)/python tools/site.py notebooks build $(ASSETS)

refresh: setup ## maintainers: re-execute notebooks in place (NB=notebooks/x.ipynb for one); refuses uncommitted ones
	$(BIN)/python tools/refresh_notebooks.py $(NB)

# A class on a JupyterHub (README "Teaching a class on a JupyterHub"). The student edition drops the collapsed
# solutions and clears the reveal cells' outputs; the checkers stay. The hub's proxy comes from npm, pinned by
# tools/hub/package-lock.json (npm ci installs exactly it, integrity checked).
.PHONY: student hub test-class bench-hub

student: setup ## the student edition: build/student/*.ipynb without solutions, reveal outputs cleared
	$(BIN)/python tools/student_edition.py notebooks build/student

$(HUBPROXY)/.stamp: tools/hub/package.json tools/hub/package-lock.json | $(STAMP)
	rm -rf $(HUBPROXY) && mkdir -p $(HUBPROXY)
	cp tools/hub/package.json tools/hub/package-lock.json $(HUBPROXY)/
	cd $(HUBPROXY) && npm ci --omit=dev --no-audit --no-fund --loglevel=error
	@touch $@

hub: setup $(HUBPROXY)/.stamp ## a JupyterHub on 127.0.0.1 handing out the student edition by nbgitpuller link (Ctrl-C stops it)
	$(BIN)/python tools/hub_local.py serve build/hub

test-class: setup $(HUBPROXY)/.stamp ## the class tests: every student notebook runs; a real hub gives three students the course
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadgroup tests/classroom

bench-hub: setup $(HUBPROXY)/.stamp ## load test: N students (STUDENTS="1 5 10 20") run notebooks 01 and 07 at once via the hub
	$(BIN)/python -m benchmarks.hub_load $(STUDENTS)
