# cfcerts: the one entry point. `make demo` and `make test` work on a fresh machine (as root they install
# the Debian packages they need).

SWIFT        ?= swift
SCRATCH      ?= .build
DEBUG_BIN    := $(SCRATCH)/debug
# The shipped library: a release build of its own, Swift runtime linked in statically.
LIB_SCRATCH  ?= .build-lib
VERSION      := $(shell sed -n 's/^\#define CFCERTS_VERSION "\(.*\)"/\1/p' include/cfcerts.h)
SOVERSION    := $(word 1,$(subst ., ,$(VERSION)))
STAGE        := stage
PREFIX       ?= /usr/local
DESTDIR      ?=
LIBDIR       ?= $(PREFIX)/lib
# Debian packages the tests and demo need; installed by `make deps` when missing and running as root.
DEB_PACKAGES := openssl curl ca-certificates pkg-config patchelf binutils valgrind libjansson-dev gcc libc6-dev file

.PHONY: all build deps lib install test test-swift test-c bench emulator demo clean

all: build

## deps: install missing Debian packages (as root), nothing otherwise
deps:
	@scripts/ensure-packages.sh $(DEB_PACKAGES)
	@python3 -c 'import pytest' 2>/dev/null || python3 -m pip install -q pytest

## build: debug build of every target, tests included (built once, run by every suite)
build:
	$(SWIFT) build --scratch-path $(SCRATCH) --build-tests

## lib: stage the shipped libcfcerts.so.$(VERSION) (+ .so.0 and .so links) and cfcerts.pc in $(STAGE)/
## (a section per function, unreferenced ones dropped, identical ones whose address is never taken folded:
## 32.3 MB -> 29.5 MB stripped)
lib:
	$(SWIFT) build -c release --scratch-path $(LIB_SCRATCH) --product cfcerts \
	  -Xswiftc -static-stdlib \
	  -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections -Xcc -fdata-sections \
	  -Xlinker --version-script=$(CURDIR)/packaging/cfcerts.map \
	  -Xlinker -soname=libcfcerts.so.$(SOVERSION) \
	  -Xlinker -z -Xlinker nodelete \
	  -Xlinker --gc-sections -Xlinker --icf=safe
	scripts/stage-lib.sh $(LIB_SCRATCH)/release/libcfcerts.so $(STAGE) $(VERSION)

## install: the staged library, its links, the header and cfcerts.pc under $(DESTDIR)$(PREFIX)
install: lib
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 0644 $(STAGE)/lib/libcfcerts.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libcfcerts.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libcfcerts.so.$(SOVERSION)
	ln -sf libcfcerts.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libcfcerts.so
	install -m 0644 include/cfcerts.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	  packaging/cfcerts.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/cfcerts.pc

## test: every suite against emulators on free loopback ports: Swift, then C against the staged library
test: deps build test-swift lib test-c

## test-swift: the Swift suites; the C ABI's bridge tests in a process of their own (they fill the cooperative pool)
test-swift:
	$(SWIFT) test --scratch-path $(SCRATCH) --skip-build --skip CFCertsABITests
	$(SWIFT) test --scratch-path $(SCRATCH) --skip-build --filter CFCertsABITests

## test-c: the C suites (ABI, valgrind, ASan/UBSan, threads, dlopen, examples); needs `build` and `lib`
test-c:
	scripts/run-c-tests.sh $(DEBUG_BIN)

## bench: speed and memory as ratios within one run, side by side with the official Python SDK and curl; writes bench/README.md
bench: deps lib
	scripts/bench.sh

## emulator: run the emulator in the foreground on port 8787 (PORT=0 for a free port)
PORT ?= 8787
emulator: build
	$(DEBUG_BIN)/cfcerts-emulator --port $(PORT)

## demo: the main job on the embedded emulator
demo: deps build
	scripts/demo.sh $(DEBUG_BIN)

clean:
	rm -rf $(SCRATCH) $(LIB_SCRATCH) $(STAGE) .build-c .build-bench
