# mirip_lab: the README's commands. `make test` and `make demo` work on a fresh machine with Python 3.11 and pip.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.mirip-installed
DEMO   ?= runs/demo
LAB_ARGS ?=
# Jupyter refuses to start as root (the usual user in a container) unless told it is on purpose.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: install test demo lab lab-check export clean-nbs readme bench help

help:
	@echo "make test   - install into .venv if needed, check nbs/ and mirip_lab/ agree, check the import layers, run every notebook's tests"
	@echo "make demo   - diagnose -> batch size -> train -> evaluate -> report on the embedded sample data, into $(DEMO)/"
	@echo "make lab    - JupyterLab on nbs/ (extra flags: LAB_ARGS='--no-browser --port 8890')"
	@echo "make lab-check - headless Chromium runs a training notebook in JupyterLab; screenshot runs/lab-check.png"
	@echo "make export - nbs/ -> mirip_lab/ and README.md;  make clean-nbs - strip outputs before committing"

# Installs only when .venv is missing or settings.ini/setup.py changed: a second `make test` does not reinstall.
$(STAMP): settings.ini setup.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

install: $(STAMP)

test: $(STAMP)
	@bash tools/check_sync.sh
	@$(BIN)/lint-imports --no-cache  # layers and cycles (.importlinter): fails on an upward import or a cycle
	@bash tools/nbtest.sh

demo: $(STAMP)
	$(BIN)/mirip-lab demo --out-dir $(DEMO)

# JUPYTER_PATH serves tools/jupyter/kernels/python3: ipykernel's kernel, named as nbdev_clean names it, so that opening
# and saving a notebook leaves it unchanged (tools/nbmeta.py).
lab: $(STAMP)
	JUPYTER_PATH=$(CURDIR)/tools/jupyter $(BIN)/jupyter lab nbs $(ROOT_FLAG) $(LAB_ARGS)

# A real browser (Debian's chromium + chromedriver, headless) runs a one-epoch training notebook in JupyterLab and checks
# the widget progress bar and the dashboard in the page; screenshot in runs/lab-check.png. Not part of `make test`.
lab-check: $(STAMP)
	JUPYTER_PATH=$(CURDIR)/tools/jupyter $(BIN)/python tools/lab_check.py $(LAB_CHECK_ARGS)

export: $(STAMP)
	$(BIN)/nbdev_export
	$(BIN)/python tools/readme.py

clean-nbs: $(STAMP)
	$(BIN)/nbdev_clean

readme: $(STAMP)
	$(BIN)/python tools/readme.py
