# Multi-stage build of the one callhooks binary; the final image holds only
# the static binary and CA certificates, and runs as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/callhooks ./cmd/callhooks

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/callhooks /usr/local/bin/callhooks
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/callhooks"]
CMD ["server"]
