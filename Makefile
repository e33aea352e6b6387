# make book       build the site from the notebooks as committed (no training), offline
# make check      lint (ruff), types (mypy) and the tests without the chapters' executions: minutes
# make test       lint, types and the whole test suite (what CI runs)
# make reproduce  re-execute every chapter in place at PROFILE (quick | standard | paper), then build
# make timings    time every chapter at PROFILE on an empty run cache (the results page shows it)
# make benchmark  training throughput of auxlib's step against a naive eager port, for the compact network and the
#                 paper's two; with AUXLIB_SPLIT_CHECKOUT and AUXLIB_TF_PYTHON set, against [SPLIT]'s TF2 step too
# make gpu-check  on a GPU machine: the CUDA tests, both benchmarks and 5 minutes of the paper's clustering run,
#                 into OUT (benchmarks/gpu_check.sh)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= standard
# The offline CIFAR-10 copy beside the repository; imported into $AUXLIB_DATA (default ~/.cache/auxlib/data).
CIFAR10_ARCHIVE ?= ../shared/data/cifar10/cifar10-jpeg-q75.tar.gz
# The chapters in book order, then the landing page, which reads their results.
NOTEBOOKS := $(wildcard $(addprefix book/,$(addsuffix .ipynb,$(shell sed -n 's/^ *- *file: *//p' _toc.yml) \
	$(shell sed -n 's/^root: *//p' _toc.yml))))

OUT ?= _build/gpu-check

.PHONY: install data browser book lint check test reproduce timings benchmark gpu-check clean

$(BIN)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

install: $(BIN)/.installed

data: install
	@if [ -f "$(CIFAR10_ARCHIVE)" ]; then \
		$(BIN)/python -m auxlib import-data "$(CIFAR10_ARCHIVE)" --name cifar10; \
	else \
		echo "No CIFAR-10 archive at $(CIFAR10_ARCHIVE): torchvision will download CIFAR-10 on first use."; \
	fi

book: install
	$(BIN)/jupyter-book build -W --keep-going book --config $(CURDIR)/_config.yml --toc $(CURDIR)/_toc.yml \
		--path-output $(CURDIR)
	@echo "Open $(CURDIR)/_build/html/index.html"

# The site test drives Debian's chromium through chromium-driver; installed here when missing (needs root or sudo).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get install -y --no-install-recommends chromium chromium-driver || \
		{ $$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends chromium chromium-driver; }; }

lint: install
	$(BIN)/ruff check auxlib tests benchmarks book
	$(BIN)/mypy

check: lint data
	$(BIN)/python -m pytest -q --ignore=tests/test_notebooks.py

test: install data browser lint
	$(BIN)/python -m pytest

reproduce: install data
	@for nb in $(NOTEBOOKS); do \
		params=$$($(BIN)/python -m auxlib book-parameters "$$nb"); \
		echo "== $$nb ($(PROFILE)) $$params"; \
		AUXLIB_RESULTS=$(CURDIR)/book/results \
			$(BIN)/papermill "$$nb" "$$nb" -p profile $(PROFILE) -y "$$params" -k python3 --cwd book || exit 1; \
	done
	$(MAKE) book

timings: install data
	$(BIN)/python -m auxlib time-chapters --profile $(PROFILE)

benchmark: install data
	AUXLIB_RESULTS=$(CURDIR)/book/results $(BIN)/python benchmarks/throughput.py --arch compact
	AUXLIB_RESULTS=$(CURDIR)/book/results $(BIN)/python benchmarks/throughput.py --arch split
	AUXLIB_RESULTS=$(CURDIR)/book/results $(BIN)/python benchmarks/throughput.py --arch split --model auxgmvae

gpu-check: install
	PYTHON=$(CURDIR)/$(BIN)/python bash benchmarks/gpu_check.sh $(OUT)

clean:
	rm -rf _build
