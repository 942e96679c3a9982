# Callhooks: the two commands a newcomer needs are `make run` and `make test`.
export CGO_ENABLED ?= 0
GO ?= go

.PHONY: run test test-short vet build fuzz compose-check

## run: start everything (embedded Temporal + Web UI, worker, API, SQLite) in one process
run:
	$(GO) run ./cmd/callhooks dev

## build: build bin/callhooks
build:
	$(GO) build -o bin/callhooks ./cmd/callhooks

## test: the whole suite; starts its own PostgreSQL and Temporal server
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

## fuzz: run each fuzz target briefly
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzVerifyStandard -fuzztime=10s ./signing/
	$(GO) test -run='^$$' -fuzz=FuzzVerifyCallRail -fuzztime=10s ./signing/

## compose-check: validate docker-compose.yml (needs only the docker CLI's compose plugin)
compose-check:
	docker compose -f docker-compose.yml config --quiet
