# Every target sets up .venv first, so a fresh clone needs nothing but python3 and make.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup generate lint test check-generated bench clean browser postgres wrk echo-bridge

setup: $(STAMP)

$(STAMP): pyproject.toml generated/python/pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	# The package runs from its source: runtime/matrix_appservice, the hand-written modules with
	# links to the ones `make generate` writes. `.venv/bin/python -c 'import matrix_appservice'`
	# and `.venv/bin/matrix-appservice` use it (the extras' pins come from dev).
	$(PY) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()["purelib"], "matrix_appservice_runtime.pth").write_text(str(pathlib.Path("runtime").resolve()) + "\n")'
	touch $(STAMP)

## The main job: lint the sources and regenerate everything under generated/.
generate: setup
	$(BIN)/appservice-spec lint
	$(BIN)/appservice-spec generate

## Style and types of the generator, and of the package where it is written (runtime/, whose
## links reach the emitted modules), and the spec lint. The tools keep their caches outside
## generated/; the last step fails if lint added or changed anything there.
GENERATED_STATE = { git status --porcelain generated/ 2>/dev/null; find generated | LC_ALL=C sort; }
lint: setup
	@$(GENERATED_STATE) > $(VENV)/.generated-before-lint
	$(BIN)/appservice-spec lint
	$(BIN)/ruff check codegen tests examples $(wildcard bench)
	$(BIN)/ruff format --check codegen tests examples $(wildcard bench)
	$(BIN)/mypy codegen
	$(BIN)/ruff check --no-cache --config generated/python/pyproject.toml runtime
	$(BIN)/ruff format --no-cache --config generated/python/pyproject.toml --check runtime
	cd runtime && ../$(BIN)/mypy --config-file ../pyproject.toml --cache-dir ../.mypy_cache matrix_appservice
	MYPYPATH=runtime $(BIN)/mypy examples
	@$(GENERATED_STATE) | diff $(VENV)/.generated-before-lint - \
	  || { echo "make lint: the lines above were added to or removed from generated/ by lint"; exit 1; }

## Fails with a diff when generated/ is not exactly what the sources make.
check-generated: setup
	$(BIN)/appservice-spec generate --check

## Headless Chromium (Debian's package) for the browser test of the rendered docs.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive sudo apt-get install -y -qq chromium >/dev/null; fi; }
	@chromium --version

## Debian's postgresql (initdb, pg_ctl) for the tests that start a throwaway cluster.
postgres:
	@command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 || \
	  ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; fi; }
	@"$$( (command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n1) 2>/dev/null)" --version

## Debian's wrk, the load generator of bench/server.py.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; fi; }
	@wrk --version | head -n1

## The example echo bridge (examples/echo): make echo-bridge REGISTRATION=FILE HOMESERVER=URL
echo-bridge: setup
	@test -n "$(REGISTRATION)" -a -n "$(HOMESERVER)" || { echo "usage: make echo-bridge REGISTRATION=registration.yaml HOMESERVER=http://127.0.0.1:8008" >&2; exit 2; }
	$(PY) -m examples.echo --registration "$(REGISTRATION)" --homeserver "$(HOMESERVER)"

## Everything CI runs.
test: lint check-generated browser postgres
	$(BIN)/pytest -q

## Side-by-side figures: validation, the clients, the server under wrk (granian, uvicorn,
## aiohttp, mautrix), then the raw-socket cases against granian and uvicorn (about 12 minutes).
bench: setup wrk
	$(PY) bench/validate.py
	$(PY) bench/events.py
	$(PY) bench/client.py
	$(PY) bench/server.py
	$(PY) bench/http_stack.py --skip-speed

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
