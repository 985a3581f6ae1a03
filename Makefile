# SPDX-License-Identifier: MIT
# A thin wrapper over CMake presets: it installs what is missing, configures,
# builds, and runs. The real build is CMakeLists.txt.
#
#   make bench   install missing Debian packages, build, run the main comparison
#   make test    install missing Debian packages, build, run every test
#   make check-sanitize   the tests under ASan+UBSan, and the thread engines under TSan

# Debian packages: build tools, libraries (-dev), and run-time tools.
DEBS := cmake make gcc pkg-config libjansson-dev libhwloc-dev libpapi-dev libuv1-dev \
        libopenblas-dev gnuplot-nox python3 python3-jsonschema
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BENCH_ARGS ?= --engines all --sizes 25k,50k,100k

.PHONY: all deps build bench test check-sanitize clean

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

clean:
	rm -rf build
