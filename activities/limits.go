package activities

import (
	"context"
	"fmt"
	"net/url"
	"sync"

	"golang.org/x/time/rate"
)

// Limits holds the per-endpoint limits of one worker process: at most
// MaxPerHost deliveries in flight to one host, and an optional rate per
// subscription. A delivery over a limit waits (bounded by its activity's
// timeout, after which Temporal retries it); nothing is dropped.
type Limits struct {
	maxPerHost int
	mu         sync.Mutex
	hosts      map[string]chan struct{}
	rates      map[string]*rate.Limiter
}

// NewLimits makes the limits; maxPerHost <= 0 means no host limit.
func NewLimits(maxPerHost int) *Limits {
	return &Limits{maxPerHost: maxPerHost, hosts: map[string]chan struct{}{}, rates: map[string]*rate.Limiter{}}
}

// acquire waits for the endpoint's turn and returns the release function.
func (l *Limits) acquire(ctx context.Context, in DeliverInput) (func(), error) {
	if l == nil {
		return func() {}, nil
	}
	if in.RateLimit > 0 {
		if err := l.limiter(in.SubscriptionID, in.RateLimit).Wait(ctx); err != nil {
			return nil, fmt.Errorf("wait for subscription rate limit: %w", err)
		}
	}
	if l.maxPerHost <= 0 {
		return func() {}, nil
	}
	sem := l.host(EndpointHost(in.URL))
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a free connection to the endpoint host: %w", ctx.Err())
	}
}

func (l *Limits) host(h string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	sem, ok := l.hosts[h]
	if !ok {
		sem = make(chan struct{}, l.maxPerHost)
		l.hosts[h] = sem
	}
	return sem
}

func (l *Limits) limiter(subID string, perSecond float64) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.rates[subID]
	if !ok || float64(lim.Limit()) != perSecond {
		lim = rate.NewLimiter(rate.Limit(perSecond), 1)
		l.rates[subID] = lim
	}
	return lim
}

// EndpointHost is the host (and port) of an endpoint URL: the unit of the
// per-host limit, and how summaries and search attributes name endpoints.
func EndpointHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Host
}
