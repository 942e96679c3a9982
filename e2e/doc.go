// Package e2e holds Callhooks' end-to-end tests: the real API, a real
// in-process Temporal server, a real PostgreSQL and real HTTP receivers.
// It has no production code.
package e2e
