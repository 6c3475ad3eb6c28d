# The two commands: `make run` (set up and serve the demo site) and `make test` (the suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/research_notes
STAMP := $(VENV)/.installed
# Production-like settings for the deploy check; the key is a throwaway for the check only.
DEPLOY_ENV := DJANGO_DEBUG=0 DJANGO_SECRET_KEY=check-deploy-$(shell date +%s)-a8f3k2m9x7q1w4e6r5t0y2u8i3o1p9z7 DJANGO_ALLOWED_HOSTS=notes.example.org DJANGO_SITE_URL=https://notes.example.org

.PHONY: messages run install browser-deps checker-deps migrate demo serve test test-sqlite test-postgres lint format check-deploy bench clean math-font screenshots bench-deps bench-quick bench-import check-clients test-django6 test-faults test-load

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The browser tests (tests/views/test_browser.py) run Debian's chromium; Playwright's own browser
# download is not used. Installed once, quietly, as root (or through sudo).
CHROMIUM := /usr/bin/chromium
browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-dejavu-extra fonts-noto-cjk >/dev/null; \
	fi
	@# Chinese is measured with real glyphs in the browser tests, not boxes.
	@if ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; \
	fi

# The accessibility checks (tests/views/test_accessibility.py) run the Nu HTML checker (vnu.jar,
# Java) and axe-core, both pinned in package.json and installed from npm into node_modules/.
checker-deps:
	@if ! command -v java >/dev/null; then \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	fi
	@if [ ! -f node_modules/vnu-jar/build/dist/vnu.jar ] || [ ! -f node_modules/axe-core/axe.min.js ]; then \
	  npm ci --no-audit --no-fund --loglevel=error; \
	fi

run: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py load_demo
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

test: install lint check-deploy test-sqlite test-postgres

# The outside checkers (tests marked `clients`) run once, in `make check-clients`, not on
# each database.
test-sqlite: install browser-deps checker-deps
	$(BIN)/python -m pytest -m "not clients"

test-postgres: install browser-deps checker-deps
	DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -m "not clients"

# What clients get, judged by the tools outside the project: the Nu HTML checker (no error
# or warning) and axe-core in Chromium (no serious or critical violation; light, dark, and
# dark chosen with the switch) on the demo's pages; feedparser and the RSS 2.0 and Atom
# (RFC 4287) grammars and rules on every kind of feed in both languages
# (tests/views/test_accessibility.py, tests/views/test_feed_validity.py). CI runs it after `make test`.
check-clients: install browser-deps checker-deps
	$(BIN)/python -m pytest -m clients

# The second CI leg: the newest Django 6.x on Python 3.13 (pyenv's, else python3.13 on the
# PATH), in its own virtualenv, the suite on SQLite and PostgreSQL (its own database, so it
# may run beside the main leg). Django 5.2 LTS on Python 3.11 stays the main leg (.venv).
PYTHON_DJANGO6 ?= $(or $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13))),python3.13)
VENV_DJANGO6 ?= .venv-django6
PG_URL_DJANGO6 ?= postgres://postgres@127.0.0.1:5432/research_notes_django6
$(VENV_DJANGO6)/.installed: pyproject.toml
	@$(PYTHON_DJANGO6) -c 'import sys; assert sys.version_info[:2] == (3, 13), sys.version' \
	  || (echo "test-django6 needs Python 3.13: set PYTHON_DJANGO6=/path/to/python3.13"; exit 1)
	$(PYTHON_DJANGO6) -m venv $(VENV_DJANGO6)
	$(VENV_DJANGO6)/bin/pip install --quiet --upgrade pip
	$(VENV_DJANGO6)/bin/pip install --quiet --upgrade -e '.[dev]' 'django>=6,<7'
	touch $@

test-django6: $(VENV_DJANGO6)/.installed browser-deps
	$(VENV_DJANGO6)/bin/python -c 'import django, sys; print("Django", django.get_version(), "on Python", sys.version.split()[0])'
	$(DEPLOY_ENV) $(VENV_DJANGO6)/bin/python manage.py check --deploy --fail-level WARNING
	$(VENV_DJANGO6)/bin/python -m pytest -m "not clients"
	DATABASE_URL=$(PG_URL_DJANGO6) $(VENV_DJANGO6)/bin/python -m pytest -m "not clients"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-deploy: install
	$(DEPLOY_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING

# Rebuild the self-hosted math font from Debian's fonts-lmodern (glyphs unchanged, WOFF2).
LM_MATH := /usr/share/texmf/fonts/opentype/public/lm-math/latinmodern-math.otf
math-font: install
	@[ -f $(LM_MATH) ] || (sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; $$sudo apt-get install -y -qq fonts-lmodern)
	$(BIN)/pip install --quiet "fonttools[woff]>=4.50,<5"
	$(BIN)/python -c "from fontTools.ttLib import TTFont; f = TTFont('$(LM_MATH)'); f.flavor = 'woff2'; f.save('static/fonts/latinmodern-math.woff2')"

# After changing a translatable string: update locale/*/django.po, translate, then compile
# the .mo files (committed, so a deployment needs no gettext tools).
messages: export DJANGO_DEBUG=1
messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore='.venv/*' --ignore='node_modules/*' \
	  --ignore='staticfiles/*' --ignore='tests/*' --ignore='bench/*'
	$(BIN)/python manage.py compilemessages --ignore='.venv/*' --ignore='node_modules/*'

# The README's pictures (docs/screenshots/), from the demo site in headless Chromium.
screenshots: install browser-deps
	$(BIN)/python docs/screenshots.py

# The load benchmark's load generator: Debian's wrk (as root, or through sudo).
bench-deps:
	@if ! command -v wrk >/dev/null; then \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi

bench: install bench-deps
	$(BIN)/python bench/run.py

bench-quick: install bench-deps
	$(BIN)/python bench/run.py --quick --json bench-results.json

# How long `manage.py import_notes` takes for 10,000 notes made from the demo notes.
bench-import: install
	$(BIN)/python bench/run.py --import-notes 10000 --databases postgres --json bench-import.json

# Faults for real (tests/delivery/test_faults.py, marked `faults`, left out of every other run): the
# site under gunicorn while PostgreSQL is stopped (pg_ctlcluster) and started again, and a
# private Redis stopped and started again. Stops the machine's PostgreSQL for a few seconds,
# so it waits until no other client is connected; CI runs it after the suite.
test-faults: install
	$(BIN)/python -m pytest -m faults tests/delivery/test_faults.py -s -p no:cacheprovider

# A minute of 64 connections (wrk) on gunicorn, PostgreSQL and Redis while an editor saves
# through the admin: no error, no non-200, every save seen at once, the scheduled note at its
# time, worker memory steady (bench/load.py; about two minutes with the setup).
test-load: install bench-deps
	$(BIN)/python bench/load.py --json load-results.json

clean:
	rm -rf $(VENV) $(VENV_DJANGO6) staticfiles .pytest_cache
