# The README's commands. Each installs what it needs first (Debian 12, as root or with sudo).
# Under CI (CI=true) the build treats warnings as errors (preset "ci").
ifeq ($(CI),true)
PRESET ?= ci
else
PRESET ?= dev
endif
BUILD = build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: deps build test test-asan test-tsan demo release bench clean

deps:
	bash scripts/install-deps.sh

build: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

# Every test CI runs: unit, integration, cli (ctest labels).
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) --timeout 300

# The unit, integration and fuzz-replay suites (the fault matrix included) under ASan+UBSan.
# Python users are left out: greenlet switches users by copying slices of the C stack, which
# ASan reports as stack-buffer-underflow (Debian's greenlet has no sanitizer fiber annotations).
test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build build/asan -j$(JOBS)
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  ctest --test-dir build/asan --output-on-failure -j$(JOBS) --timeout 600 -L 'unit|integration|fuzz-replay' -E '^python_'

# The multi-threaded engine tests (controller, shards, outputs, recorder, fault matrix) under
# ThreadSanitizer.
test-tsan: deps
	cmake --preset tsan >/dev/null
	cmake --build build/tsan -j$(JOBS) --target engine_run_test engine_plan_test engine_controller_test engine_outputs_test stats_test fault_matrix_test
	ctest --test-dir build/tsan --output-on-failure -j$(JOBS) --timeout 600 -R '^(engine_run|plan|wait_time|controller|bus|async_output|shard_recorder|interval_record|run_totals|fault_matrix)\.'

# A one-minute demo soak: the demo shop on 127.0.0.1, the C++ soak example against it,
# Locust-style tables on the console, CSV and an HTML report in out/.
demo: PRESET=release
demo: deps
	cmake --preset $(PRESET) -DENDURE_BUILD_TESTS=OFF -DENDURE_BUILD_BENCH=OFF >/dev/null
	cmake --build $(BUILD) --target endure -j$(JOBS)
	bash scripts/demo.sh $(BUILD)/bin/endure

clean:
	rm -rf build

# Performance suite (bench/README.md): wrk, Locust and endure against a pinned nginx, CPU per
# request, into bench/RESULTS.md. BENCH_SECONDS / BENCH_REPS shorten trial runs.
bench: PRESET=release
bench: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build build/$(PRESET) --target endure -j$(JOBS)
	BENCH_INVOCATION="make bench" bash scripts/bench.sh throughput build/$(PRESET)/bin/endure

# Idle memory per user at 10,000 and 50,000 users (as far as the open-files limit allows).
bench-memory: PRESET=release
bench-memory: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build build/$(PRESET) --target endure -j$(JOBS)
	BENCH_INVOCATION="make bench-memory" bash scripts/bench.sh memory build/$(PRESET)/bin/endure

# Compressed soak: ~20 million requests (BENCH_SOAK_REQUESTS), RSS growth must stay under 5 MB.
bench-soak: PRESET=release
bench-soak: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build build/$(PRESET) --target endure -j$(JOBS)
	BENCH_INVOCATION="make bench-soak" bash scripts/bench.sh soak build/$(PRESET)/bin/endure

# libFuzzer targets (clang, fuzz preset): each runs FUZZ_SECONDS from its committed seeds in
# fuzz/seeds/<target>; new inputs go to build/fuzz/corpus/<target>, crashes to
# build/fuzz/crashes/ (copy each one into fuzz/seeds/<target>/ and add a unit test).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := response_parser chunked url cookie duration config request_parser
.PHONY: fuzz
fuzz:
	cmake --preset fuzz -DENDURE_BUILD_TESTS=OFF >/dev/null
	cmake --build build/fuzz --target fuzz_all -j$(JOBS)
	@mkdir -p build/fuzz/crashes
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t; \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  build/fuzz/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/crashes/$$t- build/fuzz/corpus/$$t fuzz/seeds/$$t || exit 1; \
	done
