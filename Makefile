# Switchboard: `make run` serves the app with demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SWITCHBOARD := $(BIN)/switchboard
EXAMPLES := $(wildcard examples/*/setup.cfg examples/*/pyproject.toml)

.PHONY: run test lint setup python frontend translations messages db demo clean

run: setup db demo
	$(SWITCHBOARD) serve

test: setup lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Zero findings is the rule: ruff over all Python, mypy --strict over the plugin contract
# and the plugin API, import-linter over the plugin boundary (setup.cfg), ESLint over the
# browser code.
lint: setup
	$(BIN)/ruff check --quiet .
	$(BIN)/mypy host/hookspecs.py host/contracts.py host/events.py host/rooms.py host/realtime_events.py host/plugin_api
	$(BIN)/lint-imports --no-cache --no-logo
	npx --no-install eslint .

setup: python frontend translations

# Server catalogs: .po files are the source (committed), .mo files are built here and
# ignored by git, so a fresh clone compiles them in `make setup`.
PO_FILES := $(wildcard host/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

translations: $(MO_FILES)

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@ 2>&1 | grep -v '^compiling' || true
	@test -f $@

# For translators: extract every server string into the template, merge it into each
# language's .po (new strings empty, vanished ones dropped), extract the front end's
# keys the same way (`node host/frontend/i18n_check.mjs` checks them against the code) and compile.
messages: python
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l --no-location --sort-output --width 100 \
		--project Switchboard --msgid-bugs-address '' -o host/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete --width 100 -i host/translations/messages.pot \
		-d host/translations
	node host/frontend/i18n_check.mjs
	$(MAKE) translations

python: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml $(EXAMPLES)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# -qq: errors only; setuptools otherwise prints its generic editable-install notice per package
	$(BIN)/python -m pip install --quiet --quiet -e ".[dev]"
	for example in $(dir $(EXAMPLES)); do $(BIN)/python -m pip install --quiet --quiet -e "$$example"; done
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend: node_modules/.installed
	npm run --silent build

db: python
	$(SWITCHBOARD) db upgrade

demo: db
	$(SWITCHBOARD) demo

clean:
	rm -rf $(VENV) node_modules host/static/dist plugins/*/static/dist host/translations/*/LC_MESSAGES/*.mo
