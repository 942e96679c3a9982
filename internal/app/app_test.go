package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// Someone used to v0.1.0's `callhooks dev` is pointed at the binary that has it.
func TestProductionBinaryPointsDevAtCallhooksDev(t *testing.T) {
	var out bytes.Buffer
	err := Run(context.Background(), "callhooks", []string{"dev"}, &out)
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "go run ./cmd/callhooks-dev dev") {
		t.Errorf("callhooks dev: %v, want a pointer to callhooks-dev", err)
	}
}

// A binary's extra commands run, and are listed before the production ones.
func TestRunDispatchesExtraCommands(t *testing.T) {
	ran := false
	extra := Command{Name: "dev", Usage: "  dev       the extra one\n",
		Run: func(context.Context, Config, []string, io.Writer) error { ran = true; return nil }}
	if err := Run(context.Background(), "callhooks-dev", []string{"dev"}, io.Discard, extra); err != nil || !ran {
		t.Fatalf("extra command: ran %v, err %v", ran, err)
	}
	var out bytes.Buffer
	if err := Run(context.Background(), "callhooks-dev", []string{"help"}, &out, extra); err != nil {
		t.Fatal(err)
	}
	help := out.String()
	if !strings.HasPrefix(help, "usage: callhooks-dev") || strings.Index(help, "the extra one") > strings.Index(help, "  server") {
		t.Errorf("help text:\n%s", help)
	}
}
