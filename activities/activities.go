// Package activities holds Callhooks' side effects: resolving subscriptions,
// sending signed webhooks over HTTP and recording every attempt. Workflows
// call them by name through domain.Activities, which *Activities
// implements, so names and signatures stay checked by the compiler.
package activities

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/callhooks/callhooks/internal/metrics"
	"github.com/callhooks/callhooks/models"
)

// Version is sent in the User-Agent of every delivery.
var Version = "0.1.0"

// Activities carries the dependencies of every activity; it is registered
// once with the worker.
type Activities struct {
	Store *models.Store
	// HTTP sends deliveries; build it with NewHTTPClient so timeouts and the
	// SSRF guard apply.
	HTTP *http.Client
	// MaxResponseBytes caps how much of a receiver's answer is read and stored.
	MaxResponseBytes int64
	// Now is the clock (tests fix it); nil means time.Now.
	Now func() time.Time
	// Health decides when a failing endpoint is switched off; zero values
	// mean models.DefaultHealthPolicy.
	Health models.HealthPolicy
	// Limits caps concurrent deliveries per endpoint host and applies
	// per-subscription rates; nil means no limits.
	Limits *Limits
	// Metrics counts attempts and finished deliveries; nil records nothing.
	Metrics *metrics.Metrics
	// CompanyCacheTTL keeps each company (plans, signing keys) this long
	// between loads; zero loads it for every activity.
	CompanyCacheTTL time.Duration

	companyCache
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

// ResolveSubscriptions lists the active endpoints for an event.
func (a *Activities) ResolveSubscriptions(ctx context.Context, in ResolveInput) (ResolveResult, error) {
	company, err := a.company(ctx, in.CompanyID)
	if err != nil {
		return ResolveResult{}, fmt.Errorf("resolve subscriptions: %w", err)
	}
	subs, err := a.Store.ActiveSubscriptions(ctx, in.CompanyID, in.Event)
	if err != nil {
		return ResolveResult{}, fmt.Errorf("resolve subscriptions: %w", err)
	}
	out := ResolveResult{Targets: make([]Target, 0, len(subs)), Plans: company.Plans}
	for _, s := range subs {
		window := time.Duration(company.RetryWindowSeconds) * time.Second
		if s.RetryWindowSeconds > 0 {
			window = time.Duration(s.RetryWindowSeconds) * time.Second
		}
		out.Targets = append(out.Targets, Target{SubscriptionID: s.ID, URL: s.URL, RetryWindow: window, RateLimit: s.RateLimitPerSecond})
	}
	return out, nil
}

// SaveCallState keeps a call's last known state for a later modification.
func (a *Activities) SaveCallState(ctx context.Context, in CallStateInput) error {
	if err := a.Store.SaveCallState(ctx, in.CompanyID, in.CallID, in.State); err != nil {
		return fmt.Errorf("save call state: %w", err)
	}
	return nil
}

// LoadCallState returns the call's stored state ("" when none).
func (a *Activities) LoadCallState(ctx context.Context, in CallStateInput) (string, error) {
	s, err := a.Store.LoadCallState(ctx, in.CompanyID, in.CallID)
	if err != nil {
		return "", fmt.Errorf("load call state: %w", err)
	}
	return s, nil
}

// RecordSkipped stores a skipped delivery so operators can see why a stage
// never arrived.
func (a *Activities) RecordSkipped(ctx context.Context, in RecordSkippedInput) error {
	d := models.Delivery{ID: in.DeliveryID, CompanyID: in.CompanyID, Event: in.Event, EventID: in.EventID,
		CallID: in.CallID, Status: models.DeliverySkipped, LastError: in.Reason, WorkflowID: in.WorkflowID}
	if err := a.Store.RecordSkipped(ctx, d); err != nil {
		return fmt.Errorf("record skipped: %w", err)
	}
	return nil
}
