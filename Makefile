# discod — common tasks. `make test` is the README's test command.
GO ?= go

.PHONY: build test lint vet bench bench-go bench-short fuzz install clean stock-coredns chaos

build:
	$(GO) build -o bin/discod ./cmd/discod

install:
	$(GO) install ./cmd/discod

test:
	$(GO) test -race -count=1 -timeout 30m ./...

vet:
	$(GO) vet ./...

lint: vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# The benchmark kit (bench/README.md): DNS side by side with dnsperf,
# gossip at scale, the members chart; about 25 minutes.
bench:
	bash bench/run.sh

bench-short:
	bash bench/run.sh -short

# The Go benchmarks of the lookup and update paths.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./membership ./plugin/consulnode

# Every Go fuzz target for FUZZTIME each (default 5m; scripts/fuzz.sh):
# crashers land in the package's testdata/fuzz/<Name>/ and become seeds
# that `make test` replays.
FUZZTIME ?= 5m
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) bash scripts/fuzz.sh

clean:
	rm -rf bin

# Builds a stock CoreDNS v1.15.0 with consulnode from a copy of its module
# source and runs it joined to a discod agent (test/stockcoredns). Heavy
# (about 200 modules, needs the module proxy), so not part of `make test`.
stock-coredns:
	DISCOD_STOCK_COREDNS=1 $(GO) test -count=1 -timeout 30m -v ./test/stockcoredns/

# The randomized fault schedule (test/chaos, docs/RELIABILITY.md): ten
# minutes of seeded faults against nine agents in two datacenters, with the checker's table at
# the end. SEED=N replays a schedule; DURATION changes its length.
SEED ?= 0
DURATION ?= 10m
chaos:
	DISCOD_CHAOS=1 $(GO) test -count=1 -timeout 20m -v -run TestChaos ./test/chaos/ -args -duration $(DURATION) -seed $(SEED)
