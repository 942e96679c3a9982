# syntax=docker/dockerfile:1
# Multi-stage build of the production callhooks binary (cmd/callhooks: no
# embedded Temporal server, Web UI or benchmark; those are cmd/callhooks-dev);
# the final image holds only the static binary and CA certificates (which
# also verify Temporal Cloud's certificate), and runs as a non-root user. The
# same image runs every role: server (default), worker, migrate, admin.
FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# --build-arg VERSION=1.2.3 sets the User-Agent of every delivery
# (Callhooks/<version>); without it the source's version stays.
ARG VERSION
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w ${VERSION:+-X github.com/callhooks/callhooks/activities.Version=$VERSION}" \
    -o /out/callhooks ./cmd/callhooks

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/callhooks /usr/local/bin/callhooks
USER nonroot:nonroot
# 8080: the API (server). 9090: a worker's /healthz, /readyz and /metrics.
EXPOSE 8080 9090
# SIGTERM drains: the API finishes in-flight requests, a worker its running
# deliveries (CALLHOOKS_WORKER_STOP_TIMEOUT); give it longer than that.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/callhooks"]
CMD ["server"]
