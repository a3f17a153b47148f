# EdgeJSON + Maaza. Every target sets up what it needs on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE ?= 1
export HF_DATASETS_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: setup data demo test lint bench

setup: $(STAMP)

# torch is pinned to the CPU build that pip finds on these machines' disk before the rest is resolved.
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[train,space,dev]"
	touch $(STAMP)

data: setup
	$(PY) -m edgejson_dataset build

demo: setup
	$(PY) -m edgejson_dataset preview

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: lint
	$(PY) -m pytest -q

bench: setup
	$(PY) scripts/bench_build.py
