# SPDX-License-Identifier: MIT
# A thin wrapper over CMake presets: it installs what is missing, configures,
# builds, and runs. The real build is CMakeLists.txt.
#
#   make bench   install missing Debian packages, build, run the main comparison
#   make test    install missing Debian packages, build, run every test
#   make check-sanitize   the tests under ASan+UBSan, and the thread engines under TSan
#   make install [PREFIX=/usr/local] [DESTDIR=]   build, then install the binary,
#                gnxbench(1), the bash and zsh completions and the docs
#   make uninstall   remove what the last install wrote (same PREFIX and DESTDIR)
#   make deb     build, then a Debian package (build/dev/gnxbench_*.deb)

# Debian packages: build tools, libraries (-dev), and run-time tools.
DEBS := cmake make gcc pkg-config libjansson-dev libhwloc-dev libpapi-dev libuv1-dev \
        libopenblas-dev gnuplot-nox python3 python3-jsonschema man-db zsh chromium
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BENCH_ARGS ?= --engines all --sizes 25k,50k,100k
BUILD := build/dev
PREFIX ?= /usr/local
DESTDIR ?=
# CMake's record of what `cmake --install` wrote, without DESTDIR
MANIFEST ?= $(BUILD)/install_manifest.txt

.PHONY: all deps build bench test check-sanitize install uninstall deb clean

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

test: build
	ctest --preset dev -j $(JOBS)

check-sanitize: deps
	cmake --preset sanitize
	cmake --build --preset sanitize -j $(JOBS)
	ctest --preset sanitize -j $(JOBS)
	cmake --preset tsan
	cmake --build --preset tsan -j $(JOBS)
	ctest --preset tsan -j $(JOBS)

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
