# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install demo test test-all smoke lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# torch first: 2.13.0 is the CPU wheel these machines hold; an unpinned torch pulls CUDA builds.
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[test,ct2]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/python -m weasel run all projects/quickstart --force
	@echo
	@echo "Projected pairs: projects/quickstart/corpus/projected.spacy; scores: projects/quickstart/metrics/projection.json"
	@echo "Open projects/quickstart/visualize/pairs.html in a browser to see every pair."
	@echo "With a pretrained encoder instead of the statistical aligner (needs the model or a local folder):"
	@echo "  $(BIN)/python -m weasel run all projects/quickstart --vars.method simalign --vars.encoder bert-base-multilingual-cased"

test: install
	$(BIN)/python -m pytest -q

test-all: install
	$(BIN)/python -m pytest -q --runslow

# The smoke workflows of the projects (tiny models or a few training steps, a slice of the
# shared data beside the checkout), each in a fresh copy; the tests read their tables back.
# All run at once, one torch thread each: their time goes to starting processes. A failing
# test's output is printed in full, the others' last line.
SMOKE_TESTS := masakhaner_smoke ote_smoke ote_real_smoke abstrct_smoke europarl_smoke
smoke: install
	@logs=$$(mktemp -d); for k in $(SMOKE_TESTS); do \
	  OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q --runslow tests/test_projects.py -k $$k > $$logs/$$k.log 2>&1 & \
	  echo $$! > $$logs/$$k.pid; \
	done; \
	fail=0; for k in $(SMOKE_TESTS); do \
	  wait $$(cat $$logs/$$k.pid); s=$$?; echo "smoke: $$k exit $$s ($$(tail -n 1 $$logs/$$k.log))"; \
	  if [ $$s -ne 0 ]; then cat $$logs/$$k.log; fail=1; fi; \
	done; rm -rf $$logs; test $$fail -eq 0

lint: install
	$(BIN)/ruff check spacy_xlt tests bench projects examples

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
