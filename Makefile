# Everything a newcomer needs: `make demo` and `make test`. Both install into .venv: the demo
# only what it runs (requirements-demo.txt), the tests the whole toolchain (requirements-dev.txt).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready
DEMO_READY := $(VENV)/.demo-ready
AXE    := node_modules/axe-core/axe.min.js
export TF_CLI_CONFIG_FILE := $(CURDIR)/infrastructure/terraform.rc
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo smoke test lint chromium bench load package clean tf-local catalogs messages screenshots

$(DEMO_READY): requirements.txt requirements-demo.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-demo.txt
	touch $@

# requirements-dev.txt includes requirements-demo.txt: the full set serves the demo too.
$(READY): requirements.txt requirements-demo.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(DEMO_READY)

# The page's languages: gettext catalogs (chalicelib/locales/<language>/LC_MESSAGES/messages.po),
# compiled to .mo files here; the Lambda reads those with the standard library's gettext.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard chalicelib/locales/*/LC_MESSAGES/messages.po))

catalogs: $(CATALOGS) ## compile the language catalogs (every target that runs the service does)

chalicelib/locales/%/LC_MESSAGES/messages.mo: chalicelib/locales/%/LC_MESSAGES/messages.po $(DEMO_READY)
	$(BIN)/pybabel -q compile --statistics -i $< -o $@

messages: $(DEMO_READY) ## extract the messages from code and templates, and update every catalog
	mkdir -p build
	PYTHONPATH=. $(BIN)/pybabel -q extract -F babel.cfg --sort-by-file --add-comments=TRANSLATORS: --project=phone-signin \
		-o build/messages.pot .
	$(BIN)/pybabel -q update -i build/messages.pot -d chalicelib/locales -D messages \
		--no-fuzzy-matching --ignore-obsolete

demo: $(DEMO_READY) catalogs   ## run the service, a demo tenant and a phone on 127.0.0.1
	$(BIN)/python -m tools.demo

smoke: $(DEMO_READY) catalogs  ## one complete sign-in over HTTP, non-interactively
	$(BIN)/python -m tools.demo --smoke

tf-local: $(READY) catalogs    ## the Terraform example applied to moto on 127.0.0.1, until Ctrl-C
	$(BIN)/python -m tools.tf_local

test: $(READY) catalogs lint chromium $(AXE)   ## the whole suite
	$(BIN)/python -m pytest

# axe-core (npm, pinned in package-lock.json) checks the page's accessibility in tests/e2e.
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

screenshots: $(READY) catalogs chromium $(AXE) ## the docs' screenshots (docs/images), in every language, desktop and phone
	$(BIN)/python -m pytest -q tests/e2e/test_screenshots.py
	cp build/screenshots/docs/*.png docs/images/

chromium:             ## Debian's Chromium for the browser tests (installs when root)
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
		echo "Chromium is missing and this is not root: the browser tests will be skipped"

lint: $(READY)        ## ruff check, ruff format --check, then mypy (settings in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(READY) catalogs       ## AWS calls, capacity units, CPU, cold start, package size, cost
	$(BIN)/python -m tools.bench

# checkov pins its own boto3 (1.35), which the service and moto cannot share: its own virtualenv.
CHECKOV := $(VENV)/checkov/bin/checkov
.PHONY: scan
test: $(CHECKOV)
$(CHECKOV): infrastructure/requirements-scan.txt
	$(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

scan: $(CHECKOV)      ## checkov over infrastructure/, offline (tests/e2e/test_terraform_scan.py runs it too)
	BC_SKIP_MAPPING=TRUE $(CHECKOV) -d infrastructure --framework terraform --compact --quiet --skip-download

load: $(READY) catalogs        ## a bounded load run on 127.0.0.1, and the 10k sign-ins/s simulation
	$(BIN)/python -m tools.load

# chalice's zip, then tools/package.py: bytecode for the runtime, and without what never loads.
package: $(READY) catalogs     ## the Lambda zip Terraform deploys: build/package/deployment.zip
	rm -rf build/package && AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} \
		$(BIN)/chalice package --stage prod build/package
	$(BIN)/python -m tools.package build/package

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache node_modules
