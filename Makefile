# cfcerts: the one entry point. `make demo` and `make test` work on a fresh machine (as root they install
# the Debian packages they need).

SWIFT        ?= swift
SCRATCH      ?= .build
DEBUG_BIN    := $(SCRATCH)/debug
# Debian packages the tests and demo need; installed by `make deps` when missing and running as root.
DEB_PACKAGES := openssl curl ca-certificates

.PHONY: all build deps test test-swift emulator demo clean

all: build

## deps: install missing Debian packages (as root), nothing otherwise
deps:
	@scripts/ensure-packages.sh $(DEB_PACKAGES)

## build: debug build of every target, tests included (built once, run by every suite)
build:
	$(SWIFT) build --scratch-path $(SCRATCH) --build-tests

## test: every suite against emulators on free loopback ports
test: deps build test-swift

test-swift:
	$(SWIFT) test --scratch-path $(SCRATCH) --skip-build

## emulator: run the emulator in the foreground on port 8787 (PORT=0 for a free port)
PORT ?= 8787
emulator: build
	$(DEBUG_BIN)/cfcerts-emulator --port $(PORT)

## demo: the main job on the embedded emulator
demo: deps build
	scripts/demo.sh $(DEBUG_BIN)

clean:
	rm -rf $(SCRATCH)
