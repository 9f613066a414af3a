# CrossPipe: the two set-up commands of the README, and their parts.
#   make demo   - build, then run the compiler on the bundled M70 example
#   make check  - build, then run every test (lit regression + unit tests)
# Both install the Debian packages they need when missing (as root), configure
# build/ once and rebuild only what changed.

SHELL   := /bin/bash
BUILD   ?= build
JOBS    ?= 2
EXAMPLE ?= examples/m70-2dc.json
LLVM    := /usr/lib/llvm-19

PACKAGES := cmake ninja-build g++ python3 llvm-19-dev llvm-19-tools \
            libmlir-19-dev mlir-19-tools nlohmann-json3-dev libgtest-dev \
            libgmock-dev libbenchmark-dev libgecode-dev

.PHONY: all deps configure build check demo bench clean

all: build

deps:
	@missing=$$(for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:" $$missing; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "missing packages; run:"; \
	    echo "  sudo apt-get install -y --no-install-recommends" $$missing; \
	    exit 1; \
	  fi; \
	fi

$(BUILD)/build.ninja: | deps
	cmake -G Ninja -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release \
	  -DMLIR_DIR=$(LLVM)/lib/cmake/mlir -DLLVM_ENABLE_ASSERTIONS=OFF

configure: deps $(BUILD)/build.ninja

build: configure
	ninja -C $(BUILD) -j $(JOBS)

check: build
	@set -o pipefail; ninja -C $(BUILD) -j $(JOBS) check-crosspipe 2>&1 \
	  | tee $(BUILD)/check.log; status=$$?; \
	awk -F: '/^ +Passed/ {p += $$2 + 0} \
	          /^ +(Failed|Unresolved|Timed Out)/ {f += $$2 + 0} \
	          END {printf "check: %d passed, %d failed\n", p, f}' $(BUILD)/check.log; \
	exit $$status

demo: build
	@scripts/demo.sh $(BUILD) $(EXAMPLE)

bench: build
	ninja -C $(BUILD) -j $(JOBS) crosspipe-bench-greedy
	$(BUILD)/bench/crosspipe-bench-greedy

clean:
	rm -rf $(BUILD)

# `make repro`: the paper's experiments in simulation (bench/repro/); writes
# Markdown tables, SVG plots and summary.md to bench/results/ in a few
# minutes on 2 cores.
.PHONY: repro
repro: build
	ninja -C $(BUILD) -j $(JOBS) crosspipe-repro
	$(BUILD)/bin/crosspipe-repro --out bench/results
