package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhooks/callhooks/signing"
)

// Limits hold across processes (issue 17): with two `callhooks worker`
// and two `callhooks server` processes on one PostgreSQL,
//   - a subscription limited to 5 deliveries/s never receives more than 5
//     in any one-second window, and every webhook arrives;
//   - a host capped at 2 concurrent deliveries never serves 3 at once;
//   - one API key's event budget is one budget across both servers;
//
// and, as the operator acceptance (skipped with -short), with a third
// worker added, 100 events to a 5/s subscription all arrive, never more
// than 5 in any second.
//
// "Any second" is counted the strict way: a one-second window sliding
// over the receiver's arrival times, not calendar seconds (which it
// implies). Workers keep a subscription's bucket at burst 1 and 15% under
// its rate (activities/limits.go), so six deliveries leave the bucket at
// least 1.18 s apart; the receiver sees them with the jitter of a busy
// machine (the tightest six are logged).
func TestMultiProcessLimits(t *testing.T) {
	tp := startTopology(t, 2, 2,
		"CALLHOOKS_MAX_CONNS_PER_HOST=2",
		// Low enough that even a slow machine posts faster than the
		// key's refill, so the budget shows; the other posts spread over
		// several keys so the ingest limit never paces the deliveries.
		"CALLHOOKS_INGEST_RATE_LIMIT=4",
		"CALLHOOKS_INGEST_RATE_BURST=40",
	)
	api := mpAPI{key: tp.key, servers: tp.servers}
	api.postKeys = api.newKeys(t, 6)

	// One API key across both servers: a burst through both lets one
	// budget through (40 at once, 40/s), not one per server.
	keyBudgetAcrossServers(t, api)

	// A subscription at 5/s and a slow host capped at 2, both at once.
	rated, slow := newArrivals(t, 0), newArrivals(t, 300*time.Millisecond)
	ratedCo := api.limitedCompany(t, "Rated", rated.srv.URL+"/hook", 5)
	slowCo := api.limitedCompany(t, "Slow host", slow.srv.URL+"/hook", 0)
	before := []float64{tp.workers[0].counter(t, "callhooks_delivery_attempts_total"), tp.workers[1].counter(t, "callhooks_delivery_attempts_total")}
	began := time.Now()
	const ratedN, slowN = 30, 16
	for i := range max(ratedN, slowN) {
		if i < ratedN {
			api.postUntilAccepted(t, i%2, ratedCo, fmt.Sprintf("rated-%d", i))
		}
		if i < slowN {
			api.postUntilAccepted(t, (i+1)%2, slowCo, fmt.Sprintf("slow-%d", i))
		}
	}
	slow.waitFor(t, slowN, 30*time.Second)
	if got := slow.maxInFlight(); got != 2 {
		t.Errorf("host capped at 2 served %d requests at once; want exactly 2 (never more, and the cap reached)", got)
	}
	rated.waitFor(t, ratedN, 30*time.Second)
	t.Logf("two workers, 5/s: %d webhooks in %s; arrivals per calendar second %v; fastest six arrivals spanned %s",
		ratedN, time.Since(began).Round(time.Millisecond), rated.perSecond(), rated.tightestSpan(6))
	if most := rated.maxInWindow(time.Second); most > 5 {
		t.Errorf("a subscription limited to 5/s received %d webhooks within one second (two workers): %s", most, rated.densest(6))
	}
	for i, w := range tp.workers[:2] {
		if w.counter(t, "callhooks_delivery_attempts_total") == before[i] {
			t.Errorf("worker-%d made no delivery attempt: the limits were not shared between two workers", i)
		}
	}

	if testing.Short() {
		return
	}
	// The operator acceptance: three workers, 100 events, 5/s.
	tp.startWorker(t).waitReady(t, 30*time.Second)
	accepted := newArrivals(t, 0)
	co := api.limitedCompany(t, "Acceptance", accepted.srv.URL+"/hook", 5)
	began = time.Now()
	for i := range 100 {
		api.postUntilAccepted(t, i%2, co, fmt.Sprintf("acceptance-%d", i))
	}
	accepted.waitFor(t, 100, 60*time.Second)
	t.Logf("three workers, 5/s: 100 webhooks in %s; arrivals per calendar second %v; fastest six arrivals spanned %s",
		time.Since(began).Round(time.Millisecond), accepted.perSecond(), accepted.tightestSpan(6))
	if most := accepted.maxInWindow(time.Second); most > 5 {
		t.Errorf("a subscription limited to 5/s received %d webhooks within one second (three workers): %s", most, accepted.densest(6))
	}
	t.Logf("limits run took %s after Temporal started", time.Since(tp.started).Round(time.Millisecond))
}

// keyBudgetAcrossServers posts a burst of events with a fresh key, half
// through each server, and checks that the two let one budget through.
func keyBudgetAcrossServers(t *testing.T, api mpAPI) {
	t.Helper()
	code, out := api.do(t, 0, http.MethodPost, "/v1/api-keys", map[string]any{"name": "burst"})
	if code != http.StatusCreated {
		t.Fatalf("create API key: %d %s", code, out)
	}
	var key struct{ Key string }
	_ = json.Unmarshal(out, &key)
	company := api.limitedCompany(t, "Burst", "", 0)
	const perServer, burst, perSecond = 80, 40, 4.0
	var (
		mu      sync.Mutex
		answers = map[string]int{}
		wg      sync.WaitGroup
	)
	began := time.Now()
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			server := g % 2
			for i := range 2 * perServer / 8 {
				code, err := postEvent(api.servers[server].addr, key.Key, company, fmt.Sprintf("burst-%d-%d", g, i))
				mu.Lock()
				answers[fmt.Sprintf("server-%d %d", server, code)]++
				if err != nil {
					answers[err.Error()]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	took := time.Since(began).Seconds()
	ok := answers["server-0 202"] + answers["server-1 202"]
	// Each server leases 1 token at a time (5% of 4/s, at least 1); what
	// they lease comes out of the one bucket, so nothing above burst + refill.
	most := burst + int(perSecond*took) + 1
	t.Logf("%d event posts with one key through both servers in %.2fs: %v (one budget: at most %d)", 2*perServer, took, answers, most)
	if ok > most || ok < burst-4 {
		t.Errorf("%d of %d posts accepted in %.2fs for one key limited to %d at once and %g/s; want %d to %d",
			ok, 2*perServer, took, burst, perSecond, burst-4, most)
	}
	for _, s := range []string{"server-0", "server-1"} {
		if answers[s+" 202"] == 0 || answers[s+" 429"] == 0 {
			t.Errorf("%s answered %d accepted and %d refused; want both (the burst exceeds the budget on every server)",
				s, answers[s+" 202"], answers[s+" 429"])
		}
	}
	if len(answers) != 4 {
		t.Errorf("answers %v: want only 202 and 429", answers)
	}
}

// limitedCompany makes a company whose pre_call webhooks go to url (none
// when empty), limited to perSecond deliveries per second (0: no limit).
func (a mpAPI) limitedCompany(t *testing.T, name, url string, perSecond float64) int64 {
	t.Helper()
	code, out := a.do(t, 0, http.MethodPost, "/v1/companies", map[string]any{"name": name})
	if code != http.StatusCreated {
		t.Fatalf("create company: %d %s", code, out)
	}
	var c struct{ ID int64 }
	_ = json.Unmarshal(out, &c)
	if url == "" {
		return c.ID
	}
	code, out = a.do(t, 1, http.MethodPost, fmt.Sprintf("/v1/companies/%d/subscriptions", c.ID), map[string]any{"event": "pre_call", "url": url})
	if code != http.StatusCreated {
		t.Fatalf("create subscription: %d %s", code, out)
	}
	var s struct{ ID string }
	_ = json.Unmarshal(out, &s)
	if perSecond > 0 {
		code, out = a.do(t, 0, http.MethodPatch, fmt.Sprintf("/v1/companies/%d/subscriptions/%s", c.ID, s.ID),
			map[string]any{"rate_limit_per_second": perSecond})
		if code != http.StatusOK {
			t.Fatalf("limit subscription: %d %s", code, out)
		}
	}
	return c.ID
}

// postUntilAccepted posts one pre_call event (a call of its own), waiting
// out 429s: the servers' ingest budget is small in these tests.
func (a mpAPI) postUntilAccepted(t *testing.T, server int, company int64, id string) {
	t.Helper()
	for range 100 {
		code, err := postEvent(a.servers[server].addr, a.postKey(id), company, id)
		if err != nil {
			t.Fatal(err)
		}
		switch code {
		case http.StatusAccepted:
			return
		case http.StatusTooManyRequests:
			time.Sleep(100 * time.Millisecond)
		default:
			t.Fatalf("post event %s: %d", id, code)
		}
	}
	t.Fatalf("post event %s: still refused after 100 tries", id)
}

// newKeys creates n API keys of the account, to spread posts over.
func (a mpAPI) newKeys(t *testing.T, n int) []string {
	t.Helper()
	keys := make([]string, n)
	for i := range keys {
		code, out := a.do(t, i%len(a.servers), http.MethodPost, "/v1/api-keys", map[string]any{"name": fmt.Sprintf("poster-%d", i)})
		if code != http.StatusCreated {
			t.Fatalf("create API key: %d %s", code, out)
		}
		var key struct{ Key string }
		_ = json.Unmarshal(out, &key)
		keys[i] = key.Key
	}
	return keys
}

// postKey picks the key an event is posted with: one of postKeys by the
// event id, else the account's key.
func (a mpAPI) postKey(id string) string {
	if len(a.postKeys) == 0 {
		return a.key
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	return a.postKeys[int(h.Sum32())%len(a.postKeys)]
}

// postEvent posts one pre_call event and returns the status; safe to call
// from any goroutine.
func postEvent(addr, key string, company int64, id string) (int, error) {
	raw, _ := json.Marshal(map[string]any{"id": id, "type": "pre_call", "call_id": "CAL-" + id, "data": map[string]any{"customer_name": "Kaylah Mills"}})
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://%s/v1/companies/%d/events", addr, company), bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post event %s: %w", id, err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// arrivals is a receiver that logs when each webhook arrived and how many
// requests it served at once; it answers 200 after delay.
type arrivals struct {
	srv   *httptest.Server
	delay time.Duration

	mu       sync.Mutex
	at       []time.Time
	log      []arrival
	ids      map[string]bool
	inFlight int
	most     int
}

// arrival is one request: when, and its webhook-id.
type arrival struct {
	at time.Time
	id string
}

func newArrivals(t *testing.T, delay time.Duration) *arrivals {
	t.Helper()
	r := &arrivals{delay: delay, ids: map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		now, id := time.Now(), req.Header.Get(signing.HeaderWebhookID)
		r.at = append(r.at, now)
		r.log = append(r.log, arrival{now, id})
		r.ids[id] = true
		r.inFlight++
		r.most = max(r.most, r.inFlight)
		r.mu.Unlock()
		_, _ = io.Copy(io.Discard, req.Body)
		time.Sleep(r.delay)
		r.mu.Lock()
		r.inFlight--
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// waitFor waits until n distinct webhooks have arrived.
func (r *arrivals) waitFor(t *testing.T, n int, limit time.Duration) {
	t.Helper()
	waitFor(t, limit, fmt.Sprintf("%d webhooks at %s", n, r.srv.URL), func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.ids) >= n
	})
}

func (r *arrivals) maxInFlight() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.most
}

// sorted is every arrival time (redeliveries included), in order.
func (r *arrivals) sorted() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	at := slices.Clone(r.at)
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	return at
}

// maxInWindow is the most arrivals in any window of length d, [t, t+d).
func (r *arrivals) maxInWindow(d time.Duration) int {
	at, most, j := r.sorted(), 0, 0
	for i := range at {
		for at[i].Sub(at[j]) >= d {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}

// tightestSpan is the shortest time between the first and last of n
// consecutive arrivals (n at most the rate makes it close to one second).
func (r *arrivals) tightestSpan(n int) time.Duration {
	at := r.sorted()
	span := time.Duration(-1)
	for i := n - 1; i < len(at); i++ {
		if d := at[i].Sub(at[i-n+1]); span < 0 || d < span {
			span = d
		}
	}
	return span.Round(time.Millisecond)
}

// densest shows the n consecutive arrivals closest together, as offsets
// from the first of them, with their webhook-ids.
func (r *arrivals) densest(n int) string {
	r.mu.Lock()
	log := slices.Clone(r.log)
	r.mu.Unlock()
	slices.SortFunc(log, func(a, b arrival) int { return a.at.Compare(b.at) })
	best := -1
	for i := n - 1; i < len(log); i++ {
		if best < 0 || log[i].at.Sub(log[i-n+1].at) < log[best].at.Sub(log[best-n+1].at) {
			best = i
		}
	}
	if best < 0 {
		return "fewer arrivals than " + fmt.Sprint(n)
	}
	var parts []string
	for _, a := range log[best-n+1 : best+1] {
		parts = append(parts, fmt.Sprintf("+%s %s", a.at.Sub(log[best-n+1].at).Round(time.Millisecond), a.id))
	}
	return strings.Join(parts, ", ")
}

// perSecond is the arrival log as a histogram: how many arrived in each
// calendar second, from the first arrival's second to the last's.
func (r *arrivals) perSecond() string {
	at := r.sorted()
	if len(at) == 0 {
		return "[]"
	}
	first := at[0].Unix()
	counts := make([]string, at[len(at)-1].Unix()-first+1)
	n := make([]int, len(counts))
	for _, a := range at {
		n[a.Unix()-first]++
	}
	for i, c := range n {
		counts[i] = fmt.Sprint(c)
	}
	return "[" + strings.Join(counts, " ") + "]"
}
