# Two commands for users: `make run` and `make test`. Both set up .venv first: `make run` with what ketasim needs
# to run, `make test` (and every other target) with the dev extra as well.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNTIME_STAMP := $(VENV)/.installed-runtime
WARM_STAMP := $(VENV)/.warm-cache

.PHONY: setup run test test-slow lint bench docs calibrate posterior posterior-surrogate mutate wheel-check clean

setup: $(STAMP) $(WARM_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP) $(RUNTIME_STAMP)

# The persistent compile cache and the program store filled with the programs of the examples and the explorer's
# routes (scripts/warm_cache.py; minutes the first time, about a minute when they are cached), and the package's
# modules compiled to bytecode (a process that cannot write it, e.g. under PYTHONDONTWRITEBYTECODE, would compile
# them anew each time, 0.3 s), again whenever a file of the package changes: the store's keys include them all.
$(WARM_STAMP): $(STAMP) scripts/warm_cache.py $(shell find src/ketasim -name '*.py' -o -name '*.yaml')
	$(BIN)/python -m compileall -q src/ketasim
	$(BIN)/python scripts/warm_cache.py
	touch $(WARM_STAMP)

$(RUNTIME_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME_STAMP)

run: $(RUNTIME_STAMP)
	$(BIN)/ketasim trial examples/kap-clinic-course.yaml --out results/kap-clinic-course

lint: setup
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

test-slow: setup
	$(BIN)/pytest -m slow

bench: setup
	$(BIN)/python benchmarks/pk_throughput.py
	$(BIN)/python benchmarks/trial_throughput.py
	$(BIN)/python benchmarks/performance.py
	$(BIN)/python benchmarks/diffrax_anchor.py

# The calibrated default values: every parameter marked calibrated, fitted to the calibration targets (about half an
# hour on 2 cores); writes src/ketasim/parameters/calibrated.yaml, which the default parameter set loads.
calibrate: setup
	$(BIN)/ketasim calibrate --targets data/calibration-targets.yaml --out src/ketasim/parameters/calibrated.yaml \
		--patients 64 --max-evaluations 14

# The posterior ensemble of the calibrated parameters beside the defaults (NUTS on the likelihood linearised at the
# calibrated values, Laplace-centred there), sampled from the saved surrogate docs/posterior/surrogate.json, 16 draws
# simulated to check it (about 5 minutes on 2 cores), and the figures of docs/calibration.md
# (scripts/posterior_figures.py). After make calibrate or a change of the targets the saved surrogate is refused:
# `make posterior-surrogate posterior` measures it again first (81 parameter sets, about 17 minutes more).
posterior: setup
	$(BIN)/ketasim posterior --targets data/calibration-targets.yaml --from-surrogate docs/posterior/surrogate.json \
		--out src/ketasim/parameters/posterior.yaml --draws 256 --patients 64 --check 16
	$(BIN)/python scripts/posterior_figures.py

posterior-surrogate: setup
	$(BIN)/ketasim posterior --targets data/calibration-targets.yaml --out results/posterior-measured.yaml \
		--draws 256 --patients 64 --check 0 --surrogate-json docs/posterior/surrogate.json

# Mutation testing of the model, the engine and the population layer against the fast science tests (config:
# [tool.mutmut] in pyproject.toml; score, survivors and run time in docs/testing.md). Every mutant would take days on
# 2 cores, so the score comes from a seeded random sample of MUTATE_SAMPLE mutants (0: all of them) with its Wilson
# 95 % interval (scripts/mutate.py, about half an hour for 50). Results stay in mutants/ and results/mutation-sample.json.
MUTATE_SAMPLE ?= 50
mutate: setup
	$(BIN)/python scripts/mutate.py --sample $(MUTATE_SAMPLE)

docs: setup
	$(BIN)/mkdocs build --strict --site-dir results/site

wheel-check:
	bash scripts/check-wheel.sh

clean:
	rm -rf $(VENV) results mutants .pytest_cache .mypy_cache .ruff_cache
