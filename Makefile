# Quick start:   make demo   (set up .venv and train on a built-in data set)
#                make test   (set up .venv and run the test suite)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# PyTorch is optional (SGD baselines, export); 2.13.0 is the CPU build this project is tested with.
$(VENV)/.torch: $(BIN)/python
	$(BIN)/python -m pip install -q torch==2.13.0 || echo "note: PyTorch not installed; its comparisons and tests are skipped"
	touch $@

$(VENV)/.demo: $(BIN)/python pyproject.toml $(VENV)/.torch
	$(BIN)/python -m pip install -q -e ".[demo]"
	touch $@

$(VENV)/.test: $(BIN)/python pyproject.toml $(VENV)/.torch
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

demo: $(VENV)/.demo
	$(BIN)/lptrain demo

test: $(VENV)/.test
	$(BIN)/python -m pytest -q -n auto

bench: $(VENV)/.test
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
