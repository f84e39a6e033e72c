# zhtj-rpa — `make demo` and `make test` are the quick start; both run `make setup` first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MOCK := fixtures/mock_portal
STAMP := $(VENV)/.installed
NODE_STAMP := $(MOCK)/node_modules/.package-lock.json

.PHONY: setup browser test demo bench dist clean

setup: $(STAMP) $(NODE_STAMP) browser

# The venv with the project installed; redone only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

# The mock's Vue 2 + Element UI, pinned by the lockfile, into an ignored folder.
$(NODE_STAMP): $(MOCK)/package-lock.json $(MOCK)/package.json
	npm ci --prefix $(MOCK) --no-audit --no-fund --loglevel=error
	touch $@

# Finds a browser (SPEC §6) and installs one, with CJK fonts, only when none is there.
browser: $(STAMP)
	$(PY) -m rpa.browser ensure

test: setup
	$(PY) -m pytest

demo: setup
	$(VENV)/bin/rpa demo

bench: setup
	$(PY) bench/run.py

# A wheel that runs without the checkout, make or Node: `pipx install dist/zhtj_rpa-*.whl`.
# setup.py copies the catalog, the demo batch and the mock's built front end into it.
DIST ?= dist
dist: $(STAMP) $(NODE_STAMP)
	rm -rf build
	$(PY) -m pip wheel -q --no-deps --wheel-dir $(DIST) .
	@ls -l $(DIST)/zhtj_rpa-*.whl

clean:
	rm -rf $(VENV) $(MOCK)/node_modules .pytest_cache .hypothesis demo-output build dist
