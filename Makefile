# Two commands do all the set-up on a fresh Debian machine:
#   make demo   runs the bundled example notebook (window with a display, else serves + prints the URL)
#   make test   installs what the tests need (system packages included) and runs them
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian libraries Qt WebEngine (the Linux window) loads beyond a bare X client's.
WINDOW_PACKAGES := libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
  libxcb-shape0 libxcb-xkb1 libxcb-randr0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxkbcommon-x11-0 \
  libx11-xcb1 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxkbfile1 libnss3 libasound2 libgbm1 \
  libegl1 libgl1 libfontconfig1 libdbus-1-3
# The system's web view (WebKitGTK) for the default packaged window, and what PyGObject builds
# against (nbapp[gtk]).
GTK_PACKAGES := gir1.2-webkit2-4.1 libgirepository1.0-dev libcairo2-dev pkg-config
# Debian packages the tests drive: Chromium for pages; Xvfb, xdotool, imagemagick for windows;
# pdftotext (poppler-utils) to read the PDFs nbapp writes; installers: makensis, 7-Zip to list
# its output, wine64 to run it, debootstrap for a clean root, desktop-file-validate.
SYSTEM_PACKAGES := $(WINDOW_PACKAGES) $(GTK_PACKAGES) chromium xvfb xauth xdotool imagemagick \
  poppler-utils \
  nsis p7zip-full wine64 debootstrap desktop-file-utils
# Jupyter kernels of other languages the tests run: R's IRkernel (Debian's package registers
# its kernelspec as /usr/share/jupyter/kernels/ir). Installed without Recommends: R's
# compilers, headers and manuals are not needed to run a notebook.
KERNEL_PACKAGES := r-cran-irkernel
# A window manager for the test that maximizes a window (nothing else needs one); without
# Recommends: its configuration tool and screenshot program are not needed.
WM_PACKAGES := openbox

.PHONY: demo test lint system-deps window-deps kernels assets assets-check clean bench bench-quick bench-panel soak soak-quick \
  bench-libraries

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[demo]'
	touch $@

# system-deps first: PyGObject (nbapp[gtk]) compiles against the GObject Introspection headers.
$(VENV)/.test-installed: pyproject.toml | $(BIN)/python system-deps
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.demo-installed

system-deps window-deps: PACKAGES = $(SYSTEM_PACKAGES)
window-deps: PACKAGES = $(WINDOW_PACKAGES)
system-deps: LEAN_PACKAGES = $(KERNEL_PACKAGES) $(WM_PACKAGES)
system-deps window-deps:
	@missing=""; lean=""; for p in $(PACKAGES) $(LEAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" && continue; \
	  case " $(LEAN_PACKAGES) " in *" $$p "*) lean="$$lean $$p";; *) missing="$$missing $$p";; esac; \
	done; \
	if [ -n "$$missing$$lean" ]; then \
	  echo "installing system packages:$$missing$$lean"; \
	  $(SUDO) apt-get update -qq || exit 1; \
	fi; \
	if [ -n "$$missing" ]; then \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing || exit 1; \
	fi; \
	if [ -n "$$lean" ]; then \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$lean; \
	fi

# The test kernels' kernelspecs, where jupyter_client looks: bash_kernel's (from PyPI) into the
# venv; IRkernel's from its R package, should the Debian package not have registered it.
kernels: $(VENV)/.test-installed system-deps
	$(BIN)/python -m bash_kernel.install --sys-prefix > /dev/null
	@$(BIN)/jupyter kernelspec list | grep -qw ir || \
	  PATH="$(abspath $(BIN)):$$PATH" R --slave -e 'IRkernel::installspec(prefix = "$(abspath $(VENV))")'

demo: $(VENV)/.demo-installed window-deps
	$(BIN)/nbapp run examples/demo.ipynb $(ARGS)

test: $(VENV)/.test-installed system-deps kernels
	$(BIN)/ruff check desktop tests bench
	$(BIN)/ruff format --check desktop tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(MAKE) bench-quick
	$(MAKE) soak-quick

lint: $(VENV)/.test-installed
	$(BIN)/ruff check desktop tests bench
	$(BIN)/ruff format --check desktop tests bench
	$(BIN)/mypy

# The browser assets (MathJax, the widget bundle) are committed; this rebuilds them from
# assets/js/package-lock.json, and assets-check fails if the committed copy differs.
assets:
	cd assets/js && npm ci --no-audit --no-fund && node build.mjs

assets-check: assets
	git diff --exit-code --stat -- assets/static/vendor assets/static/widgets
	test -z "$$(git status --porcelain -- assets/static/vendor assets/static/widgets)"

# nbapp against Voilà, side by side in headless Chromium (bench/). Voilà gets its own
# virtualenv next to ours. `make bench` writes docs/benchmarks.md and docs/images/bench.png;
# `make bench-quick` (run by `make test`) is a short run written to a temporary folder.
VOILA_VENV := bench/.venv-voila
BENCH_QUICK_OUT ?= $(or $(TMPDIR),/tmp)/nbapp-bench-quick

$(VOILA_VENV)/.installed: bench/requirements-voila.txt bench/requirements-libraries.txt
	$(PYTHON) -m venv $(VOILA_VENV)
	$(VOILA_VENV)/bin/pip install --quiet --upgrade pip
	$(VOILA_VENV)/bin/pip install --quiet -r bench/requirements-voila.txt
	touch $@

# nbapp alone, with ipywidgets and no other widget library: the lean side of the benchmark's
# start-up table (bench/busy.py), against the busy test environment.
LEAN_VENV := bench/.venv-lean

$(LEAN_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(LEAN_VENV)
	$(LEAN_VENV)/bin/pip install --quiet --upgrade pip
	$(LEAN_VENV)/bin/pip install --quiet -e . 'ipywidgets>=8'
	touch $@

bench: $(VENV)/.test-installed system-deps $(VOILA_VENV)/.installed $(LEAN_VENV)/.installed
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-quick: $(VENV)/.test-installed system-deps $(VOILA_VENV)/.installed
	$(BIN)/python -m bench --quick --out $(BENCH_QUICK_OUT)/benchmarks.md $(BENCH_ARGS)

# Which libraries render live and offline in each tool: writes docs/libraries.md. Both
# environments get the libraries of bench/requirements-libraries.txt.
bench-libraries: $(VENV)/.test-installed system-deps $(VOILA_VENV)/.installed
	$(BIN)/pip install --quiet -r bench/requirements-libraries.txt
	$(BIN)/python -m bench.libraries $(BENCH_ARGS)

# nbapp against `panel serve` on the same Panel notebooks, one run (bench/panel.py): its
# section of docs/benchmarks.md (which `make bench` keeps).
bench-panel: $(VENV)/.test-installed system-deps
	$(BIN)/python -m bench.panel $(BENCH_ARGS)

# Reliability figures (bench/soak/): page reloads, a widget storm from the page and a
# 10-minute soak sampling memory and file descriptors, for `nbapp run` and a packaged app.
# `make soak` (about 45 minutes) writes docs/reliability.md and docs/images/soak.png;
# `make soak-quick` (run by `make test`, under a minute) writes to a temporary folder.
SOAK_QUICK_OUT ?= $(or $(TMPDIR),/tmp)/nbapp-soak-quick

soak: $(VENV)/.test-installed system-deps
	$(BIN)/python -m bench.soak --packaged $(SOAK_ARGS)

soak-quick: $(VENV)/.test-installed system-deps
	$(BIN)/python -m bench.soak --quick --out $(SOAK_QUICK_OUT)/reliability.md $(SOAK_ARGS)

clean:
	rm -rf $(VENV) $(VOILA_VENV) $(LEAN_VENV) .pytest_cache .mypy_cache .ruff_cache
