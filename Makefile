# The two commands of the README, and the set-up they share (plus lint, outputs, bench and reference, for development).
# Each creates its virtual environment when it is missing.
#   make demo    the main job: Oxford-IIIT Pets end to end, on PETS=<folder> (or PETS=full) if given, else on
#                $MINIFAST_DATA, else the sample in ../shared/data, else the full dataset downloaded once (see the
#                README); ARGS='...' for more options of minifast-pets, e.g. ARGS=--train-bn
#   make test    every test: lint, the notebooks, pytest, and the library in a user's environment (newest fastcore)
PYTHON ?= python3
# torch 2.13.0's CPU build lies on this project's machines; elsewhere choose yours, e.g. make test TORCH=torch
TORCH ?= torch==2.13.0
DEV := .venv
PETS ?=
ARGS ?=
USER_ENV := .venv-user

.PHONY: demo test test-dev test-user lint outputs bench reference gpu-check

$(DEV)/.ready: settings.ini setup.py
	test -x $(DEV)/bin/python || $(PYTHON) -m venv $(DEV)
	$(DEV)/bin/pip install --quiet '$(TORCH)'
	$(DEV)/bin/pip install --quiet -e '.[dev]'
	touch $@

demo: $(DEV)/.ready
	$(DEV)/bin/minifast-pets $(if $(PETS),--data $(PETS)) --out runs/pets $(ARGS)

# The two environments are built side by side (about 100 s each alone, 108 s together), then the tests run one suite
# after the other.
test:
	$(MAKE) -j2 $(DEV)/.ready $(USER_ENV)/.ready
	$(MAKE) test-dev
	$(MAKE) test-user

# Each pytest test runs once: here those that need the development tools (nbdev) and the long ones; all others in the
# user's environment (test-user), which is what `pip install minifast` gives. The notebooks run here, on fastcore 1.
test-dev: lint
	$(DEV)/bin/nbdev_test
	$(DEV)/bin/pytest -q -m "nbdev or long" tests

# Lines of at most 120 characters and pyflakes' checks (ruff.toml), on the library, on every notebook's code, and on
# tests/, tools/ and bench/.
lint: $(DEV)/.ready
	$(DEV)/bin/ruff check minifast nbs tests tools bench

# The notebooks' outputs, as a user sees them: every notebook run in a real Jupyter kernel (13 min on 2 cores).
outputs: $(DEV)/.ready
	$(DEV)/bin/python tools/execute_nbs.py
	$(DEV)/bin/nbdev_clean

# What `pip install minifast` gives a user: no nbdev, and the newest fastcore, fastprogress and friends (and a Jupyter
# kernel, as a notebook user has, for tests/test_notebook_kernel.py). It runs every test but the `nbdev` and `long` ones
# (processes killed and resumed, the demo's command line run many times: about 3 minutes), which test-dev runs, to keep
# CI short; one whole demo run stays here.
$(USER_ENV)/.ready: settings.ini setup.py $(wildcard minifast/*.py)
	test -x $(USER_ENV)/bin/python || $(PYTHON) -m venv $(USER_ENV)
	$(USER_ENV)/bin/pip install --quiet '$(TORCH)'
	$(USER_ENV)/bin/pip install --quiet '.[pretrained]' pytest ipykernel nbclient
	$(USER_ENV)/bin/pip install --quiet --no-deps efficientnet-lite-pytorch==0.1.0  # tests/test_lite_reference.py's
	$(USER_ENV)/bin/pip install --quiet --no-deps --force-reinstall .
	touch $@

test-user: $(USER_ENV)/.ready
	cd /tmp && $(CURDIR)/$(USER_ENV)/bin/python -c "import minifast, fastcore; \
	print('user env: minifast from', minifast.__file__, '| fastcore', fastcore.__version__); \
	assert 'site-packages' in minifast.__file__"
	$(USER_ENV)/bin/pytest -q -m 'not nbdev and not long' -p no:cacheprovider tests

# The CUDA paths on a GPU, one line per check (fp16 with a scaler, lr_find's no-trace bit for bit, a resume on CUDA, the
# demo); on a machine without a GPU it says so and skips.
gpu-check: $(DEV)/.ready
	$(DEV)/bin/python tools/gpu_check.py

bench: $(DEV)/.ready
	$(DEV)/bin/python bench/bench_loop.py
	$(DEV)/bin/python bench/bench_pipeline.py --model

# The reference traces the schedule tests compare against (tests/reference/*.json): fastai's and Keras's own
# schedules, recorded in an environment of their own (fastai needs fastcore 2; its torchvision and spaCy are not
# needed for schedules).
REF_ENV := .venv-ref
$(REF_ENV)/.ready:
	test -x $(REF_ENV)/bin/python || $(PYTHON) -m venv $(REF_ENV)
	$(REF_ENV)/bin/pip install --quiet '$(TORCH)'
	$(REF_ENV)/bin/pip install --quiet --no-deps fastai==2.8.12
	$(REF_ENV)/bin/pip install --quiet 'fastcore>=2.2.22' fastdownload fasttransform 'plum-dispatch<2.10' cloudpickle \
		requests pyyaml scipy scikit-learn fastprogress pandas matplotlib pillow keras==3.15.1
	touch $@

reference: $(REF_ENV)/.ready
	$(REF_ENV)/bin/python tests/reference/make_reference.py
