# lagbench — `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# One BLAS/torch thread per process: two OpenBLAS threads on 2 cores made one ARIMA loop swing 13 s → 113 s.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export PYTHONHASHSEED ?= 0
RUN ?=
ARGS ?=
# make perf's statsforecast reference lives in its own venv: statsforecast needs pandas < 3.
REFS ?= .venv-refs
REFS_PKGS ?= statsforecast==2.1.1

.DEFAULT_GOAL := help
.PHONY: help install bench test test-slow report sweep perf reproduce lint clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv (torch CPU pin first) and install lagbench with dev tools; no-op when up to date

bench: $(STAMP) ## run the default suite (naive, arima, arima_garch, rnn, lstm × built-in datasets; the volatility duel ewma, lstm_gauss on sp500_vol) and print the report path
	$(PY) -m bench.run $(ARGS)

test: $(STAMP) ## install if needed, then run the fast test suite
	$(PY) -m pytest -q $(ARGS)

test-slow: $(STAMP) ## run the slow tests too
	$(PY) -m pytest -q -m '' $(ARGS)

report: $(STAMP) ## re-render report.md of the latest run (or RUN=results/<dir>) from its stored files
	$(PY) -m bench.report $(or $(RUN),results/latest)

sweep: $(STAMP) ## Hydra multirun (joblib launcher, 2 jobs at once): LSTM vs GRU × two windows on sine; aggregated report at the sweep root
	$(PY) -m bench.run -m hydra/launcher=joblib hydra.launcher.n_jobs=2 n_jobs=1 \
		'models=[naive,lstm],[naive,gru]' window=10,20 datasets=[sine] $(ARGS)

perf: $(STAMP) ## scoreboard vs references timed in the same run (results/perf.md) + timing table (ARGS=--quick, --suite)
	@$(MAKE) --no-print-directory $(REFS)/.installed || echo "make perf: could not build $(REFS); the statsforecast workload will say so and skip"
	LAGBENCH_REFS_PYTHON=$(CURDIR)/$(REFS)/bin/python $(PY) -m bench.perf $(ARGS)

$(REFS)/.installed: ## the reference venv for make perf (statsforecast and its own pandas)
	test -x $(REFS)/bin/python || python3 -m venv $(REFS)
	$(REFS)/bin/python -m pip install --quiet $(REFS_PKGS)
	touch $@

reproduce: $(STAMP) ## reproduce the published comparisons into results/reproduce/ (QUICK=1: small subsets, a few minutes)
	$(PY) -m bench.reproduce $(if $(filter 1,$(QUICK)),--quick) $(ARGS)

lint: $(STAMP) ## ruff lint and format check
	$(VENV)/bin/ruff check bench tests examples && $(VENV)/bin/ruff format --check bench tests examples

clean: ## remove generated runs and caches (keeps .venv and the task cache)
	find results -mindepth 1 -maxdepth 1 ! -name .gitkeep ! -name .cache -exec rm -rf {} +
	@echo "task cache kept: rm -rf results/.cache clears it (or run with cache=false)"
	rm -rf .pytest_cache .ruff_cache outputs multirun
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -exec rm -rf {} +
