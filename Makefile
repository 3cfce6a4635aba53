# Everything a newcomer needs: `make demo` and `make test`. Each builds its own virtualenv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready
export TF_CLI_CONFIG_FILE := $(CURDIR)/infrastructure/terraform.rc
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo smoke test lint bench package clean

$(READY): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

demo: $(READY)        ## run the service, a demo tenant and a phone on 127.0.0.1
	$(BIN)/python -m tools.demo

smoke: $(READY)       ## one complete sign-in over HTTP, non-interactively
	$(BIN)/python -m tools.demo --smoke

test: $(READY) lint   ## the whole suite
	$(BIN)/python -m pytest

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(READY)       ## AWS calls, capacity units, CPU, cold start, package size, cost
	$(BIN)/python -m tools.bench

package: $(READY)     ## the Lambda zip, as `chalice package` builds it
	rm -rf build/package && $(BIN)/chalice package --stage prod build/package

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
