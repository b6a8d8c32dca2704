# The two set-up commands (see README.md):
#   make run   install missing dependencies, build, start the demo
#   make test  install missing dependencies, build, run every test
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifneq ($(CI),)
CMAKE_FLAGS += -DZIMON_WERROR=ON
endif

.PHONY: all deps configure build test run bench pgo format format-check clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake --preset $(PRESET) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@ctest --preset $(PRESET) -j $(JOBS) --timeout 300

run: build
	@$(BUILD_DIR)/apps/zimon/zimon demo

bench:
	@scripts/install-deps.sh --with-bench
	@cmake --preset $(PRESET) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	@ctest --test-dir $(BUILD_DIR) -L bench -V
	@bench/metrics_vs_python.sh $(BUILD_DIR)/bench/metrics_bench
	@bench/agent_vs_node_exporter.sh $(BUILD_DIR)/apps/zimon/zimon
	@bench/sim_fleet.sh $(BUILD_DIR)
	@bench/gateway_vs_nginx.sh $(BUILD_DIR)

# A profile-guided build in build/pgo (scripts/pgo-build.sh; needs the
# bench dependencies, which it installs).
pgo:
	@scripts/install-deps.sh --with-bench
	@scripts/pgo-build.sh build/pgo

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

format-check:
	@git ls-files '*.cc' '*.h' | xargs clang-format --dry-run -Werror

clean:
	@rm -rf build
