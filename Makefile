# SPDX-License-Identifier: MIT
# A thin wrapper over CMake presets: it installs what is missing, configures,
# builds, and runs. The real build is CMakeLists.txt.
#
#   make bench   install missing Debian packages, build, run the main comparison
#   make test    install missing Debian packages, build, run every test
#   make viewer  speedscope for the trace-viewer test (npm ci in tests/viewer)
#   make check-sanitize   the tests under ASan+UBSan, and the thread engines under TSan
#   make check-fuzz [FUZZ_SECS=30]   every libFuzzer target of the input parsers, briefly
#   make install [PREFIX=/usr/local] [DESTDIR=]   build, then install the binary,
#                gnxbench(1), the bash and zsh completions and the docs
#   make uninstall   remove what the last install wrote (same PREFIX and DESTDIR)
#   make deb     build, then a Debian package (build/dev/gnxbench_*.deb)

# Debian packages: build tools, libraries (-dev), run-time tools, and the
# browser the trace-viewer test renders speedscope in.
DEBS := cmake make gcc pkg-config libjansson-dev libhwloc-dev libpapi-dev libuv1-dev \
        libopenblas-dev libtbb-dev g++ openmpi-bin libopenmpi-dev gnuplot-nox python3 \
        python3-jsonschema man-db zsh chromium time clang
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BENCH_ARGS ?= --engines all --sizes 25k,50k,100k
BUILD := build/dev
PREFIX ?= /usr/local
DESTDIR ?=
# CMake's record of what `cmake --install` wrote, without DESTDIR
MANIFEST ?= $(BUILD)/install_manifest.txt

.PHONY: all deps build bench viewer test check-sanitize check-fuzz install uninstall deb clean

all: build

# Installs what is missing when run as root; otherwise prints the exact
# command and stops, rather than calling sudo behind the user's back.
deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	  else \
	    echo "gnxbench needs these Debian packages; run:"; \
	    echo "  sudo apt-get install -y --no-install-recommends$$missing"; \
	    exit 1; \
	  fi; \
	fi

build: deps
	cmake --preset dev
	cmake --build --preset dev -j $(JOBS)

bench: build
	./build/dev/gnxbench $(BENCH_ARGS)

# speedscope, pinned by tests/viewer/package-lock.json, for
# tests/integration/viewer.sh. npm is not in DEBS: it comes with Node.js
# (Debian: apt-get install npm). Without npm or the registry this only
# says so, and the viewer test skips.
SPEEDSCOPE := tests/viewer/node_modules/speedscope/dist/release/index.html
viewer:
	@if [ ! -f $(SPEEDSCOPE) ]; then \
	  if ! command -v npm >/dev/null; then \
	    echo "npm not found: the speedscope test will skip (apt-get install npm)"; \
	  elif (cd tests/viewer && npm ci --no-audit --no-fund --fetch-timeout=30000 --fetch-retries=1 >/dev/null 2>&1); then \
	    echo "installed speedscope in tests/viewer/node_modules"; \
	  else \
	    echo "npm ci failed in tests/viewer (no registry?): the speedscope test will skip"; \
	  fi; \
	fi

test: build viewer
	ctest --preset dev -j $(JOBS)

check-sanitize: deps
	cmake --preset sanitize
	cmake --build --preset sanitize -j $(JOBS)
	ctest --preset sanitize -j $(JOBS)
	cmake --preset tsan
	cmake --build --preset tsan -j $(JOBS)
	ctest --preset tsan -j $(JOBS)

# The parsers of outside input under libFuzzer (tests/fuzz, clang); a
# longer run is in docs/reliability.md.
FUZZ_SECS ?= 30
check-fuzz: deps
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)
	tests/fuzz/run.sh $(FUZZ_SECS)

install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

# Removes exactly the files the manifest names; then the docs' own folder.
uninstall:
	@test -f "$(MANIFEST)" || { echo "no $(MANIFEST): nothing installed from this build"; exit 1; }
	@while IFS= read -r f || [ -n "$$f" ]; do rm -fv "$(DESTDIR)$$f"; done <"$(MANIFEST)"
	@d="$(DESTDIR)$(PREFIX)/share/doc/gnxbench"; \
	if [ -d "$$d" ]; then find "$$d" -depth -type d -empty -delete; fi

# cpack installs into its own staging tree and overwrites the manifest with
# those paths: the manifest of the last real install is kept around it, so
# that `make uninstall` never removes what dpkg installed.
deb: build
	@m="$(BUILD)/install_manifest.txt"; if [ -f "$$m" ]; then cp "$$m" "$$m.keep"; fi; \
	(cd $(BUILD) && cpack -G DEB); rc=$$?; \
	if [ -f "$$m.keep" ]; then mv "$$m.keep" "$$m"; else rm -f "$$m"; fi; exit $$rc

clean:
	rm -rf build
