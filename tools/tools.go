//go:build tools

// Package tools records the tool modules `make workflowcheck` builds.
package tools

import _ "go.temporal.io/sdk/contrib/tools/workflowcheck"
