package e2e_test

import (
	"os"

	"go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// writeHistory stores a workflow history as the JSON the Temporal CLI and
// UI export, which the SDK's replayer reads.
func writeHistory(iter client.HistoryEventIterator, path string) error {
	var h history.History
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return err
		}
		h.Events = append(h.Events, ev)
	}
	raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o644)
}
