# The two commands: `make run` (set up and serve the demo site) and `make test` (the suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/research_notes
STAMP := $(VENV)/.installed
# Production-like settings for the deploy check; the key is a throwaway for the check only.
DEPLOY_ENV := DJANGO_DEBUG=0 DJANGO_SECRET_KEY=check-deploy-$(shell date +%s)-a8f3k2m9x7q1w4e6r5t0y2u8i3o1p9z7 DJANGO_ALLOWED_HOSTS=notes.example.org

.PHONY: messages run install browser-deps checker-deps migrate demo serve test test-sqlite test-postgres lint format check-deploy bench clean math-font screenshots bench-deps bench-quick

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The browser tests (tests/test_browser.py) run Debian's chromium; Playwright's own browser
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

# The accessibility checks (tests/test_accessibility.py) run the Nu HTML checker (vnu.jar,
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

test-sqlite: install browser-deps checker-deps
	$(BIN)/python -m pytest

test-postgres: install browser-deps checker-deps
	DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

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

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
