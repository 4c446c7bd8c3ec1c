# The two commands a newcomer needs: `make demo` and `make test`. Each sets up what is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: setup demo test test-second-node lint bench clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required (install Node.js 18+)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The console's browser scripts, bundled from node_modules (nothing is fetched at run time).
CONSOLE_JS := api/console/static/dist/.built
$(CONSOLE_JS): node_modules/.installed api/console/static/build.mjs $(wildcard api/console/static/src/*.js)
	node api/console/static/build.mjs
	@touch $@

setup: $(BIN)/.installed node_modules/.installed $(CONSOLE_JS)

# The node matrix's second leg: Hardhat Network (EDR), its own npm package (not needed otherwise).
HARDHAT := devnet/nodes/hardhat
$(HARDHAT)/node_modules/.installed: $(HARDHAT)/package.json $(HARDHAT)/package-lock.json
	npm ci --prefix $(HARDHAT) --no-audit --no-fund --loglevel=error
	@touch $@

demo: setup
	$(BIN)/essl demo $(ARGS)

test: setup lint
	$(BIN)/pytest $(ARGS)

test-second-node: setup $(HARDHAT)/node_modules/.installed
	ESSL_TEST_NODE=hardhat $(BIN)/pytest tests/second_node $(ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) node_modules build api/console/static/dist .essl .pytest_cache .mypy_cache .ruff_cache
