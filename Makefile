# Two commands: `make run` opens the window, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/grym-desktop

test: $(STAMP)
	$(BIN)/ruff check grym_desktop tests bench
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -rs

bench: $(STAMP)
	$(BIN)/python bench/transcribe_bench.py

clean:
	rm -rf $(VENV)
