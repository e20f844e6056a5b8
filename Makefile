# cfcerts: the one entry point. `make demo` and `make test` work on a fresh machine (as root they install
# the Debian packages they need). Every target names what it needs, so `make -j test` is correct.

SWIFT        ?= swift
SCRATCH      ?= .build
DEBUG_BIN    := $(SCRATCH)/debug
# What ships: a release build of its own, Swift runtime linked in statically (the library, the two commands), for
# ARCH (x86_64; aarch64 takes an aarch64 Swift 6.3 runtime, which this machine's toolchain lacks: README), with a
# toolchain made by scripts/build-sdk.sh in SDK_CACHE so that it needs glibc 2.28. SDK_ROUTE chooses how: auto (a
# Swift SDK around a Debian 11 sysroot, or, when Debian 11 cannot be fetched, zig linking against glibc 2.28 stubs),
# debian11, or zig. The route taken writes its `swift build` arguments to SDK_DIR/swiftpm-flags, read below.
ARCH         ?= $(shell uname -m)
SDK_ROUTE    ?= auto
SDK_CACHE    ?= .build-sysroot
SDK_DIR      := $(SDK_CACHE)/$(ARCH)
LIB_SCRATCH  ?= .build-lib
RELEASE_BIN  := $(LIB_SCRATCH)/$(ARCH)-unknown-linux-gnu/release
VERSION      := $(shell sed -n 's/^\#define CFCERTS_VERSION "\(.*\)"/\1/p' include/cfcerts.h)
# The ABI generation, the SONAME's number: the header's own CFCERTS_SOVERSION, not the release major.
SOVERSION    := $(shell sed -n 's/^\#define CFCERTS_SOVERSION \([0-9]*\)$$/\1/p' include/cfcerts.h)
STAGE        := stage
DIST         := dist
PREFIX       ?= /usr/local
DESTDIR      ?=
LIBDIR       ?= $(PREFIX)/lib
# Debian packages the tests, demo and packages need; installed by `make deps` when missing and running as root.
DEB_PACKAGES := openssl curl ca-certificates pkg-config patchelf binutils valgrind libjansson-dev gcc libc6-dev file \
                ruby ruby-ffi dpkg-dev fakeroot lintian systemd man-db \
                bash-completion zsh fish wrk debootstrap openjdk-17-jre-headless
# Python packages from PyPI, installed by `make deps` when missing.
PIP_PACKAGES := pytest build wheel auditwheel jsonschema uvloop prometheus_client schemathesis atheris cryptography

# Read when a recipe runs, after `sdk` has written the route's flags (they also make an undefined symbol fail a link).
RELEASE_FLAGS = -c release --scratch-path $(LIB_SCRATCH) $(file <$(SDK_DIR)/swiftpm-flags) \
  -Xswiftc -static-stdlib \
  -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections -Xcc -fdata-sections \
  -Xlinker --gc-sections

.PHONY: all build deps sdk lib tools install wheel gem deb test test-swift test-c test-bindings test-cli test-secrets test-fuzz \
        fuzz fuzz-build sanitize test-deb test-portable test-zig-route \
        test-demo bench load emulator demo clean

all: build

## deps: install missing Debian and Python packages (Debian ones as root), nothing otherwise
deps:
	@scripts/ensure-packages.sh $(DEB_PACKAGES)
	@scripts/ensure-python-packages.sh $(PIP_PACKAGES)

## build: debug build of every target, tests included (built once, run by every suite)
build:
	$(SWIFT) build --scratch-path $(SCRATCH) --build-tests

## sdk: the toolchain the shipped build uses, in $(SDK_CACHE): a Swift SDK around a Debian 11 sysroot (debootstrap,
## once), or zig when Debian 11 cannot be fetched or SDK_ROUTE=zig; and glibc-compat.o
sdk: deps
	scripts/build-sdk.sh $(ARCH) $(SDK_CACHE) $(SDK_ROUTE)

## lib: stage the shipped libcfcerts.so.$(VERSION) (+ .so.$(SOVERSION) and .so links) in $(STAGE)/lib, needing at most
## glibc 2.28 (checked: scripts/check-glibc-floor.sh) (a section per function, unreferenced ones dropped, and on the
## debian11 route identical ones whose address is never taken folded: 32.3 MB -> 29.5 MB stripped)
lib: sdk
	$(SWIFT) build $(RELEASE_FLAGS) --product cfcerts-c \
	  -Xlinker --version-script=$(CURDIR)/packaging/cfcerts.map \
	  -Xlinker -soname=libcfcerts.so.$(SOVERSION) \
	  -Xlinker -z -Xlinker nodelete
	scripts/stage-lib.sh $(RELEASE_BIN)/libcfcerts-c.so $(STAGE) $(VERSION) $(SOVERSION)
	scripts/check-glibc-floor.sh $(STAGE)/lib/libcfcerts.so.$(VERSION)

## tools: release builds of `cfcerts`, `cfcerts-emulator` (self-contained, glibc 2.28+ like the library, staged in
## $(STAGE)/bin, their man pages and shell completions in $(STAGE)/share) and the Swift example (they export no symbol,
## so unused code goes: the CLI 79 MB -> 30 MB, no embedded zlib from swift-nio-extras)
TOOL_FLAGS = $(RELEASE_FLAGS) -Xlinker --version-script=$(CURDIR)/packaging/executable.map
tools: lib
	$(SWIFT) build $(TOOL_FLAGS) --product cfcerts
	$(SWIFT) build $(TOOL_FLAGS) --product cfcerts-emulator
	$(SWIFT) build $(TOOL_FLAGS) --product cfcerts-swift-example
	install -d $(STAGE)/bin
	install -m 0755 -s $(RELEASE_BIN)/cfcerts $(RELEASE_BIN)/cfcerts-emulator $(STAGE)/bin/
	scripts/check-glibc-floor.sh $(STAGE)/bin/cfcerts $(STAGE)/bin/cfcerts-emulator
	scripts/stage-command-docs.sh $(STAGE) $(LIB_SCRATCH)/checkouts/swift-argument-parser

## install: the staged library, its links, the header and cfcerts.pc under $(DESTDIR)$(PREFIX)
install: lib
	scripts/install.sh $(STAGE) "$(DESTDIR)" $(PREFIX) $(LIBDIR) $(VERSION) $(SOVERSION)

## wheel: $(DIST)/cfcerts-*-manylinux_2_28_$(ARCH).whl, the Python binding with the library inside (tagged by auditwheel)
wheel: deps lib
	scripts/build-wheel.sh $(STAGE) $(DIST) $(VERSION) $(SOVERSION) $(ARCH)

## gem: $(DIST)/cfcerts-*-$(ARCH)-linux.gem, the Ruby binding with the library inside
gem: deps lib
	scripts/build-gem.sh $(STAGE) $(DIST) $(VERSION) $(SOVERSION) $(ARCH)

## deb: $(DIST)/libcfcerts$(SOVERSION)_*.deb, libcfcerts-dev_*.deb, cfcerts_*.deb (checked by lintian)
deb: deps lib tools
	scripts/build-deb.sh $(STAGE) $(DIST) $(VERSION) $(SOVERSION) $(SDK_DIR)

## test: every suite against emulators on free loopback ports
test: test-swift test-c test-bindings test-cli test-secrets test-fuzz test-deb test-portable test-zig-route test-demo

## test-swift: the Swift suites; the C ABI's bridge tests in a process of their own (they fill the cooperative pool)
test-swift: deps build
	$(SWIFT) test --scratch-path $(SCRATCH) --skip-build --skip CFCertsABITests
	$(SWIFT) test --scratch-path $(SCRATCH) --skip-build --filter CFCertsABITests

## test-c: the C suites (ABI, valgrind, ASan/UBSan, threads, dlopen, examples, a hostile server)
test-c: deps build lib
	scripts/run-c-tests.sh $(DEBUG_BIN) $(VERSION) $(SOVERSION)

## test-bindings: the Python and Ruby suites, then the wheel and the gem installed fresh and their examples
test-bindings: deps build lib wheel gem
	scripts/run-binding-tests.sh $(DEBUG_BIN) $(STAGE) $(DIST)

## test-cli: the `cfcerts` command against the emulator
test-cli: deps build
	scripts/run-cli-tests.sh $(DEBUG_BIN)

## test-secrets: every face through its successes and failures, logging at trace: no credential in any output
test-secrets: deps build lib
	scripts/run-secrets-test.sh $(DEBUG_BIN) $(STAGE)

## test-fuzz: every fuzz target's corpus replayed (plain debug build), then 10 s of libFuzzer on each (atheris for Python)
test-fuzz: deps build fuzz-build lib
	$(DEBUG_BIN)/cfcerts-fuzz replay Tests/fuzz/corpus
	scripts/fuzz.sh 10

## sanitize: the Swift suites under ASan and under TSan (full rebuilds in .build-address, .build-thread), the C suites
## under ASan/UBSan and valgrind
sanitize: deps
	scripts/sanitize.sh

## fuzz-build: cfcerts-fuzz built for libFuzzer with AddressSanitizer (.build-fuzz)
fuzz-build:
	$(SWIFT) build --scratch-path .build-fuzz --product cfcerts-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING

## fuzz: each fuzz target for FUZZ_SECONDS (default 600) from its seed corpus; crashes kept in .build-fuzz/work/artifacts
FUZZ_SECONDS ?= 600
fuzz: deps fuzz-build lib
	scripts/fuzz.sh $(FUZZ_SECONDS)

## test-deb: the .deb packages unpacked into a throwaway root, a C program built against them, lintian
test-deb: deps deb
	scripts/run-deb-tests.sh $(DIST) $(STAGE)

## test-portable: the wheel, the gem's library and the .debs installed and run in a Debian 11 root (glibc 2.31,
## Python 3.9, Ruby 2.7; debootstrap once, cached in .build-debian11) against an emulator on this machine; built by
## the route asked for (SDK_ROUTE=zig: zig, otherwise debian11)
test-portable: deps wheel gem deb
	scripts/run-portable-tests.sh $(DIST) $(STAGE) $(SDK_DIR) $(SDK_ROUTE)

## test-zig-route: the build's fallback when Debian 11 cannot be fetched: build-sdk.sh falls back to the zig route,
## and a small library linked by it (Tests/zig-route: Swift runtime, C++) stays within glibc 2.28 and loads
## (.build-zig-route)
test-zig-route: deps
	scripts/run-zig-route-test.sh $(ARCH)

## test-demo: `make demo`'s script, as it runs for a user
test-demo: deps lib tools
	scripts/demo.sh $(RELEASE_BIN) $(STAGE)

## bench: speed and memory as ratios within one run, side by side with the official Python SDK and curl; writes bench/README.md
bench: deps lib
	scripts/bench.sh

## load: the release emulator under wrk (64 connections, 30 s) and 16 threads x 1,000 calls through one C client
load: deps lib tools
	scripts/load.sh $(STAGE)

## emulator: run the emulator in the foreground on port 8787 (PORT=0 for a free port)
PORT ?= 8787
emulator: build
	$(DEBUG_BIN)/cfcerts-emulator --port $(PORT)

## demo: the main job on the embedded emulator: the CLI, then C, Python, Ruby and Swift, then the mTLS gateway
demo: deps lib tools
	scripts/demo.sh $(RELEASE_BIN) $(STAGE)

clean:
	rm -rf $(SCRATCH) $(LIB_SCRATCH) $(SDK_CACHE) .build-debian11 $(STAGE) $(DIST) .build-c .build-bench .build-bindings .build-cli .build-deb .build-manual .build-load .build-fuzz .build-address .build-thread .build-zig-route
