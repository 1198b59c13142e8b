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
