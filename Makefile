# discod — common tasks. `make test` is the README's test command.
GO ?= go

.PHONY: build test lint vet bench install clean

build:
	$(GO) build -o bin/discod ./cmd/discod

install:
	$(GO) install ./cmd/discod

test:
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

lint: vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./membership ./plugin/consulnode

clean:
	rm -rf bin
