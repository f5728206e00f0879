# One command runs the platform, one runs the tests. Both build the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed

.PHONY: run test install translations messages benchmarks clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	@if ls matchmaker/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile -d matchmaker/translations; fi

run: install
	$(BIN)/matchmaker init
	$(BIN)/matchmaker run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

benchmarks: install
	$(BIN)/python benchmarks/quality.py
	$(BIN)/python benchmarks/speed.py

clean:
	rm -rf $(VENV) instance .pytest_cache

# Refresh the translation catalogues after changing interface strings, then translate the new entries.
messages: $(STAMP)
	$(BIN)/pybabel extract -F matchmaker/translations/babel.cfg -k _l -k N_ -k N_plural:1,2 -o matchmaker/translations/messages.pot .
	$(BIN)/pybabel update -i matchmaker/translations/messages.pot -d matchmaker/translations
