# itspm: IT Service Process Management in Slack.
GO        ?= go
BIN       := bin/itspm
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
DEMO_DIR  ?= ./data-demo

.PHONY: all build demo test test-short lint bench clean

all: build

## build: the itspm binary in bin/
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/itspm

## demo: the bot in your terminal on the embedded store with the sample catalog
demo: build
	ITSPM_DATA_DIR=$(DEMO_DIR) ITSPM_LOG_LEVEL=warn ITSPM_LOG_FORMAT=text ./$(BIN) chat --demo

## test: vet, every test with the race detector, then the vote races at full
## length without it (the detector slows the embedded store tenfold, so race
## builds repeat those races fewer times)
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -count=1 -timeout 10m -run 'VoteRace' ./tollgates/

## test-short: the tests without the race detector (faster while editing)
test-short:
	$(GO) test -count=1 ./...

## lint: formatting, vet and tidy modules
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff

## bench: performance figures beside same-run baselines (see README "Performance")
bench:
	$(GO) run ./bench -out bench-results.txt

clean:
	rm -rf bin $(DEMO_DIR)
