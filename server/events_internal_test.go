package server

import (
	"math"

	"github.com/callhooks/callhooks/payloads"

	"strings"
	"testing"
)

// The longest ids ingest accepts still make workflow ids Temporal takes
// (1,000 bytes, prefix included), for every kind of workflow.
func TestLongestIDsFitTemporalsWorkflowIDLimit(t *testing.T) {
	long := strings.Repeat("é", maxIDBytes/2) // 200 bytes
	for _, req := range []eventRequest{
		{ID: long, Type: "pre_call", CallID: long},
		{ID: long, Type: "text_message_received", data: threadData(t, long)},
		{ID: long, Type: "form_submission"},
	} {
		if id := workflowIDFor(math.MaxInt64, req); len(id) > maxWorkflowIDBytes {
			t.Errorf("%s: workflow id of %d bytes", req.Type, len(id))
		}
	}
}

func threadData(t *testing.T, thread string) payloads.Object {
	t.Helper()
	var o payloads.Object
	o.SetString("thread_resource_id", thread)
	return o
}
