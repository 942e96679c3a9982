package devtemporal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"
)

// namespaceRetention is the workflow retention of a namespace created here.
const namespaceRetention = 7 * 24 * time.Hour

// pollInterval is the pause between readiness probes.
const pollInterval = 50 * time.Millisecond

// dialFrontend connects an SDK client to the frontend, retrying until it
// answers health checks or ctx ends.
func dialFrontend(ctx context.Context, hostPort, namespace string, t *TLS) (client.Client, error) {
	opts := client.Options{
		HostPort:  hostPort,
		Namespace: namespace,
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	}
	if t != nil {
		tc, err := t.clientConfig()
		if err != nil {
			return nil, err
		}
		opts.ConnectionOptions.TLS = tc
	}
	var lastErr error
	for {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			if _, err = c.CheckHealth(ctx, &client.CheckHealthRequest{}); err == nil {
				return c, nil
			}
			c.Close()
		}
		lastErr = err
		if err := sleepCtx(ctx, pollInterval); err != nil {
			return nil, fmt.Errorf("frontend %s not answering: %w (last: %v)", hostPort, err, lastErr)
		}
	}
}

// ensureNamespace registers namespace with a 7-day retention unless it
// exists, then waits until requests can use it. It registers before looking
// the namespace up because a lookup of a missing namespace is cached as "not
// found" for a second.
func ensureNamespace(ctx context.Context, c client.Client, namespace string) error {
	_, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        namespace,
		WorkflowExecutionRetentionPeriod: durationpb.New(namespaceRetention),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("register namespace %q: %w", namespace, err)
	}
	return waitNamespaceUsable(ctx, c, namespace)
}

// waitNamespaceUsable polls until requests naming namespace pass the
// frontend's namespace registry, which caches "not found" for a second.
// (DescribeNamespace reads the database directly, so it is no probe.)
func waitNamespaceUsable(ctx context.Context, c client.Client, namespace string) error {
	var lastErr error
	for {
		_, err := c.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace})
		if err == nil {
			return nil
		}
		lastErr = err
		if err := sleepCtx(ctx, pollInterval); err != nil {
			return fmt.Errorf("namespace %q not usable: %w (last: %v)", namespace, err, lastErr)
		}
	}
}

// ensureSearchAttributes adds the custom search attributes that namespace
// lacks and waits until queries accept them. Attributes already present with
// the same type are left alone, so this is idempotent across restarts.
func ensureSearchAttributes(ctx context.Context, c client.Client, namespace string, want map[string]enumspb.IndexedValueType) error {
	if len(want) == 0 {
		return nil
	}
	have, err := listSearchAttributes(ctx, c, namespace)
	if err != nil {
		return err
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range want {
		got, ok := have[name]
		switch {
		case !ok:
			missing[name] = typ
		case got != typ:
			return fmt.Errorf("search attribute %q exists with type %s, want %s", name, got, typ)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("add search attributes %v: %w", slices.Sorted(maps.Keys(missing)), err)
	}
	for name := range missing {
		if err := waitSearchAttribute(ctx, c, namespace, name); err != nil {
			return err
		}
	}
	// Queries go through the frontend's namespace registry; the other roles
	// refresh theirs on the same interval, so give them one more round.
	return sleepCtx(ctx, namespaceRefreshInterval)
}

func listSearchAttributes(ctx context.Context, c client.Client, namespace string) (map[string]enumspb.IndexedValueType, error) {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("list search attributes: %w", err)
	}
	return resp.GetCustomAttributes(), nil
}

// waitSearchAttribute polls until a visibility query that names the
// attribute is accepted, which means the namespace registry knows it.
func waitSearchAttribute(ctx context.Context, c client.Client, namespace, name string) error {
	query := fmt.Sprintf("`%s` IS NULL", name)
	var lastErr error
	for {
		_, err := c.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: namespace,
			Query:     query,
		})
		if err == nil {
			return nil
		}
		lastErr = err
		if err := sleepCtx(ctx, pollInterval); err != nil {
			return fmt.Errorf("search attribute %q not usable: %w (last: %v)", name, err, lastErr)
		}
	}
}

// sleepCtx waits d or until ctx ends, returning ctx's error in that case.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
