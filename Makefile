# Every target sets itself up: `make test` and `make demo` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo bench spec clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest

demo: $(STAMP)
	$(PY) -m pywaz.demo

spec: $(STAMP)
	$(VENV)/bin/pywaz spectest

bench: $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m pytest bench --benchmark-only -q

clean:
	rm -rf $(VENV) build *.egg-info
