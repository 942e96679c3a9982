package server_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
)

type subscription struct {
	ID        string `json:"id"`
	CompanyID int64  `json:"company_id"`
	Event     string `json:"event"`
	URL       string `json:"url"`
	Active    bool   `json:"active"`
}

type subscriptionPage struct {
	Data       []subscription `json:"data"`
	HasMore    bool           `json:"has_more"`
	NextCursor string         `json:"next_cursor"`
}

func TestSubscriptionRoundTrip(t *testing.T) {
	a, key, co := newCompany(t)
	subs := co + "/subscriptions"

	r := a.do(http.MethodPost, subs, key, map[string]any{"event": "post_call", "url": "https://hooks.example.com/cr?a=1&b=2"})
	r.want(t, http.StatusCreated)
	var one subscription
	r.decode(t, &one)
	if one.ID == "" || one.Event != "post_call" || one.URL != "https://hooks.example.com/cr?a=1&b=2" || !one.Active || one.CompanyID == 0 {
		t.Fatalf("created %+v", one)
	}
	var got subscription
	a.do(http.MethodGet, subs+"/"+one.ID, key, nil).decode(t, &got)
	if got != one {
		t.Errorf("GET = %+v, want what POST returned %+v", got, one)
	}

	r = a.do(http.MethodPatch, subs+"/"+one.ID, key, map[string]any{"active": false})
	r.want(t, http.StatusOK)
	r.decode(t, &got)
	if got.Active || got.URL != one.URL || got.Event != one.Event {
		t.Errorf("after PATCH active=false: %+v", got)
	}

	bulk := []map[string]any{
		{"event": "pre_call", "url": "https://hooks.example.com/a"},
		{"event": "post_call", "url": "https://hooks.example.com/b", "active": false},
		{"event": "text_message_sent", "url": "http://hooks.example.com/c"},
	}
	r = a.do(http.MethodPost, subs+"/bulk", key, map[string]any{"subscriptions": bulk})
	r.want(t, http.StatusCreated)
	var created struct{ Data []subscription }
	r.decode(t, &created)
	if len(created.Data) != 3 || created.Data[1].Active || created.Data[2].URL != "http://hooks.example.com/c" {
		t.Fatalf("bulk created %+v", created.Data)
	}

	var page subscriptionPage
	a.do(http.MethodGet, subs+"?event=post_call", key, nil).decode(t, &page)
	if len(page.Data) != 2 || page.HasMore || page.NextCursor != "" {
		t.Errorf("post_call filter: %+v", page)
	}

	r = a.do(http.MethodDelete, subs+"/"+one.ID, key, nil)
	r.want(t, http.StatusNoContent)
	a.do(http.MethodGet, subs+"/"+one.ID, key, nil).want(t, http.StatusNotFound)
	a.do(http.MethodDelete, subs+"/"+one.ID, key, nil).want(t, http.StatusNotFound)
	if n := a.subscriptionCount(); n != 3 {
		t.Errorf("%d subscriptions after delete, want 3", n)
	}
}

func TestSubscriptionPaging(t *testing.T) {
	a, key, co := newCompany(t)
	subs := co + "/subscriptions"
	var items []map[string]any
	for i := range 5 {
		items = append(items, map[string]any{"event": "post_call", "url": fmt.Sprintf("https://hooks.example.com/%d", i)})
	}
	a.do(http.MethodPost, subs+"/bulk", key, map[string]any{"subscriptions": items}).want(t, http.StatusCreated)

	var urls []string
	cursor := ""
	for pages := 0; pages < 5; pages++ {
		var page subscriptionPage
		a.do(http.MethodGet, subs+"?limit=2&starting_after="+cursor, key, nil).decode(t, &page)
		for _, s := range page.Data {
			urls = append(urls, s.URL)
		}
		if !page.HasMore {
			break
		}
		cursor = page.NextCursor
	}
	want := []string{"https://hooks.example.com/0", "https://hooks.example.com/1", "https://hooks.example.com/2",
		"https://hooks.example.com/3", "https://hooks.example.com/4"}
	if !reflect.DeepEqual(urls, want) {
		t.Errorf("paged URLs %v, want %v", urls, want)
	}
}

func TestWebhooksView(t *testing.T) {
	a, key, co := newCompany(t)
	hooks := co + "/webhooks"

	var view map[string][]string
	a.do(http.MethodGet, hooks, key, nil).decode(t, &view)
	if len(view) != 10 {
		t.Fatalf("empty view has %d keys, want all ten: %v", len(view), view)
	}
	for k, urls := range view {
		if urls == nil || len(urls) != 0 {
			t.Errorf("view[%s] = %#v, want []", k, urls)
		}
	}

	put := map[string][]string{
		"post_call": {"https://a.example.com/1", "https://b.example.com/2"},
		"pre_call":  {"https://a.example.com/1"},
	}
	r := a.do(http.MethodPut, hooks, key, put)
	r.want(t, http.StatusOK)
	r.decode(t, &view)
	a.do(http.MethodGet, hooks, key, nil).decode(t, &view)
	if len(view) != 10 || !reflect.DeepEqual(view["post_call"], put["post_call"]) ||
		!reflect.DeepEqual(view["pre_call"], put["pre_call"]) || len(view["call_modified"]) != 0 {
		t.Errorf("GET after PUT = %v, want %v", view, put)
	}

	// Keys left out of a PUT lose their URLs.
	a.do(http.MethodPut, hooks, key, map[string][]string{"post_call": {"https://a.example.com/1"}}).want(t, http.StatusOK)
	a.do(http.MethodGet, hooks, key, nil).decode(t, &view)
	if !reflect.DeepEqual(view["post_call"], []string{"https://a.example.com/1"}) || len(view["pre_call"]) != 0 {
		t.Errorf("after replacing with post_call only: %v", view)
	}
	if n := a.subscriptionCount(); n != 1 {
		t.Errorf("%d subscriptions stored, want 1", n)
	}
}
