# Callhooks: the two commands a newcomer needs are `make run` and `make test`.
export CGO_ENABLED ?= 0
GO ?= go

.PHONY: screenshots run test test-short vet build fuzz compose-check bench bench-smoke

## run: start everything (embedded Temporal + Web UI, worker, API, SQLite) in one process
run:
	$(GO) run ./cmd/callhooks-dev dev

## build: build bin/callhooks (production: server, worker, migrate, admin, ...) and bin/callhooks-dev (adds dev, bench)
build:
	$(GO) build -o bin/callhooks ./cmd/callhooks
	$(GO) build -o bin/callhooks-dev ./cmd/callhooks-dev

## test: the whole suite; starts its own PostgreSQL and Temporal server
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

## bench: throughput, latency, memory and baselines on loopback (about 4 minutes; docs/performance.md)
bench:
	$(GO) run ./cmd/callhooks-dev bench

## bench-smoke: the same run with tiny counts, in seconds
bench-smoke:
	$(GO) run ./cmd/callhooks-dev bench --quick

## screenshots: retake docs/screenshots/*.png (the README's pictures) in headless Chromium
screenshots:
	CALLHOOKS_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run Browser ./e2e/

## fuzz: run each fuzz target briefly
# FUZZTIME is a duration (10s) or an execution count (20000x; CI uses a
# count, see .ci/run).
FUZZTIME ?= 10s
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzVerifyStandard -fuzztime=$(FUZZTIME) ./signing/
	$(GO) test -run='^$$' -fuzz=FuzzVerifyCallRail -fuzztime=$(FUZZTIME) ./signing/
	$(GO) test -run='^$$' -fuzz=FuzzIngestEvent -fuzztime=$(FUZZTIME) ./server/
	$(GO) test -run='^$$' -fuzz=FuzzSubscriptionURL -fuzztime=$(FUZZTIME) ./models/

## compose-check: validate docker-compose.yml (the compose plugin, or Debian's docker-compose 1.29)
compose-check:
	@if docker compose version >/dev/null 2>&1; then docker compose -f docker-compose.yml config --quiet; \
	else docker-compose -f docker-compose.yml config -q; fi
	$(GO) test -count=1 -run 'Compose|LinksNo' ./cmd/callhooks
