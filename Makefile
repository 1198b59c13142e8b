# The README's commands. Each installs what it needs first (Debian 12, as root or with sudo).
PRESET ?= dev
BUILD := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: deps build test demo release bench clean

deps:
	bash scripts/install-deps.sh

build: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

# Every test CI runs: unit, integration, cli (ctest labels).
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) --timeout 300

# A one-minute demo soak: the demo shop on 127.0.0.1, the C++ soak example against it,
# Locust-style tables on the console, CSV and an HTML report in out/.
demo: PRESET=release
demo: build
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
