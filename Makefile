# Thin wrapper around CMake: the two commands a new user runs are
# `make run` and `make test`.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
WIN_BUILD  ?= build-win
FUZZ_SECONDS ?= 30
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all build run test asan fuzz install bench format clean deps windows windows-test

all: build

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)

# `make` alone builds without the tests, so it needs nothing but gcc, cmake,
# libssl-dev and liburing-dev (installed here as root when missing, named otherwise).
build:
	@bash tests/support/deps.sh build
	@[ -f $(BUILD)/CMakeCache.txt ] || cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) \
		-DSIPC_TESTS=$$( [ -f /usr/include/cmocka.h ] && echo ON || echo OFF ) $(CMAKE_ARGS)
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/sockipc serve

deps:
	@bash tests/support/deps.sh

test: deps
	cmake -S . -B $(BUILD) -DSIPC_TESTS=ON -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)
	cmake --build $(BUILD) -j $(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

asan: deps
	cmake -S . -B $(ASAN_BUILD) -DSIPC_TESTS=ON -DSIPC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang, each run for
# FUZZ_SECONDS from its seeds in tests/fuzz/corpus/.
fuzz:
	@bash tests/support/deps.sh fuzz
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DSIPC_FUZZ=ON -DSIPC_TESTS=OFF \
		-DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS)
	cmake --build $(FUZZ_BUILD) --target fuzzers -j $(JOBS)
	bash tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Windows: cross-built with mingw-w64 (cmake/mingw-w64.cmake), cmocka
# cross-built from Debian's source into $(WIN_BUILD)/deps, the tests run by
# CTest under Wine in a prefix of $(WIN_BUILD) (tests/support/windows.sh).
windows:
	@bash tests/support/windows.sh deps $(WIN_BUILD)
	cmake -S . -B $(WIN_BUILD) -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
		-DSIPC_WIN_DEPS=$(abspath $(WIN_BUILD))/deps -DSIPC_TESTS=ON $(CMAKE_ARGS)
	cmake --build $(WIN_BUILD) -j $(JOBS)

# The Wine server is stopped whatever ctest says; ctest's status is make's.
windows-test: windows
	@bash tests/support/windows.sh wine-start $(WIN_BUILD)
	@eval "$$(bash tests/support/windows.sh env $(WIN_BUILD))"; \
		ctest --test-dir $(WIN_BUILD) --output-on-failure -j $(JOBS); rc=$$?; \
		bash tests/support/windows.sh wine-stop $(WIN_BUILD); exit $$rc

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	bash bench/run

format:
	find include src tests examples bench -name '*.[ch]' -print0 2>/dev/null | xargs -0 clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(WIN_BUILD)
