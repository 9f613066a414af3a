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
            libgmock-dev libbenchmark-dev libgecode-dev libopenmpi-dev \
            openmpi-bin

.PHONY: all deps configure build check demo bench clean

all: build

# $(call install_missing,PACKAGES): installs those not yet installed (as
# root), else prints the apt-get line and fails.
define install_missing
	@missing=$$(for p in $(1); do \
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
endef

deps:
	$(call install_missing,$(PACKAGES))

$(BUILD)/build.ninja: | deps
	cmake -G Ninja -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release \
	  -DMLIR_DIR=$(LLVM)/lib/cmake/mlir -DLLVM_ENABLE_ASSERTIONS=OFF

configure: deps $(BUILD)/build.ninja

build: configure
	ninja -C $(BUILD) -j $(JOBS)

# $(call run_check,BUILD_DIR): check-crosspipe there, then lit's summary
# as one line `check: N passed, M failed`.
define run_check
	@set -o pipefail; ninja -C $(1) -j $(JOBS) check-crosspipe 2>&1 \
	  | tee $(1)/check.log; status=$$?; \
	awk -F: '/^ +Passed/ {p += $$2 + 0} \
	          /^ +(Failed|Unresolved|Timed Out)/ {f += $$2 + 0} \
	          END {printf "check: %d passed, %d failed\n", p, f}' $(1)/check.log; \
	exit $$status
endef

check: build
	$(call run_check,$(BUILD))

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

# Robustness checks with clang-19's sanitizers, in their own build trees so
# that `make check` needs neither clang nor these packages (README,
# "Fuzzing").
#   make fuzz        - libFuzzer targets of fuzz/, each run FUZZ_SECONDS over
#                      a copy of fuzz/corpus/ (new inputs and crash
#                      reproducers stay in $(FUZZ_BUILD)/)
#   make check-asan  - every lit test and unit test, all tools built with
#                      AddressSanitizer and UBSan
FUZZ_PACKAGES := clang-19 libclang-rt-19-dev
FUZZ_BUILD    ?= build-fuzz
ASAN_BUILD    ?= build-asan
FUZZ_SECONDS  ?= 60
# FUZZ_RUNS=N runs each target for N inputs from seed FUZZ_SEED instead of
# for FUZZ_SECONDS: the same inputs on every machine, so CI's verdict does
# not depend on its speed.
FUZZ_RUNS     ?=
FUZZ_SEED     ?= 1
FUZZ_LIMIT     = $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS) -seed=$(FUZZ_SEED),-max_total_time=$(FUZZ_SECONDS))
FUZZ_TARGETS  := problem-json mlir-parse chrome-trace plan-file torch-csv profile
CLANG_CMAKE    = -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19

.PHONY: deps-fuzz fuzz check-asan

deps-fuzz: deps
	$(call install_missing,$(FUZZ_PACKAGES))

$(FUZZ_BUILD)/build.ninja: | deps-fuzz
	cmake -G Ninja -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Release \
	  -DMLIR_DIR=$(LLVM)/lib/cmake/mlir -DLLVM_ENABLE_ASSERTIONS=OFF \
	  $(CLANG_CMAKE) -DCROSSPIPE_ENABLE_FUZZING=ON

# The inputs of fuzz/regressions/<target>/ are replayed first (read only).
# Every target runs even when an earlier one crashed; the summary names each
# reproducer and the exit status is non-zero if any target crashed.
fuzz: deps-fuzz $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) -j $(JOBS) $(FUZZ_TARGETS:%=crosspipe-fuzz-%)
	@failed=0; for t in $(FUZZ_TARGETS); do \
	  corpus=$(FUZZ_BUILD)/corpus/$$t; out=$(FUZZ_BUILD)/artifacts/$$t; \
	  mkdir -p $$corpus $$out; cp -n fuzz/corpus/$$t/* $$corpus/; \
	  log=$(FUZZ_BUILD)/fuzz-$$t.log; \
	  if UBSAN_OPTIONS=print_stacktrace=1 \
	      LSAN_OPTIONS=suppressions=$(CURDIR)/fuzz/lsan.supp \
	      $(FUZZ_BUILD)/bin/crosspipe-fuzz-$$t \
	      $(FUZZ_LIMIT) \
	      -timeout=30 -print_final_stats=1 -artifact_prefix=$$out/ \
	      $$corpus $$(ls -d fuzz/regressions/$$t 2>/dev/null) > $$log 2>&1; then \
	    verdict="no crash"; \
	  else \
	    failed=1; verdict="CRASH: $$(grep -o "$$out/[^ ]*" $$log | tail -1)"; \
	  fi; \
	  runs=$$(awk '/stat::number_of_executed_units/ {print $$2}' $$log); \
	  echo "fuzz: $$t: $${runs:-?} runs ($(FUZZ_LIMIT)), $$verdict" \
	    "(log: $$log)"; \
	done; exit $$failed

# -O1, the sanitizers' recommended level, rather than Release's -O3: the
# instrumented build is most of check-asan's time, and -O1 compiles about
# 20% faster (lib/Transforms/VerifyPlan.cpp: 5.3 s of CPU against 6.6 s at
# -O3); -O0 is no faster (the rest is the front end) and runs the tests
# slower.
ASAN_OPT := -O1 -DNDEBUG
$(ASAN_BUILD)/build.ninja: | deps-fuzz
	cmake -G Ninja -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_C_FLAGS_RELEASE="$(ASAN_OPT)" \
	  -DCMAKE_CXX_FLAGS_RELEASE="$(ASAN_OPT)" \
	  -DMLIR_DIR=$(LLVM)/lib/cmake/mlir -DLLVM_ENABLE_ASSERTIONS=OFF \
	  $(CLANG_CMAKE) -DCROSSPIPE_ENABLE_SANITIZERS=ON

# The whole lit suite (regression tests and unit tests) with every tool
# instrumented; ninja builds only what check-crosspipe needs. The sanitizer
# options (ASAN_OPTIONS, UBSAN_OPTIONS, LSAN_OPTIONS with fuzz/lsan.supp)
# are set by the lit configuration of a sanitizer build
# (test/lit_sanitizers.py), so running lit there by hand checks the same way.
check-asan: deps-fuzz $(ASAN_BUILD)/build.ninja
	$(call run_check,$(ASAN_BUILD))

# `make check-mlir22`: the same tests against MLIR 22 in $(MLIR22_BUILD)/,
# with MLIR 19 kept installed. Debian's libmlir-22 conflicts with libmlir-19
# (installing one removes the other), so only LLVM 22, which does not
# conflict, is installed; the MLIR 22 packages are downloaded with
# `apt-get download` into $(MLIR22_BUILD)/mlir22-debs and unpacked with
# `dpkg -x` into $(MLIR22_ROOT) once (never installed). That root lies
# outside the source tree: CMake refuses to export (for `cmake --install`)
# include directories inside the source or build tree, and CrossPipe-C's
# interface names MLIR's.
MLIR22_BUILD    ?= build-22
MLIR22_ROOT     ?= $(HOME)/.cache/crosspipe/mlir22-root
MLIR22_LLVM     := /usr/lib/llvm-22
MLIR22_PACKAGES := llvm-22-dev llvm-22-tools
MLIR22_DEBS     := libmlir-22 libmlir-22-dev mlir-22-tools
MLIR22_STAMP     = $(MLIR22_ROOT)/.unpacked

.PHONY: deps-mlir22 deps-mlir22-packages check-mlir22

deps-mlir22-packages: deps
	$(call install_missing,$(MLIR22_PACKAGES))

# MLIR's CMake package looks for LLVM's next to itself: link it to the
# installed LLVM 22.
$(MLIR22_STAMP): | deps-mlir22-packages
	rm -rf $(MLIR22_BUILD)/mlir22-debs $(MLIR22_ROOT)
	mkdir -p $(MLIR22_BUILD)/mlir22-debs $(MLIR22_ROOT)
	cd $(MLIR22_BUILD)/mlir22-debs && { apt-get download $(MLIR22_DEBS) \
	  || { apt-get update -qq && apt-get download $(MLIR22_DEBS); }; }
	for deb in $(MLIR22_BUILD)/mlir22-debs/*.deb; do \
	  dpkg -x $$deb $(MLIR22_ROOT); done
	ln -sfn $(MLIR22_LLVM)/lib/cmake/llvm \
	  $(MLIR22_ROOT)$(MLIR22_LLVM)/lib/cmake/llvm
	touch $@

deps-mlir22: deps-mlir22-packages $(MLIR22_STAMP)

$(MLIR22_BUILD)/build.ninja: | deps-mlir22
	cmake -G Ninja -S . -B $(MLIR22_BUILD) -DCMAKE_BUILD_TYPE=Release \
	  -DMLIR_DIR=$(MLIR22_ROOT)$(MLIR22_LLVM)/lib/cmake/mlir \
	  -DLLVM_DIR=$(MLIR22_LLVM)/lib/cmake/llvm \
	  -DLLVM_EXTERNAL_LIT=$(MLIR22_LLVM)/bin/lit -DLLVM_ENABLE_ASSERTIONS=OFF

# Builds everything first: the install tests install the whole tree.
check-mlir22: deps-mlir22 $(MLIR22_BUILD)/build.ninja
	ninja -C $(MLIR22_BUILD) -j $(JOBS)
	$(call run_check,$(MLIR22_BUILD))
