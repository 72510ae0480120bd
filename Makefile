# The two commands of the README: `make run` and `make test`. Everything else is a step of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= ./var

.PHONY: run test install lint bench clean

$(BIN)/communecter: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/communecter

run: install
	$(BIN)/communecter demo --data $(DATA)
	$(BIN)/communecter serve --data $(DATA) --host 127.0.0.1 --port 8000

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: install
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache
