GO      ?= go
BIN     := bin
PKGS    := ./...
# staticcheck from PATH, else where `go install` puts it.
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo "$$($(GO) env GOPATH)/bin/staticcheck")

.PHONY: all build test unit integration bench demo lint fmt clean man completion package package-check

all: build

# The commit and date are stamped into the binaries (--version,
# --versions-report); outside a git checkout they read "unknown".
VERSION_PKG := github.com/brine-cm/brine/internal/version
LDFLAGS ?= -X $(VERSION_PKG).commit=$(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown) -X $(VERSION_PKG).date=$(shell date -u +%Y-%m-%dT%H:%M:%SZ)

# Static binaries (CGO off), as the packages ship them: measured figures
# are those of what users run, and a static ctl starts a few ms sooner.
build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/master ./cmd/minion ./cmd/ctl

# The full suite: vet, then every package (unit and integration) under the
# race detector.
test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

unit:
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v /integration)

integration:
	$(GO) test -race -count=1 -v ./integration/

# Packages (.deb, .rpm) and the master's OCI image, from static binaries
# (CGO off: they run on any distribution and in an empty image).
PKG_VERSION ?= $(shell git describe --tags --abbrev=0 2>/dev/null | sed 's/^v//' || true)
package:
	mkdir -p $(BIN)/static
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/static/ ./cmd/master ./cmd/minion ./cmd/ctl
	cd tools/package && $(GO) run . -bin ../../$(BIN)/static -src ../.. -out ../../dist -version $(or $(PKG_VERSION),0.1.0)

package-check: package
	./scripts/check-package.sh

# ctl's manual page and shell completions, from its own help text.
man: build
	mkdir -p $(BIN)/man/man1
	$(BIN)/ctl man > $(BIN)/man/man1/ctl.1

completion: build
	mkdir -p $(BIN)/completion
	$(BIN)/ctl completion bash > $(BIN)/completion/ctl.bash
	$(BIN)/ctl completion zsh > $(BIN)/completion/_ctl

bench: build
	$(GO) run ./cmd/bench $(BENCHFLAGS)

demo: build
	./scripts/demo.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@test -x "$(STATICCHECK)" || { echo "staticcheck not found: go install honnef.co/go/tools/cmd/staticcheck@latest"; exit 1; }
	$(STATICCHECK) $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
