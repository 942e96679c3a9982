# Callhooks: the two commands a newcomer needs are `make run` and `make test`.
export CGO_ENABLED ?= 0
GO ?= go

.PHONY: compat compat-deps screenshots run test test-short vet build fuzz compose-check bench bench-smoke workflowcheck record-histories

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

## compat-deps: install the compatibility receivers' npm libraries (compat/package-lock.json)
# npm ci only when node_modules is missing or older than the lock file.
compat-deps:
	@if [ ! -f compat/node_modules/.package-lock.json ] || [ compat/package-lock.json -nt compat/node_modules/.package-lock.json ]; then \
		cd compat && npm ci --no-audit --no-fund; else echo "compat/node_modules is up to date"; fi

## compat: the receiver compatibility suite alone (make test runs it too); needs node, python3, ruby, php
compat: compat-deps
	$(GO) test -count=1 -run TestReceiverCompatibility -v ./e2e/

## workflowcheck: Temporal's determinism checker over every workflow (CI runs it)
workflowcheck:
	cd tools && $(GO) build -o ../bin/workflowcheck go.temporal.io/sdk/contrib/tools/workflowcheck
	bin/workflowcheck -config workflowcheck.config.yaml ./...

## record-histories: record every workflow path's history into the replay corpus
# RELEASE is the version being prepared (the folder of an unreleased version
# may be re-recorded; a released folder never is: docs/operations.md, Upgrading).
RELEASE ?= v0.2.0
record-histories:
	@if [ "$(RELEASE)" = v0.1.0 ] || git rev-parse -q --verify "refs/tags/$(RELEASE)" >/dev/null; then \
		echo "$(RELEASE) is released: its histories stand for open workflows and are never re-recorded"; exit 2; fi
	rm -rf workflows/testdata/replay/$(RELEASE)
	CALLHOOKS_RECORD_HISTORIES=$(CURDIR)/workflows/testdata/replay/$(RELEASE) $(GO) test -count=1 -run TestWorkflowPaths ./e2e/
	$(GO) test -count=1 -run TestReplayCorpus ./workflows/

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
