package domain

import "time"

// Target is one endpoint an emission goes to.
type Target struct {
	SubscriptionID string
	URL            string
	// RetryWindow overrides the configured retry window (0: keep it); the
	// subscription's setting wins over the company's.
	RetryWindow time.Duration
	// RateLimit caps deliveries per second to this subscription (0: none).
	RateLimit float64
}

// ResolveInput names the company and event whose subscribers are wanted.
type ResolveInput struct {
	CompanyID int64
	Event     EventKey
}

// ResolveResult is the set of endpoints, fixed in history once returned,
// and the company's plans that shape the body.
type ResolveResult struct {
	Targets []Target
	Plans   Plans
}

// CallStateInput identifies a call whose state is saved or loaded.
type CallStateInput struct {
	CompanyID int64
	CallID    string
	// State is the call's JSON state (for saving).
	State string
}
