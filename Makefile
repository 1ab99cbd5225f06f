# The two commands of the README, and the set-up they share. Each creates its virtual environment when it is missing.
#   make demo    the main job
#   make test    every test: the notebooks, pytest, and the library in a user's environment (newest fastcore)
PYTHON ?= python3
# torch 2.13.0's CPU build lies on this project's machines; elsewhere choose yours, e.g. make test TORCH=torch
TORCH ?= torch==2.13.0
DEV := .venv
USER_ENV := .venv-user

.PHONY: demo test test-dev test-user bench

$(DEV)/.ready: settings.ini setup.py
	test -x $(DEV)/bin/python || $(PYTHON) -m venv $(DEV)
	$(DEV)/bin/pip install --quiet '$(TORCH)'
	$(DEV)/bin/pip install --quiet -e '.[dev]'
	touch $@

demo: $(DEV)/.ready
	$(DEV)/bin/python examples/demo.py

test: test-dev test-user

test-dev: $(DEV)/.ready
	$(DEV)/bin/nbdev_test
	$(DEV)/bin/pytest -q tests

# What `pip install minifast` gives a user: no nbdev, and the newest fastcore, fastprogress and friends.
$(USER_ENV)/.ready: settings.ini setup.py $(wildcard minifast/*.py)
	test -x $(USER_ENV)/bin/python || $(PYTHON) -m venv $(USER_ENV)
	$(USER_ENV)/bin/pip install --quiet '$(TORCH)'
	$(USER_ENV)/bin/pip install --quiet . pytest
	$(USER_ENV)/bin/pip install --quiet --no-deps --force-reinstall .
	touch $@

test-user: $(USER_ENV)/.ready
	cd /tmp && $(CURDIR)/$(USER_ENV)/bin/python -c "import minifast, fastcore; print('user env: minifast from', minifast.__file__, '| fastcore', fastcore.__version__); assert 'site-packages' in minifast.__file__"
	$(USER_ENV)/bin/pytest -q -m 'not nbdev' -p no:cacheprovider tests

bench: $(DEV)/.ready
	$(DEV)/bin/python bench/bench_loop.py
