# Two commands: `make run` opens the window, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-sequential test-profile test-memory bench clean

# resemblyzer carries the bundled speaker encoder's weights (resemblyzer/pretrained.pt); it is
# installed --no-deps because its webrtcvad dependency builds from source, and the app never
# imports it (engines/speaker_engine.py reads the weights into its own torch network).
$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps resemblyzer==0.1.4
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/grym-desktop

test: $(STAMP)
	$(BIN)/ruff check grym_desktop tests bench
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -rs --durations=10

test-sequential test-profile test-memory: test-%: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -rs -m $*

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[test,bench]'
	cd bench && ../$(BIN)/python transcribe_bench.py --memory-hours 3
	cd bench && ../$(BIN)/python long_bench.py --app-variant "no_filter=--no-speech-filter"
	cd bench && ../$(BIN)/python memory_bench.py
	cd bench && ../$(BIN)/python engines_bench.py
	cd bench && ../$(BIN)/python live_bench.py --long
	$(BIN)/python bench/gui_stall_bench.py
	cd bench && ../$(BIN)/python early_segments_bench.py
	$(BIN)/python bench/search_bench.py
	$(BIN)/python bench/editor_bench.py
	$(BIN)/python bench/compare_bench.py
	cd bench && ../$(BIN)/python ask_bench.py
	cd bench && ../$(BIN)/python batch_bench.py
	$(BIN)/python bench/batched_decoding_bench.py --precisions float32 --minutes 1,5 --batch-sizes 8
	cd bench && ../$(BIN)/python feature_labels_bench.py
	$(BIN)/python bench/feature_search_bench.py
	cd bench && ../$(BIN)/python diarize_bench.py
	cd bench && ../$(BIN)/python diarize_memory_bench.py

clean:
	rm -rf $(VENV)

# `make package`: the one-folder build (PyInstaller, dist/grym-desktop/) and the Debian
# package (dist/grym-desktop_*.deb), made in their own venv without torch and transformers.
# `make package-test` (root, Xvfb): installs the .deb with apt-get and runs the smoke test.
.PHONY: package package-test
PKG_VENV ?= build/package-venv
PKG_STAMP := $(PKG_VENV)/.installed

$(PKG_STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(PKG_VENV)
	$(PKG_VENV)/bin/pip install -q --upgrade pip
	$(PKG_VENV)/bin/pip install -q pyinstaller -e .
	touch $(PKG_STAMP)

package: $(PKG_STAMP)
	$(PKG_VENV)/bin/pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller \
		packaging/grym-desktop.spec
	packaging/build_deb.sh dist/grym-desktop dist

package-test: $(if $(wildcard dist/grym-desktop_*.deb),,package) $(STAMP)
	packaging/package_test.sh
